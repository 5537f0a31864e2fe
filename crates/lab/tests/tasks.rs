//! Task generators and the user-data loader of `mixsig train`: equal per-channel counts across
//! classes, fresh jitter, keyed reproducibility, timing features that separate the classes, and
//! located errors for malformed task directories.

use std::path::{Path, PathBuf};

use mixsig_lab::tasks::{
    check_equal_counts, generate, load_dir, load_dir_with, Pattern, PatternConfig, Presentation,
    TaskError, TaskSet,
};

const N_TRAIN: usize = 41;
const N_TEST: usize = 40;

fn task(p: Pattern, seed: u64) -> TaskSet {
    generate(p, &PatternConfig::default(), N_TRAIN, N_TEST, seed).unwrap()
}

fn first_spike(p: &Presentation, ch: usize) -> f64 {
    p.channels[ch][0]
}

fn mean_time(p: &Presentation, ch: usize) -> f64 {
    let c = &p.channels[ch];
    c.iter().sum::<f64>() / c.len() as f64
}

/// The structural properties every generated task must have.
fn check_structure(t: &TaskSet, cfg: &PatternConfig) {
    assert_eq!(t.n_classes, 2);
    assert_eq!(t.class_names.len(), 2);
    assert_eq!(t.n_channels, cfg.n_channels);
    assert_eq!(t.duration, cfg.duration);
    assert_eq!(t.train.len(), N_TRAIN);
    assert_eq!(t.test.len(), N_TEST);
    let all: Vec<Presentation> = t.train.iter().chain(&t.test).cloned().collect();
    check_equal_counts(&all).unwrap_or_else(|e| panic!("{}: {e}", t.name));
    for (split, ps) in [("train", &t.train), ("test", &t.test)] {
        let ones = ps.iter().filter(|p| p.label == 1).count();
        let zeros = ps.iter().filter(|p| p.label == 0).count();
        assert_eq!(ones + zeros, ps.len(), "{} {split}: labels in 0..2", t.name);
        assert!(
            ones.abs_diff(zeros) <= 1,
            "{} {split}: {zeros} vs {ones}",
            t.name
        );
        for (i, p) in ps.iter().enumerate() {
            assert_eq!(p.channels.len(), t.n_channels);
            for (ch, times) in p.channels.iter().enumerate() {
                assert!(
                    times.windows(2).all(|w| w[0] <= w[1]),
                    "{} {split}[{i}] channel {ch} not sorted: {times:?}",
                    t.name
                );
                assert!(
                    times.iter().all(|&s| (0.0..t.duration).contains(&s)),
                    "{} {split}[{i}] channel {ch} out of [0, {}): {times:?}",
                    t.name,
                    t.duration
                );
            }
            assert!(
                p.channels.iter().map(Vec::len).sum::<usize>() > 0,
                "{} {split}[{i}] has no spikes",
                t.name
            );
        }
        // Fresh jitter: no two presentations of the same class are identical.
        for c in 0..2 {
            let same: Vec<&Presentation> = ps.iter().filter(|p| p.label == c).collect();
            for i in 0..same.len() {
                for j in i + 1..same.len() {
                    assert_ne!(
                        same[i].channels, same[j].channels,
                        "{} {split}: two class-{c} presentations identical",
                        t.name
                    );
                }
            }
        }
    }
    // Train and test presentations are different draws.
    for p in &t.test {
        assert!(
            t.train.iter().all(|q| q.channels != p.channels),
            "{}: a test presentation is also a training one",
            t.name
        );
    }
}

#[test]
fn every_pattern_has_equal_counts_sorted_in_range_balanced_fresh() {
    let cfg = PatternConfig::default();
    for p in Pattern::ALL {
        for seed in [1, 2, 99] {
            check_structure(&task(p, seed), &cfg);
        }
    }
}

