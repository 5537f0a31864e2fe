//! `tune` (as `mixsig tune`): bias codes per core that hit design targets on the nominal die with the
//! best yield over sampled dies.

use std::path::PathBuf;

use mixsig_chip::ChipProfile;
use mixsig_lab::tune::{self, targets, TuneOptions};
use pyo3::prelude::*;
use serde_json::json;

use crate::net::time_value;
use crate::{chain, py_err, py_msg, to_json};

/// Tune; targets from a file (`path`), TOML `text`, or the embedded defaults (neither). Returns
/// JSON: the `TuneResult` plus `biases_toml` (the `[[chip.bias]]` file) and `files` when `out` is
/// given.
#[pyfunction]
#[pyo3(signature = (path = None, text = None, name = "<targets>", profile = "dynapse2", dies = 64, first_die = 0, neurons = 32, rate_duration = None, out = None, command = "python: mixsig.tune"))]
#[allow(clippy::too_many_arguments)]
fn tune_json(
    py: Python<'_>,
    path: Option<PathBuf>,
    text: Option<&str>,
    name: &str,
    profile: &str,
    dies: usize,
    first_die: u64,
    neurons: u32,
    rate_duration: Option<Bound<'_, PyAny>>,
    out: Option<PathBuf>,
    command: &str,
) -> PyResult<String> {
    crate::check_out(out.as_deref())?;
    let t = match (&path, text) {
        (Some(_), Some(_)) => {
            return Err(py_msg("give the targets as a file or as text, not both"))
        }
        (_, Some(text)) => targets::parse(text, name).map_err(py_err)?,
        (p, None) => tune::load_targets(p.as_deref()).map_err(py_err)?,
    };
    let d = TuneOptions::default();
    let opts = TuneOptions {
        profile: profile.into(),
        dies,
        first_die,
        neurons,
        rate_duration: rate_duration
            .map(|x| time_value("rate_duration", &x))
            .transpose()?
            .unwrap_or(d.rate_duration),
        ..d
    };
    // Ctrl-C stops the search after the target being tuned.
    let r = crate::interruptible(py, |stop| {
        tune::tune_until(&t, &opts, |_, _| !crate::stopped(stop)).map_err(|e| chain(&e))
    })?;
    let mut v =
        serde_json::to_value(&r).map_err(|e| py_msg(format!("internal: cannot serialize: {e}")))?;
    v["biases_toml"] = json!(tune::bias_file(&r, command));
    if let Some(dir) = &out {
        let cores = ChipProfile::builtin_or_load(profile)
            .map_err(py_err)?
            .architecture
            .cores;
        let (files, warnings) = py
            .detach(|| tune::write_outputs(&r, cores, dir, command))
            .map_err(|e| py_msg(chain(&e)))?;
        v["files"] = json!(files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>());
        v["output_warnings"] = json!(warnings);
    }
    to_json(&v)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(tune_json, m)?)?;
    Ok(())
}
