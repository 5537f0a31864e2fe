//! The error-propagation network of learning.md as a preset: inputs -> hidden -> outputs (a population
//! per class), a teacher per class, an error-neuron pair per output and per hidden neuron, feedback
//! projections from the output error neurons to the hidden error neurons, and the plastic projections
//! with their local learning circuits.
//!
//! Projection indices (the learning specs refer to them): see [`Layout`].

use mixsig_chip::rng::{self, name_id};
use mixsig_circuits::learning::{CalciumWindow, TraceParams, UpdateMode, WeightStorage};
use mixsig_circuits::{Feedback, NeuronParams, SynapseType};
use mixsig_engine::plasticity::LearningSpec;
use mixsig_engine::spec::{
    Connectivity, DcSpec, ModelKind, NetworkSpec, PopulationSpec, ProjectionSpec, RecordSpec,
    SourceKind, SourceSpec,
};
use rand::Rng;

/// How the error reaches the hidden layer (the paper's knob).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackMode {
    /// Feedback synapses get the same local update as their forward twins (Kolen–Pollack style).
    Mirrored,
    /// Fixed random feedback (feedback alignment).
    Random,
    /// No feedback: the hidden layer is not trained.
    None,
}

impl FeedbackMode {
    /// Parse `mirrored | random | none`.
    pub fn parse(s: &str) -> Option<FeedbackMode> {
        Some(match s {
            "mirrored" => FeedbackMode::Mirrored,
            "random" => FeedbackMode::Random,
            "none" => FeedbackMode::None,
            _ => return None,
        })
    }
}

