//! A built network and its stepping loop. The per-step order is fixed, documented and printable
//! ([`Network::schedule`]):
//!
//! 1. apply the DC-schedule changes due at this step;
//! 2. sources emit the spikes whose times fall in `[t, t + dt)`;
//! 3. route spikes through the projections' delay lines into the targets' synapse inputs: source
//!    spikes of this step, neuron spikes of the previous step (a one-step latency), plus each
//!    projection's delay;
//! 4. each population integrates: synapse DPIs and AHP (exact), membrane, refractory timer, threshold
//!    and reset (populations are independent here: on a rayon worker, a network heavy enough
//!    steps its populations in two groups on two threads, with the same numbers, see
//!    [`Network::step_split`]);
//! 5. plasticity: pre-synaptic and calcium traces take this step's spikes, and every error spike
//!    updates its column of the plastic projection (and the mirrored feedback twins);
//! 6. record spikes, rates, and (every `stride` steps) the probed state.
//!
//! Row `k` of a recording is the state after step `k`, which consumed the input of step `k`
//! (DynapSim's convention).

use std::fmt::Write as _;

use mixsig_circuits::SynapseType;

use crate::population::Population;
use crate::projection::{PreRef, Projection};
use crate::record::Recorder;
use crate::source::{step_of, SourcePop};
use crate::spec::ModelKind;

/// Why a network could not be built. Messages name the element and the constraint.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// Two elements share a name.
    #[error(
        "duplicate population name `{0}` (sources and neuron populations share one namespace)"
    )]
    DuplicateName(String),
    /// A referenced population does not exist.
    #[error("{context}: no population named `{name}` (known: {known})")]
    UnknownPopulation {
        /// Where the reference is.
        context: String,
        /// The missing name.
        name: String,
        /// Known names.
        known: String,
    },
    /// A value breaks a constraint.
    #[error("{context}: {message}")]
    Invalid {
        /// Where.
        context: String,
        /// What is wrong.
        message: String,
    },
}

pub(crate) fn invalid(context: impl Into<String>, message: impl Into<String>) -> BuildError {
    BuildError::Invalid {
        context: context.into(),
        message: message.into(),
    }
}

#[derive(Debug, Clone)]
pub(crate) struct DcChange {
    pub(crate) step: u64,
    pub(crate) pop: usize,
    pub(crate) neurons: Option<Vec<u32>>,
    pub(crate) value: f64,
}

/// A network ready to run.
#[derive(Debug, Clone)]
pub struct Network {
    /// Time step, s.
    pub dt: f64,
    /// Current step index (steps done so far).
    pub k: u64,
    /// Spike sources.
    pub sources: Vec<SourcePop>,
    /// Neuron populations.
    pub pops: Vec<Population>,
    /// Projections.
    pub projections: Vec<Projection>,
    /// Recordings.
    pub rec: Recorder,
    /// Things the build did that a user should know (for example weights a chip cannot represent).
    pub warnings: Vec<String>,
    /// Plastic projections.
    pub learners: Vec<crate::plasticity::Learner>,
    /// Whether plasticity is on (training) or frozen (testing). On by default.
    pub learning_on: bool,
    /// Scale of every learning rate (the learning-rate bias; a training protocol may decay it).
    pub eta_scale: f64,
    /// Where step 4 splits the populations into two groups stepped in parallel (`rayon::join`),
    /// or `None` to step them one after the other. Set at build by [`split_point`]; only used on a
    /// rayon worker thread (a join from outside the pool would cost a round trip per step). Each
    /// population's step reads and writes only its own state, so the split changes no number.
    pub step_split: Option<usize>,
    pub(crate) dc: Vec<DcChange>,
    pub(crate) dc_pos: usize,
    pub(crate) scratch: Vec<u32>,
}

/// Estimated work of one population step, in physical-neuron units (a DynapSim neuron's loop is
/// vectorized and several times cheaper than a physical neuron's Heun step).
fn step_work(p: &Population) -> f64 {
    match p.model {
        ModelKind::Physical(_) => p.n as f64,
        ModelKind::Dynapsim => p.n as f64 / 4.0,
    }
}

