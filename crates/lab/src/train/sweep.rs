//! Many training runs of one configuration — over seeds (task, initial weights and run noise) and/or
//! over dies of a profile — run in parallel, with the distribution of their results: what the
//! README's results section quotes (`mixsig train --seeds 1..10`, `--instances 0..19`). Each run is
//! keyed by its own (seed, instance), so the rows are the same on any number of threads.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use super::run::{train, TrainError, TrainOptions};
use crate::output::write_atomic;
use crate::plot;

/// One run of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepRow {
    /// Seed of the run.
    pub seed: u64,
    /// Die (meaningful with a profile).
    pub instance: u64,
    /// Final test accuracy.
    pub test_accuracy: f64,
    /// Best checkpoint accuracy.
    pub best_accuracy: f64,
    /// Output error-neuron rate over the first tenth of training, Hz.
    pub error_rate_start_hz: f64,
    /// The same over the last tenth, Hz.
    pub error_rate_end_hz: f64,
    /// Final mirror divergence on the stored weights (NaN without mirrored feedback).
    pub mirror_divergence: f64,
    /// Final mirror divergence on the injected currents.
    pub mirror_divergence_effective: f64,
    /// Wall time of the run, s.
    pub wall_s: f64,
    /// Weight updates of the hidden layer's learning circuits (`None` without a trained hidden
    /// layer; 0: the hidden layer never learned).
    pub hidden_updates: Option<u64>,
}

/// Distribution of a sweep's results.
#[derive(Debug, Clone, Serialize)]
pub struct SweepSummary {
    /// What was swept (task, profile, feedback, storage, presentations).
    pub config: String,
    /// Number of runs.
    pub runs: usize,
    /// Median final test accuracy.
    pub median_accuracy: f64,
    /// Smallest final accuracy.
    pub min_accuracy: f64,
    /// 25th percentile.
    pub q25_accuracy: f64,
    /// 75th percentile.
    pub q75_accuracy: f64,
    /// Largest.
    pub max_accuracy: f64,
    /// Fraction of runs with final accuracy >= 0.85.
    pub frac_ge_085: f64,
    /// Fraction of runs with final accuracy >= 0.95.
    pub frac_ge_095: f64,
    /// Median of (end error rate / start error rate).
    pub median_error_ratio: f64,
    /// Largest end/start error-rate ratio.
    pub max_error_ratio: f64,
    /// Median final mirror divergence (stored weights; NaN without mirrored feedback).
    pub median_mirror_divergence: f64,
    /// Largest final mirror divergence (stored weights).
    pub max_mirror_divergence: f64,
    /// Median final mirror divergence on the injected currents.
    pub median_mirror_divergence_effective: f64,
    /// The runs' warnings, each once, in the order of the first run that gave it, with how many
    /// runs gave it when that is not all of them (`... (in 3 of 20 runs)`); the hidden layer's
    /// "did not learn" is left to the rows' `hidden_updates`.
    pub warnings: Vec<String>,
    /// The runs, in (seed, instance) order.
    pub rows: Vec<SweepRow>,
}

/// Linear-interpolated quantile of finite values (NaN when there are none).
fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(|a, b| a.total_cmp(b));
    mixsig_chip::stats::quantile_sorted(&s, q)
}

