//! The calibration of the output error pairs (`mixsig_lab::train::errcal`): a neuron whose
//! synapses were spoiled on purpose is found and turned down on the side the physics says, each
//! neuron's choice depends on its own synapses only, the chosen scales reach the requested
//! weights, and a network without a die has nothing to calibrate.

use mixsig_chip::ChipProfile;
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
    }
}

/// The `sync` preset on die [`DIE`] of `dynapse2`, core biases calibrated.
fn on_die() -> (NetworkSpec, NetConfig) {
    let cfg = NetConfig::for_task("sync");
    let (mut spec, _) = build(16, 2, &cfg, 1);
    let p = ChipProfile::builtin("dynapse2").unwrap();
    bind_to_die(&mut spec, &[], &p, DIE, &[], true).unwrap();
    (spec, cfg)
}

/// Multiply the requested weight of `from -> to` onto neuron `post` by `f`.
fn spoil(spec: &mut NetworkSpec, from: &str, to: &str, post: u32, f: f64) {
    let p = spec
        .projections
        .iter_mut()
        .find(|p| p.from == from && p.to == to)
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
    let p = spec
        .projections
        .iter()
        .find(|p| p.from == from && p.to == to)
        .unwrap();
    let Connectivity::Explicit(t) = &p.connect else {
        panic!("not explicit")
    };
    let mut w = vec![0.0; t.len()];
    for e in t {
        w[e.1 as usize] = e.2;
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
