//! `mixsig tune`: bias codes from design targets, with yield over sampled dies.
//!
//! For every core and target of a targets file ([`targets`]) the tuner
//!
//! 1. turns the target into a bias current on the **nominal die** (the profile with zero mismatch:
//!    nominal capacitances, an ideal bias generator): `I = C U_T/(kappa tau)` for time constants,
//!    `I = V_swing C/t` for pulse widths, `I = ratio * I_leak` for gain ratios (the block's leak as
//!    tuned, or its default);
//! 2. takes as candidates the two codes bracketing that current in every coarse range (each within
//!    its range's quantization step of the target), keeping those within tolerance on the nominal die
//!    (or the closest code when none is);
//! 3. evaluates every candidate on `dies` sampled dies of the real profile (bias-generator branch and
//!    coarse mismatch, device mismatch of the first `neurons` neurons of the core) and keeps the code
//!    with the highest yield — the fraction of dies whose median neuron is within tolerance — ties
//!    going to the smaller nominal error;
//! 4. warns when the target is outside the generator's range or the code sits on a non-monotonic step
//!    of the fine DAC on some sampled dies.
//!
//! A rate target (`rate = { input, hz }`) tunes the spike threshold `SOIF_SPKTHR_P` last, by bisection
//! over the codes on the nominal die with the core's other tuned biases in place (one simulated neuron
//! at the DC input); its yield is the fraction of dies whose neuron 0 of the core fires within
//! tolerance of the target.
//!
//! Outputs ([`write_outputs`]): `biases.toml` (`[[chip.bias]]` entries with core, coarse and fine, a
//! file `mixsig sim --biases` reads, and the same entries a network file's `[chip]` section takes),
//! `profile.toml` (the profile with the tuned codes as its default `[biases]` where every core agrees,
//! for `mixsig train --profile`), `tune.csv`, `summary.json` and `report.html`.

mod rate;
pub mod targets;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mixsig_chip::names::resolve_bias;
use mixsig_chip::{BiasCode, ChipInstance, ChipProfile, ProfileError};
use mixsig_circuits::NeuronParams;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::located::FileError;
use crate::output::WriteError;
use targets::{Kind, Target, Targets};

/// Options of a tuning run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneOptions {
    /// Chip profile (built-in name or TOML path).
    pub profile: String,
    /// Sampled dies for the yield.
    pub dies: usize,
    /// Seed of the first die.
    pub first_die: u64,
    /// Neurons per core checked on each die (the first ones).
    pub neurons: u32,
    /// Simulated time of a rate evaluation, s.
    pub rate_duration: f64,
    /// Time step of a rate evaluation, s.
    pub dt: f64,
}

impl Default for TuneOptions {
    fn default() -> Self {
        TuneOptions {
            profile: "dynapse2".into(),
            dies: 64,
            first_die: 0,
            neurons: 32,
            rate_duration: 1.0,
            dt: 1e-4,
        }
    }
}

/// Why tuning failed.
#[derive(Debug, thiserror::Error)]
pub enum TuneError {
    /// The targets file.
    #[error(transparent)]
    Targets(#[from] FileError),
    /// The profile.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// Invalid options or a target the profile cannot take.
    #[error("{0}")]
    Invalid(String),
    /// A rate simulation failed.
    #[error("rate simulation: {0}")]
    Sim(String),
    /// Outputs.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Plot.
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
    /// Stopped by its progress callback ([`tune_until`]).
    #[error("interrupted after {done} of {total} targets")]
    Interrupted {
        /// Targets tuned.
        done: usize,
        /// Targets in all.
        total: usize,
    },
}

/// One tuned bias.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tuned {
    /// Core.
    pub core: u32,
    /// Target key (`tau_mem`, ...).
    pub key: String,
    /// DYNAP-SE2 bias name.
    pub bias: String,
    /// Target value (s, ratio or Hz).
    pub target: f64,
    /// Unit of the values (`s`, `` or `Hz`).
    pub unit: String,
    /// Relative tolerance.
    pub tolerance: f64,
    /// Target current on the nominal die, A (rate: the current of the chosen code).
    pub target_current: f64,
    /// Chosen code.
    pub code: BiasCode,
    /// Current of the code on the nominal die, A.
    pub current: f64,
    /// Achieved value on the nominal die.
    pub achieved: f64,
    /// `achieved/target - 1` on the nominal die (the quantization error).
    pub rel_error: f64,
    /// Relative step to the neighbouring codes of the same coarse range on the nominal die.
    pub step: f64,
    /// Fraction of sampled dies whose median checked neuron is within tolerance.
    pub yield_fraction: f64,
    /// Mean fraction of checked neurons within tolerance.
    pub neuron_yield: f64,
    /// Whether the target current is inside the generator's range.
    pub in_range: bool,
    /// Warnings (out of range, non-monotonic step).
    pub warnings: Vec<String>,
}