/// Run `base` once per (seed, instance) of `seeds` x `instances` (an empty list keeps the base's
/// value), in parallel. `progress(done, total)` is called as runs finish (from worker threads).
pub fn sweep(
    base: &TrainOptions,
    seeds: &[u64],
    instances: &[u64],
    progress: impl Fn(usize, usize) + Sync,
) -> Result<SweepSummary, TrainError> {
    let seeds = if seeds.is_empty() {
        vec![base.seed]
    } else {
        seeds.to_vec()
    };
    let instances = if instances.is_empty() {
        vec![base.instance]
    } else {
        instances.to_vec()
    };
    let grid: Vec<(u64, u64)> = seeds
        .iter()
        .flat_map(|&s| instances.iter().map(move |&i| (s, i)))
        .collect();
    let total = grid.len();
    let done = AtomicUsize::new(0);
    let rows = grid
        .par_iter()
        .map(|&(seed, instance)| {
            let o = train(
                &TrainOptions {
                    seed,
                    instance,
                    ..base.clone()
                },
                |_, _| {},
            )?;
            progress(done.fetch_add(1, Ordering::SeqCst) + 1, total);
            let last = o.result.curve.last();
            let row = SweepRow {
                seed,
                instance,
                test_accuracy: o.result.test_accuracy,
                best_accuracy: o.result.best_accuracy,
                error_rate_start_hz: o.result.error_rate_start_hz,
                error_rate_end_hz: o.result.error_rate_end_hz,
                mirror_divergence: last.map(|c| c.mirror_divergence).unwrap_or(f64::NAN),
                mirror_divergence_effective: last
                    .map(|c| c.mirror_divergence_effective)
                    .unwrap_or(f64::NAN),
                wall_s: o.result.wall_s,
                hidden_updates: o.result.hidden_updates,
            };
            // The hidden layer's warning is the rows' `hidden_updates` (counted by the caller).
            let hidden = super::run::hidden_learning_warning(&o.result, base.presentations);
            let ws: Vec<String> = o
                .warnings
                .into_iter()
                .filter(|w| Some(w) != hidden.as_ref())
                .collect();
            Ok((row, ws))
        })
        .collect::<Result<Vec<(SweepRow, Vec<String>)>, TrainError>>()?;
    let warnings = distinct_warnings(rows.iter().map(|r| r.1.as_slice()));
    let rows: Vec<SweepRow> = rows.into_iter().map(|r| r.0).collect();
    let acc: Vec<f64> = rows.iter().map(|r| r.test_accuracy).collect();
    let ratio: Vec<f64> = rows
        .iter()
        .map(|r| r.error_rate_end_hz / r.error_rate_start_hz)
        .collect();
    let div: Vec<f64> = rows.iter().map(|r| r.mirror_divergence).collect();
    let div_eff: Vec<f64> = rows.iter().map(|r| r.mirror_divergence_effective).collect();
    let frac = |t: f64| acc.iter().filter(|&&a| a >= t).count() as f64 / acc.len().max(1) as f64;
    let max = |v: &[f64]| {
        v.iter()
            .copied()
            .filter(|x| x.is_finite())
            .fold(f64::NAN, f64::max)
    };
    Ok(SweepSummary {
        config: format!(
            "{} on {}{}, {:?} feedback, {} weights, {} update, {} presentations{}{}",
            base.task.describe(),
            base.profile.as_deref().unwrap_or("ideal circuits (no die)"),
            if base.calibrate { " (calibrated)" } else { "" },
            base.feedback,
            super::run::storage_name(&base.storage),
            base.update.name(),
            base.presentations,
            base.eta_decay
                .map(|d| format!(", learning-rate decay over {d} presentations"))
                .unwrap_or_default(),
            if base.no_hidden {
                ", no hidden layer"
            } else {
                ""
            }
        )
        .to_lowercase(),
        runs: rows.len(),
        median_accuracy: quantile(&acc, 0.5),
        min_accuracy: quantile(&acc, 0.0),
        q25_accuracy: quantile(&acc, 0.25),
        q75_accuracy: quantile(&acc, 0.75),
        max_accuracy: quantile(&acc, 1.0),
        frac_ge_085: frac(0.85),
        frac_ge_095: frac(0.95),
        median_error_ratio: quantile(&ratio, 0.5),
        max_error_ratio: max(&ratio),
        median_mirror_divergence: quantile(&div, 0.5),
        max_mirror_divergence: max(&div),
        median_mirror_divergence_effective: quantile(&div_eff, 0.5),
        warnings,
        rows,
    })
}

