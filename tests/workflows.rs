//! The three user workflows: `robustness` / `compare` sweeps (determinism across thread counts and
//! shards, resume after an interrupted run, merge), `tune` (every in-range dynapse2 target reached
//! within the generator's quantization step on the nominal die; the bias file it writes is read back),
//! and clear errors for bad targets files and bad shard specs.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{mixsig, TempDir};
use mixsig::chip::ChipProfile;
use mixsig::lab::sweep::{self, Experiment, FiExperiment, Plan, RunOptions, TrialRecord};
use mixsig::lab::trials::Shard;
use mixsig::lab::tune::{self, targets, TuneOptions};

/// A fast plan: one neuron's rate on 6 dies at three mismatch scales.
fn fi_plan() -> Plan {
    Plan {
        experiment: Experiment::Fi(FiExperiment {
            idc: 1e-9,
            duration: 0.2,
            ..FiExperiment::default()
        }),
        profiles: vec!["dynapse2".into()],
        scales: vec![0.0, 1.0, 2.0],
        instances: 6,
        first_instance: 3,
        threshold: Some(40.0),
        lower_is_better: false,
        inputs: None,
    }
}

fn run_in(plan: &Plan, out: &Path, shard: Shard, resume: bool) -> sweep::SweepOutcome {
    let ro = RunOptions {
        shard,
        resume,
        out: out.to_path_buf(),
        ..RunOptions::default()
    };
    sweep::run(plan, &ro, |_, _| {}).expect("sweep runs")
}

const RESULT_FILES: &[&str] = &[
    "summary.json",
    "results.csv",
    "percentiles.csv",
    "sensitivity.csv",
    "trials.jsonl",
];

