//! Networks (from TOML text, a file or a Python dict) and `simulate` (as `mixsig sim`): spikes and
//! state traces come back as NumPy arrays, and `out=` writes exactly the files the CLI writes.

use std::path::PathBuf;
use std::sync::Arc;

use mixsig_chip::{ChipInstance, ChipProfile};
use mixsig_circuits::neuron::DEFAULT_DT;
use mixsig_circuits::units::{parse_quantity, Dimension};
use mixsig_lab::netfile::{self, NetworkFile};
use mixsig_lab::sim;
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::{chain, py_err, py_msg, to_json};

/// A parsed network file.
#[pyclass(module = "mixsig._native", frozen)]
pub struct Network {
    pub(crate) nf: NetworkFile,
    /// The name errors and summaries use (the file path, `<dict>`, ...).
    pub(crate) name: String,
    /// The TOML text it was parsed from.
    text: String,
    /// Where its relative paths resolve (to parse `text` again with another seed).
    base: Option<PathBuf>,
}

/// A Python value (dict, list, str, int, float, bool) as a TOML value; `key` locates errors.
fn to_toml_value(v: &Bound<'_, PyAny>, key: &str) -> PyResult<toml::Value> {
    if v.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(toml::Value::Integer(v.extract().map_err(|_| {
            py_msg(format!("<dict>: key `{key}`: integer out of range"))
        })?));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(v.extract()?));
    }
    if v.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(v.extract()?));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut t = toml::map::Map::new();
        for (k, x) in d.iter() {
            let k: String = k
                .extract()
                .map_err(|_| py_msg(format!("<dict>: key `{key}`: keys must be strings")))?;
            let sub = if key.is_empty() {
                k.clone()
            } else {
                format!("{key}.{k}")
            };
            if x.is_none() {
                continue;
            }
            t.insert(k, to_toml_value(&x, &sub)?);
        }
        return Ok(toml::Value::Table(t));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut a = Vec::new();
        for (i, x) in v.try_iter()?.enumerate() {
            a.push(to_toml_value(&x?, &format!("{key}[{}]", i + 1))?);
        }
        return Ok(toml::Value::Array(a));
    }
    // NumPy scalars and anything else float-like.
    if let Ok(x) = v.extract::<f64>() {
        return Ok(toml::Value::Float(x));
    }
    Err(py_msg(format!(
        "<dict>: key `{key}`: unsupported value {} (use dict, list, str, int, float or bool)",
        v.repr()?
    )))
}

#[pymethods]
impl Network {
    /// Parse network TOML `text`; `name` names it in errors; relative spike-list paths resolve
    /// against `base` (default: the current directory).
    #[staticmethod]
    #[pyo3(signature = (text, name = "<string>", base = None))]
    fn from_toml(text: &str, name: &str, base: Option<PathBuf>) -> PyResult<Self> {
        let nf = netfile::parse(text, name, base.as_deref()).map_err(py_err)?;
        Ok(Network {
            nf,
            name: name.into(),
            text: text.into(),
            base,
        })
    }

