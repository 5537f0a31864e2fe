//! The bias projection split over several synapses per output (`NetConfig::bias_synapses`): the
//! network gets `k` bias neurons, each synapse bounded by `w_bias_max / k` and learning at
//! `eta2 / k`; on ideal analog circuits the split network learns as the single synapse does, and with
//! n-bit storage each synapse sits on its own, `k` times finer grid.

use mixsig_engine::spec::{Connectivity, SourceKind};
use mixsig_lab::tasks::{generate, Pattern, PatternConfig};
use mixsig_lab::train::network::{build, NetConfig};
use mixsig_lab::train::protocol::{run, Protocol};

fn bias_projection(spec: &mixsig_engine::spec::NetworkSpec) -> usize {
    spec.projections
        .iter()
        .position(|p| p.from == "bias")
        .expect("a bias projection")
}

#[test]
fn the_split_bias_has_k_sources_each_with_its_share_of_bound_and_rate() {
    let base = NetConfig::for_task("sync");
    let n_out = 2 * base.n_per_class;
    for k in [1usize, 3, 4] {
        let c = NetConfig {
            bias_synapses: k,
            ..base.clone()
        };
        let (spec, _) = build(16, 2, &c, 1);
        let src = spec.sources.iter().find(|s| s.name == "bias").unwrap();
        assert_eq!(src.size, k);
        assert!(matches!(src.kind, SourceKind::Regular { rate, .. } if rate == c.bias_rate));
        let b = bias_projection(&spec);
        let Connectivity::Dense(w) = &spec.projections[b].connect else {
            panic!("bias projection is dense")
        };
        assert_eq!(w.len(), k * n_out);
        // Every output starts at half the bound in sum, as with one synapse.
        for o in 0..n_out {
            let sum: f64 = (0..k).map(|j| w[j * n_out + o]).sum();
            assert!(
                (sum - 0.5 * c.w_bias_max).abs() < 1e-12 * c.w_bias_max,
                "k {k}"
            );
        }
        let l = spec.learning.iter().find(|l| l.projection == b).unwrap();
        assert_eq!(l.w_max, c.w_bias_max / k as f64);
        assert_eq!(l.eta, c.eta2 / k as f64);
        // The readout's own rate is untouched.
        let w2 = spec
            .learning
            .iter()
            .find(|l| spec.projections[l.projection].from != "bias")
            .unwrap();
        assert_eq!(w2.eta, c.eta2);
    }
}

/// Run `sync` on ideal circuits for a few presentations with `k` bias synapses per output, the
/// bias learning rate multiplied by `eta_factor` (1: the split as built).
fn short_run(k: usize, eta_factor: f64) -> mixsig_lab::train::protocol::TrainResult {
    let c = NetConfig {
        bias_synapses: k,
        ..NetConfig::for_task("sync")
    };
    let task = generate(Pattern::Sync, &PatternConfig::default(), 40, 10, 3).unwrap();
    let (mut spec, layout) = build(task.n_channels, task.n_classes, &c, 3);
    let b = bias_projection(&spec);
    spec.learning
        .iter_mut()
        .find(|l| l.projection == b)
        .unwrap()
        .eta *= eta_factor;
    let proto = Protocol {
        presentations: 40,
        test_every: 20,
        teacher_window: c.teacher_window,
        teacher_anchor: c.teacher_anchor,
        ..Protocol::default()
    };
    run(
        &spec,
        &layout,
        c.n_per_class,
        c.rate_teacher,
        &task,
        &proto,
        3,
        |_, _| {},
    )
    .unwrap()
}

#[test]
fn on_ideal_analog_circuits_four_bias_synapses_learn_as_one() {
    // k = 4: the shares w/4 and eta/4 are exact in floating point, and the four synapses get the
    // same pre trace and error, so the summed offset is the single synapse's to rounding.
    let (one, four) = rayon::join(|| short_run(1, 1.0), || short_run(4, 1.0));
    // Not vacuous: the outputs' error neurons fired and the readout moved.
    assert!(one.error_spikes.iter().sum::<u64>() > 100);
    assert_ne!(one.curve[0].w2_mean, one.curve.last().unwrap().w2_mean);
    assert_eq!(one.error_spikes, four.error_spikes);
    let acc = |r: &mixsig_lab::train::protocol::TrainResult| {
        r.curve.iter().map(|c| c.test_accuracy).collect::<Vec<_>>()
    };
    assert_eq!(acc(&one), acc(&four));
    for (a, b) in one.curve.iter().zip(&four.curve) {
        assert!((a.w2_mean - b.w2_mean).abs() <= 1e-9 * a.w2_mean.abs());
    }
    // Not vacuous: the bias learns within these presentations, so four synapses each at the
    // full rate (a split that forgot `eta2 / k`) train differently.
    let unscaled = short_run(4, 4.0);
    assert_ne!(one.error_spikes, unscaled.error_spikes);
}
