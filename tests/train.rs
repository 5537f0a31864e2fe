//! `mixsig train` end to end, and the training library (`mixsig_lab::train::run`): outputs and their
//! formats, mirrored feedback, weight bounds and grids, determinism across thread counts, and clean
//! failures, and one short run on ideal circuits that must learn `order`.

mod common;

use common::*;
use mixsig::circuits::learning::WeightStorage;
use mixsig::engine::plasticity::dense_mut;
use mixsig::engine::Network;
use mixsig::lab::tasks::Pattern;
use mixsig::lab::train::network::FeedbackMode;
use mixsig::lab::train::run::{self, TaskSource, TrainOptions, CURVE_HEADER};

/// A short run on ideal circuits: few presentations, a small test set.
fn short(profile: Option<&str>) -> TrainOptions {
    TrainOptions {
        profile: profile.map(String::from),
        presentations: 8,
        test_every: 4,
        n_test: 4,
        ..TrainOptions::default()
    }
}

#[test]
fn cli_short_run_writes_summary_curve_and_plots() {
    let out = TempDir::new("train");
    let r = mixsig(&[
        "train",
        "--profile",
        "ideal",
        "--presentations",
        "20",
        "--out",
        out.s(),
    ]);
    assert!(r.ok(), "{r}");
    assert!(r.stdout.contains("test accuracy"), "{r}");

    let summary: serde_json::Value = serde_json::from_str(&out.read("summary.json")).unwrap();
    let acc = summary["test_accuracy"]
        .as_f64()
        .expect("test_accuracy is a number");
    assert!((0.0..=1.0).contains(&acc), "test_accuracy {acc}");
    let best = summary["best_accuracy"].as_f64().unwrap();
    assert!(best >= acc && best <= 1.0);
    assert_eq!(summary["options"]["profile"], "ideal");
    assert_eq!(summary["options"]["presentations"], 20);
    assert_eq!(summary["chip"]["profile"], "ideal");
    assert!(summary["wall_s"].as_f64().unwrap() > 0.0);
    assert!(summary["simulated_s"].as_f64().unwrap() > 0.0);
    let curve = summary["curve"].as_array().unwrap();
    // Checkpoints before training and after the last presentation (default interval 50 > 20).
    assert_eq!(curve.len(), 2, "{curve:?}");

    let csv = out.read("learning_curve.csv");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(CURVE_HEADER));
    assert_eq!(
        CURVE_HEADER,
        "presentations,test_accuracy,error_rate_out_hz,w1_mean_a,w2_mean_a,b_mean_a,\
mirror_divergence,mirror_divergence_effective"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), curve.len());
    for (row, c) in rows.iter().zip(curve) {
        assert_eq!(row.len(), 8, "{row:?}");
        assert_eq!(
            row[0].parse::<u64>().unwrap(),
            c["presentations"].as_u64().unwrap()
        );
        let a: f64 = row[1].parse().unwrap();
        assert!((0.0..=1.0).contains(&a));
    }
    assert_eq!(rows[0][0], "0");
    assert_eq!(rows[1][0], "20");
    let start = summary["error_rate_start_hz"].as_f64().unwrap();
    let end = summary["error_rate_end_hz"].as_f64().unwrap();
    assert!(start > 0.0 && end >= 0.0, "{start} {end}");
    assert_eq!(summary["error_spikes"].as_array().unwrap().len(), 20);

    // weights.csv: every synapse of W1 (16 inputs x 32 hidden in the preset), W2 and B once.
    let w = out.read("weights.csv");
    let mut lines = w.lines();
    assert_eq!(lines.next(), Some("projection,pre,post,stored_a"));
    let mut count = std::collections::BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 4, "{l}");
        let x: f64 = f[3].parse().unwrap();
        assert!(x.is_finite() && x >= 0.0, "{l}");
        *count.entry(f[0].to_string()).or_insert(0usize) += 1;
    }
    let n_in = summary["task"]["n_channels"].as_u64().unwrap() as usize;
    let n_hid = summary["network"]["n_hidden"].as_u64().unwrap() as usize;
    let n_out = 2 * summary["network"]["n_per_class"].as_u64().unwrap() as usize;
    assert_eq!(count["w1"], n_in * n_hid, "{count:?}");
    assert_eq!(count["w2"], n_hid * n_out, "{count:?}");
    assert_eq!(count["feedback"], n_hid * n_out, "{count:?}");

    let files = out.files();
    let mut stems = vec![
        "accuracy".to_string(),
        "error_rate".into(),
        "weights".into(),
        "mirror_divergence".into(),
    ];
    for when in ["before", "after"] {
        for (label, class) in ["up", "down"].iter().enumerate() {
            stems.push(format!("raster_{when}_{label}_{class}"));
        }
    }
    for stem in stems {
        for ext in ["svg", "png"] {
            let f = format!("{stem}.{ext}");
            assert!(files.contains(&f), "missing {f} in {files:?}");
            let len = std::fs::metadata(out.join(&f)).unwrap().len();
            assert!(len > 1000, "{f} is {len} bytes");
        }
    }
    // Atomic writes leave no temporaries behind.
    assert!(files.iter().all(|f| !f.contains(".tmp")), "{files:?}");
}

