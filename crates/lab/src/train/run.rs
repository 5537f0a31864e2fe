//! The library entry point of `mixsig train`, shared by the command line, bindings and sweeps:
//! [`train`] turns [`TrainOptions`] into a task, the error-propagation preset
//! ([`super::network::build`]), optionally a die of a chip profile ([`super::placement`]), and runs
//! the protocol ([`super::protocol::run`]); [`write_outputs`] ([`super::outputs`]) writes
//! `summary.json`, `learning_curve.csv` and the plots, every file atomically.
//!
//! This module owns the options, their parsing, the error type and the records of a run; what the
//! other two modules export is re-exported here, so `train::run::...` stays the one path to use.

use std::path::PathBuf;

use mixsig_chip::{ChipProfile, ProfileError};
use mixsig_circuits::learning::{UpdateMode, WeightStorage};
use mixsig_engine::{BuildError, Network, NetworkSpec};
use serde::Serialize;

use super::network::{self, FeedbackMode, Layout, NetConfig};
use super::placement::bind_to_die;
use super::protocol::{self, Protocol, TrainResult};
use crate::located::FileError;
use crate::output::WriteError;
use crate::plot::PlotError;
use crate::tasks::{self, Pattern, PatternConfig, TaskError, TaskSet};

pub use super::outputs::{curve_csv, leftovers, write_outputs, CURVE_HEADER};
pub use super::placement::{profile_eta_sigma, profile_twin_sigma, ChipInfo};

/// Where the task comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskSource {
    /// A built-in pattern family, generated with [`TrainOptions::pattern_config`].
    Pattern(Pattern),
    /// A user task directory ([`tasks::load_dir`]).
    Data(PathBuf),
}

impl TaskSource {
    /// `order`, ... or `data:DIR`.
    pub fn describe(&self) -> String {
        match self {
            TaskSource::Pattern(p) => p.name().to_string(),
            TaskSource::Data(d) => format!("data:{}", d.display()),
        }
    }
}

/// Everything a training run is configured by.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// The task.
    pub task: TaskSource,
    /// Parameters of the built-in patterns (ignored for user data).
    pub pattern_config: PatternConfig,
    /// Presentation duration of user data, s; `None`: the latest spike time in any file / 0.7
    /// ([`tasks::load_dir`]). Ignored for built-in patterns.
    pub data_duration: Option<f64>,
    /// Chip profile (built-in name or TOML path); `None`: ideal circuits without a die (the preset's
    /// per-neuron parameters exactly).
    pub profile: Option<String>,
    /// Die seed (with a profile).
    pub instance: u64,
    /// Seed of the task, the initial weights and the run.
    pub seed: u64,
    /// Training presentations.
    pub presentations: usize,
    /// Error propagation to the hidden layer.
    pub feedback: FeedbackMode,
    /// Storage of the plastic weights.
    pub storage: WeightStorage,
    /// Test presentations of generated tasks (user data brings its own split).
    pub n_test: usize,
    /// Evaluate every this many presentations.
    pub test_every: usize,
    /// Time step, s.
    pub dt: f64,
    /// No hidden layer: inputs project straight onto the outputs (baseline).
    pub no_hidden: bool,
    /// Lognormal spread of the learning rates; `None`: from the profile's weight transistor (0 without
    /// a profile).
    pub eta_sigma_ln: Option<f64>,
    /// Train the network of this file ([`super::netspec`]) instead of the preset.
    pub network: Option<PathBuf>,
    /// Bias settings (`[[chip.bias]]` entries, e.g. written by `mixsig tune`) that override the
    /// network's bias requests on the die; needs a profile.
    pub biases: Option<PathBuf>,
    /// Lognormal spread of a mirrored twin's learning rate relative to its forward synapse (its
    /// weight capacitor's mismatch); `None`: from the profile (0 without a profile).
    pub twin_sigma_ln: Option<f64>,
    /// When the weight-update circuits act.
    pub update: UpdateMode,
    /// Calibrate the die's biases before training ([`crate::calibrate`]; needs a profile).
    pub calibrate: bool,
    /// Learning-rate decay in training presentations (`1 / (1 + n / eta_decay)`, 0: none),
    /// replacing the preset's ([`NetConfig::learning_rate_decay`]); `None`: the preset's. A network
    /// file sets its own (`[train] eta_decay`).
    pub eta_decay: Option<f64>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        let p = Protocol::default();
        TrainOptions {
            task: TaskSource::Pattern(Pattern::Order),
            pattern_config: PatternConfig::default(),
            data_duration: None,
            profile: Some("dynapse2".into()),
            instance: 0,
            seed: 1,
            presentations: p.presentations,
            feedback: FeedbackMode::Mirrored,
            storage: WeightStorage::Analog,
            n_test: 20,
            test_every: 50,
            dt: p.dt,
            no_hidden: false,
            eta_sigma_ln: None,
            network: None,
            biases: None,
            twin_sigma_ln: None,
            update: UpdateMode::Event,
            calibrate: false,
            eta_decay: None,
        }
    }
}