#[test]
fn counts_are_kept_under_moves_large_jitter_and_odd_sizes() {
    let cfg = PatternConfig {
        n_channels: 7,
        duration: 0.1,
        jitter: 10e-3,
        spikes_per_channel: 4,
        burst_isi: 1e-3,
        extra_delete_prob: 0.3,
    };
    for p in Pattern::ALL {
        let t = generate(p, &cfg, N_TRAIN, N_TEST, 5).unwrap();
        check_structure(&t, &cfg);
    }
}

#[test]
fn same_seed_same_task_other_seed_other_task() {
    for p in Pattern::ALL {
        assert_eq!(task(p, 7), task(p, 7), "{p}");
        let (a, b) = (task(p, 7), task(p, 8));
        assert_ne!(a.train, b.train, "{p}");
        assert_ne!(a.test, b.test, "{p}");
        assert_ne!(a.train, a.test, "{p}");
    }
}

#[test]
fn a_presentation_does_not_depend_on_how_many_are_generated() {
    let cfg = PatternConfig::default();
    for p in [Pattern::Order, Pattern::FrozenPoisson] {
        let small = generate(p, &cfg, 10, 10, 3).unwrap();
        let large = generate(p, &cfg, 30, 30, 3).unwrap();
        // Labels are shuffled per split size, but the jitter of presentation i is keyed by
        // (seed, split, i): the same label at the same index gives the same spikes.
        for i in 0..10 {
            if small.train[i].label == large.train[i].label {
                assert_eq!(small.train[i], large.train[i], "{p} train[{i}]");
            }
        }
    }
}

#[test]
fn check_equal_counts_detects_a_difference() {
    let a = Presentation {
        channels: vec![vec![0.01, 0.02], vec![0.03]],
        label: 0,
    };
    let mut b = a.clone();
    b.label = 1;
    assert!(check_equal_counts(&[a.clone(), b.clone()]).is_ok());
    b.channels[1].push(0.05);
    let e = check_equal_counts(&[a, b]).unwrap_err();
    assert!(
        e.contains("presentation 1") && e.contains("channel 1"),
        "{e}"
    );
}

/// Accuracy of the best threshold on a scalar feature (either orientation).
fn threshold_accuracy(xs: &[(f64, usize)]) -> f64 {
    let mut best: f64 = 0.0;
    for &(th, _) in xs {
        let right = xs.iter().filter(|(x, l)| (*x <= th) == (*l == 0)).count();
        let acc = right as f64 / xs.len() as f64;
        best = best.max(acc).max(1.0 - acc);
    }
    best
}

/// Count-only readout: the best threshold on the count of any channel (or total) is at chance,
/// because counts are the same in every presentation.
fn assert_counts_at_chance(t: &TaskSet) {
    let all: Vec<&Presentation> = t.train.iter().chain(&t.test).collect();
    for ch in 0..t.n_channels {
        let xs: Vec<(f64, usize)> = all
            .iter()
            .map(|p| (p.channels[ch].len() as f64, p.label))
            .collect();
        let distinct = xs.iter().any(|(x, _)| *x != xs[0].0);
        assert!(!distinct, "{}: channel {ch} counts vary", t.name);
    }
}

