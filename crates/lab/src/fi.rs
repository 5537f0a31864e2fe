//! `mixsig fi`: firing rate versus constant input current. One neuron per DC level, all simulated in
//! one population from rest; the spike count covers exactly `duration`.
//!
//! On a chip profile ([`fi_dies`]) the neuron is the one at [`FI_SITE`] (neuron 0 of core 0) of each
//! sampled die: every (die, level) pair is its own 1-neuron network bound to that site, so each level
//! sees the same physical neuron (mismatch, quantized biases, shot noise). Per level the rates over
//! dies are summarized by the median and the 5–95% band ([`quantile`]: linear interpolation between
//! order statistics, as NumPy's default).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use mixsig_chip::{names, BiasValue};
use mixsig_chip::{BiasSettings, ChipInstance, ChipProfile, InstanceError};
use mixsig_circuits::NeuronParams;
use mixsig_engine::spec::{
    ChipBinding, DcSpec, ModelKind, NetworkSpec, PopulationSpec, RecordSpec,
};
use mixsig_engine::{BuildError, Network};
use rayon::prelude::*;
use serde::Serialize;

use crate::output::{write_atomic, WriteError};
use crate::plot::{self, Curve, PlotError};

/// One point of an F–I curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FiPoint {
    /// DC input, A.
    pub idc_a: f64,
    /// Spike count over the duration divided by the duration, Hz.
    pub rate_hz: f64,
    /// Spikes over the duration.
    pub spike_count: u64,
    /// Time of the first spike, s (`None` when silent).
    pub first_spike_s: Option<f64>,
}

/// Default DC levels: 15 log-spaced levels from 10 pA to 100 nA (the span of the Rockpool reference
/// F–I protocol, whose own levels are not log-spaced).
pub fn default_levels() -> Vec<f64> {
    let n = 15;
    (0..n)
        .map(|i| 10f64.powf(-11.0 + 4.0 * i as f64 / (n - 1) as f64))
        .collect()
}

/// Simulate the F–I curve of neurons with parameters `params[i]` (one per level, or one shared) at
/// the given DC levels.
pub fn fi_curve(
    model: ModelKind,
    params: &[NeuronParams],
    levels: &[f64],
    dt: f64,
    duration: f64,
) -> Result<Vec<FiPoint>, BuildError> {
    fi_curve_observed(model, params, levels, dt, duration, |_, _| {})
}

/// [`fi_curve`] calling `progress(done_steps, total_steps)` now and then.
pub fn fi_curve_observed(
    model: ModelKind,
    params: &[NeuronParams],
    levels: &[f64],
    dt: f64,
    duration: f64,
    mut progress: impl FnMut(u64, u64),
) -> Result<Vec<FiPoint>, BuildError> {
    let n = levels.len();
    let per_neuron: Vec<NeuronParams> = (0..n).map(|i| params[i % params.len()]).collect();
    run_fi(
        &fi_spec(model, &per_neuron, levels),
        levels,
        dt,
        duration,
        &mut progress,
    )
}

