//! `mixsig chip`: inspect chip profiles, sample instances, print bias tables. The logic lives in
//! `mixsig_lab::chipcmd`; this module parses arguments and prints.

use std::path::PathBuf;

use anyhow::{Context, Result};
use mixsig_lab::chipcmd::{self, ChipInstance, InstanceSource, Materialized};

/// `print!` that ignores a closed stdout (`mixsig chip show | head` must not panic).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}

/// `println!` that ignores a closed stdout.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// Arguments of `mixsig chip`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ChipArgs {
    /// What to do (default: `show` of the default profile).
    #[command(subcommand)]
    command: Option<ChipCommand>,
}

#[derive(clap::Subcommand)]
enum ChipCommand {
    /// Summary of a profile: process, architecture, layout and its mismatch, bias generator,
    /// weights, noise, default biases.
    Show(ShowArgs),
    /// Sample one die: statistics and histograms of every device parameter; save the instance.
    Sample(SampleArgs),
    /// Bias generator of one bias: code -> current table, or current -> code lookup (--current).
    Bias(BiasArgs),
}

/// The profile, positional or `--profile`.
#[derive(clap::Args)]
struct ProfileArg {
    /// Built-in profile name (ideal, dynapse2, dynapse1, fdsoi22) or path to a profile TOML
    /// [default: dynapse2].
    #[arg(value_name = "PROFILE")]
    profile: Option<String>,
    /// Same as the positional PROFILE.
    #[arg(long = "profile", value_name = "NAME|PATH", conflicts_with = "profile")]
    profile_opt: Option<String>,
}

impl ProfileArg {
    fn spec(&self) -> &str {
        self.profile
            .as_deref()
            .or(self.profile_opt.as_deref())
            .unwrap_or("dynapse2")
    }
}

#[derive(clap::Args)]
struct ShowArgs {
    #[command(flatten)]
    profile: ProfileArg,
    /// List the built-in profiles and exit.
    #[arg(long)]
    list: bool,
    /// Output directory (profile.json: the validated profile in SI units).
    #[arg(long, default_value = chipcmd::DEFAULT_OUT)]
    out: PathBuf,
}

#[derive(clap::Args)]
struct SampleArgs {
    #[command(flatten)]
    profile: ProfileArg,
    /// Instance seed of the die to sample.
    #[arg(long, default_value_t = 0, value_name = "N")]
    instance: u64,
    /// Load a saved instance (instance.toml of an earlier `chip sample`) instead of sampling.
    #[arg(long, value_name = "PATH", conflicts_with = "instance")]
    instance_file: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = chipcmd::DEFAULT_OUT)]
    out: PathBuf,
}

#[derive(clap::Args)]
struct BiasArgs {
    #[command(flatten)]
    profile: ProfileArg,
    /// Core whose generator to show.
    #[arg(long, default_value = "0", value_name = "C")]
    core: String,
    /// Bias: DYNAP-SE2 name (SOIF_LEAK_N, ...) or parameter name (i_tau_mem, w0, ...).
    #[arg(long, default_value = "SOIF_LEAK_N", value_name = "NAME")]
    bias: String,
    /// Instance seed (the generator's branch mismatch is frozen per instance and core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    instance: u64,
    /// Target current(s) to look up, e.g. 5pA (repeatable or comma-separated).
    #[arg(
        long,
        value_name = "I",
        value_delimiter = ',',
        allow_hyphen_values = true
    )]
    current: Vec<String>,
    /// Output directory.
    #[arg(long, default_value = chipcmd::DEFAULT_OUT)]
    out: PathBuf,
}

/// Run `mixsig chip`.
pub fn run(a: ChipArgs) -> Result<()> {
    match a.command {
        None => show(ShowArgs {
            profile: ProfileArg {
                profile: None,
                profile_opt: None,
            },
            list: false,
            out: PathBuf::from(chipcmd::DEFAULT_OUT),
        }),
        Some(ChipCommand::Show(s)) => show(s),
        Some(ChipCommand::Sample(s)) => sample(s),
        Some(ChipCommand::Bias(b)) => bias(b),
    }
}

