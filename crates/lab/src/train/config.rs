//! The knobs of the training network preset: [`NetConfig`] (sizes, weights, biases, learning rates,
//! stop-learning windows, teacher) with its defaults and per-task overrides ([`NetConfig::for_task`]),
//! and the feedback mode ([`FeedbackMode`]). [`super::network::build`] turns a config into a network.

use super::protocol::TeacherAnchor;
use mixsig_circuits::learning::{CalciumWindow, TraceParams, UpdateMode, WeightStorage};

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

/// A signed readout: every W2 synapse gets a plastic inhibitory (GABA) twin from the same hidden
/// neuron onto the same output, trained by the same local rule with the error pair swapped (an
/// `e-` spike potentiates it, an `e+` spike depresses it), starting at 0. The effective weight
/// `W2 - twin` can go below zero, so an output can subtract a feature that the other class drives
/// too. It doubles the outputs' fan-in from the hidden layer; it is not mirrored into the feedback
/// weights (they keep following W2).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SignedReadout {
    /// Upper bound of each twin synapse, A.
    pub w_max: f64,
    /// Learning rate of the twins, A per error spike at a full pre-synaptic trace.
    pub eta: f64,
    /// Dead zone of the output error neurons while the twins are there, A (replaces
    /// [`NetConfig::dead_zone`] on them; the hidden error neurons keep theirs): with a signed
    /// readout the outputs come closer to their targets, and the wider dead zone lets the output
    /// error pairs fall silent there.
    pub dead_zone: f64,
    /// Learning-rate decay of the whole network while the twins are there, in training
    /// presentations (replaces [`NetConfig::eta_decay`]): the twins and the readout they pair
    /// with are still settling when a decay over 100 presentations has quartered their rates.
    pub eta_decay: f64,
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
    /// Dead zone of the error neurons: a constant current subtracted from their input, A (the
    /// output `e-` neurons and the hidden pairs can have their own: [`NetConfig::dead_zone_neg`],
    /// [`NetConfig::hidden_dead_zone`]).
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
    /// Time constants of the error neurons' (output and hidden pairs) AMPA and GABA synapses as
    /// multiples of the 10 ms default: `(3, 1)` by default (learning.md, prototype note 5: ~30 ms
    /// excitation). The teacher excites `e+` through AMPA and the output inhibits it through GABA
    /// (and the other way round for `e-`), so the two time constants set over how long the pair
    /// compares the two rates: short ones make it fire on the gaps of a bursty output even when
    /// the mean rates match.
    pub error_tau: (f64, f64),
    /// Rate of the always-on bias source, Hz (0: no bias). Its plastic excitatory projection onto the
    /// outputs learns by the same rule as W2 and gives each output a learnable offset: without it two
    /// outputs that see the same monotone hidden feature (e.g. total activity on `sync`) cannot cross.
    pub bias_rate: f64,
    /// Upper bound of the bias->output weights, A (the sum over an output's
    /// [`NetConfig::bias_synapses`]).
    pub w_bias_max: f64,
    /// Synapses of the bias projection per output (0 counts as 1): the bias source becomes this many neurons
    /// firing together, each with its own plastic synapse onto every output, bounded by
    /// `w_bias_max / k` and learning at `eta2 / k`. On ideal analog circuits the sum moves as one
    /// synapse would (up to floating-point rounding); with n-bit storage the sum has `k` times finer steps and the
    /// stochastic rounding of the `k` synapses is independent (for updates smaller than a step the
    /// sum's rounding noise is ~`sqrt(k)` times smaller; the bias is the readout's coarsest weight:
    /// one 4-bit step of a 1e-9 A bound is 6.7e-11 A); on dies each synapse has its own mismatch.
    pub bias_synapses: usize,
    /// A plastic inhibitory twin of every W2 synapse (`None`: an excitatory readout only); see
    /// [`SignedReadout`].
    pub signed_readout: Option<SignedReadout>,
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
    /// Dead zone of the output `e-` neurons, A, when it differs from [`NetConfig::dead_zone`]
    /// (`None`: the same). An output of a class that is not presented drives only its `e-`
    /// (its teacher is silent), so this sets the rate below which a wrong class's output is left
    /// alone: a margin rather than silence as the zero-error point.
    pub dead_zone_neg: Option<f64>,
    /// Calcium window of the output layer's learning circuits (W2 and the bias projection), e.g.
    /// with direction-specific stop-learning thresholds (potentiation only while an output's
    /// calcium is below `theta_up`, depression only while it is above `theta_down`); `None`: the
    /// same window as the hidden layer ([`NetConfig::calcium`]).
    pub calcium_out: Option<CalciumWindow>,
    /// When the teacher fires within a training presentation, `(t_on, t_off)` in s from the anchor
    /// ([`NetConfig::teacher_anchor`]: the presentation start by default) (`None`: the whole
    /// presentation). The outputs answer in bursts after the input; a teacher gated to that response
    /// window asks for a rate they can reach there, so the error pair can fall silent once they do
    /// (docs/train-tuning.md, session 3: teacher window). The regular train keeps its phase from
    /// the anchor: spikes at `anchor + (k + 1/2) / rate` that fall in the window.
    pub teacher_window: Option<(f64, f64)>,
    /// What [`NetConfig::teacher_window`] counts from: the presentation start (default) or the
    /// presentation's first input spike, so that the window follows a cue that comes at a varying
    /// time (docs/train-tuning.md, session 5). The first spike of any channel opens it: with
    /// recorded data, a stray early spike moves the window too.
    pub teacher_anchor: TeacherAnchor,
    /// Learning-rate decay, in training presentations: every learning circuit's rate bias is scaled
    /// by `1 / (1 + n / eta_decay)` after `n` presentations (0: no decay). The default, 100, quarters
    /// the rates by the 300th presentation; the `sync` preset decays over 1000. A signed readout
    /// brings its own
    /// ([`SignedReadout::eta_decay`]; [`NetConfig::learning_rate_decay`] is the one that applies).
    pub eta_decay: f64,
    /// Random-order detectors: each sequence detector's ramp runs over its own random permutation of
    /// the channels (within each of the [`NetConfig::ramp_groups`]) instead of the channel index, so
    /// that it prefers one random order of the channels rather than "low channels first" or "high
    /// channels first". The inhibitory ramp and the initial fast weights follow the permuted slow
    /// ramp. On `frozen-poisson` the index ramps all respond to the same coarse order of a template
    /// (one class drives most detectors, the other is nearly silent); random orders split the
    /// detectors between the classes. Off by default (no extra random draws).
    pub ramp_shuffle: bool,
    /// Class-pooled output errors: every error spike of an output's pair updates all
    /// [`NetConfig::n_per_class`] outputs of its class by `eta2 / n_per_class`
    /// (`LearningSpec::error_group`), so each output learns from its class's mean error and one
    /// error pair's mismatch (a deaf `e-`, an over-eager `e+`) is averaged over the class.
    /// Off by default (each pair trains only its own output). Read back from a network file as
    /// on when the readout's `error_group` equals `n_per_class` (> 1).
    pub error_pool: bool,
    /// A plastic conjunction layer behind the detectors (0: none, the detectors are the trained
    /// hidden layer). With `n_conj > 0` the detectors (the `n_hidden` sequence detectors and any
    /// coincidence detectors or integrators) become a fixed layer `ds` whose input weights never
    /// learn, and the hidden layer `hid` is `n_conj` neurons fed by every detector through W1
    /// (their AMPA synapse slowed to 80 ms and not voltage-gated, so a detector's spike early in the
    /// presentation still counts when a later one arrives; plastic) and through a fixed uniform inhibition
    /// [`NetConfig::w_conj_inh`] with the same time course. The inhibition subtracts the same
    /// amount per detector spike, so a conjunction neuron's drive is `sum_j (w_j - w_inh) x_j`: an
    /// effective weight of either sign, learning.md's fixed inhibitory path. With group-local
    /// detectors ([`NetConfig::ramp_group_local`]) the fixed layer codes each group's direction
    /// separately and W1 must learn which combinations to join (`xor`).
    pub n_conj: usize,
    /// Mean initial W1 weight of the conjunction layer, A (uniform in `w_conj * (1 ± conj_spread)`).
    pub w_conj: f64,
    /// Relative spread of the conjunction layer's initial W1 weights.
    pub conj_spread: f64,
    /// Fixed inhibitory (GABA) weight from every detector to every conjunction neuron, A.
    pub w_conj_inh: f64,
    /// Upper bound of the conjunction layer's W1 weights, A (with [`NetConfig::n_conj`] > 0; the
    /// detectors' fixed fast weights keep their scale from [`NetConfig::w1_max`]).
    pub w_conj_max: f64,
    /// Zero-sum W1 updates (`LearningSpec::zero_sum`): each hidden update moves weight from the
    /// synapses of inactive inputs to those of active ones, so the hidden layer's summed weight
    /// does not drift with errors that do not cancel exactly.
    pub w1_zero_sum: bool,
    /// Time constant of W1's pre-synaptic trace, s, when it differs from [`NetConfig::tau_pre`]
    /// (`None`: the same).
    pub tau_pre_w1: Option<f64>,
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
            error_tau: (3.0, 1.0),
            bias_rate: 100.0,
            w_bias_max: 1e-9,
            bias_synapses: 1,
            n_coinc: 0,
            signed_readout: None,
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
            dead_zone_neg: None,
            calcium_out: None,
            teacher_window: None,
            teacher_anchor: TeacherAnchor::Start,
            eta_decay: 100.0,
            ramp_shuffle: false,
            error_pool: false,
            n_conj: 0,
            w_conj: 3e-10,
            conj_spread: 0.5,
            w_conj_inh: 2e-10,
            w_conj_max: 5e-10,
            w1_zero_sum: false,
            tau_pre_w1: None,
        }
    }
}

