//! Tuning harness for the training preset: `cargo run --release -p mixsig-lab --example train_tune --
//! PATTERN FEEDBACK SEEDS` (SEEDS: `1` or `1,2,3`) with knobs from the environment, each overriding one
//! field of the task's preset (`NetConfig::for_task`): ETA1, ETA2, WINH (mutual inhibition), W1MAX, W2MAX, TEACH (teacher
//! rate), WTEACH, WOUT (output -> error weight; WOUTP / WOUTN: the e+ / e- side alone), DZ (dead zone), TAUPRE, WS (slow weight bound), NT
//! (NMDA gate), THRLO/THRHI (hidden thresholds), WLAT (hidden lateral inhibition), CAHI (calcium upper
//! threshold), CONTRAST (cross-class error wiring), BIAS/WBIAS/NBIAS (bias
//! source rate, weight bound, synapses per output), W2INH/ETA2I/DZS (signed readout: the twins'
//! bound, 0 removes them; their rate; the output dead zone that goes with them), WIR/GTAU (inhibitory ramp onto hidden), ETAUA/ETAUG (error neurons' AMPA/GABA time constants, multiples of 10 ms), NPC (outputs per class), NHID; protocol: EDECAY,
//! PRES, EVERY, NTRAIN / NTEST (generated train / test presentations, default 200 / 40; `mixsig
//! train` generates PRES / 20); NOHID = no hidden layer; EASY = a rate-coded control task; coincidence detectors:
//! NCOINC, WCOINC, CFLO/CFHI, COINCINH; integrators NINTEG, WINTS, WINTF (fan-in range); RAMPG (ramp
//! groups of the sequence detectors), RAMPLOCAL (group-local detectors), RAMPSHUF (random-order detectors, 1 / 0), EPOOL (class-pooled output errors, `error_pool`, 1 / 0), DZH (hidden error neurons' dead zone), DZN (output e- neurons' dead zone), W1CALO/W1CAHI/W1CATAU (the hidden layer's own calcium window:
//! lower/upper threshold, trace time constant; unset: the shared window); output-layer
//! calcium window (`calcium_out`): CAOTAU (trace tau, s), CAUP / CADOWN (direction thresholds). TON / TOFF: teacher window (s from the presentation start; `teacher_window`); TANCHOR=first counts them from the first input spike (`teacher_anchor`). STORAGE (`analog`, `nbit:4`, ...: weight storage, as `--storage`). PROFILE=dynapse2 with DIES=0-19 (or a comma list) runs
//! the first seed on each die instead (learning-rate mismatch from the profile). Prints the learning
//! curve of each seed (die) and the median final and best accuracies and the fraction of runs with
//! final accuracy >= 0.85; MIXSIG_DEBUG_TRAIN=1 adds per-class scores; W2DIAG=1 prints each hidden
//! neuron's mean W2 onto each class's outputs at the end of training (two classes). W1CAUP / W1CADOWN:
//! direction thresholds of the hidden layer's calcium window. W2ZS=1: zero-sum readout (W2) updates
//! (`LearningSpec::zero_sum`; the learned bias keeps the level). `xor` probes: XDIAG prints, per
//! group-A detector, its cross-group W1 mean and slope and its readout preference d; XW (with
//! XRAMP = 1 rising, -1 falling, 2 alternating) hand-sets the group-A detectors' cross-group fast
//! weights to a ramp of height XW (the conjunction control of docs/train-tuning.md, session 4).
#[path = "common/hidden_knobs.rs"]
mod hidden_knobs;
use mixsig_lab::tasks::{generate, PatternConfig};
use mixsig_lab::train::network::{build, FeedbackMode, NetConfig};
use mixsig_lab::train::placement::{bind_to_die, profile_eta_sigma};
use mixsig_lab::train::protocol::{run, Protocol};

