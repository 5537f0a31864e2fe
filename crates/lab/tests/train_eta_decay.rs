//! The learning-rate decay (`Protocol::eta_decay`, set from `NetConfig::eta_decay`): the learning
//! circuits' rates follow `1 / (1 + n / eta_decay)`, so a very short decay leaves the weights where
//! the first presentation put them, while no decay keeps them moving.

use mixsig_lab::tasks::{generate, Pattern, PatternConfig};
use mixsig_lab::train::network::{build, NetConfig};
use mixsig_lab::train::protocol::{run, Protocol, TrainResult};

/// Train the `order` preset on ideal circuits for `presentations` with `eta_decay`.
fn short_run(eta_decay: f64, presentations: usize) -> (Vec<f64>, TrainResult) {
    let c = NetConfig::for_task("order");
    let task = generate(Pattern::Order, &PatternConfig::default(), 12, 4, 2).unwrap();
    let (spec, layout) = build(task.n_channels, task.n_classes, &c, 2);
    let w2_init = match &spec.projections[layout.w2].connect {
        mixsig_engine::spec::Connectivity::Dense(w) => w.clone(),
        other => panic!("W2 is {other:?}"),
    };
    let proto = Protocol {
        presentations,
        test_every: presentations,
        teacher_window: c.teacher_window,
        teacher_anchor: c.teacher_anchor,
        eta_decay,
        ..Protocol::default()
    };
    let r = run(
        &spec,
        &layout,
        c.n_per_class,
        c.rate_teacher,
        &task,
        &proto,
        2,
        |_, _| {},
    )
    .unwrap();
    (w2_init, r)
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

#[test]
fn a_short_decay_freezes_the_weights_after_the_first_presentation() {
    let ((w0, fast2), (_, fast12)) = rayon::join(|| short_run(1e-9, 2), || short_run(1e-9, 12));
    let ((_, none2), (_, none12)) = rayon::join(|| short_run(0.0, 2), || short_run(0.0, 12));
    // The first presentation learns at the full rate either way.
    let first = dist(&fast2.weights.w2, &w0);
    assert!(first > 0.0, "the first presentation moved no W2 weight");
    // Not vacuous: the error neurons keep firing, so without decay W2 keeps moving.
    assert!(none12.error_spikes[2..].iter().sum::<u64>() > 0);
    let later_none = dist(&none12.weights.w2, &none2.weights.w2);
    assert!(later_none > 0.1 * first, "{later_none} vs {first}");
    // With eta_decay = 1e-9 presentation n >= 1 learns at ~1e-9 / n of the rate.
    let later_fast = dist(&fast12.weights.w2, &fast2.weights.w2);
    assert!(later_fast < 1e-6 * first, "{later_fast} vs {first}");
}
