//! Sweeps over dies (`robustness`, `compare`, as the CLI commands of the same names): run a plan or
//! one shard of it into a run directory, and merge shard directories. The Python layer
//! (`mixsig.sweeps`) builds plans and spreads shards over an executor (Ray, concurrent.futures).

use std::path::PathBuf;

use mixsig_lab::sweep::{
    self, Experiment, FiExperiment, NetworkExperiment, Plan, RunOptions, SweepOutcome,
    TrainExperiment,
};
use mixsig_lab::trials::Shard;
use pyo3::prelude::*;
use serde_json::json;

use crate::net::time_value;
use crate::{chain, py_err, py_msg, to_json};

fn outcome_json(o: &SweepOutcome) -> PyResult<String> {
    to_json(&json!({
        "summary": o.summary,
        "records": o.records.values().collect::<Vec<_>>(),
        "ran": o.ran,
        "files": o.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
    }))
}

/// Parse and validate a plan (JSON of `mixsig_lab::sweep::Plan`); returns it normalized, with its
/// trial count.
#[pyfunction]
fn sweep_plan(plan_json: &str) -> PyResult<(String, usize)> {
    let plan: Plan =
        serde_json::from_str(plan_json).map_err(|e| py_msg(format!("invalid plan: {e}")))?;
    plan.validate().map_err(py_err)?;
    Ok((to_json(&plan)?, plan.total()))
}

/// Run (shard `shard`, `"I/N"`, of) a plan into `out`; returns JSON with `summary` (null unless the
/// plan is complete), `records`, `ran` and `files`.
#[pyfunction]
#[pyo3(signature = (plan_json, out, workflow = "robustness", shard = None, resume = false, command = "python: mixsig"))]
fn sweep_run(
    py: Python<'_>,
    plan_json: &str,
    out: PathBuf,
    workflow: &str,
    shard: Option<&str>,
    resume: bool,
    command: &str,
) -> PyResult<String> {
    crate::check_out(Some(&out))?;
    let plan: Plan =
        serde_json::from_str(plan_json).map_err(|e| py_msg(format!("invalid plan: {e}")))?;
    let shard = match shard {
        Some(s) => Shard::parse(s).map_err(py_err)?,
        None => Shard::default(),
    };
    let run = RunOptions {
        shard,
        resume,
        out,
        command: command.into(),
        workflow: workflow.into(),
    };
    // Ctrl-C stops the run once the trials running have finished (they stay in the log).
    let o = crate::interruptible(py, |stop| {
        sweep::run_until(&plan, &run, |_, _| !crate::stopped(stop)).map_err(|e| chain(&e))
    })?;
    outcome_json(&o)
}

/// Merge shard directories into `out` (as `mixsig merge`).
#[pyfunction]
#[pyo3(signature = (dirs, out, workflow = "robustness", command = "python: mixsig"))]
fn sweep_merge(
    py: Python<'_>,
    dirs: Vec<PathBuf>,
    out: PathBuf,
    workflow: &str,
    command: &str,
) -> PyResult<String> {
    crate::check_out(Some(&out))?;
    let run = RunOptions {
        out,
        command: command.into(),
        workflow: workflow.into(),
        ..RunOptions::default()
    };
    let o = py
        .detach(|| sweep::merge(&dirs, &run))
        .map_err(|e| py_msg(chain(&e)))?;
    outcome_json(&o)
}

/// The experiment of a sweep, from the options of `mixsig robustness` (same defaults and messages).
/// Returns `(experiment JSON, default threshold)`.
#[pyfunction]
#[pyo3(signature = (experiment = "train", pattern = "order", presentations = 200, n_test = 10, seed = 1, feedback = "mirrored", storage = "analog", idc = None, set = None, duration = None, dt = None, population = None))]
#[allow(clippy::too_many_arguments)]
fn sweep_experiment(
    experiment: &str,
    pattern: &str,
    presentations: usize,
    n_test: usize,
    seed: u64,
    feedback: &str,
    storage: &str,
    idc: Option<Bound<'_, PyAny>>,
    set: Option<&Bound<'_, pyo3::types::PyDict>>,
    duration: Option<Bound<'_, PyAny>>,
    dt: Option<Bound<'_, PyAny>>,
    population: Option<String>,
) -> PyResult<(String, Option<f64>)> {
    let duration = duration.map(|d| time_value("duration", &d)).transpose()?;
    let dt = dt.map(|d| time_value("dt", &d)).transpose()?;
    let e = match experiment {
        "train" => Experiment::Train(TrainExperiment {
            pattern: pattern.into(),
            presentations,
            n_test,
            seed,
            feedback: feedback.into(),
            storage: storage.into(),
        }),
        "fi" => {
            let d = FiExperiment::default();
            let idc = match idc {
                Some(v) => crate::fi::parse_levels(Some(vec![v]))?[0],
                None => d.idc,
            };
            Experiment::Fi(FiExperiment {
                idc,
                duration: duration.unwrap_or(d.duration),
                dt: dt.unwrap_or(d.dt),
                sets: crate::fi::parse_sets(set)?,
            })
        }
        path => {
            if !path.ends_with(".toml") && !std::path::Path::new(path).exists() {
                return Err(py_msg(format!(
                    "--experiment {path:?}: use train, fi, or the path of a network TOML file"
                )));
            }
            let Some(pop) = population else {
                return Err(py_msg(format!("--experiment {path}: a network file needs --population NAME (its mean rate is the metric)")));
            };
            Experiment::Network(NetworkExperiment {
                path: PathBuf::from(path),
                population: pop,
                duration,
                dt,
            })
        }
    };
    Ok((to_json(&e)?, e.default_threshold()))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sweep_plan, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_experiment, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_run, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_merge, m)?)?;
    Ok(())
}
