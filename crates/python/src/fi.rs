//! `fi`: firing rate versus DC input (as `mixsig fi`), on ideal circuits or on sampled dies.

use std::path::PathBuf;

use mixsig_chip::profile::BUILTIN;
use mixsig_chip::ChipProfile;
use mixsig_circuits::neuron::DEFAULT_DT;
use mixsig_circuits::units::{parse_quantity, Dimension};
use mixsig_circuits::{NamedParams, NeuronParams};
use mixsig_engine::spec::ModelKind;
use mixsig_lab::{fi, netfile};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::json;

use crate::net::time_value;
use crate::{chain, py_err, py_msg, to_json};

/// `NAME=VALUE` assignments from a dict of numbers (SI) or strings with units.
pub(crate) fn parse_sets(set: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<(String, f64)>> {
    let mut out = Vec::new();
    if let Some(d) = set {
        for (k, v) in d.iter() {
            let k: String = k.extract()?;
            let v = match v.extract::<String>() {
                Ok(s) => s,
                Err(_) => format!("{:?}", v.extract::<f64>()?),
            };
            out.push(netfile::parse_set(&format!("{k}={v}")).map_err(py_msg)?);
        }
    }
    Ok(out)
}

/// DC levels: numbers (A) or strings with units; must be >= 0.
pub(crate) fn parse_levels(idc: Option<Vec<Bound<'_, PyAny>>>) -> PyResult<Vec<f64>> {
    let Some(idc) = idc else {
        return Ok(fi::default_levels());
    };
    idc.iter()
        .map(|v| {
            let x = match v.extract::<String>() {
                Ok(s) => parse_quantity(&s, Dimension::Current).map_err(py_err)?,
                Err(_) => v.extract::<f64>()?,
            };
            if x >= 0.0 && x.is_finite() {
                Ok(x)
            } else {
                Err(py_msg(format!("{}: a DC level must be >= 0", v.str()?)))
            }
        })
        .collect()
}

/// A built-in profile name or a TOML path, as `mixsig fi --profile` reads it.
fn load_profile(arg: &str) -> PyResult<ChipProfile> {
    let path = std::path::Path::new(arg);
    let looks_like_name = !arg.contains(['/', '\\', '.']) && !path.exists();
    let p = if looks_like_name {
        ChipProfile::builtin(arg)
    } else {
        ChipProfile::builtin_or_load(arg)
    };
    p.map_err(|e| py_msg(format!("chip profile {arg}: {}", chain(&e))))
}

/// F–I curve; returns JSON (`levels`, and `points` or `seeds`/`per_die`/`summary`).
#[pyfunction]
#[pyo3(signature = (model = "physical", set = None, idc = None, dt = None, duration = None, profile = None, instance = None, instances = None, out = None))]
#[allow(clippy::too_many_arguments)]
fn fi_json(
    py: Python<'_>,
    model: &str,
    set: Option<&Bound<'_, PyDict>>,
    idc: Option<Vec<Bound<'_, PyAny>>>,
    dt: Option<Bound<'_, PyAny>>,
    duration: Option<Bound<'_, PyAny>>,
    profile: Option<String>,
    instance: Option<u64>,
    instances: Option<usize>,
    out: Option<PathBuf>,
) -> PyResult<String> {
    crate::check_out(out.as_deref())?;
    let kind = netfile::parse_model(model).ok_or_else(|| {
        py_msg(format!(
            "model: unknown model `{model}`; valid: physical, physical-sigmoid, dynapsim"
        ))
    })?;
    let sets = parse_sets(set)?;
    let levels = parse_levels(idc)?;
    let dt = dt
        .map(|d| time_value("dt", &d))
        .transpose()?
        .unwrap_or(DEFAULT_DT);
    let duration = duration
        .map(|d| time_value("duration", &d))
        .transpose()?
        .unwrap_or(1.0);
    if kind == ModelKind::Dynapsim
        && sets
            .iter()
            .any(|(n, _)| n.contains("nmda") || n.contains("gaba") || n.contains("shunt"))
    {
        return Err(py_msg("the dynapsim model has one lumped synapse: set i_tau_syn / i_gain_syn / c_syn, not per-type parameters"));
    }
    let Some(profile) = profile else {
        if instances.is_some() || instance.is_some() {
            return Err(py_msg(format!("--instance and --instances choose sampled dies of a chip profile: add --profile NAME|PATH (built-in: {})", BUILTIN.join(", "))));
        }
        let mut params = NeuronParams::default();
        for (name, v) in &sets {
            params.set(name, *v).map_err(py_err)?;
        }
        params.validate().map_err(py_err)?;
        let points = py
            .detach(|| fi::fi_curve(kind, &[params], &levels, dt, duration))
            .map_err(py_err)?;
        if let Some(dir) = &out {
            let title = format!(
                "F-I curve ({model} model, dt = {} us, {duration} s per level)",
                dt * 1e6
            );
            fi::write_fi(&points, &title, dir).map_err(py_err)?;
        }
        return to_json(
            &json!({"levels": levels, "dt": dt, "duration": duration, "points": points}),
        );
    };
    let count = instances.unwrap_or(1);
    if count == 0 {
        return Err(py_msg("--instances must be at least 1"));
    }
    let first_seed = instance.unwrap_or(0);
    if first_seed.checked_add(count as u64 - 1).is_none() {
        return Err(py_msg(format!(
            "--instance {first_seed} with --instances {count}: seeds overflow u64"
        )));
    }
    let p = load_profile(&profile)?;
    let biases = fi::chip_biases(&p, &sets).map_err(py_err)?;
    let dies = py
        .detach(|| fi::sample_dies(&p, &biases, first_seed, count))
        .map_err(py_err)?;
    let r = py
        .detach(|| fi::fi_dies(kind, &dies, &levels, dt, duration))
        .map_err(py_err)?;
    if let Some(dir) = &out {
        let label = if count == 1 {
            format!("die {first_seed}")
        } else {
            format!("{count} dies")
        };
        let title = format!(
            "F-I curve, {} core {} neuron {}, {label}: median, 5-95% band",
            p.name,
            fi::FI_SITE.0,
            fi::FI_SITE.1
        );
        fi::write_fi_dies(&r, &title, dir).map_err(py_err)?;
    }
    let biases_set: Vec<_> = dies
        .iter()
        .map(|d| {
            d.core(fi::FI_SITE.0)
                .report
                .iter()
                .filter(|r| sets.iter().any(|(n, _)| *n == r.target))
                .cloned()
                .collect::<Vec<_>>()
        })
        .collect();
    to_json(&json!({
        "levels": levels, "dt": dt, "duration": duration, "profile": p.name,
        "seeds": r.seeds, "per_die": r.per_die, "summary": r.summary, "bias_reports": biases_set,
    }))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fi_json, m)?)?;
    Ok(())
}
