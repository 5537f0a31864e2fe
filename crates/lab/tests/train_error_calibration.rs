//! The calibration of the output error pairs (`mixsig_lab::train::errcal`): a neuron whose
//! synapses were spoiled on purpose is found and turned down on the side the physics says, each
//! neuron's choice depends on its own synapses only, the chosen scales reach the requested
//! weights, and a network without a die has nothing to calibrate. With contrastive wiring (`xor`)
//! a spoiled contrastive synapse is found and answered on its own side, without moving the own
//! comparison's scales, and a weak own output synapse, which the own trials mistake for a strong
//! teacher synapse, is found by the common-mode block and turned up.

use std::sync::OnceLock;

use mixsig_chip::ChipProfile;
use mixsig_circuits::SynapseType;
use mixsig_engine::spec::Connectivity;
use mixsig_engine::NetworkSpec;
use mixsig_lab::train::errcal::{
    calibrate_error_pairs, calibrate_error_pairs_against, Bench, PairCalibration,
};
use mixsig_lab::train::network::{build, NetConfig};
use mixsig_lab::train::placement::bind_to_die;

const DIE: u64 = 0;

fn bench(cfg: &NetConfig) -> Bench {
    Bench {
        rate_teacher: cfg.rate_teacher,
        window: cfg.teacher_window,
        duration: 0.2,
        gap: 0.1,
        dt: 1e-4,
        n_per_class: cfg.n_per_class,
    }
}

/// The `sync` preset on die [`DIE`] of `dynapse2`, core biases calibrated.
fn on_die() -> (NetworkSpec, NetConfig) {
    on_die_task("sync")
}

/// The preset of `task` on die [`DIE`] of `dynapse2`, core biases calibrated.
fn on_die_task(task: &str) -> (NetworkSpec, NetConfig) {
    let cfg = NetConfig::for_task(task);
    let (mut spec, _) = build(16, 2, &cfg, 1);
    let p = ChipProfile::builtin("dynapse2").unwrap();
    bind_to_die(&mut spec, &[], &p, DIE, &[], true, None).unwrap();
    (spec, cfg)
}

/// Multiply the requested weight of `from -> to` onto neuron `post` by `f`.
fn spoil(spec: &mut NetworkSpec, from: &str, to: &str, post: u32, f: f64) {
    spoil_typed(spec, from, to, None, post, f)
}

/// [`spoil`] on the projection of synapse type `syn` (the first `from -> to` when `None`).
fn spoil_typed(
    spec: &mut NetworkSpec,
    from: &str,
    to: &str,
    syn: Option<SynapseType>,
    post: u32,
    f: f64,
) {
    let p = spec
        .projections
        .iter_mut()
        .find(|p| p.from == from && p.to == to && syn.is_none_or(|s| p.synapse == s))
        .unwrap();
    let Connectivity::Explicit(t) = &mut p.connect else {
        panic!("{from} -> {to} is not explicit")
    };
    t.iter_mut().filter(|e| e.1 == post).for_each(|e| e.2 *= f);
}

fn record<'a>(r: &'a [PairCalibration], pop: &str, n: u32) -> &'a PairCalibration {
    r.iter()
        .find(|x| x.population == pop && x.neuron == n)
        .unwrap()
}

/// Requested weights of `from -> to`, per post neuron (one synapse each in the preset).
fn weights(spec: &NetworkSpec, from: &str, to: &str) -> Vec<f64> {
    weights_typed(spec, from, to, None)
}

/// Requested weights of `from -> to` of synapse type `syn`, summed per post neuron.
fn weights_typed(spec: &NetworkSpec, from: &str, to: &str, syn: Option<SynapseType>) -> Vec<f64> {
    let p = spec
        .projections
        .iter()
        .find(|p| p.from == from && p.to == to && syn.is_none_or(|s| p.synapse == s))
        .unwrap();
    let Connectivity::Explicit(t) = &p.connect else {
        panic!("not explicit")
    };
    let n = t.iter().map(|e| e.1 as usize + 1).max().unwrap_or(0);
    let mut w = vec![0.0; n];
    for e in t {
        w[e.1 as usize] += e.2;
    }
    w
}

