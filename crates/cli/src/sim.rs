//! `mixsig sim`: run a network file (or the embedded example) and write its outputs.

use std::path::PathBuf;

use anyhow::Result;
use mixsig_circuits::neuron::DEFAULT_DT;
use mixsig_lab::{netfile, sim};

use crate::{progress_bar, time_arg};

#[derive(clap::Args)]
pub struct SimArgs {
    /// Network file (TOML). Without it, runs the embedded E/I example network.
    network: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "runs/sim")]
    out: PathBuf,
    /// Simulated time (e.g. "2 s", "500ms"); overrides the file.
    #[arg(long, value_parser = time_arg)]
    duration: Option<f64>,
    /// Time step (e.g. "10 us"); overrides the file.
    #[arg(long, value_parser = time_arg)]
    dt: Option<f64>,
    /// Seed for Poisson sources and random connectivity; overrides the file.
    #[arg(long)]
    seed: Option<u64>,
    /// Print the per-step schedule of the built network and exit.
    #[arg(long)]
    schedule: bool,
}

pub fn run(a: SimArgs) -> Result<()> {
    let nf = match &a.network {
        Some(p) => netfile::load(p)?,
        None => netfile::parse(sim::DEFAULT_NETWORK, sim::DEFAULT_NETWORK_NAME, None)?,
    };
    let cfg = sim::SimConfig {
        dt: a.dt.or(nf.sim.dt).unwrap_or(DEFAULT_DT),
        duration: a.duration.or(nf.sim.duration).unwrap_or(1.0),
        seed: a.seed.or(nf.sim.seed).unwrap_or(1),
        network_name: a
            .network
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| sim::DEFAULT_NETWORK_NAME.to_string()),
    };
    if a.schedule {
        let net = mixsig_engine::Network::build(&nf.spec, cfg.dt, cfg.seed)?;
        print!("{}", net.schedule());
        return Ok(());
    }
    let pb = progress_bar(1, "simulating");
    let (net, wall) = sim::simulate(&nf.spec, &cfg, |d, n| {
        pb.set_length(n);
        pb.set_position(d);
    })?;
    pb.finish_and_clear();
    let summary = sim::write_outputs(&net, &cfg, wall, &a.out)?;
    println!(
        "mixsig sim: {} — {} neurons, {:.3} s simulated at dt = {} us in {:.3} s wall ({:.2e} neuron-steps/s)",
        summary.network,
        summary.neurons,
        summary.duration_s,
        summary.dt_s * 1e6,
        summary.wall_time_s,
        summary.neuron_steps_per_s
    );
    println!(
        "{:<12} {:>16} {:>6} {:>10} {:>12}",
        "population", "kind", "size", "spikes", "rate (Hz)"
    );
    for g in &summary.populations {
        println!(
            "{:<12} {:>16} {:>6} {:>10} {:>12.2}",
            g.name, g.kind, g.size, g.spike_count, g.mean_rate_hz
        );
    }
    println!(
        "outputs in {}/ (spikes.csv, traces.csv, summary.json, raster.svg/png, traces.svg/png)",
        a.out.display()
    );
    Ok(())
}
