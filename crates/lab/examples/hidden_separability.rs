//! Separability of the hidden representation of the training preset (frozen, untrained): per-neuron
//! spike counts per class, the best single-neuron d', how large the class difference is relative to
//! the common activity, the cosine between the two class-mean count vectors (near 1: a linear readout
//! is ill-conditioned) and the accuracy of an offline nearest-class-mean readout on held-out
//! presentations. `cargo run --release -p mixsig-lab --example hidden_separability -- order|sync|xor`
//! with knobs from the environment: WS (slow weight bound), W1 (fast weight bound), NT (NMDA gate),
//! THRLO/THRHI (hidden threshold range), WIR (inhibitory ramp), GTAU
//! (hidden GABA time constant factor), WLAT (lateral inhibition), N (presentations), coincidence
//! detectors NCOINC, WCOINC, CFLO/CFHI, COINCINH; integrators NINTEG, WINTS, WINTF (they are listed last);
//! XW/XRAMP: hand-set cross-group fast weights of the group-A detectors (xor; see train_tune);
//! SEED (task and network seed, default 1); NHID (sequence detectors). PROFILE=dynapse2 DIE=n puts
//! the layer on that die (CALIB=1: calibrated first), with the die's mismatch and noise. LAYER=ds
//! reads the fixed detectors in front of a conjunction layer (xor) instead of the trained layer.
#[path = "common/hidden_knobs.rs"]
mod hidden_knobs;
use mixsig_engine::Network;
use mixsig_lab::tasks::{generate, Pattern, PatternConfig};
use mixsig_lab::train::network::{build, NetConfig};
use mixsig_lab::train::placement::bind_to_die;

