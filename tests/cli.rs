//! The `mixsig` command line, run as a user runs it: outputs of `sim` and `fi`, agreement with the
//! Rockpool reference through the whole file → engine → CSV path, and clean failures (non-zero exit,
//! a message that names the culprit, nothing half-written).
//!
//! The binary belongs to package `mixsig-cli`, not to this package, so `CARGO_BIN_EXE_mixsig` is not
//! available here. [`mixsig_bin`] finds `target/<profile>/mixsig` next to this test executable and
//! (re)builds it with `cargo build -p mixsig-cli` for the same profile first, so a stale binary is
//! never tested. Set `MIXSIG_BIN=/path/to/mixsig` to test a given binary instead.

use std::path::Path;

mod common;
use common::*;

fn fixture(name: &str) -> String {
    manifest_dir()
        .join("tests/data/networks")
        .join(name)
        .display()
        .to_string()
}

/// `spikes.csv` rows as (t_s, population, neuron).
fn read_spikes(text: &str) -> Vec<(f64, String, u32)> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("t_s,population,neuron"));
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 3, "spikes.csv row {l:?}");
            (
                f[0].parse().expect("t_s"),
                f[1].to_string(),
                f[2].parse().expect("neuron"),
            )
        })
        .collect()
}

/// Reference spike steps of a Rockpool `*_spikes.csv`.
fn ref_spike_steps(name: &str) -> Vec<u64> {
    let text =
        std::fs::read_to_string(manifest_dir().join("tests/data/dynapsim").join(name)).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').next().unwrap().trim().parse().unwrap())
        .collect()
}

fn assert_steps_close(got: &[u64], want: &[u64], what: &str) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: {} spikes, reference {}\n got {got:?}\nwant {want:?}",
        got.len(),
        want.len()
    );
    for (&g, &w) in got.iter().zip(want) {
        assert!(
            g.abs_diff(w) <= 1,
            "{what}: step {g} vs reference {w}\n got {got:?}\nwant {want:?}"
        );
    }
}

/// Spike steps of `population` in a `spikes.csv` written at step `dt`.
fn spike_steps(csv: &str, population: &str, dt: f64) -> Vec<u64> {
    read_spikes(csv)
        .into_iter()
        .filter(|(_, p, _)| p == population)
        .map(|(t, _, _)| (t / dt).round() as u64)
        .collect()
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.len() > 1000 && bytes.starts_with(PNG_SIGNATURE),
        "{} is not a PNG ({} bytes)",
        path.display(),
        bytes.len()
    );
}

fn assert_svg(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        text.contains("<svg") && text.trim_end().ends_with("</svg>"),
        "{} is not a complete SVG",
        path.display()
    );
}

fn no_temp_files(dir: &TempDir) {
    let tmp: Vec<String> = dir
        .files()
        .into_iter()
        .filter(|f| f.contains(".tmp"))
        .collect();
    assert!(
        tmp.is_empty(),
        "temporary files left in {}: {tmp:?}",
        dir.s()
    );
}

// ---------------------------------------------------------------------------------------------
// mixsig sim
// ---------------------------------------------------------------------------------------------

