//! The experiments a sweep can run on one die, each reduced to one number (the metric) plus the
//! die's device features for the sensitivity ranking:
//!
//! - [`Experiment::Train`]: `mixsig train` on the die; metric = final test accuracy.
//! - [`Experiment::Fi`]: one neuron (site core 0, neuron 0) at one DC input; metric = firing rate.
//! - [`Experiment::Network`]: any network file run on the die; metric = mean firing rate of one
//!   population.
//!
//! Features (see [`Features`]): for every core the experiment uses and every mismatched neuron
//! parameter, the mean over the used neurons of `ln(mismatch factor)` (`c1.i_tau_mem`); and for every
//! bias the experiment set, `ln` of the current the die's generator produced (`c1.SOIF_GAIN_N`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mixsig_chip::instance::BiasReport;
use mixsig_chip::{names, ChipInstance, ChipProfile};
use mixsig_circuits::NeuronParams;
use serde::{Deserialize, Serialize};

use crate::fi;
use crate::netfile;
use crate::sim::{self, SimConfig};
use crate::train::run::{self as trainrun, TaskSource, TrainOptions};

use super::SweepError;

/// Options of the `train` experiment (the rest are `mixsig train`'s defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainExperiment {
    /// Built-in task (`order`, `sync`, `frozen-poisson`, `xor`).
    pub pattern: String,
    /// Training presentations.
    pub presentations: usize,
    /// Test presentations.
    pub n_test: usize,
    /// Run seed (task, initial weights); the same on every die.
    pub seed: u64,
    /// `mirrored`, `random` or `none`.
    pub feedback: String,
    /// `analog`, `nbit:N`, `bistable`, `bistable:DRIFT`.
    pub storage: String,
}

impl Default for TrainExperiment {
    fn default() -> Self {
        TrainExperiment {
            pattern: "order".into(),
            presentations: 200,
            n_test: 10,
            seed: 1,
            feedback: "mirrored".into(),
            storage: "analog".into(),
        }
    }
}

/// Options of the `fi` experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FiExperiment {
    /// DC input, A.
    pub idc: f64,
    /// Simulated time, s.
    pub duration: f64,
    /// Time step, s.
    pub dt: f64,
    /// Bias targets on every core (`i_tau_mem` = 5e-12, ...).
    pub sets: Vec<(String, f64)>,
}

impl Default for FiExperiment {
    fn default() -> Self {
        FiExperiment {
            idc: 1e-9,
            duration: 0.5,
            dt: mixsig_circuits::neuron::DEFAULT_DT,
            sets: Vec::new(),
        }
    }
}

/// Options of the `network` experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkExperiment {
    /// The network file.
    pub path: PathBuf,
    /// Population whose mean rate is the metric.
    pub population: String,
    /// Simulated time, s (default: the file's, else 1 s).
    pub duration: Option<f64>,
    /// Time step, s (default: the file's, else 100 us).
    pub dt: Option<f64>,
}

/// One experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Experiment {
    /// `mixsig train` on each die.
    Train(TrainExperiment),
    /// One neuron's firing rate at one input.
    Fi(FiExperiment),
    /// A network file's population rate.
    Network(NetworkExperiment),
}

impl Default for Experiment {
    fn default() -> Self {
        Experiment::Train(TrainExperiment::default())
    }
}

/// A profile as a sweep uses it: validated, and saved as a file (for experiments that take a path).
#[derive(Debug, Clone)]
pub struct ProfileOnDisk {
    /// The validated profile (mismatch already scaled).
    pub profile: ChipProfile,
    /// Its TOML file.
    pub path: PathBuf,
}

/// What one trial measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// The metric.
    pub metric: f64,
    /// Device features of the die.
    pub features: BTreeMap<String, f64>,
}

/// Per-core mean `ln(factor)` of every mismatched parameter over `sites`, and `ln(current)` of the
/// reported biases.
pub type Features = BTreeMap<String, f64>;

