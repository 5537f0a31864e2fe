//! `mixsig compare`: one experiment on several chip profiles, side by side.

use std::path::PathBuf;

use anyhow::Result;

use crate::robustness::{print_summary, run_plan, ExperimentArgs, RunArgs};

#[derive(clap::Args)]
pub struct CompareArgs {
    /// Chip profiles (built-in names or TOML files).
    #[arg(long, num_args = 1.., value_name = "NAME|PATH", default_values_t = ["dynapse2".to_string(), "dynapse1".to_string(), "fdsoi22".to_string()])]
    profiles: Vec<String>,
    /// Mismatch scale applied to every profile.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    #[command(flatten)]
    exp: ExperimentArgs,
    #[command(flatten)]
    run: RunArgs,
    /// Output directory.
    #[arg(long, default_value = "runs/compare")]
    out: PathBuf,
}

pub fn run(a: CompareArgs) -> Result<()> {
    crate::check_out_dir("--out", &a.out)?;
    let plan = a.exp.plan(a.profiles.clone(), vec![a.scale])?;
    let run = a.run.options(a.out.clone(), "compare");
    println!(
        "mixsig compare: {} on {} ({} dies each, mismatch x{}) = {} trials",
        plan.experiment.name(),
        a.profiles.join(", "),
        plan.instances,
        a.scale,
        plan.total()
    );
    let o = run_plan(&plan, &run)?;
    print_summary(&o, &a.out);
    Ok(())
}