fn show(a: ShowArgs) -> Result<()> {
    crate::check_out_dir("--out", &a.out)?;
    if a.list {
        out!("{}", chipcmd::list_builtins());
        return Ok(());
    }
    let p = chipcmd::load_profile(a.profile.spec())?;
    out!("{}", chipcmd::profile_summary(&p));
    let files = chipcmd::write_profile_json(&p, &a.out)?;
    outln!("\nwrote {}", files_line(&files));
    Ok(())
}

fn files_line(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn sample(a: SampleArgs) -> Result<()> {
    crate::check_out_dir("--out", &a.out)?;
    let spec = a.profile.spec();
    let p = chipcmd::load_profile(spec)?;
    let (m, source) = match &a.instance_file {
        Some(f) => (
            Materialized::from_loaded(chipcmd::load_instance(f, &p)?),
            InstanceSource::Loaded(f.clone()),
        ),
        None => (
            chipcmd::materialize(&ChipInstance::sample(&p, a.instance))?,
            InstanceSource::Sampled(a.instance),
        ),
    };
    let stats = chipcmd::device_stats(&m.instance);
    let ar = &p.architecture;
    outln!(
        "mixsig chip sample: profile {}, {}, {} core(s) x {} neurons ({} synapses each), mismatch {}",
        p.name,
        match &source {
            InstanceSource::Sampled(s) => format!("instance {s} (sampled)"),
            InstanceSource::Loaded(f) => format!(
                "instance {} (loaded from {})",
                m.instance.seed(),
                f.display()
            ),
        },
        ar.cores,
        ar.neurons_per_core,
        ar.synapses_per_neuron,
        p.mismatch.name()
    );
    outln!(
        "statistics over all {} neurons ({} synapses for {}); model CV = per-device component of the mismatch model",
        p.total_neurons(),
        p.total_neurons() * ar.synapses_per_neuron as usize,
        chipcmd::WEIGHT_FACTOR
    );
    out!("{}", chipcmd::stats_table(&stats));
    let files = chipcmd::write_sample(&m, &source, &stats, &a.out)
        .with_context(|| format!("writing into {}", a.out.display()))?;
    outln!("wrote {}", files_line(&files));
    outln!(
        "load this die back with: mixsig chip sample {spec} --instance-file {}",
        a.out.join("instance.toml").display()
    );
    Ok(())
}

fn bias(a: BiasArgs) -> Result<()> {
    crate::check_out_dir("--out", &a.out)?;
    let p = chipcmd::load_profile(a.profile.spec())?;
    let b = chipcmd::resolve_bias(&a.bias)?;
    let core: u32 = a
        .core
        .trim()
        .parse()
        .with_context(|| format!("bad core '{}': not a core index", a.core))?;
    chipcmd::check_core(&p, core)?;
    let targets = a
        .current
        .iter()
        .map(|t| chipcmd::parse_current(t))
        .collect::<Result<Vec<_>, _>>()?;
    let g = chipcmd::generator(&p, a.instance, core, b);
    outln!("{}", chipcmd::bias_header(&p, a.instance, core, b, &g));
    if !targets.is_empty() {
        let rows: Vec<_> = targets.iter().map(|&t| chipcmd::lookup(&g, t)).collect();
        out!("{}", chipcmd::lookup_text(&rows));
        let files = chipcmd::write_lookup(&rows, &a.out)?;
        outln!("wrote {}", files_line(&files));
        return Ok(());
    }
    if g.is_exact() {
        outln!(
            "profile {} has an exact bias generator: every current is set as requested, there is no code table",
            p.name
        );
        return Ok(());
    }
    out!("{}", chipcmd::bias_table_text(&g));
    let title = format!(
        "{} bias {} (core {core}, instance {}): current vs fine code",
        p.name, b.name, a.instance
    );
    let files = chipcmd::write_bias_table(&g, &title, &a.out)?;
    outln!("wrote {}", files_line(&files));
    Ok(())
}
