//! The logic of `mixsig chip`: profile summaries (`show`), device statistics of one sampled or
//! loaded die (`sample`), and bias-generator tables and lookups (`bias`). The binary only parses
//! arguments and prints what these functions return; every file is written with
//! [`write_atomic`] (or the plot module's temporary-and-rename) after all input has been checked, so
//! bad input never leaves a half-written run directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mixsig_chip::biasgen::{BiasGenSpec, GeneratorKind};
use mixsig_chip::mismatch::Sigmas;
use mixsig_chip::names::{self, BiasName, BiasTarget};
use mixsig_chip::profile::{BiasSharing, BUILTIN};
use mixsig_chip::stats::{self, Describe};
use mixsig_chip::{
    BiasCode, BiasGenerator, BiasValue, Device, InstanceError, Inverse, MismatchModel, Polarity,
    ProfileError, WeightFormat,
};
use mixsig_circuits::units::{format_quantity, parse_quantity, Dimension};
use mixsig_circuits::NeuronParams;
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::output::{write_atomic, WriteError};
use crate::plot::{self, Curve, PlotError};

pub use mixsig_chip::{ChipInstance, ChipProfile};

/// Default output directory of `mixsig chip`.
pub const DEFAULT_OUT: &str = "runs/chip";

/// Name of the per-synapse weight factor in statistics and plots.
pub const WEIGHT_FACTOR: &str = "i_w_factor";

/// Errors of `mixsig chip`, each naming the culprit.
#[derive(Debug, thiserror::Error)]
pub enum ChipCmdError {
    /// Neither a built-in profile name nor an existing file.
    #[error("unknown profile '{name}': not a built-in profile ({valid}) and no such file")]
    UnknownProfile {
        /// What was given.
        name: String,
        /// Built-in names.
        valid: String,
    },
    /// The profile file is malformed or invalid (the cause is part of the message, which names
    /// file, line, key and constraint).
    #[error("profile '{name}': {cause}")]
    Profile {
        /// What was given.
        name: String,
        /// The cause.
        cause: Box<ProfileError>,
    },
    /// Unknown bias name.
    #[error("unknown bias '{name}'; valid names: {valid}")]
    UnknownBias {
        /// What was given.
        name: String,
        /// Every valid name (DYNAP-SE2 name = parameter).
        valid: String,
    },
    /// Core out of range.
    #[error("core {core} out of range: profile '{profile}' has {cores} core(s) (0..={last})")]
    Core {
        /// Requested core.
        core: u32,
        /// Profile name.
        profile: String,
        /// Cores of the profile.
        cores: u32,
        /// Last valid core.
        last: u32,
    },
    /// A current that cannot be looked up.
    #[error("bad current '{text}': {reason}")]
    BadCurrent {
        /// What was given.
        text: String,
        /// Why it is rejected.
        reason: String,
    },
    /// Instance file could not be loaded (the cause names the file).
    #[error("instance file: {cause}")]
    Instance {
        /// The cause.
        cause: Box<InstanceError>,
    },
    /// Output could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Plot could not be written.
    #[error(transparent)]
    Plot(#[from] PlotError),
}

// -------------------------------------------------------------------------------------------------
// Profiles
// -------------------------------------------------------------------------------------------------

/// Names of the built-in profiles.
pub fn builtin_names() -> &'static [&'static str] {
    BUILTIN
}

/// A built-in profile by name or a profile file by path, with errors naming what was given.
pub fn load_profile(name_or_path: &str) -> Result<ChipProfile, ChipCmdError> {
    let is_builtin = BUILTIN.contains(&name_or_path);
    if !is_builtin && !Path::new(name_or_path).exists() {
        return Err(ChipCmdError::UnknownProfile {
            name: name_or_path.into(),
            valid: BUILTIN.join(", "),
        });
    }
    ChipProfile::builtin_or_load(name_or_path).map_err(|cause| ChipCmdError::Profile {
        name: name_or_path.into(),
        cause: Box::new(cause),
    })
}

/// `mixsig chip show --list`: one line per built-in profile (name, flag, description).
pub fn list_builtins() -> String {
    let mut s = String::new();
    for name in BUILTIN {
        match ChipProfile::builtin(name) {
            Ok(p) => {
                let _ = writeln!(
                    s,
                    "{name:<10} {:<13} {}",
                    if p.hypothetical {
                        "hypothetical"
                    } else {
                        "silicon"
                    },
                    p.description
                );
            }
            Err(e) => {
                let _ = writeln!(s, "{name:<10} (invalid: {e})");
            }
        }
    }
    s
}

