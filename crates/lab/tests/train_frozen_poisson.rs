//! The `frozen-poisson` preset's random-order detectors (`NetConfig::ramp_shuffle`): each sequence
//! detector's slow ramp runs over its own permutation of the channels (the rest of the initial
//! weights is unchanged: the permutations come from their own stream), and on the frozen layer both
//! classes of `frozen-poisson` drive detectors, where the channel-index ramps leave one class nearly
//! silent (docs/train-tuning.md, "Session 4: frozen-poisson").

use mixsig_engine::spec::{Connectivity, NetworkSpec};
use mixsig_engine::Network;
use mixsig_lab::tasks::{generate, Pattern, PatternConfig};
use mixsig_lab::train::network::{build, NetConfig};

const N_IN: usize = 16;

fn dense(spec: &NetworkSpec, idx: usize) -> &[f64] {
    match &spec.projections[idx].connect {
        Connectivity::Dense(w) => w,
        c => panic!("projection {idx} is not dense: {c:?}"),
    }
}

fn preset(shuffle: bool) -> NetConfig {
    NetConfig {
        ramp_shuffle: shuffle,
        ..NetConfig::for_task("frozen-poisson")
    }
}

fn hid_size(spec: &NetworkSpec) -> usize {
    spec.populations
        .iter()
        .find(|p| p.name == "hid")
        .unwrap()
        .size
}

#[test]
fn the_preset_uses_random_order_detectors_and_the_others_do_not() {
    assert!(NetConfig::for_task("frozen-poisson").ramp_shuffle);
    for t in ["order", "sync", "xor"] {
        assert!(!NetConfig::for_task(t).ramp_shuffle, "{t}");
    }
}

#[test]
fn shuffled_ramps_are_permutations_of_the_index_ramp_and_nothing_else_changes() {
    let seed = 4;
    let (plain, lp) = build(N_IN, 2, &preset(false), seed);
    let (shuf, ls) = build(N_IN, 2, &preset(true), seed);
    let n_hid = hid_size(&plain);
    let w1 = lp.w1.unwrap();
    assert_eq!(ls.w1, lp.w1);
    // The readout's initial weights are drawn after the hidden tables: the same with and without.
    assert_eq!(dense(&plain, lp.w2), dense(&shuf, ls.w2));
    let (sp, ss) = (dense(&plain, w1 + 1), dense(&shuf, w1 + 1));
    let w_max = preset(true).w_slow_max;
    let mut not_identity = 0;
    for h in 0..preset(true).n_hidden {
        // slow = w_max (0.8 ramp(position) + 0.2 noise(channel, neuron)): the difference is the
        // ramp's, so position(i) = i +- 15 * diff / (0.8 w_max) for a rising / falling ramp.
        let d: Vec<f64> = (0..N_IN)
            .map(|i| (ss[i * n_hid + h] - sp[i * n_hid + h]) / (0.8 * w_max) * (N_IN - 1) as f64)
            .collect();
        let as_perm = |sign: f64| -> Option<Vec<usize>> {
            let p: Vec<f64> = (0..N_IN).map(|i| i as f64 + sign * d[i]).collect();
            let r: Vec<usize> = p.iter().map(|x| x.round() as usize).collect();
            let mut seen = [false; N_IN];
            for (x, &k) in p.iter().zip(&r) {
                if (x - k as f64).abs() > 1e-6 || k >= N_IN || seen[k] {
                    return None;
                }
                seen[k] = true;
            }
            Some(r)
        };
        let perm = as_perm(1.0)
            .or_else(|| as_perm(-1.0))
            .unwrap_or_else(|| panic!("neuron {h}: {d:?} is not a permuted ramp"));
        if perm.iter().enumerate().any(|(i, &k)| i != k) {
            not_identity += 1;
        }
    }
    let n = preset(true).n_hidden;
    assert!(
        not_identity + 2 >= n,
        "{not_identity} of {n} permuted (a random order is the identity with probability 1/16!)"
    );
    // The inhibitory ramp follows the slow one (same rank order per neuron).
    let inh = dense(&shuf, w1 + 2);
    for h in 0..n {
        for (a, b) in [(0, 1), (3, 9), (7, 15)] {
            let (sa, sb) = (ss[a * n_hid + h], ss[b * n_hid + h]);
            let (ia, ib) = (inh[a * n_hid + h], inh[b * n_hid + h]);
            assert_eq!(sa < sb, ia < ib, "neuron {h}, channels {a}/{b}");
        }
    }
}

/// Mean spike count per hidden neuron and class over `n` test presentations of `frozen-poisson`.
fn class_means(cfg: &NetConfig, seed: u64, n: usize) -> [Vec<f64>; 2] {
    let task = generate(
        Pattern::FrozenPoisson,
        &PatternConfig::default(),
        2,
        n,
        seed,
    )
    .unwrap();
    let (mut spec, _) = build(task.n_channels, 2, cfg, seed);
    spec.record.spikes = Some(vec!["hid".into()]);
    let n_hid = hid_size(&spec);
    let mut net = Network::build(&spec, 1e-4, 1).unwrap();
    net.learning_on = false;
    let g = net.rec.group("hid").unwrap() as u32;
    let mut sums = [vec![0.0; n_hid], vec![0.0; n_hid]];
    let mut per_class = [0.0f64; 2];
    for p in &task.test {
        net.present("in", &p.channels).unwrap();
        net.rec.spikes.clear();
        net.run(task.duration);
        for e in &net.rec.spikes {
            if e.group == g {
                sums[p.label][e.neuron as usize] += 1.0;
            }
        }
        per_class[p.label] += 1.0;
        net.run(0.3); // let every trace decay
    }
    for c in 0..2 {
        for s in &mut sums[c] {
            *s /= per_class[c].max(1.0);
        }
    }
    sums
}

/// Detectors that fire at least half a spike more, on average, for class 0 / for class 1.
fn preferring(m: &[Vec<f64>; 2]) -> (usize, usize) {
    let p0 = m[0]
        .iter()
        .zip(&m[1])
        .filter(|(a, b)| **a >= **b + 0.5)
        .count();
    let p1 = m[0]
        .iter()
        .zip(&m[1])
        .filter(|(a, b)| **b >= **a + 0.5)
        .count();
    (p0, p1)
}

#[test]
fn random_order_detectors_split_between_the_classes() {
    // Every seed: both classes drive a share (at least 3 of 48) of the random-order detectors; over the seeds, the
    // minority class drives more of them than with the channel-index ramps on the same layer
    // (which all read the same coarse order of a template and mostly side with one class).
    let (mut minority_shuffled, mut minority_index) = (0, 0);
    for seed in 1..=3 {
        let (s0, s1) = preferring(&class_means(&preset(true), seed, 12));
        let (i0, i1) = preferring(&class_means(&preset(false), seed, 12));
        eprintln!("seed {seed}: random orders {s0}/{s1}, index ramps {i0}/{i1}");
        assert!(
            s0.min(s1) >= 3,
            "seed {seed}: random-order detectors preferring class 0 / 1: {s0} / {s1}"
        );
        minority_shuffled += s0.min(s1);
        minority_index += i0.min(i1);
    }
    assert!(
        minority_shuffled > minority_index,
        "minority-class detectors: random orders {minority_shuffled}, index ramps {minority_index}"
    );
}
