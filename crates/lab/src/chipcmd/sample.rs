//! `mixsig chip sample`: device statistics of one sampled or loaded die ([`device_stats`]), their
//! table, `device_stats.csv`, `summary.json`, the histogram figures and `instance.toml`, and the
//! evaluate-once instance ([`Materialized`]) they are computed from.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mixsig_chip::names;
use mixsig_chip::stats::{self, Describe};
use mixsig_circuits::units::Dimension;
use mixsig_circuits::NeuronParams;
use rayon::prelude::*;
use serde_json::{json, Value};

use super::{
    model_cv, num, opt_num, param_sigmas, q, ChipCmdError, ChipInstance, ChipProfile, WEIGHT_FACTOR,
};
use crate::output::write_atomic;
use crate::plot::{self, PlotError};

/// Statistics of one device parameter over every neuron (or synapse) of an instance.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceStat {
    /// Parameter name (`tau_mem`, `t_ref`, `t_pulse` are derived; [`WEIGHT_FACTOR`] is the
    /// per-synapse weight mismatch factor).
    pub name: String,
    /// Dimension.
    pub dim: Dimension,
    /// Statistics.
    pub stats: Describe,
    /// Model sigma of the per-device component (`None` for derived quantities).
    pub sigma_local: Option<f64>,
    /// Within-die CV predicted from `sigma_local` (see [`model_cv`]).
    pub model_cv: Option<f64>,
    /// Layout block (for grouping plots).
    pub block: &'static str,
}

/// A constant set of values has exactly zero spread (the floating-point mean of equal values may
/// differ from them in the last bit).
fn exact_constant(mut d: Describe) -> Describe {
    if d.n > 0 && d.min == d.max {
        d.mean = d.min;
        d.std = 0.0;
        d.cv = 0.0;
        d.std_ln = if d.min > 0.0 { 0.0 } else { f64::NAN };
        d.p05 = d.min;
        d.p50 = d.min;
        d.p95 = d.min;
    }
    d
}

fn block_of(name: &str) -> &'static str {
    match name {
        "tau_mem" => "membrane",
        "t_ref" => "refractory",
        "t_pulse" => "pulse",
        WEIGHT_FACTOR => "synapse",
        _ => names::BLOCKS
            .iter()
            .find(|(_, ps)| ps.contains(&name))
            .map(|(b, _)| *b)
            .unwrap_or("other"),
    }
}

/// Every per-synapse weight mismatch factor of the instance.
pub fn weight_factors(inst: &ChipInstance) -> Vec<f64> {
    let a = &inst.profile().architecture;
    let mut v = Vec::with_capacity(
        a.cores as usize * a.neurons_per_core as usize * a.synapses_per_neuron as usize,
    );
    for c in 0..a.cores {
        for n in 0..a.neurons_per_core {
            for k in 0..a.synapses_per_neuron {
                v.push(inst.weight_factor(c, n, k));
            }
        }
    }
    v
}

/// Statistics of every device parameter of `inst` ([`stats::summarize`]: mismatched parameters
/// and the derived time constants), plus the per-synapse weight factor.
pub fn device_stats(inst: &ChipInstance) -> Vec<DeviceStat> {
    let p = inst.profile();
    let mut out: Vec<DeviceStat> = stats::summarize(inst)
        .into_iter()
        .map(|s| {
            let derived = !names::has_mismatch(s.name);
            let sigma = (!derived).then(|| param_sigmas(p, s.name).local);
            DeviceStat {
                name: s.name.to_string(),
                dim: s.dim,
                stats: exact_constant(s.stats),
                sigma_local: sigma,
                model_cv: sigma.map(|x| model_cv(&p.mismatch, x)),
                block: block_of(s.name),
            }
        })
        .collect();
    // Rows grouped by layout block (derived quantities after the parameters of their block).
    let block_index = |b: &str| {
        names::BLOCKS
            .iter()
            .position(|(n, _)| *n == b)
            .unwrap_or(names::BLOCKS.len())
    };
    out.sort_by_key(|d| block_index(d.block));
    let sw = param_sigmas(p, names::WEIGHT_PARAM).local;
    out.push(DeviceStat {
        name: WEIGHT_FACTOR.into(),
        dim: Dimension::Dimensionless,
        stats: exact_constant(stats::describe(&weight_factors(inst))),
        sigma_local: Some(sw),
        model_cv: Some(model_cv(&p.mismatch, sw)),
        block: "synapse",
    });
    out
}