#[test]
fn mirrored_feedback_stays_equal_without_mismatch_and_diverges_with_it() {
    let ideal = run::train(&short(None), |_, _| {}).unwrap();
    assert!(ideal.result.curve.len() >= 3);
    for c in &ideal.result.curve {
        assert_eq!(c.mirror_divergence, 0.0, "checkpoint {c:?}");
    }
    // The ideal die too (binding, exact biases, analog weight format).
    let die = run::train(&short(Some("ideal")), |_, _| {}).unwrap();
    assert_eq!(die.options.eta_sigma_ln, 0.0);
    for c in &die.result.curve {
        assert_eq!(c.mirror_divergence, 0.0, "checkpoint {c:?}");
    }

    // Learning-rate mismatch alone is shared by the twins (one update circuit per pair).
    let shared = run::train(
        &TrainOptions {
            eta_sigma_ln: Some(0.2),
            ..short(None)
        },
        |_, _| {},
    )
    .unwrap();
    for c in &shared.result.curve {
        assert_eq!(c.mirror_divergence, 0.0, "checkpoint {c:?}");
    }
    let mismatched = run::train(
        &TrainOptions {
            eta_sigma_ln: Some(0.2),
            twin_sigma_ln: Some(0.05),
            ..short(None)
        },
        |_, _| {},
    )
    .unwrap();
    let first = &mismatched.result.curve[0];
    assert_eq!(first.mirror_divergence, 0.0, "twins start equal");
    assert_eq!(first.mirror_divergence_effective, 0.0, "no die: no gains");
    let last = mismatched.result.curve.last().unwrap();
    assert!(
        last.mirror_divergence > 0.0,
        "the twins' own mismatch must separate them: {:?}",
        mismatched.result.curve
    );
}

/// On a mismatched die (dynapse2) with the twins' capacitor mismatch off, the update circuits of W2
/// and B hold exactly equal values (learning-rate mismatch on: shared by each pair); the currents
/// they inject differ by the two synapses' static output mismatch (dynapse2: sigma_ln of the weight
/// transistor ~0.2, so clearly more than 5%).
#[test]
fn mirrored_twins_store_equal_weights_on_a_die() {
    let o = run::train(
        &TrainOptions {
            twin_sigma_ln: Some(0.0),
            ..short(Some("dynapse2"))
        },
        |_, _| {},
    )
    .unwrap();
    for c in &o.result.curve {
        assert_eq!(c.mirror_divergence, 0.0, "{c:?}");
        assert!(
            c.mirror_divergence_effective > 0.05 && c.mirror_divergence_effective < 1.0,
            "{c:?}"
        );
    }
}

/// Present `n` training patterns with the teacher on, by hand.
fn present_by_hand(net: &mut Network, prep: &run::Prepared, n: usize) {
    let d = prep.task.duration;
    let rate = prep.cfg.rate_teacher;
    for p in prep.task.train.iter().take(n) {
        net.present("in", &p.channels).unwrap();
        let mut teach = vec![Vec::new(); prep.task.n_classes];
        teach[p.label] = (0..(d * rate) as usize)
            .map(|k| (k as f64 + 0.5) / rate)
            .collect();
        net.present("teacher", &teach).unwrap();
        net.run(d + prep.protocol.gap);
        net.rec.spikes.clear();
    }
}

/// Stored weights of every plastic projection of the preset with its bound: W2 and its feedback
/// twins (bound of W2), the bias projection, W1.
fn plastic(net: &Network) -> Vec<(usize, Vec<f64>, f64)> {
    let mut v = Vec::new();
    for l in &net.learners {
        v.push((l.spec.projection, l.stored(0).to_vec(), l.spec.w_max));
        for (m, &p) in l.spec.mirrors.iter().enumerate() {
            v.push((p, l.stored(m + 1).to_vec(), l.spec.w_max));
        }
    }
    v
}

