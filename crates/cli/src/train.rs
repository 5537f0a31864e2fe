//! `mixsig train`: train the error-propagation network on a timing task, on a chip die or on ideal
//! circuits, and write the learning curve, summary and plots.

use std::path::PathBuf;

use anyhow::Result;
use mixsig_circuits::learning::{UpdateMode, WeightStorage};
use mixsig_circuits::units::{format_quantity, Dimension};
use mixsig_lab::tasks::Pattern;
use mixsig_lab::train::network::FeedbackMode;
use mixsig_lab::train::run::{self, TaskSource, TrainOptions};
use mixsig_lab::train::sweep;

use crate::{check_out_dir, count_arg, id_arg, nonneg_arg, progress_bar, time_arg};

#[derive(clap::Args)]
pub struct TrainArgs {
    /// Built-in task: order, sync, frozen-poisson, xor (two classes with identical per-channel spike
    /// counts, different timing).
    #[arg(long, value_name = "NAME", value_parser = |s: &str| s.parse::<Pattern>(), conflicts_with = "data")]
    pattern: Option<Pattern>,
    /// User task directory: labels.csv (`file,label,split`) and one `t_s,channel` CSV per
    /// presentation (see docs/tasks.md).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Presentation length of `--data` (e.g. "300 ms"); default: the latest spike time in any file
    /// / 0.7, so the last 30 % of a presentation is left for the network's answer, as in the
    /// built-in tasks.
    #[arg(long, value_name = "TIME", value_parser = time_arg)]
    duration: Option<f64>,
    /// Chip profile: a built-in name (dynapse2, dynapse1, fdsoi22, ideal) or a TOML file; `none` runs
    /// ideal circuits without a die (the preset's per-neuron parameters exactly).
    #[arg(long, value_name = "NAME|PATH|none", default_value = "dynapse2")]
    profile: String,
    /// Die seed (with a profile).
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = id_arg)]
    instance: u64,
    /// Seed of the task, the initial weights and the run.
    #[arg(long, default_value_t = 1, value_parser = id_arg)]
    seed: u64,
    /// Training presentations.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = count_arg)]
    presentations: usize,
    /// How the error reaches the hidden layer: mirrored, random, none.
    #[arg(long, value_name = "MODE", default_value = "mirrored", value_parser = run::parse_feedback)]
    feedback: FeedbackMode,
    /// Storage of the plastic weights: analog, nbit:N, bistable, bistable:DRIFT.
    #[arg(long, value_name = "FORMAT", default_value = "analog", value_parser = run::parse_storage)]
    storage: WeightStorage,
    /// Test presentations of a built-in task [default: 20] (user data brings its own split: with
    /// --data it is refused).
    #[arg(long, value_name = "N", value_parser = n_test_arg)]
    n_test: Option<usize>,
    /// Evaluate on the test set every N training presentations (and before training).
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = count_arg)]
    test_every: usize,
    /// Time step (e.g. "100 us") [default: 100 us].
    #[arg(long, value_parser = time_arg)]
    dt: Option<f64>,
    /// No hidden layer: inputs project straight onto the outputs (baseline).
    #[arg(long)]
    no_hidden: bool,
    /// When the weight-update circuits act: `event` (a charge packet per error spike) or
    /// `continuous[:TAU_ERR_S]` (integrate the low-passed error, default 10 ms).
    #[arg(long, value_name = "MODE", default_value = "event", value_parser = parse_update)]
    update: UpdateMode,
    /// Lognormal sigma of the per-synapse learning rates (default: the profile's weight-transistor
    /// mismatch; 0 without a profile).
    #[arg(long, value_name = "SIGMA", value_parser = nonneg_arg)]
    eta_sigma: Option<f64>,
    /// Lognormal sigma of a mirrored feedback twin's learning rate relative to its forward synapse
    /// (the twins share one update circuit and differ by their weight capacitors; default: the
    /// profile's capacitor mismatch for 1 pF, 0 without a profile).
    #[arg(long, value_name = "SIGMA", value_parser = nonneg_arg)]
    twin_sigma: Option<f64>,
    /// Learning-rate decay in training presentations: every learning rate is scaled by
    /// `1 / (1 + n / N)` in presentation `n`; 0 for none (default: the preset's, 100; 1000 for
    /// `sync`, and for `frozen-poisson` with its signed readout, which ideal circuits have and
    /// dynapse2 does not).
    #[arg(long, value_name = "N", value_parser = nonneg_arg)]
    eta_decay: Option<f64>,
    /// Sweep: one run per seed (`1..10`, `1,5,7`); with `--instances`, every combination. Runs in
    /// parallel and writes `sweep.json`, `sweep.csv` and the accuracy distribution instead of one run's
    /// files.
    #[arg(long, value_name = "LIST", value_parser = parse_ids)]
    seeds: Option<IdList>,
    /// Sweep over dies of the profile (`0..19`).
    #[arg(long, value_name = "LIST", value_parser = parse_ids, conflicts_with = "instance")]
    instances: Option<IdList>,
    /// Output directory.
    #[arg(long, default_value = "runs/train")]
    out: PathBuf,
    /// Train the network of this file instead of the preset (docs/network-format.md, Learning);
    /// --feedback, --storage, --update, --no-hidden and --eta-decay are then the file's business.
    #[arg(long, value_name = "FILE.toml", conflicts_with_all = ["feedback", "storage", "no_hidden", "update", "eta_decay", "export_network"])]
    network: Option<PathBuf>,
    /// Bias file (`[[chip.bias]]` entries, e.g. `biases.toml` from `mixsig tune`): overrides the
    /// network's bias requests on the die, per core; needs a profile.
    #[arg(long, value_name = "FILE.toml")]
    biases: Option<PathBuf>,
    /// Calibrate the die before training, as on a real chip: every neuron and synapse-circuit bias
    /// of each core the network occupies (not the weight bases) is corrected for that core's die-
    /// and core-level mismatch, measured on the core's median neuron; then each output error
    /// neuron's teacher and output weights are set, by mask steps, so that its response on the
    /// bench matches the design's (contrastive pairs, as in `xor`, class by class, their weights
    /// from the other class included; docs/network-format.md, Calibration). Each device keeps its
    /// own mismatch. Needs a profile.
    #[arg(long)]
    calibrate: bool,
    /// Write the preset network of these options as DIR/network.toml (+ weight CSVs) and exit; a
    /// path ending in .toml names the file (tables then go to a directory named after it).
    #[arg(long, value_name = "DIR|FILE.toml", conflicts_with_all = ["seeds", "instances"])]
    export_network: Option<PathBuf>,
}