    /// Load a network file.
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        let nf = netfile::load(&path).map_err(py_err)?;
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        Ok(Network {
            nf,
            name: path.display().to_string(),
            text,
            base: path.parent().map(PathBuf::from),
        })
    }

    /// A network from a dict with the structure of the TOML file (`{"population": [{...}], ...}`).
    #[staticmethod]
    #[pyo3(signature = (d, name = "<dict>", base = None))]
    fn from_dict(d: &Bound<'_, PyDict>, name: &str, base: Option<PathBuf>) -> PyResult<Self> {
        let v = to_toml_value(d.as_any(), "")?;
        let text = toml::to_string(&v)
            .map_err(|e| py_msg(format!("{name}: cannot express as TOML: {e}")))?;
        Self::from_toml(&text, name, base)
    }

    /// The embedded example network (`mixsig sim` without a file).
    #[staticmethod]
    fn example() -> PyResult<Self> {
        Self::from_toml(sim::DEFAULT_NETWORK, sim::DEFAULT_NETWORK_NAME, None)
    }

    /// The name errors and summaries use.
    #[getter]
    fn name(&self) -> String {
        self.name.clone()
    }

    /// The TOML text the network was parsed from.
    #[getter]
    fn toml(&self) -> String {
        self.text.clone()
    }

    /// `[(name, size)]` of the populations.
    #[getter]
    fn populations(&self) -> Vec<(String, usize)> {
        self.nf
            .spec
            .populations
            .iter()
            .map(|p| (p.name.clone(), p.size))
            .collect()
    }

    /// `[(name, size)]` of the sources.
    #[getter]
    fn sources(&self) -> Vec<(String, usize)> {
        self.nf
            .spec
            .sources
            .iter()
            .map(|s| (s.name.clone(), s.size))
            .collect()
    }

    /// The file's `[simulation]` settings: `(dt, duration, seed)`, `None` where not set.
    #[getter]
    fn settings(&self) -> (Option<f64>, Option<f64>, Option<u64>) {
        (self.nf.sim.dt, self.nf.sim.duration, self.nf.sim.seed)
    }

    /// The file's `[chip]` profile and instance.
    #[getter]
    fn chip(&self) -> (Option<String>, Option<u64>) {
        (self.nf.chip.profile.clone(), self.nf.chip.instance)
    }

    fn __repr__(&self) -> String {
        format!(
            "Network('{}', populations={:?}, sources={:?})",
            self.name,
            self.populations(),
            self.sources()
        )
    }
}

/// A time: seconds (number) or a string with a unit (`"500 ms"`); must be > 0 (as the CLI's flags).
pub(crate) fn time_value(name: &str, v: &Bound<'_, PyAny>) -> PyResult<f64> {
    let x = if let Ok(s) = v.extract::<String>() {
        parse_quantity(&s, Dimension::Time).map_err(|e| py_msg(format!("{name}: {e}")))?
    } else {
        v.extract::<f64>().map_err(|_| {
            py_msg(format!(
                "{name} = {}: expected seconds (a number) or a time such as \"100 us\"",
                v.repr().map(|r| r.to_string()).unwrap_or_default()
            ))
        })?
    };
    if x > 0.0 && x.is_finite() {
        Ok(x)
    } else {
        Err(py_msg(format!(
            "{name} = {}: must be finite and > 0 s",
            v.str()?
        )))
    }
}

/// Bind the network to a die as `mixsig sim` does (same messages).
fn bind_chip(
    nf: &mut NetworkFile,
    file_name: &str,
    profile: Option<String>,
    instance: Option<u64>,
    instance_file: Option<PathBuf>,
) -> PyResult<Option<sim::ChipInfo>> {
    let Some(profile_name) = profile.or_else(|| nf.chip.profile.clone()) else {
        if instance.is_some() || instance_file.is_some() {
            return Err(py_msg("--instance and --instance-file need a chip profile (--profile NAME|PATH or [chip] profile in the file)"));
        }
        return Ok(None);
    };
    let profile = ChipProfile::builtin_or_load(&profile_name).map_err(py_err)?;
    let seed = instance.or(nf.chip.instance).unwrap_or(0);
    let mut run =
        mixsig_lab::chipnet::bind(&nf.spec, &nf.chip, &profile, seed, file_name).map_err(py_err)?;
    let mut inst_name = seed.to_string();
    if let Some(path) = &instance_file {
        if let Some(why) =
            mixsig_lab::chipnet::instance_file_conflict(&nf.chip, &run, file_name, path)
        {
            return Err(py_msg(why));
        }
        let inst = ChipInstance::load(path, &profile).map_err(|e| {
            py_msg(format!(
                "loading instance {}: {}",
                path.display(),
                chain(&e)
            ))
        })?;
        run.binding.instance = Arc::new(inst);
        inst_name = path.display().to_string();
    }
    nf.spec.chip = Some(run.binding);
    Ok(Some(sim::ChipInfo {
        profile: profile.name.clone(),
        instance: inst_name,
        placement: run.placement,
        biases: run.biases,
        calibration: run.calibration,
    }))
}

