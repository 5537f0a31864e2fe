//! Monte Carlo over chip instances: one [`Experiment`] on N dies × mismatch scale factors × chip
//! profiles. `mixsig robustness` is a sweep over scales on one profile, `mixsig compare` a sweep over
//! profiles at scale 1; both go through [`run`], and `mixsig merge` through [`merge`].
//!
//! The plan ([`Plan`]) enumerates trials as `index = (profile*S + scale)*N + die`, die `k` having
//! seed `first_instance + k` on every profile and scale (the same die at every scale: common random
//! numbers). Each trial is a pure function of its index, so results are identical on any number of
//! threads and under any shard split ([`crate::trials`]). A run directory holds:
//!
//! - `plan.json` (what to run), `trials.jsonl` (one [`TrialRecord`] per finished trial, appended as
//!   trials finish; rewritten in index order once the plan is complete), `profiles/*.toml` (every
//!   profile exactly as run, mismatch scaled);
//! - when complete: `summary.json`, `results.csv`, `percentiles.csv`, `sensitivity.csv`, plots and
//!   `report.html` ([`outputs`]).

pub mod experiment;
pub mod outputs;
pub mod stats;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mixsig_chip::{ChipProfile, ProfileError};
use serde::{Deserialize, Serialize};

use experiment::ProfileOnDisk;
pub use experiment::{Experiment, FiExperiment, NetworkExperiment, TrainExperiment};
use stats::Distribution;

use crate::located::FileError;
use crate::output::{write_atomic, WriteError};
use crate::plot::PlotError;
use crate::trials::{self, LogError, Shard};

/// Why a sweep failed.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// Invalid options.
    #[error("{0}")]
    Invalid(String),
    /// A profile could not be loaded or scaled.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// A network file is invalid.
    #[error(transparent)]
    File(#[from] FileError),
    /// One trial failed.
    #[error("trial failed: {0}")]
    Trial(String),
    /// The trial log.
    #[error(transparent)]
    Log(#[from] LogError),
    /// An output.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A plot.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// `--resume` or `merge` on runs with different plans.
    #[error("{0}")]
    PlanMismatch(String),
    /// Stopped by its progress callback ([`run_until`]); the finished trials are in the log.
    #[error("interrupted after {done} of {total} trials; {log} keeps them: run again with --resume (Python: resume=True) to finish")]
    Interrupted {
        /// Trials of this call that finished.
        done: usize,
        /// Trials this call had to run.
        total: usize,
        /// The trial log.
        log: PathBuf,
    },
}

/// What to run: everything that determines the results (nothing about threads, shards or paths).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The experiment.
    pub experiment: Experiment,
    /// Chip profiles (built-in names or TOML paths).
    pub profiles: Vec<String>,
    /// Mismatch scale factors.
    pub scales: Vec<f64>,
    /// Dies per (profile, scale).
    pub instances: usize,
    /// Seed of the first die.
    pub first_instance: u64,
    /// Pass threshold of the metric (`None`: no yield).
    pub threshold: Option<f64>,
    /// A die passes when `metric <= threshold` instead of `>=`.
    pub lower_is_better: bool,
    /// Digest of what the files it names contain (the chip profiles, the network file), filled in
    /// by [`run`] ([`Plan::with_inputs`]): a profile edited between two shards, or before a
    /// `--resume`, makes the plans differ, so that results of two designs are never merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            experiment: Experiment::default(),
            profiles: vec!["dynapse2".into()],
            scales: vec![0.0, 1.0, 2.0],
            instances: 32,
            first_instance: 0,
            threshold: Some(0.75),
            lower_is_better: false,
            inputs: None,
        }
    }
}

/// One trial's coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialKey {
    /// Profile index.
    pub profile: usize,
    /// Scale index.
    pub scale: usize,
    /// Die seed.
    pub instance: u64,
}

impl Plan {
    /// Number of trials.
    pub fn total(&self) -> usize {
        self.profiles.len() * self.scales.len() * self.instances
    }

    /// Coordinates of trial `t`.
    pub fn key(&self, t: usize) -> TrialKey {
        let n = self.instances.max(1);
        let s = self.scales.len().max(1);
        TrialKey {
            profile: t / (s * n),
            scale: (t / n) % s,
            instance: self.first_instance + (t % n) as u64,
        }
    }