/// Knobs of the network and its learning circuits (SI units).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NetConfig {
    /// Hidden neurons (0: no hidden layer, inputs project straight onto the outputs).
    pub n_hidden: usize,
    /// Output neurons per class.
    pub n_per_class: usize,
    /// Error propagation.
    pub feedback: FeedbackMode,
    /// Storage of the plastic weights.
    pub storage: WeightStorage,
    /// When the weight-update circuits act: at error spikes or continuously.
    pub update: UpdateMode,
    /// Lognormal spread of a mirrored feedback twin's learning rate relative to its forward synapse
    /// (the mismatch of its own weight capacitor; the update circuit is shared).
    pub twin_sigma_ln: f64,
    /// Upper bound of input->hidden weights, A.
    pub w1_max: f64,
    /// Upper bound of hidden->output weights, A.
    pub w2_max: f64,
    /// Learning rate of W1 per error spike at pre trace 1, A.
    pub eta1: f64,
    /// Learning rate of W2, A.
    pub eta2: f64,
    /// Pre-synaptic trace time constant, s.
    pub tau_pre: f64,
    /// Calcium window on the post neurons (rates above ~`theta_high/tau` Hz stop learning).
    pub calcium: CalciumWindow,
    /// Dead zone of the error neurons: a constant current subtracted from their input, A.
    pub dead_zone: f64,
    /// Teacher rate, Hz.
    pub rate_teacher: f64,
    /// Teacher -> error-neuron weight, A.
    pub w_teacher: f64,
    /// Output -> error-neuron weight, A.
    pub w_out_err: f64,
    /// Mutual inhibition between classes (GABA), A.
    pub w_inhibit: f64,
    /// Fixed slow (NMDA) input->hidden weight bound, A.
    pub w_slow_max: f64,
    /// Hidden spike thresholds are log-spread over this range, A.
    pub hidden_thresholds: (f64, f64),
    /// NMDA voltage-gating threshold of the hidden neurons, A (NMDA passes once `I_mem` exceeds it).
    pub nmda_thr: f64,
    /// Lognormal spread of per-synapse learning rates (0 on ideal circuits).
    pub eta_sigma_ln: f64,
    /// Lateral (all-to-all, GABA) inhibition among hidden neurons, A (0: none).
    pub w_hidden_inhibit: f64,
    /// Contrastive error wiring, as a fraction of the own-class weights (0: none): every error pair
    /// also sees the other classes' teacher and mean output with the opposite sign, so that it codes
    /// `(T_own - T_other) - (O_own - O_other)` and the updates of competing classes are equal and
    /// opposite (the common mode of the readout does not drift).
    pub contrast: f64,
    /// Fixed inhibitory (GABA) input->hidden ramp, A: each hidden neuron gets inhibition graded across
    /// the channels like its slow ramp (> 0) or its mirror image (< 0); 0: none. With a slow hidden
    /// GABA synapse this vetoes the non-preferred order (Barlow–Levick direction selectivity).
    pub w_inh_ramp: f64,
    /// Time constant of the hidden neurons' GABA synapse as a multiple of the 10 ms default.
    pub hidden_gaba_tau: f64,
    /// Rate of the always-on bias source, Hz (0: no bias). Its plastic excitatory projection onto the
    /// outputs learns by the same rule as W2 and gives each output a learnable offset: without it two
    /// outputs that see the same monotone hidden feature (e.g. total activity on `sync`) cannot cross.
    pub bias_rate: f64,
    /// Upper bound of the bias->output weights, A.
    pub w_bias_max: f64,
    /// Coincidence-detector hidden neurons, appended to the `n_hidden` sequence detectors (only
    /// with a hidden layer): fast (AMPA-only) uniform input weights [`NetConfig::w_coinc`] from a
    /// random subset of the channels, no slow or inhibitory input, the threshold of the middle of
    /// the hidden range. A synchronous volley drives them far above rheobase; the same spikes spread
    /// out in time stay below it, so they fire for `sync` and stay silent for `async`.
    pub n_coinc: usize,
    /// Input weight of the coincidence detectors, A (a multiple of `w_slow_max / 15` lands exactly
    /// on a weight level of a `dynapse2` core).
    pub w_coinc: f64,
    /// Fan-in (number of input channels) of the coincidence detectors, spread linearly from the
    /// first to the second value across them: it sets how synchronous a volley must be to drive
    /// them, independently of weight quantization.
    pub coinc_fanin: (usize, usize),
    /// Fixed inhibitory (GABA) weight of the coincidence detectors from the same channels, as a
    /// fraction of [`NetConfig::w_coinc`]. With the slow hidden GABA synapse this balances the
    /// excitation on average (async input nets ~0) while a synchronous volley's fast excitation
    /// outruns the slow inhibition (feed-forward inhibition makes the coincidence window).
    pub coinc_inh: f64,
    /// Integrator hidden neurons, appended after the coincidence detectors (only with a hidden
    /// layer): uniform slow (NMDA) weights [`NetConfig::w_integ_slow`] and fast (AMPA) weights
    /// [`NetConfig::w_integ_fast`] from every channel. Driven hard, a neuron's rate saturates, so the
    /// same spikes spread out in time give more output spikes than one volley: they fire more for
    /// `async` than for `sync` (the feature with the opposite sign of the coincidence detectors).
    pub n_integ: usize,
    /// Slow (NMDA) input weight of the integrator neurons, A.
    pub w_integ_slow: f64,
    /// Fast (AMPA) input weight of the integrator neurons, A (opens their NMDA gate).
    pub w_integ_fast: f64,
    /// Channel groups of the sequence detectors' ramps (1: one ramp across all channels). With
    /// `k > 1` the channels split into `k` consecutive groups (`i * k / n_in`, as `xor` splits its
    /// two groups) and each hidden neuron gets a slow ramp (and the inhibitory ramp and fast mirror
    /// derived from it) within every group, rising or falling independently per group: a detector
    /// of each group's direction instead of one detector dominated by the last group.
    pub ramp_groups: usize,
    /// Stop-learning window of the hidden layer's learning (W1) when it differs from
    /// [`NetConfig::calcium`] (`None`: the shared window). A lower threshold above 0 lets a hidden
    /// neuron learn only while it is active (calcium from its own recent spikes): the derivative of
    /// a rectifying unit in back-propagation, which makes the hidden update depend on the
    /// presentation's combination of features (conjunctions) rather than on the error alone.
    pub w1_calcium: Option<CalciumWindow>,
    /// With [`NetConfig::ramp_groups`] `k > 1`: each sequence detector `h` gets its fixed slow and
    /// inhibitory ramps and its initial fast weights only from its own group `h % k`; its fast (W1)
    /// weights from the other groups start at 0 and are left to learning. The frozen layer then codes
    /// each group's direction separately (a neuron's count depends on one group only), so no readout
    /// of it can solve `xor`; combinations across groups exist only if W1 learns them.
    pub ramp_group_local: bool,
    /// Dead zone of the hidden error neurons, A, when it differs from [`NetConfig::dead_zone`]
    /// (`None`: the same). With a low teacher rate the output error neurons fire little, and the
    /// feedback they send (weighted by `B`, of the order of `W2`) stays below the shared dead zone:
    /// the hidden layer then never learns.
    pub hidden_dead_zone: Option<f64>,
    /// Calcium window of the output layer's learning circuits (W2 and the bias projection), e.g.
    /// with direction-specific stop-learning thresholds (potentiation only while an output's
    /// calcium is below `theta_up`, depression only while it is above `theta_down`); `None`: the
    /// same window as the hidden layer ([`NetConfig::calcium`]).
    pub calcium_out: Option<CalciumWindow>,
    /// When the teacher fires within a training presentation, `(t_on, t_off)` in s from the
    /// presentation start (`None`: the whole presentation). The outputs answer in bursts after the
    /// input; a teacher gated to that response window asks for a rate they can reach there, so the
    /// error pair can fall silent once they do (docs/train-tuning.md, session 3: teacher window).
    /// The regular train keeps its phase: spikes at `(k + 1/2) / rate` that fall in the window.
    pub teacher_window: Option<(f64, f64)>,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            n_hidden: 32,
            n_per_class: 4,
            feedback: FeedbackMode::Mirrored,
            storage: WeightStorage::Analog,
            update: UpdateMode::Event,
            twin_sigma_ln: 0.0,
            w1_max: 3e-10,
            w2_max: 4e-10,
            eta1: 3e-13,
            eta2: 4e-12,
            tau_pre: 0.02,
            calcium: CalciumWindow::symmetric(
                TraceParams {
                    tau: 0.05,
                    jump: 1.0,
                },
                -1.0,
                15.0,
            ),
            dead_zone: 3e-11,
            rate_teacher: 100.0,
            w_teacher: 3e-9,
            w_out_err: 3e-9,
            w_inhibit: 3e-10,
            w_slow_max: 1.2e-9,
            hidden_thresholds: (1.5e-10, 1.2e-9),
            nmda_thr: 2e-11,
            eta_sigma_ln: 0.0,
            w_hidden_inhibit: 0.0,
            contrast: 0.0,
            w_inh_ramp: 3e-10,
            hidden_gaba_tau: 5.0,
            bias_rate: 100.0,
            w_bias_max: 1e-9,
            n_coinc: 0,
            w_coinc: 2.4e-10,
            coinc_fanin: (10, 16),
            coinc_inh: 5.0 / 3.0,
            n_integ: 0,
            w_integ_slow: 1.2e-9,
            w_integ_fast: 8e-11,
            ramp_groups: 1,
            w1_calcium: None,
            ramp_group_local: false,
            hidden_dead_zone: None,
            calcium_out: None,
            teacher_window: None,
        }
    }
}