/// Test presentations of a built-in task: at least 2 (one per class).
fn n_test_arg(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 2 => Ok(n),
        Ok(_) => Err("must be at least 2 (one test presentation per class)".into()),
        Err(_) => Err(format!("{s:?} is not a whole number >= 2")),
    }
}

/// A list of seeds or dies (a newtype, so that clap takes it as one value).
#[derive(Clone, Debug)]
pub struct IdList(Vec<u64>);

fn parse_ids(s: &str) -> Result<IdList, String> {
    sweep::parse_list(s).map(IdList)
}

fn run_sweep(
    opts: &TrainOptions,
    seeds: Option<&[u64]>,
    instances: Option<&[u64]>,
    out: &std::path::Path,
) -> Result<()> {
    let (seeds, instances) = (seeds.unwrap_or(&[]), instances.unwrap_or(&[]));
    let total = seeds.len().max(1) * instances.len().max(1);
    let pb = progress_bar(total as u64, "runs");
    let s = sweep::sweep(opts, seeds, instances, |d, _| pb.set_position(d as u64));
    pb.finish_and_clear();
    let s = s?;
    let files = sweep::write_sweep(&s, out)?;
    println!("mixsig train sweep: {}", s.config);
    println!(
        "{:>6} {:>9} {:>9} {:>9} {:>12} {:>10} {:>8}",
        "seed", "instance", "test acc", "best acc", "err end/start", "mirror div", "wall s"
    );
    let f = |x: f64, p: usize| {
        if x.is_finite() {
            format!("{x:.p$}")
        } else {
            "-".into()
        }
    };
    for r in &s.rows {
        println!(
            "{:>6} {:>9} {:>9.3} {:>9.3} {:>12} {:>10} {:>8.1}",
            r.seed,
            r.instance,
            r.test_accuracy,
            r.best_accuracy,
            f(r.error_rate_end_hz / r.error_rate_start_hz, 3),
            f(r.mirror_divergence, 4),
            r.wall_s
        );
    }
    println!(
        "{} runs: median test accuracy {:.3} (min {:.3}, q25 {:.3}, q75 {:.3}, max {:.3}); >= 0.85: {:.0}%, >= 0.95: {:.0}%",
        s.runs,
        s.median_accuracy,
        s.min_accuracy,
        s.q25_accuracy,
        s.q75_accuracy,
        s.max_accuracy,
        100.0 * s.frac_ge_085,
        100.0 * s.frac_ge_095
    );
    println!(
        "error-neuron rate end/start: median {} (max {}); mirror divergence (stored): median {}, max {}; on injected currents: median {}",
        f(s.median_error_ratio, 3),
        f(s.max_error_ratio, 3),
        f(s.median_mirror_divergence, 4),
        f(s.max_mirror_divergence, 4),
        f(s.median_mirror_divergence_effective, 4)
    );
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
    let still = s
        .rows
        .iter()
        .filter(|r| r.hidden_updates == Some(0))
        .count();
    if still > 0 {
        eprintln!(
            "warning: the hidden layer did not learn in {still} of {} runs (hidden_updates = 0 in \
             sweep.csv): their hidden error neurons never fired past their dead zone, or found the \
             learning gates closed, so only the readout was trained, as with --feedback none",
            s.runs
        );
    }
    println!(
        "outputs in {}/ ({} files: sweep.json, sweep.csv, accuracy_distribution.svg/png)",
        out.display(),
        files.len()
    );
    Ok(())
}

