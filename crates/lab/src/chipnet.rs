//! Placing a network on a chip: populations onto cores, the network's bias requests into per-core
//! bias settings (with the design rules that shared biases impose), and a sampled die bound to the
//! engine's [`ChipBinding`].
//!
//! - Placement: populations in file order; a population with `core = N` starts on core N and must fit
//!   there; others fill cores first-fit and may span several cores.
//! - Biases: the profile's defaults, then `[[chip.bias]]` entries, then every bias parameter a
//!   population sets in its `params` table, on each core it occupies. Biases are shared by all neurons
//!   of a core: two populations on one core asking for different values is an error. Parameters that
//!   are not biases (capacitances, slope factors, ...) belong to the profile and are rejected.
//! - Requests: a current, a (coarse, fine) code, a time (leak time constant or pulse width, through the
//!   profile's nominal capacitance), or a gain ratio (times the same block's leak current on that core).
//! - Calibration (`[chip] calibrate = true`): the requests of every core the network occupies are
//!   corrected for that core's die- and core-level mismatch ([`crate::calibrate`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use mixsig_chip::instance::BiasReport;
use mixsig_chip::names::{resolve_bias, BiasTarget};
use mixsig_chip::{BiasCode, BiasSettings, BiasValue, ChipInstance, ChipProfile};
use mixsig_circuits::transistor::{current_from_pulse_width, current_from_tau};
use mixsig_circuits::NeuronParams;
use mixsig_engine::spec::{ChipBinding, NetworkSpec};

use crate::calibrate::{calibrate, Correction};
use crate::located::FileError;
use crate::netfile::{BiasRequest, ChipSection};

/// Where a population landed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlacedPopulation {
    /// Population name.
    pub population: String,
    /// Cores it occupies.
    pub cores: Vec<u32>,
    /// First (core, neuron) site.
    pub first_site: (u32, u32),
}

/// A bias the network set, as the generator realized it on one core.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SetBias {
    /// Core.
    pub core: u32,
    /// Who asked for it (`population exc`, `chip.bias[2]`).
    pub origin: String,
    /// The generator's report.
    pub report: BiasReport,
}

/// A network bound to a die, with what was done to get there.
#[derive(Debug, Clone)]
pub struct ChipRun {
    /// The engine binding (die + sites).
    pub binding: ChipBinding,
    /// Placement of each population.
    pub placement: Vec<PlacedPopulation>,
    /// Biases set by the network.
    pub biases: Vec<SetBias>,
    /// What the per-die calibration changed (`[chip] calibrate`; empty without it).
    pub calibration: Vec<Correction>,
}

/// Convert a time target into a current for `param`, using the profile's nominal layout.
fn current_for_time(param: &str, t: f64, p: &NeuronParams) -> Option<f64> {
    let (u_t, kappa, v) = (p.u_t, p.kappa(), p.v_th);
    let leak = |c: f64| Some(current_from_tau(c, u_t, kappa, t));
    let width = |c: f64| Some(current_from_pulse_width(v, c, t));
    match param {
        "i_tau_mem" => leak(p.c_mem),
        "i_tau_ampa" => leak(p.c_ampa),
        "i_tau_nmda" => leak(p.c_nmda),
        "i_tau_gaba" => leak(p.c_gaba),
        "i_tau_shunt" => leak(p.c_shunt),
        "i_tau_ahp" => leak(p.c_ahp),
        "i_ref" => width(p.c_ref),
        "i_pulse" => width(p.c_pulse),
        "i_pulse_ahp" => width(p.c_pulse_ahp),
        _ => None,
    }
}

/// The leak parameter of a gain parameter's block (`i_gain_ampa` -> `i_tau_ampa`).
fn leak_of_gain(param: &str) -> Option<String> {
    param.strip_prefix("i_gain_").map(|b| format!("i_tau_{b}"))
}

fn err(file: &str, line: usize, key: &str, msg: impl Into<String>) -> FileError {
    FileError {
        file: file.to_string(),
        line,
        key: if key.is_empty() {
            String::new()
        } else {
            format!("key `{key}`: ")
        },
        message: msg.into(),
    }
}

#[derive(Debug, Clone)]
struct Want {
    request: BiasRequest,
    origin: String,
    line: usize,
    /// From a separate bias file (`--biases`): it wins over a population's request for the same
    /// bias on the same core, as tuned codes are meant to.
    from_bias_file: bool,
}