/// Run a network as `mixsig sim` does; returns a dict of NumPy arrays and the summary JSON.
#[pyfunction]
#[pyo3(signature = (network, duration = None, dt = None, seed = None, profile = None, instance = None, instance_file = None, out = None))]
#[allow(clippy::too_many_arguments)]
fn simulate<'py>(
    py: Python<'py>,
    network: &Network,
    duration: Option<Bound<'py, PyAny>>,
    dt: Option<Bound<'py, PyAny>>,
    seed: Option<u64>,
    profile: Option<String>,
    instance: Option<u64>,
    instance_file: Option<PathBuf>,
    out: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    crate::check_out(out.as_deref())?;
    let duration = duration.map(|d| time_value("duration", &d)).transpose()?;
    let dt = dt.map(|d| time_value("dt", &d)).transpose()?;
    // A seed given here draws the file's `init = "uniform"` weights too (as `mixsig sim --seed`).
    let mut nf = match seed {
        Some(_) => netfile::parse_seeded(
            &network.text,
            &network.name,
            network.base.as_deref(),
            seed,
        )
        .map_err(py_err)?,
        None => network.nf.clone(),
    };
    let file_name = network.name.clone();
    let chip = bind_chip(&mut nf, &file_name, profile, instance, instance_file)?;
    let cfg = sim::SimConfig {
        dt: dt.or(nf.sim.dt).unwrap_or(DEFAULT_DT),
        duration: duration.or(nf.sim.duration).unwrap_or(1.0),
        seed: seed.or(nf.sim.seed).unwrap_or(1),
        network_name: file_name,
        chip,
        f32_state: false,
    };
    let (net, summary) = py
        .detach(|| -> Result<_, String> {
            let (net, wall) = sim::simulate(&nf.spec, &cfg, |_, _| {}).map_err(|e| chain(&e))?;
            let summary = match &out {
                Some(dir) => sim::write_outputs(&net, &cfg, wall, dir).map_err(|e| chain(&e))?,
                None => sim::summarize(&net, &cfg, wall),
            };
            Ok((net, summary))
        })
        .map_err(py_msg)?;

    let d = PyDict::new(py);
    let rec = &net.rec;
    let steps: Vec<u64> = rec.spikes.iter().map(|e| e.step).collect();
    let times: Vec<f64> = steps.iter().map(|&k| k as f64 * net.dt).collect();
    let groups: Vec<u32> = rec.spikes.iter().map(|e| e.group).collect();
    let neurons: Vec<u32> = rec.spikes.iter().map(|e| e.neuron).collect();
    d.set_item("spike_steps", PyArray1::from_vec(py, steps))?;
    d.set_item("spike_times", PyArray1::from_vec(py, times))?;
    d.set_item("spike_groups", PyArray1::from_vec(py, groups))?;
    d.set_item("spike_neurons", PyArray1::from_vec(py, neurons))?;
    d.set_item("group_names", rec.names.clone())?;
    d.set_item("group_sizes", rec.sizes.clone())?;
    d.set_item("group_recorded", rec.keep.clone())?;
    d.set_item("dt", net.dt)?;
    let probe_t: Vec<f64> = rec.probe_steps.iter().map(|&k| k as f64 * net.dt).collect();
    let rows = probe_t.len();
    d.set_item("trace_times", PyArray1::from_vec(py, probe_t))?;
    let columns = mixsig_lab::output::trace_columns(&net);
    let ncol = columns.len();
    let mut data = vec![0.0; rows * ncol];
    let mut c0 = 0;
    for p in &rec.probes {
        let w = p.neurons.len();
        for r in 0..rows {
            data[r * ncol + c0..r * ncol + c0 + w].copy_from_slice(&p.data[r * w..(r + 1) * w]);
        }
        c0 += w;
    }
    d.set_item(
        "traces",
        PyArray1::from_vec(py, data).reshape(vec![rows, ncol])?,
    )?;
    d.set_item("trace_columns", columns)?;
    d.set_item("summary_json", to_json(&summary)?)?;
    Ok(d)
}

/// A dict (tables, arrays, strings, numbers, booleans) as TOML text.
#[pyfunction]
fn dict_to_toml(d: &Bound<'_, PyDict>) -> PyResult<String> {
    let v = to_toml_value(d.as_any(), "")?;
    toml::to_string(&v).map_err(|e| py_msg(format!("<dict>: cannot express as TOML: {e}")))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Network>()?;
    m.add_function(wrap_pyfunction!(dict_to_toml, m)?)?;
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    Ok(())
}
