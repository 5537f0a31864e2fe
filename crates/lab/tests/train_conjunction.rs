//! The `xor` preset's two hidden stages (`NetConfig::n_conj`): fixed group-local direction
//! detectors `ds` feed a plastic conjunction layer `hid` through W1 (zero-sum updates, W1's own pre
//! trace and calcium window) and a fixed uniform inhibition; only `hid` has error neurons; on a die
//! `ds` gets a core of its own. And the claim the layer exists for: on `xor`, training it (mirrored
//! feedback) beats keeping it fixed.

use mixsig_circuits::SynapseType;
use mixsig_engine::spec::{Connectivity, NetworkSpec};
use mixsig_lab::tasks::Pattern;
use mixsig_lab::train::network::{build, FeedbackMode, NetConfig};
use mixsig_lab::train::run::{self, TaskSource, TrainOptions};

const N_IN: usize = 16;

fn dense(spec: &NetworkSpec, idx: usize) -> &[f64] {
    match &spec.projections[idx].connect {
        Connectivity::Dense(w) => w,
        c => panic!("projection {idx} is not dense: {c:?}"),
    }
}

fn size(spec: &NetworkSpec, name: &str) -> usize {
    spec.populations
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no population {name}"))
        .size
}

#[test]
fn xor_preset_has_fixed_group_local_detectors_and_a_plastic_conjunction_layer() {
    let c = NetConfig::for_task("xor");
    assert!(c.n_conj > 0 && c.ramp_group_local);
    let (spec, layout) = build(N_IN, 2, &c, 4);
    let (n_det, n_hid) = (size(&spec, "ds"), size(&spec, "hid"));
    assert_eq!((n_det, n_hid), (c.n_hidden, c.n_conj));
    assert_eq!((size(&spec, "eh_p"), size(&spec, "eh_n")), (n_hid, n_hid));

    // The detectors' input projections are fixed and group-local.
    let into_ds: Vec<usize> = (0..spec.projections.len())
        .filter(|&i| spec.projections[i].to == "ds")
        .collect();
    assert_eq!(into_ds.len(), 3, "fast, slow and inhibitory ramps");
    for &i in &into_ds {
        assert_eq!(spec.projections[i].from, "in");
        assert!(spec.learning.iter().all(|l| l.projection != i));
        let w = dense(&spec, i);
        for h in 0..n_det {
            for ch in 0..N_IN {
                if ch * 2 / N_IN != h % 2 {
                    assert_eq!(
                        w[ch * n_det + h],
                        0.0,
                        "projection {i}, detector {h}, ch {ch}"
                    );
                }
            }
        }
    }

    // W1: detectors -> conjunction layer, plastic, initial weights in w_conj (1 ± spread).
    let w1 = layout.w1.expect("W1");
    let p = &spec.projections[w1];
    assert_eq!((p.from.as_str(), p.to.as_str()), ("ds", "hid"));
    assert_eq!(p.synapse, SynapseType::Ampa);
    let w = dense(&spec, w1);
    let (lo, hi) = (
        c.w_conj * (1.0 - c.conj_spread),
        c.w_conj * (1.0 + c.conj_spread),
    );
    assert!(w.iter().all(|&v| v >= lo && v <= hi), "W1 range");
    assert!(w.windows(2).any(|p| p[0] != p[1]), "W1 is drawn, not flat");
    let l1 = spec
        .learning
        .iter()
        .find(|l| l.projection == w1)
        .expect("W1 learns");
    assert!(l1.zero_sum);
    assert_eq!((l1.err_pos.as_str(), l1.err_neg.as_str()), ("eh_p", "eh_n"));
    assert_eq!(l1.pre_trace.tau, c.tau_pre_w1.unwrap());
    assert_eq!(l1.w_max, c.w_conj_max);
    assert_eq!(l1.calcium.unwrap().theta_low, 0.3);
    // The readout keeps the shared trace and the plain rule.
    let l2 = spec
        .learning
        .iter()
        .find(|l| l.projection == layout.w2)
        .unwrap();
    assert!(!l2.zero_sum);
    assert_eq!(l2.pre_trace.tau, c.tau_pre);
    assert_eq!(spec.projections[layout.w2].from, "hid");

    // The fixed inhibition: uniform, same pairs, GABA with the NMDA time course on `hid`.
    let inh = (0..spec.projections.len())
        .find(|&i| {
            spec.projections[i].from == "ds"
                && spec.projections[i].to == "hid"
                && spec.projections[i].synapse == SynapseType::Gaba
        })
        .expect("inhibition ds -> hid");
    assert!(dense(&spec, inh).iter().all(|&v| v == c.w_conj_inh));
    let hid = spec.populations.iter().find(|p| p.name == "hid").unwrap();
    // W1's (AMPA) and the inhibition's (GABA) synapses share the 80 ms NMDA time course.
    let q = &hid.params;
    assert_eq!((q.i_tau_ampa, q.i_tau_gaba), (q.i_tau_nmda, q.i_tau_nmda));
    assert_eq!(
        (q.i_gain_ampa, q.i_gain_gaba),
        (q.i_gain_nmda, q.i_gain_nmda)
    );
    let thr: Vec<f64> = hid
        .per_neuron
        .as_ref()
        .unwrap()
        .iter()
        .map(|q| q.i_spkthr)
        .collect();
    assert_eq!(
        (thr[0], thr[n_hid - 1]),
        (c.hidden_thresholds.0, c.hidden_thresholds.1)
    );

    // Feedback none: the same layers, W1 fixed, no hidden error neurons.
    let fixed = NetConfig {
        feedback: FeedbackMode::None,
        ..c.clone()
    };
    let (spec_n, layout_n) = build(N_IN, 2, &fixed, 4);
    assert_eq!(dense(&spec_n, layout_n.w1.unwrap()), w, "same initial W1");
    assert!(spec_n.learning.iter().all(|l| l.projection != w1));
    assert!(spec_n.populations.iter().all(|p| p.name != "eh_p"));
}