#[test]
fn weights_stay_in_bounds_and_on_their_grid() {
    // `sync` splits its bias projection over 4 synapses per output (`NetConfig::bias_synapses`),
    // each bounded by a quarter of the bias bound and so on a grid 4 times finer than one synapse's.
    for (storage, profile, pattern) in [
        ("nbit:4", None, Pattern::Order),
        ("analog", None, Pattern::Order),
        ("bistable", None, Pattern::Order),
        ("nbit:4", Some("dynapse2"), Pattern::Order),
        ("nbit:4", None, Pattern::Sync),
    ] {
        let opts = TrainOptions {
            storage: run::parse_storage(storage).unwrap(),
            presentations: 6,
            task: TaskSource::Pattern(pattern),
            ..short(profile)
        };
        let prep = run::prepare(&opts).unwrap();
        let mut net = Network::build(&prep.spec, prep.protocol.dt, opts.seed).unwrap();
        present_by_hand(&mut net, &prep, 6);
        let updates: u64 = net.learners.iter().map(|l| l.updates).sum();
        assert!(
            updates > 0,
            "{storage} on {profile:?} ({pattern:?}): no weight was updated"
        );
        // The bias learner: bounded by its share of `w_bias_max`, one synapse per bias neuron and
        // output, and it learned (so its weights below were rounded onto that finer grid).
        let bias = net
            .learners
            .iter()
            .find(|l| prep.spec.projections[l.spec.projection].from == "bias")
            .expect("a bias learner");
        let k = prep.cfg.bias_synapses.max(1);
        assert_eq!(k, if pattern == Pattern::Sync { 4 } else { 1 });
        assert_eq!(bias.spec.w_max, prep.cfg.w_bias_max / k as f64);
        assert_eq!(bias.stored(0).len(), k * 2 * prep.cfg.n_per_class);
        assert!(
            bias.updates > 0,
            "{storage} on {profile:?} ({pattern:?}): the bias never learned"
        );
        let stored = plastic(&net);
        assert_eq!(stored.len(), 5, "W2, B+, B-, bias, W1");
        for (idx, w, w_max) in stored {
            // Without a die the injected currents are the stored weights themselves.
            if profile.is_none() {
                assert_eq!(w, dense_mut(&mut net.projections[idx]).to_vec());
            }
            for (s, &x) in w.iter().enumerate() {
                assert!(
                    (0.0..=w_max).contains(&x),
                    "{storage} on {profile:?}: projection {idx} synapse {s} = {x:e} outside [0, {w_max:e}]"
                );
                if let WeightStorage::NBit { bits } = opts.storage {
                    let step = w_max / ((1u64 << bits) - 1) as f64;
                    let q = x / step;
                    assert!(
                        (q - q.round()).abs() < 1e-6,
                        "{storage} on {profile:?}: projection {idx} synapse {s} = {x:e} is off the grid of {step:e}"
                    );
                }
            }
        }
    }
}

/// The acceptance run of the test suite: `order` on ideal circuits (no die), mirrored feedback,
/// 60 training presentations, 20 test presentations — it must reach >= 0.95.
#[test]
fn short_run_on_ideal_circuits_learns_order() {
    let o = run::train(
        &TrainOptions {
            profile: None,
            presentations: 60,
            test_every: 30,
            n_test: 20,
            ..TrainOptions::default()
        },
        |_, _| {},
    )
    .unwrap();
    let curve: Vec<f64> = o.result.curve.iter().map(|c| c.test_accuracy).collect();
    eprintln!("order, ideal, 60 presentations: test accuracy {curve:?}");
    assert!(
        curve[0] < o.result.test_accuracy,
        "training must improve on the untrained network: {curve:?}"
    );
    assert!(o.result.test_accuracy >= 0.95, "{curve:?}");
}

/// The initial (requested) W1 of the network `opts` builds.
fn initial_w1(opts: &TrainOptions) -> Vec<f64> {
    let prep = run::prepare(opts).unwrap();
    let w1 = prep.layout.w1.expect("a hidden layer");
    match &prep.spec.projections[w1].connect {
        mixsig::engine::spec::Connectivity::Dense(w) => w.clone(),
        c => panic!("W1 is dense: {c:?}"),
    }
}

/// `hidden_updates` counts the hidden layer's weight updates, and a run whose hidden layer never
/// learned says so: on ideal circuits the `order` preset's hidden error neurons stay under their
/// dead zone (W1 ends exactly where it started, and the warning names it); on a die some of them
/// fire (W1 moves, no warning); without feedback there is nothing to count.
#[test]
fn hidden_updates_are_counted_and_a_hidden_layer_that_never_learned_is_reported() {
    let said = |o: &run::TrainOutcome| {
        o.warnings
            .iter()
            .any(|w| w.starts_with("the hidden layer did not learn"))
    };
    let ideal = TrainOptions {
        presentations: 20,
        test_every: 20,
        ..short(None)
    };
    let die = TrainOptions {
        profile: Some("dynapse2".into()),
        ..ideal.clone()
    };
    for (opts, learns) in [(&ideal, false), (&die, true)] {
        let o = run::train(opts, |_, _| {}).unwrap();
        let n = o
            .result
            .hidden_updates
            .expect("mirrored feedback trains W1");
        let moved = initial_w1(opts)
            .iter()
            .zip(&o.result.weights.w1)
            .filter(|(a, b)| a != b)
            .count();
        eprintln!(
            "profile {:?}: {n} hidden updates, {moved} W1 weights moved",
            opts.profile
        );
        assert_eq!(n > 0, learns, "{:?}: {n} updates", opts.profile);
        assert_eq!(
            moved > 0,
            learns,
            "{:?}: {moved} W1 weights moved",
            opts.profile
        );
        assert_eq!(said(&o), !learns, "{:?}: {:?}", opts.profile, o.warnings);
    }
    let none = run::train(
        &TrainOptions {
            feedback: FeedbackMode::None,
            ..ideal.clone()
        },
        |_, _| {},
    )
    .unwrap();
    assert_eq!(none.result.hidden_updates, None);
    assert!(!said(&none), "{:?}", none.warnings);
}