#[test]
fn order_channel_zero_fires_early_in_class_up_late_in_class_down() {
    let t = task(Pattern::Order, 11);
    assert_counts_at_chance(&t);
    let all: Vec<&Presentation> = t.train.iter().chain(&t.test).collect();
    let last = t.n_channels - 1;
    for p in &all {
        let (first, end) = (mean_time(p, 0), mean_time(p, last));
        if p.label == 0 {
            assert!(
                first < end,
                "up: channel 0 at {first} after channel {last} at {end}"
            );
        } else {
            assert!(
                first > end,
                "down: channel 0 at {first} before channel {last} at {end}"
            );
        }
    }
    let mean0 = |c: usize| {
        let v: Vec<f64> = all
            .iter()
            .filter(|p| p.label == c)
            .map(|p| mean_time(p, 0))
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(mean0(0) + 0.05 < mean0(1), "{} vs {}", mean0(0), mean0(1));
    // Onsets spread over the first ~70% of the window.
    let latest = all
        .iter()
        .flat_map(|p| p.channels.iter().flatten())
        .fold(0.0f64, |a, &b| a.max(b));
    assert!(latest < 0.75 * t.duration, "latest spike {latest}");
}

fn across_channel_std_of_first_spikes(p: &Presentation) -> f64 {
    let f: Vec<f64> = (0..p.channels.len()).map(|ch| first_spike(p, ch)).collect();
    let m = f.iter().sum::<f64>() / f.len() as f64;
    (f.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (f.len() - 1) as f64).sqrt()
}

#[test]
fn sync_first_spikes_are_tight_in_class_sync_spread_in_class_async() {
    let t = task(Pattern::Sync, 12);
    assert_counts_at_chance(&t);
    let xs: Vec<(f64, usize)> = t
        .train
        .iter()
        .chain(&t.test)
        .map(|p| (across_channel_std_of_first_spikes(p), p.label))
        .collect();
    for &(s, l) in &xs {
        if l == 0 {
            assert!(s < 0.006, "sync presentation with spread {s}");
        } else {
            assert!(s > 0.015, "async presentation with spread {s}");
        }
    }
    // The common burst time moves between presentations (so absolute time is not the cue).
    let onsets: Vec<f64> = t
        .train
        .iter()
        .filter(|p| p.label == 0)
        .map(|p| first_spike(p, 0))
        .collect();
    let spread =
        onsets.iter().fold(0.0f64, |a, &b| a.max(b)) - onsets.iter().fold(1.0f64, |a, &b| a.min(b));
    assert!(spread > 0.05, "sync onsets spread only {spread}");
}

#[test]
fn frozen_poisson_is_frozen_across_presentations_and_separable_by_template() {
    let t = task(Pattern::FrozenPoisson, 13);
    assert_counts_at_chance(&t);
    // Class templates = mean spike vectors over the training set (counts are equal, so the
    // flattened sorted times line up); nearest template classifies the test set.
    let flat = |p: &Presentation| -> Vec<f64> { p.channels.iter().flatten().copied().collect() };
    let centroid = |c: usize| -> Vec<f64> {
        let v: Vec<Vec<f64>> = t.train.iter().filter(|p| p.label == c).map(flat).collect();
        (0..v[0].len())
            .map(|i| v.iter().map(|x| x[i]).sum::<f64>() / v.len() as f64)
            .collect()
    };
    let (c0, c1) = (centroid(0), centroid(1));
    let dist = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>();
    assert!(
        dist(&c0, &c1) > 0.1,
        "templates too close: {}",
        dist(&c0, &c1)
    );
    for p in &t.test {
        let x = flat(p);
        let guess = usize::from(dist(&x, &c1) < dist(&x, &c0));
        assert_eq!(
            guess, p.label,
            "nearest template misclassifies a test presentation"
        );
        // Frozen: within a few jitter std of its class template, spike by spike.
        let c = if p.label == 0 { &c0 } else { &c1 };
        let max_dev = x
            .iter()
            .zip(c)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f64, f64::max);
        assert!(
            max_dev < 0.02,
            "deviation {max_dev} from the frozen template"
        );
    }
    // The frozen patterns come from the seed: another seed, other patterns.
    let other = task(Pattern::FrozenPoisson, 14);
    let x = flat(&other.train[0]);
    assert!(
        x.len() != c0.len() || (dist(&x, &c0) > 0.1 && dist(&x, &c1) > 0.1),
        "seed 14 reproduces a seed-13 pattern"
    );
}

/// Direction of a group of channels: true when its first channel fires before its last.
fn group_up(p: &Presentation, range: std::ops::Range<usize>) -> bool {
    mean_time(p, range.start) < mean_time(p, range.end - 1)
}

