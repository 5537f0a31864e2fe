//! F–I curves on chip profiles: every shipped profile loads, validates and runs `fi`; the `ideal`
//! profile reproduces the ideal circuits exactly; the median and 5–95% band over dynapse2 dies are
//! meaningful and deterministic (same result twice, on 1 and 2 threads); and `mixsig fi --profile`
//! end to end, including its failures.
//!
//! The binary harness (`mixsig_bin`, `TempDir`) is the one of `tests/cli.rs`: it builds
//! `mixsig-cli` for the profile of this test executable first; set `MIXSIG_BIN` to test a given
//! binary.

use std::path::PathBuf;
use std::sync::Arc;

use mixsig::chip::profile::BUILTIN as BUILTIN_PROFILES;
use mixsig::chip::{BiasSettings, ChipInstance, ChipProfile};
use mixsig::circuits::Feedback;
use mixsig::engine::spec::ModelKind;
use mixsig::lab::fi::{self, FiDies};

mod common;
use common::*;

const DT: f64 = 1e-5;
const PHYSICAL: ModelKind = ModelKind::Physical(Feedback::Exponential);

/// The shipped profile files, `chip-profiles/*.toml`, as (name, path), sorted.
fn shipped_profiles() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(manifest_dir().join("chip-profiles"))
        .expect("chip-profiles/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    v.sort();
    v
}

fn dies_of(profile: &ChipProfile, first: u64, n: usize) -> Vec<Arc<ChipInstance>> {
    fi::sample_dies(profile, &BiasSettings::from_profile(profile), first, n).expect("sample dies")
}

fn median_of(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        0.5 * (xs[n / 2 - 1] + xs[n / 2])
    }
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()),
        "{what}: {a} vs {b}"
    );
}

// ---------------------------------------------------------------------------------------------
// Library
// ---------------------------------------------------------------------------------------------

#[test]
fn percentiles_interpolate_linearly_between_order_statistics() {
    // NumPy: np.percentile([4, 1, 3, 2], [5, 50, 95]) == [1.15, 2.5, 3.85].
    let (p05, p50, p95) = fi::percentiles(&[4.0, 1.0, 3.0, 2.0]);
    assert!((p05 - 1.15).abs() < 1e-12, "{p05}");
    assert!((p50 - 2.5).abs() < 1e-12, "{p50}");
    assert!((p95 - 3.85).abs() < 1e-12, "{p95}");
    let xs: Vec<f64> = (0..=20).rev().map(f64::from).collect();
    assert_eq!(fi::percentiles(&xs), (1.0, 10.0, 19.0));
    assert_eq!(fi::percentiles(&[7.0]), (7.0, 7.0, 7.0));
    // Ties stay exact (no rounding puts p05 above the median).
    let r = 4.0 / 0.3;
    assert_eq!(fi::percentiles(&[r, r, r]), (r, r, r));
    assert!(fi::percentiles(&[]).1.is_nan());
    assert_eq!(fi::quantile(&[3.0, 1.0, 2.0], 0.25), 1.5);
}

#[test]
fn every_shipped_profile_loads_validates_and_runs_fi() {
    let shipped = shipped_profiles();
    let names: Vec<&str> = shipped.iter().map(|(n, _)| n.as_str()).collect();
    let mut builtin = BUILTIN_PROFILES.to_vec();
    builtin.sort();
    assert_eq!(
        names, builtin,
        "chip-profiles/*.toml and the built-in list differ"
    );
    let levels = [1e-10, 1e-9, 1e-8, 1e-7];
    for (name, path) in &shipped {
        let from_file = ChipProfile::load(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let builtin = ChipProfile::builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(from_file.name, *name);
        assert_eq!(
            (&from_file.architecture, &from_file.default_biases),
            (&builtin.architecture, &builtin.default_biases),
            "{name}: the embedded copy differs from the file"
        );
        let dies = dies_of(&builtin, 0, 3);
        let r = fi::fi_dies(PHYSICAL, &dies, &levels, DT, 0.3)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.seeds, vec![0, 1, 2]);
        assert_eq!(r.per_die.len(), 3);
        for (s, l) in r.summary.iter().zip(levels) {
            assert_eq!(s.idc_a, l);
            assert_eq!(s.n_instances, 3);
            for v in [s.rate_hz, s.rate_p05_hz, s.rate_p95_hz, s.spike_count] {
                assert!(v.is_finite() && v >= 0.0, "{name}: {s:?}");
            }
            assert!(
                s.rate_p05_hz <= s.rate_hz && s.rate_hz <= s.rate_p95_hz,
                "{name}: {s:?}"
            );
        }
        assert!(
            r.summary.windows(2).all(|w| w[0].rate_hz <= w[1].rate_hz),
            "{name}: median rate decreases with I_dc: {:?}",
            r.summary
        );
        assert!(
            r.summary[3].rate_hz > 10.0,
            "{name}: the neuron should fire at 100 nA: {:?}",
            r.summary
        );
    }
}