fn assert_same_results(a: &Path, b: &Path) {
    for f in RESULT_FILES {
        let x = std::fs::read_to_string(a.join(f)).unwrap();
        let y = std::fs::read_to_string(b.join(f)).unwrap();
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn sweep_is_identical_on_1_and_2_threads() {
    let plan = fi_plan();
    let mut outs = Vec::new();
    let mut dirs = Vec::new();
    for threads in [1, 2] {
        let d = TempDir::new(&format!("wf-threads{threads}"));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let o = pool.install(|| run_in(&plan, d.path(), Shard::default(), false));
        outs.push(o);
        dirs.push(d);
    }
    assert_eq!(outs[0].records, outs[1].records);
    assert_eq!(outs[0].summary, outs[1].summary);
    assert_same_results(dirs[0].path(), dirs[1].path());
    // The mismatch does something: at scale 0 every die is the same circuit (only shot noise
    // differs), at scale 2 the rates spread.
    let s = outs[0].summary.as_ref().unwrap();
    let spread = |r: &sweep::Row| r.dist.percentiles[4] - r.dist.percentiles[0];
    assert!(spread(&s.rows[2]) > spread(&s.rows[0]), "{:?}", s.rows);
}

#[test]
fn shards_merge_into_exactly_the_unsharded_result() {
    let plan = fi_plan();
    let whole = TempDir::new("wf-whole");
    run_in(&plan, whole.path(), Shard::default(), false);
    let shards: Vec<TempDir> = (1..=3)
        .map(|i| {
            let d = TempDir::new(&format!("wf-shard{i}"));
            let o = run_in(&plan, d.path(), Shard { index: i, count: 3 }, false);
            assert!(o.summary.is_none(), "a shard alone is not the whole plan");
            assert_eq!(o.records.len(), plan.total() / 3);
            d
        })
        .collect();
    let merged = TempDir::new("wf-merged");
    let dirs: Vec<PathBuf> = shards.iter().map(|d| d.path().to_path_buf()).collect();
    let ro = RunOptions {
        out: merged.path().to_path_buf(),
        ..RunOptions::default()
    };
    sweep::merge(&dirs, &ro).expect("merge");
    assert_same_results(whole.path(), merged.path());

    // A missing shard is an error that says what is missing.
    let e = sweep::merge(&dirs[..2], &ro).unwrap_err().to_string();
    assert!(e.contains("missing") && e.contains("of 18"), "{e}");

    // The report kind must fit the shards: these sweep scales (robustness), so a compare report
    // is refused; a compare run's shards (two profiles, one scale) refuse a robustness report.
    let as_compare = RunOptions {
        out: merged.path().join("as-compare"),
        workflow: "compare".into(),
        ..RunOptions::default()
    };
    let e = sweep::merge(&dirs, &as_compare).unwrap_err().to_string();
    assert!(e.contains("--workflow robustness"), "{e}");
    assert!(!merged.path().join("as-compare").exists());
    let cmp = Plan {
        profiles: vec!["dynapse2".into(), "dynapse1".into()],
        scales: vec![1.0],
        instances: 2,
        ..plan.clone()
    };
    let d = TempDir::new("wf-compare-shard");
    run_in(&cmp, d.path(), Shard::default(), false);
    let as_robustness = RunOptions {
        out: merged.path().join("as-robustness"),
        ..RunOptions::default()
    };
    let e = sweep::merge(&[d.path().to_path_buf()], &as_robustness)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("compare 2 profiles") && e.contains("--workflow compare"),
        "{e}"
    );
}

#[test]
fn resume_after_an_interrupted_run_equals_the_uninterrupted_run() {
    let plan = fi_plan();
    let whole = TempDir::new("wf-uninterrupted");
    run_in(&plan, whole.path(), Shard::default(), false);
    // An interrupted run: the plan, 7 finished trials in completion order (here: reversed) and a
    // line cut in the middle of writing.
    let cut = TempDir::new("wf-interrupted");
    std::fs::create_dir_all(cut.path()).unwrap();
    std::fs::copy(whole.join("plan.json"), cut.join("plan.json")).unwrap();
    let lines: Vec<String> = whole
        .read("trials.jsonl")
        .lines()
        .map(String::from)
        .collect();
    let mut partial: String = lines[..7].iter().rev().map(|l| format!("{l}\n")).collect();
    partial.push_str(&lines[7][..lines[7].len() / 2]);
    std::fs::write(cut.join("trials.jsonl"), partial).unwrap();
    let o = run_in(&plan, cut.path(), Shard::default(), true);
    assert_eq!(o.ran, plan.total() - 7, "only the missing trials run again");
    assert_same_results(whole.path(), cut.path());

    // Resuming with other options is refused.
    let mut other = plan.clone();
    other.instances = 5;
    let ro = RunOptions {
        resume: true,
        out: cut.path().to_path_buf(),
        ..RunOptions::default()
    };
    let e = sweep::run(&other, &ro, |_, _| {}).unwrap_err().to_string();
    assert!(e.contains("different options"), "{e}");

    // Resuming another shard's directory (a Slurm task with the wrong ID) would drop its trials
    // from the log: refused, the log left as it was.
    let s1 = TempDir::new("wf-resume-shard");
    run_in(&plan, s1.path(), Shard { index: 1, count: 2 }, false);
    let before = s1.read("trials.jsonl");
    let ro = RunOptions {
        shard: Shard { index: 2, count: 2 },
        resume: true,
        out: s1.path().to_path_buf(),
        ..RunOptions::default()
    };
    let e = sweep::run(&plan, &ro, |_, _| {}).unwrap_err().to_string();
    assert!(e.contains("which is not one of shard 2/2's"), "{e}");
    assert_eq!(s1.read("trials.jsonl"), before);
}

#[test]
fn a_run_told_to_stop_keeps_its_finished_trials_and_resume_finishes_it() {
    // What Ctrl-C in Python does: the progress callback says stop after the 4th trial.
    let plan = fi_plan();
    let whole = TempDir::new("wf-whole-for-stop");
    run_in(&plan, whole.path(), Shard::default(), false);
    let d = TempDir::new("wf-stopped");
    let ro = RunOptions {
        out: d.path().to_path_buf(),
        ..RunOptions::default()
    };
    let e = sweep::run_until(&plan, &ro, |done, _| done < 4).unwrap_err();
    let sweep::SweepError::Interrupted { done, total, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(*total, plan.total());
    // Trials running when it stopped finish (one per thread), none start after it.
    let threads = rayon::current_num_threads();
    assert!((4..4 + threads).contains(done), "{done} of {total}");
    assert!(e.to_string().contains("--resume"), "{e}");
    assert_eq!(d.read("trials.jsonl").lines().count(), *done);
    assert!(!d.join("summary.json").exists());
    let o = run_in(&plan, d.path(), Shard::default(), true);
    assert_eq!(o.ran, plan.total() - done);
    assert_same_results(whole.path(), d.path());
}

#[test]
fn a_tuning_run_told_to_stop_returns_interrupted() {
    let t = tune::load_targets(None).unwrap();
    let opts = TuneOptions {
        dies: 2,
        neurons: 2,
        ..TuneOptions::default()
    };
    let e = tune::tune_until(&t, &opts, |done, _| done < 3).unwrap_err();
    let tune::TuneError::Interrupted { done: 3, total } = e else {
        panic!("{e}")
    };
    assert!(total > 3, "{total} targets");
    let e = tune::tune_until(&t, &opts, |_, _| false).unwrap_err();
    assert!(
        matches!(e, tune::TuneError::Interrupted { done: 1, .. }),
        "{e}"
    );
    // Told to stop only after the last target, the run is complete.
    let all = tune::tune_until(&t, &opts, |d, n| d < n).unwrap();
    assert_eq!(all.tuned.len(), total);
    // More neurons than a core has: the result records the core's 256 that were checked.
    let many = TuneOptions {
        neurons: 1000,
        ..opts
    };
    let r = tune::tune(&t, &many, |_, _| {}).unwrap();
    assert_eq!(r.options.neurons, 256);
}

#[test]
fn a_profile_edited_between_shards_or_before_resume_is_refused() {
    // Shards must be of one design: the plan records what the profile file contains.
    let d = TempDir::new("wf-edited-profile");
    std::fs::create_dir_all(d.path()).unwrap();
    let profile = d.join("my.toml");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("chip-profiles/dynapse2.toml")).unwrap();
    std::fs::write(&profile, &text).unwrap();
    let plan = Plan {
        profiles: vec![profile.display().to_string()],
        scales: vec![1.0],
        instances: 4,
        ..fi_plan()
    };
    let (a, b) = (d.join("s1"), d.join("s2"));
    run_in(&plan, &a, Shard { index: 1, count: 2 }, false);
    std::fs::write(
        &profile,
        text.replacen("cores = 4", "cores = 4 # edited", 1),
    )
    .unwrap();
    run_in(&plan, &b, Shard { index: 2, count: 2 }, false);
    let ro = RunOptions {
        out: d.join("merged"),
        ..RunOptions::default()
    };
    let e = sweep::merge(&[a.clone(), b], &ro).unwrap_err().to_string();
    assert!(e.contains("different contents of the chip profile"), "{e}");
    assert!(!d.join("merged").exists());
    let ro = RunOptions {
        resume: true,
        out: a.clone(),
        shard: Shard { index: 1, count: 2 },
        ..RunOptions::default()
    };
    let e = sweep::run(&plan, &ro, |_, _| {}).unwrap_err().to_string();
    assert!(e.contains("other contents of its chip profile"), "{e}");
}

#[test]
fn a_plan_that_would_count_dies_twice_or_ignore_an_option_is_refused() {
    for (plan, needle) in [
        (
            Plan {
                scales: vec![1.0, 1.0],
                ..fi_plan()
            },
            "mismatch scale 1 is given twice",
        ),
        (
            Plan {
                profiles: vec!["dynapse2".into(), "dynapse2".into()],
                ..fi_plan()
            },
            "profile `dynapse2` is given twice",
        ),
        (
            Plan {
                threshold: None,
                lower_is_better: true,
                ..fi_plan()
            },
            "give a --threshold",
        ),
    ] {
        let e = plan.validate().unwrap_err().to_string();
        assert!(e.contains(needle), "{e}");
    }
    assert!(fi_plan().validate().is_ok());
}

#[test]
fn a_set_bias_outside_the_generator_range_is_a_warning_of_the_run() {
    // `fi` warns about a clamped bias for one die; a sweep clamps it on every die and says so.
    let d = TempDir::new("wf-set-range");
    let with = |value: f64| Plan {
        experiment: Experiment::Fi(FiExperiment {
            idc: 1e-9,
            duration: 0.2,
            sets: vec![("i_tau_mem".into(), value)],
            ..FiExperiment::default()
        }),
        scales: vec![1.0],
        instances: 2,
        ..fi_plan()
    };
    let o = run_in(&with(1.0), &d.join("far"), Shard::default(), false);
    let w = &o.summary.unwrap().warnings;
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("i_tau_mem (SOIF_LEAK_N)") && w[0].contains("outside the generator range"),
        "{w:?}"
    );
    assert!(d
        .read("far/summary.json")
        .contains("outside the generator range"));
    let o = run_in(&with(2e-12), &d.join("near"), Shard::default(), false);
    assert!(o.summary.unwrap().warnings.is_empty());
}

