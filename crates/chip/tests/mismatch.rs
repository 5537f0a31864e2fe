//! Sampled mismatch statistics against closed forms, and determinism of device identities.

use mixsig_chip::mismatch::{Device, MismatchModel, Polarity};
use mixsig_chip::names::has_mismatch;
use mixsig_chip::{ChipInstance, ChipProfile};
use mixsig_circuits::units::Dimension;
use mixsig_circuits::NeuronParams;
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};

const N: u32 = 10_000;

/// dynapse2 with one core of `n` neurons, only the local mismatch component, and `a_beta` set.
fn local_only(n: u32, a_beta: f64) -> ChipProfile {
    let mut p = ChipProfile::default_profile();
    p.architecture.cores = 1;
    p.architecture.neurons_per_core = n;
    match &mut p.mismatch {
        MismatchModel::Physical(m) => {
            m.sigma_vt_global = 0.0;
            m.sigma_vt_core = 0.0;
            m.cap_sigma_global = 0.0;
            m.cap_sigma_core = 0.0;
            m.a_beta = a_beta;
        }
        m => panic!("{m:?}"),
    }
    p
}

/// Kolmogorov–Smirnov statistic of `xs` against `cdf`, and its asymptotic p-value.
fn ks(xs: &mut [f64], cdf: impl Fn(f64) -> f64) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    let mut d: f64 = 0.0;
    for (i, &x) in xs.iter().enumerate() {
        let f = cdf(x);
        d = d.max(f - i as f64 / n).max((i + 1) as f64 / n - f);
    }
    // Kolmogorov distribution with Stephens' small-sample correction.
    let t = d * (n.sqrt() + 0.12 + 0.11 / n.sqrt());
    let p = 2.0
        * (1..100)
            .map(|k| {
                let k = k as f64;
                (-1f64).powf(k - 1.0) * (-2.0 * k * k * t * t).exp()
            })
            .sum::<f64>();
    (d, p.clamp(0.0, 1.0))
}

fn std_of(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt()
}

fn all_params(inst: &ChipInstance, n: u32) -> Vec<NeuronParams> {
    (0..n).map(|i| inst.neuron_params(0, i)).collect()
}

#[test]
fn log_current_spread_matches_pelgrom_and_is_normal() {
    let p = local_only(N, 0.0);
    let inst = ChipInstance::sample(&p, 2024);
    let nominal = inst.core(0).nominal;
    let all = all_params(&inst, N);
    let (a_vt_n, a_vt_p, cap_sigma, cap_ref) = match p.mismatch {
        MismatchModel::Physical(m) => (m.a_vt_n, m.a_vt_p, m.cap_sigma, m.cap_ref),
        _ => unreachable!(),
    };
    let mut checked = 0;
    for f in NeuronParams::FIELDS.iter().filter(|f| has_mismatch(f.name)) {
        let expected = match p.layout.device(f.name) {
            Device::Transistor { w, l, polarity } => {
                let (a, k) = match polarity {
                    Polarity::N => (a_vt_n, p.process.kappa_n),
                    Polarity::P => (a_vt_p, p.process.kappa_p),
                };
                k * (a / (w * l).sqrt()) / p.process.u_t
            }
            Device::Capacitor { c } => cap_sigma * (cap_ref / c).sqrt(),
        };
        let nom = nominal.field(f.name).unwrap();
        let mut ln: Vec<f64> = all
            .iter()
            .map(|q| (q.field(f.name).unwrap() / nom).ln())
            .collect();
        let s = std_of(&ln);
        let se = expected / (2.0 * (N as f64 - 1.0)).sqrt();
        let norm = Normal::new(0.0, expected).unwrap();
        let (d, pval) = ks(&mut ln, |x| norm.cdf(x));
        println!(
            "{:<14} {:<12} sigma_ln expected {expected:.4} measured {s:.4} ({:+.2} SE)  CV {:.2}%  KS D={d:.4} p={pval:.3}",
            f.name,
            if f.dim == Dimension::Current { "current" } else { "capacitance" },
            (s - expected) / se,
            100.0 * ((s * s).exp() - 1.0).sqrt(),
        );
        assert!(
            (s - expected).abs() < 3.0 * se,
            "{}: {s} vs {expected}",
            f.name
        );
        assert!(pval > 1e-3, "{}: KS p = {pval}", f.name);
        checked += 1;
    }
    assert!(checked >= 30, "{checked}");
}

