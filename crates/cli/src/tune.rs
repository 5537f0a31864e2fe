//! `mixsig tune` (placeholder until the tuner lands).
#[derive(clap::Args)]
pub struct TuneArgs {}
pub fn run(_a: TuneArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