/// Each warning of `runs` once, in first-seen order, suffixed with its count when not every run
/// gave it.
fn distinct_warnings<'a>(runs: impl ExactSizeIterator<Item = &'a [String]>) -> Vec<String> {
    let n = runs.len();
    let mut seen: Vec<(&'a str, usize)> = Vec::new();
    for ws in runs {
        // Each warning counts once per run, however often that run gave it.
        let mut mine: Vec<&str> = Vec::new();
        for w in ws {
            if mine.contains(&w.as_str()) {
                continue;
            }
            mine.push(w);
            match seen.iter_mut().find(|(s, _)| *s == w.as_str()) {
                Some((_, k)) => *k += 1,
                None => seen.push((w, 1)),
            }
        }
    }
    seen.into_iter()
        .map(|(w, k)| {
            if k == n {
                w.to_string()
            } else {
                format!("{w} (in {k} of {n} runs)")
            }
        })
        .collect()
}

/// Header of `sweep.csv`.
pub const SWEEP_HEADER: &str = "seed,instance,test_accuracy,best_accuracy,error_rate_start_hz,\
error_rate_end_hz,mirror_divergence,mirror_divergence_effective,wall_s,hidden_updates";

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// `sweep.csv`: one row per run ([`SWEEP_HEADER`]).
pub fn sweep_csv(s: &SweepSummary) -> String {
    let mut out = String::from(SWEEP_HEADER);
    out.push('\n');
    for r in &s.rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            r.seed,
            r.instance,
            num(r.test_accuracy),
            num(r.best_accuracy),
            num(r.error_rate_start_hz),
            num(r.error_rate_end_hz),
            num(r.mirror_divergence),
            num(r.mirror_divergence_effective),
            num(r.wall_s),
            r.hidden_updates.map(|n| n.to_string()).unwrap_or_default()
        ));
    }
    out
}

/// Write `sweep.json`, `sweep.csv` and `accuracy_distribution.{svg,png}` into `out`.
pub fn write_sweep(s: &SweepSummary, out: &Path) -> Result<Vec<PathBuf>, TrainError> {
    let mut files = Vec::new();
    let p = out.join("sweep.json");
    let json = serde_json::to_string_pretty(s).expect("the sweep serializes");
    write_atomic(&p, json.as_bytes())?;
    files.push(p);
    let p = out.join("sweep.csv");
    write_atomic(&p, sweep_csv(s).as_bytes())?;
    files.push(p);
    let acc: Vec<f64> = s.rows.iter().map(|r| r.test_accuracy).collect();
    files.extend(plot::histogram(
        &out.join("accuracy_distribution"),
        &format!(
            "Final test accuracy over {} runs (median {:.3}): {}",
            s.runs, s.median_accuracy, s.config
        ),
        "final test accuracy",
        &acc,
        20,
        false,
    )?);
    Ok(files)
}

/// Parse a list of integers: `A..B` (inclusive), `A,B,C`, or a single `N`.
pub fn parse_list(s: &str) -> Result<Vec<u64>, String> {
    let bad = || format!("`{s}` is not a list: use A..B (inclusive), A,B,C or N");
    if let Some((a, b)) = s.split_once("..") {
        let (a, b): (u64, u64) = (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        );
        if b < a {
            return Err(format!("`{s}`: the range is empty ({b} < {a})"));
        }
        if b - a >= 100_000 {
            return Err(format!("`{s}`: more than 100000 runs"));
        }
        return Ok((a..=b).collect());
    }
    s.split(',')
        .map(|x| x.trim().parse::<u64>().map_err(|_| bad()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_listed_once_with_their_count_when_not_every_run_gave_them() {
        let runs: Vec<Vec<String>> = vec![
            vec!["a".into(), "b".into()],
            vec!["b".into()],
            vec!["c".into(), "b".into()],
        ];
        let w = distinct_warnings(runs.iter().map(|r| r.as_slice()));
        assert_eq!(w, ["a (in 1 of 3 runs)", "b", "c (in 1 of 3 runs)"]);
        // A warning a run gives twice counts once for that run.
        let runs: Vec<Vec<String>> = vec![vec!["a".into(), "a".into()], vec![]];
        let w = distinct_warnings(runs.iter().map(|r| r.as_slice()));
        assert_eq!(w, ["a (in 1 of 2 runs)"]);
        assert!(distinct_warnings([[].as_slice(); 2].into_iter()).is_empty());
    }

    #[test]
    fn lists_parse() {
        assert_eq!(parse_list("0..3").unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(parse_list("5").unwrap(), vec![5]);
        assert_eq!(parse_list("1, 4,9").unwrap(), vec![1, 4, 9]);
        for bad in ["", "a..b", "3..1", "1,,2", "-1"] {
            assert!(parse_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quantiles_ignore_nan() {
        let v = [0.5, f64::NAN, 1.0, 0.75];
        assert_eq!(quantile(&v, 0.5), 0.75);
        assert!(quantile(&[f64::NAN], 0.5).is_nan());
    }
}