    /// Whether `metric` passes the threshold (`None` without a threshold).
    pub fn passes(&self, metric: f64) -> Option<bool> {
        self.threshold.map(|th| {
            metric.is_finite()
                && if self.lower_is_better {
                    metric <= th
                } else {
                    metric >= th
                }
        })
    }

    /// Equal apart from [`Plan::inputs`]: the same options, whatever the files contain.
    pub fn same_options(&self, other: &Plan) -> bool {
        let strip = |p: &Plan| Plan {
            inputs: None,
            ..p.clone()
        };
        strip(self) == strip(other)
    }

    /// The plan with [`Plan::inputs`] set from the files it names as they are now.
    pub fn with_inputs(&self) -> Result<Plan, SweepError> {
        // FNV-1a, 64 bit: a change detector, not a cryptographic hash.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes.iter().chain(&[0xff]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for name in &self.profiles {
            eat(mixsig_chip::scale::source_text(name)?.0.as_bytes());
        }
        if let Experiment::Network(n) = &self.experiment {
            let text = std::fs::read(&n.path).map_err(|e| {
                SweepError::Invalid(format!("{}: cannot read: {e}", n.path.display()))
            })?;
            eat(&text);
        }
        Ok(Plan {
            inputs: Some(format!("fnv1a64:{h:016x}")),
            ..self.clone()
        })
    }

    /// Check the plan before anything runs.
    pub fn validate(&self) -> Result<(), SweepError> {
        let bad = |m: &str| Err(SweepError::Invalid(m.to_string()));
        if self.profiles.is_empty() {
            return bad("no chip profiles: give at least one");
        }
        if self.scales.is_empty() {
            return bad("no mismatch scales: give at least one (e.g. 0,0.5,1,1.5,2)");
        }
        if let Some(s) = self.scales.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
            return Err(SweepError::Invalid(format!(
                "mismatch scale {s} must be a finite number >= 0"
            )));
        }
        if self.instances == 0 {
            return bad("instances must be at least 1");
        }
        if self
            .first_instance
            .checked_add(self.instances as u64)
            .is_none()
        {
            return bad("instance seeds overflow u64");
        }
        if let Some(t) = self.threshold {
            if !t.is_finite() {
                return bad("the threshold must be a finite number");
            }
        }
        if self.lower_is_better && self.threshold.is_none() {
            return bad("--lower-is-better says which side of --threshold passes: give a --threshold (this experiment has no default)");
        }
        // The same dies twice would count twice in the distributions and the sensitivity ranking.
        for (i, s) in self.scales.iter().enumerate() {
            if self.scales[..i].contains(s) {
                return Err(SweepError::Invalid(format!(
                    "mismatch scale {s} is given twice; give each scale once"
                )));
            }
        }
        for (i, p) in self.profiles.iter().enumerate() {
            if self.profiles[..i].contains(p) {
                return Err(SweepError::Invalid(format!(
                    "profile `{p}` is given twice; give each profile once"
                )));
            }
        }
        self.experiment.validate()
    }
}

/// One finished trial, as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialRecord {
    /// Trial index.
    pub trial: usize,
    /// Profile (as given in the plan).
    pub profile: String,
    /// Mismatch scale.
    pub scale: f64,
    /// Die seed.
    pub instance: u64,
    /// The metric.
    pub metric: f64,
    /// Device features of the die.
    pub features: BTreeMap<String, f64>,
}

impl trials::TrialRecord for TrialRecord {
    fn trial(&self) -> usize {
        self.trial
    }
}

/// How a sweep is run (not part of the results).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    /// This process's shard.
    pub shard: Shard,
    /// Skip the trials already in the directory's log.
    pub resume: bool,
    /// Run directory.
    pub out: PathBuf,
    /// The command line, for the report.
    pub command: String,
    /// Kind of report (`robustness` or `compare`).
    pub workflow: String,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            shard: Shard::default(),
            resume: false,
            out: PathBuf::from("runs/robustness"),
            command: "mixsig robustness".into(),
            workflow: "robustness".into(),
        }
    }
}

/// Distribution of the metric at one (profile, scale).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Profile.
    pub profile: String,
    /// Mismatch scale.
    pub scale: f64,
    /// The distribution over dies.
    pub dist: Distribution,
}

