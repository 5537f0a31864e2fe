//! Chip profiles and dies: profile lookup (as `mixsig chip show`), sampled or loaded instances with
//! their per-device parameters as NumPy arrays (as `mixsig chip sample`).

use std::path::PathBuf;
use std::sync::Arc;

use mixsig_chip::ChipInstance;
use mixsig_circuits::NeuronParams;
use mixsig_lab::chipcmd;
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::json;

use crate::{from_json, py_err, py_msg, to_json};

/// Names of the built-in chip profiles.
#[pyfunction]
fn builtin_profiles() -> Vec<&'static str> {
    chipcmd::builtin_names().to_vec()
}

/// The validated profile (SI units) as JSON, and its human summary (`mixsig chip show`).
#[pyfunction]
fn profile_info(name_or_path: &str) -> PyResult<(String, String)> {
    let p = chipcmd::load_profile(name_or_path).map_err(py_err)?;
    Ok((to_json(&p)?, chipcmd::profile_summary(&p)))
}

/// One die of a chip profile.
#[pyclass(module = "mixsig._native", frozen)]
pub struct Chip {
    pub(crate) inst: Arc<ChipInstance>,
    /// `sampled` or the file it was loaded from.
    source: String,
}

fn reshape<'py>(py: Python<'py>, v: Vec<f64>, shape: &[usize]) -> PyResult<Bound<'py, PyAny>> {
    let a = PyArray1::from_vec(py, v);
    Ok(a.reshape(shape.to_vec())?.into_any())
}

#[pymethods]
impl Chip {
    /// Sample die `instance` of `profile` (built-in name or TOML path) with the profile's default
    /// biases.
    #[staticmethod]
    #[pyo3(signature = (profile = "dynapse2", instance = 0))]
    fn sample(py: Python<'_>, profile: &str, instance: u64) -> PyResult<Self> {
        let p = chipcmd::load_profile(profile).map_err(py_err)?;
        let m = py
            .detach(|| chipcmd::materialize(&ChipInstance::sample(&p, instance)))
            .map_err(py_err)?;
        Ok(Chip {
            inst: Arc::new(m.instance),
            source: "sampled".into(),
        })
    }

    /// Load a die saved by `mixsig chip sample` or `Chip.save` (`instance.toml`) for `profile`.
    #[staticmethod]
    #[pyo3(signature = (path, profile = "dynapse2"))]
    fn load(path: PathBuf, profile: &str) -> PyResult<Self> {
        let p = chipcmd::load_profile(profile).map_err(py_err)?;
        let inst = chipcmd::load_instance(&path, &p).map_err(py_err)?;
        Ok(Chip {
            inst: Arc::new(inst),
            source: path.display().to_string(),
        })
    }

    /// Profile name.
    #[getter]
    fn profile(&self) -> String {
        self.inst.profile().name.clone()
    }

    /// Die seed.
    #[getter]
    fn instance(&self) -> u64 {
        self.inst.seed()
    }

    /// `sampled` or the file the die was loaded from.
    #[getter]
    fn source(&self) -> String {
        self.source.clone()
    }

    /// `(cores, neurons_per_core, synapses_per_neuron)`.
    #[getter]
    fn shape(&self) -> (u32, u32, u32) {
        let a = &self.inst.profile().architecture;
        (a.cores, a.neurons_per_core, a.synapses_per_neuron)
    }

