//! `mixsig chip` run as a user runs it: `show` of every built-in profile, `sample` statistics
//! against the profile's mismatch model, the `--instance-file` round trip, `bias` tables and
//! lookups, defaults without arguments, and clean failures (exit 1, a message naming the culprit,
//! nothing written).
//!
//! The binary is found (and rebuilt for this profile) as in `tests/cli.rs`; `MIXSIG_BIN` overrides.

use std::collections::BTreeMap;
use std::path::Path;

use mixsig::lab::chipcmd::{self, ChipProfile};

mod common;
use common::*;

/// Run `mixsig chip <args>` in `cwd`.
fn chip_in(cwd: &Path, args: &[&str]) -> Run {
    let mut all = vec!["chip"];
    all.extend_from_slice(args);
    mixsig_in(cwd, &all)
}

fn chip(args: &[&str]) -> Run {
    chip_in(&manifest_dir(), args)
}

/// `device_stats.csv` as parameter → column → cell.
fn stats_table(csv: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(head[0], "parameter");
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), head.len(), "row {l}");
            (
                cells[0].to_string(),
                head.iter()
                    .zip(&cells)
                    .map(|(h, c)| (h.to_string(), c.to_string()))
                    .collect(),
            )
        })
        .collect()
}

fn cell(t: &BTreeMap<String, BTreeMap<String, String>>, row: &str, col: &str) -> f64 {
    let s = &t[row][col];
    s.parse()
        .unwrap_or_else(|_| panic!("{row}.{col} = {s:?} is not a number"))
}

/// Standardized error of a within-die CV `cv` over `n` devices against the lognormal model with
/// per-device sigma `local` and per-core sigma `core` (4 cores: their draws add (3/4)*core^2 to
/// the variance of ln x on average). Returns (z, model CV, standard error).
///
/// Standard error of the sample CV of a lognormal: sd(s)/s = sqrt((kurtosis - 1)/(4n)); the
/// spread of the 4-core term, (3/4)*core^2*sqrt(2/3) in ln-variance, adds in quadrature.
fn cv_z(cv: f64, local: f64, core: f64, n: f64) -> (f64, f64, f64) {
    let (z, cv_model, se, _) = cv_z_parts(cv, local, core, n);
    (z, cv_model, se)
}

/// [`cv_z`] plus the share of the SE that comes from the per-core draws, `se_core / se`: those
/// draws are shared by every device of one class on a core, so that part of `z` is common to all
/// parameters of a class.
fn cv_z_parts(cv: f64, local: f64, core: f64, n: f64) -> (f64, f64, f64, f64) {
    let s2 = local * local + 0.75 * core * core;
    let cv_model = s2.exp_m1().sqrt();
    let kurt = (4.0 * s2).exp() + 2.0 * (3.0 * s2).exp() + 3.0 * (2.0 * s2).exp() - 3.0;
    let se_sampling = cv_model * ((kurt - 1.0) / (4.0 * n)).sqrt();
    let se_core = 0.75 * core * core * (2.0f64 / 3.0).sqrt() / (2.0 * cv_model);
    let se = (se_sampling * se_sampling + se_core * se_core).sqrt();
    ((cv - cv_model) / se, cv_model, se, se_core / se)
}

// ---------------------------------------------------------------------------------------------
// show
// ---------------------------------------------------------------------------------------------