#[test]
fn ideal_profile_reproduces_the_ideal_circuits_exactly() {
    let ideal = ChipProfile::builtin("ideal").unwrap();
    let nominal = ideal.nominal_params();
    // `ideal` is the algorithmic reference: its nominal neuron is the no-profile default, so
    // `mixsig fi --profile ideal` reproduces plain `mixsig fi`.
    assert_eq!(nominal, mixsig::circuits::NeuronParams::default());
    let levels = fi::default_levels();
    for model in [PHYSICAL, ModelKind::Dynapsim] {
        let want = fi::fi_curve(model, &[nominal], &levels, DT, 0.3).unwrap();
        assert!(
            want.iter().filter(|p| p.spike_count > 0).count() >= 5,
            "{model:?}: the comparison must include firing levels: {want:?}"
        );
        // No mismatch, exact biases, no noise: every die is the nominal neuron.
        for seed in [0, 7] {
            let die = &dies_of(&ideal, seed, 1)[0];
            assert_eq!(die.neuron_params(0, 0), nominal, "die {seed}");
            let got = fi::fi_curve_on_die(model, die, &levels, DT, 0.3).unwrap();
            assert_eq!(got, want, "{model:?}, die {seed}");
        }
    }
}

#[test]
fn ideal_profile_with_a_set_bias_matches_the_set_parameter() {
    // The exact generator realizes any target: --set i_tau_mem=5pA on `ideal` is the ideal neuron
    // with i_tau_mem = 5 pA.
    let ideal = ChipProfile::builtin("ideal").unwrap();
    let b = fi::chip_biases(&ideal, &[("i_tau_mem".into(), 5e-12)]).unwrap();
    let die = &fi::sample_dies(&ideal, &b, 0, 1).unwrap()[0];
    let mut p = ideal.nominal_params();
    p.i_tau_mem = 5e-12;
    let levels = [1e-10, 1e-9, 1e-8];
    let want = fi::fi_curve(PHYSICAL, &[p], &levels, DT, 0.3).unwrap();
    assert_eq!(
        fi::fi_curve_on_die(PHYSICAL, die, &levels, DT, 0.3).unwrap(),
        want
    );
    let default = fi::fi_curve(PHYSICAL, &[ideal.nominal_params()], &levels, DT, 0.3).unwrap();
    assert_ne!(want, default, "the bias must change the curve");
}

#[test]
fn chip_biases_reject_parameters_fixed_by_the_profile() {
    let p = ChipProfile::builtin("dynapse2").unwrap();
    for name in ["c_mem", "kappa_n", "u_t", "i_a_gain"] {
        let e = fi::chip_biases(&p, &[(name.into(), 1e-12)])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(name) && e.contains("dynapse2") && e.contains("i_tau_mem"),
            "{e}"
        );
    }
    let e = fi::chip_biases(&p, &[("i_dc".into(), 1e-9)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("i_dc") && e.contains("--idc"), "{e}");
    let b = fi::chip_biases(&p, &[("i_gain_mem".into(), 2e-11)]).unwrap();
    assert!(b.per_core.iter().all(|c| c.contains_key("SOIF_GAIN_N")));
    assert!(matches!(
        fi::fi_dies(PHYSICAL, &[], &[1e-9], DT, 0.1),
        Err(fi::FiError::NoDies)
    ));
}

fn dynapse2_20_dies() -> FiDies {
    let p = ChipProfile::builtin("dynapse2").unwrap();
    let dies = dies_of(&p, 0, 20);
    fi::fi_dies(PHYSICAL, &dies, &[1e-10, 1e-9, 1e-8], DT, 0.3).unwrap()
}