/// One device feature's link to the metric over dies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    /// Profile.
    pub profile: String,
    /// Feature (`c1.i_tau_mem`: core 1, mean ln factor of the used neurons; `c1.SOIF_GAIN_N`: ln of
    /// the generated bias current).
    pub feature: String,
    /// Spearman correlation with the metric, ranks taken within each scale > 0 and pooled.
    pub rho: f64,
    /// Mann–Whitney AUC of the feature's within-scale rank, failing vs passing dies (`None` without a
    /// threshold or without both groups).
    pub fail_auc: Option<f64>,
    /// Dies used.
    pub n: usize,
}

/// The result of a complete plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSummary {
    /// The plan.
    pub plan: Plan,
    /// Metric label with unit.
    pub metric: String,
    /// Rows by profile, then scale.
    pub rows: Vec<Row>,
    /// Features ranked by `|rho|` per profile (top 20 each).
    pub sensitivity: Vec<Sensitivity>,
    /// `2/sqrt(n-1)`: |rho| below this is within about two standard errors of no correlation.
    pub rho_noise: f64,
    /// What the run's settings could not do as asked ([`setting_warnings`]: a bias outside its
    /// generator's range, clamped on every die).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// What [`run`] returns.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    /// The summary, when the plan is complete (always for an unsharded run).
    pub summary: Option<SweepSummary>,
    /// Every record (of this shard, or all when complete), by trial index.
    pub records: BTreeMap<usize, TrialRecord>,
    /// Trials run by this call (not taken from the log).
    pub ran: usize,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// `plan.json` of a run directory.
pub fn plan_path(out: &Path) -> PathBuf {
    out.join("plan.json")
}

/// `trials.jsonl` of a run directory.
pub fn log_path(out: &Path) -> PathBuf {
    out.join("trials.jsonl")
}

