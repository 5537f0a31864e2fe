//! Every shipped profile loads and validates; malformed profiles give errors naming file, line, key and
//! constraint.

use mixsig_chip::profile::BUILTIN;
use mixsig_chip::{ChipProfile, GeneratorKind, MismatchModel, ProfileError};

#[test]
fn every_shipped_profile_loads() {
    for name in BUILTIN {
        let p = ChipProfile::builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&p.name, name);
        // Also from disk, by path.
        let path = format!(
            "{}/../../chip-profiles/{name}.toml",
            env!("CARGO_MANIFEST_DIR")
        );
        let q = ChipProfile::load(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(p.process, q.process);
        assert!(p.nominal_params().validate().is_ok(), "{name}");
    }
    let ideal = ChipProfile::builtin("ideal").unwrap();
    assert!(ideal.mismatch.is_none());
    assert!(matches!(ideal.bias_generator.kind, GeneratorKind::Exact));
    assert!(!ideal.noise.shot);
    let d2 = ChipProfile::default_profile();
    assert_eq!(d2.name, "dynapse2");
    assert!(matches!(d2.mismatch, MismatchModel::Physical(_)));
    assert!(ChipProfile::builtin("fdsoi22").unwrap().hypothetical);
    assert!(matches!(
        ChipProfile::builtin("nope"),
        Err(ProfileError::UnknownBuiltin { .. })
    ));
}

#[test]
fn a_misspelled_name_lists_the_builtins_and_a_missing_file_says_cannot_read() {
    let e = ChipProfile::builtin_or_load("dynapse").unwrap_err();
    assert!(matches!(e, ProfileError::UnknownBuiltin { .. }), "{e:?}");
    let m = e.to_string();
    assert!(m.contains("'dynapse'") && m.contains("dynapse2"), "{m}");
    let e = ChipProfile::builtin_or_load("no/such/profile.toml").unwrap_err();
    assert!(matches!(e, ProfileError::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("no/such/profile.toml"), "{e}");
}

#[test]
fn every_shipped_number_has_a_source_comment() {
    for name in BUILTIN {
        let path = format!(
            "{}/../../chip-profiles/{name}.toml",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') || t.starts_with('[') {
                continue;
            }
            let has_number = t
                .split('#')
                .next()
                .unwrap()
                .chars()
                .any(|c| c.is_ascii_digit());
            let model_key = ["model", "style", "format", "name", "description"]
                .iter()
                .any(|k| t.starts_with(k));
            if has_number && !model_key {
                assert!(
                    t.contains('#'),
                    "{path}:{}: number without a source comment: {t}",
                    i + 1
                );
            }
        }
    }
}

fn dynapse2_text() -> String {
    std::fs::read_to_string(format!(
        "{}/../../chip-profiles/dynapse2.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect(needle) + 1
}

#[test]
fn malformed_profiles_name_file_line_key_and_constraint() {
    let base = dynapse2_text();
    // (case, edit, expected key, expected constraint fragment, line anchor in the edited text)
    let cases: &[(&str, &str, &str, &str, &str, &str)] = &[
        (
            "unknown key",
            "c_mem = \"3 pF\"",
            "c_mem = \"3 pF\"\nc_membrane = \"3 pF\"",
            "layout.membrane.c_membrane",
            "unknown key",
            "c_membrane",
        ),
        (
            "unknown top-level key",
            "kappa_p = 0.66 ",
            "kappa_p = 0.66\nkappa_q = 0.66 ",
            "process.kappa_q",
            "unknown field",
            "kappa_q",
        ),
        (
            "negative capacitance",
            "c_mem = \"3 pF\"",
            "c_mem = \"-3 pF\"",
            "layout.membrane.c_mem",
            "capacitance must be > 0",
            "c_mem =",
        ),
        (
            "coarse index out of range",
            "SYAM_W3_P = \"80 nA\"",
            "SYAM_W3_P = \"80 nA\"\nSOIF_LEAK_N = { coarse = 6, fine = 10 }",
            "biases.SOIF_LEAK_N.coarse",
            "coarse index out of range",
            "SOIF_LEAK_N = {",
        ),
        (
            "missing field",
            "kappa_n = 0.75",
            "",
            "process.kappa_n",
            "missing field",
            "[process]",
        ),
        (
            "fraction given as percent",
            "branch_sigma = 0.05",
            "branch_sigma = 5",
            "bias_generator.branch_sigma",
            "fractions are fractions",
            "branch_sigma",
        ),
        (
            "Pelgrom coefficient without unit",
            "a_vt_n = \"5 mV*um\"",
            "a_vt_n = 5",
            "mismatch.a_vt_n",
            "5 mV*um",
            "a_vt_n",
        ),
        (
            "wrong unit",
            "c_ref = \"1.5 pF\"",
            "c_ref = \"1.5 pA\"",
            "layout.refractory.c_ref",
            "capacitance",
            "c_ref =",
        ),
        (
            "unknown bias in scale",
            "SOIF_LEAK_N = 0.61",
            "SOIF_LEAK = 0.61",
            "bias_generator.scale.SOIF_LEAK",
            "unknown bias name",
            "SOIF_LEAK =",
        ),
        (
            "compat key under physical model",
            "cap_sigma_core = 0.0",
            "cap_sigma_core = 0.0\nsigma = 0.1",
            "mismatch.sigma",
            "not used by mismatch model 'physical'",
            "sigma = 0.1",
        ),
        (
            "kappa above one",
            "kappa_p = 0.66 ",
            "kappa_p = 1.66 ",
            "process.kappa_p",
            "slope factor",
            "kappa_p =",
        ),
    ];
    for (case, from, to, key, constraint, anchor) in cases {
        assert!(base.contains(from), "{case}: {from}");
        let text = base.replacen(from, to, 1);
        let err = ChipProfile::from_toml_str(&text, "chip-profiles/bad.toml")
            .expect_err(case)
            .to_string();
        let line = line_of(&text, anchor);
        let prefix = format!("chip-profiles/bad.toml:{line}: key '{key}'");
        assert!(
            err.starts_with(&prefix),
            "{case}: got `{err}`, want prefix `{prefix}`"
        );
        assert!(
            err.contains(constraint),
            "{case}: `{err}` lacks `{constraint}`"
        );
    }
}

#[test]
fn error_example_of_the_brief() {
    let text = dynapse2_text().replacen("c_mem = \"3 pF\"", "c_mem = \"-3 pF\"", 1);
    let line = line_of(&text, "c_mem =");
    let err = ChipProfile::from_toml_str(&text, "chip-profiles/bad.toml").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("chip-profiles/bad.toml:{line}: key 'layout.membrane.c_mem' = -3 pF: capacitance must be > 0")
    );
}

#[test]
fn rockpool_percent_mismatch_is_three_sigma() {
    let text = dynapse2_text();
    let start = text.find("[mismatch]").unwrap();
    let end = text.find("[bias_generator]").unwrap();
    let text = format!(
        "{}[mismatch]\nmodel = \"gaussian-percent\"\npercent_mismatch = 0.30\n\n{}",
        &text[..start],
        &text[end..]
    );
    let p = ChipProfile::from_toml_str(&text, "rp.toml").unwrap();
    match p.mismatch {
        MismatchModel::GaussianPercent(c) => assert!((c.sigma - 0.1).abs() < 1e-15),
        m => panic!("{m:?}"),
    }
}
