//! Local, circuit-compatible plasticity (learning.md): a plastic projection `pre -> post` learns from a
//! pair of error populations aligned with its post neurons. Every spike of `e+_i` potentiates, every
//! spike of `e-_i` depresses, each synapse `j -> i` by `eta * x_j` (the pre-synaptic trace), while
//! the post neuron's calcium lies inside its stop-learning window (optionally a window per direction:
//! potentiation only below `theta_up`, depression only above `theta_down`). Mirrored feedback projections
//! (the transposed twins, `B[i][j]` of `W[j][i]`) receive the same local update — each twin pair
//! shares one update circuit whose charge packet lands on both weight capacitors — so the feedback
//! path follows the forward weights without copying them.
//!
//! The update runs after the populations have integrated (step 5 of the schedule), on the spikes of
//! this step — at each error spike (`UpdateMode::Event`) or continuously from low-passed error
//! traces (`UpdateMode::Continuous`). The learner owns the *stored* weights (the state of each
//! synapse's weight circuit, e.g. a capacitor voltage expressed as the nominal current it sets):
//! updates land there in the storage format (bounded analog, n-bit with stochastic rounding,
//! bistable with drift). On a die the current a synapse actually injects is its stored weight times
//! the fixed mismatch gain of its output transistor, so the learner writes `gain * stored` into the
//! projection's table; without a die the gain is 1. Each synapse's learning rate carries its own
//! fixed mismatch factor when `eta_sigma_ln > 0`; a mirror twin shares its forward synapse's factor
//! (same update circuit) times its own storage-capacitor factor (`twin_sigma_ln`).

