//! Run outputs: CSV tables and JSON summaries, written atomically (to a temporary file renamed into
//! place) so that an interrupted run never leaves a half-written file behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use mixsig_engine::Network;

/// An output file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}")]
pub struct WriteError {
    /// The file.
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: std::io::Error,
}

/// Whether `out` can become an output directory: it, or the nearest of its ancestors that exists,
/// must be a directory. Returns the path that is in the way. Called before any work starts, so that
/// a run is not lost to a write that was bound to fail.
pub fn out_dir_blocker(out: &Path) -> Option<PathBuf> {
    out.ancestors()
        .find(|p| p.exists())
        .filter(|p| !p.is_dir())
        .map(Path::to_path_buf)
}

/// Write `bytes` to `path` atomically (temporary sibling + rename), creating the parent directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let err = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
    }
    let tmp = path.with_extension(format!(
        "{}.tmp{}",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all().ok();
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Leave nothing half-written behind.
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// `spikes.csv`: `t_s,population,neuron`, one row per recorded spike in time order.
pub fn spikes_csv(net: &Network) -> String {
    let mut s = String::with_capacity(24 * net.rec.spikes.len() + 32);
    s.push_str("t_s,population,neuron\n");
    for e in &net.rec.spikes {
        s.push_str(&format!(
            "{},{},{}\n",
            fmt_t(e.step as f64 * net.dt),
            net.rec.names[e.group as usize],
            e.neuron
        ));
    }
    s
}

/// A time in seconds for a CSV: nanosecond precision, trailing zeros trimmed (`0.02055`, not
/// `0.020550000000000002`).
pub fn fmt_t(t: f64) -> String {
    // Times are multiples of dt: print with enough digits, trimmed.
    let s = format!("{t:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Column names of `traces.csv` after `t_s`: `population.var[neuron]`.
pub fn trace_columns(net: &Network) -> Vec<String> {
    let mut cols = Vec::new();
    for p in &net.rec.probes {
        for &n in &p.neurons {
            cols.push(format!("{}.{}[{}]", net.pops[p.pop].name, p.var_name, n));
        }
    }
    cols
}

/// `traces.csv`: `t_s` then one column per recorded (population, variable, neuron).
pub fn traces_csv(net: &Network) -> String {
    let cols = trace_columns(net);
    let mut s = String::new();
    s.push_str("t_s");
    for c in &cols {
        s.push(',');
        s.push_str(c);
    }
    s.push('\n');
    for (row, &k) in net.rec.probe_steps.iter().enumerate() {
        s.push_str(&fmt_t(k as f64 * net.dt));
        for p in &net.rec.probes {
            let w = p.neurons.len();
            for x in &p.data[row * w..(row + 1) * w] {
                s.push_str(&format!(",{x:.9e}"));
            }
        }
        s.push('\n');
    }
    s
}

/// Check that no recorded state is NaN or infinite; returns the first offending column.
pub fn first_non_finite(net: &Network) -> Option<String> {
    for p in &net.rec.probes {
        if let Some(pos) = p.data.iter().position(|x| !x.is_finite()) {
            let j = pos % p.neurons.len();
            return Some(format!(
                "{}.{}[{}]",
                net.pops[p.pop].name, p.var_name, p.neurons[j]
            ));
        }
    }
    for pop in &net.pops {
        for i in 0..pop.n {
            for v in pop.var_names() {
                if let Some(var) = pop.var(v) {
                    if !pop.read(var, i).is_finite() {
                        return Some(format!("{}.{}[{}]", pop.name, v, i));
                    }
                }
            }
        }
    }
    None
}
