//! `mixsig sim`: run a network file, write `spikes.csv`, `traces.csv`, `summary.json` and plots.

use std::path::{Path, PathBuf};
use std::time::Instant;

use mixsig_engine::{BuildError, Network, NetworkSpec};
use serde::Serialize;

use crate::output::{first_non_finite, spikes_csv, traces_csv, write_atomic, WriteError};
use crate::plot::{self, PlotError, RasterGroup, TracePanel};

/// The embedded example network run by `mixsig sim` without a file.
pub const DEFAULT_NETWORK: &str = include_str!("../../../examples/networks/ei_balanced.toml");
/// Name of the embedded example.
pub const DEFAULT_NETWORK_NAME: &str = "examples/networks/ei_balanced.toml (embedded)";

/// Errors of a simulation run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The network could not be built.
    #[error("invalid network: {0}")]
    Build(#[from] BuildError),
    /// An output could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// The simulation produced NaN or inf.
    #[error("the simulation produced a non-finite value in {0}; check the biases")]
    NonFinite(String),
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Step, s.
    pub dt: f64,
    /// Simulated time, s.
    pub duration: f64,
    /// Seed.
    pub seed: u64,
    /// Name of the network (file path) for the summary.
    pub network_name: String,
    /// The chip the network ran on, for the summary (`None`: ideal circuits).
    pub chip: Option<ChipInfo>,
    /// Run `dynapsim` populations with `f32` state (DynapSim's own precision, faster; see
    /// `Network::use_f32_state`); other models are unaffected.
    pub f32_state: bool,
}

/// The chip part of `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ChipInfo {
    /// Profile name.
    pub profile: String,
    /// Die seed (or the instance file it was loaded from).
    pub instance: String,
    /// Where each population landed.
    pub placement: Vec<crate::chipnet::PlacedPopulation>,
    /// Biases the network set, as realized.
    pub biases: Vec<crate::chipnet::SetBias>,
    /// What the per-die calibration changed (`[chip] calibrate = true`; empty without it).
    pub calibration: Vec<crate::calibrate::Correction>,
}

/// Per-population line of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    /// Name.
    pub name: String,
    /// `source` or the model name.
    pub kind: String,
    /// Size.
    pub size: usize,
    /// Spikes over the run.
    pub spike_count: u64,
    /// Mean rate per neuron, Hz.
    pub mean_rate_hz: f64,
}

/// `summary.json` of a run.
#[derive(Debug, Clone, Serialize)]
pub struct SimSummary {
    /// Network file.
    pub network: String,
    /// Step, s.
    pub dt_s: f64,
    /// Simulated time, s.
    pub duration_s: f64,
    /// Seed.
    pub seed: u64,
    /// Steps taken.
    pub steps: u64,
    /// Neurons (not counting sources).
    pub neurons: usize,
    /// Wall time of the stepping loop, s.
    pub wall_time_s: f64,
    /// Neuron-steps per wall second.
    pub neuron_steps_per_s: f64,
    /// State precision of the `dynapsim` populations: `f64` or `f32`.
    pub precision: String,
    /// Populations and sources.
    pub populations: Vec<GroupSummary>,
    /// The chip the network ran on (absent for ideal circuits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chip: Option<ChipInfo>,
    /// Warnings of the build (for example weights the chip cannot represent).
    pub warnings: Vec<String>,
    /// Files written.
    pub files: Vec<String>,
}

/// Build and run `spec`, calling `progress(done_steps, total_steps)` now and then. A network
/// heavy enough to split its step ([`Network::step_split`]) runs on a pool thread, where its two
/// groups of populations step in parallel (the same numbers as on one thread).
pub fn simulate(
    spec: &NetworkSpec,
    cfg: &SimConfig,
    mut progress: impl FnMut(u64, u64) + Send,
) -> Result<(Network, f64), SimError> {
    let mut net = Network::build(spec, cfg.dt, cfg.seed)?;
    if cfg.f32_state {
        net.use_f32_state();
    }
    let n = net.steps_for(cfg.duration);
    if n == 0 {
        return Err(SimError::Build(crate::fi::no_step(cfg.duration, cfg.dt)));
    }
    let every = (n / 200).max(1);
    let t0 = Instant::now();
    if net.step_split.is_some() {
        rayon::scope(|_| net.run_observed(n, every, |d| progress(d, n)));
    } else {
        net.run_observed(n, every, |d| progress(d, n));
    }
    let wall = t0.elapsed().as_secs_f64();
    if let Some(col) = first_non_finite(&net) {
        return Err(SimError::NonFinite(col));
    }
    Ok((net, wall))
}