/// Below this much work per step (physical-neuron units) the populations are stepped on one
/// thread. A rough bound, not a tuned one: a join hands work to another thread (of the order of a
/// microsecond when that thread is awake), and a physical neuron with noise costs ~0.2 us of the
/// ~20 us a step of the default `mixsig train` network (120 neurons) takes on one core. The split
/// is chosen at build; switching DynapSim populations to `f32` later does not move it.
pub const SPLIT_MIN_WORK: f64 = 64.0;

/// The index that splits `pops` into two groups of the most nearly equal work, or `None` when the
/// network is too light (under [`SPLIT_MIN_WORK`]) or one group would be empty.
pub fn split_point(pops: &[Population]) -> Option<usize> {
    let work: Vec<f64> = pops.iter().map(step_work).collect();
    let total: f64 = work.iter().sum();
    if pops.len() < 2 || total < SPLIT_MIN_WORK {
        return None;
    }
    let mut acc = 0.0;
    let mut best = (f64::INFINITY, 0);
    for (i, w) in work.iter().enumerate().take(pops.len() - 1) {
        acc += w;
        let imbalance = (2.0 * acc - total).abs();
        if imbalance < best.0 {
            best = (imbalance, i + 1);
        }
    }
    Some(best.1)
}

impl Network {
    /// Simulated time so far, s.
    pub fn time(&self) -> f64 {
        self.k as f64 * self.dt
    }

    /// Total number of neurons.
    pub fn n_neurons(&self) -> usize {
        self.pops.iter().map(|p| p.n).sum()
    }

    /// Switch every `dynapsim` population to `f32` state (DynapSim's own precision, about twice
    /// the throughput; see [`Population::use_f32_state`]). Returns how many were switched.
    pub fn use_f32_state(&mut self) -> usize {
        self.pops
            .iter_mut()
            .map(|p| usize::from(p.use_f32_state()))
            .sum()
    }

    /// Number of steps that cover `duration` seconds.
    pub fn steps_for(&self, duration: f64) -> u64 {
        step_of(duration, self.dt)
    }

    /// Advance one step (see the module doc for the order).
    pub fn step(&mut self) {
        let k = self.k;
        let dt = self.dt;
        // 1. DC schedule.
        while self.dc_pos < self.dc.len() && self.dc[self.dc_pos].step <= k {
            let c = &self.dc[self.dc_pos];
            let pop = &mut self.pops[c.pop];
            match &c.neurons {
                None => pop.i_dc.iter_mut().for_each(|x| *x = c.value),
                Some(ns) => ns.iter().for_each(|&i| pop.i_dc[i as usize] = c.value),
            }
            self.dc_pos += 1;
        }
        // 2. Sources.
        for s in &mut self.sources {
            s.emit(k, dt);
        }
        // 3. Routing (neuron spikes in `pops[i].spikes` are still those of step k-1).
        for pr in &mut self.projections {
            self.scratch.clear();
            match pr.pre {
                PreRef::Source(i) => self.scratch.extend_from_slice(&self.sources[i].spikes),
                PreRef::Neurons(i) => self.scratch.extend_from_slice(&self.pops[i].spikes),
            }
            let target = &mut self.pops[pr.post].events[pr.syn];
            pr.route(&self.scratch, target);
        }
        // 4. Integrate.
        match self.step_split {
            Some(at) if rayon::current_thread_index().is_some() => {
                let (a, b) = self.pops.split_at_mut(at);
                rayon::join(
                    || a.iter_mut().for_each(|p| p.step(dt, k)),
                    || b.iter_mut().for_each(|p| p.step(dt, k)),
                );
            }
            _ => {
                for p in &mut self.pops {
                    p.step(dt, k);
                }
            }
        }
        // 5. Learning: traces and the updates triggered by this step's error spikes.
        for l in &mut self.learners {
            let pre: &[u32] = match l.pre() {
                PreRef::Source(i) => &self.sources[i].spikes,
                PreRef::Neurons(i) => &self.pops[i].spikes,
            };
            let (post, ep, en) = l.pops();
            l.step(
                k,
                dt,
                pre,
                &self.pops[post].spikes,
                &self.pops[ep].spikes,
                &self.pops[en].spikes,
                &mut self.projections,
                self.learning_on,
                self.eta_scale,
            );
        }
        // 6. Record.
        let ns = self.sources.len();
        for (g, s) in self.sources.iter().enumerate() {
            self.rec.spikes(g, k, &s.spikes);
        }
        for (g, p) in self.pops.iter().enumerate() {
            self.rec.spikes(ns + g, k, &p.spikes);
        }
        self.rec.sample(k, &self.pops);
        self.k += 1;
    }