/// `v` with an SI prefix and 4 significant digits, trailing zeros trimmed (`5.319 pA`, `3 pF`).
pub fn q(v: f64, d: Dimension) -> String {
    let sym = d.symbol();
    if !v.is_finite() {
        return "-".into();
    }
    if v == 0.0 || d == Dimension::Temperature {
        return format_quantity(v, d).replace("0.0000", "0");
    }
    let prefixes = [
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
        (1e-3, "m"),
        (1e-6, "u"),
        (1e-9, "n"),
        (1e-12, "p"),
        (1e-15, "f"),
    ];
    let (f, p) = if sym.is_empty() {
        (1.0, "")
    } else {
        prefixes
            .iter()
            .copied()
            .find(|(f, _)| v.abs() >= f * 0.999_95)
            .unwrap_or((1e-15, "f"))
    };
    let x = v / f;
    let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let t = format!("{x:.digits$}");
    let t = if t.contains('.') {
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        t
    };
    format!("{t} {p}{sym}").trim_end().to_string()
}

fn um(m: f64) -> String {
    let s = format!("{:.3}", m * 1e6);
    format!("{} um", s.trim_end_matches('0').trim_end_matches('.'))
}

/// Every parameter that carries device mismatch, in [`NeuronParams::FIELDS`] order.
pub fn mismatched_params() -> Vec<&'static str> {
    NeuronParams::FIELDS
        .iter()
        .filter(|f| names::has_mismatch(f.name))
        .map(|f| f.name)
        .collect()
}

/// The component sigmas of the device behind parameter `name` (log domain for the physical
/// model, relative for the compatibility models).
pub fn param_sigmas(p: &ChipProfile, name: &str) -> Sigmas {
    p.mismatch
        .sigmas(&p.layout.device(name), &p.process.operating_point())
}

/// The within-die CV the model predicts from the per-device component alone:
/// `sqrt(exp(s^2) - 1)` for the lognormal physical model, `s` for the Gaussian models.
pub fn model_cv(m: &MismatchModel, local: f64) -> f64 {
    match m {
        MismatchModel::None => 0.0,
        MismatchModel::Physical(_) => (local * local).exp_m1().sqrt(),
        MismatchModel::GaussianPercent(_) | MismatchModel::TruncatedGaussian(_) => local,
    }
}

fn describe_device(d: &Device) -> String {
    match *d {
        Device::Transistor { w, l, polarity } => format!(
            "{}-FET W/L = {}/{}",
            match polarity {
                Polarity::N => "n",
                Polarity::P => "p",
            },
            um(w),
            um(l)
        ),
        Device::Capacitor { c } => format!("C = {}", q(c, Dimension::Capacitance)),
    }
}

