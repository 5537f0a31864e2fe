//! Projections: connectivity tables (dense or compressed sparse rows, indexed by the pre neuron),
//! axonal delays as rings of spike lists, and spike delivery into the targets' synapse inputs.

use rand::Rng;

use crate::spec::Connectivity;
use mixsig_chip::rng::{domain, name_id, stream};

/// Where a projection's spikes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreRef {
    /// A spike source (index into the network's sources).
    Source(usize),
    /// A neuron population (index into the network's populations).
    Neurons(usize),
}

/// Weight table, row = pre neuron.
#[derive(Debug, Clone)]
pub enum Table {
    /// `w[pre * n_post + post]`, A.
    Dense {
        /// Number of post neurons.
        n_post: usize,
        /// Weights, A.
        w: Vec<f64>,
    },
    /// Compressed sparse rows.
    Sparse {
        /// `row_ptr[pre]..row_ptr[pre+1]` index `post` and `w`.
        row_ptr: Vec<u32>,
        /// Post indices.
        post: Vec<u32>,
        /// Weights, A.
        w: Vec<f64>,
    },
}

impl Table {
    /// Build the table of a connectivity rule. `key` identifies the projection for random draws.
    pub fn build(
        connect: &Connectivity,
        weight: f64,
        n_pre: usize,
        n_post: usize,
        seed: u64,
        key: &str,
    ) -> Table {
        match connect {
            Connectivity::AllToAll => Table::Dense {
                n_post,
                w: vec![weight; n_pre * n_post],
            },
            Connectivity::Dense(w) => Table::Dense {
                n_post,
                w: w.clone(),
            },
            Connectivity::OneToOne => Self::from_triples(
                n_pre,
                (0..n_pre.min(n_post)).map(|i| (i as u32, i as u32, weight)),
            ),
            Connectivity::Random { p } => {
                // One stream per pre neuron: rows do not depend on how many pre neurons exist.
                let mut triples = Vec::new();
                for i in 0..n_pre {
                    let mut r = stream(seed, &[domain::CONNECT, name_id(key), i as u64]);
                    for j in 0..n_post {
                        if r.gen::<f64>() < *p {
                            triples.push((i as u32, j as u32, weight));
                        }
                    }
                }
                Self::from_triples(n_pre, triples.into_iter())
            }
            Connectivity::Explicit(t) => Self::from_triples(n_pre, t.iter().copied()),
        }
    }

    fn from_triples(n_pre: usize, t: impl Iterator<Item = (u32, u32, f64)>) -> Table {
        let mut t: Vec<(u32, u32, f64)> = t.collect();
        t.sort_by_key(|x| (x.0, x.1));
        let mut row_ptr = vec![0u32; n_pre + 1];
        for &(i, _, _) in &t {
            row_ptr[i as usize + 1] += 1;
        }
        for i in 0..n_pre {
            row_ptr[i + 1] += row_ptr[i];
        }
        Table::Sparse {
            row_ptr,
            post: t.iter().map(|x| x.1).collect(),
            w: t.iter().map(|x| x.2).collect(),
        }
    }

    /// Visit every synapse as (pre, post, weight), pre-major, posts in increasing order.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(usize, usize, &mut f64)) {
        match self {
            Table::Dense { n_post, w } => {
                let n_post = *n_post;
                for (k, x) in w.iter_mut().enumerate() {
                    f(k / n_post, k % n_post, x);
                }
            }
            Table::Sparse { row_ptr, post, w } => {
                for pre in 0..row_ptr.len() - 1 {
                    for k in row_ptr[pre] as usize..row_ptr[pre + 1] as usize {
                        f(pre, post[k] as usize, &mut w[k]);
                    }
                }
            }
        }
    }

    /// The weights in table order (dense: `[pre][post]`; sparse: row by row), A.
    pub fn weights(&self) -> &[f64] {
        match self {
            Table::Dense { w, .. } => w,
            Table::Sparse { w, .. } => w,
        }
    }

    /// Number of synapses.
    pub fn n_synapses(&self) -> usize {
        match self {
            Table::Dense { w, .. } => w.len(),
            Table::Sparse { w, .. } => w.len(),
        }
    }

    /// Add the row of pre neuron `pre` into `target` (the post population's input of this type).
    #[inline]
    pub fn deliver(&self, pre: usize, target: &mut [f64]) {
        match self {
            Table::Dense { n_post, w } => {
                let row = &w[pre * n_post..(pre + 1) * n_post];
                for (t, &x) in target.iter_mut().zip(row) {
                    *t += x;
                }
            }
            Table::Sparse { row_ptr, post, w } => {
                let (a, b) = (row_ptr[pre] as usize, row_ptr[pre + 1] as usize);
                for (&j, &x) in post[a..b].iter().zip(&w[a..b]) {
                    target[j as usize] += x;
                }
            }
        }
    }
}

/// A built projection.
#[derive(Debug, Clone)]
pub struct Projection {
    /// Pre population.
    pub pre: PreRef,
    /// Post population index.
    pub post: usize,
    /// Synapse type index on the post neurons.
    pub syn: usize,
    /// Delay in whole steps (beyond the one-step latency of neuron spikes).
    pub delay_steps: usize,
    /// Weights.
    pub table: Table,
    ring: Vec<Vec<u32>>,
    head: usize,
}

impl Projection {
    /// Build a projection with an empty delay line.
    pub fn new(pre: PreRef, post: usize, syn: usize, delay_steps: usize, table: Table) -> Self {
        Projection {
            pre,
            post,
            syn,
            delay_steps,
            table,
            ring: vec![Vec::new(); delay_steps + 1],
            head: 0,
        }
    }

    /// Push this step's pre spikes into the delay line and deliver the spikes due now into `target`
    /// (the post population's input of this synapse type).
    #[inline]
    pub fn route(&mut self, pre_spikes: &[u32], target: &mut [f64]) {
        let len = self.ring.len();
        let slot = (self.head + self.delay_steps) % len;
        self.ring[slot].extend_from_slice(pre_spikes);
        let mut due = std::mem::take(&mut self.ring[self.head]);
        for &i in &due {
            self.table.deliver(i as usize, target);
        }
        due.clear();
        self.ring[self.head] = due;
        self.head = (self.head + 1) % len;
    }
}
