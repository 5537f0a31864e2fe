//! The `mixsig` command-line tool: a thin layer over `mixsig-lab` (argument parsing, progress bars,
//! human summaries, exit codes). Library errors arrive typed and are printed with their cause chain.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mixsig_circuits::neuron::DEFAULT_DT;
use mixsig_circuits::units::{parse_quantity, Dimension};
use mixsig_circuits::{NamedParams, NeuronParams};
use mixsig_engine::spec::ModelKind;
use mixsig_lab::{fi, netfile, sim};

#[derive(Parser)]
#[command(
    name = "mixsig",
    version,
    about = "Behavioral emulator of mixed-signal neuromorphic chips"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a network described in TOML (the embedded example without a file); write spikes, traces,
    /// summary and plots.
    Sim(SimArgs),
    /// Firing rate versus constant input current for one neuron.
    Fi(FiArgs),
}

#[derive(clap::Args)]
struct SimArgs {
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

#[derive(clap::Args)]
struct FiArgs {
    /// Neuron model variant.
    #[arg(long, default_value = "physical", value_parser = ["physical", "physical-sigmoid", "dynapsim"])]
    model: String,
    /// Set a neuron parameter by name, e.g. --set i_tau_mem=5pA (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = set_arg)]
    set: Vec<(String, f64)>,
    /// Comma-separated DC levels (e.g. "10pA,100pA,1nA"); default 15 log-spaced levels 10 pA..100 nA.
    #[arg(long, value_delimiter = ',', value_parser = current_arg)]
    idc: Vec<f64>,
    /// Time step.
    #[arg(long, value_parser = time_arg)]
    dt: Option<f64>,
    /// Simulated time per level.
    #[arg(long, value_parser = time_arg, default_value = "1 s")]
    duration: f64,
    /// Output directory.
    #[arg(long, default_value = "runs/fi")]
    out: PathBuf,
    /// List the parameter names --set accepts and exit.
    #[arg(long)]
    list_params: bool,
}

fn time_arg(s: &str) -> Result<f64, String> {
    let v = parse_quantity(s, Dimension::Time).map_err(|e| e.to_string())?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!("{s}: must be > 0"))
    }
}

fn current_arg(s: &str) -> Result<f64, String> {
    let v = parse_quantity(s, Dimension::Current).map_err(|e| e.to_string())?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("{s}: a DC level must be >= 0"))
    }
}

fn set_arg(s: &str) -> Result<(String, f64), String> {
    netfile::parse_set(s)
}

fn progress_bar(total: u64, what: &str) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let pb = ProgressBar::with_draw_target(Some(total), target);
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {percent:>3}% eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

fn run_sim(a: SimArgs) -> Result<()> {
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

fn run_fi(a: FiArgs) -> Result<()> {
    if a.list_params {
        for p in NeuronParams::param_infos() {
            println!("{:<14} {:<22} {}", p.name, p.dim.to_string(), p.doc);
        }
        return Ok(());
    }
    let model = netfile::parse_model(&a.model).context("model")?;
    let mut params = NeuronParams::default();
    for (name, v) in &a.set {
        params.set(name, *v)?;
    }
    params.validate()?;
    if model == ModelKind::Dynapsim
        && a.set
            .iter()
            .any(|(n, _)| n.contains("nmda") || n.contains("gaba") || n.contains("shunt"))
    {
        bail!("the dynapsim model has one lumped synapse: set i_tau_syn / i_gain_syn / c_syn, not per-type parameters");
    }
    let levels = if a.idc.is_empty() {
        fi::default_levels()
    } else {
        a.idc.clone()
    };
    let dt = a.dt.unwrap_or(DEFAULT_DT);
    let pb = progress_bar(1, "simulating F-I");
    let points = fi::fi_curve_observed(model, &[params], &levels, dt, a.duration, |d, n| {
        pb.set_length(n);
        pb.set_position(d);
    })?;
    pb.finish_and_clear();
    let title = format!(
        "F-I curve ({} model, dt = {} us, {} s per level)",
        a.model,
        dt * 1e6,
        a.duration
    );
    let files = fi::write_fi(&points, &title, &a.out)?;
    println!(
        "mixsig fi: {} model, dt = {} us, {} s per level",
        a.model,
        dt * 1e6,
        a.duration
    );
    println!(
        "{:>12} {:>10} {:>8} {:>14}",
        "idc (A)", "rate (Hz)", "spikes", "first spike (s)"
    );
    for p in &points {
        println!(
            "{:>12.3e} {:>10.2} {:>8} {:>14}",
            p.idc_a,
            p.rate_hz,
            p.spike_count,
            p.first_spike_s
                .map(|t| format!("{t:.5}"))
                .unwrap_or_else(|| "-".into())
        );
    }
    println!(
        "wrote {}",
        files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Sim(a) => run_sim(a),
        Command::Fi(a) => run_fi(a),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
