//! The signed readout (`NetConfig::signed_readout`, the `frozen-poisson` preset): every W2 synapse
//! gets a plastic inhibitory twin that starts at 0 and learns by the same rule with the error pair
//! swapped; on a chip whose neurons cannot hold the doubled fan-in the preset runs without it.

use mixsig_circuits::SynapseType;
use mixsig_engine::spec::{Connectivity, NetworkSpec};
use mixsig_engine::Network;
use mixsig_lab::tasks::{generate, Pattern, PatternConfig};
use mixsig_lab::train::config::SignedReadout;
use mixsig_lab::train::network::{build, NetConfig};
use mixsig_lab::train::placement::fan_in;
use mixsig_lab::train::run::build_fitted;

/// Index of the twin projection: the plastic GABA projection onto `out`.
fn twin(spec: &NetworkSpec) -> Option<usize> {
    spec.learning.iter().map(|l| l.projection).find(|&p| {
        spec.projections[p].to == "out" && spec.projections[p].synapse == SynapseType::Gaba
    })
}

fn dead_zone(spec: &NetworkSpec, pop: &str) -> f64 {
    -spec.dc.iter().find(|d| d.population == pop).unwrap().steps[0].1
}

fn with_twin() -> NetConfig {
    NetConfig {
        signed_readout: Some(SignedReadout {
            w_max: 4e-10,
            eta: 1.2e-11,
            dead_zone: 5e-11,
            eta_decay: 1000.0,
        }),
        ..NetConfig::for_task("order")
    }
}

#[test]
fn the_twin_is_a_zero_started_inhibitory_copy_of_w2_learning_from_the_swapped_pair() {
    let c = with_twin();
    let sr = c.signed_readout.unwrap();
    let (spec, layout) = build(16, 2, &c, 1);
    let t = twin(&spec).expect("a twin projection");
    let (w2, tw) = (&spec.projections[layout.w2], &spec.projections[t]);
    assert_eq!(
        (tw.from.as_str(), tw.to.as_str()),
        (w2.from.as_str(), "out")
    );
    let (Connectivity::Dense(a), Connectivity::Dense(b)) = (&w2.connect, &tw.connect) else {
        panic!("W2 and its twin are dense")
    };
    assert_eq!(a.len(), b.len());
    assert!(b.iter().all(|&w| w == 0.0));
    let l = spec.learning.iter().find(|l| l.projection == t).unwrap();
    assert_eq!((l.err_pos.as_str(), l.err_neg.as_str()), ("eo_n", "eo_p"));
    assert_eq!((l.w_max, l.eta), (sr.w_max, sr.eta));
    assert!(l.mirrors.is_empty(), "the feedback follows W2 only");
    // Its dead zone replaces the preset's on the output error neurons; the hidden ones keep it.
    for e in ["eo_p", "eo_n"] {
        assert_eq!(dead_zone(&spec, e), sr.dead_zone, "{e}");
    }
    for e in ["eh_p", "eh_n"] {
        assert_eq!(dead_zone(&spec, e), c.dead_zone, "{e}");
    }
    let (plain, _) = build(16, 2, &NetConfig::for_task("order"), 1);
    assert!(twin(&plain).is_none());
    assert_eq!(
        dead_zone(&plain, "eo_p"),
        NetConfig::for_task("order").dead_zone
    );
}