/// One population `neuron` with one neuron per level (parameters `per_neuron`), neuron `i` driven by
/// `levels[i]` from t = 0, spikes recorded.
fn fi_spec(model: ModelKind, per_neuron: &[NeuronParams], levels: &[f64]) -> NetworkSpec {
    NetworkSpec {
        populations: vec![PopulationSpec {
            name: "neuron".into(),
            size: levels.len(),
            model,
            params: per_neuron[0],
            per_neuron: Some(per_neuron.to_vec()),
        }],
        dc: levels
            .iter()
            .enumerate()
            .map(|(i, &idc)| DcSpec {
                population: "neuron".into(),
                neurons: Some(vec![i as u32]),
                steps: vec![(0.0, idc)],
            })
            .collect(),
        record: RecordSpec {
            spikes: Some(vec!["neuron".into()]),
            stride: 1,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Build and run a spec of [`fi_spec`] for `duration`; count spikes per level.
/// The error for a `duration` that does not hold one step of `dt` (a rate over no time is NaN).
pub(crate) fn no_step(duration: f64, dt: f64) -> BuildError {
    let s = |t: f64| {
        mixsig_circuits::units::format_quantity(t, mixsig_circuits::units::Dimension::Time)
    };
    BuildError::Invalid {
        context: "simulation".into(),
        message: format!(
            "duration = {} is shorter than one time step (dt = {}): nothing would be simulated",
            s(duration),
            s(dt)
        ),
    }
}

fn run_fi(
    spec: &NetworkSpec,
    levels: &[f64],
    dt: f64,
    duration: f64,
    mut progress: impl FnMut(u64, u64),
) -> Result<Vec<FiPoint>, BuildError> {
    let n = levels.len();
    let mut net = Network::build(spec, dt, 0)?;
    let steps = net.steps_for(duration);
    if steps == 0 {
        return Err(no_step(duration, dt));
    }
    net.run_observed(steps, (steps / 100).max(1), |d| progress(d, steps));
    let mut count = vec![0u64; n];
    let mut first = vec![None; n];
    for e in &net.rec.spikes {
        let i = e.neuron as usize;
        count[i] += 1;
        if first[i].is_none() {
            first[i] = Some(e.step as f64 * dt);
        }
    }
    let t = steps as f64 * dt;
    Ok(levels
        .iter()
        .enumerate()
        .map(|(i, &idc)| FiPoint {
            idc_a: idc,
            rate_hz: count[i] as f64 / t,
            spike_count: count[i],
            first_spike_s: first[i],
        })
        .collect())
}

/// `fi.csv`: `idc_a,rate_hz,spike_count,first_spike_s` (empty first-spike field when silent).
pub fn fi_csv(points: &[FiPoint]) -> String {
    let mut s = String::from("idc_a,rate_hz,spike_count,first_spike_s\n");
    for p in points {
        s.push_str(&format!(
            "{:e},{},{},{}\n",
            p.idc_a,
            p.rate_hz,
            p.spike_count,
            p.first_spike_s
                .map(crate::output::fmt_t)
                .unwrap_or_default()
        ));
    }
    s
}

/// Errors of `fi` outputs.
#[derive(Debug, thiserror::Error)]
pub enum FiError {
    /// Bad parameters.
    #[error("invalid neuron: {0}")]
    Build(#[from] BuildError),
    /// Output.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Plot.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A bias setting the die cannot take.
    #[error(transparent)]
    Instance(#[from] InstanceError),
    /// A parameter that a chip profile fixes was set.
    #[error("parameter `{param}` is fixed by chip profile '{profile}' (it is not a bias current); with a profile only bias currents can be set: {biases}")]
    FixedByProfile {
        /// The parameter.
        param: String,
        /// Profile name.
        profile: String,
        /// The parameters that can be set.
        biases: String,
    },
    /// `i_dc` was set: it is what an F–I curve sweeps.
    #[error("`i_dc` is the swept DC input of an F-I curve: give the levels with --idc instead")]
    SweptDc,
    /// No dies to run on.
    #[error("no dies: the number of instances must be at least 1")]
    NoDies,
    /// Instance seeds past `u64::MAX`.
    #[error("instance seeds overflow u64")]
    SeedOverflow,
}

/// Write `fi.csv` and the F–I plot into `out`.
pub fn write_fi(points: &[FiPoint], title: &str, out: &Path) -> Result<Vec<PathBuf>, FiError> {
    let csv = out.join("fi.csv");
    write_atomic(&csv, fi_csv(points).as_bytes())?;
    let x: Vec<f64> = points.iter().map(|p| p.idc_a).collect();
    let y: Vec<f64> = points.iter().map(|p| p.rate_hz).collect();
    let curves = [Curve {
        name: "rate",
        x: &x,
        y: &y,
        band: None,
    }];
    let mut files = vec![csv];
    files.extend(plot::curves(
        &out.join("fi"),
        title,
        "DC input current (A)",
        "firing rate (Hz)",
        true,
        &curves,
    )?);
    Ok(files)
}

// ---------------------------------------------------------------------------------------------
// F–I curves on sampled dies
// ---------------------------------------------------------------------------------------------

/// The (core, neuron) site whose neuron an F–I curve on a die measures.
pub const FI_SITE: (u32, u32) = (0, 0);

/// Bias settings for an F–I curve on `profile`: the profile's defaults with every `(name, current)`
/// of `sets` as a bias target on every core (quantized later by each die's bias generator).
///
/// A name must be a [`NeuronParams`] current with a bias (`i_tau_mem`, `i_gain_mem`, ...; see
/// [`mixsig_chip::names::BIASES`]). Anything else (capacitances, `kappa_n`, `u_t`, currents without a
/// bias such as `i_a_gain`) is fixed by the profile and rejected with [`FiError::FixedByProfile`];
/// `i_dc` is the swept input and rejected with [`FiError::SweptDc`].
pub fn chip_biases(profile: &ChipProfile, sets: &[(String, f64)]) -> Result<BiasSettings, FiError> {
    let mut b = BiasSettings::from_profile(profile);
    for (name, v) in sets {
        if name == "i_dc" {
            return Err(FiError::SweptDc);
        }
        if names::resolve_bias(name).is_none() {
            return Err(FiError::FixedByProfile {
                param: name.clone(),
                profile: profile.name.clone(),
                biases: bias_param_names().join(", "),
            });
        }
        b.set(None, name, BiasValue::Current(*v))?;
    }
    Ok(b)
}

/// The [`NeuronParams`] names that have a bias (what [`chip_biases`] accepts).
pub fn bias_param_names() -> Vec<&'static str> {
    names::BIASES
        .iter()
        .filter_map(|b| match b.target {
            names::BiasTarget::Param(p) => (p != "i_dc").then_some(p),
            names::BiasTarget::WeightBase(_) => None,
        })
        .collect()
}

/// Sample `count` dies of `profile` with seeds `first_seed, first_seed + 1, ...` and the given
/// biases (in parallel; the result is in seed order and does not depend on the thread count).
pub fn sample_dies(
    profile: &ChipProfile,
    biases: &BiasSettings,
    first_seed: u64,
    count: usize,
) -> Result<Vec<Arc<ChipInstance>>, FiError> {
    (0..count as u64)
        .into_par_iter()
        .map(|k| {
            let seed = first_seed.checked_add(k).ok_or(FiError::SeedOverflow)?;
            Ok(Arc::new(ChipInstance::with_biases(profile, seed, biases)?))
        })
        .collect()
}

/// Statistics of one DC level over dies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FiBandPoint {
    /// DC input, A.
    pub idc_a: f64,
    /// Median rate over dies, Hz.
    pub rate_hz: f64,
    /// Median spike count over dies (may end in .5).
    pub spike_count: f64,
    /// Median first-spike time over the dies that fired, s (`None` when none fired).
    pub first_spike_s: Option<f64>,
    /// 5th percentile of the rate over dies, Hz.
    pub rate_p05_hz: f64,
    /// 95th percentile of the rate over dies, Hz.
    pub rate_p95_hz: f64,
    /// Dies.
    pub n_instances: usize,
    /// Dies on which the neuron fired at least once.
    pub n_fired: usize,
}

/// F–I curves of one neuron site on several dies.
#[derive(Debug, Clone, PartialEq)]
pub struct FiDies {
    /// Instance seed of each die.
    pub seeds: Vec<u64>,
    /// `per_die[d][l]`: die `d` at level `l`.
    pub per_die: Vec<Vec<FiPoint>>,
    /// Median and 5–95% band per level.
    pub summary: Vec<FiBandPoint>,
}

/// The `p`-quantile (`0 <= p <= 1`) of `xs` (NaN when empty; NaNs sort last): with the values
/// sorted as `x_0 <= ... <= x_{n-1}`, read at the fractional index `h = p*(n-1)` by linear
/// interpolation between `x_floor(h)` and `x_ceil(h)` (NumPy's default `linear` method, Hyndman
/// and Fan type 7). The interpolation is NumPy's `lerp`, exact at ties and monotone in `p`.
pub fn quantile(xs: &[f64], p: f64) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    mixsig_chip::stats::quantile_sorted(&s, p)
}

/// 5th, 50th and 95th percentiles of `xs` by [`quantile`].
///
/// (Same definition as `mixsig_chip::stats::describe`, whose interpolation `x_i*(1-t) + x_{i+1}*t`
/// can move a tie by one ulp, putting p05 above the median.)
pub fn percentiles(xs: &[f64]) -> (f64, f64, f64) {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    (
        mixsig_chip::stats::quantile_sorted(&s, 0.05),
        mixsig_chip::stats::quantile_sorted(&s, 0.5),
        mixsig_chip::stats::quantile_sorted(&s, 0.95),
    )
}

/// One 1-neuron network per level, the neuron at [`FI_SITE`] of `die` (its mismatch, bias generator
/// and, if the profile has it, shot noise), simulated from rest for `duration`.
///
/// Levels run in parallel; the result does not depend on the thread count. The shot noise of a die is
/// keyed by (die, site, step), so every level of one die sees the same noise sequence (scaled by the
/// level's currents).
pub fn fi_curve_on_die(
    model: ModelKind,
    die: &Arc<ChipInstance>,
    levels: &[f64],
    dt: f64,
    duration: f64,
) -> Result<Vec<FiPoint>, BuildError> {
    levels
        .par_iter()
        .map(|&idc| fi_level_on_die(model, die, idc, dt, duration))
        .collect()
}

fn fi_level_on_die(
    model: ModelKind,
    die: &Arc<ChipInstance>,
    idc: f64,
    dt: f64,
    duration: f64,
) -> Result<FiPoint, BuildError> {
    let mut spec = fi_spec(model, &[die.core(FI_SITE.0).nominal], &[idc]);
    spec.chip = Some(ChipBinding {
        instance: Arc::clone(die),
        sites: vec![vec![FI_SITE]],
    });
    Ok(run_fi(&spec, &[idc], dt, duration, |_, _| {})?[0])
}

/// [`fi_curve_on_die`] on every die of `dies`, summarized per level.
pub fn fi_dies(
    model: ModelKind,
    dies: &[Arc<ChipInstance>],
    levels: &[f64],
    dt: f64,
    duration: f64,
) -> Result<FiDies, FiError> {
    fi_dies_observed(model, dies, levels, dt, duration, |_, _| {})
}

/// [`fi_dies`] calling `progress(dies_done, dies)` (from any thread) each time a die is finished.
/// All (die, level) pairs run in parallel; results are collected in (die, level) order, so they do
/// not depend on the thread count.
pub fn fi_dies_observed(
    model: ModelKind,
    dies: &[Arc<ChipInstance>],
    levels: &[f64],
    dt: f64,
    duration: f64,
    progress: impl Fn(usize, usize) + Sync,
) -> Result<FiDies, FiError> {
    if dies.is_empty() {
        return Err(FiError::NoDies);
    }
    let nl = levels.len();
    let left: Vec<AtomicUsize> = dies.iter().map(|_| AtomicUsize::new(nl)).collect();
    let done = AtomicUsize::new(0);
    let flat: Vec<FiPoint> = (0..dies.len() * nl)
        .into_par_iter()
        .map(|j| {
            let (d, l) = (j / nl, j % nl);
            let p = fi_level_on_die(model, &dies[d], levels[l], dt, duration)?;
            if left[d].fetch_sub(1, Ordering::AcqRel) == 1 {
                progress(done.fetch_add(1, Ordering::AcqRel) + 1, dies.len());
            }
            Ok(p)
        })
        .collect::<Result<_, BuildError>>()?;
    let per_die: Vec<Vec<FiPoint>> = if nl == 0 {
        vec![Vec::new(); dies.len()]
    } else {
        flat.chunks(nl).map(<[FiPoint]>::to_vec).collect()
    };
    Ok(FiDies {
        seeds: dies.iter().map(|d| d.seed()).collect(),
        summary: summarize_dies(levels, &per_die),
        per_die,
    })
}

/// Median and 5–95% band per level of `per_die[d][l]` (see [`percentiles`]).
pub fn summarize_dies(levels: &[f64], per_die: &[Vec<FiPoint>]) -> Vec<FiBandPoint> {
    levels
        .iter()
        .enumerate()
        .map(|(l, &idc)| {
            let rates: Vec<f64> = per_die.iter().map(|c| c[l].rate_hz).collect();
            let counts: Vec<f64> = per_die.iter().map(|c| c[l].spike_count as f64).collect();
            let firsts: Vec<f64> = per_die.iter().filter_map(|c| c[l].first_spike_s).collect();
            let (p05, p50, p95) = percentiles(&rates);
            FiBandPoint {
                idc_a: idc,
                rate_hz: p50,
                spike_count: percentiles(&counts).1,
                first_spike_s: (!firsts.is_empty()).then(|| percentiles(&firsts).1),
                rate_p05_hz: p05,
                rate_p95_hz: p95,
                n_instances: per_die.len(),
                n_fired: firsts.len(),
            }
        })
        .collect()
}

/// `fi.csv` of a run over dies:
/// `idc_a,rate_hz,spike_count,first_spike_s,rate_p05_hz,rate_p95_hz,n_instances` (medians, band,
/// number of dies; empty first-spike field when no die fired).
pub fn fi_band_csv(summary: &[FiBandPoint]) -> String {
    let mut s = String::from(
        "idc_a,rate_hz,spike_count,first_spike_s,rate_p05_hz,rate_p95_hz,n_instances\n",
    );
    for p in summary {
        s.push_str(&format!(
            "{:e},{},{},{},{},{},{}\n",
            p.idc_a,
            p.rate_hz,
            p.spike_count,
            p.first_spike_s
                .map(crate::output::fmt_t)
                .unwrap_or_default(),
            p.rate_p05_hz,
            p.rate_p95_hz,
            p.n_instances
        ));
    }
    s
}

/// `fi_instances.csv`: `instance,idc_a,rate_hz,spike_count,first_spike_s`, one row per (die, level),
/// `instance` being the die's seed.
pub fn fi_instances_csv(dies: &FiDies) -> String {
    let mut s = String::from("instance,idc_a,rate_hz,spike_count,first_spike_s\n");
    for (seed, curve) in dies.seeds.iter().zip(&dies.per_die) {
        for p in curve {
            s.push_str(&format!(
                "{seed},{:e},{},{},{}\n",
                p.idc_a,
                p.rate_hz,
                p.spike_count,
                p.first_spike_s
                    .map(crate::output::fmt_t)
                    .unwrap_or_default()
            ));
        }
    }
    s
}

/// Write `fi.csv` (medians and band), `fi_instances.csv` (every die) and the plot (median curve with
/// the shaded 5–95% band) into `out`.
pub fn write_fi_dies(dies: &FiDies, title: &str, out: &Path) -> Result<Vec<PathBuf>, FiError> {
    let csv = out.join("fi.csv");
    write_atomic(&csv, fi_band_csv(&dies.summary).as_bytes())?;
    let per = out.join("fi_instances.csv");
    write_atomic(&per, fi_instances_csv(dies).as_bytes())?;
    let s = &dies.summary;
    let x: Vec<f64> = s.iter().map(|p| p.idc_a).collect();
    let y: Vec<f64> = s.iter().map(|p| p.rate_hz).collect();
    let lo: Vec<f64> = s.iter().map(|p| p.rate_p05_hz).collect();
    let hi: Vec<f64> = s.iter().map(|p| p.rate_p95_hz).collect();
    let name = format!("median of {} dies", dies.seeds.len());
    let curves = [Curve {
        name: &name,
        x: &x,
        y: &y,
        band: Some((&lo, &hi)),
    }];
    let mut files = vec![csv, per];
    files.extend(plot::curves(
        &out.join("fi"),
        title,
        "DC input current (A)",
        "firing rate (Hz)",
        true,
        &curves,
    )?);
    Ok(files)
}