#[test]
fn continuous_update_trains_and_bad_modes_are_refused() {
    let o = run::train(
        &TrainOptions {
            update: mixsig::circuits::learning::UpdateMode::Continuous { tau_err: 0.01 },
            ..short(None)
        },
        |_, _| {},
    )
    .unwrap();
    assert_eq!(o.options.update, "continuous:0.01");
    let moved = o
        .result
        .curve
        .windows(2)
        .any(|w| w[0].w2_mean != w[1].w2_mean);
    assert!(moved, "continuous updates moved W2: {:?}", o.result.curve);
    let r = mixsig(&["train", "--update", "sometimes"]);
    assert!(!r.ok(), "{r}");
    assert!(r.stderr.contains("event, continuous"), "{r}");
}

#[test]
fn same_seed_same_curve_on_one_and_two_threads() {
    let opts = TrainOptions {
        presentations: 6,
        test_every: 3,
        n_test: 4,
        ..TrainOptions::default() // on a dynapse2 die: mismatch, shot noise, quantized weights
    };
    let curve_on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let o = run::train(&opts, |_, _| {}).unwrap();
                // Debug formatting compares NaN fields too.
                (format!("{:?}", o.result.curve), run::curve_csv(&o.result))
            })
    };
    let one = curve_on(1);
    let two = curve_on(2);
    assert_eq!(one, two, "1 vs 2 threads");
    assert_eq!(curve_on(1), one, "rerun on 1 thread");
    assert_eq!(curve_on(2), two, "rerun on 2 threads");
    // A different seed is a different run.
    let other = run::train(
        &TrainOptions {
            seed: 2,
            ..opts.clone()
        },
        |_, _| {},
    )
    .unwrap();
    assert_ne!(format!("{:?}", other.result.curve), one.0);
}

#[test]
fn no_hidden_and_feedback_modes_run() {
    for (feedback, no_hidden) in [
        (FeedbackMode::None, false),
        (FeedbackMode::Random, false),
        (FeedbackMode::Mirrored, true),
    ] {
        let o = run::train(
            &TrainOptions {
                feedback,
                no_hidden,
                presentations: 2,
                test_every: 2,
                n_test: 2,
                ..short(None)
            },
            |_, _| {},
        )
        .unwrap();
        for c in &o.result.curve {
            // Mirror divergence is defined only for mirrored feedback onto a hidden layer.
            assert!(
                c.mirror_divergence.is_nan(),
                "{feedback:?} no_hidden={no_hidden}: {c:?}"
            );
            assert_eq!(c.w1_mean.is_nan(), no_hidden);
        }
        let csv = run::curve_csv(&o.result);
        assert!(
            csv.lines().nth(1).unwrap().ends_with(','),
            "NaN is an empty CSV field: {csv}"
        );
    }
}

/// A two-presentation run on ideal circuits (CLI arguments after `train`).
const QUICK: [&str; 6] = [
    "--profile",
    "none",
    "--presentations",
    "2",
    "--test-every",
    "2",
];

#[test]
fn an_instance_without_a_profile_is_said_to_be_ignored() {
    let out = TempDir::new("train-instance-none");
    let args = [
        "train",
        "--n-test",
        "2",
        "--instance",
        "3",
        "--out",
        out.s(),
    ];
    let r = mixsig(&[&args[..], &QUICK[..]].concat());
    assert!(r.ok(), "{r}");
    assert!(r.stderr.contains("--instance 3 is ignored"), "{r}");
}