#[test]
fn current_factor_mismatch_adds_in_quadrature() {
    let a_beta = 1e-8; // 1 %*um
    let p = local_only(N, a_beta);
    let inst = ChipInstance::sample(&p, 7);
    let nom = inst.core(0).nominal.i_tau_mem;
    let ln: Vec<f64> = (0..N)
        .map(|i| (inst.neuron_params(0, i).i_tau_mem / nom).ln())
        .collect();
    let (w, l) = match p.layout.device("i_tau_mem") {
        Device::Transistor { w, l, .. } => (w, l),
        d => panic!("{d:?}"),
    };
    let s_vt = p.process.kappa_n * 5e-9 / (w * l).sqrt() / p.process.u_t;
    let expected = (s_vt * s_vt + (a_beta / (w * l).sqrt()).powi(2)).sqrt();
    let s = std_of(&ln);
    println!("i_tau_mem with A_beta: expected {expected:.4} measured {s:.4}");
    assert!((s - expected).abs() < 3.0 * expected / (2.0 * N as f64).sqrt());
}

#[test]
fn global_and_core_components() {
    let p = ChipProfile::default_profile();
    let (sg, sc) = match p.mismatch {
        MismatchModel::Physical(m) => (m.sigma_vt_global, m.sigma_vt_core),
        _ => unreachable!(),
    };
    let k = p.process.kappa_n / p.process.u_t;
    // Per instance, the mean of ln(I/I_nom) over a core estimates the global + core shift; over many
    // seeds its spread is sqrt(global^2 + core^2) (plus the local sigma / sqrt(256)).
    let seeds = 400u64;
    let shifts: Vec<f64> = (0..seeds)
        .into_par_iter()
        .map(|s| {
            let inst = ChipInstance::sample(&p, s);
            let nom = inst.core(0).nominal.i_tau_mem;
            (0..256)
                .map(|n| (inst.neuron_params(0, n).i_tau_mem / nom).ln())
                .sum::<f64>()
                / 256.0
        })
        .collect();
    let local = p
        .mismatch
        .sigmas(&p.layout.device("i_tau_mem"), &p.process.operating_point())
        .local;
    let expected = ((k * sg).powi(2) + (k * sc).powi(2) + local * local / 256.0).sqrt();
    let s = std_of(&shifts);
    println!(
        "die+core shift of ln(i_tau_mem): expected {expected:.4} measured {s:.4} over {seeds} dies"
    );
    assert!((s - expected).abs() < 3.0 * expected / (2.0 * seeds as f64).sqrt());
}

#[test]
fn gaussian_percent_reproduces_rockpool_sigma() {
    let mut p = local_only(N, 0.0);
    p.mismatch = MismatchModel::GaussianPercent(mixsig_chip::mismatch::CompatMismatch {
        sigma: 0.30 / 3.0,
        sigma_core: 0.0,
        sigma_global: 0.0,
    });
    let inst = ChipInstance::sample(&p, 11);
    let nom = inst.core(0).nominal;
    let r: Vec<f64> = (0..N)
        .map(|i| inst.neuron_params(0, i).c_mem / nom.c_mem - 1.0)
        .collect();
    let s = std_of(&r);
    let m = r.iter().sum::<f64>() / N as f64;
    println!("gaussian-percent 0.30: relative sigma {s:.4} (want 0.1), mean {m:+.4}");
    assert!((s - 0.1).abs() < 3.0 * 0.1 / (2.0 * N as f64).sqrt());
    assert!(m.abs() < 3.0 * 0.1 / (N as f64).sqrt());
    let norm = Normal::new(0.0, 0.1).unwrap();
    let mut r = r;
    let (_, pval) = ks(&mut r, |x| norm.cdf(x));
    assert!(pval > 1e-3, "KS p = {pval}");

    // truncated-gaussian with a large sigma never goes non-positive and is truncated, not clipped.
    p.mismatch = MismatchModel::TruncatedGaussian(mixsig_chip::mismatch::CompatMismatch {
        sigma: 0.6,
        sigma_core: 0.0,
        sigma_global: 0.0,
    });
    let inst = ChipInstance::sample(&p, 12);
    let xs: Vec<f64> = (0..N)
        .map(|i| inst.neuron_params(0, i).c_mem / nom.c_mem)
        .collect();
    assert!(xs.iter().all(|&x| x > 0.0));
    // Mean of N(1, 0.6) truncated at 0: 1 + 0.6*phi(a)/(1 - Phi(a)), a = -1/0.6.
    let std = Normal::new(0.0, 1.0).unwrap();
    let a: f64 = -1.0 / 0.6;
    let phi = (-a * a / 2.0f64).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let want = 1.0 + 0.6 * phi / (1.0 - std.cdf(a));
    let m = xs.iter().sum::<f64>() / N as f64;
    println!("truncated-gaussian sigma 0.6: mean {m:.4} (closed form {want:.4})");
    assert!((m - want).abs() < 3.0 * 0.6 / (N as f64).sqrt());
}