#[test]
fn dynapse2_band_over_20_dies_is_wide_contains_the_median_and_is_deterministic() {
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let r = pool(2).install(dynapse2_20_dies);
    assert_eq!(r.seeds, (0..20).collect::<Vec<u64>>());
    let mut wide = false;
    for (l, s) in r.summary.iter().enumerate() {
        assert_eq!(s.n_instances, 20);
        assert!(
            s.rate_p05_hz <= s.rate_hz && s.rate_hz <= s.rate_p95_hz,
            "{s:?}"
        );
        // The median is the mean of the 10th and 11th of the 20 sorted rates.
        let rates: Vec<f64> = r.per_die.iter().map(|c| c[l].rate_hz).collect();
        close(s.rate_hz, median_of(rates.clone()), &format!("level {l}"));
        let lo = rates.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = rates.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert!(lo <= s.rate_p05_hz && s.rate_p95_hz <= hi, "{s:?}");
        let fired: Vec<f64> = r
            .per_die
            .iter()
            .filter_map(|c| c[l].first_spike_s)
            .collect();
        assert_eq!(s.n_fired, fired.len());
        assert_eq!(
            s.first_spike_s,
            (!fired.is_empty()).then(|| median_of(fired))
        );
        if s.rate_hz > 10.0 {
            assert!(
                s.rate_p95_hz > s.rate_p05_hz,
                "mismatch must spread the rates at {} A: {s:?}",
                s.idc_a
            );
            wide = true;
        }
    }
    assert!(wide, "some level must fire above 10 Hz: {:?}", r.summary);
    assert_eq!(pool(2).install(dynapse2_20_dies), r, "not reproducible");
    assert_eq!(
        pool(1).install(dynapse2_20_dies),
        r,
        "depends on the thread count"
    );
}