/// The result of a tuning run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneResult {
    /// Options.
    pub options: TuneOptions,
    /// Targets file.
    pub targets_file: String,
    /// Profile name.
    pub profile: String,
    /// Tuned biases by core, in tuning order.
    pub tuned: Vec<Tuned>,
    /// Fraction of dies on which every target of every core is within tolerance.
    pub yield_all: f64,
    /// Per core: fraction of dies on which every target of that core is within tolerance.
    pub yield_per_core: Vec<(u32, f64)>,
}

fn dies_of(profile: &ChipProfile, o: &TuneOptions) -> Vec<ChipInstance> {
    (0..o.dies as u64)
        .into_par_iter()
        .map(|k| ChipInstance::sample(profile, o.first_die + k))
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    mixsig_chip::stats::quantile_sorted(&v, 0.5)
}

/// The quantity a target measures, from the bias current `i` and the other current or capacitance
/// `o` (already with mismatch), for neuron parameters `p` (constants).
fn value_of(kind: Kind, i: f64, o: f64, p: &NeuronParams) -> f64 {
    match kind {
        Kind::Tau => o * p.u_t / (p.kappa() * i),
        Kind::Pulse => p.v_th * o / i,
        Kind::Gain => i / o,
        Kind::Rate => f64::NAN,
    }
}

/// Tune `targets` on `opts.profile`. `progress(done, total)` after each target.
pub fn tune(
    targets: &Targets,
    opts: &TuneOptions,
    progress: impl Fn(usize, usize),
) -> Result<TuneResult, TuneError> {
    tune_until(targets, opts, |d, t| {
        progress(d, t);
        true
    })
}

/// [`tune`] that can be stopped (Ctrl-C in Python): after each target `progress(done, total)` says
/// whether to go on; [`TuneError::Interrupted`] when it says no.
pub fn tune_until(
    targets: &Targets,
    opts: &TuneOptions,
    progress: impl Fn(usize, usize) -> bool,
) -> Result<TuneResult, TuneError> {
    if opts.dies == 0 || opts.neurons == 0 {
        return Err(TuneError::Invalid(
            "dies and neurons must be at least 1".into(),
        ));
    }
    let profile = ChipProfile::builtin_or_load(&opts.profile)?;
    if profile.bias_generator.levels("SOIF_LEAK_N").0 == 0 {
        return Err(TuneError::Invalid(format!(
            "profile `{}` has an exact bias generator: there are no codes to tune (every current is set exactly)",
            profile.name
        )));
    }
    let n_cores = profile.architecture.cores;
    let neurons = opts.neurons.min(profile.architecture.neurons_per_core);
    let nominal_profile = profile.with_mismatch_scale(0.0);
    let nominal_die = ChipInstance::sample(&nominal_profile, 0);
    let p0 = nominal_profile.nominal_params();
    let dies = dies_of(&profile, opts);
    // (core, key) -> target, later blocks overriding earlier ones.
    let mut per_core: BTreeMap<u32, BTreeMap<String, Target>> = BTreeMap::new();
    for b in &targets.blocks {
        let cores: Vec<u32> = b.cores.clone().unwrap_or_else(|| (0..n_cores).collect());
        for c in cores {
            if c >= n_cores {
                let (key, line) = b.cores_at;
                return Err(TuneError::Targets(FileError {
                    file: targets.file.clone(),
                    line,
                    key: format!("key `{key}`: "),
                    message: format!(
                        "core {c} does not exist: profile `{}` has {n_cores} cores (0..{})",
                        profile.name,
                        n_cores - 1
                    ),
                }));
            }
            for t in &b.targets {
                per_core
                    .entry(c)
                    .or_default()
                    .insert(t.key.clone(), t.clone());
            }
        }
    }
    let total: usize = per_core.values().map(|m| m.len()).sum();
    let mut done = 0;
    let mut tuned = Vec::new();
    // pass[d] over all targets.
    let mut pass_all = vec![true; dies.len()];
    let mut yield_per_core = Vec::new();
    for (&core, ts) in &per_core {
        let mut pass_core = vec![true; dies.len()];
        let mut chosen: BTreeMap<&'static str, BiasCode> = BTreeMap::new();
        let mut order: Vec<&Target> = ts.values().collect();
        order.sort_by_key(|t| targets::QUANTITIES.iter().position(|q| q.key == t.key));
        for t in order {
            let q = targets::quantity(&t.key).expect("parsed keys are known");
            let bias = resolve_bias(q.param)
                .expect("every tuned parameter has a bias")
                .name;
            let (row, pass) = if q.kind == Kind::Rate {
                rate::tune_rate(&profile, &nominal_profile, &dies, core, t, &chosen, opts)?
            } else {
                tune_static(
                    &profile,
                    &nominal_die,
                    &p0,
                    &dies,
                    core,
                    t,
                    q,
                    &chosen,
                    neurons,
                )
            };
            for (a, p) in pass_core.iter_mut().zip(&pass) {
                *a &= *p;
            }
            chosen.insert(bias, row.code);
            tuned.push(row);
            done += 1;
            if !progress(done, total) && done < total {
                return Err(TuneError::Interrupted { done, total });
            }
        }
        for (a, p) in pass_all.iter_mut().zip(&pass_core) {
            *a &= *p;
        }
        yield_per_core.push((
            core,
            pass_core.iter().filter(|&&p| p).count() as f64 / dies.len() as f64,
        ));
    }
    let yield_all = pass_all.iter().filter(|&&p| p).count() as f64 / dies.len() as f64;
    Ok(TuneResult {
        // The neurons actually checked: at most a core's.
        options: TuneOptions {
            neurons,
            ..opts.clone()
        },
        targets_file: targets.file.clone(),
        profile: profile.name.clone(),
        tuned,
        yield_all,
        yield_per_core,
    })
}