/// Median of `v` (the mean of the two middle values for an even count; NaN when empty).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pat = hidden_knobs::pattern_arg(args.get(1).map(|s| s.as_str()));
    let fb = match args.get(2) {
        None => FeedbackMode::Mirrored,
        Some(s) => {
            mixsig_lab::train::run::parse_feedback(s).unwrap_or_else(|e| hidden_knobs::fail(&e))
        }
    };
    let u64_list = |what: &str, s: &str| -> Vec<u64> {
        s.split(',')
            .map(|x| {
                x.trim().parse().unwrap_or_else(|_| {
                    hidden_knobs::fail(&format!("{what} {s:?}: {x:?} is not an integer"))
                })
            })
            .collect()
    };
    let seeds: Vec<u64> = args
        .get(3)
        .map_or_else(|| vec![1], |s| u64_list("seeds", s));
    let f = hidden_knobs::env_f64;
    let mut cfg = NetConfig {
        feedback: fb,
        ..NetConfig::for_task(pat.name())
    };
    if let Ok(st) = std::env::var("STORAGE") {
        cfg.storage = mixsig_lab::train::run::parse_storage(&st)
            .unwrap_or_else(|e| hidden_knobs::fail(&format!("environment STORAGE={st:?}: {e}")));
    }
    let knobs: [(&str, &mut f64); 24] = [
        ("BIAS", &mut cfg.bias_rate),
        ("WBIAS", &mut cfg.w_bias_max),
        ("WIR", &mut cfg.w_inh_ramp),
        ("GTAU", &mut cfg.hidden_gaba_tau),
        ("ETAUA", &mut cfg.error_tau.0),
        ("ETAUG", &mut cfg.error_tau.1),
        ("ETA1", &mut cfg.eta1),
        ("ETA2", &mut cfg.eta2),
        ("WINH", &mut cfg.w_inhibit),
        ("W1MAX", &mut cfg.w1_max),
        ("W2MAX", &mut cfg.w2_max),
        ("TEACH", &mut cfg.rate_teacher),
        ("WTEACH", &mut cfg.w_teacher),
        ("WOUT", &mut cfg.w_out_err),
        ("DZ", &mut cfg.dead_zone),
        ("TAUPRE", &mut cfg.tau_pre),
        ("WS", &mut cfg.w_slow_max),
        ("NT", &mut cfg.nmda_thr),
        ("THRLO", &mut cfg.hidden_thresholds.0),
        ("THRHI", &mut cfg.hidden_thresholds.1),
        ("WLAT", &mut cfg.w_hidden_inhibit),
        ("CAHI", &mut cfg.calcium.theta_high),
        ("CONTRAST", &mut cfg.contrast),
        ("CATAU", &mut cfg.calcium.trace.tau),
    ];
    for (k, v) in knobs {
        if let Some(x) = f(k) {
            *v = x;
        }
    }
    // The signed readout (frozen-poisson preset): W2INH its bound (0: none), ETA2I its rate, DZS
    // the dead zone that goes with it.
    if let Some(v) = f("W2INH") {
        cfg.signed_readout = (v > 0.0).then(|| mixsig_lab::train::config::SignedReadout {
            w_max: v,
            ..cfg
                .signed_readout
                .unwrap_or(mixsig_lab::train::config::SignedReadout {
                    w_max: v,
                    eta: cfg.eta2,
                    dead_zone: cfg.dead_zone,
                    eta_decay: cfg.eta_decay,
                })
        });
    }
    if let Some(s) = cfg.signed_readout.as_mut() {
        s.eta = f("ETA2I").unwrap_or(s.eta);
        s.dead_zone = f("DZS").unwrap_or(s.dead_zone);
    }
    if let Some(v) = f("NPC") {
        cfg.n_per_class = v as usize;
    }
    if let Some(v) = f("NBIAS") {
        if !(v >= 1.0 && v.fract() == 0.0) {
            hidden_knobs::fail(&format!(
                "environment NBIAS={v}: the bias synapses per output must be an integer >= 1"
            ));
        }
        cfg.bias_synapses = v as usize;
    }
    if let Some(v) = f("NHID") {
        cfg.n_hidden = v as usize;
    }
    hidden_knobs::apply(&mut cfg);
    if let Some(v) = f("DZH") {
        cfg.hidden_dead_zone = Some(v);
    }
    if let Some(v) = f("DZN") {
        cfg.dead_zone_neg = Some(v);
    }
    if ["W1CALO", "W1CAHI", "W1CATAU", "W1CAUP", "W1CADOWN"]
        .iter()
        .any(|k| f(k).is_some())
    {
        let mut c = cfg.w1_calcium.unwrap_or(cfg.calcium);
        c.theta_low = f("W1CALO").unwrap_or(c.theta_low);
        c.theta_high = f("W1CAHI").unwrap_or(c.theta_high);
        c.trace.tau = f("W1CATAU").unwrap_or(c.trace.tau);
        c.theta_up = f("W1CAUP").or(c.theta_up);
        c.theta_down = f("W1CADOWN").or(c.theta_down);
        cfg.w1_calcium = Some(c);
    }
    // Output-layer calcium window with direction-specific thresholds.
    if f("CAUP").is_some() || f("CADOWN").is_some() || f("CAOTAU").is_some() {
        let mut c = cfg.calcium_out.unwrap_or(cfg.calcium);
        if let Some(v) = f("CAOTAU") {
            c.trace.tau = v;
        }
        c.theta_up = f("CAUP").or(c.theta_up);
        c.theta_down = f("CADOWN").or(c.theta_down);
        cfg.calcium_out = Some(c);
    }
    if hidden_knobs::env_flag("NOHID") {
        cfg.n_hidden = 0;
    }
    if std::env::var("EPOOL").is_ok() {
        cfg.error_pool = hidden_knobs::env_flag("EPOOL");
    }
    let mut proto = Protocol {
        eta_decay: cfg.learning_rate_decay(),
        ..Protocol::default()
    };
    if let Some(v) = f("EDECAY") {
        proto.eta_decay = v;
    }
    if let Some(v) = f("PRES") {
        proto.presentations = v as usize;
    }
    if let Some(v) = f("EVERY") {
        proto.test_every = v as usize;
    }
    // Teacher window (TON, TOFF in s from the presentation start).
    if f("TON").is_some() || f("TOFF").is_some() {
        cfg.teacher_window = Some((f("TON").unwrap_or(0.0), f("TOFF").unwrap_or(f64::INFINITY)));
    }
    proto.teacher_window = cfg.teacher_window;
    match std::env::var("TANCHOR").as_deref() {
        Err(_) | Ok("start") => {}
        Ok("first") => cfg.teacher_anchor = mixsig_lab::train::protocol::TeacherAnchor::FirstInput,
        Ok(v) => hidden_knobs::fail(&format!(
            "environment TANCHOR={v:?} is not one of start, first"
        )),
    }
    proto.teacher_anchor = cfg.teacher_anchor;
    let profile = hidden_knobs::env_profile();
    let calibrate = hidden_knobs::env_flag("CALIB");
    if profile.is_none() && (std::env::var("DIES").is_ok() || calibrate) {
        hidden_knobs::fail("environment DIES and CALIB need PROFILE (e.g. PROFILE=dynapse2)");
    }
    if let Some(p) = &profile {
        cfg.eta_sigma_ln = profile_eta_sigma(p);
        // Fitted to the chip as `mixsig train` fits it: a signed readout whose fan-in the chip's
        // neurons cannot hold is dropped, with its dead zone and learning-rate decay.
        let probe = generate(pat, &PatternConfig::default(), 2, 2, seeds[0]).unwrap();
        let (spec, _) = build(probe.n_channels, probe.n_classes, &cfg, seeds[0]);
        let fan_in = mixsig_lab::train::placement::fan_in(&spec, "out");
        if let Some(note) = cfg.fit_fan_in(fan_in, p.architecture.synapses_per_neuron) {
            eprintln!("note: {note}");
            if f("EDECAY").is_none() {
                proto.eta_decay = cfg.learning_rate_decay();
            }
        }
    }
    let dies: Vec<u64> = match std::env::var("DIES") {
        Ok(d) => match d.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (u64_list("DIES", a)[0], u64_list("DIES", b)[0]);
                (a..=b).collect()
            }
            None => u64_list("DIES", &d),
        },
        Err(_) => vec![0],
    };
    if dies.is_empty() {
        hidden_knobs::fail("environment DIES names no die (a range a-b needs a <= b)");
    }
    let runs: Vec<(u64, u64)> = if profile.is_some() {
        dies.iter().map(|&d| (seeds[0], d)).collect()
    } else {
        seeds.iter().map(|&s| (s, 0)).collect()
    };
    let (mut finals, mut bests, mut walls) = (vec![], vec![], vec![]);
    let mut ratios = vec![];
    for &(seed, die) in &runs {
        let n_train = f("NTRAIN").map_or(200, |v| v as usize);
        let n_test = f("NTEST").map_or(40, |v| v as usize);
        let mut task = generate(pat, &PatternConfig::default(), n_train, n_test, seed).unwrap();
        if hidden_knobs::env_flag("EASY") {
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
        if hidden_knobs::env_flag("DUMPTEST") {
            for (i, p) in task.test.iter().enumerate() {
                let first: Vec<f64> = p
                    .channels
                    .iter()
                    .filter_map(|c| c.first().copied())
                    .collect();
                let lo = first.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = first.iter().copied().fold(0.0, f64::max);
                println!("test {i} label {} first spikes {lo:.3}..{hi:.3} s", p.label);
            }
        }
        let (mut spec, layout) = build(task.n_channels, task.n_classes, &cfg, seed);
        // W2ZS=1: zero-sum readout updates (heterosynaptic normalization of W2).
        if hidden_knobs::env_flag("W2ZS") {
            for l in spec.learning.iter_mut() {
                if l.projection == layout.w2 {
                    l.zero_sum = true;
                }
            }
        }
        // The xor conjunction control (XW, XRAMP; rising by default).
        hidden_knobs::cross_ramp(&mut spec, layout.w1, &cfg, task.n_channels, 1.0);
        // One side of the output error pairs: WOUTP / WOUTN set the output -> e+ (GABA) / e- (AMPA)
        // weight of a neuron's own class alone (WOUT sets both).
        for (knob, to, syn) in [
            ("WOUTP", "eo_p", mixsig_circuits::SynapseType::Gaba),
            ("WOUTN", "eo_n", mixsig_circuits::SynapseType::Ampa),
        ] {
            if let Some(w) = hidden_knobs::env_f64(knob) {
                for pr in spec.projections.iter_mut() {
                    if pr.from == "out" && pr.to == to && pr.synapse == syn {
                        if let mixsig_engine::spec::Connectivity::Explicit(t) = &mut pr.connect {
                            t.iter_mut().for_each(|e| e.2 = w);
                        }
                    }
                }
            }
        }
        if let Some(p) = &profile {
            bind_to_die(&mut spec, &[], p, die, &[], calibrate, None).unwrap_or_else(|e| {
                hidden_knobs::fail(&format!("placing the network on die {die}: {e}"))
            });
            if hidden_knobs::env_flag("ERRCAL") {
                let bench = mixsig_lab::train::errcal::Bench::new(&cfg, task.duration, &proto);
                let recs =
                    mixsig_lab::train::errcal::calibrate_error_pairs(&mut spec, &bench, seed)
                        .unwrap_or_else(|e| {
                            hidden_knobs::fail(&format!("error-pair calibration: {e}"))
                        });
                let moved: Vec<String> = recs
                    .iter()
                    .filter(|r| {
                        [
                            r.teacher_scale,
                            r.output_scale,
                            r.cross_teacher_scale,
                            r.cross_output_scale,
                        ]
                        .iter()
                        .any(|&x| x != 1.0)
                    })
                    .map(|r| {
                        format!(
                            "{}[{}] {:.2}/{:.2} x{:.2}/{:.2}",
                            r.population,
                            r.neuron,
                            r.teacher_scale,
                            r.output_scale,
                            r.cross_teacher_scale,
                            r.cross_output_scale
                        )
                    })
                    .collect();
                eprintln!("die {die} errcal: {}", moved.join(", "));
                let worse: Vec<String> = recs
                    .iter()
                    .filter(|r| r.misfit_after > r.misfit_before)
                    .map(|r| {
                        format!(
                            "{}[{}] {:.1} -> {:.1}",
                            r.population, r.neuron, r.misfit_before, r.misfit_after
                        )
                    })
                    .collect();
                let total = |f: fn(&mixsig_lab::train::errcal::PairCalibration) -> f64| {
                    recs.iter().map(f).sum::<f64>()
                };
                eprintln!(
                    "die {die} errcal misfit {:.1} -> {:.1}; worse after: {}",
                    total(|r| r.misfit_before),
                    total(|r| r.misfit_after),
                    if worse.is_empty() {
                        "none".into()
                    } else {
                        worse.join(", ")
                    }
                );
            }
        }
        // A knob that builds an invalid network (a negative weight, say) stops with the build's
        // message, which names the projection and the constraint.
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
        .unwrap_or_else(|e| hidden_knobs::fail(&format!("the tuned network: {e}")));
        let accs: Vec<String> = r
            .curve
            .iter()
            .map(|c| format!("{:.2}", c.test_accuracy))
            .collect();
        let last = r.curve.last().unwrap();
        let first_err = r
            .curve
            .iter()
            .map(|c| c.error_rate_out_hz)
            .find(|e| e.is_finite())
            .unwrap_or(f64::NAN);
        ratios.push(r.error_rate_end_hz / r.error_rate_start_hz);
        println!(
            "seed {seed} die {die}: acc {} | err tenths {:.1} -> {:.1} Hz ({:.0}%) | err {:.1} -> {:.1} Hz ({:.0}%) w1 {:.2e} w2 {:.2e} div {:.1e} | wall {:.1}s",
            accs.join(" "),
            r.error_rate_start_hz,
            r.error_rate_end_hz,
            100.0 * r.error_rate_end_hz / r.error_rate_start_hz,
            first_err,
            last.error_rate_out_hz,
            100.0 * last.error_rate_out_hz / first_err,
            last.w1_mean,
            last.w2_mean,
            last.mirror_divergence,
            r.wall_s
        );
        if hidden_knobs::env_flag("XDIAG") {
            // xor: per group-A detector, its cross-group (group B) fast weights' mean and slope
            // (last channel minus first, over the mean of the half) and the readout preference
            // d = mean W2 to class `same` minus to `opposite`.
            let w = &r.weights;
            let (ni, nh, no) = w.dims;
            for h in (0..cfg.n_hidden.min(nh)).step_by(2).take(8) {
                let b: Vec<f64> = (ni / 2..ni).map(|i| w.w1[i * nh + h]).collect();
                let mean = b.iter().sum::<f64>() / b.len() as f64;
                let slope = b[b.len() - 1] - b[0];
                let d: f64 = (0..no)
                    .map(|o| {
                        let s = if o / cfg.n_per_class == 0 { 1.0 } else { -1.0 };
                        s * w.w2[h * no + o]
                    })
                    .sum::<f64>()
                    / cfg.n_per_class as f64;
                println!("  h{h}: cross mean {mean:.2e} slope {slope:+.2e} d {d:+.2e}");
            }
        }
        if hidden_knobs::env_flag("W2DIAG") {
            // Per hidden neuron: mean W2 onto each class's outputs at the end of training.
            let w = &r.weights;
            let (_, nh, no) = w.dims;
            let per: Vec<String> = (0..nh)
                .map(|h| {
                    let m = |c: usize| {
                        (0..no)
                            .filter(|o| o / cfg.n_per_class == c)
                            .map(|o| w.w2[h * no + o])
                            .sum::<f64>()
                            / cfg.n_per_class as f64
                    };
                    format!("{:.1}/{:.1}", m(0) * 1e10, m(1) * 1e10)
                })
                .collect();
            println!("  W2 per hidden (1e-10 A, class 0/1): {}", per.join(" "));
        }
        finals.push(r.test_accuracy);
        bests.push(r.best_accuracy);
        walls.push(r.wall_s);
    }
    let good = finals.iter().filter(|&&a| a >= 0.85).count();
    let mut sorted = finals.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "median final {:.3} best {:.3} min {:.3} >=0.85: {good}/{} err end/start median {:.2} (finals {:?}) wall {:.1}s",
        median(finals.clone()),
        median(bests),
        sorted[0],
        finals.len(),
        median(ratios),
        finals,
        median(walls)
    );
}