#[test]
fn a_die_depends_only_on_its_seed() {
    let p = ChipProfile::builtin("dynapse2").unwrap();
    let levels = [1e-9, 1e-8];
    let all = fi::fi_dies(PHYSICAL, &dies_of(&p, 0, 4), &levels, DT, 0.2).unwrap();
    let two = fi::fi_dies(PHYSICAL, &dies_of(&p, 2, 2), &levels, DT, 0.2).unwrap();
    assert_eq!(two.seeds, vec![2, 3]);
    assert_eq!(two.per_die[..], all.per_die[2..]);
    assert_ne!(all.per_die[0], all.per_die[1], "dies differ");
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

/// CSV text as (header, rows of fields).
fn csv(text: &str) -> (String, Vec<Vec<String>>) {
    let mut lines = text.lines().filter(|l| !l.is_empty());
    let header = lines.next().expect("header").to_string();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn f(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

#[test]
fn cli_fi_on_dynapse2_dies_writes_the_band_and_every_die() {
    let out = TempDir::new("band");
    let r = mixsig(&[
        "fi",
        "--profile",
        "dynapse2",
        "--instances",
        "5",
        "--duration",
        "0.2s",
        "--idc",
        "1nA,10nA",
        "--out",
        out.s(),
    ]);
    assert!(r.ok(), "{r}");
    let (h, rows) = csv(&out.read("fi.csv"));
    assert_eq!(
        h,
        "idc_a,rate_hz,spike_count,first_spike_s,rate_p05_hz,rate_p95_hz,n_instances"
    );
    assert_eq!(rows.len(), 2);
    let (hi, per) = csv(&out.read("fi_instances.csv"));
    assert_eq!(hi, "instance,idc_a,rate_hz,spike_count,first_spike_s");
    assert_eq!(per.len(), 10);
    let seeds: Vec<&str> = per.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(seeds, ["0", "0", "1", "1", "2", "2", "3", "3", "4", "4"]);
    for (l, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), 7, "{row:?}");
        assert_eq!(row[6], "5");
        let idc = f(&row[0]);
        assert!((idc - [1e-9, 1e-8][l]).abs() < 1e-9 * idc, "{row:?}");
        let rates: Vec<f64> = per.iter().skip(l).step_by(2).map(|r| f(&r[2])).collect();
        assert_eq!(
            f(&row[1]),
            median_of(rates.clone()),
            "median over dies: {row:?}"
        );
        let (p05, p95) = (f(&row[4]), f(&row[5]));
        assert!(p05 <= f(&row[1]) && f(&row[1]) <= p95, "{row:?}");
        assert!(f(&row[1]) > 10.0, "fires at {idc} A: {row:?}");
        // 5 dies: p05 is 20% of the way from the lowest to the second-lowest rate.
        let mut s = rates.clone();
        s.sort_by(f64::total_cmp);
        assert!(
            (p05 - (0.8 * s[0] + 0.2 * s[1])).abs() < 1e-9,
            "{row:?} {s:?}"
        );
        assert!(
            (f(&row[2]) - f(&row[1]) * 0.2).abs() < 1e-9,
            "count = rate * 0.2 s"
        );
    }
    for ext in ["svg", "png"] {
        assert!(out.join(&format!("fi.{ext}")).is_file(), "fi.{ext} missing");
    }
    assert!(r.stdout.contains("p05") && r.stdout.contains("p95"), "{r}");
    assert_eq!(
        out.files(),
        ["fi.csv", "fi.png", "fi.svg", "fi_instances.csv"],
        "exactly these outputs, no temporary files"
    );

    // A later first seed picks the same dies.
    let out2 = TempDir::new("band-seed");
    let r = mixsig(&[
        "fi",
        "--profile",
        "dynapse2",
        "--instance",
        "3",
        "--instances",
        "2",
        "--duration",
        "0.2s",
        "--idc",
        "1nA,10nA",
        "--out",
        out2.s(),
    ]);
    assert!(r.ok(), "{r}");
    let (_, per2) = csv(&out2.read("fi_instances.csv"));
    assert_eq!(per2[..], per[6..], "--instance 3 must give dies 3 and 4");
}

#[test]
fn cli_fi_set_bias_prints_the_achieved_current() {
    let out = TempDir::new("set");
    let r = mixsig(&[
        "fi",
        "--profile",
        "dynapse2",
        "--set",
        "i_tau_mem=3pA",
        "--duration",
        "0.1s",
        "--idc",
        "1nA",
        "--out",
        out.s(),
    ]);
    assert!(r.ok(), "{r}");
    assert!(
        r.stdout.contains("i_tau_mem")
            && r.stdout.contains("SOIF_LEAK_N")
            && r.stdout.contains("achieved"),
        "{r}"
    );
    let (h, rows) = csv(&out.read("fi.csv"));
    assert!(
        h.ends_with("n_instances") && rows.len() == 1 && rows[0][6] == "1",
        "{h} {rows:?}"
    );
}

#[test]
fn cli_fi_profile_failures_name_the_culprit() {
    let out = TempDir::new("fail");
    let cases: [(&[&str], &[&str]); 5] = [
        (
            &["--set", "c_mem=3pF", "--profile", "dynapse2"],
            &["c_mem", "dynapse2"],
        ),
        (&["--instances", "3"], &["--profile"]),
        (
            &["--profile", "dynapse2", "--instances", "0"],
            &["--instances"],
        ),
        (&["--profile", "dynapse3"], &["dynapse3", "ideal, dynapse2"]),
        (
            &["--profile", "tests/no-such-profile.toml"],
            &["no-such-profile.toml"],
        ),
    ];
    for (args, needles) in cases {
        let mut a = vec![
            "fi",
            "--duration",
            "0.05s",
            "--idc",
            "1nA",
            "--out",
            out.s(),
        ];
        a.extend_from_slice(args);
        let r = mixsig(&a);
        assert_eq!(r.code, Some(1), "{args:?}: {r}");
        for n in needles {
            assert!(r.stderr.contains(n), "{args:?}: stderr lacks {n:?}: {r}");
        }
        assert!(
            !out.path().exists(),
            "{args:?}: nothing written on a failing run"
        );
    }
    // A malformed profile file: the profile error, with file and line.
    let bad = std::env::temp_dir().join(format!("mixsig-fi-bad-{}.toml", std::process::id()));
    std::fs::write(&bad, "[profile]\nname = 3\n").unwrap();
    let r = mixsig(&["fi", "--profile", bad.to_str().unwrap(), "--out", out.s()]);
    let _ = std::fs::remove_file(&bad);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(
        r.stderr.contains("mixsig-fi-bad") && r.stderr.contains(":2"),
        "{r}"
    );
    assert!(!out.path().exists());
}