#[test]
fn a_spoiled_error_neuron_is_moved_back_on_the_side_the_physics_says() {
    let (clean, cfg) = on_die();
    let b = bench(&cfg);
    let mut s0 = clean.clone();
    let r0 = calibrate_error_pairs(&mut s0, &b, 1).unwrap();
    assert_eq!(r0.len(), 16, "8 e+ and 8 e- neurons");

    // Spoil one synapse of three neurons, chosen where the clean die's calibration leaves
    // room to answer (the scales run from 0.4 to 1.5). An e+ neuron that loses half its output
    // inhibition fires on the teacher whatever its output does; an e- neuron that loses half its
    // output excitation (30 %) goes deaf: both need relatively more of the output side than on the clean
    // die (less teacher weight or more output weight). An e+ neuron that loses half its teacher
    // excitation needs relatively more teacher.
    let pick = |pop: &str, ok: &dyn Fn(&PairCalibration) -> bool, not: &[u32]| -> u32 {
        r0.iter()
            .find(|x| x.population == pop && ok(x) && !not.contains(&x.neuron))
            .unwrap_or_else(|| panic!("die {DIE} has no {pop} neuron for this test: {r0:?}"))
            .neuron
    };
    let hot = pick(
        "eo_p",
        &|x| x.teacher_scale >= 0.8 && x.output_scale == 1.0,
        &[],
    );
    let deaf = pick(
        "eo_p",
        &|x| x.teacher_scale <= 1.0 && x.output_scale >= 1.0,
        &[hot],
    );
    let deaf_n = pick(
        "eo_n",
        &|x| x.teacher_scale == 1.0 && x.output_scale <= 1.0,
        &[],
    );
    let spoils = [
        ("out", "eo_p", hot, 0.5, false),
        ("teacher", "eo_p", deaf, 0.5, true),
        ("out", "eo_n", deaf_n, 0.7, false),
    ];
    let mut spoiled = clean.clone();
    for (from, to, n, f, _) in spoils {
        spoil(&mut spoiled, from, to, n, f);
    }
    let mut s1 = spoiled.clone();
    // The spoiling is the die's: the design stays the clean network.
    let r1 = calibrate_error_pairs_against(&mut s1, &clean, &b, 1).unwrap();

    for (_, pop, n, _, more_teacher) in spoils {
        let (x0, x1) = (record(&r0, pop, n), record(&r1, pop, n));
        assert!(
            x1.misfit_after < 0.5 * x1.misfit_before,
            "{pop}[{n}]: calibration must bring it back: {x1:?}"
        );
        let ratio = |x: &PairCalibration| x.teacher_scale / x.output_scale;
        assert_eq!(
            ratio(x1) > ratio(x0),
            more_teacher,
            "{pop}[{n}]: clean {x0:?}, spoiled {x1:?}"
        );
    }
    // Every other neuron gets what it got without the spoiling: a neuron's choice depends on its
    // own synapses only.
    for x in &r0 {
        if spoils
            .iter()
            .any(|s| (s.1, s.2) == (x.population.as_str(), x.neuron))
        {
            continue;
        }
        assert_eq!(record(&r1, &x.population, x.neuron), x);
    }
    // No choice is worse than the design's setting, which is always a candidate.
    assert!(r0.iter().all(|x| x.misfit_after <= x.misfit_before));
    // `sync` has no contrastive wiring: nothing to scale there.
    assert!(r1
        .iter()
        .all(|x| (x.cross_teacher_scale, x.cross_output_scale) == (1.0, 1.0)));

    // The scales reach the requested weights, neuron by neuron, and nothing else moves.
    for (from, to, pop, teacher) in [
        ("teacher", "eo_p", "eo_p", true),
        ("out", "eo_p", "eo_p", false),
        ("teacher", "eo_n", "eo_n", true),
        ("out", "eo_n", "eo_n", false),
    ] {
        let before = weights(&spoiled, from, to);
        let after = weights(&s1, from, to);
        for (n, (w0, w1)) in before.iter().zip(&after).enumerate() {
            let x = record(&r1, pop, n as u32);
            let f = if teacher {
                x.teacher_scale
            } else {
                x.output_scale
            };
            assert!((w1 - w0 * f).abs() <= 1e-12 * w0, "{from}->{to}[{n}]");
        }
    }
    for (a, b) in spoiled.projections.iter().zip(&s1.projections) {
        if !(a.to.starts_with("eo_") && (a.from == "teacher" || a.from == "out")) {
            assert_eq!(a, b);
        }
    }
}

#[test]
fn ideal_circuits_have_nothing_to_calibrate() {
    let cfg = NetConfig::for_task("sync");
    let (spec, _) = build(16, 2, &cfg, 1);
    let mut s = spec.clone();
    assert!(calibrate_error_pairs(&mut s, &bench(&cfg), 1)
        .unwrap()
        .is_empty());
    assert_eq!(s, spec);
}

/// The `xor` preset on die [`DIE`] and its clean calibration, computed once for the tests that
/// spoil it (each calibration of contrastive pairs takes ~70 bench runs).
fn clean_xor() -> &'static (NetworkSpec, NetConfig, Vec<PairCalibration>) {
    static CLEAN: OnceLock<(NetworkSpec, NetConfig, Vec<PairCalibration>)> = OnceLock::new();
    CLEAN.get_or_init(|| {
        let (clean, cfg) = on_die_task("xor");
        let mut s0 = clean.clone();
        let r0 = calibrate_error_pairs(&mut s0, &bench(&cfg), 1).unwrap();
        (clean, cfg, r0)
    })
}