/// Run one `order` presentation ten times with the teacher firing at `teacher_hz` for both
/// classes (0: silent); returns (twin weights, W2 mean before, W2 mean after).
fn drive(teacher_hz: f64) -> (Vec<f64>, f64, f64) {
    let c = with_twin();
    let task = generate(Pattern::Order, &PatternConfig::default(), 2, 2, 5).unwrap();
    let (spec, layout) = build(task.n_channels, task.n_classes, &c, 5);
    let t = twin(&spec).unwrap();
    let mut net = Network::build(&spec, 1e-4, 5).unwrap();
    let mean = |net: &Network| {
        let w = net.projections[layout.w2].table.weights();
        w.iter().sum::<f64>() / w.len() as f64
    };
    let before = mean(&net);
    let teacher: Vec<f64> = if teacher_hz > 0.0 {
        (0..(0.2 * teacher_hz) as usize)
            .map(|k| (k as f64 + 0.5) / teacher_hz)
            .collect()
    } else {
        Vec::new()
    };
    for _ in 0..10 {
        net.present("in", &task.train[0].channels).unwrap();
        net.present("teacher", &[teacher.clone(), teacher.clone()])
            .unwrap();
        net.run(0.25);
        net.rec.spikes.clear();
    }
    let after = mean(&net);
    (net.projections[t].table.weights().to_vec(), before, after)
}

#[test]
fn outputs_firing_without_a_teacher_grow_the_twin_and_shrink_w2() {
    // No teacher: every output spike is an error (`e-`), which depresses W2 and potentiates the twin.
    let (tw, before, after) = drive(0.0);
    let w_max = with_twin().signed_readout.unwrap().w_max;
    assert!(after < before, "W2 mean {before:e} -> {after:e}");
    let grown = tw.iter().filter(|&&w| w > 0.0).count();
    assert!(
        grown > tw.len() / 10,
        "{grown} of {} twin synapses grew",
        tw.len()
    );
    assert!(tw.iter().all(|&w| (0.0..=w_max).contains(&w)));
}

#[test]
fn a_teacher_above_the_outputs_leaves_the_twin_at_zero_and_grows_w2() {
    // A 300 Hz teacher on every output: only `e+` fires, which potentiates W2 and depresses the
    // twin, which is already at its lower bound.
    let (tw, before, after) = drive(300.0);
    assert!(after > before, "W2 mean {before:e} -> {after:e}");
    assert!(tw.iter().all(|&w| w == 0.0));
}

#[test]
fn frozen_poisson_has_the_twin_on_ideal_circuits_and_drops_it_where_the_fan_in_does_not_fit() {
    let preset = NetConfig::for_task("frozen-poisson");
    let sr = preset
        .signed_readout
        .expect("frozen-poisson has a signed readout");
    let task = generate(Pattern::FrozenPoisson, &PatternConfig::default(), 2, 2, 1).unwrap();
    // Ideal circuits (no limit): the preset as it is.
    let mut c = preset.clone();
    let mut notes = Vec::new();
    let (spec, _) = build_fitted(&task, &mut c, 1, None, &mut notes);
    assert!(notes.is_empty());
    assert_eq!(c, preset);
    // Each output: 48 hidden neurons twice (W2 and its twin), one bias synapse, and the four
    // outputs of the other class (mutual inhibition).
    assert_eq!(fan_in(&spec, "out"), 2 * 48 + 1 + 4);
    assert_eq!(dead_zone(&spec, "eo_p"), sr.dead_zone);
    // A chip with that many synapses per neuron keeps it.
    let mut c = preset.clone();
    build_fitted(&task, &mut c, 1, Some(101), &mut notes);
    assert!(notes.is_empty());
    assert_eq!(c.signed_readout, Some(sr));
    // dynapse2's 64 do not: the preset without it, and a note that says so.
    let mut c = preset.clone();
    let (spec, _) = build_fitted(&task, &mut c, 1, Some(64), &mut notes);
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].contains("101") && notes[0].contains("64"),
        "{}",
        notes[0]
    );
    assert_eq!(
        c,
        NetConfig {
            signed_readout: None,
            ..preset.clone()
        }
    );
    assert!(twin(&spec).is_none());
    // With the twin goes its slower learning-rate decay (not vacuous: the two differ).
    assert_ne!(sr.eta_decay, preset.eta_decay);
    assert_eq!(preset.learning_rate_decay(), sr.eta_decay);
    assert_eq!(c.learning_rate_decay(), preset.eta_decay);
    assert!(notes[0].contains("decaying over 100 instead of 1000 presentations"));
    assert_eq!(fan_in(&spec, "out"), 48 + 1 + 4);
    assert_eq!(dead_zone(&spec, "eo_p"), preset.dead_zone);
    // And it is the ideal preset's network with the twin taken out, weight for weight: the twin
    // draws nothing from the streams the rest of the network is drawn from.
    let (mut with, _) = build_fitted(&task, &mut preset.clone(), 1, None, &mut Vec::new());
    let t = twin(&with).unwrap();
    with.projections.remove(t);
    with.learning.retain(|l| l.projection != t);
    let shift = |i: &mut usize| {
        if *i > t {
            *i -= 1;
        }
    };
    for l in &mut with.learning {
        shift(&mut l.projection);
        l.mirrors.iter_mut().for_each(shift);
    }
    for d in &mut with.dc {
        if d.population == "eo_p" || d.population == "eo_n" {
            d.steps = vec![(0.0, -preset.dead_zone)];
        }
    }
    assert_eq!(spec, with);
}

