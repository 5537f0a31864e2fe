//! `mixsig robustness`: one experiment on N dies x mismatch scale factors; percentiles, yield,
//! sensitivity ranking, plots and an HTML report. Also the pieces `compare` and `merge` share:
//! experiment arguments, run arguments, trial progress and the printed summary.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mixsig_lab::report::num;
use mixsig_lab::sweep::{
    self, outputs, Experiment, FiExperiment, NetworkExperiment, Plan, RunOptions, SweepOutcome,
    TrainExperiment,
};
use mixsig_lab::trials::Shard;

use crate::{current_arg, set_arg, time_arg};

/// What runs on each die.
#[derive(clap::Args, Clone)]
pub struct ExperimentArgs {
    /// The experiment: `train` (mixsig train, metric = test accuracy), `fi` (one neuron's firing rate
    /// at --idc), or a network TOML file (metric = mean rate of --population).
    #[arg(long, value_name = "train|fi|FILE", default_value = "train")]
    experiment: String,
    /// train: built-in task [default: order].
    #[arg(long)]
    pattern: Option<String>,
    /// train: training presentations per die [default: 200].
    #[arg(long, value_name = "N")]
    presentations: Option<usize>,
    /// train: test presentations [default: 10].
    #[arg(long, value_name = "N")]
    n_test: Option<usize>,
    /// train: run seed (task and initial weights; the same on every die) [default: 1].
    #[arg(long)]
    seed: Option<u64>,
    /// train: mirrored, random, none [default: mirrored].
    #[arg(long)]
    feedback: Option<String>,
    /// train: analog, nbit:N, bistable, bistable:DRIFT [default: analog].
    #[arg(long)]
    storage: Option<String>,
    /// fi: DC input of the neuron (core 0, neuron 0) [default: 1 nA].
    #[arg(long, value_parser = current_arg)]
    idc: Option<f64>,
    /// fi: bias target on every core, e.g. --set i_tau_mem=5pA (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = set_arg)]
    set: Vec<(String, f64)>,
    /// fi and network files: simulated time (fi default 0.5 s; a file's own [simulation] otherwise).
    #[arg(long, value_parser = time_arg)]
    duration: Option<f64>,
    /// fi and network files: time step.
    #[arg(long, value_parser = time_arg)]
    dt: Option<f64>,
    /// Network files: the population whose mean rate is the metric.
    #[arg(long, value_name = "NAME")]
    population: Option<String>,
    /// Dies per profile and scale (seeds --first-instance, +1, ...).
    #[arg(long, value_name = "N", default_value_t = 32)]
    instances: usize,
    /// Seed of the first die.
    #[arg(long, value_name = "SEED", default_value_t = 0)]
    first_instance: u64,
    /// A die passes when metric >= threshold (<= with --lower-is-better); default 0.75 for train,
    /// none (no yield) otherwise.
    #[arg(long, value_name = "X")]
    threshold: Option<f64>,
    /// Lower metric values are better (yield counts metric <= threshold).
    #[arg(long)]
    lower_is_better: bool,
}