use mixsig_chip::rng::{self, name_id};
use mixsig_circuits::learning::{CalciumWindow, TraceParams, UpdateMode, WeightStorage};
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
    /// Lognormal spread of a mirror twin's learning rate *relative to its forward synapse*: a twin
    /// shares its forward synapse's update circuit (one charge packet per update drives both weight
    /// capacitors), so the two differ only by the mismatch of their storage capacitors; 0 for none.
    pub twin_sigma_ln: f64,
    /// When the update circuit acts: at error spikes or continuously.
    pub update: UpdateMode,
    /// Post neurons per error group (1: each error pair trains only its own post neuron). With
    /// `g > 1` the post neurons fall into consecutive groups of `g` (e.g. the outputs of one class)
    /// and every error spike of a group member updates all `g` post neurons of the group by
    /// `eta / g`: each post neuron learns from the group's mean error, so one error neuron's
    /// mismatch (a deaf or over-eager pair) is averaged over `g`. Must divide the post size.
    pub error_group: usize,
    /// Zero-sum updates (heterosynaptic normalization): each update uses the pre trace minus its
    /// mean over all pre neurons, `x_j - mean(x)`, so an error spike moves weight from the synapses
    /// of inactive inputs to those of active ones and leaves the post neuron's summed weight
    /// unchanged (up to the bounds). In a circuit: one shared line carrying the mean trace current,
    /// subtracted in every update circuit of the row. Without it a rule whose errors do not cancel
    /// exactly drifts every weight of an active post neuron the same way.
    pub zero_sum: bool,
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
    /// Error traces `e+ - e-` per post neuron (continuous update only), 1/s.
    pub err: Vec<f64>,
    err_decay: f64,
    err_jump: f64,
    /// Stored weights: `stored[0]` of the plastic projection (`[pre][post]`), `stored[1 + m]` of
    /// mirror `m` (`[post][pre]`).
    stored: Vec<Vec<f64>>,
    /// Fixed output gains of the same synapses on a die (empty: 1).
    gain: Vec<Vec<f64>>,
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
    /// population names and `pop_size` gives sizes. `gains[p]` is the per-synapse output gain of
    /// projection `p` on a die (`None`: 1); the projection tables come in holding the requested
    /// weights and leave holding `gain * stored`.
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        spec: &LearningSpec,
        li: usize,
        projections: &mut [Projection],
        pop_index: &dyn Fn(&str) -> Option<usize>,
        pop_size: &dyn Fn(usize) -> usize,
        pre_size: usize,
        gains: &[Option<Vec<f64>>],
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
        if spec.error_group == 0 || !n_post.is_multiple_of(spec.error_group) {
            return Err(bad(format!(
                "error_group = {} must be >= 1 and divide the plastic projection's {n_post} post neurons",
                spec.error_group
            )));
        }
        for (name, v) in [
            ("eta_sigma_ln", spec.eta_sigma_ln),
            ("twin_sigma_ln", spec.twin_sigma_ln),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(bad(format!("{name} = {v} must be >= 0")));
            }
        }
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
        if let Some(c) = &spec.calcium {
            c.check().map_err(|m| bad(format!("calcium window: {m}")))?;
            if !(c.trace.tau.is_finite() && c.trace.tau > 0.0) {
                return Err(bad(format!(
                    "calcium tau = {:e} s must be > 0",
                    c.trace.tau
                )));
            }
        }
        if let UpdateMode::Continuous { tau_err } = spec.update {
            if !(tau_err.is_finite() && tau_err > 0.0) {
                return Err(bad(format!("tau_err = {tau_err:e} s must be > 0")));
            }
        }
        // Stored weights: the requested weights put on the storage's grid; the table then holds
        // what the synapses inject.
        let mut stored = Vec::new();
        let mut gain = Vec::new();
        for idx in std::iter::once(spec.projection).chain(spec.mirrors.iter().copied()) {
            let g = gains.get(idx).cloned().flatten().unwrap_or_default();
            let table = dense_mut(&mut projections[idx]);
            if !g.is_empty() && g.len() != table.len() {
                return Err(bad(format!(
                    "projection #{} has {} synapses but {} gains",
                    idx + 1,
                    table.len(),
                    g.len()
                )));
            }
            let mut s = Vec::with_capacity(table.len());
            for (k, w) in table.iter_mut().enumerate() {
                let gk = g.get(k).copied().unwrap_or(1.0);
                let v = spec.storage.apply(*w, 0.0, spec.w_max, 0.5);
                *w = gk * v;
                s.push(v);
            }
            stored.push(s);
            gain.push(g);
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
            err: match spec.update {
                UpdateMode::Event => Vec::new(),
                UpdateMode::Continuous { .. } => vec![0.0; n_post],
            },
            err_decay: match spec.update {
                UpdateMode::Event => 0.0,
                UpdateMode::Continuous { tau_err } => (-dt / tau_err).exp(),
            },
            // Unit area per spike for the exact exponential kernel sampled at steps:
            // sum_k jump * decay^k * dt = 1.
            err_jump: match spec.update {
                UpdateMode::Event => 0.0,
                UpdateMode::Continuous { tau_err } => (1.0 - (-dt / tau_err).exp()) / dt,
            },
            stored,
            gain,
            eta_f: factors(n, spec.eta_sigma_ln, seed, "forward", li),
            mirror_eta_f: {
                let shared = factors(n, spec.eta_sigma_ln, seed, "forward", li);
                spec.mirrors
                    .iter()
                    .enumerate()
                    .map(|(k, _)| {
                        let own = factors(n, spec.twin_sigma_ln, seed, &format!("mirror{k}"), li);
                        match (shared.is_empty(), own.is_empty()) {
                            (true, _) => own,
                            (false, true) => shared.clone(),
                            (false, false) => shared.iter().zip(&own).map(|(a, b)| a * b).collect(),
                        }
                    })
                    .collect()
            },
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
        if let UpdateMode::Event = self.spec.update {
            if learn && eta_scale > 0.0 {
                let g = self.spec.error_group;
                let eta = self.spec.eta * eta_scale / g as f64;
                for (spikes, sign) in [(pos_spikes, 1.0), (neg_spikes, -1.0)] {
                    for &e in spikes {
                        let first = e as usize / g * g;
                        for i in first..first + g {
                            if self.gate_open(i, sign) {
                                self.update_column(i, sign * eta, projections);
                            }
                        }
                    }
                }
            }
        } else {
            // Error traces (unit area per spike); the update integrates x * (e+ - e-) over the
            // step. The traces run whether or not learning is on (they are circuits).
            for e in &mut self.err {
                *e *= self.err_decay;
            }
            for &i in pos_spikes {
                self.err[i as usize] += self.err_jump;
            }
            for &i in neg_spikes {
                self.err[i as usize] -= self.err_jump;
            }
            if learn && eta_scale > 0.0 {
                let g = self.spec.error_group;
                let eta = self.spec.eta * eta_scale * dt;
                for i in 0..self.n_post {
                    let first = i / g * g;
                    let e = self.err[first..first + g].iter().sum::<f64>() / g as f64;
                    // Below a thousandth of one spike's peak the integrator's output is off.
                    if e.abs() < 1e-3 * self.err_jump || !self.gate_open(i, e) {
                        continue;
                    }
                    self.update_column(i, eta * e, projections);
                }
            }
        }
        if matches!(self.spec.storage, WeightStorage::Bistable { .. })
            && (k + 1).is_multiple_of(self.drift_every)
        {
            let span = self.drift_every as f64 * dt;
            let idxs: Vec<usize> = std::iter::once(self.spec.projection)
                .chain(self.spec.mirrors.iter().copied())
                .collect();
            for (m, idx) in idxs.into_iter().enumerate() {
                let table = dense_mut(&mut projections[idx]);
                for (s, w) in self.stored[m].iter_mut().enumerate() {
                    *w = self.spec.storage.drift(*w, self.spec.w_max, span);
                    table[s] = self.gain[m].get(s).copied().unwrap_or(1.0) * *w;
                }
            }
        }
    }

    /// Whether an update of sign `sign` of post neuron `i` passes its stop-learning window (always
    /// without one): the symmetric window and, if set, the direction's own calcium threshold.
    fn gate_open(&self, i: usize, sign: f64) -> bool {
        match &self.spec.calcium {
            Some(c) => c.passes(self.ca[i], sign),
            None => true,
        }
    }

    /// The stored weights of the plastic projection (`m = 0`, laid out `[pre][post]`) or of its
    /// mirror `m - 1` (`[post][pre]`): the weight circuits' state, before the die's output gains.
    pub fn stored(&self, m: usize) -> &[f64] {
        &self.stored[m]
    }

    /// Update every synapse `j -> i` (and its mirrors `i -> j`) by `eta * x_j`: the stored weight
    /// moves in its storage format, the table gets `gain * stored`.
    fn update_column(&mut self, i: usize, eta: f64, projections: &mut [Projection]) {
        let (n_pre, n_post) = (self.n_pre, self.n_post);
        let (storage, w_max) = (self.spec.storage, self.spec.w_max);
        let stochastic = matches!(storage, WeightStorage::NBit { .. });
        let f = |v: &[f64], idx: usize| v.get(idx).copied().unwrap_or(1.0);
        let zero_sum = self.spec.zero_sum;
        let x_mean = if zero_sum {
            self.x.iter().sum::<f64>() / n_pre.max(1) as f64
        } else {
            0.0
        };
        for j in 0..n_pre {
            let x = self.x[j] - x_mean;
            if !zero_sum && x < 1e-9 {
                continue;
            }
            let s = j * n_post + i;
            let t = i * n_pre + j;
            for m in 0..self.stored.len() {
                let (idx, etaf, at) = if m == 0 {
                    (self.spec.projection, &self.eta_f, s)
                } else {
                    (self.spec.mirrors[m - 1], &self.mirror_eta_f[m - 1], t)
                };
                let u = if stochastic {
                    self.rng.gen::<f64>()
                } else {
                    0.5
                };
                let w = &mut self.stored[m][at];
                *w = storage.apply(*w, eta * x * f(etaf, s), w_max, u);
                dense_mut(&mut projections[idx])[at] = f(&self.gain[m], at) * *w;
            }
            self.updates += 1;
        }
    }

    /// Indices of the populations involved: (post, e+, e-).
    pub fn pops(&self) -> (usize, usize, usize) {
        (self.post, self.err_pos, self.err_neg)
    }
}