fn parse_update(s: &str) -> Result<UpdateMode, String> {
    UpdateMode::parse(s).ok_or_else(|| {
        format!("`{s}` is not an update mode: event, continuous or continuous:TAU_ERR_S (> 0)")
    })
}

pub fn run(a: TrainArgs) -> Result<()> {
    if a.n_test.is_some() && a.data.is_some() {
        anyhow::bail!(
            "--n-test applies to the built-in patterns; --data takes its test presentations from the `test` rows of labels.csv"
        );
    }
    if a.duration.is_some() && a.data.is_none() {
        anyhow::bail!(
            "--duration applies to --data (a task directory); the built-in patterns have their own"
        );
    }
    if a.profile == "none" && a.instance != 0 {
        eprintln!(
            "warning: --instance {} is ignored: --profile none runs ideal circuits without a die",
            a.instance
        );
    }
    let defaults = TrainOptions::default();
    let opts = TrainOptions {
        task: match (&a.data, a.pattern) {
            (Some(d), _) => TaskSource::Data(d.clone()),
            (None, Some(p)) => TaskSource::Pattern(p),
            // A network file made for a pattern (its `[train] task`) trains on it.
            (None, None) => TaskSource::Pattern(match &a.network {
                Some(f) => mixsig_lab::train::netspec::file_task(f)?.unwrap_or(Pattern::Order),
                None => Pattern::Order,
            }),
        },
        data_duration: a.duration,
        profile: (a.profile != "none").then(|| a.profile.clone()),
        // Ignored without a die (warned above): recorded as 0, the value that was used.
        instance: if a.profile == "none" { 0 } else { a.instance },
        seed: a.seed,
        presentations: a.presentations,
        feedback: a.feedback,
        storage: a.storage,
        n_test: a.n_test.unwrap_or(defaults.n_test),
        test_every: a.test_every,
        dt: a.dt.unwrap_or(defaults.dt),
        no_hidden: a.no_hidden,
        eta_sigma_ln: a.eta_sigma,
        network: a.network.clone(),
        biases: a.biases.clone(),
        twin_sigma_ln: a.twin_sigma,
        update: a.update,
        calibrate: a.calibrate,
        eta_decay: a.eta_decay,
        ..defaults
    };
    if let Some(dir) = &a.export_network {
        let (files, notes) = mixsig_lab::train::netspec::export(&opts, dir)?;
        for n in &notes {
            eprintln!("warning: {n}");
        }
        let toml = files.last().expect("the network file");
        println!(
            "mixsig train: wrote the {} preset network to {} (+ {} weight tables); train it with `mixsig train --network {}{}`",
            opts.task.describe(),
            toml.display(),
            files.len() - 1,
            toml.display(),
            mixsig_lab::train::netspec::retrain_flags(&opts)
        );
        return Ok(());
    }
    // After the export, which writes elsewhere and does not use --out.
    check_out_dir("--out", &a.out)?;
    if a.seeds.is_some() || a.instances.is_some() {
        if a.instances.is_some() && opts.profile.is_none() {
            anyhow::bail!("--instances needs a chip profile (--profile none has no dies)");
        }
        return run_sweep(
            &opts,
            a.seeds.as_ref().map(|l| l.0.as_slice()),
            a.instances.as_ref().map(|l| l.0.as_slice()),
            &a.out,
        );
    }
    let pb = progress_bar(opts.presentations as u64, "training");
    let outcome = run::train(&opts, |d, n| {
        pb.set_length(n as u64);
        pb.set_position(d as u64);
    });
    pb.finish_and_clear();
    let o = outcome?;
    for w in &o.warnings {
        eprintln!("warning: {w}");
    }
    let files = run::write_outputs(&o, &a.out)?;

    let on = match &o.chip {
        Some(c) => format!(
            "{} `{}` die (instance {}{})",
            if c.profile.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            },
            c.profile,
            c.instance,
            if c.calibrated { ", calibrated" } else { "" }
        ),
        None => "ideal circuits (no die)".into(),
    };
    println!(
        "mixsig train: {} ({} channels, {} classes: {}; presentations of {}) on {on}",
        o.task.name,
        o.task.n_channels,
        o.task.class_names.len(),
        o.task.class_names.join(", "),
        mixsig_circuits::units::format_quantity(
            o.task.duration_s,
            mixsig_circuits::units::Dimension::Time
        )
    );
    let hidden = if o.network.n_conj > 0 {
        format!(
            "{} fixed detectors -> {} hidden",
            o.network.n_hidden, o.network.n_conj
        )
    } else {
        format!("{} hidden", o.network.n_hidden)
    };
    println!(
        "  {} neurons, {hidden}, {} feedback, {} weights, learning-rate mismatch sigma_ln {:.3} (twins {:.4})",
        o.neurons,
        format!("{:?}", o.options.feedback).to_lowercase(),
        o.options.storage,
        o.options.eta_sigma_ln,
        o.options.twin_sigma_ln
    );
    println!(
        "{:>13} {:>9} {:>15} {:>10} {:>10} {:>11}",
        "presentations", "test acc", "err rate (Hz)", "W1 mean", "W2 mean", "mirror div"
    );
    let opt = |x: f64, f: &dyn Fn(f64) -> String| {
        if x.is_finite() {
            f(x)
        } else {
            "-".into()
        }
    };
    let amp = |x: f64| format_quantity(x, Dimension::Current);
    for c in &o.result.curve {
        println!(
            "{:>13} {:>9.3} {:>15} {:>10} {:>10} {:>11}",
            c.presentations,
            c.test_accuracy,
            opt(c.error_rate_out_hz, &|x| format!("{x:.1}")),
            opt(c.w1_mean, &amp),
            opt(c.w2_mean, &amp),
            opt(c.mirror_divergence, &|x| format!("{x:.4}")),
        );
    }
    println!(
        "test accuracy {:.3} (best checkpoint {:.3}, chance {:.3}) on {} test presentations after {} training presentations",
        o.result.test_accuracy,
        o.result.best_accuracy,
        1.0 / o.task.class_names.len().max(1) as f64,
        o.task.n_test,
        o.options.presentations
    );
    println!(
        "{:.1} s simulated in {:.1} s wall",
        o.result.simulated_s, o.result.wall_s
    );
    println!(
        "outputs in {}/ ({} files: summary.json, learning_curve.csv, plots .svg/.png)",
        a.out.display(),
        files.len()
    );
    let left = run::leftovers(&a.out, &files);
    if !left.is_empty() {
        let names: Vec<String> = left
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        eprintln!(
            "warning: {} files in {}/ are from an earlier run and were left as they were: {}",
            left.len(),
            a.out.display(),
            names.join(", ")
        );
    }
    Ok(())
}