/// Parse a storage format: `analog`, `nbit:N` (1..=16 bits), `bistable` or `bistable:DRIFT` (fraction
/// of `w_max` per second; default 0.1, threshold 0.5).
pub fn parse_storage(s: &str) -> Result<WeightStorage, String> {
    let t = s.trim();
    let bad = || {
        format!("unknown weight storage `{s}`; valid: analog, nbit:N (N = 1..16), bistable, bistable:DRIFT")
    };
    if t == "analog" {
        return Ok(WeightStorage::Analog);
    }
    if let Some(n) = t.strip_prefix("nbit:") {
        let bits: u32 = n.trim().parse().map_err(|_| bad())?;
        if !(1..=16).contains(&bits) {
            return Err(format!("nbit:{bits}: the number of bits must be in 1..=16"));
        }
        return Ok(WeightStorage::NBit { bits });
    }
    if t == "bistable" {
        return Ok(WeightStorage::Bistable {
            drift: 0.1,
            theta: 0.5,
        });
    }
    if let Some(d) = t.strip_prefix("bistable:") {
        let drift: f64 = d.trim().parse().map_err(|_| bad())?;
        if !(drift.is_finite() && drift >= 0.0) {
            return Err(format!("bistable:{d}: the drift must be >= 0"));
        }
        return Ok(WeightStorage::Bistable { drift, theta: 0.5 });
    }
    Err(bad())
}

/// The storage format as [`parse_storage`] reads it.
pub fn storage_name(s: &WeightStorage) -> String {
    match s {
        WeightStorage::Analog => "analog".into(),
        WeightStorage::NBit { bits } => format!("nbit:{bits}"),
        WeightStorage::Bistable { drift, .. } => format!("bistable:{drift}"),
    }
}

/// The valid `--feedback` values.
pub const FEEDBACK_NAMES: &str = "mirrored, random, none";

/// Parse `mirrored | random | none` with an error listing the valid values.
pub fn parse_feedback(s: &str) -> Result<FeedbackMode, String> {
    FeedbackMode::parse(s.trim())
        .ok_or_else(|| format!("unknown feedback `{s}`; valid values: {FEEDBACK_NAMES}"))
}

/// Why a training run failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The task could not be generated or loaded (user-data errors name file and line).
    #[error(transparent)]
    Task(#[from] TaskError),
    /// The chip profile could not be loaded.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The network does not fit the chip (design rules, biases).
    #[error("placing the network on the die: {0}")]
    Chip(#[from] FileError),
    /// The network could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// An output could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A plot could not be written.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// Invalid options.
    #[error("{0}")]
    Invalid(String),
    /// The network file (`--network`) is malformed or does not fit the task.
    #[error(transparent)]
    Network(FileError),
    /// Stopped before the end by its progress callback ([`train_until`]).
    #[error("interrupted")]
    Interrupted,
}

/// The options as recorded in `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct OptionsRecord {
    /// `order`, ... or `data:DIR`.
    pub task: String,
    /// Profile name or path (`null`: ideal circuits without a die).
    pub profile: Option<String>,
    /// Die seed.
    pub instance: u64,
    /// Run seed.
    pub seed: u64,
    /// Training presentations.
    pub presentations: usize,
    /// Feedback mode.
    pub feedback: FeedbackMode,
    /// Storage format (`analog`, `nbit:4`, `bistable:0.1`).
    pub storage: String,
    /// Test presentations.
    pub n_test: usize,
    /// Checkpoint interval.
    pub test_every: usize,
    /// Time step, s.
    pub dt_s: f64,
    /// No hidden layer.
    pub no_hidden: bool,
    /// Learning-rate mismatch used.
    pub eta_sigma_ln: f64,
    /// The network file trained (`null`: the preset).
    pub network: Option<PathBuf>,
    /// The bias file applied on the die (`null`: none).
    pub biases: Option<PathBuf>,
    /// Lognormal spread of mirrored twins relative to their forward synapses.
    pub twin_sigma_ln: f64,
    /// Update mode (`event`, `continuous:TAU_ERR_S`).
    pub update: String,
    /// Learning-rate decay used, presentations (0: none).
    pub eta_decay: f64,
}

