//! Instance: weights through the format and mismatch, save/load round trip, summary statistics.

use mixsig_chip::stats::summarize;
use mixsig_chip::{BiasCode, BiasSettings, BiasValue, ChipInstance, ChipProfile, WeightCode};

#[test]
fn weight_currents_follow_mask_and_mismatch() {
    let p = ChipProfile::default_profile();
    let inst = ChipInstance::sample(&p, 8);
    let b = inst.core(2).weight_bases;
    for m in 0..16u8 {
        let i = inst.weight_current(2, 10, 3, WeightCode::Mask(m)).unwrap();
        let nominal: f64 = (0..4).filter(|k| m >> k & 1 == 1).map(|k| b[k]).sum();
        assert!((i - nominal * inst.weight_factor(2, 10, 3)).abs() <= 1e-15 * nominal.max(1e-30));
    }
    assert!(inst.weight_current(2, 10, 3, WeightCode::Level(1)).is_err());
    // Different synapses of the same neuron differ.
    assert_ne!(inst.weight_factor(2, 10, 3), inst.weight_factor(2, 10, 4));
}

#[test]
fn explicit_bias_codes_and_settings() {
    let p = ChipProfile::default_profile();
    let mut s = BiasSettings::from_profile(&p);
    s.set(
        Some(1),
        "SOIF_LEAK_N",
        BiasValue::Code(BiasCode {
            coarse: 1,
            fine: 40,
        }),
    )
    .unwrap();
    s.set(None, "i_ref", BiasValue::Current(2e-9)).unwrap();
    assert!(s.set(Some(9), "i_ref", BiasValue::Current(2e-9)).is_err());
    assert!(s.set(None, "nope", BiasValue::Current(2e-9)).is_err());
    let inst = ChipInstance::with_biases(&p, 4, &s).unwrap();
    let gen = p.bias_generator.realize(4, 1, "SOIF_LEAK_N");
    assert_eq!(
        inst.core(1).nominal.i_tau_mem,
        gen.current(BiasCode {
            coarse: 1,
            fine: 40
        })
        .unwrap()
    );
    assert_ne!(
        inst.core(0).nominal.i_tau_mem,
        inst.core(1).nominal.i_tau_mem
    );
    for c in 0..4 {
        assert!((inst.core(c).nominal.i_ref / 2e-9 - 1.0).abs() < 0.03);
    }
    let mut bad = s.clone();
    bad.set(
        Some(0),
        "SOIF_GAIN_N",
        BiasValue::Code(BiasCode { coarse: 9, fine: 0 }),
    )
    .unwrap();
    assert!(ChipInstance::with_biases(&p, 4, &bad).is_err());
}

#[test]
fn save_and_load_keep_every_value() {
    let mut p = ChipProfile::default_profile();
    p.architecture.cores = 2;
    p.architecture.neurons_per_core = 8;
    p.architecture.synapses_per_neuron = 4;
    let inst = ChipInstance::sample(&p, 31);
    let dir = std::env::temp_dir().join(format!("mixsig-chip-inst-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("die.toml");
    inst.save(&path).unwrap();
    let back = ChipInstance::load(&path, &p).unwrap();
    assert_eq!(back.seed(), 31);
    for c in 0..2 {
        assert_eq!(back.core(c), inst.core(c));
        for n in 0..8 {
            assert_eq!(back.neuron_params(c, n), inst.neuron_params(c, n));
            for s in 0..4 {
                assert_eq!(back.weight_factor(c, n, s), inst.weight_factor(c, n, s));
            }
        }
    }
    // Edited values are returned verbatim (the file is the die, not the seed).
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen("c_mem = ", "c_mem = 1.0e-12 #", 1);
    let e = ChipInstance::from_toml_str(&edited, "x", &p).unwrap();
    assert!(e.neuron_params(0, 0).c_mem == 1e-12 || e.core(0).nominal.c_mem == 1e-12);
    // A weight factor that is not a positive number is rejected, naming where.
    let at = text.find("weight_factors = [").unwrap();
    let num = at + text[at..].find(|c: char| c.is_ascii_digit()).unwrap();
    let end = num + text[num..].find([',', ']']).unwrap();
    for bad in ["-5.0", "nan"] {
        let edited = format!("{}{bad}{}", &text[..num], &text[end..]);
        let e = ChipInstance::from_toml_str(&edited, "x", &p)
            .err()
            .unwrap_or_else(|| panic!("{bad} accepted"))
            .to_string();
        assert!(
            e.contains("core 0 neuron 0: weight_factors[0]") && e.contains("finite number > 0"),
            "{e}"
        );
    }
    // Wrong profile is rejected.
    let other = ChipProfile::builtin("dynapse1").unwrap();
    assert!(ChipInstance::load(&path, &other).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn summary_reports_cv_per_parameter() {
    let p = ChipProfile::default_profile();
    let inst = ChipInstance::sample(&p, 2);
    let s = summarize(&inst);
    let get = |n: &str| s.iter().find(|x| x.name == n).unwrap().stats;
    for name in ["i_tau_mem", "i_spkthr", "c_mem", "tau_mem", "t_ref"] {
        let d = get(name);
        println!(
            "dynapse2 seed 2: {name:<10} mean {:.4e} CV {:5.2}% p05 {:.4e} p50 {:.4e} p95 {:.4e}",
            d.mean,
            100.0 * d.cv,
            d.p05,
            d.p50,
            d.p95
        );
        assert_eq!(d.n, 1024);
        assert!(d.p05 <= d.p50 && d.p50 <= d.p95);
    }
    // tau_mem = C*U_T/(kappa*I): its log-spread combines the leak and the capacitor.
    assert!(get("tau_mem").cv > 0.1 && get("tau_mem").cv < 0.3);
    let ideal = summarize(&ChipInstance::sample(
        &ChipProfile::builtin("ideal").unwrap(),
        2,
    ));
    assert!(ideal
        .iter()
        .all(|x| x.stats.cv.abs() < 1e-12 || x.stats.cv.is_nan()));
}

#[test]
fn noise_follows_profile() {
    let d2 = ChipInstance::sample(&ChipProfile::default_profile(), 1);
    assert!(d2.noise().enabled());
    let ideal = ChipInstance::sample(&ChipProfile::builtin("ideal").unwrap(), 1);
    assert!(!ideal.noise().enabled());
    assert_eq!(ideal.noise().apply(1e-12, 1e-5, 0, 0, 0, 0), 1e-12);
    assert_ne!(d2.noise().apply(1e-12, 1e-5, 0, 0, 0, 0), 1e-12);
}
