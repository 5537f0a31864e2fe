//! The logic of `mixsig chip`: profile summaries (`show`, [`show`]), device statistics of one
//! sampled or loaded die (`sample`, [`sample`]), and bias-generator tables and lookups (`bias`,
//! [`bias`]). The binary only parses arguments and prints what these functions return; every file
//! is written with [`write_atomic`](crate::output::write_atomic) (or the plot module's
//! temporary-and-rename) after all input has been checked, so bad input never leaves a
//! half-written run directory.
//!
//! This module owns what the three subcommands share: the error type, profile resolution, quantity
//! formatting and the mismatch model's per-device sigmas. Everything of the submodules is
//! re-exported here, so `chipcmd::profile_summary`, `chipcmd::device_stats`, `chipcmd::lookup`, ...
//! are the paths to use.

use std::path::Path;

use mixsig_chip::mismatch::Sigmas;
use mixsig_chip::names;
use mixsig_chip::profile::BUILTIN;
use mixsig_chip::{InstanceError, MismatchModel, ProfileError};
use mixsig_circuits::units::{format_quantity, Dimension};
use mixsig_circuits::NeuronParams;

use crate::output::WriteError;
use crate::plot::PlotError;

pub mod bias;
pub mod sample;
pub mod show;

pub use bias::{
    bias_header, bias_plot, bias_table_csv, bias_table_text, check_core, generator, lookup,
    lookup_csv, lookup_text, parse_current, readable_fines, resolve_bias, valid_bias_names,
    write_bias_table, write_lookup, Lookup,
};
pub use mixsig_chip::{ChipInstance, ChipProfile};
pub use sample::{
    device_stats, device_stats_csv, device_values, load_instance, materialize, sample_summary_json,
    stats_table, weight_factors, write_sample, DeviceStat, InstanceSource, Materialized,
    DEVICE_STATS_HEADER,
};
pub use show::{
    list_builtins, nominal_die, nominal_generator_spec, profile_summary, weight_format_line,
    write_profile_json,
};

/// Default output directory of `mixsig chip`.
pub const DEFAULT_OUT: &str = "runs/chip";

/// Name of the per-synapse weight factor in statistics and plots.
pub const WEIGHT_FACTOR: &str = "i_w_factor";

/// Errors of `mixsig chip`, each naming the culprit.
#[derive(Debug, thiserror::Error)]
pub enum ChipCmdError {
    /// Neither a built-in profile name nor an existing file.
    #[error("unknown profile '{name}': not a built-in profile ({valid}) and no such file")]
    UnknownProfile {
        /// What was given.
        name: String,
        /// Built-in names.
        valid: String,
    },
    /// The profile file is malformed or invalid (the cause is part of the message, which names
    /// file, line, key and constraint).
    #[error("profile '{name}': {cause}")]
    Profile {
        /// What was given.
        name: String,
        /// The cause.
        cause: Box<ProfileError>,
    },
    /// Unknown bias name.
    #[error("unknown bias '{name}'; valid names: {valid}")]
    UnknownBias {
        /// What was given.
        name: String,
        /// Every valid name (DYNAP-SE2 name = parameter).
        valid: String,
    },
    /// Core out of range.
    #[error("core {core} out of range: profile '{profile}' has {cores} core(s) (0..={last})")]
    Core {
        /// Requested core.
        core: u32,
        /// Profile name.
        profile: String,
        /// Cores of the profile.
        cores: u32,
        /// Last valid core.
        last: u32,
    },
    /// A current that cannot be looked up.
    #[error("bad current '{text}': {reason}")]
    BadCurrent {
        /// What was given.
        text: String,
        /// Why it is rejected.
        reason: String,
    },
    /// Instance file could not be loaded (the cause names the file).
    #[error("instance file: {cause}")]
    Instance {
        /// The cause.
        cause: Box<InstanceError>,
    },
    /// Output could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Plot could not be written.
    #[error(transparent)]
    Plot(#[from] PlotError),
}

// -------------------------------------------------------------------------------------------------
// Profiles and shared helpers
// -------------------------------------------------------------------------------------------------

/// Names of the built-in profiles.
pub fn builtin_names() -> &'static [&'static str] {
    BUILTIN
}

/// A built-in profile by name or a profile file by path, with errors naming what was given.
pub fn load_profile(name_or_path: &str) -> Result<ChipProfile, ChipCmdError> {
    let is_builtin = BUILTIN.contains(&name_or_path);
    if !is_builtin && !Path::new(name_or_path).exists() {
        return Err(ChipCmdError::UnknownProfile {
            name: name_or_path.into(),
            valid: BUILTIN.join(", "),
        });
    }
    ChipProfile::builtin_or_load(name_or_path).map_err(|cause| ChipCmdError::Profile {
        name: name_or_path.into(),
        cause: Box::new(cause),
    })
}

/// `v` with an SI prefix and 4 significant digits, trailing zeros trimmed (`5.319 pA`, `3 pF`); `-`
/// for a missing (non-finite) value.
pub fn q(v: f64, d: Dimension) -> String {
    if v.is_finite() {
        format_quantity(v, d)
    } else {
        "-".into()
    }
}

/// Every parameter that carries device mismatch, in [`NeuronParams::FIELDS`] order.
pub fn mismatched_params() -> Vec<&'static str> {
    NeuronParams::FIELDS
        .iter()
        .filter(|f| names::has_mismatch(f.name))
        .map(|f| f.name)
        .collect()
}

/// The component sigmas of the device behind parameter `name` (log domain for the physical
/// model, relative for the compatibility models).
pub fn param_sigmas(p: &ChipProfile, name: &str) -> Sigmas {
    p.mismatch
        .sigmas(&p.layout.device(name), &p.process.operating_point())
}

/// The within-die CV the model predicts from the per-device component alone:
/// `sqrt(exp(s^2) - 1)` for the lognormal physical model, `s` for the Gaussian models.
pub fn model_cv(m: &MismatchModel, local: f64) -> f64 {
    match m {
        MismatchModel::None => 0.0,
        MismatchModel::Physical(_) => (local * local).exp_m1().sqrt(),
        MismatchModel::GaussianPercent(_) | MismatchModel::TruncatedGaussian(_) => local,
    }
}

/// A number for CSV: shortest round-trip representation; empty if not finite.
fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:e}")
    } else {
        String::new()
    }
}

fn opt_num(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_quantities() {
        assert_eq!(q(5.3191e-12, Dimension::Current), "5.319 pA");
        assert_eq!(q(3e-12, Dimension::Capacitance), "3 pF");
        assert_eq!(q(613.92e-15, Dimension::Current), "613.9 fA");
        assert_eq!(q(0.025, Dimension::Voltage), "25 mV");
        assert_eq!(q(0.0, Dimension::Voltage), "0 V");
        assert_eq!(q(0.83571, Dimension::Dimensionless), "0.8357");
        assert_eq!(q(9.99996e-10, Dimension::Current), "1 nA");
    }

    #[test]
    fn unknown_names_are_named() {
        let e = load_profile("no-such-chip").unwrap_err().to_string();
        assert!(e.contains("no-such-chip") && e.contains("dynapse2"), "{e}");
        let e = resolve_bias("SOIF_FOO").unwrap_err().to_string();
        assert!(e.contains("SOIF_FOO") && e.contains("SOIF_LEAK_N"), "{e}");
        assert_eq!(resolve_bias("i_tau_mem").unwrap().name, "SOIF_LEAK_N");
        assert!(parse_current("-1pA").is_err());
        assert!(parse_current("5 pF").is_err());
    }
}