#[test]
fn sim_without_file_runs_the_embedded_network_and_writes_every_output() {
    let out = TempDir::new("sim-default");
    let r = mixsig(&["sim", "--out", out.s(), "--duration", "50 ms"]);
    assert!(r.ok(), "{r}");

    let spikes = out.read("spikes.csv");
    let rows = read_spikes(&spikes);
    assert!(!rows.is_empty(), "no spikes in 50 ms of the E/I network");
    assert!(
        rows.windows(2).all(|w| w[0].0 <= w[1].0),
        "spikes in time order"
    );
    assert!(rows.iter().all(|(t, _, _)| *t >= 0.0 && *t < 0.05));

    let traces = out.read("traces.csv");
    let header = traces.lines().next().unwrap();
    assert!(header.starts_with("t_s"), "{header}");
    let n_cols = header.split(',').count();
    assert!(n_cols > 1, "the example records state: {header}");
    let data: Vec<&str> = traces.lines().skip(1).filter(|l| !l.is_empty()).collect();
    assert_eq!(data.len(), 500, "5000 steps at stride 10");
    for l in &data {
        let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
        assert_eq!(f.len(), n_cols);
        assert!(f.iter().all(|x| x.is_finite()));
    }

    let summary: serde_json::Value = serde_json::from_str(&out.read("summary.json")).unwrap();
    assert!(
        summary["neuron_steps_per_s"].as_f64().unwrap() > 0.0,
        "{summary}"
    );
    assert_eq!(summary["steps"].as_u64(), Some(5000), "{summary}");
    assert!((summary["duration_s"].as_f64().unwrap() - 0.05).abs() < 1e-9);
    assert!((summary["dt_s"].as_f64().unwrap() - 1e-5).abs() < 1e-15);
    assert_eq!(summary["neurons"].as_u64(), Some(250));
    let pops = summary["populations"].as_array().expect("populations");
    let names: Vec<&str> = pops.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["input", "exc", "inh"]);
    for p in pops {
        let name = p["name"].as_str().unwrap();
        let rate = p["mean_rate_hz"].as_f64().expect("mean_rate_hz");
        let count = p["spike_count"].as_u64().expect("spike_count");
        let size = p["size"].as_u64().expect("size");
        assert!(rate.is_finite() && rate >= 0.0, "{p}");
        assert!(
            (rate - count as f64 / (size as f64 * 0.05)).abs() < 1e-6 * rate.max(1.0),
            "{p}"
        );
        let in_csv = rows.iter().filter(|(_, n, _)| n == name).count() as u64;
        assert_eq!(in_csv, count, "{name}: spikes.csv rows vs summary count");
    }
    assert!(
        pops[0]["mean_rate_hz"].as_f64().unwrap() > 5.0,
        "20 Hz Poisson input"
    );
    for f in summary["files"].as_array().unwrap() {
        assert!(
            Path::new(f.as_str().unwrap()).is_file(),
            "listed file {f} missing"
        );
    }

    for stem in ["raster", "traces"] {
        assert_svg(&out.join(&format!("{stem}.svg")));
        assert_png(&out.join(&format!("{stem}.png")));
    }
    no_temp_files(&out);
    assert!(
        r.stdout.contains("exc"),
        "human summary names populations: {r}"
    );
}

#[test]
fn sim_reproduces_the_rockpool_synaptic_train_through_a_network_file() {
    let out = TempDir::new("sim-syn-train");
    let r = mixsig(&["sim", &fixture("dynapsim_syn_train.toml"), "--out", out.s()]);
    assert!(r.ok(), "{r}");
    let spikes = out.read("spikes.csv");
    let input = spike_steps(&spikes, "train", 1e-5);
    assert_eq!(input, (1..=30).map(|k| k * 1000).collect::<Vec<u64>>());
    assert_steps_close(
        &spike_steps(&spikes, "neuron", 1e-5),
        &ref_spike_steps("syn_train_100Hz_w1_spikes.csv"),
        "dynapsim_syn_train.toml",
    );
}

#[test]
fn sim_dynapsim_example_matches_the_reference() {
    let out = TempDir::new("sim-dynapsim-example");
    let r = mixsig(&[
        "sim",
        "examples/networks/dynapsim_single.toml",
        "--out",
        out.s(),
    ]);
    assert!(r.ok(), "{r}");
    let spikes = out.read("spikes.csv");
    assert_steps_close(
        &spike_steps(&spikes, "neuron", 1e-5),
        &ref_spike_steps("syn_train_100Hz_w1_spikes.csv"),
        "examples/networks/dynapsim_single.toml",
    );
}

#[test]
fn sim_precision_f32_matches_the_reference_and_says_so() {
    // The Rockpool reference (float32 itself) through the f32 state: the same spike steps as the
    // f64 default, to the tolerance of assert_steps_close; the summary names the precision.
    let out = TempDir::new("sim-dynapsim-f32");
    let r = mixsig(&[
        "sim",
        "examples/networks/dynapsim_single.toml",
        "--out",
        out.s(),
        "--precision",
        "f32",
    ]);
    assert!(r.ok(), "{r}");
    assert_steps_close(
        &spike_steps(&out.read("spikes.csv"), "neuron", 1e-5),
        &ref_spike_steps("syn_train_100Hz_w1_spikes.csv"),
        "dynapsim_single.toml --precision f32",
    );
    assert!(
        out.read("summary.json").contains("\"precision\": \"f32\""),
        "summary: {}",
        out.read("summary.json")
    );
    let bad = mixsig(&["sim", "--precision", "f16"]);
    assert!(!bad.ok() && bad.stderr.contains("f16"), "{bad}");
}