/// The task as recorded in `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRecord {
    /// Task name.
    pub name: String,
    /// Input channels.
    pub n_channels: usize,
    /// Class names, by label.
    pub class_names: Vec<String>,
    /// Presentation duration, s.
    pub duration_s: f64,
    /// Training presentations available (cycled when fewer than `presentations`).
    pub n_train: usize,
    /// Test presentations.
    pub n_test: usize,
}

/// What [`train`] produced.
#[derive(Debug, Clone, Serialize)]
pub struct TrainOutcome {
    /// The options, resolved.
    pub options: OptionsRecord,
    /// The task.
    pub task: TaskRecord,
    /// The die, when a profile was given.
    pub chip: Option<ChipInfo>,
    /// The network's knobs.
    pub network: NetConfig,
    /// The protocol's knobs.
    pub protocol: Protocol,
    /// Neurons of the network (error neurons included).
    pub neurons: usize,
    /// The learning curve, accuracies, times and rasters.
    #[serde(flatten)]
    pub result: TrainResult,
    /// Things a user should know about the run: what the build did (weights the chip cannot
    /// represent, biases out of the generator's range) and a trained hidden layer that never
    /// learned ([`hidden_learning_warning`]).
    pub warnings: Vec<String>,
    /// Population and source sizes, for rasters.
    #[serde(skip)]
    pub group_sizes: Vec<(String, usize)>,
    /// Upper weight bounds (W1, W2), A.
    #[serde(skip)]
    pub w_max: (f64, f64),
}

/// Load or generate the task of `opts`.
pub fn load_task(opts: &TrainOptions) -> Result<TaskSet, TrainError> {
    match &opts.task {
        TaskSource::Pattern(p) => Ok(tasks::generate(
            *p,
            &opts.pattern_config,
            opts.presentations,
            opts.n_test,
            opts.seed,
        )?),
        TaskSource::Data(dir) => Ok(tasks::load_dir_with(dir, opts.data_duration)?),
    }
}

/// The network configuration of `opts` (preset defaults plus the options' knobs).
pub fn net_config(opts: &TrainOptions, eta_sigma_ln: f64) -> NetConfig {
    let mut cfg = NetConfig {
        feedback: opts.feedback,
        storage: opts.storage,
        update: opts.update,
        eta_sigma_ln,
        ..NetConfig::for_task(&opts.task.describe())
    };
    if opts.no_hidden {
        cfg.n_hidden = 0;
    }
    if let Some(d) = opts.eta_decay {
        cfg.eta_decay = d;
        if let Some(s) = cfg.signed_readout.as_mut() {
            s.eta_decay = d;
        }
    }
    cfg
}

/// Build the preset network of `cfg` for `task`; with a chip of `limit` synapses per neuron, first
/// fit `cfg` to it ([`NetConfig::fit_fan_in`]), pushing onto `notes` what fitting changed.
pub fn build_fitted(
    task: &TaskSet,
    cfg: &mut NetConfig,
    seed: u64,
    limit: Option<u32>,
    notes: &mut Vec<String>,
) -> (NetworkSpec, Layout) {
    let built = network::build(task.n_channels, task.n_classes, cfg, seed);
    match limit.and_then(|l| cfg.fit_fan_in(super::placement::fan_in(&built.0, "out"), l)) {
        Some(note) => {
            notes.push(note);
            network::build(task.n_channels, task.n_classes, cfg, seed)
        }
        None => built,
    }
}

/// Most training or test presentations of one run: the task's presentations are generated up
/// front, so a stray exponent (`10**12`) would otherwise exhaust memory instead of failing.
pub const MAX_PRESENTATIONS: usize = 1_000_000;

/// Fewest time steps a presentation may have (`dt` at most the presentation's duration over this).
pub const MIN_STEPS_PER_PRESENTATION: f64 = 100.0;

/// Most time steps a presentation may have (`dt` at least the presentation's duration over this):
/// 100 times finer than the default step of 0.1 ms on the 0.3 s presentations of the patterns,
/// while a stray exponent (`1 ns`) would otherwise run for days.
pub const MAX_STEPS_PER_PRESENTATION: f64 = 1e6;

/// A time for a message: `10 ms`, `200 ns`.
fn secs(t: f64) -> String {
    mixsig_circuits::units::format_quantity(t, mixsig_circuits::units::Dimension::Time)
}

