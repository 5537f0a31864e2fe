//! `train`: the error-propagation network on a spike-timing task (as `mixsig train`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mixsig_lab::tasks::Pattern;
use mixsig_lab::train::run::{self, TaskSource, TrainOptions};
use pyo3::prelude::*;

use crate::net::time_value;
use crate::{chain, py_msg, to_json};

/// How often a running training looks for a pending signal (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

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
    // Ctrl-C (a notebook's "interrupt kernel") stops the run. Signals reach Python only on the
    // main thread, so the training runs on a thread of its own and this one, without the GIL
    // between looks, asks Python for pending signals every 50 ms; the training stops at the next
    // presentation once told to.
    let stop = AtomicBool::new(false);
    let mut interrupt: Option<PyErr> = None;
    let o = std::thread::scope(|s| {
        let job = s.spawn(|| -> Result<_, String> {
            let o = run::train_until(&opts, |_, _| !stop.load(Ordering::Relaxed))
                .map_err(|e| chain(&e))?;
            if let Some(dir) = &out {
                run::write_outputs(&o, dir).map_err(|e| chain(&e))?;
            }
            Ok(o)
        });
        while !job.is_finished() {
            py.detach(|| std::thread::sleep(SIGNAL_CHECK));
            if interrupt.is_none() {
                if let Err(e) = py.check_signals() {
                    interrupt = Some(e);
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
        job.join()
            .unwrap_or_else(|_| Err("internal: the training thread panicked".into()))
    });
    if let Some(e) = interrupt {
        return Err(e);
    }
    let o = o.map_err(py_msg)?;
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
