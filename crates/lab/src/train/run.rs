//! The library entry point of `mixsig train`, shared by the command line, bindings and sweeps:
//! [`train`] turns [`TrainOptions`] into a task, the error-propagation preset
//! ([`super::network::build`]), optionally a die of a chip profile, and runs the protocol
//! ([`super::protocol::run`]); [`write_outputs`] writes `summary.json`, `learning_curve.csv` and the
//! plots, every file atomically.
//!
//! On a chip profile the preset is placed on the die with one core per role when the chip has them:
//! hidden neurons on core 0, outputs on core 1, output error neurons on core 2, hidden error neurons on
//! core 3 (fewer cores: the later roles share the last core). Each core's biases start from the circuit
//! defaults; those the preset changes are set to its values for the first population placed on the core
//! (quantized by the bias generator); the
//! hidden layer's per-neuron thresholds cannot be expressed as a shared bias, so its core gets their
//! geometric mean and the die's mismatch supplies the spread. With the `dynapse2-mask` weight format
//! the four weight bases of each core form a binary ladder up to the largest weight landing there
//! (the plastic bound for plastic projections), so initial weights land on 16 levels before learning
//! moves them. The plastic projections' learning rates get the lognormal mismatch of the profile's
//! weight transistor (`i_w`, per-device component).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mixsig_chip::names::resolve_bias;
use mixsig_chip::{ChipProfile, ProfileError, WeightFormat};
use mixsig_circuits::learning::WeightStorage;
use mixsig_circuits::units::Dimension;
use mixsig_circuits::NeuronParams;
use mixsig_engine::spec::Connectivity;
use mixsig_engine::{BuildError, Network, NetworkSpec};
use serde::Serialize;

use super::network::{self, FeedbackMode, Layout, NetConfig};
use super::protocol::{self, Protocol, RasterSample, TrainResult};
use crate::chipnet::{self, PlacedPopulation, SetBias};
use crate::located::FileError;
use crate::netfile::{BiasEntry, BiasRequest, ChipSection};
use crate::output::{write_atomic, WriteError};
use crate::plot::{self, Curve, PlotError, RasterGroup};
use crate::tasks::{self, Pattern, PatternConfig, TaskError, TaskSet};

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
}

impl Default for TrainOptions {
    fn default() -> Self {
        let p = Protocol::default();
        TrainOptions {
            task: TaskSource::Pattern(Pattern::Order),
            pattern_config: PatternConfig::default(),
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
}

/// The die a run used.
#[derive(Debug, Clone, Serialize)]
pub struct ChipInfo {
    /// Profile name.
    pub profile: String,
    /// Where the profile came from.
    pub origin: String,
    /// Die seed.
    pub instance: u64,
    /// Weight format of the profile.
    pub weight_format: String,
    /// Placement of each population.
    pub placement: Vec<PlacedPopulation>,
    /// Biases the run set, as the generator realized them.
    pub biases: Vec<SetBias>,
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
    /// Things the build did that a user should know (weights the chip cannot represent, biases out of
    /// the generator's range).
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
            opts.presentations.max(1),
            opts.n_test.max(1),
            opts.seed,
        )?),
        TaskSource::Data(dir) => Ok(tasks::load_dir(dir)?),
    }
}

/// The network configuration of `opts` (preset defaults plus the options' knobs).
pub fn net_config(opts: &TrainOptions, eta_sigma_ln: f64) -> NetConfig {
    let mut cfg = NetConfig {
        feedback: opts.feedback,
        storage: opts.storage,
        eta_sigma_ln,
        ..NetConfig::default()
    };
    if opts.no_hidden {
        cfg.n_hidden = 0;
    }
    cfg
}

/// The protocol of `opts`.
pub fn protocol_of(opts: &TrainOptions) -> Protocol {
    Protocol {
        presentations: opts.presentations,
        test_every: opts.test_every.max(1),
        dt: opts.dt,
        ..Protocol::default()
    }
}

/// Lognormal sigma of a synapse's learning rate on `profile`: the per-device component of the weight
/// transistor's mismatch (`i_w`).
pub fn profile_eta_sigma(profile: &ChipProfile) -> f64 {
    profile
        .mismatch
        .sigmas(
            &profile.layout.device("i_w"),
            &profile.process.operating_point(),
        )
        .local
}