#[test]
fn u_t_kappa_and_i_scale_never_mismatch() {
    let p = ChipProfile::default_profile();
    let inst = ChipInstance::sample(&p, 5);
    let nom = inst.core(1).nominal;
    for n in 0..256 {
        let q = inst.neuron_params(1, n);
        assert_eq!(q.u_t, nom.u_t);
        assert_eq!(q.kappa_n, nom.kappa_n);
        assert_eq!(q.kappa_p, nom.kappa_p);
        assert_eq!(q.i_scale, nom.i_scale);
        assert_eq!(q.v_th, nom.v_th);
        assert_ne!(q.i_tau_mem, nom.i_tau_mem);
    }
    // The ideal profile is exactly nominal everywhere.
    let ideal = ChipProfile::builtin("ideal").unwrap();
    let inst = ChipInstance::sample(&ideal, 5);
    assert_eq!(inst.neuron_params(3, 255), inst.core(3).nominal);
    assert_eq!(inst.weight_factor(3, 255, 63), 1.0);
    assert_eq!(
        inst.core(0).nominal.i_tau_mem,
        NeuronParams::default().i_tau_mem
    );
}

fn snapshot(inst: &ChipInstance, threads: usize) -> Vec<(NeuronParams, f64)> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let a = inst.profile().architecture.clone();
    pool.install(|| {
        (0..a.cores * a.neurons_per_core)
            .into_par_iter()
            .map(|i| {
                let (c, n) = (i / a.neurons_per_core, i % a.neurons_per_core);
                (
                    inst.neuron_params(c, n),
                    inst.weight_factor(c, n, n % a.synapses_per_neuron),
                )
            })
            .collect()
    })
}

#[test]
fn deterministic_on_one_and_two_threads_and_when_network_grows() {
    let p = ChipProfile::default_profile();
    let inst = ChipInstance::sample(&p, 99);
    let one = snapshot(&inst, 1);
    let two = snapshot(&inst, 2);
    assert!(one == two, "1 vs 2 threads differ");
    // Re-sampling the same seed gives identical values.
    assert!(snapshot(&ChipInstance::sample(&p, 99), 2) == one);
    // A different seed gives different values.
    assert!(snapshot(&ChipInstance::sample(&p, 100), 1) != one);
    // Grow the chip: more neurons per core, more cores, more synapses. Old devices keep their values.
    let mut big = p.clone();
    big.architecture.cores = 8;
    big.architecture.neurons_per_core = 1024;
    big.architecture.synapses_per_neuron = 256;
    let grown = ChipInstance::sample(&big, 99);
    for c in 0..4 {
        for n in (0..256).step_by(17) {
            assert_eq!(grown.neuron_params(c, n), inst.neuron_params(c, n));
            for s in [0, 5, 63] {
                assert_eq!(grown.weight_factor(c, n, s), inst.weight_factor(c, n, s));
            }
        }
    }
    // Evaluation order does not matter.
    let rev: Vec<_> = (0..256).rev().map(|n| inst.neuron_params(2, n)).collect();
    assert_eq!(rev[0], inst.neuron_params(2, 255));
}