impl NetConfig {
    /// The preset for a task (`TaskSet::name`: `order`, `sync`, ...): the defaults, plus per-pattern
    /// overrides. `sync` adds 16 coincidence detectors (fast weight 2.4e-10 A from 10–16 channels,
    /// balanced by 4e-10 A of slow inhibition from the same channels; both are weight levels 3 and 5
    /// of a `dynapse2` hidden core) and a 70 Hz teacher gated to 10–50 ms after the presentation's
    /// first input spike ([`NetConfig::teacher_anchor`]): the volley comes at a different time in
    /// every presentation, and the outputs answer it within tens of ms, so the teacher asks for
    /// two spikes where they can give them and the error pair falls nearly silent once they do
    /// (docs/train-tuning.md, session 5). `sync` also stops an output's learning by direction
    /// ([`NetConfig::stop_learning_out`]`(1.0, 0.5)`: no potentiation once its calcium is above 1,
    /// ~20 Hz; no depression once it is below 0.5; docs/train-tuning.md, session 6: ideal median 0.95
    /// -> 1.00, 4-bit median on dynapse2 0.825 -> 0.875, per die more scattered) and widens the
    /// error neurons' dead zone to 4e-11 A (docs/train-tuning.md, session 7; 100 test presentations:
    /// ideal 10 seeds median 0.99 either way, min 0.89 -> 0.97, error end/start 0.30 -> 0.20;
    /// dynapse2 dies 0–19: 14/20 >= 0.85 either way, error end/start 0.35 -> 0.30) and pools each
    /// class's output errors ([`NetConfig::error_pool`]: every error spike updates the class's four
    /// outputs at a quarter of the rate, averaging the error pairs' mismatch; docs/train-tuning.md,
    /// session 12: `train_tune` screens over dies 0–19, seeds 1–3, 47/60 runs >= 0.85 against the
    /// unpooled 38/60; die 3 fails on every seed) and splits its bias projection over four
    /// synapses per output ([`NetConfig::bias_synapses`]: the same learning on ideal analog
    /// circuits; with 4-bit weights the offset's steps are four times finer; docs/train-tuning.md,
    /// session 17: dynapse2 dies 0–19, seed 1, 4-bit median 0.87 -> 0.94, 12 -> 16 dies within
    /// 0.10 of analog; on a die the output core's weight ladder and W2's mismatch draw change too).
    /// Its learning rates decay over 1000 presentations instead of 100 ([`NetConfig::eta_decay`]),
    /// with the dead zone at 4.5e-11 A: the slower decay keeps learning on the dies that are
    /// still settling, the wider dead zone lets the error pairs fall silent once they have
    /// (docs/train-tuning.md, sessions 19 and 20: `mixsig train --pattern sync --profile dynapse2
    /// --instances 0..19 --presentations 300 --n-test 100 --test-every 300`, error end/start 0.301
    /// -> 0.226, dies >= 0.85 17 -> 16 of 20). The output `e-` neurons' dead zone is narrower,
    /// 3.5e-11 A ([`NetConfig::dead_zone_neg`]): with 4.5e-11 A a class whose outputs fire 2–3
    /// spikes on every presentation silenced both its `e+` (on its own presentations) and its `e-`
    /// (on the others'), and stopped learning without telling the classes apart (docs/train-tuning.md,
    /// session 23; `scripts/train-results.sh`, seed 1: calibrated dies 0–19 17 -> 20 of 20 >= 0.85,
    /// raw 16 -> 17, 4-bit within 0.10 of analog 16 -> 18, ideal seeds 1–10 median 0.965 -> 0.995;
    /// error end/start higher: raw 0.226 -> 0.282, calibrated 0.137 -> 0.193, ideal 0.154 -> 0.230).
    /// `order`
    /// gates its teacher to the outputs' response
    /// window, 40–90 ms of the 200 ms presentation, at 70 Hz ([`NetConfig::teacher_window`]): the
    /// error pair then falls silent once the outputs answer (`mixsig train --profile none --seeds
    /// 1..10`: error end/start median 0.098, accuracy median 1.00; docs/train-tuning.md, "Session 3:
    /// teacher window and error ratio"). `xor` has two hidden stages: fixed group-local direction detectors
    /// ([`NetConfig::ramp_groups`] = 2, [`NetConfig::ramp_group_local`]: each fires ~1 spike for
    /// one direction of its own group whatever the other group does, so no readout of them can
    /// solve `xor`) feed a plastic conjunction layer of 48 neurons ([`NetConfig::n_conj`]: W1
    /// uniform in 3e-10 A ± 50 % up to 5e-10 A, a fixed 2e-10 A inhibition from every detector,
    /// so each neuron's drive is a signed sum of its detectors) that learns from the propagated
    /// error with zero-sum updates ([`NetConfig::w1_zero_sum`]), a 100 ms pre trace (the first
    /// group's detectors fire ~80 ms before the answer), learning only while it fires (calcium
    /// above 0.3: the derivative of a rectifier) and no hidden dead zone (eta 2e-10 A). The
    /// detectors' inhibitory ramp is 5e-10 A ([`NetConfig::w_inh_ramp`], 3e-10 A elsewhere): with
    /// the weaker ramp, mismatch lets a detector fire for both directions (docs/train-tuning.md,
    /// session 15) and the conjunction layer loses what it reads; the stronger one also helps on
    /// ideal circuits (session 26). The readout
    /// gates the 100 Hz teacher to 100–180 ms (the answer to the second group, which ends by 70% of
    /// the presentation and which the conjunction layer's 80 ms synapses carry on after it: a
    /// window closing at 160 ms made the error pairs fire on that tail), wires the error pairs
    /// contrastively ([`NetConfig::contrast`] = 1: the two classes' errors are equal and opposite)
    /// and doubles the output -> error-neuron weight ([`NetConfig::w_out_err`] = 6e-9 A: an output
    /// cancels the 100 Hz teacher at ~50 Hz, a rate the outputs reach in the answer window); its
    /// output error neurons have a dead zone of 1e-10 A (they fire for large errors only, so
    /// learning nearly stops once the classes are apart), all its error neurons (output and hidden
    /// pairs) a 20 ms GABA synapse ([`NetConfig::error_tau`] = (3, 2): an output spike cancels the
    /// teacher for longer), and the readout learns at twice the default rate (`eta2` 8e-12 A)
    /// (`mixsig train --profile none --pattern xor --seeds 1..10 --presentations 300 --n-test 100
    /// --test-every 300`: median 1.00 mirrored, 0.98 random, 0.50 with the conjunction layer
    /// fixed; error end/start 0.227; dynapse2 dies 0–19 0.66, calibrated 0.77 with session 29's
    /// error-pair calibration; docs/train-tuning.md,
    /// "Session 26"; with the 3e-10 A ramp, session 16: 0.935, 0.93, 0.49, error end/start 0.245,
    /// dies 0.50; with the window at 160 ms
    /// and 10 ms GABA, session 15: 0.955, 0.93, 0.43, error end/start 0.41; session 14: 0.93,
    /// 0.945, 0.40, 0.71; the one-stage preset before it: 0.955 and 0.965 fixed, sessions 4, 6 and
    /// 9). `frozen-poisson` uses 48 random-order detectors ([`NetConfig::ramp_shuffle`]; 48 + the bias + 4 inhibitory synapses fit a dynapse2 neuron's
    /// 64) with a weaker inhibitory ramp (2e-10 A) and a 50 Hz teacher (`mixsig train --profile
    /// none --pattern frozen-poisson --seeds 1..10 --presentations 300`: median 1.00, min 0.85, was
    /// median 0.50; dynapse2 dies 0–19: median 0.975; docs/train-tuning.md, "Session 4:
    /// frozen-poisson") and a signed readout ([`NetConfig::signed_readout`]: a plastic inhibitory
    /// twin of every W2 synapse, bound 4e-10 A, rate 1.2e-11 A, with the output error neurons' dead
    /// zone at 6e-11 A and the learning rates decaying over 1000 presentations; `mixsig train
    /// --profile none --pattern frozen-poisson --seeds 1..10 --presentations 300 --n-test 100
    /// --test-every 300`: median 1.00, min 0.97, error end/start 0.237; 0.319 with the default
    /// decay, session 18; without the twin 1.00, min 0.82, 0.71; docs/train-tuning.md, sessions
    /// 18 and 19). On a chip whose neurons cannot hold the twins (48 x 2 + 5 = 101 synapses per
    /// output; dynapse2 has 64) the preset is fitted without them and their decay
    /// ([`NetConfig::fit_fan_in`]).
    pub fn for_task(task: &str) -> NetConfig {
        let d = NetConfig::default();
        match task {
            "sync" => NetConfig {
                n_coinc: 16,
                // Teacher spikes at +21.4 and +35.7 ms; the next, at exactly +50 ms, falls on the
                // window's open end.
                rate_teacher: 70.0,
                teacher_window: Some((0.01, 0.05)),
                teacher_anchor: TeacherAnchor::FirstInput,
                calcium_out: Some(d.stop_learning_out(1.0, 0.5)),
                dead_zone: 4.5e-11,
                dead_zone_neg: Some(3.5e-11),
                error_pool: true,
                bias_synapses: 4,
                eta_decay: 1000.0,
                ..d
            },
            "order" => NetConfig {
                rate_teacher: 70.0,
                teacher_window: Some((0.04, 0.09)),
                ..d
            },
            "xor" => NetConfig {
                ramp_groups: 2,
                ramp_group_local: true,
                n_conj: 48,
                eta1: 2e-10,
                tau_pre_w1: Some(0.1),
                w_inh_ramp: 5e-10,
                w1_zero_sum: true,
                w1_calcium: Some(CalciumWindow::symmetric(d.calcium.trace, 0.3, 15.0)),
                hidden_dead_zone: Some(0.0),
                teacher_window: Some((0.1, 0.18)),
                contrast: 1.0,
                w_out_err: 6e-9,
                dead_zone: 1e-10,
                eta2: 8e-12,
                error_tau: (3.0, 2.0),
                ..d
            },
            "frozen-poisson" => NetConfig {
                n_hidden: 48,
                ramp_shuffle: true,
                w_inh_ramp: 2e-10,
                rate_teacher: 50.0,
                signed_readout: Some(SignedReadout {
                    w_max: 4e-10,
                    eta: 1.2e-11,
                    dead_zone: 6e-11,
                    eta_decay: 1000.0,
                }),
                ..d
            },
            _ => d,
        }
    }