fn file_label(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Write every (profile, scale) of the plan as TOML under `out/profiles/` and load it back.
/// `profiles[p][s]`. Every one is checked before the first is written: a bad profile or scale
/// leaves nothing behind.
pub fn prepare_profiles(plan: &Plan, out: &Path) -> Result<Vec<Vec<ProfileOnDisk>>, SweepError> {
    let (all, texts) = scaled_profiles(plan, out)?;
    write_profiles(texts)?;
    Ok(all)
}

/// The scaled TOML text of each profile file of `plan` (path under `out/profiles/`, text).
type ProfileTexts = Vec<(PathBuf, String)>;

fn write_profiles(texts: ProfileTexts) -> Result<(), SweepError> {
    for (path, text) in texts {
        write_atomic(&path, text.as_bytes())?;
    }
    Ok(())
}

/// Every (profile, scale) of `plan`, parsed and checked, with the text to write for it; nothing is
/// written.
fn scaled_profiles(
    plan: &Plan,
    out: &Path,
) -> Result<(Vec<Vec<ProfileOnDisk>>, ProfileTexts), SweepError> {
    let mut all = Vec::new();
    let mut texts = Vec::new();
    for (pi, name) in plan.profiles.iter().enumerate() {
        let (text, origin) = mixsig_chip::scale::source_text(name)?;
        let base = ChipProfile::from_toml_str(&text, &origin)?;
        let mut row = Vec::new();
        for &f in &plan.scales {
            let scaled = mixsig_chip::scale::scaled_toml(&text, &origin, f)?;
            let path = out.join("profiles").join(format!(
                "{}-{}-x{f}.toml",
                pi + 1,
                file_label(&base.name)
            ));
            let profile = ChipProfile::from_toml_str(&scaled, &path.display().to_string())?;
            texts.push((path.clone(), scaled));
            row.push(ProfileOnDisk { profile, path });
        }
        all.push(row);
    }
    Ok((all, texts))
}

/// Run (this shard of) `plan` into `run.out`. `progress(done, total)` after every trial of this call.
/// Without `resume` an existing log in the directory is discarded.
pub fn run(
    plan: &Plan,
    run: &RunOptions,
    progress: impl Fn(usize, usize) + Sync,
) -> Result<SweepOutcome, SweepError> {
    run_until(plan, run, |d, t| {
        progress(d, t);
        true
    })
}

/// [`run`] that can be stopped (Ctrl-C in Python): after every trial `progress(done, total)` says
/// whether to go on. When it says no, the trials running finish and are logged, and
/// [`SweepError::Interrupted`] is returned; `resume` finishes the run later.
pub fn run_until(
    plan: &Plan,
    run: &RunOptions,
    progress: impl Fn(usize, usize) -> bool + Sync,
) -> Result<SweepOutcome, SweepError> {
    plan.validate()?;
    let plan = &plan.with_inputs()?;
    let out = &run.out;
    // Every profile is checked before anything in `out` changes.
    let (profiles, profile_texts) = scaled_profiles(plan, out)?;
    let log = log_path(out);
    let mut done: BTreeMap<usize, TrialRecord> = BTreeMap::new();
    let resumable = run.resume && plan_path(out).exists();
    if resumable {
        if let Ok(text) = std::fs::read_to_string(plan_path(out)) {
            let old: Plan = serde_json::from_str(&text).map_err(|e| {
                SweepError::PlanMismatch(format!("{}: {e}", plan_path(out).display()))
            })?;
            if &old != plan {
                let what = if old.same_options(plan) {
                    "with other contents of its chip profile(s) or network file, which changed since"
                } else {
                    "with different options (experiment, profiles, scales, instances or threshold)"
                };
                return Err(SweepError::PlanMismatch(format!(
                    "--resume: {} was started {what}; use a new --out or run without --resume",
                    out.display()
                )));
            }
            done = trials::read_log(&log)?;
            // Trials of another shard would be dropped from the log below: refuse instead.
            if let Some(t) = done.keys().find(|&&t| !run.shard.owns(t)) {
                return Err(SweepError::PlanMismatch(format!(
                    "--resume: {} holds trial {t}, which is not one of shard {}'s: {} is the directory of another shard (or of a run with other --shard); resume it with its own --shard, or use a new --out",
                    log.display(),
                    run.shard,
                    out.display()
                )));
            }
            // Drop a line cut by the interruption before appending to the log again.
            trials::write_log(&log, &done)?;
        }
    } else if log.exists() {
        std::fs::remove_file(&log).map_err(|source| LogError::Io {
            path: log.clone(),
            source,
        })?;
    }
    let plan_json = serde_json::to_string_pretty(plan).expect("plan serializes");
    write_atomic(&plan_path(out), plan_json.as_bytes())?;
    write_profiles(profile_texts)?;
    let mine = run.shard.trials(plan.total());
    let todo: Vec<usize> = mine
        .iter()
        .copied()
        .filter(|t| !done.contains_key(t))
        .collect();
    let ran = trials::run_trials(
        &todo,
        &log,
        |t| {
            let k = plan.key(t);
            let m = plan
                .experiment
                .run(&profiles[k.profile][k.scale], k.instance)?;
            Ok::<_, SweepError>(TrialRecord {
                trial: t,
                profile: plan.profiles[k.profile].clone(),
                scale: plan.scales[k.scale],
                instance: k.instance,
                metric: m.metric,
                features: m.features,
            })
        },
        progress,
    )?;
    if ran.len() < todo.len() {
        return Err(SweepError::Interrupted {
            done: ran.len(),
            total: todo.len(),
            log,
        });
    }
    // Always summarize what the log holds (the same bytes a resumed run or a merge reads).
    let records: BTreeMap<usize, TrialRecord> = trials::read_log(&log)?
        .into_iter()
        .filter(|(t, _)| run.shard.owns(*t) && *t < plan.total())
        .collect();
    trials::write_log(&log, &records)?;
    let mut files = vec![plan_path(out), log.clone()];
    let summary = if records.len() == plan.total() {
        let mut s = summarize(plan, &records);
        s.warnings = setting_warnings(plan)?;
        files.extend(outputs::write(&s, &records, &profiles, run)?);
        Some(s)
    } else {
        None
    };
    Ok(SweepOutcome {
        summary,
        records,
        ran: todo.len(),
        files,
    })
}

/// Combine the shard directories `dirs` into `run.out`: the plans must be equal and the logs together
/// must cover every trial (a trial in several logs must have the same record). Writes exactly what an
/// unsharded run writes.
pub fn merge(dirs: &[PathBuf], run: &RunOptions) -> Result<SweepOutcome, SweepError> {
    let mut plan: Option<(Plan, PathBuf)> = None;
    let mut records: BTreeMap<usize, TrialRecord> = BTreeMap::new();
    if dirs.is_empty() {
        return Err(SweepError::Invalid(
            "merge: give at least one shard directory".into(),
        ));
    }
    for d in dirs {
        let pp = plan_path(d);
        let text = std::fs::read_to_string(&pp).map_err(|e| {
            SweepError::Invalid(format!(
                "{}: {e} (is {} the --out of a sweep shard?)",
                pp.display(),
                d.display()
            ))
        })?;
        let p: Plan = serde_json::from_str(&text)
            .map_err(|e| SweepError::PlanMismatch(format!("{}: {e}", pp.display())))?;
        match &plan {
            None => plan = Some((p, d.clone())),
            Some((q, first)) if *q != p => {
                let what = if q.same_options(&p) {
                    "with different contents of the chip profile(s) or network file (edited between the runs)"
                } else {
                    "with different options"
                };
                return Err(SweepError::PlanMismatch(format!(
                    "{} and {} were run {what}; only shards of one run can be merged",
                    first.display(),
                    d.display()
                )));
            }
            _ => {}
        }
        for (t, r) in trials::read_log::<TrialRecord>(&log_path(d))? {
            if let Some(prev) = records.get(&t) {
                if *prev != r {
                    return Err(SweepError::PlanMismatch(format!(
                        "trial {t} has different results in two shards ({}): the runs are not of the same build",
                        d.display()
                    )));
                }
            }
            records.insert(t, r);
        }
    }
    let (plan, _) = plan.expect("at least one directory");
    // A robustness run has one profile and compares scales; a compare run has one scale and
    // compares profiles. The other report would mislabel the shards' results.
    if run.workflow == "robustness" && plan.profiles.len() > 1 {
        return Err(SweepError::Invalid(format!(
            "merge: these shards compare {} profiles ({}), a `mixsig compare` run: merge them with --workflow compare",
            plan.profiles.len(),
            plan.profiles.join(", ")
        )));
    }
    if run.workflow == "compare" && plan.scales.len() > 1 {
        return Err(SweepError::Invalid(format!(
            "merge: these shards sweep {} mismatch scales, a `mixsig robustness` run: merge them with --workflow robustness",
            plan.scales.len()
        )));
    }
    let missing: Vec<usize> = (0..plan.total())
        .filter(|t| !records.contains_key(t))
        .collect();
    if !missing.is_empty() {
        return Err(SweepError::Invalid(format!(
            "merge: {} of {} trials are missing (first: {:?}); run the missing shards (or finish them with --resume) first",
            missing.len(),
            plan.total(),
            &missing[..missing.len().min(5)]
        )));
    }
    records.retain(|t, _| *t < plan.total());
    let out = &run.out;
    write_atomic(
        &plan_path(out),
        serde_json::to_string_pretty(&plan)
            .expect("plan serializes")
            .as_bytes(),
    )?;
    let profiles = prepare_profiles(&plan, out)?;
    trials::write_log(&log_path(out), &records)?;
    let mut s = summarize(&plan, &records);
    s.warnings = setting_warnings(&plan)?;
    let mut files = vec![plan_path(out), log_path(out)];
    files.extend(outputs::write(&s, &records, &profiles, run)?);
    Ok(SweepOutcome {
        summary: Some(s),
        records,
        ran: 0,
        files,
    })
}

/// Percentile rows and the sensitivity ranking of a complete set of records.
pub fn summarize(plan: &Plan, records: &BTreeMap<usize, TrialRecord>) -> SweepSummary {
    let mut rows = Vec::new();
    let mut sensitivity = Vec::new();
    let pass = |x: f64| plan.passes(x).unwrap_or(false);
    let pass_ref: Option<&dyn Fn(f64) -> bool> =
        plan.threshold.map(|_| &pass as &dyn Fn(f64) -> bool);
    let mut n_max = 0;
    for (pi, pname) in plan.profiles.iter().enumerate() {
        let mut groups: Vec<Vec<&TrialRecord>> = Vec::new();
        for (si, &scale) in plan.scales.iter().enumerate() {
            let g: Vec<&TrialRecord> = records
                .values()
                .filter(|r| {
                    let k = plan.key(r.trial);
                    k.profile == pi && k.scale == si
                })
                .collect();
            let xs: Vec<f64> = g.iter().map(|r| r.metric).collect();
            rows.push(Row {
                profile: pname.clone(),
                scale,
                dist: stats::distribution(&xs, pass_ref),
            });
            if scale > 0.0 && g.len() >= 3 {
                groups.push(g);
            }
        }
        let (mut s, n) = sensitivity_of(pname, &groups, plan);
        n_max = n_max.max(n);
        s.truncate(20);
        sensitivity.extend(s);
    }
    SweepSummary {
        metric: plan.experiment.metric_label(),
        plan: plan.clone(),
        rows,
        sensitivity,
        rho_noise: if n_max > 1 {
            2.0 / ((n_max - 1) as f64).sqrt()
        } else {
            f64::NAN
        },
        warnings: Vec::new(),
    }
}

/// Warnings about the settings of `plan` that hold for every trial: a `--set` bias of the fi
/// experiment outside its generator's range (clamped to the nearest code), as `mixsig fi` says for
/// one die. Read on the first die of each profile.
pub fn setting_warnings(plan: &Plan) -> Result<Vec<String>, SweepError> {
    let Experiment::Fi(f) = &plan.experiment else {
        return Ok(Vec::new());
    };
    if f.sets.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for name in &plan.profiles {
        let profile = ChipProfile::builtin_or_load(name)?;
        let biases = crate::fi::chip_biases(&profile, &f.sets)
            .map_err(|e| SweepError::Invalid(e.to_string()))?;
        let die = mixsig_chip::ChipInstance::with_biases(&profile, plan.first_instance, &biases)
            .map_err(|e| SweepError::Invalid(e.to_string()))?;
        // Only what `--set` asked for: the profile's own defaults are its business.
        let asked = |r: &mixsig_chip::instance::BiasReport| {
            f.sets.iter().any(|(n, _)| {
                *n == r.target
                    || mixsig_chip::names::resolve_bias(n).is_some_and(|b| b.name == r.bias)
            })
        };
        for r in die
            .core(crate::fi::FI_SITE.0)
            .report
            .iter()
            .filter(|r| asked(r))
        {
            if let Some(w) = &r.warning {
                out.push(format!(
                    "profile `{name}`, {} ({}): {w}; every die gets the nearest code",
                    r.target, r.bias
                ));
            }
        }
    }
    Ok(out)
}

/// Stratified rank statistics: within each scale group, metric and feature ranks are centred and
/// scaled to `(rank - (n+1)/2)/n`; the pooled values are correlated (Pearson of ranks = Spearman
/// within a single group), and compared between failing and passing dies (AUC).
fn sensitivity_of(
    profile: &str,
    groups: &[Vec<&TrialRecord>],
    plan: &Plan,
) -> (Vec<Sensitivity>, usize) {
    let Some(first) = groups.first().and_then(|g| g.first()) else {
        return (Vec::new(), 0);
    };
    let names: Vec<&String> = first
        .features
        .keys()
        .filter(|k| groups.iter().flatten().all(|r| r.features.contains_key(*k)))
        .collect();
    let centred = |xs: &[f64]| -> Vec<f64> {
        let n = xs.len() as f64;
        stats::ranks(xs)
            .into_iter()
            .map(|r| (r - (n + 1.0) / 2.0) / n)
            .collect()
    };
    let mut metric_r = Vec::new();
    let mut fail = Vec::new();
    for g in groups {
        metric_r.extend(centred(&g.iter().map(|r| r.metric).collect::<Vec<_>>()));
        fail.extend(g.iter().map(|r| plan.passes(r.metric).map(|p| !p)));
    }
    let n = metric_r.len();
    let mut out: Vec<Sensitivity> = names
        .iter()
        .map(|name| {
            let mut fr = Vec::new();
            for g in groups {
                fr.extend(centred(
                    &g.iter().map(|r| r.features[*name]).collect::<Vec<_>>(),
                ));
            }
            let rho = stats::pearson(&fr, &metric_r);
            let failing: Vec<f64> = fr
                .iter()
                .zip(&fail)
                .filter(|(_, f)| **f == Some(true))
                .map(|(x, _)| *x)
                .collect();
            let passing: Vec<f64> = fr
                .iter()
                .zip(&fail)
                .filter(|(_, f)| **f == Some(false))
                .map(|(x, _)| *x)
                .collect();
            let a = stats::auc(&failing, &passing);
            Sensitivity {
                profile: profile.to_string(),
                feature: (*name).clone(),
                rho,
                fail_auc: a.is_finite().then_some(a),
                n,
            }
        })
        .filter(|s| s.rho.is_finite())
        .collect();
    out.sort_by(|a, b| {
        b.rho
            .abs()
            .total_cmp(&a.rho.abs())
            .then(a.feature.cmp(&b.feature))
    });
    (out, n)
}