#[test]
fn an_earlier_runs_outputs_left_in_out_are_named() {
    let out = TempDir::new("train-leftovers");
    let quick = QUICK;
    let r = mixsig(&[&["train", "--n-test", "2", "--out", out.s()], &quick[..]].concat());
    assert!(r.ok(), "{r}");
    assert!(!r.stderr.contains("earlier run"), "a fresh directory: {r}");
    // Classes `a` and `b`: the `order` run's rasters (`up`, `down`) are not overwritten.
    let data = TempDir::new("train-leftovers-data");
    std::fs::create_dir_all(data.path()).unwrap();
    for (f, ch) in [("a.csv", 0), ("b.csv", 1), ("c.csv", 0), ("d.csv", 1)] {
        std::fs::write(data.join(f), format!("t_s,channel\n0.01,{ch}\n")).unwrap();
    }
    std::fs::write(
        data.join("labels.csv"),
        "file,label,split\na.csv,a,train\nb.csv,b,train\nc.csv,a,test\nd.csv,b,test\n",
    )
    .unwrap();
    let r = mixsig(&[&["train", "--data", data.s(), "--out", out.s()], &quick[..]].concat());
    assert!(r.ok(), "{r}");
    assert!(r.stderr.contains("from an earlier run"), "{r}");
    assert!(r.stderr.contains("raster_after_0_up.svg"), "{r}");
    assert!(
        !r.stderr.contains("summary.json"),
        "rewritten, not left: {r}"
    );
    // With --data the test rows of labels.csv are the test set: --n-test would be ignored, so it
    // is refused.
    let r = mixsig(&["train", "--data", data.s(), "--n-test", "5"]);
    assert!(!r.ok(), "{r}");
    assert!(
        r.stderr
            .contains("--n-test applies to the built-in patterns"),
        "{r}"
    );
}

#[test]
fn malformed_data_dir_names_file_and_line() {
    let dir = TempDir::new("train-data");
    std::fs::create_dir_all(dir.path()).unwrap();
    std::fs::write(dir.join("a.csv"), "t_s,channel\n0.01,0\n").unwrap();
    std::fs::write(
        dir.join("labels.csv"),
        "file,label,split\na.csv,0,train\na.csv,1,validation\n",
    )
    .unwrap();
    let out = TempDir::new("train-data-out");
    let r = mixsig(&[
        "train",
        "--profile",
        "none",
        "--data",
        dir.s(),
        "--out",
        out.s(),
    ]);
    assert!(!r.ok(), "{r}");
    assert!(r.stderr.contains("labels.csv:3"), "{r}");
    assert!(r.stderr.contains("validation"), "{r}");
    assert!(!out.path().exists(), "nothing written on failure");

    // More channels than a dynapse2 neuron has synapses for: said in the task's terms.
    std::fs::write(dir.join("b.csv"), "t_s,channel\n0.01,40\n").unwrap();
    std::fs::write(dir.join("c.csv"), "t_s,channel\n0.01,39\n").unwrap();
    std::fs::write(dir.join("d.csv"), "t_s,channel\n0.01,0\n").unwrap();
    std::fs::write(
        dir.join("labels.csv"),
        "file,label,split\na.csv,0,train\nb.csv,1,train\nc.csv,1,test\nd.csv,0,test\n",
    )
    .unwrap();
    let r = mixsig(&["train", "--data", dir.s(), "--out", out.s()]);
    assert!(!r.ok(), "{r}");
    for what in [
        "41 input channels",
        "`hid` neuron",
        "has 64",
        "--profile none",
    ] {
        assert!(r.stderr.contains(what), "{what}: {r}");
    }
    assert!(!out.path().exists(), "nothing written on failure");

    let r = mixsig(&[
        "train",
        "--data",
        dir.join("missing").to_str().unwrap(),
        "--out",
        out.s(),
    ]);
    assert!(!r.ok(), "{r}");
    assert!(r.stderr.contains("labels.csv"), "{r}");
}