/// Core of each population of the preset on a chip with `cores` cores (see the module docs).
fn role_core(name: &str, cores: u32) -> u32 {
    let want = match name {
        "hid" => 0,
        "out" => 1,
        "eo_p" | "eo_n" => 2,
        _ => 3,
    };
    want.min(cores.saturating_sub(1))
}

/// Largest weight each projection may carry: the plastic bound for plastic projections (and their
/// mirrors), the largest initial weight otherwise.
fn projection_max(spec: &NetworkSpec, i: usize) -> f64 {
    for l in &spec.learning {
        if l.projection == i || l.mirrors.contains(&i) {
            return l.w_max;
        }
    }
    let p = &spec.projections[i];
    match &p.connect {
        Connectivity::Dense(w) => w.iter().copied().fold(0.0, f64::max),
        Connectivity::Explicit(t) => t.iter().map(|x| x.2).fold(0.0, f64::max),
        _ => p.weight,
    }
}

/// Place `spec` on a die of `profile` and set its biases to the preset's operating point; returns the
/// die description and warnings.
fn bind_to_die(
    spec: &mut NetworkSpec,
    cfg: &NetConfig,
    profile: &ChipProfile,
    instance: u64,
) -> Result<(ChipInfo, Vec<String>), TrainError> {
    let n_cores = profile.architecture.cores;
    let mut warnings = Vec::new();
    let mut section = ChipSection {
        cores: spec
            .populations
            .iter()
            .map(|p| Some(role_core(&p.name, n_cores)))
            .collect(),
        ..ChipSection::default()
    };
    // Hidden thresholds are per neuron in the preset; a core shares one.
    let (lo, hi) = cfg.hidden_thresholds;
    let params_of = |p: &mixsig_engine::spec::PopulationSpec| -> NeuronParams {
        let mut q = p.params;
        if p.name == "hid" && p.per_neuron.is_some() {
            q.i_spkthr = (lo * hi).sqrt();
        }
        q
    };
    let bias_params: Vec<&'static str> = NeuronParams::FIELDS
        .iter()
        .filter(|f| f.dim == Dimension::Current)
        .map(|f| f.name)
        .filter(|n| resolve_bias(n).is_some())
        .collect();
    // The die starts from the circuit defaults (quantized); request what the preset changes. The first
    // population on a core sets its biases; later ones share them.
    let circuit_defaults = NeuronParams::default();
    let mut owner: BTreeMap<u32, (String, NeuronParams)> = BTreeMap::new();
    for (pi, p) in spec.populations.iter_mut().enumerate() {
        let core = section.cores[pi].expect("assigned");
        let q = params_of(p);
        match owner.get(&core) {
            None => {
                owner.insert(core, (p.name.clone(), q));
                p.params = q;
                section.param_keys.push(
                    bias_params
                        .iter()
                        .filter(|n| q.field(n) != circuit_defaults.field(n))
                        .map(|n| (n.to_string(), 0))
                        .collect(),
                );
            }
            Some((first, fq)) => {
                let differ: Vec<&str> = bias_params
                    .iter()
                    .copied()
                    .filter(|n| q.field(n) != fq.field(n))
                    .collect();
                if !differ.is_empty() {
                    warnings.push(format!(
                        "profile `{}` has {n_cores} core(s): population `{}` shares core {core} with `{first}` and takes its {}",
                        profile.name,
                        p.name,
                        differ.join(", ")
                    ));
                }
                section.param_keys.push(Vec::new());
            }
        }
    }
    if profile.weights == WeightFormat::Dynapse2Mask {
        let mut top: BTreeMap<u32, f64> = BTreeMap::new();
        for (i, pr) in spec.projections.iter().enumerate() {
            if let Some(pi) = spec.populations.iter().position(|p| p.name == pr.to) {
                let core = section.cores[pi].expect("assigned");
                let m = projection_max(spec, i);
                let e = top.entry(core).or_insert(0.0);
                *e = e.max(m);
            }
        }
        for (core, m) in top {
            if m > 0.0 {
                for k in 0..4 {
                    section.biases.push(BiasEntry {
                        core: Some(core),
                        name: format!("w{k}"),
                        request: BiasRequest::Current(m * f64::from(1u32 << k) / 15.0),
                        line: 0,
                    });
                }
            }
        }
    }
    let run = chipnet::bind(spec, &section, profile, instance, "train preset")?;
    for b in &run.biases {
        if let Some(w) = &b.report.warning {
            warnings.push(format!("core {} {}: {w}", b.core, b.report.bias));
        }
    }
    spec.chip = Some(run.binding);
    Ok((
        ChipInfo {
            profile: profile.name.clone(),
            origin: profile.origin.clone(),
            instance,
            weight_format: profile.weights.name().to_string(),
            placement: run.placement,
            biases: run.biases,
        },
        warnings,
    ))
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
    if !(opts.dt.is_finite() && opts.dt > 0.0) {
        return Err(TrainError::Invalid(format!(
            "dt = {} s must be > 0",
            opts.dt
        )));
    }
    if let Some(s) = opts.eta_sigma_ln {
        if !(s.is_finite() && s >= 0.0) {
            return Err(TrainError::Invalid(format!(
                "eta_sigma_ln = {s} must be >= 0"
            )));
        }
    }
    let task = load_task(opts)?;
    let profile = opts
        .profile
        .as_deref()
        .map(ChipProfile::builtin_or_load)
        .transpose()?;
    let sigma = opts
        .eta_sigma_ln
        .unwrap_or_else(|| profile.as_ref().map(profile_eta_sigma).unwrap_or(0.0));
    let cfg = net_config(opts, sigma);
    let (mut spec, layout) = network::build(task.n_channels, task.n_classes, &cfg, opts.seed);
    let (chip, warnings) = match &profile {
        Some(p) => {
            let (c, w) = bind_to_die(&mut spec, &cfg, p, opts.instance)?;
            (Some(c), w)
        }
        None => (None, Vec::new()),
    };
    Ok(Prepared {
        task,
        spec,
        layout,
        cfg,
        protocol: protocol_of(opts),
        chip,
        warnings,
    })
}