#[test]
fn show_every_builtin_profile() {
    let out = TempDir::new("show");
    for name in chipcmd::builtin_names() {
        let p = ChipProfile::builtin(name).unwrap();
        let r = chip(&["show", name, "--out", out.s()]);
        assert_eq!(r.code, Some(0), "{name}: {r}");
        assert!(r.stdout.contains(&format!("profile {name}")), "{name}: {r}");
        // The core count printed is the profile's own.
        let cores_line = r
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with("cores "))
            .unwrap_or_else(|| panic!("{name}: no cores line\n{r}"));
        assert_eq!(
            cores_line.split_whitespace().nth(1),
            Some(p.architecture.cores.to_string().as_str()),
            "{name}: {cores_line}"
        );
        assert!(r.stdout.contains(&format!(
            "{} in total",
            p.architecture.cores * p.architecture.neurons_per_core
        )));
        // The written profile.json is this profile.
        let js: serde_json::Value = serde_json::from_str(&out.read("profile.json")).unwrap();
        assert_eq!(js["name"], *name);
        assert_eq!(js["architecture"]["cores"], p.architecture.cores);
    }
    // --profile is the same as the positional argument.
    let a = chip(&["show", "dynapse1", "--out", out.s()]);
    let b = chip(&["show", "--profile", "dynapse1", "--out", out.s()]);
    assert_eq!(a.stdout, b.stdout);
    // --list names every built-in.
    let l = chip(&["show", "--list"]);
    assert_eq!(l.code, Some(0), "{l}");
    for name in chipcmd::builtin_names() {
        assert!(l.stdout.lines().any(|x| x.starts_with(name)), "{name}: {l}");
    }
}

#[test]
fn show_lists_layout_sigmas_of_the_mismatch_model() {
    let p = ChipProfile::builtin("dynapse2").unwrap();
    let r = chip(&["show", "dynapse2", "--out", TempDir::new("sig").s()]);
    assert_eq!(r.code, Some(0), "{r}");
    let s = p
        .mismatch
        .sigmas(&p.layout.device("i_spkthr"), &p.process.operating_point())
        .local;
    let line = r
        .stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("i_spkthr"))
        .unwrap_or_else(|| panic!("no i_spkthr layout line\n{r}"));
    assert!(line.contains("2 um/1 um"), "{line}");
    assert!(line.contains(&format!("{s:.4}")), "{line} vs sigma {s}");
}

// ---------------------------------------------------------------------------------------------
// sample
// ---------------------------------------------------------------------------------------------