/// Refuse knobs of `opts` out of range (the spreads and the learning-rate decay: finite, >= 0),
/// before anything is built or written.
pub fn check_knobs(opts: &TrainOptions) -> Result<(), TrainError> {
    for (name, v) in [
        ("eta_sigma_ln", opts.eta_sigma_ln),
        ("twin_sigma_ln", opts.twin_sigma_ln),
        ("eta_decay", opts.eta_decay),
    ] {
        if let Some(s) = v {
            if !(s.is_finite() && s >= 0.0) {
                return Err(TrainError::Invalid(format!(
                    "{name} = {s} must be finite and >= 0"
                )));
            }
        }
    }
    Ok(())
}

/// The protocol of `opts` before the network's own knobs (teacher window and anchor,
/// learning-rate decay: [`prepare`] sets them from the network's [`NetConfig`]).
pub fn protocol_of(opts: &TrainOptions) -> Protocol {
    Protocol {
        presentations: opts.presentations,
        test_every: opts.test_every.max(1),
        dt: opts.dt,
        ..Protocol::default()
    }
}

/// Everything [`train`] needs before running: the task, the network (bound to a die when a profile is
/// given) and the protocol. Exposed so that tests and sweeps can drive the network themselves.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The task.
    pub task: TaskSet,
    /// The network spec.
    pub spec: NetworkSpec,
    /// Its projection layout.
    pub layout: Layout,
    /// Its knobs.
    pub cfg: NetConfig,
    /// The protocol.
    pub protocol: Protocol,
    /// The die.
    pub chip: Option<ChipInfo>,
    /// Warnings from binding.
    pub warnings: Vec<String>,
}