#[test]
fn xor_label_is_same_versus_opposite_group_direction_and_no_single_group_tells() {
    let t = generate(Pattern::Xor, &PatternConfig::default(), 200, 200, 15).unwrap();
    assert_counts_at_chance(&t);
    let h = t.n_channels / 2;
    let all: Vec<&Presentation> = t.train.iter().chain(&t.test).collect();
    let mut combos = [[0usize; 2]; 4]; // [dir combination][label]
    for p in &all {
        let (a, b) = (group_up(p, 0..h), group_up(p, h..t.n_channels));
        assert_eq!(
            p.label,
            usize::from(a != b),
            "xor label vs directions ({a}, {b})"
        );
        combos[usize::from(a) * 2 + usize::from(b)][p.label] += 1;
        // The groups do not overlap in time: group A ends before group B starts.
        let a_end = p.channels[..h]
            .iter()
            .flatten()
            .fold(0.0f64, |x, &y| x.max(y));
        let b_start = p.channels[h..]
            .iter()
            .flatten()
            .fold(1.0f64, |x, &y| x.min(y));
        assert!(a_end < b_start, "groups overlap: {a_end} >= {b_start}");
        // The network needs time to answer the second group (outputs are counted during the
        // presentation): every burst onset lies in the first 70% (as for order and sync), so with
        // 2 ms jitter no spike comes after 70% + burst + 4 sigma (0.14 + 0.004 + 0.008 s).
        let last = p.channels.iter().flatten().fold(0.0f64, |x, &y| x.max(y));
        assert!(last < 0.152, "a spike at {last} s leaves no time to answer");
    }
    // All four combinations occur, about equally often.
    for (i, c) in combos.iter().enumerate() {
        let n = c[0] + c[1];
        assert!((90..=110).contains(&n), "combination {i}: {n} of 400");
    }
    // One group's direction alone is at chance: label 1 in half the up presentations of group A.
    let a_up: Vec<&&Presentation> = all.iter().filter(|p| group_up(p, 0..h)).collect();
    let frac = a_up.iter().filter(|p| p.label == 1).count() as f64 / a_up.len() as f64;
    assert!((frac - 0.5).abs() < 0.1, "group A up -> label 1 in {frac}");
    let xs: Vec<(f64, usize)> = all
        .iter()
        .map(|p| (mean_time(p, 0) - mean_time(p, h - 1), p.label))
        .collect();
    assert!(
        threshold_accuracy(&xs) < 0.6,
        "group-A feature alone: {}",
        threshold_accuracy(&xs)
    );
}

#[test]
fn bad_configurations_are_rejected_with_the_pattern_and_parameter() {
    let d = PatternConfig::default();
    let cases: Vec<(Pattern, PatternConfig, &str)> = vec![
        (
            Pattern::Order,
            PatternConfig {
                n_channels: 1,
                ..d.clone()
            },
            "n_channels",
        ),
        (
            Pattern::Xor,
            PatternConfig {
                n_channels: 3,
                ..d.clone()
            },
            "n_channels",
        ),
        (
            Pattern::Sync,
            PatternConfig {
                duration: 0.0,
                ..d.clone()
            },
            "duration",
        ),
        (
            Pattern::Sync,
            PatternConfig {
                jitter: -1e-3,
                ..d.clone()
            },
            "jitter",
        ),
        (
            Pattern::FrozenPoisson,
            PatternConfig {
                spikes_per_channel: 0,
                ..d.clone()
            },
            "spikes_per_channel",
        ),
        (
            Pattern::Order,
            PatternConfig {
                extra_delete_prob: 1.5,
                ..d.clone()
            },
            "extra_delete_prob",
        ),
        (
            Pattern::Order,
            PatternConfig {
                spikes_per_channel: 100,
                ..d.clone()
            },
            "does not fit",
        ),
        (
            Pattern::Xor,
            PatternConfig {
                burst_isi: 0.05,
                ..d.clone()
            },
            "does not fit",
        ),
    ];
    for (p, cfg, what) in cases {
        let e = generate(p, &cfg, 10, 10, 1).unwrap_err();
        assert!(matches!(e, TaskError::Config { .. }));
        let msg = e.to_string();
        assert!(msg.contains(p.name()) && msg.contains(what), "{msg}");
    }
    let e = generate(Pattern::Order, &d, 1, 10, 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("at least 2"), "{e}");
}