#[test]
fn sim_dynapsim_example_runs_and_its_first_spikes_match_the_reference() {
    // A shorter run (--duration overrides the file) keeps the reference's spikes up to 300 ms.
    let out = TempDir::new("sim-dynapsim-300");
    let r = mixsig(&[
        "sim",
        "examples/networks/dynapsim_single.toml",
        "--out",
        out.s(),
        "--duration",
        "300 ms",
    ]);
    assert!(r.ok(), "{r}");
    let want: Vec<u64> = ref_spike_steps("syn_train_100Hz_w1_spikes.csv")
        .into_iter()
        .filter(|&k| k < 30_000)
        .collect();
    assert_steps_close(
        &spike_steps(&out.read("spikes.csv"), "neuron", 1e-5),
        &want,
        "dynapsim_single.toml, first 300 ms",
    );
    // stride = 1 in the example: one traces.csv row per step.
    assert_eq!(out.read("traces.csv").lines().count(), 1 + 30_000);
}

#[test]
fn sim_schedule_prints_the_step_order_and_writes_nothing() {
    let out = TempDir::new("sim-schedule");
    let r = mixsig(&[
        "sim",
        "examples/networks/ei_balanced.toml",
        "--schedule",
        "--out",
        out.s(),
    ]);
    assert!(r.ok(), "{r}");
    for s in ["`input`", "`exc`", "`inh`", "delay 100 steps", "1. ", "5. "] {
        assert!(r.stdout.contains(s), "schedule lacks {s:?}:\n{}", r.stdout);
    }
    assert!(!out.path().exists(), "--schedule must not write outputs");
}

// ---------------------------------------------------------------------------------------------
// mixsig fi
// ---------------------------------------------------------------------------------------------

fn read_fi(text: &str) -> Vec<(f64, f64, u64, Option<f64>)> {
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("idc_a,rate_hz,spike_count,first_spike_s")
    );
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "fi.csv row {l:?}");
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                if f[3].is_empty() {
                    None
                } else {
                    Some(f[3].parse().unwrap())
                },
            )
        })
        .collect()
}

#[test]
fn fi_default_writes_fifteen_monotone_levels() {
    let out = TempDir::new("fi-default");
    let r = mixsig(&["fi", "--out", out.s()]);
    assert!(r.ok(), "{r}");
    let rows = read_fi(&out.read("fi.csv"));
    assert_eq!(rows.len(), 15);
    assert!((rows[0].0 - 1e-11).abs() < 1e-20 && (rows[14].0 - 1e-7).abs() < 1e-16);
    assert!(rows.windows(2).all(|w| w[0].0 < w[1].0), "levels increase");
    assert!(
        rows.windows(2).all(|w| w[0].1 <= w[1].1),
        "rates must not decrease: {rows:?}"
    );
    assert!(rows[14].1 > 10.0, "the top level fires: {rows:?}");
    for (_, rate, count, first) in &rows {
        assert!(
            (rate - *count as f64 / 1.0).abs() < 1e-9,
            "rate = count / 1 s"
        );
        assert_eq!(first.is_some(), *count > 0);
    }
    assert_svg(&out.join("fi.svg"));
    assert_png(&out.join("fi.png"));
    no_temp_files(&out);
}

#[test]
fn fi_dynapsim_medium_dc_gives_the_reference_count() {
    let out = TempDir::new("fi-dc-medium");
    let r = mixsig(&[
        "fi",
        "--model",
        "dynapsim",
        "--idc",
        "5e-10",
        "--duration",
        "0.5s",
        "--out",
        out.s(),
    ]);
    assert!(r.ok(), "{r}");
    let rows = read_fi(&out.read("fi.csv"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].2, 16, "dc_medium: 16 spikes in 0.5 s ({rows:?})");
    assert!((rows[0].1 - 32.0).abs() < 1e-9);
    // First spike at step 3019 of the reference.
    let first = rows[0].3.expect("fires");
    assert!(
        (first / 1e-5 - 3019.0).abs() <= 1.0,
        "first spike {first} s"
    );
}