/// Build the task, the network and (with a profile) the die of `opts`.
pub fn prepare(opts: &TrainOptions) -> Result<Prepared, TrainError> {
    if opts.presentations == 0 {
        return Err(TrainError::Invalid("presentations must be > 0".into()));
    }
    for (name, n) in [
        ("presentations", opts.presentations),
        ("n_test", opts.n_test),
    ] {
        if n > MAX_PRESENTATIONS {
            return Err(TrainError::Invalid(format!(
                "{name} = {n} must be at most {MAX_PRESENTATIONS} (the task is generated up front)"
            )));
        }
    }
    if opts.test_every == 0 {
        return Err(TrainError::Invalid(
            "test_every must be > 0 (a test checkpoint every N training presentations; the last presentation always ends with one)".into(),
        ));
    }
    if !(opts.dt.is_finite() && opts.dt > 0.0) {
        return Err(TrainError::Invalid(format!(
            "dt = {} s must be > 0",
            opts.dt
        )));
    }
    check_knobs(opts)?;
    let task = load_task(opts)?;
    // The circuits' fastest time constants are ms; a step of a hundredth of a presentation is
    // already coarse, and a longer one would simulate nothing at all.
    if opts.dt > task.duration / MIN_STEPS_PER_PRESENTATION {
        return Err(TrainError::Invalid(format!(
            "dt = {} is too long for {}: a presentation lasts {}, and dt must be at most 1/{} of it ({})",
            secs(opts.dt),
            task.name,
            secs(task.duration),
            MIN_STEPS_PER_PRESENTATION,
            secs(task.duration / MIN_STEPS_PER_PRESENTATION)
        )));
    }
    if opts.dt < task.duration / MAX_STEPS_PER_PRESENTATION {
        return Err(TrainError::Invalid(format!(
            "dt = {} is too short for {}: a presentation lasts {}, and dt must be at least 1/{} of it ({})",
            secs(opts.dt),
            task.name,
            secs(task.duration),
            MAX_STEPS_PER_PRESENTATION,
            secs(task.duration / MAX_STEPS_PER_PRESENTATION)
        )));
    }
    let profile = opts
        .profile
        .as_deref()
        .map(ChipProfile::builtin_or_load)
        .transpose()?;
    let sigma = opts
        .eta_sigma_ln
        .unwrap_or_else(|| profile.as_ref().map(profile_eta_sigma).unwrap_or(0.0));
    let twin = opts
        .twin_sigma_ln
        .unwrap_or_else(|| profile.as_ref().map(profile_twin_sigma).unwrap_or(0.0));
    // What loading the task found (a presentation that stretches all the others, ...).
    let mut notes = task.notes.clone();
    // A network file and its populations' lines, for errors found when placing it on the die.
    let mut origin: Option<(String, Vec<(String, usize)>)> = None;
    let (mut spec, layout, cfg, cores, calibrate) = match &opts.network {
        Some(f) if opts.eta_decay.is_some() => {
            return Err(TrainError::Invalid(format!(
                "{}: a network file sets its own learning-rate decay (`[train] eta_decay`); edit it there instead of giving eta_decay",
                f.display()
            )))
        }
        Some(f) => {
            let n = super::netspec::import(
                f,
                &task,
                opts.seed,
                (opts.eta_sigma_ln, sigma),
                (opts.twin_sigma_ln, twin),
            )
            .map_err(TrainError::Network)?;
            if let (Some(made), TaskSource::Pattern(run)) = (n.task, &opts.task) {
                if made != *run {
                    notes.push(format!(
                        "{}: the network was made for `{made}` (its [train] task) and is trained on `{run}`",
                        f.display()
                    ));
                }
            }
            if let Some(p) = &profile {
                n.check_fan_in(p.architecture.synapses_per_neuron, &p.name)
                    .map_err(TrainError::Network)?;
                n.check_params_on_chip(&p.name)
                    .map_err(TrainError::Network)?;
            }
            origin = Some((n.file.clone(), n.group_lines().to_vec()));
            (
                n.spec,
                n.layout,
                n.cfg,
                n.cores,
                opts.calibrate || n.calibrate,
            )
        }
        None => {
            let mut cfg = net_config(opts, sigma);
            cfg.twin_sigma_ln = twin;
            let limit = profile.as_ref().map(|p| p.architecture.synapses_per_neuron);
            let (s, l) = build_fitted(&task, &mut cfg, opts.seed, limit, &mut notes);
            if let (Some(p), Some(limit)) = (&profile, limit) {
                // Said in the task's terms: the preset's fan-in grows with the input channels.
                for pop in &s.populations {
                    let n = super::placement::fan_in(&s, &pop.name);
                    if n > limit as usize {
                        return Err(TrainError::Invalid(format!(
                            "the preset network for {} ({} input channels) gives each `{}` neuron {n} synapses, but a `{}` neuron has {limit}: train on fewer channels, or on ideal circuits (--profile none)",
                            task.name, task.n_channels, pop.name, p.name
                        )));
                    }
                }
            }
            (s, l, cfg, Vec::new(), opts.calibrate)
        }
    };
    // A teacher window that opens after the presentation has ended would never teach.
    if let Some((on, _)) = cfg.teacher_window {
        if on >= task.duration {
            return Err(TrainError::Invalid(format!(
                "{}teacher_on = {} lies after the end of the {} presentations of {}: the teacher would never fire",
                opts.network
                    .as_ref()
                    .map(|f| format!("{}: [train] ", f.display()))
                    .unwrap_or_default(),
                secs(on),
                secs(task.duration),
                task.name
            )));
        }
    }
    // Asked for on the command line without a die: an error. A network file's `[chip] calibrate`
    // applies only when the run has a die (as in `mixsig sim`).
    if opts.calibrate && profile.is_none() {
        return Err(TrainError::Invalid(
            "--calibrate needs a chip profile: `--profile none` runs ideal circuits without a die, which have nothing to calibrate"
                .into(),
        ));
    }
    let extra = match (&opts.biases, &profile) {
        (Some(path), Some(_)) => {
            let biases = crate::netfile::load_bias_file(path)?.biases;
            // Check names here, so that an error names the bias file (not the network).
            for (i, b) in biases.iter().enumerate() {
                if mixsig_chip::names::resolve_bias(&b.name).is_none() {
                    return Err(FileError::new(
                        &path.display().to_string(),
                        b.line,
                        &format!("chip.bias[{}].name", i + 1),
                        format!(
                            "unknown bias `{}`: use a DYNAP-SE2 name (SOIF_LEAK_N, DEAM_ETAU_P, ...), a parameter name with a bias (i_tau_mem, ...) or w0..w3",
                            b.name
                        ),
                    )
                    .into());
                }
            }
            biases
        }
        (Some(path), None) => {
            return Err(TrainError::Invalid(format!(
                "{}: a bias file needs a chip profile (ideal circuits without a die have no bias generator)",
                path.display()
            )))
        }
        (None, _) => Vec::new(),
    };
    let (chip, warnings) = match &profile {
        Some(p) => {
            let (c, w) = bind_to_die(
                &mut spec,
                &cores,
                p,
                opts.instance,
                &extra,
                calibrate,
                origin.as_ref().map(|(f, l)| (f.as_str(), l.as_slice())),
            )?;
            (Some(c), notes.into_iter().chain(w).collect())
        }
        None => (None, notes),
    };
    let protocol = Protocol {
        teacher_window: cfg.teacher_window,
        teacher_anchor: cfg.teacher_anchor,
        eta_decay: cfg.learning_rate_decay(),
        ..protocol_of(opts)
    };
    // A calibrated die also gets its output error pairs calibrated, once the core biases are.
    let mut chip = chip;
    if let Some(c) = chip.as_mut().filter(|_| calibrate) {
        let bench = super::errcal::Bench::new(&cfg, task.duration, &protocol);
        c.error_pairs = super::errcal::calibrate_error_pairs(&mut spec, &bench, opts.seed)?;
    }
    Ok(Prepared {
        task,
        spec,
        layout,
        cfg,
        protocol,
        chip,
        warnings,
    })
}