/// The paper's claim where it must hold: the group-local detectors code each group's direction
/// separately, so no readout of a fixed random conjunction layer solves `xor`; trained through
/// mirrored feedback, the layer learns the conjunctions. Seed 1, 300 presentations (the issue's
/// budget), 40 test presentations. Measured (`mixsig train --profile none --pattern xor --seeds
/// 1..10 --presentations 300 --n-test 100 --test-every 300`): README, results; here, seed 1 on its
/// 40 test presentations: 0.975 / 0.50 (session 26's preset, 5e-10 A detector ramp; session 16's:
/// 1.00 / 0.50). The bounds leave room for the test set's size and still fail if the hidden
/// layer's learning stops mattering.
#[test]
fn on_xor_training_the_conjunction_layer_beats_keeping_it_fixed() {
    let opts = |feedback| TrainOptions {
        profile: None,
        task: TaskSource::Pattern(Pattern::Xor),
        seed: 1,
        presentations: 300,
        n_test: 40,
        test_every: 300,
        feedback,
        ..TrainOptions::default()
    };
    let (m, n) = rayon::join(
        || run::train(&opts(FeedbackMode::Mirrored), |_, _| {}).unwrap(),
        || run::train(&opts(FeedbackMode::None), |_, _| {}).unwrap(),
    );
    let (am, an) = (m.result.test_accuracy, n.result.test_accuracy);
    eprintln!("xor seed 1: mirrored {am}, fixed hidden layer {an}");
    assert!(am >= 0.85, "mirrored {am}");
    assert!(an <= 0.65, "fixed {an}");
    // Learning in the hidden layer is also what lets the output error fall: with the preset's
    // output dead zone the error pairs go quieter only once the conjunction layer separates the
    // classes, to the target of 30 % of the start (README, learning stops). Seed 1: 0.155
    // trained, 0.666 fixed (session 16's preset: 0.150, 0.550); session 15's preset (teacher
    // window to 160 ms, 10 ms GABA on the error neurons) gave 0.334 and fails the first bound.
    let ratio =
        |r: &mixsig_lab::train::protocol::TrainResult| r.error_rate_end_hz / r.error_rate_start_hz;
    let (rm, rn) = (ratio(&m.result), ratio(&n.result));
    eprintln!("xor seed 1: error end/start mirrored {rm:.3}, fixed {rn:.3}");
    assert!(
        rm <= 0.3 && rm < 0.6 * rn,
        "error end/start: mirrored {rm}, fixed {rn}"
    );
    assert!(m.result.hidden_updates.unwrap() > 0);
    // The same initial network: the fixed run's W1 is the mirrored run's starting point.
    assert_eq!(m.result.curve[0].w1_mean, n.result.curve[0].w1_mean);
    assert_ne!(m.result.curve[1].w1_mean, m.result.curve[0].w1_mean);
}

/// On a die the detectors get a core of their own (3) and the hidden error neurons share core 2
/// with the output error neurons (same parameters), the conjunction layer takes the hidden core 0;
/// every preset without detectors keeps the hidden error neurons on core 3.
#[test]
fn on_a_die_the_detectors_take_core_3_and_the_hidden_errors_core_2() {
    let cores = |task: Pattern| {
        let opts = TrainOptions {
            profile: Some("dynapse2".into()),
            task: TaskSource::Pattern(task),
            presentations: 2,
            n_test: 2,
            ..TrainOptions::default()
        };
        let p = run::prepare(&opts).unwrap();
        p.chip
            .unwrap()
            .placement
            .into_iter()
            .map(|q| (q.population, q.cores))
            .collect::<Vec<_>>()
    };
    let xor = cores(Pattern::Xor);
    for (pop, core) in [
        ("ds", 3),
        ("hid", 0),
        ("out", 1),
        ("eo_p", 2),
        ("eh_p", 2),
        ("eh_n", 2),
    ] {
        assert!(
            xor.contains(&(pop.to_string(), vec![core])),
            "xor: {pop} on core {core}: {xor:?}"
        );
    }
    let order = cores(Pattern::Order);
    assert!(order.contains(&("eh_p".to_string(), vec![3])), "{order:?}");
    assert!(order.iter().all(|(p, _)| p != "ds"), "{order:?}");
}
