//! `mixsig fi`: firing rate versus constant input current.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use mixsig_circuits::neuron::DEFAULT_DT;
use mixsig_circuits::{NamedParams, NeuronParams};
use mixsig_engine::spec::ModelKind;
use mixsig_lab::{fi, netfile};

use crate::{current_arg, progress_bar, set_arg, time_arg};

#[derive(clap::Args)]
pub struct FiArgs {
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

pub fn run(a: FiArgs) -> Result<()> {
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
