//! Separability of the hidden representation of the training preset (frozen, untrained): per-neuron
//! spike counts per class and the best single-neuron d'. `cargo run --release -p mixsig-lab --example
//! hidden_separability -- order|sync|xor`.
use mixsig_engine::Network;
use mixsig_lab::tasks::{generate, Pattern, PatternConfig};
use mixsig_lab::train::network::{build, NetConfig};

fn main() {
    let pat = match std::env::args().nth(1).as_deref() {
        Some("sync") => Pattern::Sync,
        Some("xor") => Pattern::Xor,
        _ => Pattern::Order,
    };
    let task = generate(pat, &PatternConfig::default(), 60, 4, 1).unwrap();
    let mut cfg = NetConfig::default();
    if let Some(v) = std::env::var("WS").ok().and_then(|v| v.parse().ok()) {
        cfg.w_slow_max = v;
    }
    if let Some(v) = std::env::var("NT").ok().and_then(|v| v.parse().ok()) {
        cfg.nmda_thr = v;
    }
    if let Some(v) = std::env::var("W1").ok().and_then(|v| v.parse().ok()) {
        cfg.w1_max = v;
    }
    let (mut spec, _l) = build(task.n_channels, task.n_classes, &cfg, 1);
    spec.record.spikes = Some(vec!["hid".into()]);
    let mut net = Network::build(&spec, 1e-4, 1).unwrap();
    net.learning_on = false;
    let g = net.rec.group("hid").unwrap() as u32;
    let nh = cfg.n_hidden;
    let mut rows: Vec<(usize, Vec<f64>)> = vec![];
    for p in &task.train {
        net.present("in", &p.channels).unwrap();
        net.rec.spikes.clear();
        net.run(task.duration);
        let mut c = vec![0.0; nh];
        for e in &net.rec.spikes {
            if e.group == g {
                c[e.neuron as usize] += 1.0;
            }
        }
        rows.push((p.label, c));
        net.run(0.1);
    }
    let mut best = 0.0f64;
    let mut dps = vec![];
    for h in 0..nh {
        let v = |l: usize| -> (f64, f64) {
            let xs: Vec<f64> = rows.iter().filter(|r| r.0 == l).map(|r| r.1[h]).collect();
            let m = xs.iter().sum::<f64>() / xs.len() as f64;
            let s = (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64).sqrt();
            (m, s)
        };
        let (m0, s0) = v(0);
        let (m1, s1) = v(1);
        let dp = (m0 - m1).abs() / (0.5 * (s0 * s0 + s1 * s1)).sqrt().max(0.3);
        dps.push(format!("{:.0}/{:.0}", m0, m1));
        best = best.max(dp);
    }
    println!("class mean counts per hidden neuron: {}", dps.join(" "));
    // Conditioning of a linear readout: the class difference relative to the common activity.
    let (mut diff, mut common) = (0.0, 0.0);
    for h in 0..nh {
        let m = |l: usize| {
            let xs: Vec<f64> = rows.iter().filter(|r| r.0 == l).map(|r| r.1[h]).collect();
            xs.iter().sum::<f64>() / xs.len() as f64
        };
        diff += (m(0) - m(1)).abs();
        common += 0.5 * (m(0) + m(1));
    }
    println!(
        "best single-neuron d' {best:.2}; mean |class difference| / mean count = {:.3}",
        diff / common.max(1e-9)
    );
}
