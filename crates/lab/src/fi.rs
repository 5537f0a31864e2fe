//! `mixsig fi`: firing rate versus constant input current. One neuron per DC level, all simulated in
//! one population from rest; the spike count covers exactly `duration`.

use std::path::{Path, PathBuf};

use mixsig_circuits::NeuronParams;
use mixsig_engine::spec::{DcSpec, ModelKind, NetworkSpec, PopulationSpec, RecordSpec};
use mixsig_engine::{BuildError, Network};
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
    let spec = NetworkSpec {
        populations: vec![PopulationSpec {
            name: "neuron".into(),
            size: n,
            model,
            params: per_neuron[0],
            per_neuron: Some(per_neuron),
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
    };
    let mut net = Network::build(&spec, dt, 0)?;
    let steps = net.steps_for(duration);
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
            p.first_spike_s.map(|t| format!("{t}")).unwrap_or_default()
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