/// A warning when `code` of `bias` on `core` sits on a non-monotonic step of the fine DAC on some
/// of the sampled `dies` (a neighbouring code then gives a larger current on those dies).
fn nonmonotonic_warning(
    profile: &ChipProfile,
    dies: &[ChipInstance],
    core: u32,
    bias: &str,
    code: BiasCode,
) -> Option<String> {
    let n = dies
        .iter()
        .filter(|d| {
            profile
                .bias_generator
                .realize(d.seed(), core, bias)
                .is_nonmonotonic_at(code)
        })
        .count();
    (n > 0).then(|| {
        format!(
            "code {code} of {bias} sits on a non-monotonic step of the fine DAC on {n} of {} sampled dies",
            dies.len()
        )
    })
}

/// Relative step from `code` to its neighbours in the same coarse range (the larger one).
fn step_at(gen: &mixsig_chip::biasgen::BiasGenerator, code: BiasCode) -> f64 {
    let i = gen.current(code).unwrap_or(f64::NAN);
    let mut s: f64 = 0.0;
    for f in [code.fine.checked_sub(1), code.fine.checked_add(1)]
        .into_iter()
        .flatten()
    {
        if let Some(j) = gen.current(BiasCode { fine: f, ..code }) {
            if j > 0.0 && i > 0.0 {
                s = s.max((j / i - 1.0).abs());
            }
        }
    }
    s
}