#[test]
fn a_spoiled_contrastive_synapse_is_answered_on_its_own_side() {
    // `xor` wires its error pairs contrastively: each `e+` is also inhibited by the other class's
    // teacher and excited by the other class's outputs (the cross synapses), `e-` the other way
    // round. On the bench a class's error neurons see those synapses alone while the other class's
    // teacher and outputs are driven.
    let (clean, cfg, r0) = clean_xor();
    let b = bench(cfg);
    assert_eq!(r0.len(), 16, "8 e+ and 8 e- neurons");
    // The contrastive side is calibrated on this die: some neuron gets a cross scale.
    assert!(
        r0.iter()
            .any(|x| (x.cross_teacher_scale, x.cross_output_scale) != (1.0, 1.0)),
        "{r0:?}"
    );

    // Halve the cross inhibition of one `e+` neuron (the other class's teacher, GABA): when the
    // other class's outputs answer their teacher it now fires, so it needs relatively more of
    // the cross teacher than on the clean die. Pick one that can still be turned up.
    let n = r0
        .iter()
        .find(|x| x.population == "eo_p" && x.cross_teacher_scale <= 1.0)
        .unwrap_or_else(|| panic!("die {DIE} has no eo_p neuron for this test: {r0:?}"))
        .neuron;
    let mut spoiled = clean.clone();
    spoil_typed(
        &mut spoiled,
        "teacher",
        "eo_p",
        Some(SynapseType::Gaba),
        n,
        0.5,
    );
    let mut s1 = spoiled.clone();
    let r1 = calibrate_error_pairs_against(&mut s1, clean, &b, 1).unwrap();
    let (x0, x1) = (record(r0, "eo_p", n), record(&r1, "eo_p", n));
    // The spoiling adds misfit on top of what the clean die's calibration leaves (the own
    // comparison's share of the total is the same in both); calibration takes most of it away.
    let excess = |m: f64| m - x0.misfit_after;
    assert!(
        excess(x1.misfit_after) < 0.5 * excess(x1.misfit_before),
        "eo_p[{n}]: calibration must bring it back: clean {x0:?}, spoiled {x1:?}"
    );
    let ratio = |x: &PairCalibration| x.cross_teacher_scale / x.cross_output_scale;
    assert!(ratio(x1) > ratio(x0), "clean {x0:?}, spoiled {x1:?}");
    // Its own comparison is measured without the cross synapses: its own scales do not move,
    // and neither does any other neuron's record.
    assert_eq!(
        (x1.teacher_scale, x1.output_scale),
        (x0.teacher_scale, x0.output_scale)
    );
    for x in r0
        .iter()
        .filter(|x| (x.population.as_str(), x.neuron) != ("eo_p", n))
    {
        assert_eq!(record(&r1, &x.population, x.neuron), x);
    }
    // The cross scales reach the cross projections' requested weights.
    let gaba = Some(SynapseType::Gaba);
    let (before, after) = (
        weights_typed(&spoiled, "teacher", "eo_p", gaba),
        weights_typed(&s1, "teacher", "eo_p", gaba),
    );
    for (i, (w0, w1)) in before.iter().zip(&after).enumerate() {
        let f = record(&r1, "eo_p", i as u32).cross_teacher_scale;
        assert!(
            (w1 - w0 * f).abs() <= 1e-12 * w0,
            "teacher -> eo_p GABA [{i}]"
        );
    }
}

#[test]
fn a_common_mode_imbalance_is_answered_on_the_side_that_causes_it() {
    // At run time both classes' outputs fire together. An `e+` neuron compares its own class's
    // outputs (GABA) with the other class's (AMPA, contrastive); if its own output synapse is
    // weak it fires on the level both classes share, not on their difference. The own trials see
    // that synapse only against the teacher, where turning the teacher down looks as good as
    // turning the output up, and the contrastive trials do not see it at all: the common-mode
    // block (both classes' outputs, one class ahead) tells the two apart.
    let (clean, cfg, r0) = clean_xor();
    let b = bench(cfg);
    // A neuron whose own output weight can still be turned up.
    let n = r0
        .iter()
        .find(|x| x.population == "eo_p" && x.output_scale <= 1.0)
        .unwrap_or_else(|| panic!("die {DIE} has no eo_p neuron for this test: {r0:?}"))
        .neuron;
    let mut spoiled = clean.clone();
    // Its own output synapse (out -> eo_p, GABA) at half its weight.
    spoil_typed(&mut spoiled, "out", "eo_p", Some(SynapseType::Gaba), n, 0.5);
    let mut s1 = spoiled.clone();
    let r1 = calibrate_error_pairs_against(&mut s1, clean, &b, 1).unwrap();
    let (x0, x1) = (record(r0, "eo_p", n), record(&r1, "eo_p", n));
    assert!(
        x1.output_scale > x0.output_scale,
        "eo_p[{n}]: its weakened own output synapse must be turned up: clean {x0:?}, spoiled {x1:?}"
    );
    let excess = |m: f64| m - x0.misfit_after;
    assert!(
        excess(x1.misfit_after) < 0.5 * excess(x1.misfit_before),
        "eo_p[{n}]: calibration must bring it back: clean {x0:?}, spoiled {x1:?}"
    );
}
