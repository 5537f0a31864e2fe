//! `mixsig train` end to end, and the training library (`mixsig_lab::train::run`): outputs and their
//! formats, mirrored feedback, weight bounds and grids, determinism across thread counts, and clean
//! failures. No accuracy thresholds: the network is being tuned.

mod common;

use common::*;
use mixsig::circuits::learning::WeightStorage;
use mixsig::engine::plasticity::dense_mut;
use mixsig::engine::Network;
use mixsig::lab::train::network::FeedbackMode;
use mixsig::lab::train::run::{self, TrainOptions, CURVE_HEADER};

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
        "presentations,test_accuracy,error_rate_out_hz,w1_mean_a,w2_mean_a,mirror_divergence"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), curve.len());
    for (row, c) in rows.iter().zip(curve) {
        assert_eq!(row.len(), 6, "{row:?}");
        assert_eq!(
            row[0].parse::<u64>().unwrap(),
            c["presentations"].as_u64().unwrap()
        );
        let a: f64 = row[1].parse().unwrap();
        assert!((0.0..=1.0).contains(&a));
    }
    assert_eq!(rows[0][0], "0");
    assert_eq!(rows[1][0], "20");

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

    let mismatched = run::train(
        &TrainOptions {
            eta_sigma_ln: Some(0.2),
            ..short(None)
        },
        |_, _| {},
    )
    .unwrap();
    let first = &mismatched.result.curve[0];
    assert_eq!(first.mirror_divergence, 0.0, "twins start equal");
    let last = mismatched.result.curve.last().unwrap();
    assert!(
        last.mirror_divergence > 0.0,
        "learning-rate mismatch must separate the twins: {:?}",
        mismatched.result.curve
    );
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

/// Plastic projections of the preset with their bound: W1, W2 and the feedback twins (bound of W2).
fn plastic(prep: &run::Prepared) -> Vec<(usize, f64)> {
    let mut v = vec![(prep.layout.w2, prep.cfg.w2_max)];
    if let Some(w1) = prep.layout.w1 {
        v.push((w1, prep.cfg.w1_max));
    }
    if let Some((a, b)) = prep.layout.feedback {
        v.push((a, prep.cfg.w2_max));
        v.push((b, prep.cfg.w2_max));
    }
    v
}

#[test]
fn weights_stay_in_bounds_and_on_their_grid() {
    for (storage, profile) in [
        ("nbit:4", None),
        ("analog", None),
        ("bistable", None),
        ("nbit:4", Some("dynapse2")),
    ] {
        let opts = TrainOptions {
            storage: run::parse_storage(storage).unwrap(),
            presentations: 6,
            ..short(profile)
        };
        let prep = run::prepare(&opts).unwrap();
        let mut net = Network::build(&prep.spec, prep.protocol.dt, opts.seed).unwrap();
        present_by_hand(&mut net, &prep, 6);
        let updates: u64 = net.learners.iter().map(|l| l.updates).sum();
        assert!(
            updates > 0,
            "{storage} on {profile:?}: no weight was updated"
        );
        for (idx, w_max) in plastic(&prep) {
            let w = dense_mut(&mut net.projections[idx]).to_vec();
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
    let r = mixsig(&["train", "--pattern", "order", "--data", "somewhere"]);
    assert!(!r.ok(), "{r}");
    assert!(r.stderr.contains("cannot be used with"), "{r}");
}
