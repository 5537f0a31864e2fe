//! The `mixsig` command-line tool: a thin layer over `mixsig-lab` (argument parsing, progress bars,
//! human summaries, exit codes). Library errors arrive typed and are printed with their cause chain.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mixsig_circuits::units::{parse_quantity, Dimension};
use mixsig_lab::netfile;

mod chip;
mod compare;
mod fi;
mod merge;
mod robustness;
mod sim;
mod train;
mod tune;

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
    Sim(sim::SimArgs),
    /// Firing rate versus constant input current for one neuron (across sampled dies with --profile).
    Fi(fi::FiArgs),
    /// Inspect a chip profile, sample an instance, print bias-generator tables.
    Chip(chip::ChipArgs),
    /// Train the error-propagation network on a spike-timing task (order pattern on a dynapse2 die by
    /// default); write the learning curve, summary and plots.
    // `--instance -1` is a bad value, not an unknown flag `-1`: the value's parser says why.
    #[command(allow_negative_numbers = true)]
    Train(train::TrainArgs),
    /// Monte Carlo over chip instances and mismatch scale: percentiles, yield, sensitivity ranking,
    /// plots and an HTML report (train task on 32 dynapse2 dies at 0, 1, 2x mismatch by default).
    Robustness(robustness::RobustnessArgs),
    /// Bias tuning: targets (time constants, gains, pulse widths, rates) -> (coarse, fine) codes per
    /// core with yield across sampled dies; writes a bias file for sim and train.
    Tune(tune::TuneArgs),
    /// One experiment on several chip profiles, side by side.
    Compare(compare::CompareArgs),
    /// Combine the outputs of `--shard I/N` runs into the unsharded result.
    Merge(merge::MergeArgs),
}

pub(crate) fn time_arg(s: &str) -> Result<f64, String> {
    let v = parse_quantity(s, Dimension::Time).map_err(|e| e.to_string())?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!("{s}: must be > 0"))
    }
}

/// A seed or die number: a whole number >= 0.
pub(crate) fn id_arg(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| format!("{s:?} is not a whole number >= 0"))
}

/// Refuse an output directory that cannot be one before any work starts: the path, or the
/// nearest of its ancestors that exists, must be a directory.
pub(crate) fn check_out_dir(flag: &str, out: &std::path::Path) -> anyhow::Result<()> {
    if let Some(p) = mixsig_lab::output::out_dir_blocker(out) {
        anyhow::bail!(
            "{flag} {}: `{}` exists and is not a directory",
            out.display(),
            p.display()
        );
    }
    Ok(())
}

/// A count that must be at least 1 (`--presentations`, `--test-every`).
pub(crate) fn count_arg(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{s:?} is not a whole number >= 1")),
    }
}

/// A finite number >= 0 (spreads, decay lengths).
pub(crate) fn nonneg_arg(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(_) => Err("must be a finite number >= 0".into()),
        Err(_) => Err(format!("{s:?} is not a number")),
    }
}

pub(crate) fn current_arg(s: &str) -> Result<f64, String> {
    let v = parse_quantity(s, Dimension::Current).map_err(|e| e.to_string())?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("{s}: a DC level must be >= 0"))
    }
}

pub(crate) fn set_arg(s: &str) -> Result<(String, f64), String> {
    netfile::parse_set(s)
}

pub(crate) fn progress_bar(total: u64, what: &str) -> ProgressBar {
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

fn main() -> ExitCode {
    // Die quietly when the reader of our output goes away (`mixsig fi | head`), as Unix tools do,
    // instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Sim(a) => sim::run(a),
        Command::Fi(a) => fi::run(a),
        Command::Chip(a) => chip::run(a),
        Command::Train(a) => train::run(a),
        Command::Robustness(a) => robustness::run(a),
        Command::Tune(a) => tune::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Merge(a) => merge::run(a),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", mixsig_lab::error_chain(e.as_ref()));
            ExitCode::from(1)
        }
    }
}

/// Print a table with columns padded to their widest cell: the first column left-aligned when
/// `left_first`, every other one right-aligned, two spaces between columns.
pub fn print_table(head: &[String], rows: &[Vec<String>], left_first: bool) {
    let w: Vec<usize> = (0..head.len())
        .map(|j| {
            rows.iter()
                .map(|r| r[j].len())
                .chain([head[j].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&w)
            .enumerate()
            .map(|(j, (c, w))| {
                if j == 0 && left_first {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!("{}", line(head));
    for r in rows {
        println!("{}", line(r));
    }
}
