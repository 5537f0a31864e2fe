//! The error neurons' own knobs: the dead zone of the output `e-` neurons
//! (`NetConfig::dead_zone_neg`) and the time constants of their synapses (`NetConfig::error_tau`)
//! reach the populations they name and no other, and a wide `e-` dead zone silences `e-` alone.

use mixsig_circuits::SynapseType;
use mixsig_engine::spec::{DcSpec, NetworkSpec, PopulationSpec};
use mixsig_engine::Network;
use mixsig_lab::train::network::{base_params, build, NetConfig};

const N_IN: usize = 16;

fn pop<'a>(spec: &'a NetworkSpec, name: &str) -> &'a PopulationSpec {
    spec.populations
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no population {name}"))
}

/// The constant current the network injects into `name` (the negative of its dead zone).
fn dc(spec: &NetworkSpec, name: &str) -> f64 {
    let d = spec
        .dc
        .iter()
        .find(|d| d.population == name)
        .unwrap_or_else(|| panic!("no dc for {name}"));
    assert_eq!(d.steps.len(), 1);
    d.steps[0].1
}

/// Time constants (s) of a population's AMPA and GABA synapses.
fn taus(spec: &NetworkSpec, name: &str) -> (f64, f64) {
    let p = &pop(spec, name).params;
    (
        p.synapse(SynapseType::Ampa).tau(p.kappa(), p.u_t),
        p.synapse(SynapseType::Gaba).tau(p.kappa(), p.u_t),
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs()
}

#[test]
fn error_knobs_reach_the_error_populations_only() {
    let d = NetConfig::for_task("order");
    assert_eq!((d.dead_zone_neg, d.error_tau), (None, (3.0, 1.0)));
    let (spec, _) = build(N_IN, 2, &d, 1);
    for e in ["eo_p", "eo_n", "eh_p", "eh_n"] {
        assert_eq!(dc(&spec, e), -d.dead_zone, "{e}");
        // The defaults: ~30 ms excitation, 10 ms inhibition (the circuit's default).
        let (a, g) = taus(&spec, e);
        assert!(close(a, 0.03) && close(g, 0.01), "{e}: {a} {g}");
    }

    let c = NetConfig {
        dead_zone_neg: Some(7e-11),
        error_tau: (5.0, 2.0),
        ..d.clone()
    };
    let (spec, _) = build(N_IN, 2, &c, 1);
    assert_eq!(dc(&spec, "eo_n"), -7e-11);
    for e in ["eo_p", "eh_p", "eh_n"] {
        assert_eq!(dc(&spec, e), -c.dead_zone, "{e}");
    }
    for e in ["eo_p", "eo_n", "eh_p", "eh_n"] {
        let (a, g) = taus(&spec, e);
        assert!(close(a, 0.05) && close(g, 0.02), "{e}: {a} {g}");
        // The gains scale with the leaks, so a spike's charge is unchanged.
        let p = &pop(&spec, e).params;
        assert!(close(p.i_gain_ampa / p.i_tau_ampa, 100.0), "{e}");
        let b = base_params();
        assert!(
            close(p.i_gain_gaba / p.i_tau_gaba, b.i_gain_gaba / b.i_tau_gaba),
            "{e}"
        );
    }
    // Nothing else moves: the outputs and hidden neurons keep their synapses.
    let (spec_d, _) = build(N_IN, 2, &d, 1);
    for p in ["out", "hid"] {
        assert_eq!(pop(&spec, p), pop(&spec_d, p), "{p}");
    }
}

/// `e+` / `e-` spikes of the output error neurons while the outputs are driven by a constant
/// current and the teacher is silent (the situation of a class that is not presented).
fn error_spikes(cfg: &NetConfig) -> (usize, usize) {
    let (mut spec, _) = build(N_IN, 2, cfg, 1);
    spec.dc.push(DcSpec {
        population: "out".into(),
        neurons: None,
        steps: vec![(0.0, 3e-10)],
    });
    let mut net = Network::build(&spec, 1e-4, 1).expect("network");
    net.learning_on = false;
    net.run(0.3);
    let out = net.rec.group("out").expect("out");
    let (p, n) = (
        net.rec.group("eo_p").expect("eo_p"),
        net.rec.group("eo_n").expect("eo_n"),
    );
    let count = |g: usize| {
        net.rec
            .spikes
            .iter()
            .filter(|s| s.group as usize == g)
            .count()
    };
    assert!(count(out) > 20, "the outputs fire: {}", count(out));
    (count(p), count(n))
}

#[test]
fn a_wide_negative_dead_zone_silences_e_minus_alone() {
    let d = NetConfig::for_task("order");
    let (p0, n0) = error_spikes(&d);
    // A wrong class's outputs fire with no teacher: `e-` reports it, `e+` stays silent.
    assert!(n0 > 10 && p0 == 0, "default: e+ {p0}, e- {n0}");
    let wide = NetConfig {
        dead_zone_neg: Some(5e-9),
        ..d
    };
    let (p1, n1) = error_spikes(&wide);
    assert_eq!((p1, n1), (0, 0), "e- dead zone 5 nA");
}
