//! Files of a tune run: `biases.toml`, `profile.toml`, `tune.csv`, `summary.json`, the yield plot and
//! `report.html`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mixsig_circuits::units::{format_quantity, Dimension};

use super::{TuneError, TuneResult, Tuned};
use crate::output::write_atomic;
use crate::report::{num, Block, Report};

fn show(x: f64, unit: &str) -> String {
    match unit {
        "s" => format_quantity(x, Dimension::Time),
        "Hz" => format!("{} Hz", num(x)),
        _ => num(x),
    }
}

/// `biases.toml`: one `[[chip.bias]]` entry per tuned bias and core.
pub fn bias_file(r: &TuneResult, command: &str) -> String {
    // A profile file is recorded by its absolute path, so the bias file works from any directory.
    let p = &r.options.profile;
    let profile = if mixsig_chip::profile::BUILTIN.contains(&p.as_str()) {
        p.clone()
    } else {
        std::fs::canonicalize(p).map_or_else(|_| p.clone(), |a| a.display().to_string())
    };
    let mut s = format!(
        "# Bias codes tuned by mixsig tune for profile `{}` ({} sampled dies); overall yield {:.1} %.\n# {command}\n# Use: mixsig sim NETWORK.toml --profile {} --biases biases.toml, or paste the entries into a network file's [chip] section.\n\n[chip]\nprofile = {}\n",
        r.profile,
        r.options.dies,
        100.0 * r.yield_all,
        p,
        toml::Value::String(profile)
    );
    for t in &r.tuned {
        s.push_str(&format!(
            "\n# {} target {} -> {} on the nominal die ({:+.2} %), yield {:.1} %\n[[chip.bias]]\nname = \"{}\"\ncore = {}\ncoarse = {}\nfine = {}\n",
            t.key,
            show(t.target, &t.unit),
            show(t.achieved, &t.unit),
            100.0 * t.rel_error,
            100.0 * t.yield_fraction,
            t.bias,
            t.core,
            t.code.coarse,
            t.code.fine
        ));
    }
    s
}

/// The profile text with the tuned codes as default `[biases]`, for biases tuned to the same code on
/// every core; the others are listed in the returned warnings.
pub fn tuned_profile(r: &TuneResult, cores: u32) -> Result<(String, Vec<String>), TuneError> {
    let (text, origin) = mixsig_chip::scale::source_text(&r.options.profile)?;
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| TuneError::Invalid(format!("{origin}: {e}")))?;
    let mut by_bias: BTreeMap<&str, Vec<(u32, mixsig_chip::BiasCode)>> = BTreeMap::new();
    for t in &r.tuned {
        by_bias.entry(&t.bias).or_default().push((t.core, t.code));
    }
    let mut warnings = Vec::new();
    let mut differ = Vec::new();
    let biases = table
        .entry("biases")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(b) = biases {
        for (bias, v) in by_bias {
            let same = v.len() == cores as usize && v.iter().all(|x| x.1 == v[0].1);
            if same {
                let mut code = toml::Table::new();
                code.insert("coarse".into(), toml::Value::Integer(v[0].1.coarse as i64));
                code.insert("fine".into(), toml::Value::Integer(v[0].1.fine as i64));
                // The profile may set this bias under a parameter name (`i_tau_mem` for
                // SOIF_LEAK_N): the tuned code replaces it.
                b.retain(|k, _| mixsig_chip::names::resolve_bias(k).map(|n| n.name) != Some(bias));
                b.insert(bias.to_string(), toml::Value::Table(code));
            } else {
                differ.push(bias);
            }
        }
    }
    if !differ.is_empty() {
        warnings.push(format!(
            "profile.toml: {} got different codes on different cores (each core's generator has its own mismatch) or are not tuned on every core, so they keep the profile default there; biases.toml has the per-core codes",
            differ.join(", ")
        ));
    }
    let out = format!(
        "# {origin} with the bias codes of mixsig tune as default [biases]\n{}",
        toml::to_string(&table).map_err(|e| TuneError::Invalid(e.to_string()))?
    );
    mixsig_chip::ChipProfile::from_toml_str(&out, "profile.toml")?;
    Ok((out, warnings))
}

/// `tune.csv`.
pub fn tune_csv(r: &TuneResult) -> String {
    let mut s = String::from("core,target,bias,value,unit,tolerance,coarse,fine,current_a,achieved,rel_error,step,yield,neuron_yield,in_range,warnings\n");
    for t in &r.tuned {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{:e},{},{},{},{},{},{},\"{}\"\n",
            t.core,
            t.key,
            t.bias,
            t.target,
            t.unit,
            t.tolerance,
            t.code.coarse,
            t.code.fine,
            t.current,
            t.achieved,
            t.rel_error,
            t.step,
            t.yield_fraction,
            t.neuron_yield,
            t.in_range,
            t.warnings.join("; ").replace('"', "'")
        ));
    }
    s
}