#[test]
fn pattern_names_parse_and_unknown_lists_the_valid_ones() {
    for p in Pattern::ALL {
        assert_eq!(p.name().parse::<Pattern>().unwrap(), p);
        assert_eq!(p.to_string(), p.name());
    }
    let e = "poisson".parse::<Pattern>().unwrap_err();
    for p in Pattern::ALL {
        assert!(e.contains(p.name()), "{e}");
    }
    assert!(e.contains("`poisson`"), "{e}");
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tasks")
        .join(name)
}

#[test]
fn load_dir_round_trips_the_fixture() {
    let t = load_dir(&fixture("good")).unwrap();
    assert_eq!(t.n_classes, 3);
    assert_eq!(t.class_names, ["ant", "bee", "cat"]);
    assert_eq!(t.n_channels, 5);
    // The latest spike (0.079 s, test/bee.csv) ends the first 70 % of a presentation: the rest is
    // the network's time to answer, as in the built-in patterns.
    assert!((t.duration - 0.079 / 0.7).abs() < 1e-12, "{}", t.duration);
    assert_eq!(t.train.len(), 6);
    assert_eq!(t.test.len(), 3);
    // Rows in labels.csv order, labels by sorted class name.
    assert_eq!(
        t.train.iter().map(|p| p.label).collect::<Vec<_>>(),
        [2, 0, 1, 2, 0, 1]
    );
    assert_eq!(
        t.test.iter().map(|p| p.label).collect::<Vec<_>>(),
        [2, 0, 1]
    );
    assert_eq!(
        t.train[0].channels,
        [[0.010], [0.020], [0.030], [0.040], [0.050]].map(|c| c.to_vec())
    );
    // Unsorted rows in a file are sorted per channel.
    assert_eq!(t.train[2].channels[0], [0.010, 0.030]);
    assert_eq!(t.test[2].channels[4], [0.079]);
    for p in t.train.iter().chain(&t.test) {
        assert_eq!(p.channels.len(), 5);
        assert!(p
            .channels
            .iter()
            .flatten()
            .all(|&s| (0.0..t.duration).contains(&s)));
    }
    assert!(t.name.contains("good"), "{}", t.name);
}

#[test]
fn a_requested_duration_must_hold_every_spike() {
    let t = load_dir_with(&fixture("good"), Some(0.25)).unwrap();
    assert_eq!(t.duration, 0.25);
    assert_eq!(t.test[2].channels[4], [0.079], "spikes are not moved");
    // At or before the latest spike (0.079 s in test/bee.csv): the error names that file, the
    // spike and the duration.
    for d in [0.079, 0.05, 0.0, f64::NAN] {
        let e = load_dir_with(&fixture("good"), Some(d))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bee.csv") && e.contains("0.079"), "{e}");
        assert!(e.contains(&format!("{d} s")), "{e}");
    }
}

#[test]
fn spike_rows_need_exactly_two_fields_and_a_file_needs_its_header() {
    // (contents of the first train file, line, text the error must contain)
    let cases = [
        (
            "t_s,channel\n0.01,0,7\n",
            ":2",
            "expected 2 fields `t_s,channel`, found 3",
        ),
        (
            "t_s,channel\n0.01\n",
            ":2",
            "expected 2 fields `t_s,channel`, found 1",
        ),
        (
            "t_s,channel,extra\n0.01,0\n",
            ":1",
            "header must be `t_s,channel`",
        ),
        ("", "", "empty; expected a header `t_s,channel`"),
        (
            "# only a comment\n",
            "",
            "empty; expected a header `t_s,channel`",
        ),
        ("t_s,channel\n0.01,-1\n", ":2", "an integer >= 0"),
        (
            "t_s,channel\n0.01,99999999999\n",
            ":2",
            "key `channel`: 99999999999 is too large: channel indices must be < 1048576",
        ),
    ];
    for (k, (text, line, what)) in cases.iter().enumerate() {
        let dir = std::env::temp_dir().join(format!("mixsig-spikerows-{}-{k}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.csv"), text).unwrap();
        for f in ["b.csv", "c.csv", "d.csv"] {
            std::fs::write(dir.join(f), "t_s,channel\n0.01,1\n").unwrap();
        }
        std::fs::write(
            dir.join("labels.csv"),
            "file,label,split\na.csv,x,train\nb.csv,y,train\nc.csv,y,test\nd.csv,x,test\n",
        )
        .unwrap();
        let e = load_dir(&dir);
        std::fs::remove_dir_all(&dir).ok();
        let e = e
            .err()
            .unwrap_or_else(|| panic!("{text:?} was accepted"))
            .to_string();
        assert!(e.contains(&format!("a.csv{line}: ")), "{text:?}: {e}");
        assert!(e.contains(what), "{text:?}: {e}");
    }
}