    /// The dead zone of the output error neurons (before [`NetConfig::dead_zone_neg`]): the signed
    /// readout's when there is one, else [`NetConfig::dead_zone`].
    pub fn output_dead_zone(&self) -> f64 {
        self.signed_readout.map_or(self.dead_zone, |s| s.dead_zone)
    }

    /// The learning-rate decay that applies, in presentations: the signed readout's when there is
    /// one, else [`NetConfig::eta_decay`].
    pub fn learning_rate_decay(&self) -> f64 {
        self.signed_readout.map_or(self.eta_decay, |s| s.eta_decay)
    }

    /// Fit the config to a chip with `limit` synapses per neuron, given the fan-in the outputs
    /// would have (`out_fan_in`, from the built network): a signed readout that does not fit is
    /// dropped (with it its dead zone and learning-rate decay: [`NetConfig::dead_zone`] applies to
    /// the output error neurons again, [`NetConfig::eta_decay`] to the network). Returns a note saying
    /// so, or `None` when nothing changed.
    pub fn fit_fan_in(&mut self, out_fan_in: usize, limit: u32) -> Option<String> {
        let s = self.signed_readout?;
        if out_fan_in <= limit as usize {
            return None;
        }
        self.signed_readout = None;
        let decay = if self.eta_decay == s.eta_decay {
            String::new()
        } else {
            format!(
                " and the learning rates decaying over {} instead of {} presentations",
                self.eta_decay, s.eta_decay
            )
        };
        Some(format!(
            "the signed readout (a plastic inhibitory twin of every hidden -> output synapse) needs {out_fan_in} \
             synapses per output neuron and the chip has {limit}: trained without it, with the output \
             error neurons' dead zone at {:e} A instead of {:e} A{decay}",
            self.dead_zone, s.dead_zone
        ))
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
