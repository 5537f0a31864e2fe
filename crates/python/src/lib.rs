//! `mixsig._native`: the compiled part of the `mixsig` Python package. Thin bindings over
//! `mixsig-lab` and `mixsig-chip`; the Python layer (`python/mixsig/`) turns what these functions
//! return into NumPy arrays and result objects and documents the public API.
//!
//! Errors: every library error becomes a `mixsig.MixsigError` whose message is the error and its
//! causes joined by `": "` — the text the CLI prints after `error: ` for the same input.

use pyo3::prelude::*;

mod chip;
mod fi;
mod net;
mod sweep;
mod train;
mod tune;

pyo3::create_exception!(
    _native,
    MixsigError,
    pyo3::exceptions::PyException,
    "An error of mixsig (bad network file, unknown profile, invalid option, ...). The message is the one the `mixsig` command line prints for the same input."
);

/// An error and its causes as the CLI prints them ([`mixsig_lab::error_chain`]).
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    mixsig_lab::error_chain(e)
}

/// A library error as a Python exception.
pub(crate) fn py_err<E: std::error::Error + 'static>(e: E) -> PyErr {
    MixsigError::new_err(chain(&e))
}

/// A message as a Python exception.
pub(crate) fn py_msg(m: impl Into<String>) -> PyErr {
    MixsigError::new_err(m.into())
}

/// Refuse an `out` that cannot become a directory (it, or its nearest existing ancestor, is a
/// file) before any work starts.
pub(crate) fn check_out(out: Option<&std::path::Path>) -> PyResult<()> {
    match out.and_then(mixsig_lab::output::out_dir_blocker) {
        Some(p) => Err(py_msg(format!(
            "out = {}: `{}` exists and is not a directory",
            out.expect("blocked").display(),
            p.display()
        ))),
        None => Ok(()),
    }
}

/// How often a long-running call looks for a pending signal (Ctrl-C).
const SIGNAL_CHECK: std::time::Duration = std::time::Duration::from_millis(50);

/// Run `job` so that Ctrl-C (a notebook's "interrupt kernel") stops it. Signals reach Python only
/// on the main thread, so `job` runs on a thread of its own and this one, without the GIL between
/// looks, asks Python for pending signals every 50 ms. On a signal the flag `job` is given turns
/// true; `job` should then return soon (its library call's progress callback says stop), and the
/// signal's exception (`KeyboardInterrupt`) is raised once it has.
pub(crate) fn interruptible<T: Send>(
    py: Python<'_>,
    job: impl FnOnce(&std::sync::atomic::AtomicBool) -> Result<T, String> + Send,
) -> PyResult<T> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = AtomicBool::new(false);
    let mut interrupt: Option<PyErr> = None;
    let r = std::thread::scope(|s| {
        let handle = s.spawn(|| job(&stop));
        while !handle.is_finished() {
            py.detach(|| std::thread::sleep(SIGNAL_CHECK));
            if interrupt.is_none() {
                if let Err(e) = py.check_signals() {
                    interrupt = Some(e);
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
        handle
            .join()
            .unwrap_or_else(|_| Err("internal: the worker thread panicked".into()))
    });
    match interrupt {
        Some(e) => Err(e),
        None => r.map_err(py_msg),
    }
}

/// Whether an [`interruptible`] job was told to stop.
pub(crate) fn stopped(flag: &std::sync::atomic::AtomicBool) -> bool {
    flag.load(std::sync::atomic::Ordering::Relaxed)
}

/// A JSON value as a Python string (the Python layer parses it with `json.loads`).
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| py_msg(format!("internal: cannot serialize: {e}")))
}

/// A JSON text as Python objects (`json.loads`).
pub(crate) fn from_json<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MixsigError", m.py().get_type::<MixsigError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    chip::register(m)?;
    net::register(m)?;
    fi::register(m)?;
    train::register(m)?;
    sweep::register(m)?;
    tune::register(m)?;
    Ok(())
}
