//! `train`: the error-propagation network on a spike-timing task (as `mixsig train`).

use std::path::PathBuf;

use mixsig_lab::tasks::Pattern;
use mixsig_lab::train::run::{self, TaskSource, TrainOptions};
use pyo3::prelude::*;

use crate::net::time_value;
use crate::{chain, py_msg, to_json};

/// Train; returns the outcome as JSON (`summary.json` of the CLI plus `group_sizes` and `w_max`).
#[pyfunction]
#[pyo3(signature = (pattern = None, data = None, profile = Some("dynapse2".to_string()), instance = 0, seed = 1, presentations = 200, feedback = "mirrored", storage = "analog", n_test = None, test_every = 50, dt = None, no_hidden = false, eta_sigma = None, calibrate = false, eta_decay = None, out = None, duration = None))]
#[allow(clippy::too_many_arguments)]
fn train_json(
    py: Python<'_>,
    pattern: Option<&str>,
    data: Option<PathBuf>,
    profile: Option<String>,
    instance: u64,
    seed: u64,
    presentations: usize,
    feedback: &str,
    storage: &str,
    n_test: Option<usize>,
    test_every: usize,
    dt: Option<Bound<'_, PyAny>>,
    no_hidden: bool,
    eta_sigma: Option<f64>,
    calibrate: bool,
    eta_decay: Option<f64>,
    out: Option<PathBuf>,
    duration: Option<Bound<'_, PyAny>>,
) -> PyResult<String> {
    if n_test.is_some() && data.is_some() {
        return Err(py_msg(
            "n_test applies to the built-in patterns; data takes its test presentations from the `test` rows of labels.csv",
        ));
    }
    if duration.is_some() && data.is_none() {
        return Err(py_msg(
            "duration applies to a task directory (data=...); the built-in patterns have their own",
        ));
    }
    crate::check_out(out.as_deref())?;
    let task = match (data, pattern) {
        (Some(_), Some(_)) => {
            return Err(py_msg(
                "pattern and data are exclusive: a built-in pattern or a task directory",
            ))
        }
        (Some(d), None) => TaskSource::Data(d),
        (None, Some(p)) => TaskSource::Pattern(p.parse::<Pattern>().map_err(py_msg)?),
        (None, None) => TaskSource::Pattern(Pattern::Order),
    };
    let defaults = TrainOptions::default();
    let opts = TrainOptions {
        task,
        data_duration: duration.map(|d| time_value("duration", &d)).transpose()?,
        profile: profile.filter(|p| p != "none"),
        instance,
        seed,
        presentations,
        feedback: run::parse_feedback(feedback).map_err(py_msg)?,
        storage: run::parse_storage(storage).map_err(py_msg)?,
        n_test: n_test.unwrap_or(defaults.n_test),
        test_every,
        dt: dt
            .map(|d| time_value("dt", &d))
            .transpose()?
            .unwrap_or(defaults.dt),
        no_hidden,
        eta_sigma_ln: eta_sigma,
        calibrate,
        eta_decay,
        ..defaults
    };
    // Ctrl-C stops the run at the next presentation.
    let o = crate::interruptible(py, |stop| {
        let o = run::train_until(&opts, |_, _| !crate::stopped(stop)).map_err(|e| chain(&e))?;
        if let Some(dir) = &out {
            run::write_outputs(&o, dir).map_err(|e| chain(&e))?;
        }
        Ok(o)
    })?;
    let mut v =
        serde_json::to_value(&o).map_err(|e| py_msg(format!("internal: cannot serialize: {e}")))?;
    v["group_sizes"] = serde_json::json!(o.group_sizes);
    v["w_max"] = serde_json::json!([o.w_max.0, o.w_max.1]);
    v["rasters"] = o
        .result
        .rasters
        .iter()
        .map(|r| serde_json::json!({"label": r.label, "when": r.when, "spikes": r.spikes}))
        .collect();
    to_json(&v)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(train_json, m)?)?;
    Ok(())
}