impl NetConfig {
    /// The preset for a task (`TaskSet::name`: `order`, `sync`, ...): the defaults, plus per-pattern
    /// overrides. `sync` adds 16 coincidence detectors (fast weight 2.4e-10 A from 10–16 channels,
    /// balanced by 4e-10 A of slow inhibition from the same channels; both are weight levels 3 and 5
    /// of a `dynapse2` hidden core) and a 50 Hz teacher, which the outputs can reach: measured in
    /// docs/train-tuning.md (ideal, seeds 1–3, `none`: 0.75 -> 0.95 median final), and
    /// direction-specific stop-learning on the outputs ([`NetConfig::stop_learning_out`]: session 3
    /// of docs/train-tuning.md) stays a knob. `order` gates its teacher to the outputs' response
    /// window, 40–90 ms of the 200 ms presentation, at 70 Hz ([`NetConfig::teacher_window`]): the
    /// error pair then falls silent once the outputs answer (`mixsig train --profile none --seeds
    /// 1..10`: error end/start median 0.098, accuracy median 1.00; docs/train-tuning.md, "Session 3:
    /// teacher window and error ratio"). The other tasks keep the defaults (the sequence-detector
    /// preset, teacher on for the whole presentation).
    pub fn for_task(task: &str) -> NetConfig {
        let d = NetConfig::default();
        match task {
            "sync" => NetConfig {
                n_coinc: 16,
                rate_teacher: 50.0,
                ..d
            },
            "order" => NetConfig {
                rate_teacher: 70.0,
                teacher_window: Some((0.04, 0.09)),
                ..d
            },
            _ => d,
        }
    }

