//! `mixsig fi`: firing rate versus constant input current.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use mixsig_chip::profile::BUILTIN;
use mixsig_chip::{BiasValue, ChipProfile};
use mixsig_circuits::neuron::DEFAULT_DT;
use mixsig_circuits::units::{format_quantity, Dimension};
use mixsig_circuits::{NamedParams, NeuronParams};
use mixsig_engine::spec::ModelKind;
use mixsig_lab::{fi, netfile};

use crate::{current_arg, progress_bar, set_arg, time_arg};

#[derive(clap::Args)]
pub struct FiArgs {
    /// Neuron model variant.
    #[arg(long, default_value = "physical", value_parser = ["physical", "physical-sigmoid", "dynapsim"])]
    model: String,
    /// Set a neuron parameter by name, e.g. --set i_tau_mem=5pA (repeatable). With --profile, a bias
    /// target on every core, quantized by the die's bias generator (bias currents only).
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
    /// Chip profile: a built-in name (ideal, dynapse2, dynapse1, fdsoi22) or a TOML file. The neuron
    /// is neuron 0 of core 0 of a sampled die.
    #[arg(long, value_name = "NAME|PATH")]
    profile: Option<String>,
    /// Seed of the (first) sampled die (with --profile).
    #[arg(long, value_name = "N")]
    instance: Option<u64>,
    /// Number of dies (with --profile): seeds N, N+1, ..., N+K-1 with N from --instance.
    #[arg(long, value_name = "K")]
    instances: Option<usize>,
}

pub fn run(a: FiArgs) -> Result<()> {
    crate::check_out_dir("--out", &a.out)?;
    if a.list_params {
        for p in NeuronParams::param_infos() {
            println!("{:<14} {:<22} {}", p.name, p.dim.to_string(), p.doc);
        }
        return Ok(());
    }
    let model = netfile::parse_model(&a.model).context("model")?;
    if model == ModelKind::Dynapsim
        && a.set
            .iter()
            .any(|(n, _)| n.contains("nmda") || n.contains("gaba") || n.contains("shunt"))
    {
        bail!("the dynapsim model has one lumped synapse: set i_tau_syn / i_gain_syn / c_syn, not per-type parameters");
    }
    if a.profile.is_some() {
        return run_on_profile(a, model);
    }
    if a.instances.is_some() || a.instance.is_some() {
        bail!("--instance and --instances choose sampled dies of a chip profile: add --profile NAME|PATH (built-in: {})", BUILTIN.join(", "));
    }
    let mut params = NeuronParams::default();
    for (name, v) in &a.set {
        params.set(name, *v)?;
    }
    params.validate()?;
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

/// A built-in profile name or a TOML path ([`ChipProfile::builtin_or_load`]: a bare word that is
/// neither a built-in nor an existing file is reported as an unknown built-in, listing the names).
fn load_profile(arg: &str) -> Result<ChipProfile> {
    ChipProfile::builtin_or_load(arg).with_context(|| format!("chip profile {arg}"))
}

fn si(v: f64, d: Dimension) -> String {
    format_quantity(v, d)
}

/// `mixsig fi --profile`: the F–I curve of neuron 0 of core 0 on one or more sampled dies.
fn run_on_profile(a: FiArgs, model: ModelKind) -> Result<()> {
    let count = a.instances.unwrap_or(1);
    if count == 0 {
        bail!("--instances must be at least 1");
    }
    let first_seed = a.instance.unwrap_or(0);
    if first_seed.checked_add(count as u64 - 1).is_none() {
        bail!("--instance {first_seed} with --instances {count}: seeds overflow u64");
    }
    let profile = load_profile(a.profile.as_deref().unwrap_or_default())?;
    let biases = fi::chip_biases(&profile, &a.set)?;
    let dies = fi::sample_dies(&profile, &biases, first_seed, count)?;
    let levels = if a.idc.is_empty() {
        fi::default_levels()
    } else {
        a.idc.clone()
    };
    let dt = a.dt.unwrap_or(DEFAULT_DT);
    let last_seed = first_seed + count as u64 - 1;
    let seeds = if count == 1 {
        format!("die {first_seed}")
    } else {
        format!("{count} dies (seeds {first_seed}..={last_seed})")
    };
    println!(
        "mixsig fi: profile {} ({}), {seeds}, neuron (core {}, neuron {}), {} model, dt = {} us, {} s per level",
        profile.name,
        profile.origin,
        fi::FI_SITE.0,
        fi::FI_SITE.1,
        a.model,
        dt * 1e6,
        a.duration
    );
    print_bias_report(&a.set, &dies);

    let pb = progress_bar(count as u64, "simulating F-I on dies");
    let result = fi::fi_dies_observed(model, &dies, &levels, dt, a.duration, |d, _| {
        pb.set_position(d as u64)
    });
    pb.finish_and_clear();
    let result = result?;
    let dies_label = if count == 1 {
        format!("die {first_seed}")
    } else {
        format!("{count} dies")
    };
    let title = format!(
        "F-I curve, {} core {} neuron {}, {dies_label}: median, 5-95% band",
        profile.name,
        fi::FI_SITE.0,
        fi::FI_SITE.1,
    );
    let files = fi::write_fi_dies(&result, &title, &a.out)?;
    println!(
        "{:>12} {:>11} {:>11} {:>11} {:>9} {:>8} {:>15}",
        "idc (A)", "median (Hz)", "p05 (Hz)", "p95 (Hz)", "spikes", "fired", "first spike (s)"
    );
    for p in &result.summary {
        println!(
            "{:>12.3e} {:>11.2} {:>11.2} {:>11.2} {:>9} {:>8} {:>15}",
            p.idc_a,
            p.rate_hz,
            p.rate_p05_hz,
            p.rate_p95_hz,
            p.spike_count,
            format!("{}/{}", p.n_fired, p.n_instances),
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

/// What the bias generator made of each bias the user set: on core 0 of the first die, with the
/// spread over dies (each die has its own frozen generator) when there are several.
fn print_bias_report(set: &[(String, f64)], dies: &[std::sync::Arc<mixsig_chip::ChipInstance>]) {
    if set.is_empty() {
        println!("biases: profile defaults");
        return;
    }
    println!("biases set (core 0 of die {}):", dies[0].seed());
    for (name, _) in set {
        let Some(r) = dies[0].core(0).report.iter().find(|r| r.target == *name) else {
            continue;
        };
        let requested = match r.requested {
            BiasValue::Current(i) => si(i, Dimension::Current),
            BiasValue::Code(c) => format!("code {c}"),
        };
        let code = r.code.map(|c| format!(", code {c}")).unwrap_or_default();
        print!(
            "  {name} ({}): requested {requested}, achieved {} ({:+.2}%{code})",
            r.bias,
            si(r.current, Dimension::Current),
            100.0 * r.rel_error
        );
        if dies.len() > 1 {
            let achieved: Vec<f64> = dies
                .iter()
                .filter_map(|d| d.core(0).report.iter().find(|x| x.target == *name))
                .map(|x| x.current)
                .collect();
            let lo = achieved.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = achieved.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            print!(
                "; over {} dies {} .. {}",
                dies.len(),
                si(lo, Dimension::Current),
                si(hi, Dimension::Current)
            );
        }
        println!();
        if let Some(w) = &r.warning {
            println!("    warning: {w}");
        }
    }
}