fn generator_kind_line(g: &BiasGenSpec) -> String {
    match &g.kind {
        GeneratorKind::Exact => "exact (any current passes through unchanged, no codes)".into(),
        GeneratorKind::Parametric(p) => format!(
            "parametric, style {}: {} coarse ranges x {}-bit fine DAC",
            p.style,
            p.coarse_currents.len(),
            p.fine_bits
        ),
        GeneratorKind::Table(t) => format!(
            "measured table {} ({} curve(s): {})",
            t.path,
            t.curves.len(),
            t.curves.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The weight format in words.
pub fn weight_format_line(w: &WeightFormat) -> String {
    match *w {
        WeightFormat::Dynapse2Mask => {
            "dynapse2-mask: 4-bit mask per synapse over the four per-core base currents SYAM_W0_P..SYAM_W3_P (I_w = sum_k b_k*I_wk, 16 levels)".into()
        }
        WeightFormat::Dynapse1Type => {
            "dynapse1-type: one weight bias per synapse type per core (base k = type index)".into()
        }
        WeightFormat::Analog { i_max } => format!(
            "analog: x in [0, 1], I_w = x*i_max, i_max = {}",
            q(i_max, Dimension::Current)
        ),
        WeightFormat::NBit { bits, i_max } => format!(
            "n-bit: {bits} bits, I_w = level/{}*i_max, i_max = {}",
            (1u64 << bits) - 1,
            q(i_max, Dimension::Current)
        ),
    }
}

/// The profile with the bias generator's branch and coarse mismatch switched off: the transfer
/// curves of the nominal die.
pub fn nominal_generator_spec(p: &ChipProfile) -> BiasGenSpec {
    let mut g = p.bias_generator.clone();
    if let GeneratorKind::Parametric(pg) = &mut g.kind {
        pg.branch_sigma = 0.0;
        pg.coarse_sigma = 0.0;
    }
    g
}

/// The nominal die of `p`: no device mismatch, no corner, no bias-generator mismatch; its core 0
/// reports what the profile's default biases achieve.
pub fn nominal_die(p: &ChipProfile) -> ChipInstance {
    let mut n = p.clone();
    n.mismatch = MismatchModel::None;
    n.process.vt_offset_n = 0.0;
    n.process.vt_offset_p = 0.0;
    n.bias_generator = nominal_generator_spec(p);
    ChipInstance::sample(&n, 0)
}

fn bias_value_str(v: &BiasValue) -> String {
    match v {
        BiasValue::Current(i) => q(*i, Dimension::Current),
        BiasValue::Code(c) => format!("code {c}"),
    }
}

/// Write `profile.json` (the validated profile, SI units) into `out`.
pub fn write_profile_json(p: &ChipProfile, out: &Path) -> Result<Vec<PathBuf>, ChipCmdError> {
    let f = out.join("profile.json");
    let text = serde_json::to_string_pretty(p).expect("profile serializes");
    write_atomic(&f, format!("{text}\n").as_bytes())?;
    Ok(vec![f])
}

/// `mixsig chip show`: a readable summary of a profile.
pub fn profile_summary(p: &ChipProfile) -> String {
    let mut s = String::new();
    let pr = &p.process;
    let a = &p.architecture;
    let _ = writeln!(s, "profile {}  ({})", p.name, p.origin);
    let _ = writeln!(s, "  {}", p.description);
    let _ = writeln!(
        s,
        "  hypothetical: {}",
        if p.hypothetical {
            "yes (a design without silicon)"
        } else {
            "no (modelled on a real chip)"
        }
    );

    let _ = writeln!(s, "\nprocess");
    if let Some(node) = pr.node {
        let _ = writeln!(s, "  node          {:.0} nm", node * 1e9);
    }
    let _ = writeln!(
        s,
        "  I_0           {}\n  kappa_n       {}\n  kappa_p       {}",
        q(pr.i_0, Dimension::Current),
        pr.kappa_n,
        pr.kappa_p
    );
    let _ = writeln!(
        s,
        "  temperature   {:.2} K ({:.2} degC), U_T = {}",
        pr.temperature,
        pr.temperature - 273.15,
        q(pr.u_t, Dimension::Voltage)
    );
    let _ = writeln!(s, "  supply        {}", q(pr.supply, Dimension::Voltage));
    let _ = writeln!(
        s,
        "  corner        {} (global V_T offsets n {}, p {})",
        pr.corner.as_deref().unwrap_or("-"),
        q(pr.vt_offset_n, Dimension::Voltage),
        q(pr.vt_offset_p, Dimension::Voltage)
    );

    let _ = writeln!(s, "\narchitecture");
    let _ = writeln!(
        s,
        "  cores         {}\n  neurons       {} per core, {} in total\n  synapses      {} per neuron",
        a.cores,
        a.neurons_per_core,
        p.total_neurons(),
        a.synapses_per_neuron
    );
    let _ = writeln!(
        s,
        "  synapse types {}",
        a.synapse_types
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "  bias sharing  {}",
        match a.bias_sharing {
            BiasSharing::Core => "per core (every neuron of a core gets the same nominal bias)",
            BiasSharing::Neuron => "per neuron",
        }
    );

    let _ = writeln!(s, "\nmismatch model: {}", p.mismatch.name());
    match p.mismatch {
        MismatchModel::None => {
            let _ = writeln!(s, "  every device is nominal");
        }
        MismatchModel::Physical(m) => {
            let _ = writeln!(
                s,
                "  Pelgrom A_VT  n {:.3} mV*um, p {:.3} mV*um; A_beta {:.3} %*um",
                m.a_vt_n * 1e9,
                m.a_vt_p * 1e9,
                m.a_beta * 1e8
            );
            let _ = writeln!(
                s,
                "  capacitors    {:.3} % at {} (sigma ~ sqrt(C_ref/C))",
                m.cap_sigma * 100.0,
                q(m.cap_ref, Dimension::Capacitance)
            );
            let _ = writeln!(
                s,
                "  die-to-die    sigma_VT {}, capacitors {:.3} %",
                q(m.sigma_vt_global, Dimension::Voltage),
                m.cap_sigma_global * 100.0
            );
            let _ = writeln!(
                s,
                "  core-to-core  sigma_VT {}, capacitors {:.3} %",
                q(m.sigma_vt_core, Dimension::Voltage),
                m.cap_sigma_core * 100.0
            );
        }
        MismatchModel::GaussianPercent(c) | MismatchModel::TruncatedGaussian(c) => {
            let _ = writeln!(
                s,
                "  x*(1 + sigma*N(0,1)){}: device {:.3} %, core {:.3} %, die {:.3} %",
                if matches!(p.mismatch, MismatchModel::TruncatedGaussian(_)) {
                    " truncated at 0"
                } else {
                    ""
                },
                c.sigma * 100.0,
                c.sigma_core * 100.0,
                c.sigma_global * 100.0
            );
        }
    }

    let sig_head = match p.mismatch {
        MismatchModel::Physical(_) => "sigma_ln",
        _ => "sigma",
    };
    let _ = writeln!(
        s,
        "\nlayout (devices behind mismatched parameters; * = the default transistor)"
    );
    let _ = writeln!(
        s,
        "  {:<11} {:<14} {:<26} {:>9} {:>9}",
        "block", "parameter", "device", sig_head, "model CV"
    );
    for (block, params) in names::BLOCKS {
        for name in *params {
            let d = p.layout.device(name);
            let listed = p.layout.devices.contains_key(*name);
            let sg = param_sigmas(p, name);
            let _ = writeln!(
                s,
                "  {:<11} {:<14} {:<26} {:>9.4} {:>8.2}%",
                block,
                name,
                format!("{}{}", describe_device(&d), if listed { "" } else { " *" }),
                sg.local,
                100.0 * model_cv(&p.mismatch, sg.local)
            );
        }
    }

    let g = &p.bias_generator;
    let _ = writeln!(s, "\nbias generator: {}", generator_kind_line(g));
    if let GeneratorKind::Parametric(pg) = &g.kind {
        let _ = writeln!(
            s,
            "  coarse ranges {}",
            pg.coarse_currents
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{i}: {}", q(*c, Dimension::Current)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(
            s,
            "  fine          {} bits ({} levels), floor {} at fine 0",
            pg.fine_bits,
            pg.fine_levels(),
            q(pg.floor, Dimension::Current)
        );
        let _ = writeln!(
            s,
            "  mismatch      unit branch sigma {:.2} %, coarse range sigma {:.2} %",
            pg.branch_sigma * 100.0,
            pg.coarse_sigma * 100.0
        );
    }
    if !g.scale.is_empty() {
        let _ = writeln!(
            s,
            "  scale factors {}",
            g.scale
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    let _ = writeln!(s, "\nweights: {}", weight_format_line(&p.weights));
    let _ = writeln!(
        s,
        "noise: shot noise {}",
        if p.noise.shot {
            "on (S_I = 2qI)"
        } else {
            "off"
        }
    );

    let die = nominal_die(p);
    let _ = writeln!(
        s,
        "\ndefault biases on the nominal die (no mismatch); [biases] = set in the profile, else the circuit default"
    );
    let _ = writeln!(
        s,
        "  {:<14} {:<12} {:>12} {:<22} {:>12} {:>9}  source",
        "bias", "sets", "requested", "code", "achieved", "error"
    );
    for r in &die.core(0).report {
        let _ = writeln!(
            s,
            "  {:<14} {:<12} {:>12} {:<22} {:>12} {:>8.2}%  {}{}",
            r.bias,
            r.target,
            bias_value_str(&r.requested),
            r.code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "exact".into()),
            q(r.current, Dimension::Current),
            r.rel_error * 100.0,
            if p.default_biases.contains_key(&r.bias) {
                "[biases]"
            } else {
                "default"
            },
            r.warning
                .as_ref()
                .map(|w| format!("  warning: {w}"))
                .unwrap_or_default()
        );
    }
    s
}

// -------------------------------------------------------------------------------------------------
// Sample
// -------------------------------------------------------------------------------------------------

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

/// A number for CSV: shortest round-trip representation; empty if not finite.
fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:e}")
    } else {
        String::new()
    }
}

fn opt_num(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
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

// -------------------------------------------------------------------------------------------------
// Bias
// -------------------------------------------------------------------------------------------------

/// Every valid bias name as `DYNAP_NAME (parameter)`.
pub fn valid_bias_names() -> String {
    names::BIASES
        .iter()
        .map(|b| format!("{} ({})", b.name, b.target.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolve a DYNAP-SE2 bias name or a parameter name (`i_tau_mem`, `w0`).
pub fn resolve_bias(name: &str) -> Result<&'static BiasName, ChipCmdError> {
    names::resolve_bias(name)
        .or_else(|| names::resolve_bias(&name.to_ascii_uppercase()))
        .ok_or_else(|| ChipCmdError::UnknownBias {
            name: name.into(),
            valid: valid_bias_names(),
        })
}

/// Check `core` against the profile.
pub fn check_core(p: &ChipProfile, core: u32) -> Result<(), ChipCmdError> {
    let cores = p.architecture.cores;
    if core >= cores {
        return Err(ChipCmdError::Core {
            core,
            profile: p.name.clone(),
            cores,
            last: cores.saturating_sub(1),
        });
    }
    Ok(())
}

/// Parse a target current (`5pA`, `2.5 nA`, `3e-9`): finite and > 0.
pub fn parse_current(text: &str) -> Result<f64, ChipCmdError> {
    let v = parse_quantity(text, Dimension::Current).map_err(|e| ChipCmdError::BadCurrent {
        text: text.into(),
        reason: e.to_string(),
    })?;
    if v > 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(ChipCmdError::BadCurrent {
            text: text.into(),
            reason: "a target current must be > 0".into(),
        })
    }
}

/// The realized generator of `bias` on `core` of instance `seed`.
pub fn generator(p: &ChipProfile, seed: u64, core: u32, bias: &BiasName) -> BiasGenerator {
    p.bias_generator.realize(seed, core, bias.name)
}

/// Fine values shown in the human table: 0, 1, the powers of two and the codes just below them
/// (where binary-weighted DACs step down), and the top code.
pub fn readable_fines(levels: usize) -> Vec<u16> {
    let mut v = vec![0usize];
    let mut k = 1usize;
    while k < levels {
        if k > 1 {
            v.push(k - 1);
        }
        v.push(k);
        k *= 2;
    }
    v.push(levels - 1);
    v.sort_unstable();
    v.dedup();
    v.into_iter().map(|f| f as u16).collect()
}

/// `bias_table.csv`: `coarse,fine,current_a` for every code.
pub fn bias_table_csv(g: &BiasGenerator) -> String {
    let mut s = String::from("coarse,fine,current_a\n");
    for c in g.codes() {
        let _ = writeln!(
            s,
            "{},{},{:e}",
            c.coarse,
            c.fine,
            g.current(c).unwrap_or(f64::NAN)
        );
    }
    s
}

/// The human code → current table: one column per coarse range, rows [`readable_fines`]; `v`
/// marks a current below the one of the previous fine value (a non-monotonic step).
pub fn bias_table_text(g: &BiasGenerator) -> String {
    let mut s = String::new();
    let nc = g.coarse_levels();
    let _ = write!(s, "{:>6}", "fine");
    for c in 0..nc {
        let _ = write!(s, " {:>12}", format!("coarse {c}"));
    }
    s.push('\n');
    for f in readable_fines(g.fine_levels()) {
        let _ = write!(s, "{f:>6}");
        for c in 0..nc {
            let code = BiasCode {
                coarse: c as u8,
                fine: f,
            };
            let i = g.current(code).unwrap_or(f64::NAN);
            let down = f > 0
                && g.current(BiasCode {
                    fine: f - 1,
                    ..code
                })
                .is_some_and(|p| i < p);
            let _ = write!(
                s,
                " {:>12}",
                format!(
                    "{}{}",
                    q(i, Dimension::Current),
                    if down { " v" } else { "  " }
                )
            );
        }
        s.truncate(s.trim_end().len());
        s.push('\n');
    }
    let steps = g.downward_steps();
    if steps.is_empty() {
        let _ = writeln!(s, "transfer curves are monotonic");
    } else {
        let _ = writeln!(
            s,
            "{} non-monotonic step(s) (v: I(c, f) < I(c, f-1)): {}",
            steps.len(),
            steps
                .iter()
                .map(|c| format!("c{} f{}", c.coarse, c.fine))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s
}

/// The plot of `mixsig chip bias`: log10 of the current against the fine value, one curve per
/// coarse range (the plot module's y axis is linear, so the log is taken here).
pub fn bias_plot(
    g: &BiasGenerator,
    title: &str,
    stem: &Path,
) -> Result<[PathBuf; 2], ChipCmdError> {
    let nc = g.coarse_levels();
    let x: Vec<f64> = (0..g.fine_levels()).map(|f| f as f64).collect();
    let ys: Vec<Vec<f64>> = (0..nc).map(|c| g.fine_curve(c).to_vec()).collect();
    let names: Vec<String> = (0..nc).map(|c| format!("coarse {c}")).collect();
    let series: Vec<Curve> = names
        .iter()
        .zip(&ys)
        .map(|(n, y)| Curve {
            name: n,
            x: &x,
            y,
            band: None,
        })
        .collect();
    Ok(plot::curves_axes(
        stem,
        title,
        "fine value",
        "current (A)",
        false,
        true,
        &series,
    )?)
}

/// One current → code lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// Target current, A.
    pub target: f64,
    /// The generator's answer.
    pub inverse: Inverse,
    /// Relative size of the larger step between the chosen code and its neighbouring fine values
    /// (same coarse range), `max over n in {f-1, f+1} of max(I(n)/I(f), I(f)/I(n)) - 1`; an
    /// in-range target is always within this of the achieved current. `None` if exact.
    pub local_step: Option<f64>,
}

/// Look `target` up on `g`.
pub fn lookup(g: &BiasGenerator, target: f64) -> Lookup {
    let inverse = g.inverse(target);
    let local_step = inverse.code.and_then(|code| {
        let i = g.current(code)?;
        let mut best: Option<f64> = None;
        let nbs = [
            code.fine
                .checked_sub(1)
                .and_then(|f| g.current(BiasCode { fine: f, ..code })),
            g.current(BiasCode {
                fine: code.fine + 1,
                ..code
            }),
        ];
        for n in nbs.into_iter().flatten() {
            if n > 0.0 && i > 0.0 {
                let r = (n / i).max(i / n) - 1.0;
                best = Some(best.map_or(r, |b: f64| b.max(r)));
            }
        }
        best
    });
    Lookup {
        target,
        inverse,
        local_step,
    }
}

/// The human lookup table.
pub fn lookup_text(rows: &[Lookup]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>12} {:<22} {:>12} {:>10} {:>11}  warning",
        "target", "code", "achieved", "rel error", "local step"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:>12} {:<22} {:>12} {:>9.3}% {:>11}  {}",
            q(r.target, Dimension::Current),
            r.inverse
                .code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "exact".into()),
            q(r.inverse.current, Dimension::Current),
            r.inverse.rel_error * 100.0,
            r.local_step
                .map(|x| format!("{:.3}%", x * 100.0))
                .unwrap_or_else(|| "-".into()),
            r.inverse.warning.as_deref().unwrap_or("")
        );
    }
    s
}