    /// The output layer's calcium window: the symmetric window of [`NetConfig::calcium`] plus
    /// direction-specific thresholds: potentiation stops once an output's calcium reaches `up`
    /// (with the 50 ms trace, `up = 1` is ~20 Hz), depression once it falls to `down`.
    pub fn stop_learning_out(&self, up: f64, down: f64) -> CalciumWindow {
        CalciumWindow {
            theta_up: Some(up),
            theta_down: Some(down),
            ..self.calcium
        }
    }
}

/// Projection indices of the preset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    /// Plastic input->hidden (AMPA), if there is a hidden layer.
    pub w1: Option<usize>,
    /// Plastic ->output (AMPA).
    pub w2: usize,
    /// Feedback projections e+_out -> e+_hid and e-_out -> e-_hid, if the hidden layer is trained.
    pub feedback: Option<(usize, usize)>,
    /// Number of classes.
    pub n_classes: usize,
}

/// The operating point of every neuron of the preset (learning.md, prototype note 1): membrane gain
/// 20x the leak and a 1 nA threshold give 0–330 Hz for 10 pA–1 nA of input; a slow (80 ms) NMDA DPI
/// next to the fast AMPA one.
pub fn base_params() -> NeuronParams {
    let mut p = NeuronParams::default();
    p.i_gain_mem = 20.0 * p.i_tau_mem;
    p.i_spkthr = 1e-9;
    p.i_tau_nmda = p.i_tau_ampa / 8.0; // 80 ms
    p.i_gain_nmda = 100.0 * p.i_tau_nmda;
    p
}

fn dense(from: &str, to: &str, syn: SynapseType, w: Vec<f64>) -> ProjectionSpec {
    ProjectionSpec {
        from: from.into(),
        to: to.into(),
        synapse: syn,
        connect: Connectivity::Dense(w),
        weight: 0.0,
        delay: 0.0,
    }
}

fn explicit(from: &str, to: &str, syn: SynapseType, t: Vec<(u32, u32, f64)>) -> ProjectionSpec {
    ProjectionSpec {
        from: from.into(),
        to: to.into(),
        synapse: syn,
        connect: Connectivity::Explicit(t),
        weight: 0.0,
        delay: 0.0,
    }
}