#[test]
fn unknown_pattern_feedback_storage_list_valid_values() {
    let r = mixsig(&["train", "--pattern", "zigzag"]);
    assert!(!r.ok(), "{r}");
    for name in ["order", "sync", "frozen-poisson", "xor"] {
        assert!(r.stderr.contains(name), "{r}");
    }
    let r = mixsig(&["train", "--feedback", "telepathy"]);
    assert!(!r.ok(), "{r}");
    for name in ["mirrored", "random", "none"] {
        assert!(r.stderr.contains(name), "{r}");
    }
    let r = mixsig(&["train", "--storage", "nbit:40"]);
    assert!(!r.ok(), "{r}");
    assert!(r.stderr.contains("1..=16"), "{r}");
    let r = mixsig(&["train", "--profile", "no-such-chip"]);
    assert!(!r.ok(), "{r}");
    // A negative value is a bad value of its option, not an unknown argument `-1`.
    let r = mixsig(&["train", "--instance", "-1"]);
    assert!(!r.ok(), "{r}");
    assert!(
        r.stderr.contains("invalid value '-1' for '--instance"),
        "{r}"
    );
    let r = mixsig(&["train", "--pattern", "order", "--data", "somewhere"]);
    assert!(!r.ok(), "{r}");
    assert!(r.stderr.contains("cannot be used with"), "{r}");
    // Exporting does not run, so a sweep with it would be silently skipped: refused.
    let r = mixsig(&["train", "--export-network", "somewhere", "--seeds", "1..2"]);
    assert!(!r.ok(), "{r}");
    assert!(r.stderr.contains("cannot be used with"), "{r}");
    // Too few presentations: the error quotes the numbers asked for (it once said 1 for 0).
    let out = TempDir::new("train-too-few");
    let dir = out.path().join("t");
    let d = dir.to_str().unwrap();
    let r = mixsig(&["train", "--presentations", "1", "--out", d]);
    assert!(!r.ok(), "{r}");
    assert!(r.stderr.contains("got 1 and 20"), "{r}");
    let r = mixsig(&["train", "--n-test", "0", "--out", d]);
    assert_eq!(r.code, Some(2), "{r}");
    assert!(
        r.stderr
            .contains("invalid value '0' for '--n-test <N>': must be at least 2"),
        "{r}"
    );
    let r = mixsig(&["train", "--presentations", "0", "--out", d]);
    assert!(!r.ok(), "{r}");
    // The flag is named, not the library's field (`presentations must be > 0` before).
    assert!(
        r.stderr
            .contains("invalid value '0' for '--presentations <N>': must be at least 1"),
        "{r}"
    );
    // A checkpoint after every presentation was what 0 did, silently.
    let r = mixsig(&["train", "--test-every", "0", "--out", d]);
    assert!(!r.ok(), "{r}");
    assert!(
        r.stderr
            .contains("invalid value '0' for '--test-every <N>': must be at least 1"),
        "{r}"
    );
    assert!(!dir.exists(), "nothing written on failure");
}

/// A sweep runs every (seed, instance) like a single run would, in parallel: the same rows on 1 and
/// 2 threads, and each row equal to the single run with that seed and die.
#[test]
fn sweep_rows_equal_single_runs_on_any_thread_count() {
    use mixsig::lab::train::sweep;
    let base = TrainOptions {
        presentations: 4,
        test_every: 2,
        n_test: 4,
        ..TrainOptions::default() // dynapse2 dies
    };
    let rows_on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| sweep::sweep(&base, &[1, 2], &[0, 3], |_, _| {}).unwrap())
            .rows
            .into_iter()
            .map(|r| {
                (
                    r.seed,
                    r.instance,
                    r.test_accuracy.to_bits(),
                    r.error_rate_end_hz.to_bits(),
                    r.mirror_divergence_effective.to_bits(),
                    r.hidden_updates,
                )
            })
            .collect::<Vec<_>>()
    };
    let one = rows_on(1);
    assert_eq!(one.len(), 4);
    assert_eq!(
        one.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
        vec![(1, 0), (1, 3), (2, 0), (2, 3)]
    );
    assert_eq!(rows_on(2), one);
    let single = run::train(
        &TrainOptions {
            seed: 2,
            instance: 3,
            ..base.clone()
        },
        |_, _| {},
    )
    .unwrap();
    assert_eq!(one[3].2, single.result.test_accuracy.to_bits());
    assert_eq!(one[3].3, single.result.error_rate_end_hz.to_bits());
    assert_eq!(one[3].5, single.result.hidden_updates);
    assert!(one[3].5.is_some(), "mirrored feedback trains W1");
    // Different dies are different runs.
    assert_ne!(one[0].4, one[1].4);
}

#[test]
fn cli_sweep_writes_distribution_and_refuses_dies_without_profile() {
    let out = TempDir::new("train-sweep");
    let r = mixsig(&[
        "train",
        "--profile",
        "none",
        "--seeds",
        "1..2",
        "--presentations",
        "2",
        "--n-test",
        "2",
        "--out",
        out.s(),
    ]);
    assert!(r.ok(), "{r}");
    assert!(r.stdout.contains("2 runs: median test accuracy"), "{r}");
    assert!(
        r.stderr
            .contains("warning: the hidden layer did not learn in 2 of 2 runs"),
        "{r}"
    );
    let csv = out.read("sweep.csv");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.starts_with(mixsig::lab::train::sweep::SWEEP_HEADER));
    for row in csv.lines().skip(1) {
        // Ideal circuits, two presentations: the hidden layer is trained but never learns.
        assert!(
            row.ends_with(",0"),
            "hidden_updates is the last column: {row}"
        );
    }
    let j: serde_json::Value = serde_json::from_str(&out.read("sweep.json")).unwrap();
    assert_eq!(j["runs"], 2);
    for f in ["accuracy_distribution.svg", "accuracy_distribution.png"] {
        assert!(out.files().contains(&f.to_string()), "{f}");
    }
    let r = mixsig(&["train", "--profile", "none", "--instances", "0..3"]);
    assert!(!r.ok(), "{r}");
    assert!(r.stderr.contains("--instances needs a chip profile"), "{r}");
    let r = mixsig(&["train", "--seeds", "5..1"]);
    assert!(!r.ok(), "{r}");
    assert!(r.stderr.contains("the range is empty"), "{r}");
}