/// `bias_lookup.csv`: one row per target.
pub fn lookup_csv(rows: &[Lookup]) -> String {
    let mut s = String::from("target_a,coarse,fine,current_a,rel_error,local_step,warning\n");
    for r in rows {
        let (c, f) = r
            .inverse
            .code
            .map(|c| (c.coarse.to_string(), c.fine.to_string()))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{:e},{c},{f},{:e},{:e},{},\"{}\"",
            r.target,
            r.inverse.current,
            r.inverse.rel_error,
            opt_num(r.local_step),
            r.inverse.warning.as_deref().unwrap_or("").replace('"', "'")
        );
    }
    s
}

/// A one-line description of the bias and its generator.
pub fn bias_header(
    p: &ChipProfile,
    seed: u64,
    core: u32,
    b: &BiasName,
    g: &BiasGenerator,
) -> String {
    let what = match b.target {
        BiasTarget::Param(x) => x.to_string(),
        BiasTarget::WeightBase(k) => format!("weight base {k}"),
    };
    let gen = if g.is_exact() {
        "exact generator".to_string()
    } else {
        let (lo, hi) = g.range();
        format!(
            "{} coarse x {} fine levels, scale {}, range {} .. {}",
            g.coarse_levels(),
            g.fine_levels(),
            p.bias_generator.scale_of(b.name),
            q(lo, Dimension::Current),
            q(hi, Dimension::Current)
        )
    };
    format!(
        "profile {}, instance {seed}, core {core}: bias {} -> {what}; {gen}",
        p.name, b.name
    )
}