/// How the trials run.
#[derive(clap::Args, Clone)]
pub struct RunArgs {
    /// Run only shard I of N (1-based; trials with index % N == I-1); combine with `mixsig merge`.
    #[arg(long, value_name = "I/N", value_parser = |s: &str| Shard::parse(s).map_err(|e| e.to_string()))]
    shard: Option<Shard>,
    /// Keep the trials already in OUT/trials.jsonl and run only the missing ones.
    #[arg(long)]
    resume: bool,
    /// Worker threads (default: all cores; results do not depend on it).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

impl ExperimentArgs {
    /// The experiment these arguments describe.
    pub fn experiment(&self) -> Result<Experiment> {
        // Options that the chosen experiment would not use are errors, not silently dropped.
        let given = |flags: &[(&'static str, bool)]| -> Vec<&'static str> {
            flags
                .iter()
                .filter_map(|&(flag, on)| on.then_some(flag))
                .collect()
        };
        let train_flags = given(&[
            ("--pattern", self.pattern.is_some()),
            ("--presentations", self.presentations.is_some()),
            ("--n-test", self.n_test.is_some()),
            ("--seed", self.seed.is_some()),
            ("--feedback", self.feedback.is_some()),
            ("--storage", self.storage.is_some()),
        ]);
        let unused = match self.experiment.as_str() {
            "train" => given(&[
                ("--idc", self.idc.is_some()),
                ("--set", !self.set.is_empty()),
                ("--duration", self.duration.is_some()),
                ("--dt", self.dt.is_some()),
                ("--population", self.population.is_some()),
            ]),
            "fi" => [
                train_flags,
                given(&[("--population", self.population.is_some())]),
            ]
            .concat(),
            _ => [
                train_flags,
                given(&[
                    ("--idc", self.idc.is_some()),
                    ("--set", !self.set.is_empty()),
                ]),
            ]
            .concat(),
        };
        if !unused.is_empty() {
            let what = match self.experiment.as_str() {
                "train" => "the train experiment (they set the fi experiment and network files)",
                "fi" => "the fi experiment (it takes --idc, --set, --duration, --dt)",
                _ => "a network-file experiment (it takes --population, --duration, --dt)",
            };
            bail!("{} would be ignored by {what}", unused.join(", "));
        }
        Ok(match self.experiment.as_str() {
            "train" => {
                let d = TrainExperiment::default();
                Experiment::Train(TrainExperiment {
                    pattern: self.pattern.clone().unwrap_or(d.pattern),
                    presentations: self.presentations.unwrap_or(d.presentations),
                    n_test: self.n_test.unwrap_or(d.n_test),
                    seed: self.seed.unwrap_or(d.seed),
                    feedback: self.feedback.clone().unwrap_or(d.feedback),
                    storage: self.storage.clone().unwrap_or(d.storage),
                })
            }
            "fi" => {
                let d = FiExperiment::default();
                Experiment::Fi(FiExperiment {
                    idc: self.idc.unwrap_or(d.idc),
                    duration: self.duration.unwrap_or(d.duration),
                    dt: self.dt.unwrap_or(d.dt),
                    sets: self.set.clone(),
                })
            }
            path => {
                if !path.ends_with(".toml") && !std::path::Path::new(path).exists() {
                    bail!(
                        "--experiment {path:?}: use train, fi, or the path of a network TOML file"
                    );
                }
                let Some(pop) = self.population.clone() else {
                    bail!("--experiment {path}: a network file needs --population NAME (its mean rate is the metric)");
                };
                Experiment::Network(NetworkExperiment {
                    path: PathBuf::from(path),
                    population: pop,
                    duration: self.duration,
                    dt: self.dt,
                })
            }
        })
    }

    /// The plan for `profiles` x `scales`.
    pub fn plan(&self, profiles: Vec<String>, scales: Vec<f64>) -> Result<Plan> {
        let experiment = self.experiment()?;
        let threshold = self.threshold.or(experiment.default_threshold());
        Ok(Plan {
            experiment,
            profiles,
            scales,
            instances: self.instances,
            first_instance: self.first_instance,
            threshold,
            lower_is_better: self.lower_is_better,
            inputs: None,
        })
    }
}

impl RunArgs {
    /// Run options for `out`.
    pub fn options(&self, out: PathBuf, workflow: &str) -> RunOptions {
        if let Some(n) = self.threads {
            // Read by rayon when its global pool starts (first parallel call, below).
            std::env::set_var("RAYON_NUM_THREADS", n.max(1).to_string());
        }
        RunOptions {
            shard: self.shard.unwrap_or_default(),
            resume: self.resume,
            out,
            command: command_line(),
            workflow: workflow.into(),
        }
    }
}

/// The command line as typed (arguments with spaces quoted).
pub fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Progress of trials: a bar with ETA on a terminal, one plain line per finished trial otherwise.
pub struct TrialProgress {
    bar: Option<ProgressBar>,
    start: Instant,
    last: Mutex<usize>,
}

impl TrialProgress {
    /// Progress over `total` trials.
    pub fn new(total: usize, what: &str) -> TrialProgress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let pb =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            pb.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:40}] {pos}/{len} trials, {elapsed} elapsed, eta {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            pb.set_message(what.to_string());
            pb
        });
        TrialProgress {
            bar,
            start: Instant::now(),
            last: Mutex::new(0),
        }
    }

    /// Called after each finished trial.
    pub fn tick(&self, done: usize, total: usize) {
        match &self.bar {
            Some(b) => b.set_position(done as u64),
            None => {
                let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
                if done > *last {
                    *last = done;
                    let el = self.start.elapsed().as_secs_f64();
                    let eta = el / done as f64 * (total - done) as f64;
                    eprintln!("trial {done}/{total} done, {el:.0} s elapsed, eta {eta:.0} s");
                }
            }
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Run `plan` with progress and print what happened.
pub fn run_plan(plan: &Plan, run: &RunOptions) -> Result<SweepOutcome> {
    let mine = run.shard.trials(plan.total()).len();
    let pb = TrialProgress::new(
        mine,
        &format!("{} on {} die(s)", plan.experiment.name(), plan.instances),
    );
    let t0 = Instant::now();
    let o = sweep::run(plan, run, |d, n| pb.tick(d, n));
    pb.finish();
    let o = o?;
    let wall = t0.elapsed().as_secs_f64();
    eprintln!(
        "{} trial(s) run in {wall:.1} s wall{}",
        o.ran,
        if o.ran < mine {
            format!(
                ", {} taken from {}",
                mine - o.ran,
                sweep::log_path(&run.out).display()
            )
        } else {
            String::new()
        }
    );
    if o.summary.is_none() {
        println!(
            "shard {}: {} of {} trials of the plan are in {}; combine the shard directories with `mixsig merge DIR... --out DIR`",
            run.shard,
            o.records.len(),
            plan.total(),
            sweep::log_path(&run.out).display()
        );
    }
    Ok(o)
}

/// Print the percentile table, yield and the top of the sensitivity ranking.
pub fn print_summary(o: &SweepOutcome, out: &std::path::Path) {
    let Some(s) = &o.summary else { return };
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
    println!("metric: {}", s.metric);
    let (head, rows) = outputs::table_rows(s);
    crate::print_table(&head, &rows, true);
    if let Some(t) = s.plan.threshold {
        println!(
            "yield = fraction of dies with metric {} {t}",
            if s.plan.lower_is_better { "<=" } else { ">=" }
        );
    }
    if !s.sensitivity.is_empty() {
        println!(
            "sensitivity (Spearman rho over dies at scales > 0; |rho| < {} is noise level):",
            num(s.rho_noise)
        );
        for x in s.sensitivity.iter().take(5) {
            println!(
                "  {:<10} {:<22} rho {:+.3}  fail AUC {}",
                x.profile,
                x.feature,
                x.rho,
                x.fail_auc.map_or("-".into(), |a| format!("{a:.3}"))
            );
        }
    }
    println!(
        "outputs in {}/ (report.html, summary.json, results.csv, percentiles.csv, sensitivity.csv, trials.jsonl, plots .svg/.png)",
        out.display()
    );
}

#[derive(clap::Args)]
pub struct RobustnessArgs {
    /// Chip profile: a built-in name or a TOML file.
    #[arg(long, value_name = "NAME|PATH", default_value = "dynapse2")]
    profile: String,
    /// Mismatch scale factors (times the profile's sigmas), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0,1,2")]
    scales: Vec<f64>,
    #[command(flatten)]
    exp: ExperimentArgs,
    #[command(flatten)]
    run: RunArgs,
    /// Output directory.
    #[arg(long, default_value = "runs/robustness")]
    out: PathBuf,
}

pub fn run(a: RobustnessArgs) -> Result<()> {
    crate::check_out_dir("--out", &a.out)?;
    let plan = a.exp.plan(vec![a.profile.clone()], a.scales.clone())?;
    let run = a.run.options(a.out.clone(), "robustness");
    println!(
        "mixsig robustness: {} on `{}`, {} dies x scales {:?} = {} trials{}",
        plan.experiment.name(),
        a.profile,
        plan.instances,
        plan.scales,
        plan.total(),
        if run.shard.count > 1 {
            format!(" (shard {})", run.shard)
        } else {
            String::new()
        }
    );
    let o = run_plan(&plan, &run)?;
    print_summary(&o, &a.out);
    Ok(())
}