/// A bias file (what `mixsig tune` writes) overrides the network's request for that bias on that
/// core only, and needs a die.
#[test]
fn bias_file_overrides_the_preset_per_core() {
    let dir = TempDir::new("train-biases");
    std::fs::create_dir_all(dir.path()).unwrap();
    let file = dir.join("biases.toml");
    std::fs::write(
        &file,
        "[[chip.bias]]\nname = \"SOIF_SPKTHR_P\"\ncore = 0\ncoarse = 3\nfine = 100\n",
    )
    .unwrap();
    let out = TempDir::new("train-biases-out");
    let r = mixsig(&[
        "train",
        "--biases",
        file.to_str().unwrap(),
        "--presentations",
        "2",
        "--n-test",
        "2",
        "--out",
        out.s(),
    ]);
    assert!(r.ok(), "{r}");
    let s: serde_json::Value = serde_json::from_str(&out.read("summary.json")).unwrap();
    let thr: Vec<(u64, u64, u64)> = s["chip"]["biases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["report"]["bias"] == "SOIF_SPKTHR_P")
        .map(|b| {
            (
                b["core"].as_u64().unwrap(),
                b["report"]["code"]["coarse"].as_u64().unwrap(),
                b["report"]["code"]["fine"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(thr.len(), 4, "one threshold per core: {thr:?}");
    assert_eq!(thr[0], (0, 3, 100), "core 0 takes the file's code");
    assert!(
        thr[1..].iter().all(|t| t.1 == 2),
        "the others keep the preset's: {thr:?}"
    );
    let r = mixsig(&[
        "train",
        "--profile",
        "none",
        "--biases",
        file.to_str().unwrap(),
    ]);
    assert!(!r.ok() && r.stderr.contains("needs a chip profile"), "{r}");
    std::fs::write(
        &file,
        "[[chip.bias]]\nname = \"NO_SUCH_BIAS\"\nvalue = \"1 pA\"\n",
    )
    .unwrap();
    let r = mixsig(&["train", "--biases", file.to_str().unwrap()]);
    assert!(!r.ok(), "{r}");
    assert!(r.stderr.contains("biases.toml:2"), "{r}");
}

#[test]
fn eta_decay_replaces_the_presets_and_bad_values_are_refused() {
    let fp = TrainOptions {
        task: TaskSource::Pattern(Pattern::FrozenPoisson),
        ..short(None)
    };
    let decay = |o: &TrainOptions| run::prepare(o).unwrap().protocol.eta_decay;
    // The preset's own: the signed readout's 1000 on ideal circuits, the default 100 on a chip
    // where the readout does not fit, and 100 for `order`.
    assert_eq!(decay(&fp), 1000.0);
    let die = TrainOptions {
        profile: Some("dynapse2".into()),
        ..fp.clone()
    };
    assert_eq!(decay(&die), 100.0);
    assert_eq!(decay(&short(None)), 100.0);
    // The option replaces it, with or without the signed readout.
    for (o, d) in [(&fp, 0.0), (&fp, 50.0), (&die, 50.0)] {
        let o = TrainOptions {
            eta_decay: Some(d),
            ..o.clone()
        };
        let p = run::prepare(&o).unwrap();
        assert_eq!(p.protocol.eta_decay, d, "{:?}", o.profile);
        if o.profile.is_some() {
            // Fitting drops the twin but not the decay asked for, and does not claim to.
            let w = p.warnings.join("\n");
            assert!(
                w.contains("signed readout") && !w.contains("decaying"),
                "{w}"
            );
        }
    }
    // A sweep says which decay it ran with.
    let s = mixsig::lab::train::sweep::sweep(
        &TrainOptions {
            eta_decay: Some(0.0),
            presentations: 2,
            test_every: 2,
            n_test: 2,
            ..fp.clone()
        },
        &[1],
        &[],
        |_, _| {},
    )
    .unwrap();
    assert!(
        s.config
            .contains("learning-rate decay over 0 presentations"),
        "{}",
        s.config
    );
    // Out of range: refused, naming the option.
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        let o = TrainOptions {
            eta_decay: Some(bad),
            ..fp.clone()
        };
        match run::prepare(&o) {
            Err(e) => assert!(e.to_string().contains("eta_decay"), "{e}"),
            Ok(_) => panic!("eta_decay {bad} accepted"),
        }
    }
    // Nor exported.
    let none = TempDir::new("eta-decay-export");
    let o = TrainOptions {
        eta_decay: Some(-1.0),
        ..fp.clone()
    };
    let e = mixsig::lab::train::netspec::export(&o, none.path()).expect_err("refused");
    assert!(
        e.to_string()
            .contains("eta_decay = -1 must be finite and >= 0"),
        "{e}"
    );
    assert!(!none.path().exists());
    // A network file has its own.
    let dir = TempDir::new("eta-decay-file");
    mixsig::lab::train::netspec::export(&fp, dir.path()).unwrap();
    let file = dir.join(mixsig::lab::train::netspec::NETWORK_FILE);
    let o = TrainOptions {
        network: Some(file.clone()),
        eta_decay: Some(10.0),
        ..fp.clone()
    };
    let e = run::prepare(&o).expect_err("refused").to_string();
    assert!(
        e.contains(&file.display().to_string()) && e.contains("[train] eta_decay"),
        "{e}"
    );

    // The command line: the decay used is in summary.json; a bad value exits non-zero and writes
    // nothing.
    let out = TempDir::new("eta-decay-cli");
    let r = mixsig(&[
        "train",
        "--profile",
        "none",
        "--presentations",
        "2",
        "--n-test",
        "2",
        "--test-every",
        "2",
        "--eta-decay",
        "0",
        "--out",
        out.s(),
    ]);
    assert!(r.ok(), "{r}");
    let summary: serde_json::Value = serde_json::from_str(&out.read("summary.json")).unwrap();
    assert_eq!(summary["options"]["eta_decay"], 0.0);
    assert_eq!(summary["protocol"]["eta_decay"], 0.0);
    let bad = TempDir::new("eta-decay-bad");
    let r = mixsig(&[
        "train",
        "--profile",
        "none",
        "--eta-decay=-3",
        "--out",
        bad.s(),
    ]);
    assert!(!r.ok(), "{r}");
    assert!(
        r.stderr
            .contains("invalid value '-3' for '--eta-decay <N>': must be a finite number >= 0"),
        "{r}"
    );
    assert!(!bad.path().exists());
}

#[test]
fn bad_run_settings_fail_before_training_and_write_nothing() {
    let out = TempDir::new("train-bad-settings");
    // A step longer than a hundredth of the 0.2 s presentation.
    let r = mixsig(&[&["train", "--dt", "10 ms", "--out", out.s()], &QUICK[..]].concat());
    assert_eq!(r.code, Some(1), "{r}");
    assert!(r.stderr.contains("dt = 10 ms is too long"), "{r}");
    assert!(r.stderr.contains("at most 1/100"), "{r}");
    assert!(!out.path().exists(), "nothing written on failure");
    // A step so short that a presentation would take 2e8 steps (days of work) is refused too.
    let r = mixsig(&[&["train", "--dt", "1 ns", "--out", out.s()], &QUICK[..]].concat());
    assert_eq!(r.code, Some(1), "{r}");
    assert!(r.stderr.contains("dt = 1 ns is too short"), "{r}");
    assert!(r.stderr.contains("at least 1/1000000"), "{r}");
    assert!(!out.path().exists(), "nothing written on failure");
    // A stray exponent is an error, not an abort on a terabyte allocation.
    let r = mixsig(&[
        "train",
        "--presentations",
        "1000000000000",
        "--out",
        out.s(),
    ]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(
        r.stderr
            .contains("presentations = 1000000000000 must be at most 1000000"),
        "{r}"
    );
    // An --out that is a file (or lies under one) is refused before any training.
    let parent = TempDir::new("train-bad-out");
    std::fs::create_dir_all(parent.path()).unwrap();
    let file = parent.join("afile");
    std::fs::write(&file, "keep me").unwrap();
    for target in [file.clone(), file.join("sub")] {
        let r = mixsig(&[&["train", "--out", target.to_str().unwrap()], &QUICK[..]].concat());
        assert_eq!(r.code, Some(1), "{r}");
        assert!(r.stderr.contains("exists and is not a directory"), "{r}");
        assert!(
            !r.stdout.contains("test accuracy"),
            "refused before training: {r}"
        );
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    // Bad numbers are argument errors (exit 2) naming the flag and the constraint.
    for (args, what) in [
        (["--instance", "-1"], "is not a whole number >= 0"),
        (["--n-test", "1"], "must be at least 2"),
    ] {
        let r = mixsig(&[&["train", "--out", out.s()], &args[..]].concat());
        assert_eq!(r.code, Some(2), "{r}");
        assert!(r.stderr.contains(args[0]) && r.stderr.contains(what), "{r}");
    }
    assert!(!out.path().exists(), "nothing written on failure");
}