    /// Load spike times (relative to now) into the `list` source `name`, replacing its pending spikes.
    pub fn present(&mut self, name: &str, channels: &[Vec<f64>]) -> Result<(), BuildError> {
        let k = self.k;
        let dt = self.dt;
        let s = self
            .sources
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| invalid("present", format!("no source named `{name}`")))?;
        if s.load(channels, k, dt) {
            Ok(())
        } else {
            Err(invalid(
                format!("source `{name}`"),
                format!(
                    "cannot present {} channels: the source must be a `list` source with at least that many channels ({})",
                    channels.len(),
                    s.n
                ),
            ))
        }
    }

    /// Run `n` steps, calling `progress(done)` every `every` steps (and at the end).
    pub fn run_observed(&mut self, n: u64, every: u64, mut progress: impl FnMut(u64)) {
        let every = every.max(1);
        for i in 0..n {
            self.step();
            if (i + 1).is_multiple_of(every) {
                progress(i + 1);
            }
        }
        if !n.is_multiple_of(every) {
            progress(n);
        }
    }

    /// Run for `duration` seconds.
    pub fn run(&mut self, duration: f64) {
        let n = self.steps_for(duration);
        for _ in 0..n {
            self.step();
        }
    }

    /// A printable description of what happens inside one step, with this network's elements.
    pub fn schedule(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "step schedule (dt = {} s), for each step k:", self.dt);
        let _ = writeln!(
            s,
            "  1. apply DC-schedule changes due at step k ({} changes in all)",
            self.dc.len()
        );
        for src in &self.sources {
            let _ = writeln!(
                s,
                "  2. source `{}` ({} channels) emits spikes in [k*dt, (k+1)*dt)",
                src.name, src.n
            );
        }
        for pr in &self.projections {
            let pre = match pr.pre {
                PreRef::Source(i) => format!("source `{}` (this step)", self.sources[i].name),
                PreRef::Neurons(i) => format!("population `{}` (previous step)", self.pops[i].name),
            };
            let _ = writeln!(
                s,
                "  3. route {pre} -> `{}`.{} ({} synapses, delay {} steps)",
                self.pops[pr.post].name,
                SynapseType::ALL[pr.syn].name(),
                pr.table.n_synapses(),
                pr.delay_steps
            );
        }
        for p in &self.pops {
            let what = match p.model {
                ModelKind::Dynapsim => "DynapSim step: lumped synapse, AHP, membrane (Euler), timer, threshold/reset",
                ModelKind::Physical(_) => {
                    "synapse DPIs + AHP (exact), membrane (Heun, log domain), timer, threshold/reset"
                }
            };
            let _ = writeln!(
                s,
                "  4. population `{}` ({} x {}): {what}",
                p.name,
                p.n,
                p.model.name()
            );
        }
        if self.learners.is_empty() {
            let _ = writeln!(s, "  5. plasticity: none (no plastic projections)");
        }
        for l in &self.learners {
            let (post, ep, en) = l.pops();
            let _ = writeln!(
                s,
                "  5. learning on projection #{} (-> `{}`): errors `{}`/`{}`, {} mirror(s)",
                l.spec.projection + 1,
                self.pops[post].name,
                self.pops[ep].name,
                self.pops[en].name,
                l.spec.mirrors.len()
            );
        }
        let _ = writeln!(
            s,
            "  6. record spikes{}{}",
            if self.rec.rate_bin_steps > 0 {
                ", rates"
            } else {
                ""
            },
            if self.rec.probes.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} probes every {} steps",
                    self.rec.probes.len(),
                    self.rec.stride
                )
            }
        );
        s
    }
}