fn main() {
    let pat = hidden_knobs::pattern_arg(std::env::args().nth(1).as_deref());
    let f = hidden_knobs::env_f64;
    let n = f("N").unwrap_or(60.0) as usize;
    let seed = f("SEED").unwrap_or(1.0) as u64;
    let task = generate(pat, &PatternConfig::default(), n, 4, seed).unwrap();
    let mut cfg = NetConfig::for_task(pat.name());
    if let Some(v) = f("WS") {
        cfg.w_slow_max = v;
    }
    if let Some(v) = f("NT") {
        cfg.nmda_thr = v;
    }
    if let Some(v) = f("W1") {
        cfg.w1_max = v;
    }
    if let Some(v) = f("THRLO") {
        cfg.hidden_thresholds.0 = v;
    }
    if let Some(v) = f("THRHI") {
        cfg.hidden_thresholds.1 = v;
    }
    if let Some(v) = f("WIR") {
        cfg.w_inh_ramp = v;
    }
    if let Some(v) = f("GTAU") {
        cfg.hidden_gaba_tau = v;
    }
    if let Some(v) = f("NHID") {
        cfg.n_hidden = v as usize;
    }
    if let Some(v) = f("WLAT") {
        cfg.w_hidden_inhibit = v;
    }
    hidden_knobs::apply(&mut cfg);
    let (mut spec, _l) = build(task.n_channels, task.n_classes, &cfg, seed);
    // The xor conjunction probe (XW, XRAMP; flat by default).
    hidden_knobs::cross_ramp(&mut spec, _l.w1, &cfg, task.n_channels, 0.0);
    // On a die (PROFILE=dynapse2 DIE=n, CALIB=1 calibrated): the same layer with that die's mismatch.
    let die = f("DIE").map(|d| {
        if d < 0.0 || d.fract() != 0.0 {
            hidden_knobs::fail(&format!(
                "environment DIE={d} is not a die number (0, 1, 2, ...)"
            ));
        }
        d as u64
    });
    let calibrate = hidden_knobs::env_flag("CALIB");
    match hidden_knobs::env_profile() {
        Some(p) => {
            let die = die.unwrap_or(0);
            bind_to_die(&mut spec, &[], &p, die, &[], calibrate, None)
                .unwrap_or_else(|e| hidden_knobs::fail(&format!("DIE={die}: {e}")));
        }
        None if die.is_some() || calibrate => {
            hidden_knobs::fail("environment DIE and CALIB need PROFILE (e.g. PROFILE=dynapse2)")
        }
        None => {}
    }
    // LAYER=ds: the fixed detectors in front of a conjunction layer instead of the trained layer.
    let layer = std::env::var("LAYER").unwrap_or_else(|_| "hid".into());
    if layer != "hid" && !(layer == "ds" && cfg.n_conj > 0) {
        hidden_knobs::fail(&format!(
            "environment LAYER={layer:?}: \"hid\", or \"ds\" with a conjunction layer (xor)"
        ));
    }
    spec.record.spikes = Some(vec![layer.clone()]);
    let mut net = Network::build(&spec, 1e-4, 1).unwrap();
    net.learning_on = false;
    let g = net.rec.group(&layer).unwrap() as u32;
    // The trained hidden layer: the conjunction layer when there is one, else the detectors.
    let nh = if cfg.n_conj > 0 && layer == "hid" {
        cfg.n_conj
    } else {
        cfg.n_hidden + cfg.n_coinc + cfg.n_integ
    };
    let mut rows: Vec<(usize, Vec<f64>)> = vec![];
    let mut variants: Vec<(bool, bool)> = vec![];
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
        // xor: the combination (group A up?, group B up?) from the first spikes of each group's ends.
        let n = p.channels.len();
        let first = |ch: usize| p.channels[ch].first().copied().unwrap_or(0.0);
        variants.push((first(0) < first(n / 2 - 1), first(n / 2) < first(n - 1)));
        net.run(0.1);
    }
    // Class statistics on the first half, offline readout tested on the second half.
    let half = rows.len() / 2;
    let stats = |rs: &[(usize, Vec<f64>)], l: usize, h: usize| -> (f64, f64) {
        let xs: Vec<f64> = rs.iter().filter(|r| r.0 == l).map(|r| r.1[h]).collect();
        let m = xs.iter().sum::<f64>() / xs.len().max(1) as f64;
        let s = (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len().max(1) as f64).sqrt();
        (m, s)
    };
    let mut best = 0.0f64;
    let mut dps = vec![];
    let (mut diff, mut common) = (0.0, 0.0);
    let (mut m0v, mut m1v) = (vec![0.0; nh], vec![0.0; nh]);
    for h in 0..nh {
        let (m0, s0) = stats(&rows, 0, h);
        let (m1, s1) = stats(&rows, 1, h);
        let dp = (m0 - m1).abs() / (0.5 * (s0 * s0 + s1 * s1)).sqrt().max(0.3);
        dps.push(format!("{m0:.0}/{m1:.0}"));
        best = best.max(dp);
        diff += (m0 - m1).abs();
        common += 0.5 * (m0 + m1);
        m0v[h] = stats(&rows[..half], 0, h).0;
        m1v[h] = stats(&rows[..half], 1, h).0;
    }
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let cos = dot(&m0v, &m1v) / (dot(&m0v, &m0v) * dot(&m1v, &m1v)).sqrt().max(1e-12);
    let correct = rows[half..]
        .iter()
        .filter(|(l, c)| {
            let d = |m: &[f64]| c.iter().zip(m).map(|(x, y)| (x - y) * (x - y)).sum::<f64>();
            (d(&m1v) < d(&m0v)) == (*l == 1)
        })
        .count();
    let rate = common / nh as f64 / task.duration;
    // Ridge least-squares linear readout (with a bias) fitted on the first half, tested on the second.
    let dim = nh + 1;
    let (mut a, mut b) = (vec![0.0; dim * dim], vec![0.0; dim]);
    for (l, c) in &rows[..half] {
        let x: Vec<f64> = c.iter().copied().chain([1.0]).collect();
        let y = if *l == 1 { 1.0 } else { -1.0 };
        for i in 0..dim {
            b[i] += x[i] * y;
            for j in 0..dim {
                a[i * dim + j] += x[i] * x[j];
            }
        }
    }
    for i in 0..dim {
        a[i * dim + i] += 1e-3 * half as f64;
    }
    // Gaussian elimination with partial pivoting.
    for col in 0..dim {
        let piv = (col..dim)
            .max_by(|&x, &y| a[x * dim + col].abs().total_cmp(&a[y * dim + col].abs()))
            .unwrap();
        for j in 0..dim {
            a.swap(col * dim + j, piv * dim + j);
        }
        b.swap(col, piv);
        for r in 0..dim {
            if r != col {
                let m = a[r * dim + col] / a[col * dim + col];
                for j in 0..dim {
                    a[r * dim + j] -= m * a[col * dim + j];
                }
                b[r] -= m * b[col];
            }
        }
    }
    let w: Vec<f64> = (0..dim).map(|i| b[i] / a[i * dim + i]).collect();
    let lin = rows[half..]
        .iter()
        .filter(|(l, c)| {
            let s: f64 = c.iter().zip(&w).map(|(x, y)| x * y).sum::<f64>() + w[nh];
            (s > 0.0) == (*l == 1)
        })
        .count() as f64
        / (rows.len() - half).max(1) as f64;
    if pat == Pattern::Xor {
        for (va, vb) in [(true, true), (false, false), (true, false), (false, true)] {
            let sel: Vec<&Vec<f64>> = rows
                .iter()
                .zip(&variants)
                .filter(|(_, v)| **v == (va, vb))
                .map(|(r, _)| &r.1)
                .collect();
            let means: Vec<String> = (0..nh)
                .map(|h| {
                    let m = sel.iter().map(|c| c[h]).sum::<f64>() / sel.len().max(1) as f64;
                    format!("{m:.1}")
                })
                .collect();
            let tag = |u: bool| if u { "up" } else { "dn" };
            println!(
                "{}-{} ({}): {}",
                tag(va),
                tag(vb),
                sel.len(),
                means.join(" ")
            );
        }
    }
    println!("ridge linear readout (train half -> test half): {lin:.2}");
    println!("class mean counts per hidden neuron: {}", dps.join(" "));
    println!(
        "best d' {best:.2}; |diff|/count {:.3}; cos(class means) {cos:.3}; mean rate {rate:.1} Hz; nearest-mean readout {:.2}",
        diff / common.max(1e-9),
        correct as f64 / (rows.len() - half).max(1) as f64
    );
}
