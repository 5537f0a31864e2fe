//! `mixsig tune`: targets -> (coarse, fine) codes per core with yield over sampled dies; writes a bias
//! file for `sim`, a profile with the tuned default biases for `train`, a table and a report.

use std::path::PathBuf;

use anyhow::Result;
use mixsig_chip::ChipProfile;
use mixsig_lab::tune::{self, TuneOptions};

use crate::robustness::{command_line, TrialProgress};
use crate::time_arg;

#[derive(clap::Args)]
pub struct TuneArgs {
    /// Targets file (TOML, see docs/workflows.md); default: the embedded targets (every core).
    #[arg(value_name = "TARGETS.toml")]
    targets: Option<PathBuf>,
    /// Chip profile: a built-in name or a TOML file.
    #[arg(long, value_name = "NAME|PATH", default_value = "dynapse2")]
    profile: String,
    /// Sampled dies for the yield (seeds --first-die, +1, ...).
    #[arg(long, value_name = "N", default_value_t = 64)]
    dies: usize,
    /// Seed of the first sampled die.
    #[arg(long, value_name = "SEED", default_value_t = 0)]
    first_die: u64,
    /// Neurons checked per core on each die.
    #[arg(long, value_name = "N", default_value_t = 32)]
    neurons: u32,
    /// Simulated time of each rate evaluation.
    #[arg(long, value_parser = time_arg, default_value = "1 s")]
    rate_duration: f64,
    /// Output directory.
    #[arg(long, default_value = "runs/tune")]
    out: PathBuf,
}

pub fn run(a: TuneArgs) -> Result<()> {
    crate::check_out_dir("--out", &a.out)?;
    let targets = tune::load_targets(a.targets.as_deref())?;
    let opts = TuneOptions {
        profile: a.profile.clone(),
        dies: a.dies,
        first_die: a.first_die,
        neurons: a.neurons,
        rate_duration: a.rate_duration,
        ..TuneOptions::default()
    };
    let cores = ChipProfile::builtin_or_load(&a.profile)?.architecture.cores;
    let pb = TrialProgress::new(1, "tuning");
    let r = tune::tune(&targets, &opts, |d, n| pb.tick(d, n));
    pb.finish();
    let r = r?;
    let command = command_line();
    let (files, warnings) = tune::write_outputs(&r, cores, &a.out, &command)?;
    println!(
        "mixsig tune: {} targets from {} on `{}`; yield over {} sampled dies ({} neurons per core checked)",
        r.tuned.len(),
        r.targets_file,
        r.profile,
        r.options.dies,
        r.options.neurons
    );
    let (head, rows) = tune::outputs_table(&r);
    crate::print_table(&head, &rows, false);
    for t in &r.tuned {
        for w in &t.warnings {
            eprintln!("warning: core {} {}: {w}", t.core, t.key);
        }
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "overall yield: {:.1} % of dies meet every target on every core; per core: {}",
        100.0 * r.yield_all,
        r.yield_per_core
            .iter()
            .map(|(c, y)| format!("core {c} {:.1} %", 100.0 * y))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "outputs in {}/ ({} files: biases.toml for `sim --biases`, profile.toml for `train --profile`, tune.csv, summary.json, report.html, plots)",
        a.out.display(),
        files.len()
    );
    Ok(())
}