#[test]
fn a_plan_whose_profiles_fail_writes_nothing() {
    // A mismatch scale the profile's bounds refuse, found before plan.json or any profile copy is
    // written (both used to be left behind).
    let d = TempDir::new("wf-bad-scale");
    let plan = Plan {
        scales: vec![1.0, 1e6],
        ..fi_plan()
    };
    let ro = RunOptions {
        out: d.path().to_path_buf(),
        ..RunOptions::default()
    };
    let e = sweep::run(&plan, &ro, |_, _| {}).unwrap_err().to_string();
    assert!(e.contains("mismatch x1000000"), "{e}");
    assert!(!d.path().exists(), "nothing written");
}

#[test]
fn trial_records_carry_what_the_sensitivity_ranking_needs() {
    let plan = fi_plan();
    let d = TempDir::new("wf-features");
    let o = run_in(&plan, d.path(), Shard::default(), false);
    let r: &TrialRecord = &o.records[&7];
    assert_eq!((r.scale, r.instance), (1.0, 4)); // trial 7 = scale index 1, die 1 (seed 3 + 1)
    assert!(r.features.contains_key("c0.i_tau_mem") && r.features.contains_key("c0.SOIF_SPKTHR_P"));
    // At scale 0 every die has the same device factors.
    let f0: Vec<f64> = o
        .records
        .values()
        .filter(|r| r.scale == 0.0)
        .map(|r| r.features["c0.i_tau_mem"])
        .collect();
    assert!(f0.iter().all(|x| *x == f0[0]));
    let html = d.read("report.html");
    assert!(
        html.contains("<svg") && html.contains("Percentiles") && html.contains("mixsig robustness")
    );
}