/// Build the network for `n_in` input channels and `n_classes` classes. Initial weights are drawn
/// from identity-keyed streams of `seed`.
pub fn build(n_in: usize, n_classes: usize, cfg: &NetConfig, seed: u64) -> (NetworkSpec, Layout) {
    let base = base_params();
    let n_out = n_classes * cfg.n_per_class;
    let hidden = cfg.n_hidden > 0;
    // Sequence detectors first, then the coincidence detectors.
    let n_seq = cfg.n_hidden;
    let n_hid = if hidden {
        n_seq + cfg.n_coinc + cfg.n_integ
    } else {
        0
    };
    let n_cd = cfg.n_coinc;
    let mut r = rng::stream(seed, &[name_id("train-init")]);
    let mut uniform =
        |n: usize, hi: f64| -> Vec<f64> { (0..n).map(|_| r.gen::<f64>() * hi).collect() };

    let mut err_params = base;
    err_params.i_tau_ampa = base.i_tau_ampa / 3.0; // ~30 ms synapses onto error neurons
    err_params.i_gain_ampa = 100.0 * err_params.i_tau_ampa;
    let pop = |name: &str, size: usize, p: NeuronParams| PopulationSpec {
        name: name.into(),
        size,
        model: ModelKind::Physical(Feedback::Exponential),
        params: p,
        per_neuron: None,
    };
    let mut spec = NetworkSpec {
        sources: vec![
            SourceSpec {
                name: "in".into(),
                size: n_in,
                kind: SourceKind::List { times: Vec::new() },
            },
            SourceSpec {
                name: "teacher".into(),
                size: n_classes,
                kind: SourceKind::List { times: Vec::new() },
            },
        ],
        record: RecordSpec {
            spikes: Some(vec!["out".into(), "eo_p".into(), "eo_n".into()]),
            stride: 1,
            ..Default::default()
        },
        ..Default::default()
    };
    let (lo, hi) = cfg.hidden_thresholds;
    if hidden {
        let per_neuron: Vec<NeuronParams> = (0..n_hid)
            .map(|i| {
                let mut p = base;
                let f = if i >= n_seq {
                    0.5
                } else if n_seq > 1 {
                    i as f64 / (n_seq - 1) as f64
                } else {
                    0.5
                };
                p.i_spkthr = lo * (hi / lo).powf(f);
                p.i_nmda_thr = cfg.nmda_thr;
                p.i_tau_gaba /= cfg.hidden_gaba_tau;
                p.i_gain_gaba /= cfg.hidden_gaba_tau;
                p
            })
            .collect();
        spec.populations.push(PopulationSpec {
            per_neuron: Some(per_neuron),
            // The shared parameters (what a die's core gets) carry everything but the thresholds.
            ..pop("hid", n_hid, {
                let mut p = base;
                p.i_nmda_thr = cfg.nmda_thr;
                p.i_tau_gaba /= cfg.hidden_gaba_tau;
                p.i_gain_gaba /= cfg.hidden_gaba_tau;
                p
            })
        });
    }
    spec.populations.push(pop("out", n_out, base));
    spec.populations.push(pop("eo_p", n_out, err_params));
    spec.populations.push(pop("eo_n", n_out, err_params));
    if hidden && cfg.feedback != FeedbackMode::None {
        spec.populations.push(pop("eh_p", n_hid, err_params));
        spec.populations.push(pop("eh_n", n_hid, err_params));
    }
    // The dead zone: error neurons fire only once their net input beats it.
    for e in ["eo_p", "eo_n", "eh_p", "eh_n"] {
        if spec.populations.iter().any(|p| p.name == e) {
            let dz = match (e.starts_with("eh"), cfg.hidden_dead_zone) {
                (true, Some(d)) => d,
                _ => cfg.dead_zone,
            };
            spec.dc.push(DcSpec {
                population: e.into(),
                neurons: None,
                steps: vec![(0.0, -dz)],
            });
        }
    }

    let mut w1 = None;
    let pre_out = if hidden { "hid" } else { "in" };
    let n_pre_out = if hidden { n_hid } else { n_in };
    if hidden {
        // The fixed slow path: each hidden neuron gets a random ramp of NMDA weights across the input
        // channels (rising or falling), so that with an 80 ms synapse the order in which channels fire
        // changes how much of their charge lands inside the presentation: timing becomes counts.
        let mut slow = vec![0.0; n_in * n_hid];
        let noise = uniform(n_in * n_hid + n_hid, 1.0);
        // Channel groups: the first group's direction is the draw of the one-ramp preset, the
        // others come from their own stream (the one-group preset draws nothing more).
        let k = cfg.ramp_groups.clamp(1, n_in.max(1));
        let starts: Vec<usize> = (0..=k).map(|g| g * n_in / k).collect();
        let mut rg = rng::stream(seed, &[name_id("train-init-groups")]);
        let group_up: Vec<Vec<bool>> = (0..n_seq)
            .map(|h| {
                (0..k)
                    .map(|g| {
                        if g == 0 {
                            noise[n_in * n_hid + h] < 0.5
                        } else {
                            rg.gen::<f64>() < 0.5
                        }
                    })
                    .collect()
            })
            .collect();
        for h in 0..n_seq {
            for i in 0..n_in {
                let g = (0..k).rev().find(|&g| starts[g] <= i).unwrap_or(0);
                let (a, len) = (starts[g], starts[g + 1] - starts[g]);
                let f = if len > 1 {
                    (i - a) as f64 / (len - 1) as f64
                } else {
                    0.5
                };
                let up = group_up[h][g];
                let ramp = if up { f } else { 1.0 - f };
                slow[i * n_hid + h] = cfg.w_slow_max * (0.8 * ramp + 0.2 * noise[i * n_hid + h]);
            }
        }
        // Group-local detectors: no fixed input from the other groups.
        let foreign = |i: usize, h: usize| {
            k > 1
                && cfg.ramp_group_local
                && h < n_seq
                && (0..k).rev().find(|&g| starts[g] <= i).unwrap_or(0) != h % k
        };
        for i in 0..n_in {
            for h in 0..n_seq {
                if foreign(i, h) {
                    slow[i * n_hid + h] = 0.0;
                }
            }
        }
        // The plastic fast path starts as the mirror image of the slow ramp: with NMDA gated by the
        // membrane (`nmda_thr`), a neuron whose slow inputs come first and whose fast inputs come
        // last fires more than for the reverse order (a sequence detector).
        let mut fast: Vec<f64> = slow
            .iter()
            .enumerate()
            .map(|(s, w)| {
                if foreign(s / n_hid, s % n_hid) {
                    return 0.0;
                }
                0.5 * cfg.w1_max * (1.0 - w / cfg.w_slow_max).clamp(0.0, 1.0)
            })
            .collect();
        // Coincidence detectors: uniform fast weights from a random subset of the channels.
        let n_c = n_cd;
        let order_noise = uniform(n_c * n_in, 1.0);
        for c in 0..n_c {
            let (a, b) = cfg.coinc_fanin;
            let f = if n_c > 1 {
                c as f64 / (n_c - 1) as f64
            } else {
                0.5
            };
            let k = ((a as f64 + (b as f64 - a as f64) * f).round() as usize).clamp(1, n_in);
            let mut chans: Vec<usize> = (0..n_in).collect();
            chans.sort_by(|&x, &y| order_noise[c * n_in + x].total_cmp(&order_noise[c * n_in + y]));
            let h = n_seq + c;
            for (rank, &i) in chans.iter().enumerate() {
                fast[i * n_hid + h] = if rank < k { cfg.w_coinc } else { 0.0 };
            }
        }
        for h in n_seq + n_c..n_hid {
            for i in 0..n_in {
                fast[i * n_hid + h] = cfg.w_integ_fast;
                slow[i * n_hid + h] = cfg.w_integ_slow;
            }
        }
        w1 = Some(spec.projections.len());
        spec.projections
            .push(dense("in", "hid", SynapseType::Ampa, fast.clone()));
        spec.projections
            .push(dense("in", "hid", SynapseType::Nmda, slow.clone()));
        if cfg.w_inh_ramp != 0.0 || (n_c > 0 && cfg.coinc_inh > 0.0) {
            let inh: Vec<f64> = slow
                .iter()
                .enumerate()
                .map(|(s, w)| {
                    if s % n_hid >= n_seq + n_c {
                        return 0.0;
                    }
                    if s % n_hid >= n_seq {
                        return cfg.coinc_inh * fast[s];
                    }
                    if foreign(s / n_hid, s % n_hid) {
                        return 0.0;
                    }
                    let r = (w / cfg.w_slow_max).clamp(0.0, 1.0);
                    let r = if cfg.w_inh_ramp > 0.0 { r } else { 1.0 - r };
                    cfg.w_inh_ramp.abs() * r
                })
                .collect();
            spec.projections
                .push(dense("in", "hid", SynapseType::Gaba, inh));
        }
        if cfg.w_hidden_inhibit > 0.0 {
            let lat: Vec<(u32, u32, f64)> = (0..n_hid)
                .flat_map(|a| (0..n_hid).map(move |b| (a, b)))
                .filter(|(a, b)| a != b)
                .map(|(a, b)| (a as u32, b as u32, cfg.w_hidden_inhibit))
                .collect();
            spec.projections
                .push(explicit("hid", "hid", SynapseType::Gaba, lat));
        }
    }
    let bias = if cfg.bias_rate > 0.0 {
        spec.sources.push(SourceSpec {
            name: "bias".into(),
            size: 1,
            kind: SourceKind::Regular {
                rate: cfg.bias_rate,
                phase: 0.0,
            },
        });
        spec.projections.push(dense(
            "bias",
            "out",
            SynapseType::Ampa,
            vec![0.5 * cfg.w_bias_max; n_out],
        ));
        Some(spec.projections.len() - 1)
    } else {
        None
    };
    let w2 = spec.projections.len();
    let w2_init = uniform(n_pre_out * n_out, 0.5 * cfg.w2_max);
    spec.projections
        .push(dense(pre_out, "out", SynapseType::Ampa, w2_init.clone()));
    // Mutual inhibition between classes.
    let class_of = |o: usize| o / cfg.n_per_class;
    let mut inh = Vec::new();
    for a in 0..n_out {
        for b in 0..n_out {
            if class_of(a) != class_of(b) {
                inh.push((a as u32, b as u32, cfg.w_inhibit));
            }
        }
    }
    spec.projections
        .push(explicit("out", "out", SynapseType::Gaba, inh));
    // Teacher: excites e+ and inhibits e- of its class; outputs do the opposite.
    let teach: Vec<(u32, u32, f64)> = (0..n_out)
        .map(|o| (class_of(o) as u32, o as u32, cfg.w_teacher))
        .collect();
    spec.projections.push(explicit(
        "teacher",
        "eo_p",
        SynapseType::Ampa,
        teach.clone(),
    ));
    spec.projections
        .push(explicit("teacher", "eo_n", SynapseType::Gaba, teach));
    let one: Vec<(u32, u32, f64)> = (0..n_out)
        .map(|o| (o as u32, o as u32, cfg.w_out_err))
        .collect();
    spec.projections
        .push(explicit("out", "eo_n", SynapseType::Ampa, one.clone()));
    spec.projections
        .push(explicit("out", "eo_p", SynapseType::Gaba, one));
    if cfg.contrast > 0.0 && n_classes > 1 {
        let k = cfg.contrast / (n_classes - 1) as f64;
        let teach_x: Vec<(u32, u32, f64)> = (0..n_classes)
            .flat_map(|c| (0..n_out).map(move |o| (c, o)))
            .filter(|&(c, o)| class_of(o) != c)
            .map(|(c, o)| (c as u32, o as u32, k * cfg.w_teacher))
            .collect();
        spec.projections.push(explicit(
            "teacher",
            "eo_n",
            SynapseType::Ampa,
            teach_x.clone(),
        ));
        spec.projections
            .push(explicit("teacher", "eo_p", SynapseType::Gaba, teach_x));
        let out_x: Vec<(u32, u32, f64)> = (0..n_out)
            .flat_map(|a| (0..n_out).map(move |o| (a, o)))
            .filter(|&(a, o)| class_of(a) != class_of(o))
            .map(|(a, o)| {
                (
                    a as u32,
                    o as u32,
                    k * cfg.w_out_err / cfg.n_per_class as f64,
                )
            })
            .collect();
        spec.projections
            .push(explicit("out", "eo_p", SynapseType::Ampa, out_x.clone()));
        spec.projections
            .push(explicit("out", "eo_n", SynapseType::Gaba, out_x));
    }

    let mut feedback = None;
    if hidden && cfg.feedback != FeedbackMode::None {
        // B[h][o] scaled from W2[o][h] (mirrored: equal at start; random: fixed random).
        let b: Vec<f64> = match cfg.feedback {
            FeedbackMode::Mirrored => (0..n_out * n_hid)
                .map(|s| {
                    let (o, h) = (s / n_hid, s % n_hid);
                    w2_init[h * n_out + o]
                })
                .collect(),
            _ => uniform(n_out * n_hid, 0.5 * cfg.w2_max),
        };
        let a = spec.projections.len();
        spec.projections
            .push(dense("eo_p", "eh_p", SynapseType::Ampa, b.clone()));
        spec.projections
            .push(dense("eo_n", "eh_n", SynapseType::Ampa, b));
        feedback = Some((a, a + 1));
    }

    let calcium_out = cfg.calcium_out.unwrap_or(cfg.calcium);
    let learn = |projection: usize,
                 ep: &str,
                 en: &str,
                 eta: f64,
                 w_max: f64,
                 mirrors: Vec<usize>,
                 calcium: CalciumWindow| {
        LearningSpec {
            projection,
            err_pos: ep.into(),
            err_neg: en.into(),
            pre_trace: TraceParams {
                tau: cfg.tau_pre,
                jump: 1.0,
            },
            calcium: Some(calcium),
            eta,
            w_max,
            storage: cfg.storage,
            mirrors,
            eta_sigma_ln: cfg.eta_sigma_ln,
            twin_sigma_ln: cfg.twin_sigma_ln,
            update: cfg.update,
        }
    };
    let mirrors = match (cfg.feedback, feedback) {
        (FeedbackMode::Mirrored, Some((a, b))) => vec![a, b],
        _ => Vec::new(),
    };
    spec.learning.push(learn(
        w2,
        "eo_p",
        "eo_n",
        cfg.eta2,
        cfg.w2_max,
        mirrors,
        calcium_out,
    ));
    if let Some(b) = bias {
        spec.learning.push(learn(
            b,
            "eo_p",
            "eo_n",
            cfg.eta2,
            cfg.w_bias_max,
            Vec::new(),
            calcium_out,
        ));
    }
    if let (Some(w1), Some(_)) = (w1, feedback) {
        spec.learning.push(learn(
            w1,
            "eh_p",
            "eh_n",
            cfg.eta1,
            cfg.w1_max,
            Vec::new(),
            cfg.w1_calcium.unwrap_or(cfg.calcium),
        ));
    }
    (
        spec,
        Layout {
            w1,
            w2,
            feedback,
            n_classes,
        },
    )
}