#[test]
fn a_file_listed_again_under_another_name_is_refused() {
    // `./cat0.csv` next to `cat0.csv` would put a training presentation into the test set.
    let dir = std::env::temp_dir().join(format!("mixsig-tasks-alias-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = fixture("good");
    for f in ["cat0.csv", "ant0.csv", "cat1.csv", "ant1.csv"] {
        std::fs::copy(good.join(f), dir.join(f)).unwrap();
    }
    let ok = "file,label,split\ncat0.csv,cat,train\nant0.csv,ant,train\ncat1.csv,cat,test\nant1.csv,ant,test\n";
    std::fs::write(dir.join("labels.csv"), ok).unwrap();
    assert!(load_dir(&dir).is_ok());
    for alias in [
        "./cat0.csv".to_string(),
        dir.join("cat0.csv").display().to_string(),
    ] {
        std::fs::write(dir.join("labels.csv"), format!("{ok}{alias},cat,test\n")).unwrap();
        let e = load_dir(&dir).err().map(|e| e.to_string());
        let e = e.unwrap_or_else(|| panic!("{alias} accepted"));
        assert!(
            e.contains("labels.csv:6") && e.contains("is the file `cat0.csv` of line 2 again"),
            "{e}"
        );
    }
    // One stray spike much later than the rest stretches every presentation: a warning that names
    // the file (not with --duration, which the user chose).
    std::fs::write(dir.join("labels.csv"), ok).unwrap();
    assert!(load_dir(&dir).unwrap().notes.is_empty());
    let mut text = std::fs::read_to_string(dir.join("ant1.csv")).unwrap();
    text.push_str("10.0,3\n");
    std::fs::write(dir.join("ant1.csv"), text).unwrap();
    let t = load_dir(&dir).unwrap();
    assert!(t.duration > 10.0);
    assert_eq!(t.notes.len(), 1, "{:?}", t.notes);
    assert!(
        t.notes[0].contains("spike at 10 s in") && t.notes[0].contains("ant1.csv"),
        "{:?}",
        t.notes
    );
    assert!(load_dir_with(&dir, Some(12.0)).unwrap().notes.is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn integer_labels_sort_numerically() {
    let dir = std::env::temp_dir().join(format!("mixsig-tasks-numeric-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = fixture("good");
    let rows = [
        ("cat0.csv", "10", "train"),
        ("ant0.csv", "2", "train"),
        ("bee0.csv", "10", "test"),
        ("cat1.csv", "2", "test"),
    ];
    let mut text = String::from("file,label,split\n");
    for (f, l, s) in rows {
        text.push_str(&format!("{},{l},{s}\n", good.join(f).display()));
    }
    std::fs::write(dir.join("labels.csv"), text).unwrap();
    let t = load_dir(&dir).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(t.class_names, ["2", "10"]);
    assert_eq!(t.train.iter().map(|p| p.label).collect::<Vec<_>>(), [1, 0]);
}

#[test]
fn malformed_task_dirs_name_the_file_line_and_problem() {
    // (fixture, file the message must name, ":line" or "" when no line applies, other text)
    let cases = [
        ("no_labels", "labels.csv", "", "cannot read labels file"),
        (
            "bad_header",
            "bad_header/labels.csv",
            ":2",
            "header must be `file,label,split`",
        ),
        (
            "bad_split",
            "bad_split/labels.csv",
            ":3",
            "`validation` is not a split",
        ),
        (
            "missing_file",
            "missing_file/labels.csv",
            ":3",
            "`nope.csv` not found",
        ),
        (
            "wrong_fields",
            "wrong_fields/labels.csv",
            ":3",
            "expected 3 fields",
        ),
        (
            "duplicate",
            "duplicate/labels.csv",
            ":4",
            "listed twice (first on line 2)",
        ),
        (
            "no_test",
            "no_test/labels.csv",
            "",
            "no `test` presentations",
        ),
        (
            "one_class",
            "one_class/labels.csv",
            "",
            "only one class `cat`",
        ),
        (
            "class_only_in_test",
            "class_only_in_test/labels.csv",
            ":5",
            "class `bee` has no train presentations",
        ),
        (
            "class_only_in_train",
            "class_only_in_train/labels.csv",
            ":6",
            "class `bee` has no test presentations",
        ),
        (
            "dir_as_file",
            "dir_as_file/labels.csv",
            ":3",
            "`../good/test` is a directory",
        ),
        (
            "bad_spike",
            "bad_spike/p1.csv",
            ":3",
            "key `t_s`: `0.0x2` is not a number",
        ),
    ];
    for (dir, file, line, text) in cases {
        let e = load_dir(&fixture(dir)).unwrap_err();
        let TaskError::File(fe) = &e else {
            panic!("{dir}: not a file error: {e}");
        };
        let msg = e.to_string();
        assert!(msg.contains(&format!("{file}{line}:")), "{dir}: {msg}");
        assert!(msg.contains(text), "{dir}: {msg}");
        assert_eq!(fe.line == 0, line.is_empty(), "{dir}: line {}", fe.line);
    }
}

#[test]
fn a_byte_order_mark_is_skipped() {
    // Spreadsheets' "CSV UTF-8" starts a file with U+FEFF; with and without it the task is the same.
    let dir = std::env::temp_dir().join(format!("mixsig-tasks-bom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rows = [
        ("a.csv", "x", "train"),
        ("b.csv", "y", "train"),
        ("c.csv", "x", "test"),
        ("d.csv", "y", "test"),
    ];
    let mut labels = String::from("file,label,split\n");
    for (k, (f, l, s)) in rows.iter().enumerate() {
        std::fs::write(dir.join(f), format!("t_s,channel\n0.01,{k}\n")).unwrap();
        labels.push_str(&format!("{f},{l},{s}\n"));
    }
    std::fs::write(dir.join("labels.csv"), &labels).unwrap();
    let plain = load_dir(&dir).unwrap();
    std::fs::write(dir.join("labels.csv"), format!("\u{feff}{labels}")).unwrap();
    std::fs::write(dir.join("a.csv"), "\u{feff}t_s,channel\n0.01,0\n").unwrap();
    let marked = load_dir(&dir);
    std::fs::remove_dir_all(&dir).ok();
    let marked = marked.unwrap();
    assert_eq!(marked.n_channels, 4);
    assert_eq!(marked.class_names, plain.class_names);
    assert_eq!(marked.train[0].channels, plain.train[0].channels);
}

#[test]
fn the_example_task_directory_is_a_timing_task() {
    // examples/tasks/updown (docs/tasks.md): two classes, equal per-channel counts, 24 + 12.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tasks/updown");
    let t = load_dir(&dir).unwrap();
    assert_eq!(t.class_names, ["down", "up"]);
    assert_eq!((t.n_channels, t.train.len(), t.test.len()), (4, 24, 12));
    let all: Vec<Presentation> = t.train.iter().chain(&t.test).cloned().collect();
    check_equal_counts(&all).unwrap();
    assert!(t.notes.is_empty(), "{:?}", t.notes);
    // Channel 0 bursts first in `up`, last in `down`.
    for p in &all {
        let first = |c: usize| p.channels[c][0];
        assert_eq!(first(0) < first(3), t.class_names[p.label] == "up");
    }
}
