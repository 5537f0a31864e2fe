//! Local, circuit-compatible plasticity (learning.md): a plastic projection `pre -> post` learns from a
//! pair of error populations aligned with its post neurons. Every spike of `e+_i` potentiates, every
//! spike of `e-_i` depresses, each synapse `j -> i` by `eta * x_j` (the pre-synaptic trace), while
//! the post neuron's calcium lies inside its stop-learning window. Mirrored feedback projections
//! (the transposed twins, `B[i][j]` of `W[j][i]`) receive exactly the same local update from their
//! own update circuits, so the feedback path follows the forward weights without copying them.
//!
//! The update runs after the populations have integrated (step 5 of the schedule), on the spikes of
//! this step. Weights land in the projection's storage format (bounded analog, n-bit with stochastic
//! rounding, bistable with drift), and each synapse's learning rate carries its own fixed mismatch
//! factor when `eta_sigma_ln > 0`.

use mixsig_chip::rng::{self, name_id};
use mixsig_circuits::learning::{CalciumWindow, TraceParams, WeightStorage};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::network::BuildError;
use crate::projection::{PreRef, Projection, Table};

/// A plastic projection and its learning circuits.
#[derive(Debug, Clone, PartialEq)]
pub struct LearningSpec {
    /// Index of the plastic projection in `NetworkSpec::projections`; it must be dense (all-to-all).
    pub projection: usize,
    /// Population whose spikes potentiate (size = the projection's post population).
    pub err_pos: String,
    /// Population whose spikes depress (size = the projection's post population).
    pub err_neg: String,
    /// The pre-synaptic trace.
    pub pre_trace: TraceParams,
    /// Stop-learning window on the post neurons' calcium (`None`: always open).
    pub calcium: Option<CalciumWindow>,
    /// Weight change per error spike at pre trace 1, A.
    pub eta: f64,
    /// Upper weight bound, A (lower bound 0).
    pub w_max: f64,
    /// Storage format of the weights.
    pub storage: WeightStorage,
    /// Projections holding the transposed twin of this one (pre = an error population of this post,
    /// post = an error population of this pre), updated by the same rule.
    pub mirrors: Vec<usize>,
    /// Lognormal spread (sigma of ln) of each synapse's learning-rate factor; 0 for none.
    pub eta_sigma_ln: f64,
}

/// Runtime state of one plastic projection.
#[derive(Debug, Clone)]
pub struct Learner {
    /// The spec it was built from.
    pub spec: LearningSpec,
    pre: PreRef,
    post: usize,
    err_pos: usize,
    err_neg: usize,
    n_pre: usize,
    n_post: usize,
    /// Pre-synaptic traces.
    pub x: Vec<f64>,
    x_decay: f64,
    /// Post calcium traces.
    pub ca: Vec<f64>,
    ca_decay: f64,
    eta_f: Vec<f64>,
    mirror_eta_f: Vec<Vec<f64>>,
    rng: ChaCha8Rng,
    drift_every: u64,
    /// Number of weight updates applied (error spikes that passed the gate, times synapses touched).
    pub updates: u64,
}

fn dense_dims(p: &Projection) -> Option<usize> {
    match &p.table {
        Table::Dense { n_post, .. } => Some(*n_post),
        Table::Sparse { .. } => None,
    }
}

/// Mutable dense weights of a projection (checked dense at build).
pub fn dense_mut(p: &mut Projection) -> &mut [f64] {
    match &mut p.table {
        Table::Dense { w, .. } => w,
        Table::Sparse { .. } => unreachable!("plastic projections are dense (checked at build)"),
    }
}

fn factors(n: usize, sigma: f64, seed: u64, tag: &str, idx: usize) -> Vec<f64> {
    if sigma <= 0.0 {
        return Vec::new();
    }
    let mut r = rng::stream(seed, &[name_id("eta_mismatch"), name_id(tag), idx as u64]);
    (0..n)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut r);
            (sigma * z).exp()
        })
        .collect()
}

