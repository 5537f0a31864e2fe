//! `mixsig merge`: combine the run directories of `--shard I/N` runs into the unsharded result.

use std::path::PathBuf;

use anyhow::Result;
use mixsig_lab::sweep::{self, RunOptions};

use crate::robustness::{command_line, print_summary};

#[derive(clap::Args)]
pub struct MergeArgs {
    /// Shard output directories (each the --out of one `--shard I/N` run).
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Output directory of the merged run.
    #[arg(long, default_value = "runs/merged")]
    out: PathBuf,
    /// Report kind: robustness or compare.
    #[arg(long, default_value = "robustness", value_parser = ["robustness", "compare"])]
    workflow: String,
}

pub fn run(a: MergeArgs) -> Result<()> {
    crate::check_out_dir("--out", &a.out)?;
    let run = RunOptions {
        out: a.out.clone(),
        command: command_line(),
        workflow: a.workflow.clone(),
        ..RunOptions::default()
    };
    let o = sweep::merge(&a.dirs, &run)?;
    println!(
        "mixsig merge: {} trials from {} director{}",
        o.records.len(),
        a.dirs.len(),
        if a.dirs.len() == 1 { "y" } else { "ies" }
    );
    print_summary(&o, &a.out);
    Ok(())
}