/// The warning for a trained hidden layer that never learned: with feedback on, its learning
/// circuits applied no update, so the run trained the readout only (what `feedback = none` does).
pub fn hidden_learning_warning(result: &TrainResult, presentations: usize) -> Option<String> {
    (result.hidden_updates == Some(0)).then(|| {
        format!(
            "the hidden layer did not learn: its learning circuits applied no weight update in \
             {presentations} training presentations (the hidden error neurons never fired past \
             their dead zone, or found the learning gates closed), so W1 kept its initial weights \
             and only the readout was trained, as with --feedback none"
        )
    })
}

/// Train: build the task and network of `opts` and run the protocol. `progress(done, total)` is
/// called after every training presentation.
pub fn train(
    opts: &TrainOptions,
    mut progress: impl FnMut(usize, usize) + Send,
) -> Result<TrainOutcome, TrainError> {
    train_until(opts, |d, n| {
        progress(d, n);
        true
    })
}

/// [`train`] that can be stopped (an interrupt from Python or a notebook): after every training
/// presentation `progress(done, total)` says whether to go on; [`TrainError::Interrupted`] when it
/// said no.
pub fn train_until(
    opts: &TrainOptions,
    progress: impl FnMut(usize, usize) -> bool + Send,
) -> Result<TrainOutcome, TrainError> {
    let prep = prepare(opts)?;
    let mut warnings = prep.warnings.clone();
    // Build once to collect what the build has to say (weights the chip cannot represent).
    warnings.extend(Network::build(&prep.spec, prep.protocol.dt, opts.seed)?.warnings);
    let result = protocol::run_until(
        &prep.spec,
        &prep.layout,
        prep.cfg.n_per_class,
        prep.cfg.rate_teacher,
        &prep.task,
        &prep.protocol,
        opts.seed,
        progress,
    )?
    .ok_or(TrainError::Interrupted)?;
    warnings.extend(hidden_learning_warning(&result, opts.presentations));
    let group_sizes = prep
        .spec
        .sources
        .iter()
        .map(|s| (s.name.clone(), s.size))
        .chain(
            prep.spec
                .populations
                .iter()
                .map(|p| (p.name.clone(), p.size)),
        )
        .collect();
    Ok(TrainOutcome {
        options: OptionsRecord {
            task: opts.task.describe(),
            profile: opts.profile.clone(),
            instance: opts.instance,
            seed: opts.seed,
            presentations: opts.presentations,
            feedback: prep.cfg.feedback,
            storage: storage_name(&prep.cfg.storage),
            n_test: prep.task.test.len(),
            test_every: prep.protocol.test_every,
            dt_s: prep.protocol.dt,
            no_hidden: prep.cfg.n_hidden == 0,
            eta_sigma_ln: prep.cfg.eta_sigma_ln,
            network: opts.network.clone(),
            biases: opts.biases.clone(),
            twin_sigma_ln: prep.cfg.twin_sigma_ln,
            update: prep.cfg.update.name(),
            eta_decay: prep.protocol.eta_decay,
        },
        task: TaskRecord {
            name: prep.task.name.clone(),
            n_channels: prep.task.n_channels,
            class_names: prep.task.class_names.clone(),
            duration_s: prep.task.duration,
            n_train: prep.task.train.len(),
            n_test: prep.task.test.len(),
        },
        chip: prep.chip,
        neurons: prep.spec.populations.iter().map(|p| p.size).sum(),
        w_max: (prep.cfg.w1_max, prep.cfg.w2_max),
        network: prep.cfg,
        protocol: prep.protocol,
        result,
        warnings,
        group_sizes,
    })
}