#[test]
fn fi_dynapsim_matches_the_reference_curve() {
    let text =
        std::fs::read_to_string(manifest_dir().join("tests/data/dynapsim/fI_curve_dt1e-5.csv"))
            .unwrap();
    let reference: Vec<(String, u64)> = text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].parse().unwrap())
        })
        .collect();
    assert_eq!(reference.len(), 15);
    let levels = reference
        .iter()
        .map(|r| r.0.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let out = TempDir::new("fi-ref");
    let r = mixsig(&[
        "fi",
        "--model",
        "dynapsim",
        "--idc",
        &levels,
        "--dt",
        "10us",
        "--out",
        out.s(),
    ]);
    assert!(r.ok(), "{r}");
    let rows = read_fi(&out.read("fi.csv"));
    assert_eq!(rows.len(), 15);
    for (row, (level, want)) in rows.iter().zip(&reference) {
        let idc: f64 = level.parse().unwrap();
        assert!((row.0 - idc).abs() <= 1e-9 * idc, "{} vs {level}", row.0);
        let tol = (0.01 * *want as f64).max(1.0);
        assert!(
            (row.2 as f64 - *want as f64).abs() <= tol,
            "Idc {level}: {} spikes in 1 s, reference {want}",
            row.2
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------------

#[test]
fn fi_unknown_parameter_lists_the_valid_names() {
    let out = TempDir::new("fi-bogus");
    let r = mixsig(&["fi", "--set", "i_bogus=1", "--out", out.s()]);
    assert!(!r.ok(), "{r}");
    for s in [
        "i_bogus",
        "valid names",
        "i_tau_mem",
        "c_mem",
        "i_gain_ampa",
    ] {
        assert!(r.stderr.contains(s), "stderr lacks {s:?}: {r}");
    }
    assert!(!out.path().exists(), "nothing written on a failing run");
}

#[test]
fn fi_wrong_unit_names_the_unit() {
    let out = TempDir::new("fi-unit");
    let r = mixsig(&["fi", "--set", "c_mem=3ms", "--out", out.s()]);
    assert!(!r.ok(), "{r}");
    for s in ["c_mem", "\"ms\"", "capacitance"] {
        assert!(r.stderr.contains(s), "stderr lacks {s:?}: {r}");
    }
    let r = mixsig(&["fi", "--set", "c_mem=-3pF", "--out", out.s()]);
    assert!(!r.ok(), "{r}");
    assert!(
        r.stderr.contains("c_mem") && r.stderr.contains("> 0"),
        "{r}"
    );
    assert!(!out.path().exists(), "nothing written on a failing run");
}

#[test]
fn sim_missing_file_names_the_file() {
    let out = TempDir::new("sim-missing");
    let r = mixsig(&["sim", "missing.toml", "--out", out.s()]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(r.stderr.contains("missing.toml"), "{r}");
    assert!(!out.path().exists(), "nothing written on a failing run");
}

#[test]
fn sim_malformed_file_reports_file_and_line_and_writes_nothing() {
    for (name, line, key) in [
        ("bad_wrong_unit.toml", 7, "c_mem"),
        ("bad_missing_weight.toml", 12, "weight"), // located at `from`: weight is optional for tables
        ("bad_dangling_reference.toml", 13, "ghost"),
        // Semantic: only the engine knows dynapsim has one synapse, yet the file error is located.
        ("bad_dynapsim_nmda.toml", 16, "projection[1].synapse"),
    ] {
        let out = TempDir::new("sim-bad");
        let path = fixture(name);
        let r = mixsig(&["sim", &path, "--out", out.s()]);
        assert_eq!(r.code, Some(1), "{name}: {r}");
        assert!(r.stderr.contains(&format!("{path}:{line}:")), "{name}: {r}");
        assert!(r.stderr.contains(key), "{name}: {r}");
        assert!(
            !out.path().exists(),
            "{name}: nothing may be written: {:?}",
            out.files()
        );
    }
}

#[test]
fn sim_rejects_non_positive_dt() {
    let out = TempDir::new("sim-dt");
    for args in [
        vec!["sim", "--dt", "-1"],
        vec!["sim", "--dt=-1"],
        vec!["sim", "--dt", "0 us"],
        vec!["sim", "--dt", "10 pA"],
        vec!["sim", "--duration", "-5 ms"],
    ] {
        let mut a = args.clone();
        a.extend(["--out", out.s()]);
        let r = mixsig(&a);
        assert!(!r.ok(), "{args:?} should fail: {r}");
        assert!(!r.stderr.is_empty(), "{args:?}: no message");
        assert!(!out.path().exists(), "{args:?}: nothing may be written");
    }
    let r = mixsig(&["sim", "--dt=-1", "--out", out.s()]);
    assert!(r.stderr.contains("must be > 0"), "{r}");
}

#[test]
fn failing_write_leaves_no_temporary_files() {
    // traces.csv is a directory: writing spikes.csv works, renaming onto traces.csv fails.
    let out = TempDir::new("sim-write-fail");
    std::fs::create_dir_all(out.join("traces.csv")).unwrap();
    let r = mixsig(&[
        "sim",
        "examples/networks/dynapsim_single.toml",
        "--duration",
        "10 ms",
        "--out",
        out.s(),
    ]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(r.stderr.contains("traces.csv"), "{r}");
    no_temp_files(&out);
    // What was written is complete.
    let spikes = out.read("spikes.csv");
    assert!(spikes.starts_with("t_s,population,neuron\n"));
}

#[test]
fn failing_write_reports_the_file_and_exits_non_zero() {
    let out = TempDir::new("sim-write-fail2");
    std::fs::create_dir_all(out.join("summary.json")).unwrap();
    let r = mixsig(&[
        "sim",
        "examples/networks/dynapsim_single.toml",
        "--duration",
        "10 ms",
        "--out",
        out.s(),
    ]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(r.stderr.contains("summary.json"), "{r}");
}

#[test]
fn write_error_prints_its_cause_once() {
    let out = TempDir::new("sim-write-fail3");
    std::fs::create_dir_all(out.join("spikes.csv")).unwrap();
    let r = mixsig(&[
        "sim",
        "examples/networks/dynapsim_single.toml",
        "--duration",
        "10 ms",
        "--out",
        out.s(),
    ]);
    assert_eq!(r.code, Some(1), "{r}");
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("spikes.csv"))
        .unwrap_or("");
    let n = line.matches("os error").count();
    assert_eq!(n, 1, "the OS error should be printed once: {line}");
}

#[test]
fn a_duration_shorter_than_one_step_is_an_error_not_nan() {
    // `fi --dt 1s --duration 0.5s` used to print NaN rates and exit 0; a sweep of it crashed on
    // its own log.
    let d = TempDir::new("cli-no-step");
    for args in [
        vec!["sim", "--duration", "50us", "--dt", "100us"],
        vec!["fi", "--duration", "0.5s", "--dt", "1s"],
        vec![
            "robustness",
            "--experiment",
            "fi",
            "--duration",
            "0.5s",
            "--dt",
            "1s",
            "--instances",
            "2",
        ],
    ] {
        let out = d.join(args[0]);
        let r = mixsig(&[&args[..], &["--out", out.to_str().unwrap()][..]].concat());
        assert_eq!(r.code, Some(1), "{args:?}: {r}");
        assert!(
            r.stderr.contains("is shorter than one time step"),
            "{args:?}: {r}"
        );
        assert!(!out.exists(), "{args:?}: nothing written");
    }
}

#[test]
fn an_out_that_is_a_file_is_refused_before_any_work() {
    let dir = TempDir::new("cli-out-file");
    std::fs::create_dir_all(dir.path()).unwrap();
    let file = dir.join("afile");
    std::fs::write(&file, "keep me").unwrap();
    let f = file.to_str().unwrap();
    for cmd in [
        vec!["sim"],
        vec!["fi"],
        vec!["chip", "show", "dynapse2"],
        vec!["chip", "sample"],
        vec!["chip", "bias"],
        vec!["robustness", "--instances", "1", "--scales", "1"],
        vec!["compare", "--instances", "1"],
        vec!["tune", "--dies", "1"],
        vec!["merge", "nowhere"],
        vec!["train"],
    ] {
        let r = mixsig(&[&cmd[..], &["--out", f]].concat());
        assert_eq!(r.code, Some(1), "{cmd:?}: {r}");
        assert!(
            r.stderr
                .contains(&format!("--out {f}: `{f}` exists and is not a directory")),
            "{cmd:?}: {r}"
        );
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}
