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