#[allow(clippy::too_many_arguments)]
fn tune_static(
    profile: &ChipProfile,
    nominal_die: &ChipInstance,
    p0: &NeuronParams,
    dies: &[ChipInstance],
    core: u32,
    t: &Target,
    q: &targets::Quantity,
    chosen: &BTreeMap<&'static str, BiasCode>,
    neurons: u32,
) -> (Tuned, Vec<bool>) {
    let bias = resolve_bias(q.param).expect("bias").name;
    let nominal_gen = profile
        .with_mismatch_scale(0.0)
        .bias_generator
        .realize(0, core, bias);
    // The "other" side on the nominal die: a capacitance, or the block's leak current.
    let leak_bias = (q.kind == Kind::Gain).then(|| resolve_bias(q.other).expect("leak bias").name);
    let other_nominal = match q.kind {
        Kind::Gain => match leak_bias.and_then(|b| chosen.get(b)) {
            Some(code) => profile
                .with_mismatch_scale(0.0)
                .bias_generator
                .realize(0, core, leak_bias.expect("gain"))
                .current(*code)
                .unwrap_or(f64::NAN),
            None => nominal_die
                .core(core)
                .nominal
                .field(q.other)
                .unwrap_or(f64::NAN),
        },
        _ => p0.field(q.other).unwrap_or(f64::NAN),
    };
    let target_current = match q.kind {
        Kind::Tau => other_nominal * p0.u_t / (p0.kappa() * t.value),
        Kind::Pulse => p0.v_th * other_nominal / t.value,
        Kind::Gain => t.value * other_nominal,
        Kind::Rate => unreachable!("rates are tuned by tune_rate"),
    };
    let value_nominal = |i: f64| value_of(q.kind, i, other_nominal, p0);
    let (lo, hi) = nominal_gen.range();
    let in_range = target_current >= lo && target_current <= hi;
    // Candidates: the codes bracketing the target current in every coarse range.
    let mut cands: Vec<BiasCode> = Vec::new();
    for c in 0..nominal_gen.coarse_levels() {
        let curve = nominal_gen.fine_curve(c);
        if let Some(f) = (1..curve.len()).find(|&f| curve[f] >= target_current) {
            if curve[f - 1] <= target_current {
                for ff in [f - 1, f] {
                    cands.push(BiasCode {
                        coarse: c as u8,
                        fine: ff as u16,
                    });
                }
            }
        }
    }
    let closest = nominal_gen
        .inverse(target_current)
        .code
        .expect("parametric generator");
    let err = |c: &BiasCode| {
        (value_nominal(nominal_gen.current(*c).unwrap_or(f64::NAN)) / t.value - 1.0).abs()
    };
    cands.retain(|c| err(c) <= t.tolerance);
    if cands.is_empty() {
        cands.push(closest);
    }
    cands.sort();
    cands.dedup();
    // Yield of each candidate over dies.
    let other_param = q.other;
    let evals: Vec<(Vec<bool>, f64)> = cands
        .iter()
        .map(|code| {
            let per_die: Vec<(bool, f64)> = dies
                .par_iter()
                .map(|die| {
                    let gen = profile.bias_generator.realize(die.seed(), core, bias);
                    let i_code = gen.current(*code).unwrap_or(f64::NAN);
                    let other_die = match q.kind {
                        Kind::Gain => match leak_bias.and_then(|b| chosen.get(b)) {
                            Some(lc) => profile
                                .bias_generator
                                .realize(die.seed(), core, leak_bias.expect("gain"))
                                .current(*lc)
                                .unwrap_or(f64::NAN),
                            None => die
                                .core(core)
                                .nominal
                                .field(other_param)
                                .unwrap_or(f64::NAN),
                        },
                        _ => p0.field(other_param).unwrap_or(f64::NAN),
                    };
                    let vals: Vec<f64> = (0..neurons)
                        .map(|n| {
                            let fi = die.neuron_factor(core, n, q.param);
                            let fo = die.neuron_factor(core, n, other_param);
                            value_of(q.kind, i_code * fi, other_die * fo, p0)
                        })
                        .collect();
                    let within = vals
                        .iter()
                        .filter(|v| (*v / t.value - 1.0).abs() <= t.tolerance)
                        .count();
                    let m = median(vals);
                    (
                        (m / t.value - 1.0).abs() <= t.tolerance,
                        within as f64 / neurons as f64,
                    )
                })
                .collect();
            let pass: Vec<bool> = per_die.iter().map(|x| x.0).collect();
            let ny = per_die.iter().map(|x| x.1).sum::<f64>() / per_die.len().max(1) as f64;
            (pass, ny)
        })
        .collect();
    // The most dies within tolerance; among candidates within two dies of the best (sampling noise
    // of the yield estimate), the smallest nominal error.
    let score = |k: usize| evals[k].0.iter().filter(|&&p| p).count();
    let top = (0..cands.len()).map(score).max().unwrap_or(0);
    let best = (0..cands.len())
        .filter(|&k| score(k) + 2 >= top)
        .min_by(|&a, &b| {
            err(&cands[a])
                .total_cmp(&err(&cands[b]))
                .then(score(b).cmp(&score(a)))
        })
        .expect("at least one candidate");
    let code = cands[best];
    let current = nominal_gen.current(code).unwrap_or(f64::NAN);
    let achieved = value_nominal(current);
    let mut warnings = Vec::new();
    if !in_range {
        warnings.push(format!(
            "target {} needs {:.3e} A, outside the generator range {lo:.3e}..{hi:.3e} A of {bias}: the closest code is used",
            t.key, target_current
        ));
    }
    warnings.extend(nonmonotonic_warning(profile, dies, core, bias, code));
    let (pass, ny) = evals[best].clone();
    let unit = match q.kind {
        Kind::Gain => "",
        _ => "s",
    };
    (
        Tuned {
            core,
            key: t.key.clone(),
            bias: bias.into(),
            target: t.value,
            unit: unit.into(),
            tolerance: t.tolerance,
            target_current,
            code,
            current,
            achieved,
            rel_error: achieved / t.value - 1.0,
            step: step_at(&nominal_gen, code),
            yield_fraction: pass.iter().filter(|&&p| p).count() as f64 / pass.len().max(1) as f64,
            neuron_yield: ny,
            in_range,
            warnings,
        },
        pass,
    )
}

mod outputs;
pub use outputs::{bias_file, table as outputs_table, tune_csv, tuned_profile, write_outputs};

/// Where a tune run writes (see [`write_outputs`]).
pub fn default_out() -> PathBuf {
    PathBuf::from("runs/tune")
}

/// Helper for callers: load the targets at `path`, or the defaults.
pub fn load_targets(path: Option<&Path>) -> Result<Targets, FileError> {
    match path {
        Some(p) => targets::load(p),
        None => targets::parse(targets::DEFAULT_TARGETS, "default targets (embedded)"),
    }
}