/// Independent target currents on the nominal die of dynapse2 (scale-0 profile): `C U_T/(kappa T)`
/// for leaks, `V C/T` for pulses, `ratio * I_leak` for gains.
#[test]
fn tune_reaches_every_in_range_dynapse2_target_within_one_quantization_step() {
    let text = r#"
[[core]]
core = 0
tau_mem = "20 ms"
tau_ampa = "3 ms"
tau_nmda = "150 ms"
tau_gaba = "40 ms"
tau_shunt = "1 ms"
tau_ahp = "500 ms"
refractory = "5 ms"
pulse_width = "30 us"
ahp_pulse_width = "50 us"
gain_mem = 2.5
gain_ampa = 7

[[core]]
core = 2
tau_mem = "2 ms"
refractory = "300 us"
pulse_width = "2 us"
tau_ahp = "50 ms"
gain_ahp = 3
tau_nmda = "1000 s"
"#;
    let t = targets::parse(text, "t.toml").unwrap();
    let opts = TuneOptions {
        dies: 8,
        neurons: 4,
        ..TuneOptions::default()
    };
    let r = tune::tune(&t, &opts, |_, _| {}).unwrap();
    let profile = ChipProfile::builtin("dynapse2")
        .unwrap()
        .with_mismatch_scale(0.0);
    let p = profile.nominal_params();
    let mut checked = 0;
    for row in &r.tuned {
        let q = targets::quantity(&row.key).unwrap();
        let gen = profile.bias_generator.realize(0, row.core, &row.bias);
        let kappa = 0.5 * (p.kappa_n + p.kappa_p);
        let want = match q.kind {
            targets::Kind::Tau => p.field(q.other).unwrap() * p.u_t / (kappa * row.target),
            targets::Kind::Pulse => p.v_th * p.field(q.other).unwrap() / row.target,
            targets::Kind::Gain => {
                let leak = r
                    .tuned
                    .iter()
                    .find(|x| x.core == row.core && x.key == format!("tau_{}", &row.key[5..]))
                    .unwrap();
                row.target * gen_current(&profile, row.core, &leak.bias, leak.code)
            }
            targets::Kind::Rate => continue,
        };
        let (lo, hi) = gen.range();
        if !(lo..=hi).contains(&want) {
            assert!(!row.in_range && !row.warnings.is_empty(), "{row:?}");
            continue;
        }
        assert!(row.in_range, "{row:?}");
        let c = row.code;
        let at = |f: i32| {
            (f >= 0)
                .then(|| {
                    gen.current(mixsig::chip::BiasCode {
                        coarse: c.coarse,
                        fine: f as u16,
                    })
                })
                .flatten()
        };
        let below = at(c.fine as i32 - 1).unwrap_or(0.0);
        let above = at(c.fine as i32 + 1).unwrap_or(f64::INFINITY);
        assert!(
            below <= want && want <= above,
            "{} on core {}: target current {want:e} A not within one step of code {c} ({below:e}..{above:e} A)",
            row.key,
            row.core
        );
        checked += 1;
    }
    assert!(checked >= 15, "{checked} targets checked");
    // The 1000 s NMDA time constant needs less than the generator's floor.
    let far = r
        .tuned
        .iter()
        .find(|x| x.key == "tau_nmda" && x.core == 2)
        .unwrap();
    assert!(
        !far.in_range && far.warnings[0].contains("outside the generator range"),
        "{far:?}"
    );
}