/// Per-parameter values over every neuron (for histograms), in the order of `stats`.
pub fn device_values(inst: &ChipInstance, stats: &[DeviceStat]) -> Vec<Vec<f64>> {
    let a = &inst.profile().architecture;
    let all: Vec<NeuronParams> = (0..a.cores)
        .flat_map(|c| (0..a.neurons_per_core).map(move |n| (c, n)))
        .map(|(c, n)| inst.neuron_params(c, n))
        .collect();
    stats
        .iter()
        .map(|s| match s.name.as_str() {
            "tau_mem" => all.iter().map(NeuronParams::tau_mem).collect(),
            "t_ref" => all.iter().map(NeuronParams::t_ref).collect(),
            "t_pulse" => all.iter().map(NeuronParams::t_pulse).collect(),
            WEIGHT_FACTOR => weight_factors(inst),
            n => all.iter().map(|p| p.field(n).unwrap_or(f64::NAN)).collect(),
        })
        .collect()
}

/// Header of `device_stats.csv`.
pub const DEVICE_STATS_HEADER: &str =
    "parameter,unit,block,n,mean,std,cv,std_ln,min,p5,p50,p95,max,model_sigma_local,model_cv";

/// `device_stats.csv`: one row per parameter (SI units; empty cells where undefined).
pub fn device_stats_csv(stats: &[DeviceStat]) -> String {
    let mut s = String::from(DEVICE_STATS_HEADER);
    s.push('\n');
    for d in stats {
        let t = &d.stats;
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            d.name,
            d.dim.symbol(),
            d.block,
            t.n,
            num(t.mean),
            num(t.std),
            num(t.cv),
            num(t.std_ln),
            num(t.min),
            num(t.p05),
            num(t.p50),
            num(t.p95),
            num(t.max),
            opt_num(d.sigma_local),
            opt_num(d.model_cv)
        );
    }
    s
}

fn jnum(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

/// Where an instance came from.
#[derive(Debug, Clone, PartialEq)]
pub enum InstanceSource {
    /// Sampled with this seed.
    Sampled(u64),
    /// Loaded from this file.
    Loaded(PathBuf),
}

/// `summary.json` of `mixsig chip sample`.
pub fn sample_summary_json(
    inst: &ChipInstance,
    source: &InstanceSource,
    stats: &[DeviceStat],
) -> Value {
    let p = inst.profile();
    let a = &p.architecture;
    let params: serde_json::Map<String, Value> = stats
        .iter()
        .map(|d| {
            let t = &d.stats;
            (
                d.name.clone(),
                json!({
                    "unit": d.dim.symbol(),
                    "block": d.block,
                    "n": t.n,
                    "mean": jnum(t.mean),
                    "std": jnum(t.std),
                    "cv": jnum(t.cv),
                    "std_ln": jnum(t.std_ln),
                    "min": jnum(t.min),
                    "p5": jnum(t.p05),
                    "p50": jnum(t.p50),
                    "p95": jnum(t.p95),
                    "max": jnum(t.max),
                    "model_sigma_local": d.sigma_local.map(jnum),
                    "model_cv": d.model_cv.map(jnum),
                }),
            )
        })
        .collect();
    json!({
        "command": "mixsig chip sample",
        "profile": p.name,
        "profile_origin": p.origin,
        "mismatch_model": p.mismatch.name(),
        "seed": inst.seed(),
        "source": match source {
            InstanceSource::Sampled(s) => json!({"sampled": s}),
            InstanceSource::Loaded(f) => json!({"loaded": f.display().to_string()}),
        },
        "cores": a.cores,
        "neurons_per_core": a.neurons_per_core,
        "synapses_per_neuron": a.synapses_per_neuron,
        "neurons": p.total_neurons(),
        "parameters": Value::Object(params),
    })
}

fn fmt_val(v: f64, d: Dimension) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    q(v, d)
}

/// The human table of `mixsig chip sample`.
pub fn stats_table(stats: &[DeviceStat]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<11} {:<13} {:>11} {:>8} {:>11} {:>11} {:>11} {:>9}",
        "block", "parameter", "mean", "CV", "p5", "p50", "p95", "model CV"
    );
    for d in stats {
        let t = &d.stats;
        let cv = if t.cv.is_finite() {
            format!("{:.2}%", t.cv * 100.0)
        } else {
            "-".into()
        };
        let _ = writeln!(
            s,
            "{:<11} {:<13} {:>11} {:>8} {:>11} {:>11} {:>11} {:>9}",
            d.block,
            d.name,
            fmt_val(t.mean, d.dim),
            cv,
            fmt_val(t.p05, d.dim),
            fmt_val(t.p50, d.dim),
            fmt_val(t.p95, d.dim),
            d.model_cv
                .map(|c| format!("{:.2}%", c * 100.0))
                .unwrap_or_else(|| "derived".into())
        );
    }
    s
}

