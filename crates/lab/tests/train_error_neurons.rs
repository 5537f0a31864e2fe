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

/// Spikes of class 0's `e+` and class 1's `e-` while class 1's outputs are driven by a constant
/// current and class 0's teacher fires at 100 Hz: class 0 is the label and stays silent (its `e+`
/// reports the missing answer), class 1 answers without a teacher (its `e-` reports it).
fn error_spikes(cfg: &NetConfig) -> (usize, usize) {
    let (mut spec, _) = build(N_IN, 2, cfg, 1);
    let k = cfg.n_per_class as u32;
    spec.dc.push(DcSpec {
        population: "out".into(),
        neurons: Some((k..2 * k).collect()),
        steps: vec![(0.0, 3e-10)],
    });
    let mut net = Network::build(&spec, 1e-4, 1).expect("network");
    net.learning_on = false;
    let teacher: Vec<f64> = (0..30).map(|i| 0.005 + 0.01 * i as f64).collect();
    net.present("teacher", &[teacher, vec![]]).expect("teacher");
    net.run(0.3);
    let group = |name: &str| net.rec.group(name).expect(name) as u32;
    let (out, p, n) = (group("out"), group("eo_p"), group("eo_n"));
    let count = |g: u32, class: u32| {
        net.rec
            .spikes
            .iter()
            .filter(|s| s.group == g && s.neuron / k == class)
            .count()
    };
    assert!(count(out, 1) > 20, "class 1 fires: {}", count(out, 1));
    assert_eq!(count(out, 0), 0, "class 0 stays silent");
    (count(p, 0), count(n, 1))
}

#[test]
fn a_wide_negative_dead_zone_silences_e_minus_alone() {
    let d = NetConfig::for_task("order");
    let (p0, n0) = error_spikes(&d);
    assert!(p0 > 10 && n0 > 10, "default: e+ {p0}, e- {n0}");
    let wide = NetConfig {
        dead_zone_neg: Some(5e-9),
        ..d
    };
    let (p1, n1) = error_spikes(&wide);
    // `e-` falls silent; `e+`, which never sees `e-`, fires exactly as before.
    assert_eq!(
        (p1, n1),
        (p0, 0),
        "e- dead zone 5 nA (default: e+ {p0}, e- {n0})"
    );
}