impl Experiment {
    /// Short name.
    pub fn name(&self) -> &'static str {
        match self {
            Experiment::Train(_) => "train",
            Experiment::Fi(_) => "fi",
            Experiment::Network(_) => "network",
        }
    }

    /// What the metric is, with its unit.
    pub fn metric_label(&self) -> String {
        match self {
            Experiment::Train(t) => format!("test accuracy ({})", t.pattern),
            Experiment::Fi(f) => format!(
                "firing rate at {} (Hz)",
                mixsig_circuits::units::format_quantity(
                    f.idc,
                    mixsig_circuits::units::Dimension::Current
                )
            ),
            Experiment::Network(n) => format!("mean rate of `{}` (Hz)", n.population),
        }
    }

    /// The default pass threshold (`None`: no yield unless the user gives one).
    pub fn default_threshold(&self) -> Option<f64> {
        match self {
            Experiment::Train(_) => Some(0.75),
            _ => None,
        }
    }

    /// Check the options before anything runs.
    pub fn validate(&self) -> Result<(), SweepError> {
        let bad = |m: String| Err(SweepError::Invalid(m));
        match self {
            Experiment::Train(t) => {
                t.pattern
                    .parse::<crate::tasks::Pattern>()
                    .map_err(SweepError::Invalid)?;
                trainrun::parse_feedback(&t.feedback).map_err(SweepError::Invalid)?;
                trainrun::parse_storage(&t.storage).map_err(SweepError::Invalid)?;
                if t.presentations == 0 || t.n_test == 0 {
                    return bad("presentations and n_test must be > 0".into());
                }
            }
            Experiment::Fi(f) => {
                if !(f.idc.is_finite() && f.idc >= 0.0) {
                    return bad(format!("idc = {} A must be >= 0", f.idc));
                }
                if !(f.duration > 0.0 && f.dt > 0.0 && f.dt.is_finite() && f.duration.is_finite()) {
                    return bad("duration and dt must be > 0".into());
                }
                if f.duration < f.dt {
                    return bad(crate::fi::no_step(f.duration, f.dt).to_string());
                }
            }
            Experiment::Network(n) => {
                let nf = netfile::load(&n.path)?;
                if !nf.spec.populations.iter().any(|p| p.name == n.population) {
                    return bad(format!(
                        "{}: no population `{}` to take the rate of; populations: {}",
                        n.path.display(),
                        n.population,
                        nf.spec
                            .populations
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
        Ok(())
    }

    /// Run on the die `instance` of `profile`.
    pub fn run(&self, profile: &ProfileOnDisk, instance: u64) -> Result<Measured, SweepError> {
        match self {
            Experiment::Train(t) => run_train(t, profile, instance),
            Experiment::Fi(f) => run_fi(f, &profile.profile, instance),
            Experiment::Network(n) => run_network(n, &profile.profile, instance),
        }
    }
}

fn run_train(
    t: &TrainExperiment,
    profile: &ProfileOnDisk,
    instance: u64,
) -> Result<Measured, SweepError> {
    let opts = TrainOptions {
        task: TaskSource::Pattern(t.pattern.parse().map_err(SweepError::Invalid)?),
        profile: Some(profile.path.display().to_string()),
        instance,
        seed: t.seed,
        presentations: t.presentations,
        n_test: t.n_test,
        test_every: t.presentations,
        feedback: trainrun::parse_feedback(&t.feedback).map_err(SweepError::Invalid)?,
        storage: trainrun::parse_storage(&t.storage).map_err(SweepError::Invalid)?,
        ..TrainOptions::default()
    };
    let o = trainrun::train(&opts, |_, _| {}).map_err(|e| SweepError::Trial(e.to_string()))?;
    let mut sites = Vec::new();
    let mut reports = Vec::new();
    if let Some(chip) = &o.chip {
        for p in &chip.placement {
            let size = o
                .group_sizes
                .iter()
                .find(|g| g.0 == p.population)
                .map_or(0, |g| g.1);
            let (c, n0) = p.first_site;
            sites.extend((0..size as u32).map(|k| (c, n0 + k)));
        }
        reports = chip
            .biases
            .iter()
            .map(|b| (b.core, b.report.clone()))
            .collect();
    }
    let die = ChipInstance::sample(&profile.profile, instance);
    Ok(Measured {
        metric: o.result.test_accuracy,
        features: features(&die, &sites, &reports),
    })
}

fn run_fi(f: &FiExperiment, profile: &ChipProfile, instance: u64) -> Result<Measured, SweepError> {
    let biases =
        fi::chip_biases(profile, &f.sets).map_err(|e| SweepError::Invalid(e.to_string()))?;
    let die = Arc::new(
        ChipInstance::with_biases(profile, instance, &biases)
            .map_err(|e| SweepError::Invalid(e.to_string()))?,
    );
    let model = mixsig_engine::spec::ModelKind::Physical(Default::default());
    let p = fi::fi_curve_on_die(model, &die, &[f.idc], f.dt, f.duration)
        .map_err(|e| SweepError::Trial(e.to_string()))?;
    let reports: Vec<(u32, BiasReport)> = die
        .core(fi::FI_SITE.0)
        .report
        .iter()
        .map(|r| (fi::FI_SITE.0, r.clone()))
        .collect();
    Ok(Measured {
        metric: p[0].rate_hz,
        features: features(&die, &[fi::FI_SITE], &reports),
    })
}

fn run_network(
    n: &NetworkExperiment,
    profile: &ChipProfile,
    instance: u64,
) -> Result<Measured, SweepError> {
    let file = n.path.display().to_string();
    let mut nf = netfile::load(&n.path)?;
    let run = crate::chipnet::bind(&nf.spec, &nf.chip, profile, instance, &file)?;
    let sites: Vec<(u32, u32)> = run.binding.sites.iter().flatten().copied().collect();
    let reports: Vec<(u32, BiasReport)> = run
        .biases
        .iter()
        .map(|b| (b.core, b.report.clone()))
        .collect();
    let die = Arc::clone(&run.binding.instance);
    nf.spec.chip = Some(run.binding);
    let cfg = SimConfig {
        dt: n.dt.or(nf.sim.dt).unwrap_or(1e-4),
        duration: n.duration.or(nf.sim.duration).unwrap_or(1.0),
        seed: nf.sim.seed.unwrap_or(0),
        network_name: file.clone(),
        chip: None,
        f32_state: false,
    };
    let (net, _) = sim::simulate(&nf.spec, &cfg, |_, _| {})
        .map_err(|e| SweepError::Trial(format!("{file}: {e}")))?;
    let g = net
        .rec
        .group(&n.population)
        .ok_or_else(|| SweepError::Invalid(format!("{file}: no population `{}`", n.population)))?;
    Ok(Measured {
        metric: net.rec.mean_rate(g, net.time()),
        features: features(&die, &sites, &reports),
    })
}

/// The device features of `die` over the neuron `sites` an experiment used and the biases it set.
pub fn features(
    die: &ChipInstance,
    sites: &[(u32, u32)],
    biases: &[(u32, BiasReport)],
) -> Features {
    let mut per_core: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for &(c, n) in sites {
        per_core.entry(c).or_default().push(n);
    }
    let mut out = BTreeMap::new();
    for (c, neurons) in &per_core {
        for f in NeuronParams::FIELDS
            .iter()
            .filter(|f| names::has_mismatch(f.name))
        {
            let s: f64 = neurons
                .iter()
                .map(|&n| die.neuron_factor(*c, n, f.name).ln())
                .sum();
            out.insert(format!("c{c}.{}", f.name), s / neurons.len() as f64);
        }
    }
    for (c, r) in biases {
        if r.current > 0.0 {
            out.insert(format!("c{c}.{}", r.bias), r.current.ln());
        }
    }
    out
}

/// Load-time check that a path names a readable network file (used by the CLI for early errors).
pub fn check_network_file(path: &Path) -> Result<(), SweepError> {
    netfile::load(path)?;
    Ok(())
}