impl Learner {
    /// Build the runtime of `spec` (learning index `li`) over built projections; `pop_index` resolves
    /// population names and `pop_size` gives sizes.
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        spec: &LearningSpec,
        li: usize,
        projections: &mut [Projection],
        pop_index: &dyn Fn(&str) -> Option<usize>,
        pop_size: &dyn Fn(usize) -> usize,
        pre_size: usize,
        dt: f64,
        seed: u64,
    ) -> Result<Learner, BuildError> {
        let ctx = format!("learning #{}", li + 1);
        let bad = |m: String| BuildError::Invalid {
            context: ctx.clone(),
            message: m,
        };
        let p = projections.get(spec.projection).ok_or_else(|| {
            bad(format!(
                "projection index {} does not exist",
                spec.projection
            ))
        })?;
        let n_post = dense_dims(p).ok_or_else(|| {
            bad("the plastic projection must be dense (connect = all_to_all)".into())
        })?;
        let (pre, post, n_pre) = (p.pre, p.post, pre_size);
        let find = |name: &str| {
            let i = pop_index(name).ok_or_else(|| bad(format!("no population named `{name}`")))?;
            if pop_size(i) != n_post {
                return Err(bad(format!(
                    "error population `{name}` has {} neurons, the plastic projection's post has {n_post}",
                    pop_size(i)
                )));
            }
            Ok(i)
        };
        let (err_pos, err_neg) = (find(&spec.err_pos)?, find(&spec.err_neg)?);
        if !(spec.eta.is_finite() && spec.eta >= 0.0) {
            return Err(bad(format!("eta = {:e} A must be >= 0", spec.eta)));
        }
        if !(spec.w_max.is_finite() && spec.w_max > 0.0) {
            return Err(bad(format!("w_max = {:e} A must be > 0", spec.w_max)));
        }
        if let WeightStorage::NBit { bits } = spec.storage {
            if !(1..=16).contains(&bits) {
                return Err(bad(format!("bits = {bits} must be in 1..=16")));
            }
        }
        for &m in &spec.mirrors {
            let mp = projections
                .get(m)
                .ok_or_else(|| bad(format!("mirror projection index {m} does not exist")))?;
            let mn =
                dense_dims(mp).ok_or_else(|| bad("mirror projections must be dense".into()))?;
            if mn != n_pre || mp.table.n_synapses() != n_pre * n_post {
                return Err(bad(format!(
                    "mirror projection #{} is not the transpose ({} synapses, {} posts; want {n_post} x {n_pre})",
                    m + 1,
                    mp.table.n_synapses(),
                    mn
                )));
            }
        }
        // Initial weights must be representable.
        for idx in std::iter::once(spec.projection).chain(spec.mirrors.iter().copied()) {
            for w in dense_mut(&mut projections[idx]) {
                *w = spec.storage.apply(*w, 0.0, spec.w_max, 0.5);
            }
        }
        let n = n_pre * n_post;
        Ok(Learner {
            spec: spec.clone(),
            pre,
            post,
            err_pos,
            err_neg,
            n_pre,
            n_post,
            x: vec![0.0; n_pre],
            x_decay: spec.pre_trace.decay(dt),
            ca: vec![0.0; n_post],
            ca_decay: spec.calcium.map(|c| c.trace.decay(dt)).unwrap_or(0.0),
            eta_f: factors(n, spec.eta_sigma_ln, seed, "forward", li),
            mirror_eta_f: spec
                .mirrors
                .iter()
                .enumerate()
                .map(|(k, _)| factors(n, spec.eta_sigma_ln, seed, &format!("mirror{k}"), li))
                .collect(),
            rng: rng::stream(seed, &[name_id("stochastic_rounding"), li as u64]),
            drift_every: ((1e-3 / dt).round() as u64).max(1),
            updates: 0,
        })
    }

    /// The pre population.
    pub fn pre(&self) -> PreRef {
        self.pre
    }

    /// Advance traces with this step's spikes and, if `learn`, apply the updates triggered by this
    /// step's error spikes (scaled by `eta_scale`).
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        k: u64,
        dt: f64,
        pre_spikes: &[u32],
        post_spikes: &[u32],
        pos_spikes: &[u32],
        neg_spikes: &[u32],
        projections: &mut [Projection],
        learn: bool,
        eta_scale: f64,
    ) {
        for x in &mut self.x {
            *x *= self.x_decay;
        }
        for &j in pre_spikes {
            self.x[j as usize] += self.spec.pre_trace.jump;
        }
        if let Some(c) = &self.spec.calcium {
            for ca in &mut self.ca {
                *ca *= self.ca_decay;
            }
            for &i in post_spikes {
                self.ca[i as usize] += c.trace.jump;
            }
        }
        if learn && eta_scale > 0.0 {
            let eta = self.spec.eta * eta_scale;
            for (spikes, sign) in [(pos_spikes, 1.0), (neg_spikes, -1.0)] {
                for &i in spikes {
                    let i = i as usize;
                    if let Some(c) = &self.spec.calcium {
                        if !c.open(self.ca[i]) {
                            continue;
                        }
                    }
                    self.update_column(i, sign * eta, projections);
                }
            }
        }
        if matches!(self.spec.storage, WeightStorage::Bistable { .. })
            && (k + 1).is_multiple_of(self.drift_every)
        {
            let span = self.drift_every as f64 * dt;
            for idx in std::iter::once(self.spec.projection).chain(self.spec.mirrors.clone()) {
                for w in dense_mut(&mut projections[idx]) {
                    *w = self.spec.storage.drift(*w, self.spec.w_max, span);
                }
            }
        }
    }

    /// Update every synapse `j -> i` (and its mirrors `i -> j`) by `eta * x_j`.
    fn update_column(&mut self, i: usize, eta: f64, projections: &mut [Projection]) {
        let (n_pre, n_post) = (self.n_pre, self.n_post);
        let (storage, w_max) = (self.spec.storage, self.spec.w_max);
        let stochastic = matches!(storage, WeightStorage::NBit { .. });
        for j in 0..n_pre {
            let x = self.x[j];
            if x < 1e-9 {
                continue;
            }
            let f = |v: &Vec<f64>, idx: usize| if v.is_empty() { 1.0 } else { v[idx] };
            let s = j * n_post + i;
            let u = if stochastic {
                self.rng.gen::<f64>()
            } else {
                0.5
            };
            let w = &mut dense_mut(&mut projections[self.spec.projection])[s];
            *w = storage.apply(*w, eta * x * f(&self.eta_f, s), w_max, u);
            for (m, &mi) in self.spec.mirrors.iter().enumerate() {
                let u = if stochastic {
                    self.rng.gen::<f64>()
                } else {
                    0.5
                };
                let t = i * n_pre + j;
                let w = &mut dense_mut(&mut projections[mi])[t];
                *w = storage.apply(*w, eta * x * f(&self.mirror_eta_f[m], s), w_max, u);
            }
            self.updates += 1;
        }
    }

    /// Indices of the populations involved: (post, e+, e-).
    pub fn pops(&self) -> (usize, usize, usize) {
        (self.post, self.err_pos, self.err_neg)
    }
}