/// Train: build the task and network of `opts` and run the protocol. `progress(done, total)` is
/// called after every training presentation.
pub fn train(
    opts: &TrainOptions,
    progress: impl FnMut(usize, usize),
) -> Result<TrainOutcome, TrainError> {
    let prep = prepare(opts)?;
    let mut warnings = prep.warnings.clone();
    // Build once to collect what the build has to say (weights the chip cannot represent).
    warnings.extend(Network::build(&prep.spec, prep.protocol.dt, opts.seed)?.warnings);
    let result = protocol::run(
        &prep.spec,
        &prep.layout,
        prep.cfg.n_per_class,
        prep.cfg.rate_teacher,
        &prep.task,
        &prep.protocol,
        opts.seed,
        progress,
    )?;
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
            feedback: opts.feedback,
            storage: storage_name(&opts.storage),
            n_test: prep.task.test.len(),
            test_every: prep.protocol.test_every,
            dt_s: prep.protocol.dt,
            no_hidden: opts.no_hidden,
            eta_sigma_ln: prep.cfg.eta_sigma_ln,
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

/// Header of `learning_curve.csv`.
pub const CURVE_HEADER: &str =
    "presentations,test_accuracy,error_rate_out_hz,w1_mean_a,w2_mean_a,mirror_divergence";

/// A CSV number: empty for NaN (not applicable: no hidden layer, no mirrored feedback); currents in
/// exponent notation (`9.149e-11`, not `0.0000000000914...`).
fn num(x: f64) -> String {
    if x.is_finite() && (x == 0.0 || (1e-3..1e6).contains(&x.abs())) {
        format!("{x}")
    } else if x.is_finite() {
        format!("{x:e}")
    } else {
        String::new()
    }
}

/// `learning_curve.csv`: one row per checkpoint ([`CURVE_HEADER`]).
pub fn curve_csv(result: &TrainResult) -> String {
    let mut s = String::from(CURVE_HEADER);
    s.push('\n');
    for c in &result.curve {
        s.push_str(&format!(
            "{},{},{},{},{},{}\n",
            c.presentations,
            num(c.test_accuracy),
            num(c.error_rate_out_hz),
            num(c.w1_mean),
            num(c.w2_mean),
            num(c.mirror_divergence)
        ));
    }
    s
}

fn raster_plot(out: &Path, o: &TrainOutcome, r: &RasterSample) -> Result<[PathBuf; 2], PlotError> {
    let class = o
        .task
        .class_names
        .get(r.label)
        .cloned()
        .unwrap_or_else(|| r.label.to_string());
    let mut cols: Vec<(Vec<f64>, Vec<u32>)> = vec![(Vec::new(), Vec::new()); o.group_sizes.len()];
    for (t, g, n) in &r.spikes {
        if let Some(i) = o.group_sizes.iter().position(|(name, _)| name == g) {
            cols[i].0.push(*t);
            cols[i].1.push(*n);
        }
    }
    let groups: Vec<RasterGroup> = o
        .group_sizes
        .iter()
        .zip(&cols)
        .filter(|((name, _), _)| name != "teacher")
        .map(|((name, size), (t, n))| RasterGroup {
            name,
            times_s: t,
            neuron: n,
            size: *size as u32,
        })
        .collect();
    let safe: String = class
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    plot::raster(
        &out.join(format!("raster_{}_{}_{safe}", r.when, r.label)),
        &format!(
            "{} presentation of class `{class}` {} training (teacher off, learning off)",
            o.task.name, r.when
        ),
        &groups,
        o.task.duration_s,
    )
}

/// Write `summary.json`, `learning_curve.csv` and the plots into `out`; returns the files written.
///
/// Plots (each `.svg` and `.png`): `accuracy` (test accuracy), `error_rate` (output error neurons),
/// `weights` (mean W1 and W2), `mirror_divergence` (largest |B - W2ᵀ| over mean W2, when the feedback
/// is mirrored), and `raster_{before,after}_<label>_<class>` (one test presentation per class).
pub fn write_outputs(o: &TrainOutcome, out: &Path) -> Result<Vec<PathBuf>, TrainError> {
    let mut files = Vec::new();
    let json = serde_json::to_string_pretty(o).expect("the summary serializes");
    let p = out.join("summary.json");
    write_atomic(&p, json.as_bytes())?;
    files.push(p);
    let p = out.join("learning_curve.csv");
    write_atomic(&p, curve_csv(&o.result).as_bytes())?;
    files.push(p);

    let c = &o.result.curve;
    let x: Vec<f64> = c.iter().map(|c| c.presentations as f64).collect();
    let acc: Vec<f64> = c.iter().map(|c| c.test_accuracy).collect();
    let chance = vec![1.0 / o.task.class_names.len().max(1) as f64; x.len()];
    let who = match &o.chip {
        Some(ch) => format!("{} die {}", ch.profile, ch.instance),
        None => "ideal circuits".into(),
    };
    let feedback = format!("{:?}", o.options.feedback).to_lowercase();
    let what = format!("{}, {feedback} feedback, {who}", o.task.name);
    files.extend(plot::curves(
        &out.join("accuracy"),
        &format!("Test accuracy ({what})"),
        "training presentations",
        "test accuracy",
        false,
        &[
            Curve {
                name: "test accuracy",
                x: &x,
                y: &acc,
                band: None,
            },
            Curve {
                name: "chance",
                x: &x,
                y: &chance,
                band: None,
            },
        ],
    )?);
    let err: Vec<f64> = c.iter().map(|c| c.error_rate_out_hz).collect();
    files.extend(plot::curves(
        &out.join("error_rate"),
        &format!("Output error-neuron rate over the last training block ({what})"),
        "training presentations",
        "mean rate (Hz)",
        false,
        &[Curve {
            name: "output error neurons",
            x: &x,
            y: &err,
            band: None,
        }],
    )?);
    let w1: Vec<f64> = c.iter().map(|c| c.w1_mean).collect();
    let w2: Vec<f64> = c.iter().map(|c| c.w2_mean).collect();
    let mut series = vec![Curve {
        name: "W2 (to outputs)",
        x: &x,
        y: &w2,
        band: None,
    }];
    if w1.iter().any(|v| v.is_finite()) {
        series.insert(
            0,
            Curve {
                name: "W1 (input to hidden)",
                x: &x,
                y: &w1,
                band: None,
            },
        );
    }
    files.extend(plot::curves(
        &out.join("weights"),
        &format!("Mean plastic weights ({what})"),
        "training presentations",
        "mean weight (A)",
        false,
        &series,
    )?);
    let div: Vec<f64> = c.iter().map(|c| c.mirror_divergence).collect();
    if div.iter().any(|v| v.is_finite()) {
        files.extend(plot::curves(
            &out.join("mirror_divergence"),
            &format!(
                "Mirrored feedback vs forward weights: max |B - W2^T| / mean W2 (eta sigma_ln {})",
                o.options.eta_sigma_ln
            ),
            "training presentations",
            "relative divergence",
            false,
            &[Curve {
                name: "mirror divergence",
                x: &x,
                y: &div,
                band: None,
            }],
        )?);
    }
    for r in &o.result.rasters {
        files.extend(raster_plot(out, o, r)?);
    }
    Ok(files)
}