fn gen_current(p: &ChipProfile, core: u32, bias: &str, code: mixsig::chip::BiasCode) -> f64 {
    p.bias_generator
        .realize(0, core, bias)
        .current(code)
        .unwrap()
}

#[test]
fn the_bias_file_of_tune_is_read_back_by_the_network_format() {
    let t = targets::parse(
        "[[core]]\ncore = 1\ntau_mem = \"15 ms\"\nrefractory = \"1 ms\"\n",
        "t.toml",
    )
    .unwrap();
    let opts = TuneOptions {
        dies: 4,
        neurons: 4,
        ..TuneOptions::default()
    };
    let r = tune::tune(&t, &opts, |_, _| {}).unwrap();
    let text = tune::bias_file(&r, "mixsig tune t.toml");
    let section = mixsig::lab::netfile::parse_bias_file(&text, "biases.toml").unwrap();
    assert_eq!(section.profile.as_deref(), Some("dynapse2"));
    let mut nf =
        mixsig::lab::netfile::load(&common::manifest_dir().join("examples/networks/dc_step.toml"))
            .unwrap();
    nf.chip.biases.extend(section.biases);
    let profile = ChipProfile::builtin("dynapse2").unwrap();
    let run = mixsig::lab::chipnet::bind(&nf.spec, &nf.chip, &profile, 0, "dc_step.toml").unwrap();
    let leak = r.tuned.iter().find(|x| x.key == "tau_mem").unwrap();
    let realized: BTreeMap<(u32, String), _> = run
        .biases
        .iter()
        .map(|b| ((b.core, b.report.bias.clone()), b.report.code))
        .collect();
    assert_eq!(realized[&(1, "SOIF_LEAK_N".to_string())], Some(leak.code));
}