/// Histogram figures of `mixsig chip sample`: (file stem, title suffix, blocks).
const HIST_GROUPS: &[(&str, &str, &[&str])] = &[
    ("hist_membrane", "membrane", &["membrane"]),
    (
        "hist_refractory_pulse_ahp",
        "refractory, pulse extender, AHP",
        &["refractory", "pulse", "ahp"],
    ),
    (
        "hist_synapses",
        "synapse DPIs and weight factor",
        &["ampa", "nmda", "gaba", "shunt", "synapse"],
    ),
];

/// Write `device_stats.csv`, `summary.json`, the histogram figures (SVG + PNG) and `instance.toml`
/// into `out`; returns the written paths.
pub fn write_sample(
    m: &Materialized,
    source: &InstanceSource,
    stats: &[DeviceStat],
    out: &Path,
) -> Result<Vec<PathBuf>, ChipCmdError> {
    let inst = &m.instance;
    let mut files = Vec::new();
    let csv = out.join("device_stats.csv");
    write_atomic(&csv, device_stats_csv(stats).as_bytes())?;
    files.push(csv);
    let js = out.join("summary.json");
    let text = serde_json::to_string_pretty(&sample_summary_json(inst, source, stats))
        .expect("summary serializes");
    write_atomic(&js, format!("{text}\n").as_bytes())?;
    files.push(js);

    let values = device_values(inst, stats);
    let who = match source {
        InstanceSource::Sampled(s) => format!("instance {s}"),
        InstanceSource::Loaded(f) => format!(
            "instance {} (from {})",
            inst.seed(),
            f.file_name().unwrap_or_default().to_string_lossy()
        ),
    };
    // The three figures are independent: draw them in parallel (rendering dominates the time
    // of writing a run directory).
    let figures: Vec<Result<[PathBuf; 2], PlotError>> = HIST_GROUPS
        .par_iter()
        .filter_map(|(stem, what, blocks)| {
            let panels: Vec<(String, Vec<f64>)> = stats
                .iter()
                .zip(&values)
                .filter(|(d, _)| blocks.contains(&d.block))
                .map(|(d, v)| {
                    let unit = d.dim.symbol();
                    let label = if unit.is_empty() {
                        d.name.clone()
                    } else {
                        format!("{} ({unit})", d.name)
                    };
                    (label, v.clone())
                })
                .collect();
            if panels.is_empty() {
                return None;
            }
            let title = format!(
                "{} {}: {} ({} neurons)",
                inst.profile().name,
                who,
                what,
                inst.profile().total_neurons()
            );
            Some(plot::histograms_grid(&out.join(stem), &title, &panels, 30))
        })
        .collect();
    for f in figures {
        files.extend(f?);
    }

    let it = out.join("instance.toml");
    write_atomic(&it, m.toml.as_bytes())?;
    files.push(it);
    Ok(files)
}

/// An instance with every per-device value evaluated once, and its instance file text.
///
/// A freshly sampled instance evaluates each device lazily from its random stream, every time it
/// is asked; statistics, histograms and the instance file each ask for every device. Evaluating
/// once (through the instance file text, which holds every value) and reading the frozen values
/// back makes `sample` several times faster, and the statistics are by construction those of the
/// saved file.
#[derive(Debug, Clone)]
pub struct Materialized {
    /// The instance, every device frozen.
    pub instance: ChipInstance,
    /// `instance.toml`.
    pub toml: String,
}

/// Evaluate every device of `inst` once (see [`Materialized`]).
pub fn materialize(inst: &ChipInstance) -> Result<Materialized, ChipCmdError> {
    let toml = inst.to_toml_string();
    let instance = ChipInstance::from_toml_str(&toml, "instance.toml (in memory)", inst.profile())
        .map_err(|cause| ChipCmdError::Instance {
            cause: Box::new(cause),
        })?;
    Ok(Materialized { instance, toml })
}

impl Materialized {
    /// An instance loaded from a file already holds every value: keep it as it is.
    pub fn from_loaded(instance: ChipInstance) -> Self {
        let toml = instance.to_toml_string();
        Materialized { instance, toml }
    }
}

/// Load an instance file for `profile`, naming the file in errors.
pub fn load_instance(path: &Path, profile: &ChipProfile) -> Result<ChipInstance, ChipCmdError> {
    ChipInstance::load(path, profile).map_err(|cause| ChipCmdError::Instance {
        cause: Box::new(cause),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chipcmd::load_profile;

    #[test]
    fn materialized_statistics_equal_lazy_ones() {
        // fdsoi22: one core of 256 neurons, quick to evaluate lazily.
        let p = load_profile("fdsoi22").unwrap();
        let lazy = ChipInstance::sample(&p, 5);
        let m = materialize(&lazy).unwrap();
        assert_eq!(device_stats(&lazy), device_stats(&m.instance));
        assert_eq!(m.toml, m.instance.to_toml_string());
    }
}
