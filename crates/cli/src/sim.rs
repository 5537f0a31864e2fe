//! `mixsig sim`: run a network file (or the embedded example) and write its outputs.

use std::path::PathBuf;

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use mixsig_chip::{ChipInstance, ChipProfile};
use mixsig_circuits::neuron::DEFAULT_DT;
use mixsig_circuits::units::{format_quantity, Dimension};
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
    /// Run on a die of this chip profile (built-in name or TOML path); overrides the file's [chip].
    #[arg(long, value_name = "NAME|PATH")]
    profile: Option<String>,
    /// Die seed (instance number); overrides the file's [chip] instance. Default 0.
    #[arg(long)]
    instance: Option<u64>,
    /// Run on a die saved by `mixsig chip sample` (its biases as saved); needs --profile.
    #[arg(long, value_name = "PATH")]
    instance_file: Option<PathBuf>,
    /// Bias file of `[[chip.bias]]` entries (as written by `mixsig tune`), applied after the network
    /// file's own; its `[chip] profile` is used when neither --profile nor the file names one.
    #[arg(long, value_name = "PATH")]
    biases: Option<PathBuf>,
    /// State precision of `dynapsim` populations: f64 (default) or f32 (DynapSim's own precision,
    /// about 1.5x faster; passes the same validation against Rockpool; docs/speed.md).
    #[arg(long, default_value = "f64", value_parser = ["f64", "f32"])]
    precision: String,
}

pub fn run(a: SimArgs) -> Result<()> {
    crate::check_out_dir("--out", &a.out)?;
    let mut nf = match &a.network {
        Some(p) => netfile::load_seeded(p, a.seed)?,
        None => netfile::parse_seeded(
            sim::DEFAULT_NETWORK,
            sim::DEFAULT_NETWORK_NAME,
            None,
            a.seed,
        )?,
    };
    let file_name = a
        .network
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| sim::DEFAULT_NETWORK_NAME.to_string());
    if let Some(path) = &a.biases {
        let extra = netfile::load_bias_file(path)?;
        nf.chip.biases.extend(extra.biases);
        if nf.chip.profile.is_none() {
            nf.chip.profile = extra.profile;
        }
    }
    let chip = bind_chip(&a, &mut nf, &file_name)?;
    let cfg = sim::SimConfig {
        dt: a.dt.or(nf.sim.dt).unwrap_or(DEFAULT_DT),
        duration: a.duration.or(nf.sim.duration).unwrap_or(1.0),
        seed: a.seed.or(nf.sim.seed).unwrap_or(1),
        network_name: file_name.clone(),
        chip,
        f32_state: a.precision == "f32",
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
    for w in &net.warnings {
        eprintln!("warning: {w}");
    }
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
    if let Some(c) = &summary.chip {
        let cal = if c.calibration.is_empty() {
            String::new()
        } else {
            format!(", calibrated: {} biases corrected", c.calibration.len())
        };
        println!(
            "on a die of profile `{}` (instance {}{cal}):",
            c.profile, c.instance
        );
        for p in &c.placement {
            println!("  {:<12} cores {:?}", p.population, p.cores);
        }
        for b in &c.biases {
            println!(
                "  core {} {:<14} {:>10} (code {}) rel. error {:+.2}%{}  [{}]",
                b.core,
                b.report.bias,
                format_quantity(b.report.current, Dimension::Current),
                b.report
                    .code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "exact".into()),
                100.0 * b.report.rel_error,
                b.report
                    .warning
                    .as_ref()
                    .map(|w| format!(" WARNING: {w}"))
                    .unwrap_or_default(),
                b.origin
            );
        }
        let over = c
            .biases
            .iter()
            .filter(|b| b.origin.contains(" (over "))
            .count();
        if over > 0 {
            eprintln!(
                "note: the bias file sets {over} bias(es) that populations of the network ask otherwise for; the bias file wins (marked \"over ...\" above)"
            );
        }
    }
    println!(
        "outputs in {}/ (spikes.csv, traces.csv, summary.json, raster.svg/png, traces.svg/png)",
        a.out.display()
    );
    Ok(())
}

/// Bind the network to a die when a profile is given (flag or file), and describe it for the summary.
fn bind_chip(
    a: &SimArgs,
    nf: &mut netfile::NetworkFile,
    file_name: &str,
) -> Result<Option<sim::ChipInfo>> {
    let Some(profile_name) = a.profile.clone().or_else(|| nf.chip.profile.clone()) else {
        if a.instance.is_some() || a.instance_file.is_some() {
            bail!("--instance and --instance-file need a chip profile (--profile NAME|PATH or [chip] profile in the file)");
        }
        return Ok(None);
    };
    let profile = ChipProfile::builtin_or_load(&profile_name)?;
    let seed = a.instance.or(nf.chip.instance).unwrap_or(0);
    let mut run = mixsig_lab::chipnet::bind(&nf.spec, &nf.chip, &profile, seed, file_name)?;
    let mut instance = seed.to_string();
    if let Some(path) = &a.instance_file {
        if let Some(why) =
            mixsig_lab::chipnet::instance_file_conflict(&nf.chip, &run, file_name, path)
        {
            bail!(why);
        }
        let inst = ChipInstance::load(path, &profile)
            .with_context(|| format!("loading instance {}", path.display()))?;
        run.binding.instance = Arc::new(inst);
        instance = path.display().to_string();
    }
    nf.spec.chip = Some(run.binding);
    Ok(Some(sim::ChipInfo {
        profile: profile.name.clone(),
        instance,
        placement: run.placement,
        biases: run.biases,
        calibration: run.calibration,
    }))
}