/// Place `spec` on a die of `profile` sampled with `seed`, applying the file's chip section.
/// `file` names the network file in errors.
pub fn bind(
    spec: &NetworkSpec,
    chip: &ChipSection,
    profile: &ChipProfile,
    seed: u64,
    file: &str,
) -> Result<ChipRun, FileError> {
    let arch = &profile.architecture;
    let (n_cores, per_core) = (arch.cores, arch.neurons_per_core);

    // 1. Placement.
    let mut free = vec![0u32; n_cores as usize];
    let mut cursor = 0u32;
    let mut sites = Vec::new();
    let mut placement = Vec::new();
    for (pi, p) in spec.populations.iter().enumerate() {
        let want = chip.cores.get(pi).copied().flatten();
        let mut s = Vec::with_capacity(p.size);
        match want {
            Some(c) => {
                if c >= n_cores {
                    return Err(err(
                        file,
                        0,
                        &format!("population[{}].core", pi + 1),
                        format!(
                            "core {c} does not exist: profile `{}` has {n_cores} cores",
                            profile.name
                        ),
                    ));
                }
                if free[c as usize] as usize + p.size > per_core as usize {
                    return Err(err(file, 0, &format!("population[{}].core", pi + 1), format!(
                        "design rule: population `{}` ({} neurons) does not fit on core {c} ({} of {per_core} neurons free)",
                        p.name, p.size, per_core - free[c as usize])));
                }
                for _ in 0..p.size {
                    s.push((c, free[c as usize]));
                    free[c as usize] += 1;
                }
            }
            None => {
                for _ in 0..p.size {
                    while cursor < n_cores && free[cursor as usize] >= per_core {
                        cursor += 1;
                    }
                    if cursor >= n_cores {
                        let total: usize = spec.populations.iter().map(|q| q.size).sum();
                        return Err(err(file, 0, "", format!(
                            "design rule: the network has {total} neurons but profile `{}` has {} ({n_cores} cores x {per_core})",
                            profile.name, n_cores * per_core)));
                    }
                    s.push((cursor, free[cursor as usize]));
                    free[cursor as usize] += 1;
                }
            }
        }
        let mut cores: Vec<u32> = s.iter().map(|x| x.0).collect();
        cores.dedup();
        placement.push(PlacedPopulation {
            population: p.name.clone(),
            cores,
            first_site: s[0],
        });
        sites.push(s);
    }

    // 2. Bias requests per core.
    let nominal = profile.nominal_params();
    let mut wants: BTreeMap<(u32, &'static str), Want> = BTreeMap::new();
    for b in &chip.biases {
        let key = format!("chip.bias[{}]", b.index);
        let file = b.file.as_deref().unwrap_or(file);
        let name = resolve_bias(&b.name).ok_or_else(|| {
            err(file, b.line, &key, format!(
                "unknown bias `{}`: use a DYNAP-SE2 name (SOIF_LEAK_N, DEAM_ETAU_P, ...), a parameter name with a bias (i_tau_mem, ...) or w0..w3", b.name))
        })?;
        let cores: Vec<u32> = match b.core {
            Some(c) if c >= n_cores => {
                return Err(err(
                    file,
                    b.line,
                    &format!("{key}.core"),
                    format!(
                        "core {c} does not exist: profile `{}` has {n_cores} cores",
                        profile.name
                    ),
                ))
            }
            Some(c) => vec![c],
            None => (0..n_cores).collect(),
        };
        for c in cores {
            wants.insert(
                (c, name.name),
                Want {
                    request: b.request,
                    origin: b.key(),
                    line: b.line,
                    from_bias_file: b.file.is_some(),
                },
            );
        }
    }
    for (pi, p) in spec.populations.iter().enumerate() {
        let keys = chip.param_keys.get(pi).cloned().unwrap_or_default();
        for (param, line) in keys {
            if param == "i_scale" {
                continue; // the unit of dimensionless weights in the file, not a device
            }
            let Some(name) = resolve_bias(&param) else {
                return Err(err(file, line, &format!("population[{}].params.{param}", pi + 1), format!(
                    "`{param}` is fixed by chip profile `{}` (layout or process), not set by a bias; remove it, or run without a profile",
                    profile.name)));
            };
            let value = p.params.field(&param).expect("canonical parameter name");
            for &c in &placement[pi].cores {
                let origin = format!("population `{}`", p.name);
                let mut w = Want {
                    request: BiasRequest::Current(value),
                    origin: origin.clone(),
                    line,
                    from_bias_file: false,
                };
                if let Some(prev) = wants.get(&(c, name.name)) {
                    if prev.from_bias_file {
                        // The bias file decides; the origin says whose request it replaced.
                        if prev.request != w.request && !prev.origin.contains(&origin) {
                            let mut kept = prev.clone();
                            let over = format!("{origin}'s {}", show(w.request));
                            kept.origin = match prev.origin.strip_suffix(')') {
                                Some(head) if head.contains(" (over ") => {
                                    format!("{head}, {over})")
                                }
                                _ => format!("{} (over {over})", prev.origin),
                            };
                            wants.insert((c, name.name), kept);
                        }
                        continue;
                    }
                    if prev.request == w.request {
                        // The same request from several places: keep the first, name them all.
                        w = Want {
                            origin: format!("{}, {origin}", prev.origin),
                            ..prev.clone()
                        };
                    } else {
                        return Err(err(file, line, &format!("population[{}].params.{param}", pi + 1), format!(
                            "design rule: core {c} shares {} ({param}) among its neurons, but {} (line {}) asks for {} and {origin} for {}",
                            name.name, prev.origin, prev.line, show(prev.request), show(w.request))));
                    }
                }
                wants.insert((c, name.name), w);
            }
        }
    }

    // 3. Requests into bias settings.
    let mut settings = BiasSettings::from_profile(profile);
    let mut set = Vec::new();
    for (&(core, bias), w) in &wants {
        let name = resolve_bias(bias).expect("resolved above");
        let param = name.target.name();
        let value = match w.request {
            BiasRequest::Current(i) => BiasValue::Current(i),
            BiasRequest::Code { coarse, fine } => {
                let (nc, nf) = profile.bias_generator.levels(bias);
                if nc == 0 {
                    return Err(err(file, w.line, &w.origin, format!(
                        "profile `{}` has an exact bias generator without codes: give {bias} as a current (value = ...)",
                        profile.name)));
                }
                if coarse as usize >= nc || fine as usize >= nf {
                    return Err(err(file, w.line, &w.origin, format!(
                        "code ({coarse}, {fine}) of {bias} is out of range: the generator of profile `{}` has {} coarse x {} fine codes",
                        profile.name, nc, nf)));
                }
                BiasValue::Code(BiasCode { coarse, fine })
            }
            BiasRequest::Time(t) => BiasValue::Current(current_for_time(param, t, &nominal).ok_or_else(|| {
                err(file, w.line, &w.origin, format!(
                    "{bias} ({param}) takes no time target: only leak biases (i_tau_*) and pulse biases (i_ref, i_pulse, i_pulse_ahp) do"))
            })?),
            BiasRequest::Ratio(r) => {
                let leak = match name.target {
                    BiasTarget::Param(_) => leak_of_gain(param),
                    BiasTarget::WeightBase(_) => None,
                }
                .ok_or_else(|| err(file, w.line, &w.origin, format!(
                    "{bias} ({param}) takes no ratio: only gain biases (i_gain_*) do")))?;
                let leak_bias = resolve_bias(&leak).expect("every gain has a leak bias");
                let leak_current = match wants.get(&(core, leak_bias.name)).map(|x| x.request) {
                    Some(BiasRequest::Current(i)) => i,
                    Some(BiasRequest::Time(t)) => current_for_time(&leak, t, &nominal).unwrap_or(0.0),
                    _ => nominal.field(&leak).unwrap_or(0.0),
                };
                BiasValue::Current(r * leak_current)
            }
        };
        settings
            .set(Some(core), bias, value)
            .map_err(|e| err(file, w.line, &w.origin, e.to_string()))?;
        set.push((core, bias, w.origin.clone()));
    }
    let mut calibration = Vec::new();
    if chip.calibrate {
        let mut used: Vec<u32> = placement.iter().flat_map(|p| p.cores.clone()).collect();
        used.sort_unstable();
        used.dedup();
        let (s, c) = calibrate(profile, seed, &settings, &used)
            .map_err(|e| err(file, 0, "chip.calibrate", e.to_string()))?;
        settings = s;
        calibration = c;
    }
    let instance = ChipInstance::with_biases(profile, seed, &settings)
        .map_err(|e| err(file, 0, "", e.to_string()))?;
    let biases = set
        .into_iter()
        .filter_map(|(core, bias, origin)| {
            instance
                .core(core)
                .report
                .iter()
                .find(|r| r.bias == bias)
                .map(|r| SetBias {
                    core,
                    origin,
                    report: r.clone(),
                })
        })
        .collect();
    Ok(ChipRun {
        binding: ChipBinding {
            instance: Arc::new(instance),
            sites,
        },
        placement,
        biases,
        calibration,
    })
}

/// Why a die saved to `path` (`--instance-file`) cannot replace the die `run` bound for the network
/// of `file`: a saved die keeps the biases it was saved with, so a network that sets biases, or asks
/// for calibration, cannot run on it. `None` when it can.
pub fn instance_file_conflict(
    chip: &ChipSection,
    run: &ChipRun,
    file: &str,
    path: &std::path::Path,
) -> Option<String> {
    let what = if chip.calibrate {
        "[chip] calibrate = true".to_string()
    } else if !run.biases.is_empty() {
        let names: Vec<&str> = run.biases.iter().map(|b| b.report.bias.as_str()).collect();
        format!("the network sets biases ({})", names.join(", "))
    } else {
        return None;
    };
    Some(format!(
        "{file}: {what}, but a die loaded from {} keeps the biases it was saved with",
        path.display()
    ))
}

fn show(r: BiasRequest) -> String {
    use mixsig_circuits::units::{format_quantity, Dimension};
    match r {
        BiasRequest::Current(i) => format_quantity(i, Dimension::Current),
        BiasRequest::Code { coarse, fine } => format!("code ({coarse}, {fine})"),
        BiasRequest::Time(t) => format!("time {}", format_quantity(t, Dimension::Time)),
        BiasRequest::Ratio(x) => format!("ratio {x}"),
    }
}