/// Summarise a finished run.
pub fn summarize(net: &Network, cfg: &SimConfig, wall: f64) -> SimSummary {
    let dur = net.time();
    let ns = net.sources.len();
    let populations = net
        .rec
        .names
        .iter()
        .enumerate()
        .map(|(g, name)| GroupSummary {
            name: name.clone(),
            kind: if g < ns {
                "source".into()
            } else {
                net.pops[g - ns].model.name().into()
            },
            size: net.rec.sizes[g],
            spike_count: net.rec.counts[g],
            mean_rate_hz: net.rec.mean_rate(g, dur),
        })
        .collect();
    let ns_total = net.n_neurons() as f64 * net.k as f64;
    SimSummary {
        network: cfg.network_name.clone(),
        dt_s: net.dt,
        duration_s: dur,
        seed: cfg.seed,
        steps: net.k,
        neurons: net.n_neurons(),
        wall_time_s: wall,
        neuron_steps_per_s: if wall > 0.0 { ns_total / wall } else { 0.0 },
        precision: if cfg.f32_state { "f32" } else { "f64" }.into(),
        populations,
        chip: cfg.chip.clone(),
        warnings: net.warnings.clone(),
        files: Vec::new(),
    }
}

/// Write all outputs of a run into `out` and return the summary (with the file list).
pub fn write_outputs(
    net: &Network,
    cfg: &SimConfig,
    wall: f64,
    out: &Path,
) -> Result<SimSummary, SimError> {
    let mut files: Vec<PathBuf> = Vec::new();
    let p = out.join("spikes.csv");
    write_atomic(&p, spikes_csv(net).as_bytes())?;
    files.push(p);
    let p = out.join("traces.csv");
    write_atomic(&p, traces_csv(net).as_bytes())?;
    files.push(p);

    // Raster of the recorded groups.
    let mut per_group: Vec<(Vec<f64>, Vec<u32>)> =
        vec![(Vec::new(), Vec::new()); net.rec.names.len()];
    for e in &net.rec.spikes {
        let g = &mut per_group[e.group as usize];
        g.0.push(e.step as f64 * net.dt);
        g.1.push(e.neuron);
    }
    let groups: Vec<RasterGroup> = net
        .rec
        .names
        .iter()
        .enumerate()
        .filter(|(g, _)| net.rec.keep[*g])
        .map(|(g, name)| RasterGroup {
            name,
            times_s: &per_group[g].0,
            neuron: &per_group[g].1,
            size: net.rec.sizes[g] as u32,
        })
        .collect();
    files.extend(plot::raster(
        &out.join("raster"),
        "Spike raster",
        &groups,
        net.time(),
    )?);

    // State traces: one panel per variable name.
    if !net.rec.probes.is_empty() {
        let t: Vec<f64> = net
            .rec
            .probe_steps
            .iter()
            .map(|&k| k as f64 * net.dt)
            .collect();
        let mut columns: Vec<(String, String, Vec<f64>)> = Vec::new(); // (var, label, data)
        for p in &net.rec.probes {
            let w = p.neurons.len();
            for (j, &n) in p.neurons.iter().enumerate() {
                let series: Vec<f64> = (0..net.rec.probe_steps.len())
                    .map(|r| p.data[r * w + j])
                    .collect();
                columns.push((
                    p.var_name.clone(),
                    format!("{}[{}]", net.pops[p.pop].name, n),
                    series,
                ));
            }
        }
        let mut vars: Vec<String> = columns.iter().map(|c| c.0.clone()).collect();
        vars.dedup();
        vars.sort();
        vars.dedup();
        let panels: Vec<TracePanel> = vars
            .iter()
            .map(|v| {
                let unit = if v == "vmem" {
                    "V"
                } else if v == "timer" {
                    "s"
                } else {
                    "A"
                };
                TracePanel {
                    label: v,
                    unit,
                    log_y: unit == "A",
                    series: columns
                        .iter()
                        .filter(|c| &c.0 == v)
                        .take(8)
                        .map(|c| (c.1.clone(), c.2.as_slice()))
                        .collect(),
                }
            })
            .collect();
        files.extend(plot::traces(
            &out.join("traces"),
            "State traces",
            &t,
            &panels,
        )?);
    }

    let mut summary = summarize(net, cfg, wall);
    summary.files = files.iter().map(|f| f.display().to_string()).collect();
    summary
        .files
        .push(out.join("summary.json").display().to_string());
    let json = serde_json::to_string_pretty(&summary).expect("summary serializes");
    write_atomic(&out.join("summary.json"), json.as_bytes())?;
    Ok(summary)
}