#[test]
fn the_twin_learns_in_the_symmetric_window_when_the_outputs_stop_by_direction() {
    // `theta_up` stops potentiation once an output fires enough: on the twin that would stop the
    // inhibition from growing exactly when the output fires too much.
    let c = NetConfig {
        calcium_out: Some(NetConfig::default().stop_learning_out(1.0, 0.5)),
        ..with_twin()
    };
    let (spec, layout) = build(16, 2, &c, 1);
    let window = |p: usize| {
        spec.learning
            .iter()
            .find(|l| l.projection == p)
            .unwrap()
            .calcium
            .unwrap()
    };
    let (w2, tw) = (window(layout.w2), window(twin(&spec).unwrap()));
    assert_eq!((w2.theta_up, w2.theta_down), (Some(1.0), Some(0.5)));
    assert_eq!((tw.theta_up, tw.theta_down), (None, None));
    assert_eq!(
        (tw.theta_low, tw.theta_high, tw.trace),
        (w2.theta_low, w2.theta_high, w2.trace)
    );
}

#[test]
fn a_dynapse2_sweep_of_frozen_poisson_says_once_that_it_runs_without_the_twin() {
    use mixsig_lab::tasks::Pattern;
    use mixsig_lab::train::run::{TaskSource, TrainOptions};
    let opts = TrainOptions {
        profile: Some("dynapse2".into()),
        task: TaskSource::Pattern(Pattern::FrozenPoisson),
        presentations: 2,
        n_test: 2,
        test_every: 2,
        ..TrainOptions::default()
    };
    let s = mixsig_lab::train::sweep::sweep(&opts, &[1], &[0, 1], |_, _| {}).unwrap();
    let notes: Vec<&String> = s
        .warnings
        .iter()
        .filter(|w| w.contains("signed readout"))
        .collect();
    assert_eq!(notes.len(), 1, "{:?}", s.warnings);
    // Both runs gave it: no count suffix.
    assert!(!notes[0].contains(" runs)"), "{}", notes[0]);

    // On ideal circuits there is nothing to say.
    let ideal = TrainOptions {
        profile: None,
        ..opts
    };
    let s = mixsig_lab::train::sweep::sweep(&ideal, &[1, 2], &[], |_, _| {}).unwrap();
    assert!(s.warnings.iter().all(|w| !w.contains("signed readout")));
    // The hidden layer's "did not learn" is the rows' `hidden_updates`, not listed again (not
    // vacuous: these short runs apply no hidden update, and each run's own warnings say so).
    assert!(s.rows.iter().any(|r| r.hidden_updates == Some(0)));
    let one = mixsig_lab::train::run::train(&ideal, |_, _| {}).unwrap();
    assert!(one.warnings.iter().any(|w| w.contains("did not learn")));
    assert!(
        s.warnings.iter().all(|w| !w.contains("did not learn")),
        "{:?}",
        s.warnings
    );
}