    /// Names of the neuron parameters (every field of the neuron's parameter set).
    #[staticmethod]
    fn param_names() -> Vec<&'static str> {
        NeuronParams::FIELDS.iter().map(|f| f.name).collect()
    }

    /// Names of the parameters that carry device mismatch.
    #[staticmethod]
    fn mismatched_params() -> Vec<&'static str> {
        chipcmd::mismatched_params()
    }

    /// Every neuron parameter of every neuron, `{name: array (cores, neurons_per_core)}` in SI units,
    /// plus the derived `tau_mem`, `t_ref`, `t_pulse`.
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let a = &self.inst.profile().architecture;
        let (nc, nn) = (a.cores as usize, a.neurons_per_core as usize);
        let inst = Arc::clone(&self.inst);
        let all: Vec<NeuronParams> = py.detach(|| {
            (0..nc as u32)
                .flat_map(|c| (0..nn as u32).map(move |n| (c, n)))
                .map(|(c, n)| inst.neuron_params(c, n))
                .collect()
        });
        let out = PyDict::new(py);
        for f in NeuronParams::FIELDS {
            let v: Vec<f64> = all
                .iter()
                .map(|p| p.field(f.name).unwrap_or(f64::NAN))
                .collect();
            out.set_item(f.name, reshape(py, v, &[nc, nn])?)?;
        }
        type Derived = (&'static str, fn(&NeuronParams) -> f64);
        let derived: [Derived; 3] = [
            ("tau_mem", NeuronParams::tau_mem),
            ("t_ref", NeuronParams::t_ref),
            ("t_pulse", NeuronParams::t_pulse),
        ];
        for (name, f) in derived {
            let v: Vec<f64> = all.iter().map(f).collect();
            out.set_item(name, reshape(py, v, &[nc, nn])?)?;
        }
        Ok(out)
    }

    /// Per-synapse weight mismatch factors, array `(cores, neurons_per_core, synapses_per_neuron)`.
    fn weight_factors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (c, n, s) = self.shape();
        let inst = Arc::clone(&self.inst);
        let v = py.detach(|| chipcmd::weight_factors(&inst));
        reshape(py, v, &[c as usize, n as usize, s as usize])
    }

    /// Statistics of every device parameter over the die (the table of `mixsig chip sample`): a
    /// list of dicts with `name`, `unit`, `block`, `n`, `mean`, `std`, `cv`, `std_ln`, `min`,
    /// `p05`, `p50`, `p95`, `max`, `sigma_local` and `model_cv`.
    fn device_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inst = Arc::clone(&self.inst);
        let stats = py.detach(|| chipcmd::device_stats(&inst));
        let rows: Vec<_> = stats
            .iter()
            .map(|d| {
                json!({
                    "name": d.name, "unit": d.dim.to_string(), "block": d.block,
                    "n": d.stats.n, "mean": d.stats.mean, "std": d.stats.std, "cv": d.stats.cv,
                    "std_ln": d.stats.std_ln, "min": d.stats.min, "p05": d.stats.p05,
                    "p50": d.stats.p50, "p95": d.stats.p95, "max": d.stats.max,
                    "sigma_local": d.sigma_local, "model_cv": d.model_cv,
                })
            })
            .collect();
        from_json(py, &to_json(&rows)?)
    }

    /// Per-core state: a list of dicts with the core's `nominal` parameters (its biases as the
    /// generator realized them), its four `weight_bases` (A) and the bias `report`.
    fn cores<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let n = self.inst.profile().architecture.cores;
        let cores: Vec<_> = (0..n).map(|c| self.inst.core(c)).collect();
        from_json(py, &to_json(&cores)?)
    }

    /// The die as TOML (what `save` writes and `load` reads).
    fn to_toml(&self) -> String {
        self.inst.to_toml_string()
    }

    /// Save the die (every per-device value) to `path` as TOML.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        self.inst
            .save(&path)
            .map_err(|e| py_msg(format!("saving {}: {}", path.display(), crate::chain(&e))))
    }

    fn __repr__(&self) -> String {
        let (c, n, s) = self.shape();
        format!(
            "Chip(profile='{}', instance={}, {c} cores x {n} neurons x {s} synapses, {})",
            self.profile(),
            self.instance(),
            self.source
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(builtin_profiles, m)?)?;
    m.add_function(wrap_pyfunction!(profile_info, m)?)?;
    m.add_class::<Chip>()?;
    Ok(())
}
