//! The per-group sequence detectors of the training preset (`NetConfig::ramp_groups`,
//! `ramp_group_local`) and the hidden layer's own calcium window (`w1_calcium`): group-local
//! detectors take no fixed input from the other group (so their spike counts cannot depend on it),
//! the first group keeps the one-ramp preset's direction while the second draws its own, and the
//! hidden window reaches W1's learning circuit only.

use mixsig_circuits::learning::CalciumWindow;
use mixsig_engine::spec::{Connectivity, NetworkSpec};
use mixsig_engine::Network;
use mixsig_lab::train::network::{build, FeedbackMode, NetConfig};

const N_IN: usize = 16;

fn dense(spec: &NetworkSpec, idx: usize) -> &[f64] {
    match &spec.projections[idx].connect {
        Connectivity::Dense(w) => w,
        c => panic!("projection {idx} is not dense: {c:?}"),
    }
}

/// The `xor` preset's detectors as the trained hidden layer (no conjunction layer behind them;
/// that one is `train_conjunction.rs`).
fn cfg(groups: usize, local: bool) -> NetConfig {
    NetConfig {
        ramp_groups: groups,
        ramp_group_local: local,
        n_conj: 0,
        ..NetConfig::for_task("xor")
    }
}

/// Size of the hidden population.
fn hidden_size(spec: &NetworkSpec) -> usize {
    spec.populations
        .iter()
        .find(|p| p.name == "hid")
        .expect("hidden layer")
        .size
}

/// (fast W1, slow NMDA, inhibitory GABA) input->hidden weight tables and the hidden size.
fn tables(c: &NetConfig, seed: u64) -> (NetworkSpec, usize, usize) {
    let (spec, layout) = build(N_IN, 2, c, seed);
    let w1 = layout.w1.expect("hidden layer");
    let n_hid = hidden_size(&spec);
    (spec, w1, n_hid)
}

#[test]
fn group_local_detectors_take_fixed_input_from_their_own_group_only() {
    let c = cfg(2, true);
    let (spec, w1, n_hid) = tables(&c, 3);
    let (fast, slow, inh) = (dense(&spec, w1), dense(&spec, w1 + 1), dense(&spec, w1 + 2));
    for h in 0..c.n_hidden {
        for i in 0..N_IN {
            let s = i * n_hid + h;
            if i * 2 / N_IN != h % 2 {
                assert_eq!(
                    (fast[s], slow[s], inh[s]),
                    (0.0, 0.0, 0.0),
                    "neuron {h} channel {i}"
                );
            }
        }
        // Its own group carries a ramp: 0.8 of the bound across the group, noise at most 0.2.
        let own = (h % 2) * N_IN / 2;
        let (first, last) = (
            slow[own * n_hid + h],
            slow[(own + N_IN / 2 - 1) * n_hid + h],
        );
        assert!(
            (first - last).abs() >= 0.6 * c.w_slow_max - 1e-18,
            "neuron {h}: slow ramp {first:e} .. {last:e}"
        );
        assert!(inh[own * n_hid + h] + inh[(own + N_IN / 2 - 1) * n_hid + h] > 0.0);
    }
}

#[test]
fn second_group_draws_its_own_direction_and_the_first_keeps_the_presets() {
    let (one, w1a, n_hid) = tables(&cfg(1, false), 5);
    let (two, w1b, _) = tables(&cfg(2, false), 5);
    let (s1, s2) = (dense(&one, w1a + 1), dense(&two, w1b + 1));
    let rising = |s: &[f64], h: usize, a: usize, b: usize| s[b * n_hid + h] > s[a * n_hid + h];
    let h_seq = NetConfig::for_task("xor").n_hidden;
    let mut differ = 0;
    for h in 0..h_seq {
        // One ramp across all 16 channels vs the first group's ramp: same direction draw.
        assert_eq!(
            rising(s1, h, 0, N_IN - 1),
            rising(s2, h, 0, N_IN / 2 - 1),
            "neuron {h}"
        );
        if rising(s2, h, 0, N_IN / 2 - 1) != rising(s2, h, N_IN / 2, N_IN - 1) {
            differ += 1;
        }
    }
    // Independent fair coins: with 32 neurons, fewer than 4 or more than 28 disagreements has
    // probability ~1e-6.
    assert!((4..=28).contains(&differ), "{differ} of {h_seq} differ");
}

#[test]
fn hidden_calcium_window_reaches_w1_only() {
    let win = CalciumWindow {
        theta_low: 0.5,
        ..NetConfig::default().calcium
    };
    let c = NetConfig {
        feedback: FeedbackMode::Mirrored,
        w1_calcium: Some(win),
        ..cfg(2, true)
    };
    let (spec, layout) = build(N_IN, 2, &c, 1);
    let w1 = layout.w1.unwrap();
    for l in &spec.learning {
        let lo = l.calcium.unwrap().theta_low;
        if l.projection == w1 {
            assert_eq!(lo, 0.5);
        } else {
            assert_eq!(lo, c.calcium.theta_low, "projection {}", l.projection);
        }
    }
    assert!(spec.learning.iter().any(|l| l.projection == w1));
}

/// Spike counts per hidden neuron of the frozen layer for one noiseless xor presentation.
fn counts(net: &mut Network, n_hid: usize, up_a: bool, up_b: bool) -> Vec<u32> {
    let h = N_IN / 2;
    let chans: Vec<Vec<f64>> = (0..N_IN)
        .map(|ch| {
            let (k, up, t0) = if ch < h {
                (ch, up_a, 0.01)
            } else {
                (ch - h, up_b, 0.11)
            };
            let pos = if up { k } else { h - 1 - k };
            let t = t0 + 0.01 * pos as f64;
            vec![t, t + 0.003, t + 0.006]
        })
        .collect();
    net.present("in", &chans).unwrap();
    net.rec.spikes.clear();
    net.run(0.2);
    let g = net.rec.group("hid").unwrap() as u32;
    let mut c = vec![0; n_hid];
    for e in &net.rec.spikes {
        if e.group == g {
            c[e.neuron as usize] += 1;
        }
    }
    net.run(0.3); // let every trace decay before the next presentation
    c
}

#[test]
fn frozen_group_local_counts_ignore_the_other_group_but_see_their_own() {
    let c = cfg(2, true);
    let (mut spec, _) = build(N_IN, 2, &c, 2);
    spec.record.spikes = Some(vec!["hid".into()]);
    let n_hid = hidden_size(&spec);
    let mut net = Network::build(&spec, 1e-4, 1).unwrap();
    net.learning_on = false;
    let uu = counts(&mut net, n_hid, true, true);
    let ud = counts(&mut net, n_hid, true, false);
    let du = counts(&mut net, n_hid, false, true);
    let dd = counts(&mut net, n_hid, false, false);
    let mut selective = 0;
    for h in 0..c.n_hidden {
        if h % 2 == 0 {
            // Group A detectors: the same group-A input gives the same count whatever B does.
            assert_eq!((uu[h], du[h]), (ud[h], dd[h]), "neuron {h}");
            selective += usize::from(uu[h] != du[h]);
        } else {
            assert_eq!((uu[h], ud[h]), (du[h], dd[h]), "neuron {h}");
            selective += usize::from(uu[h] != ud[h]);
        }
    }
    assert!(
        selective >= c.n_hidden / 4,
        "only {selective} direction-selective detectors"
    );
}