/// Write `bias_table.csv` and `bias_table.svg/.png` into `out`.
pub fn write_bias_table(
    g: &BiasGenerator,
    title: &str,
    out: &Path,
) -> Result<Vec<PathBuf>, ChipCmdError> {
    let csv = out.join("bias_table.csv");
    write_atomic(&csv, bias_table_csv(g).as_bytes())?;
    let mut files = vec![csv];
    files.extend(bias_plot(g, title, &out.join("bias_table"))?);
    Ok(files)
}

/// Write `bias_lookup.csv` into `out`.
pub fn write_lookup(rows: &[Lookup], out: &Path) -> Result<Vec<PathBuf>, ChipCmdError> {
    let csv = out.join("bias_lookup.csv");
    write_atomic(&csv, lookup_csv(rows).as_bytes())?;
    Ok(vec![csv])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_quantities() {
        assert_eq!(q(5.3191e-12, Dimension::Current), "5.319 pA");
        assert_eq!(q(3e-12, Dimension::Capacitance), "3 pF");
        assert_eq!(q(613.92e-15, Dimension::Current), "613.9 fA");
        assert_eq!(q(0.025, Dimension::Voltage), "25 mV");
        assert_eq!(q(0.0, Dimension::Voltage), "0 V");
        assert_eq!(q(0.83571, Dimension::Dimensionless), "0.8357");
        assert_eq!(q(9.99996e-10, Dimension::Current), "1 nA");
    }

    #[test]
    fn readable_fines_of_8_bits() {
        assert_eq!(
            readable_fines(256),
            vec![0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255]
        );
    }

    #[test]
    fn every_builtin_summarizes() {
        for n in builtin_names() {
            let p = load_profile(n).unwrap();
            let s = profile_summary(&p);
            assert!(s.contains(&format!("cores         {}", p.architecture.cores)));
        }
    }

    #[test]
    fn unknown_names_are_named() {
        let e = load_profile("no-such-chip").unwrap_err().to_string();
        assert!(e.contains("no-such-chip") && e.contains("dynapse2"), "{e}");
        let e = resolve_bias("SOIF_FOO").unwrap_err().to_string();
        assert!(e.contains("SOIF_FOO") && e.contains("SOIF_LEAK_N"), "{e}");
        assert_eq!(resolve_bias("i_tau_mem").unwrap().name, "SOIF_LEAK_N");
        assert!(parse_current("-1pA").is_err());
        assert!(parse_current("5 pF").is_err());
    }

    #[test]
    fn materialized_statistics_equal_lazy_ones() {
        // fdsoi22: one core of 256 neurons, quick to evaluate lazily.
        let p = load_profile("fdsoi22").unwrap();
        let lazy = ChipInstance::sample(&p, 5);
        let m = materialize(&lazy).unwrap();
        assert_eq!(device_stats(&lazy), device_stats(&m.instance));
        assert_eq!(m.toml, m.instance.to_toml_string());
    }

    #[test]
    fn lookup_error_within_local_step() {
        let p = ChipProfile::default_profile();
        let b = resolve_bias("SOIF_LEAK_N").unwrap();
        let g = generator(&p, 0, 0, b);
        for t in [3e-12, 5e-12, 1e-10, 7.7e-9, 1e-7] {
            let l = lookup(&g, t);
            assert!(
                l.inverse.rel_error.abs() <= l.local_step.unwrap() + 1e-12,
                "{t}: {l:?}"
            );
        }
    }
}