#[test]
fn weight_factor_spread_matches_layout() {
    let p = local_only(1, 0.0);
    let mut p = p;
    p.architecture.synapses_per_neuron = N;
    let inst = ChipInstance::sample(&p, 3);
    let ln: Vec<f64> = (0..N).map(|s| inst.weight_factor(0, 0, s).ln()).collect();
    let (w, l, pol) = match p.layout.device("i_w") {
        Device::Transistor { w, l, polarity } => (w, l, polarity),
        d => panic!("{d:?}"),
    };
    let k = if pol == Polarity::N {
        p.process.kappa_n
    } else {
        p.process.kappa_p
    };
    let expected = k * 5e-9 / (w * l).sqrt() / p.process.u_t;
    let s = std_of(&ln);
    println!("weight transistor sigma_ln expected {expected:.4} measured {s:.4}");
    assert!((s - expected).abs() < 3.0 * expected / (2.0 * N as f64).sqrt());
}

/// chip-profiles.md: the die-to-die component is "shared by all devices of an instance". With only
/// that component on, every device of one class (n-FET, p-FET, capacitor) on a die gets the same
/// factor, whatever its parameter, neuron, core or synapse; the classes draw independently; and
/// ratios of two currents of one class (a DPI gain over its tau current) do not vary from die to die.
#[test]
fn the_die_level_draw_is_shared_by_every_device_of_a_class() {
    use mixsig_chip::names::polarity_of;
    let mut p = local_only(64, 0.0);
    p.architecture.cores = 2;
    match &mut p.mismatch {
        MismatchModel::Physical(m) => {
            m.a_vt_n = 0.0;
            m.a_vt_p = 0.0;
            m.cap_sigma = 0.0;
            m.sigma_vt_global = 3e-3;
            m.cap_sigma_global = 0.02;
        }
        m => panic!("{m:?}"),
    }
    let mut die_factors = Vec::new();
    for seed in 0..200u64 {
        let inst = ChipInstance::sample(&p, seed);
        let mut by_class: [Option<f64>; 3] = [None; 3];
        for core in 0..2 {
            let nom = inst.core(core).nominal;
            for n in [0, 17, 63] {
                let q = inst.neuron_params(core, n);
                for f in NeuronParams::FIELDS {
                    if !has_mismatch(f.name) {
                        continue;
                    }
                    let ratio = q.field(f.name).unwrap() / nom.field(f.name).unwrap();
                    let class = match p.layout.device(f.name) {
                        Device::Capacitor { .. } => 2,
                        Device::Transistor { .. } if polarity_of(f.name) == Polarity::P => 1,
                        Device::Transistor { .. } => 0,
                    };
                    let want = *by_class[class].get_or_insert(ratio);
                    assert!(
                        (ratio / want - 1.0).abs() < 1e-12,
                        "seed {seed} core {core} neuron {n} {}: {ratio} against {want}",
                        f.name
                    );
                }
                // The weight transistor of every synapse shares the n-FET draw.
                let wf = inst.weight_factor(core, n, 5);
                let want = *by_class[0].get_or_insert(wf);
                assert!(
                    (wf / want - 1.0).abs() < 1e-12,
                    "seed {seed}: weight {wf} {want}"
                );
            }
        }
        die_factors.push(by_class.map(|f| f.expect("every class occurs").ln()));
    }
    // Each class has the profile's die-level spread, and the three classes are independent.
    let k = p.process.kappa_n / p.process.u_t;
    let col = |c: usize| die_factors.iter().map(|f| f[c]).collect::<Vec<_>>();
    let (n_fet, cap) = (col(0), col(2));
    let se = 3.0 / (2.0 * die_factors.len() as f64).sqrt();
    assert!(
        (std_of(&n_fet) / (k * 3e-3) - 1.0).abs() < se,
        "{}",
        std_of(&n_fet)
    );
    assert!((std_of(&cap) / 0.02 - 1.0).abs() < se, "{}", std_of(&cap));
    let corr = |a: &[f64], b: &[f64]| {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        cov / ((n - 1.0) * std_of(a) * std_of(b))
    };
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        let r = corr(&col(a), &col(b));
        // |r| of independent draws over 200 dies: sigma 0.07; 4 sigma.
        assert!(r.abs() < 0.28, "classes {a} and {b} correlate: {r}");
    }
}
