//! `mixsig chip`: inspect chip profiles, sample instances, print bias tables.

use anyhow::{bail, Result};

/// Arguments of `mixsig chip`.
#[derive(clap::Args)]
pub struct ChipArgs {
    /// Sub-command and its arguments.
    #[arg(trailing_var_arg = true)]
    rest: Vec<String>,
}

/// Run `mixsig chip`.
pub fn run(_a: ChipArgs) -> Result<()> {
    bail!("mixsig chip is being built")
}