#[test]
fn bad_targets_files_are_rejected_with_file_line_key_and_constraint() {
    let d = TempDir::new("wf-badtargets");
    std::fs::create_dir_all(d.path()).unwrap();
    for (text, needles) in [
        (
            "[[core]]\ntau_mem = \"-3 ms\"\n",
            vec!["bad.toml:2", "core[1].tau_mem", "-3", "> 0"],
        ),
        (
            "[[core]]\ntau_mem = \"20 ms\"\ntau_memb = \"3 ms\"\n",
            vec!["bad.toml:3", "tau_memb", "valid keys"],
        ),
        (
            "tolerance = 2\n[[core]]\ntau_mem = \"20 ms\"\n",
            vec!["bad.toml:1", "tolerance", "(0, 1)"],
        ),
        (
            "tolerance = 0.1\n[[core]]\ncore = 9\ntau_mem = \"20 ms\"\n",
            vec![
                "bad.toml:3",
                "key `core`",
                "core 9 does not exist",
                "4 cores",
            ],
        ),
        (
            "[[core]]\ntau_mem = \"20 pF\"\n",
            vec!["bad.toml:2", "tau_mem"],
        ),
        ("[[core]]\nrate = 50\n", vec!["bad.toml:2", "rate", "input"]),
        (
            "[[core]]\ncores = [0, 7]\ntau_mem = \"20 ms\"\n",
            vec!["bad.toml:2", "key `cores`", "core 7 does not exist"],
        ),
        (
            "[core]\ntau_mem = \"20 ms\"\n",
            vec!["bad.toml:1", "key `core`", "write each one as [[core]]"],
        ),
    ] {
        let f = d.join("bad.toml");
        std::fs::write(&f, text).unwrap();
        let out = d.join("out");
        let r = mixsig(&[
            "tune",
            f.to_str().unwrap(),
            "--dies",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!r.ok(), "{text}");
        for n in needles {
            assert!(r.stderr.contains(n), "{text}: `{n}` not in {}", r.stderr);
        }
        assert!(!out.exists(), "nothing written on bad input");
    }
}

#[test]
fn every_built_in_profile_tunes_and_writes_its_files() {
    // fdsoi22 sets its default biases by parameter name (`i_tau_mem`); the tuned profile used to
    // get the same bias twice (`SOIF_LEAK_N` too) and fail after the search.
    let d = TempDir::new("wf-tune-profiles");
    for profile in ["dynapse2", "dynapse1", "fdsoi22"] {
        let out = d.join(profile);
        let r = mixsig(&[
            "tune",
            "--profile",
            profile,
            "--dies",
            "2",
            "--neurons",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(r.ok(), "{profile}: {r}");
        let text = std::fs::read_to_string(out.join("profile.toml")).unwrap();
        ChipProfile::from_toml_str(&text, "profile.toml").unwrap();
    }
}

#[test]
fn bad_shard_specs_are_rejected_before_anything_runs() {
    let d = TempDir::new("wf-badshard");
    for (spec, needle) in [
        ("0/4", "1..=4"),
        ("5/4", "1..=4"),
        ("2", "I/N"),
        ("1/0", "at least 1"),
        ("a/4", "positive integer"),
    ] {
        let out = d.join("out");
        let r = mixsig(&[
            "robustness",
            "--experiment",
            "fi",
            "--shard",
            spec,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!r.ok(), "{spec}");
        assert!(
            r.stderr.contains(needle) && r.stderr.contains("--shard"),
            "{spec}: {}",
            r.stderr
        );
        assert!(!out.exists());
    }
}

#[test]
fn robustness_cli_shards_merge_and_report() {
    let d = TempDir::new("wf-cli");
    let base = [
        "robustness",
        "--experiment",
        "fi",
        "--instances",
        "4",
        "--scales",
        "0,1",
        "--duration",
        "0.1 s",
        "--threshold",
        "30",
    ];
    let mut dirs = Vec::new();
    for i in 1..=2 {
        let out = d.join(&format!("s{i}"));
        let shard = format!("{i}/2");
        let mut args: Vec<&str> = base.to_vec();
        args.extend([
            "--shard",
            &shard,
            "--threads",
            "1",
            "--out",
            out.to_str().unwrap(),
        ]);
        let r = mixsig(&args);
        assert!(r.ok(), "{}", r.stderr);
        assert!(r.stdout.contains("mixsig merge"), "{}", r.stdout);
        dirs.push(out);
    }
    let merged = d.join("merged");
    let r = mixsig(&[
        "merge",
        dirs[0].to_str().unwrap(),
        dirs[1].to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert!(r.ok(), "{}", r.stderr);
    assert!(
        r.stdout.contains("median") && r.stdout.contains("yield"),
        "{}",
        r.stdout
    );
    let whole = d.join("whole");
    let mut args: Vec<&str> = base.to_vec();
    args.extend(["--out", whole.to_str().unwrap()]);
    assert!(mixsig(&args).ok());
    assert_same_results(&whole, &merged);
    assert!(std::fs::read_to_string(merged.join("report.html"))
        .unwrap()
        .contains("mixsig merge"));
}

#[test]
fn a_rate_target_is_met_within_tolerance_a_faster_one_needs_less_threshold_and_an_unreachable_one_is_flagged(
) {
    let text = r#"
tolerance = 0.1
[[core]]
core = 0
rate = { input = "1 nA", hz = 50 }
[[core]]
core = 1
rate = { input = "1 nA", hz = 150 }
[[core]]
core = 2
rate = { input = "1 nA", hz = 1e6 }
"#;
    let t = targets::parse(text, "rates.toml").unwrap();
    let opts = TuneOptions {
        dies: 4,
        neurons: 1,
        ..TuneOptions::default()
    };
    let r = tune::tune(&t, &opts, |_, _| {}).unwrap();
    let row = |core: u32| r.tuned.iter().find(|x| x.core == core).unwrap();
    for (core, hz) in [(0, 50.0), (1, 150.0)] {
        let x = row(core);
        assert_eq!(x.bias, "SOIF_SPKTHR_P", "{x:?}");
        assert!(x.in_range && x.warnings.is_empty(), "{x:?}");
        // The simulated rate of the chosen code on the nominal die, not the code's own claim about it.
        assert!((x.achieved / hz - 1.0).abs() <= 0.1, "{x:?}");
    }
    // A neuron driven by the same input fires faster when its spike threshold is lower.
    assert!(row(1).current < row(0).current, "{:?} {:?}", row(0), row(1));
    // On dynapse2 a 1 nA input drives a neuron at 38..910 Hz over the threshold's codes.
    let far = row(2);
    assert!(
        !far.in_range && far.warnings[0].contains("outside what the spike threshold reaches"),
        "{far:?}"
    );
}

#[test]
fn settings_of_another_experiment_are_refused_not_ignored() {
    let out = TempDir::new("robustness-train-dt");
    for cmd in ["robustness", "compare"] {
        let r = mixsig(&[
            cmd,
            "--experiment",
            "train",
            "--dt",
            "10 ms",
            "--idc",
            "300 pA",
            "--instances",
            "1",
            "--out",
            out.s(),
        ]);
        assert_eq!(r.code, Some(1), "{cmd}: {r}");
        assert!(
            r.stderr.contains(
                "--idc, --dt would be ignored by the train experiment (they set the fi experiment and network files)"
            ),
            "{cmd}: {r}"
        );
        assert!(!out.path().exists(), "{cmd}: nothing written");
        // And the train experiment's options given to the fi experiment or a network file.
        for (experiment, extra, needle) in [
            (
                "fi",
                &["--pattern", "sync", "--population", "exc"][..],
                "--pattern, --population would be ignored by the fi experiment",
            ),
            (
                "examples/networks/ei_balanced.toml",
                &["--population", "exc", "--seed", "3", "--idc", "1nA"][..],
                "--seed, --idc would be ignored by a network-file experiment",
            ),
        ] {
            let mut args = vec![cmd, "--experiment", experiment, "--instances", "1"];
            args.extend_from_slice(extra);
            args.extend_from_slice(&["--out", out.s()]);
            let r = mixsig(&args);
            assert_eq!(r.code, Some(1), "{cmd} {experiment}: {r}");
            assert!(r.stderr.contains(needle), "{cmd} {experiment}: {r}");
            assert!(!out.path().exists(), "{cmd} {experiment}: nothing written");
        }
    }
}
