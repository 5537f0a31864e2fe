//! Mismatch scaling: the same chip profile with every mismatch sigma multiplied by a factor, for
//! robustness sweeps ("0, 0.5, 1, 1.5, 2 times the profile's mismatch").
//!
//! What a factor `f` scales (and nothing else):
//!
//! - the device mismatch model: Pelgrom coefficients `a_vt_n`, `a_vt_p`, `a_beta`, the capacitor
//!   sigma `cap_sigma` (not its reference `cap_ref`), the die and core components `sigma_vt_global`,
//!   `sigma_vt_core`, `cap_sigma_global`, `cap_sigma_core`; for the compatibility models `sigma`,
//!   `sigma_core`, `sigma_global`;
//! - the bias generator's own mismatch: `branch_sigma` and `coarse_sigma`.
//!
//! In the physical model every log-domain sigma is linear in these coefficients, so `f` scales every
//! device's `sigma_ln` exactly by `f`. `f = 0` gives a die with no mismatch at all (only quantization,
//! the corner and dynamic noise remain); `f = 1` is the profile itself.
//!
//! [`ChipProfile::with_mismatch_scale`] scales a validated profile in memory; [`scaled_toml`] writes a
//! scaled profile as TOML (the original text with the scaled keys replaced by SI numbers), for code
//! that takes a profile by file name (`TrainOptions::profile`). The text round-trips: loading it gives
//! `with_mismatch_scale` of the original (tested).

use crate::biasgen::GeneratorKind;
use crate::error::ProfileError;
use crate::mismatch::MismatchModel;
use crate::profile::{builtin_text, ChipProfile, BUILTIN};

impl ChipProfile {
    /// This profile with every mismatch sigma (device mismatch and bias-generator mismatch)
    /// multiplied by `factor` (see the module docs). `factor` must be finite and >= 0 (negative or
    /// non-finite factors are clamped to 0 / treated as 0).
    pub fn with_mismatch_scale(&self, factor: f64) -> ChipProfile {
        let f = if factor.is_finite() && factor > 0.0 {
            factor
        } else {
            0.0
        };
        let mut p = self.clone();
        p.mismatch = match self.mismatch {
            MismatchModel::None => MismatchModel::None,
            MismatchModel::Physical(mut m) => {
                m.a_vt_n *= f;
                m.a_vt_p *= f;
                m.a_beta *= f;
                m.cap_sigma *= f;
                m.sigma_vt_global *= f;
                m.sigma_vt_core *= f;
                m.cap_sigma_global *= f;
                m.cap_sigma_core *= f;
                MismatchModel::Physical(m)
            }
            MismatchModel::GaussianPercent(mut c) => {
                c.sigma *= f;
                c.sigma_core *= f;
                c.sigma_global *= f;
                MismatchModel::GaussianPercent(c)
            }
            MismatchModel::TruncatedGaussian(mut c) => {
                c.sigma *= f;
                c.sigma_core *= f;
                c.sigma_global *= f;
                MismatchModel::TruncatedGaussian(c)
            }
        };
        if let GeneratorKind::Parametric(g) = &mut p.bias_generator.kind {
            g.branch_sigma *= f;
            g.coarse_sigma *= f;
        }
        p
    }
}

/// The TOML text of a built-in profile name or a profile file, with the origin label that
/// [`ChipProfile::builtin_or_load`] uses for it.
pub fn source_text(name_or_path: &str) -> Result<(String, String), ProfileError> {
    if BUILTIN.contains(&name_or_path) {
        let text = builtin_text(name_or_path).expect("listed built-in");
        return Ok((
            text.to_string(),
            format!("chip-profiles/{name_or_path}.toml"),
        ));
    }
    crate::profile::check_not_a_misspelled_name(name_or_path)?;
    let text = std::fs::read_to_string(name_or_path).map_err(|source| ProfileError::Io {
        path: name_or_path.to_string(),
        source,
    })?;
    Ok((text, name_or_path.to_string()))
}

