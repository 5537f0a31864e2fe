//! Tuning harness for the training preset: `cargo run --release -p mixsig-lab --example train_tune -- PATTERN FEEDBACK SEED`
//! with knobs from the environment (ETA1, ETA2, WINH, W2MAX, TEACH, DZ, EDECAY, PRES, NOHID, EASY = a
//! rate-coded control task). Prints the learning curve; MIXSIG_DEBUG_TRAIN=1 adds per-class scores.
use mixsig_lab::tasks::{generate, Pattern, PatternConfig};
use mixsig_lab::train::network::{build, FeedbackMode, NetConfig};
use mixsig_lab::train::protocol::{run, Protocol};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pat = match args.get(1).map(|s| s.as_str()).unwrap_or("order") {
        "sync" => Pattern::Sync,
        "xor" => Pattern::Xor,
        "frozen-poisson" => Pattern::FrozenPoisson,
        _ => Pattern::Order,
    };
    let fb = args
        .get(2)
        .and_then(|s| FeedbackMode::parse(s))
        .unwrap_or(FeedbackMode::Mirrored);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut task = generate(pat, &PatternConfig::default(), 200, 40, seed).unwrap();
    if std::env::var("EASY").is_ok() {
        // Sanity: class c drives only its half of the channels (a rate code any readout can learn).
        for set in [&mut task.train, &mut task.test] {
            for p in set.iter_mut() {
                let n = p.channels.len();
                for (i, ch) in p.channels.iter_mut().enumerate() {
                    if (i < n / 2) != (p.label == 0) {
                        ch.clear();
                    }
                }
            }
        }
    }
    let mut cfg = NetConfig {
        feedback: fb,
        ..Default::default()
    };
    if let Some(v) = std::env::var("ETA2").ok().and_then(|v| v.parse().ok()) {
        cfg.eta2 = v;
    }
    if let Some(v) = std::env::var("ETA1").ok().and_then(|v| v.parse().ok()) {
        cfg.eta1 = v;
    }
    if std::env::var("NOHID").is_ok() {
        cfg.n_hidden = 0;
    }
    let f = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<f64>().ok());
    if let Some(v) = f("WINH") {
        cfg.w_inhibit = v;
    }
    if let Some(v) = f("W2MAX") {
        cfg.w2_max = v;
    }
    if let Some(v) = f("TEACH") {
        cfg.rate_teacher = v;
    }
    if let Some(v) = f("TAUPRE") {
        cfg.tau_pre = v;
    }
    if let Some(v) = f("WS") {
        cfg.w_slow_max = v;
    }
    if let Some(v) = f("DZ") {
        cfg.dead_zone = v;
    }
    let (spec, layout) = build(task.n_channels, task.n_classes, &cfg, seed);
    let mut proto = Protocol::default();
    if let Some(v) = f("EDECAY") {
        proto.eta_decay = v;
    }
    if let Some(v) = f("PRES") {
        proto.presentations = v as usize;
    }
    let r = run(
        &spec,
        &layout,
        cfg.n_per_class,
        cfg.rate_teacher,
        &task,
        &proto,
        seed,
        |_, _| {},
    )
    .unwrap();
    for c in &r.curve {
        println!(
            "{:4} acc {:.3} err {:6.1} Hz w1 {:.3e} w2 {:.3e} div {:.3e}",
            c.presentations,
            c.test_accuracy,
            c.error_rate_out_hz,
            c.w1_mean,
            c.w2_mean,
            c.mirror_divergence
        );
    }
    println!(
        "final {:.3} best {:.3} sim {:.1}s wall {:.1}s",
        r.test_accuracy, r.best_accuracy, r.simulated_s, r.wall_s
    );
}