/// Rows of the printed and reported table.
pub fn table(r: &TuneResult) -> (Vec<String>, Vec<Vec<String>>) {
    let head = [
        "core",
        "target",
        "bias",
        "want",
        "code",
        "nominal",
        "quant. error",
        "step",
        "yield",
        "neurons in tol.",
    ]
    .map(String::from)
    .to_vec();
    let rows = r
        .tuned
        .iter()
        .map(|t: &Tuned| {
            vec![
                t.core.to_string(),
                t.key.clone(),
                t.bias.clone(),
                show(t.target, &t.unit),
                format!("({}, {})", t.code.coarse, t.code.fine),
                show(t.achieved, &t.unit),
                format!("{:+.2}%", 100.0 * t.rel_error),
                format!("{:.2}%", 100.0 * t.step),
                format!("{:.1}%", 100.0 * t.yield_fraction),
                format!("{:.1}%", 100.0 * t.neuron_yield),
            ]
        })
        .collect();
    (head, rows)
}

/// Write every output into `out`; returns the files and the profile warnings.
pub fn write_outputs(
    r: &TuneResult,
    cores: u32,
    out: &Path,
    command: &str,
) -> Result<(Vec<PathBuf>, Vec<String>), TuneError> {
    let mut files = Vec::new();
    let mut put = |name: &str, text: &str| -> Result<(), TuneError> {
        let p = out.join(name);
        write_atomic(&p, text.as_bytes())?;
        files.push(p);
        Ok(())
    };
    let bf = bias_file(r, command);
    put("biases.toml", &bf)?;
    let (prof, warnings) = tuned_profile(r, cores)?;
    put("profile.toml", &prof)?;
    put("tune.csv", &tune_csv(r))?;
    put(
        "summary.json",
        &serde_json::to_string_pretty(r).expect("serializes"),
    )?;
    // Yield per target and core.
    let labels: Vec<String> = r
        .tuned
        .iter()
        .map(|t| format!("c{} {}", t.core, t.key))
        .collect();
    let x: Vec<f64> = (0..r.tuned.len()).map(|i| i as f64).collect();
    let y: Vec<f64> = r.tuned.iter().map(|t| t.yield_fraction).collect();
    let e: Vec<f64> = r.tuned.iter().map(|t| 100.0 * t.rel_error.abs()).collect();
    let title = format!(
        "mixsig tune on {}: yield per target over {} dies (index = row of tune.csv)",
        r.profile, r.options.dies
    );
    let plot = crate::plot::curves(
        &out.join("tune_yield"),
        &title,
        "target (row of tune.csv)",
        "fraction of dies",
        false,
        &[crate::plot::Curve {
            name: "yield (median neuron within tolerance)",
            x: &x,
            y: &y,
            band: None,
        }],
    )?;
    let plot2 = crate::plot::curves(
        &out.join("tune_error"),
        &format!(
            "mixsig tune on {}: |quantization error| on the nominal die",
            r.profile
        ),
        "target (row of tune.csv)",
        "|achieved/target - 1| (%)",
        false,
        &[crate::plot::Curve {
            name: "nominal die",
            x: &x,
            y: &e,
            band: None,
        }],
    )?;
    let mut rep = Report::new(&format!("mixsig tune: {}", r.profile), command);
    rep.push(Block::Text(format!(
        "Targets from {}; {} sampled dies (seeds {}..), {} neurons checked per core. Yield of a target: fraction of dies whose median checked neuron is within tolerance. Overall yield (every target on every core within tolerance): {:.1} %; per core: {}.",
        r.targets_file, r.options.dies, r.options.first_die, r.options.neurons, 100.0 * r.yield_all,
        r.yield_per_core.iter().map(|(c, y)| format!("core {c} {:.1} %", 100.0 * y)).collect::<Vec<_>>().join(", ")
    )));
    let (h, rows) = table(r);
    rep.push(Block::Table(h, rows));
    rep.push(Block::Text(format!("Rows: {}", labels.join(", "))));
    let warns: Vec<String> = r
        .tuned
        .iter()
        .flat_map(|t| {
            t.warnings
                .iter()
                .map(move |w| format!("core {} {}: {w}", t.core, t.key))
        })
        .chain(warnings.iter().cloned())
        .collect();
    if !warns.is_empty() {
        rep.push(Block::Heading("Warnings".into()));
        for w in &warns {
            rep.push(Block::Text(w.clone()));
        }
    }
    rep.push(Block::Svg(plot[0].clone()));
    rep.push(Block::Svg(plot2[0].clone()));
    rep.push(Block::Details("biases.toml".into(), bf));
    rep.push(Block::Details(
        "profile.toml (the profile with the tuned default biases)".into(),
        prof,
    ));
    files.extend(plot);
    files.extend(plot2);
    files.push(rep.write(out)?);
    Ok((files, warnings))
}