/// dynapse2, instance 3: files, CV of i_tau_mem against the model, and the --instance-file round
/// trip (one test: the sampled run's output is the round trip's input).
#[test]
fn sample_dynapse2_statistics_and_instance_round_trip() {
    let out = TempDir::new("sample");
    let r = chip(&["sample", "--instance", "3", "--out", out.s()]);
    assert_eq!(r.code, Some(0), "{r}");
    for f in [
        "device_stats.csv",
        "summary.json",
        "instance.toml",
        "hist_membrane.svg",
        "hist_membrane.png",
        "hist_refractory_pulse_ahp.png",
        "hist_synapses.png",
    ] {
        let m = std::fs::metadata(out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(m.len() > 100, "{f} is {} bytes", m.len());
    }
    assert!(
        !out.files().iter().any(|f| f.contains(".tmp")),
        "{:?}",
        out.files()
    );
    assert!(r.stdout.contains("--instance-file"), "{r}");

    let t = stats_table(&out.read("device_stats.csv"));
    for row in [
        "i_tau_mem",
        "c_mem",
        "tau_mem",
        "t_ref",
        "t_pulse",
        "i_w_factor",
    ] {
        assert!(t.contains_key(row), "no row {row}");
    }
    assert_eq!(cell(&t, "i_tau_mem", "n"), 1024.0);
    assert_eq!(cell(&t, "i_w_factor", "n"), 1024.0 * 64.0);

    // i_tau_mem: lognormal with sigma_ln from the profile (Pelgrom + current factor). Within one
    // die the die-level component is shared; the 4 per-core draws add (3/4)*sigma_core^2 on
    // average to the variance of ln(I).
    let p = ChipProfile::builtin("dynapse2").unwrap();
    let sg = p
        .mismatch
        .sigmas(&p.layout.device("i_tau_mem"), &p.process.operating_point());
    let cv = cell(&t, "i_tau_mem", "cv");
    let (_, cv_model, se) = cv_z(cv, sg.local, sg.core, 1024.0);
    eprintln!(
        "dynapse2 instance 3: i_tau_mem CV {cv:.5}, model {cv_model:.5} (sigma_local {:.5}, sigma_core {:.5}), SE {se:.5}",
        sg.local, sg.core
    );
    assert!(
        (cv - cv_model).abs() < 3.0 * se,
        "i_tau_mem CV {cv} vs model {cv_model} +- 3*{se}"
    );
    assert!(sg.local > 0.1, "dynapse2 has ~15% current mismatch");
    // Every mismatched parameter at once: the mean of the standardized CV errors catches a
    // systematic error of a few percent in sigma that one parameter's 3 SE would let through. The
    // per-device parts of the z's are independent (each parameter its own random stream); the
    // per-core part is one draw per core and device class, common to every parameter of a class,
    // so var(mean z) = (sum_i (1 - c_i^2) + sum_class (sum_{i in class} c_i)^2) / k^2 with
    // c_i = se_core_i / se_i.
    let mut zs = Vec::new();
    let mut var_indep = 0.0;
    let mut by_class: std::collections::HashMap<_, f64> = std::collections::HashMap::new();
    for (name, row) in t
        .iter()
        .filter(|(_, row)| !row["model_sigma_local"].is_empty())
    {
        let dev = if name == "i_w_factor" {
            "i_w"
        } else {
            name.as_str()
        };
        let sg = p
            .mismatch
            .sigmas(&p.layout.device(dev), &p.process.operating_point());
        let n: f64 = row["n"].parse().unwrap();
        let (z, _, _, c) = cv_z_parts(cell(&t, name, "cv"), sg.local, sg.core, n);
        zs.push(z);
        var_indep += 1.0 - c * c;
        *by_class.entry(format!("{:?}", sg.class)).or_default() += c;
    }
    let k = zs.len() as f64;
    let mean_z = zs.iter().sum::<f64>() / k;
    let sd_mean = ((var_indep + by_class.values().map(|c| c * c).sum::<f64>()) / (k * k)).sqrt();
    eprintln!(
        "{} parameters: mean standardized CV error {mean_z:.3} (SE {sd_mean:.3})",
        zs.len()
    );
    assert!(k >= 34.0, "{k} mismatched parameters");
    assert!(
        mean_z.abs() < 3.0 * sd_mean,
        "CVs deviate systematically from the model: mean z {mean_z} over {k} parameters, SE {sd_mean}"
    );
    // The CSV's model column is the per-device component of the same model.
    let cv_local = (sg.local * sg.local).exp_m1().sqrt();
    assert!((cell(&t, "i_tau_mem", "model_cv") - cv_local).abs() < 1e-12);
    // tau_mem = C*U_T/(kappa*I): its log-spread is that of I and C together.
    let sl_tau = cell(&t, "tau_mem", "std_ln");
    let sl_expect =
        (cell(&t, "i_tau_mem", "std_ln").powi(2) + cell(&t, "c_mem", "std_ln").powi(2)).sqrt();
    assert!(
        (sl_tau - sl_expect).abs() < 0.01,
        "tau_mem std_ln {sl_tau} vs {sl_expect}"
    );

    let js: serde_json::Value = serde_json::from_str(&out.read("summary.json")).unwrap();
    assert_eq!(js["seed"], 3);
    assert_eq!(js["profile"], "dynapse2");
    assert_eq!(js["parameters"]["i_tau_mem"]["cv"].as_f64(), Some(cv));

    // Round trip: the saved instance loads back to identical statistics.
    let back = TempDir::new("loaded");
    let file = out.join("instance.toml");
    let r2 = chip(&[
        "sample",
        "dynapse2",
        "--instance-file",
        file.to_str().unwrap(),
        "--out",
        back.s(),
    ]);
    assert_eq!(r2.code, Some(0), "{r2}");
    assert_eq!(
        out.read("device_stats.csv"),
        back.read("device_stats.csv"),
        "statistics of the loaded instance differ from the sampled one"
    );
    let js2: serde_json::Value = serde_json::from_str(&back.read("summary.json")).unwrap();
    assert_eq!(js2["parameters"], js["parameters"]);
    assert_eq!(js2["seed"], 3);
    assert_eq!(out.read("instance.toml"), back.read("instance.toml"));
}

#[test]
fn sample_ideal_has_no_spread() {
    let out = TempDir::new("ideal");
    let r = chip(&["sample", "ideal", "--out", out.s()]);
    assert_eq!(r.code, Some(0), "{r}");
    let t = stats_table(&out.read("device_stats.csv"));
    assert!(t.len() > 30, "{} rows", t.len());
    for (name, row) in &t {
        assert_eq!(row["cv"].parse::<f64>().ok(), Some(0.0), "{name}: {row:?}");
        assert_eq!(row["std"].parse::<f64>().ok(), Some(0.0), "{name}: {row:?}");
        assert_eq!(row["p5"], row["p95"], "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// bias
// ---------------------------------------------------------------------------------------------

/// `bias_table.csv` as (coarse, fine) → current.
fn bias_table(csv: &str) -> BTreeMap<(u32, u32), f64> {
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("coarse,fine,current_a"));
    lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                (c[0].parse().unwrap(), c[1].parse().unwrap()),
                c[2].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn bias_table_and_lookup_of_soif_leak_n() {
    let out = TempDir::new("bias");
    let r = chip(&["bias", "--bias", "SOIF_LEAK_N", "--out", out.s()]);
    assert_eq!(r.code, Some(0), "{r}");
    let table = bias_table(&out.read("bias_table.csv"));
    assert_eq!(table.len(), 6 * 256, "6 coarse ranges x 256 fine values");
    assert!(table.values().all(|&i| i > 0.0 && i.is_finite()));
    for f in ["bias_table.svg", "bias_table.png"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // A parameter name selects the same bias.
    let out2 = TempDir::new("bias-alias");
    let r2 = chip(&["bias", "--bias", "i_tau_mem", "--out", out2.s()]);
    assert_eq!(r2.code, Some(0), "{r2}");
    assert_eq!(out.read("bias_table.csv"), out2.read("bias_table.csv"));

    // 5 pA → the best code of the table, within the local quantization step.
    let r = chip(&[
        "bias",
        "--bias",
        "SOIF_LEAK_N",
        "--current",
        "5pA",
        "--out",
        out.s(),
    ]);
    assert_eq!(r.code, Some(0), "{r}");
    let csv = out.read("bias_lookup.csv");
    let row: Vec<&str> = csv
        .lines()
        .nth(1)
        .expect("one lookup row")
        .split(',')
        .collect();
    let (c, f): (u32, u32) = (row[1].parse().unwrap(), row[2].parse().unwrap());
    let achieved: f64 = row[3].parse().unwrap();
    let rel: f64 = row[4].parse().unwrap();
    let target = 5e-12;
    assert_eq!(table[&(c, f)], achieved, "achieved current is the table's");
    assert!((achieved / target - 1.0 - rel).abs() < 1e-12);
    let best = table
        .values()
        .map(|i| (i / target).ln().abs())
        .fold(f64::INFINITY, f64::min);
    assert_eq!((achieved / target).ln().abs(), best, "not the closest code");
    let step = [f.checked_sub(1), Some(f + 1)]
        .into_iter()
        .flatten()
        .filter_map(|g| table.get(&(c, g)))
        .map(|&n| (n / achieved).max(achieved / n) - 1.0)
        .fold(0.0, f64::max);
    assert!(step > 0.0 && step < 0.1, "local step {step}");
    assert!(
        rel.abs() < step,
        "relative error {rel} not below the local step {step}"
    );
    assert!(r.stdout.contains("5 pA"), "{r}");
    assert!(r.stdout.contains(&format!("(coarse {c}, fine {f})")), "{r}");
}

// ---------------------------------------------------------------------------------------------
// Defaults and failures
// ---------------------------------------------------------------------------------------------

#[test]
fn every_subcommand_has_defaults() {
    let cwd = TempDir::new("cwd");
    std::fs::create_dir_all(&cwd.0).unwrap();
    let r = chip_in(&cwd.0, &[]);
    assert_eq!(r.code, Some(0), "{r}");
    assert!(r.stdout.starts_with("profile dynapse2"), "{r}");
    let r = chip_in(&cwd.0, &["show"]);
    assert_eq!(r.code, Some(0), "{r}");
    assert!(cwd.join("runs/chip/profile.json").is_file());
    let r = chip_in(&cwd.0, &["bias"]);
    assert_eq!(r.code, Some(0), "{r}");
    assert!(
        r.stdout.contains("dynapse2") && r.stdout.contains("SOIF_LEAK_N"),
        "{r}"
    );
    assert!(cwd.join("runs/chip/bias_table.csv").is_file());
}

#[test]
fn bad_input_fails_naming_the_culprit_and_writes_nothing() {
    let dir = TempDir::new("bad");
    std::fs::create_dir_all(&dir.0).unwrap();
    let bad_profile = dir.join("broken.toml");
    std::fs::write(&bad_profile, "[profile]\nname = \"x\"\nbogus = 1\n").unwrap();
    let bp = bad_profile.to_str().unwrap().to_string();
    // A (tiny, device-less) instance file saved from dynapse2 offered with dynapse1: refused on
    // the profile name, which is checked first; and a file that is not an instance at all.
    let other = dir.join("other.toml");
    std::fs::write(
        &other,
        "core = []\n[instance]\nprofile = \"dynapse2\"\nprofile_origin = \"x\"\nseed = \"1\"\n\
         cores = 4\nneurons_per_core = 256\nsynapses_per_neuron = 64\n",
    )
    .unwrap();
    let other = other.to_str().unwrap().to_string();
    let garbage = dir.join("garbage.toml");
    std::fs::write(&garbage, "this is not toml").unwrap();
    let garbage = garbage.to_str().unwrap().to_string();
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["bias", "--bias", "SOIF_FOO"],
            vec!["SOIF_FOO", "SOIF_LEAK_N"],
        ),
        (
            vec!["show", "no_such_chip"],
            vec!["no_such_chip", "dynapse2"],
        ),
        (vec!["sample", "no_such_chip"], vec!["no_such_chip"]),
        (vec!["bias", "--core", "99"], vec!["core 99", "4 core"]),
        (
            vec!["bias", "fdsoi22", "--core", "1"],
            vec!["core 1", "fdsoi22"],
        ),
        (vec!["bias", "--current", "5pF"], vec!["5pF"]),
        (vec!["bias", "--current", "-2pA"], vec!["-2pA"]),
        (vec!["show", &bp], vec!["broken.toml", ":3", "bogus"]),
        (
            vec!["sample", "dynapse1", "--instance-file", &other],
            vec!["other.toml", "'dynapse2', not 'dynapse1'"],
        ),
        (
            vec!["sample", "--instance-file", &garbage],
            vec!["garbage.toml"],
        ),
        (
            vec!["sample", "--instance-file", "/no/such/instance.toml"],
            vec!["/no/such/instance.toml"],
        ),
    ];
    for (args, needles) in cases {
        let mut a = args.clone();
        a.extend(["--out", o]);
        let r = chip(&a);
        assert_eq!(r.code, Some(1), "{args:?}: {r}");
        for n in needles {
            assert!(r.stderr.contains(n), "{args:?}: stderr lacks {n:?}\n{r}");
        }
        assert!(!out.exists(), "{args:?} wrote into {o}");
    }
}