/// The profile in `text` (from `origin`) with its mismatch scaled by `factor`, as TOML: the scaled
/// keys of `[mismatch]` and `[bias_generator]` are replaced by SI numbers, a relative measured-table
/// path is made absolute (so the text can be saved anywhere), comments are dropped. The result is
/// validated before it is returned, so a factor that pushes a sigma past its allowed range fails here
/// with the usual message (key, value, constraint).
pub fn scaled_toml(text: &str, origin: &str, factor: f64) -> Result<String, ProfileError> {
    let base = ChipProfile::from_toml_str(text, origin)?;
    let scaled = base.with_mismatch_scale(factor);
    let mut table: toml::Table =
        text.parse()
            .map_err(|e: toml::de::Error| ProfileError::Structure {
                origin: origin.to_string(),
                line: 0,
                key: String::new(),
                message: e.to_string(),
            })?;
    let set = |t: &mut toml::Table, section: &str, key: &str, v: f64| {
        if let Some(toml::Value::Table(s)) = t.get_mut(section) {
            s.insert(key.to_string(), toml::Value::Float(v));
        }
    };
    let remove = |t: &mut toml::Table, section: &str, key: &str| {
        if let Some(toml::Value::Table(s)) = t.get_mut(section) {
            s.remove(key);
        }
    };
    match scaled.mismatch {
        MismatchModel::None => {}
        MismatchModel::Physical(m) => {
            for (k, v) in [
                ("a_vt_n", m.a_vt_n),
                ("a_vt_p", m.a_vt_p),
                ("a_beta", m.a_beta),
                ("cap_sigma", m.cap_sigma),
                ("cap_ref", m.cap_ref),
                ("sigma_vt_global", m.sigma_vt_global),
                ("sigma_vt_core", m.sigma_vt_core),
                ("cap_sigma_global", m.cap_sigma_global),
                ("cap_sigma_core", m.cap_sigma_core),
            ] {
                set(&mut table, "mismatch", k, v);
            }
        }
        MismatchModel::GaussianPercent(c) | MismatchModel::TruncatedGaussian(c) => {
            remove(&mut table, "mismatch", "percent_mismatch");
            for (k, v) in [
                ("sigma", c.sigma),
                ("sigma_core", c.sigma_core),
                ("sigma_global", c.sigma_global),
            ] {
                set(&mut table, "mismatch", k, v);
            }
        }
    }
    match &scaled.bias_generator.kind {
        GeneratorKind::Parametric(g) => {
            set(&mut table, "bias_generator", "branch_sigma", g.branch_sigma);
            set(&mut table, "bias_generator", "coarse_sigma", g.coarse_sigma);
        }
        GeneratorKind::Table(t) => {
            if let Some(toml::Value::Table(s)) = table.get_mut("bias_generator") {
                let abs = std::path::Path::new(&t.path);
                let abs = std::fs::canonicalize(abs).unwrap_or_else(|_| abs.to_path_buf());
                s.insert(
                    "table".into(),
                    toml::Value::String(abs.display().to_string()),
                );
            }
        }
        GeneratorKind::Exact => {}
    }
    let out = toml::to_string(&table).map_err(|e| ProfileError::Structure {
        origin: origin.to_string(),
        line: 0,
        key: String::new(),
        message: e.to_string(),
    })?;
    let header = format!(
        "# {origin} with every mismatch sigma (device and bias generator) scaled by {factor}\n# (written by mixsig; see mixsig_chip::scale)\n"
    );
    let out = header + &out;
    ChipProfile::from_toml_str(&out, &format!("{origin} (mismatch x{factor})"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_text_round_trips_to_the_scaled_profile() {
        for name in BUILTIN {
            let (text, origin) = source_text(name).unwrap();
            let p = ChipProfile::builtin(name).unwrap();
            for f in [0.0, 0.5, 1.0, 2.0] {
                let t = scaled_toml(&text, &origin, f).unwrap();
                let mut q = ChipProfile::from_toml_str(&t, "x").unwrap();
                let mut want = p.with_mismatch_scale(f);
                q.origin.clear();
                want.origin.clear();
                assert_eq!(q, want, "{name} x{f}");
            }
        }
    }

    #[test]
    fn scale_is_linear_in_every_device_sigma() {
        let p = ChipProfile::builtin("dynapse2").unwrap();
        let op = p.process.operating_point();
        let d = p.layout.device("i_tau_mem");
        let s1 = p.mismatch.sigmas(&d, &op);
        let s2 = p.with_mismatch_scale(2.0).mismatch.sigmas(&d, &op);
        // An independent number: dynapse2 i_tau_mem is a 1 um x 1 um n-FET, A_VT 5 mV um,
        // A_beta 1 % um, kappa_n 0.75, U_T 25 mV: sqrt((0.75*5/25)^2 + 0.01^2) = 0.15033.
        assert!((s1.local - 0.150333).abs() < 1e-5, "{}", s1.local);
        assert!((s2.local - 2.0 * s1.local).abs() < 1e-12);
        assert!((s2.global - 2.0 * s1.global).abs() < 1e-12);
        let s0 = p.with_mismatch_scale(0.0).mismatch.sigmas(&d, &op);
        assert_eq!((s0.local, s0.core, s0.global), (0.0, 0.0, 0.0));
    }
}
