//! Name tables: which [`NeuronParams`] parameter each DYNAP-SE2 bias sets, the polarity of the
//! transistor behind it, which layout block holds each parameter, and which parameters carry mismatch.
//!
//! DYNAP-SE2 bias name → parameter (the `_N`/`_P` suffix is the polarity of the bias transistor):
//!
//! | bias | parameter | | bias | parameter |
//! |---|---|---|---|---|
//! | `SOIF_LEAK_N` | `i_tau_mem` | | `DENM_ETAU_P` | `i_tau_nmda` |
//! | `SOIF_GAIN_N` | `i_gain_mem` | | `DENM_EGAIN_P` | `i_gain_nmda` |
//! | `SOIF_SPKTHR_P` | `i_spkthr` | | `DEGA_ITAU_P` | `i_tau_gaba` |
//! | `SOIF_REFR_N` | `i_ref` | | `DEGA_IGAIN_P` | `i_gain_gaba` |
//! | `SOIF_DC_P` | `i_dc` | | `DESC_ITAU_P` | `i_tau_shunt` |
//! | `SOIF_NMDA_N` | `i_nmda_thr` | | `DESC_IGAIN_P` | `i_gain_shunt` |
//! | `DEAM_ETAU_P` | `i_tau_ampa` | | `SYPD_EXT_N` | `i_pulse` |
//! | `DEAM_EGAIN_P` | `i_gain_ampa` | | `SOAD_TAU_P` | `i_tau_ahp` |
//! | `SYAM_W0_P`..`SYAM_W3_P` | weight bases 0..3 | | `SOAD_GAIN_P` | `i_gain_ahp` |
//! | `SOAD_W_N` | `i_w_ahp` | | `SOAD_PWTAU_N` | `i_pulse_ahp` |
//!
//! On DYNAP-SE (first generation) the four weight bases are the per-type weights of
//! AMPA, NMDA, GABA_B and SHUNT, in that order.

use mixsig_circuits::units::Dimension;
use mixsig_circuits::NeuronParams;

use crate::mismatch::Polarity;

/// What a bias sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BiasTarget {
    /// A current field of [`NeuronParams`].
    Param(&'static str),
    /// Weight base current `k` (0..4) of the core.
    WeightBase(usize),
}

impl BiasTarget {
    /// Name used in files: the parameter name, or `w0`..`w3`.
    pub fn name(self) -> &'static str {
        match self {
            BiasTarget::Param(p) => p,
            BiasTarget::WeightBase(k) => ["w0", "w1", "w2", "w3"][k.min(3)],
        }
    }
}

/// One row of the bias table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BiasName {
    /// DYNAP-SE2 bias name.
    pub name: &'static str,
    /// What it sets.
    pub target: BiasTarget,
}

impl BiasName {
    /// Polarity of the bias transistor, from the name's suffix.
    pub fn polarity(&self) -> Polarity {
        if self.name.ends_with("_P") {
            Polarity::P
        } else {
            Polarity::N
        }
    }
}

macro_rules! b {
    ($n:literal, $p:literal) => {
        BiasName {
            name: $n,
            target: BiasTarget::Param($p),
        }
    };
}

/// The DYNAP-SE2 bias names mixsig knows, with their targets.
pub const BIASES: &[BiasName] = &[
    b!("SOIF_LEAK_N", "i_tau_mem"),
    b!("SOIF_GAIN_N", "i_gain_mem"),
    b!("SOIF_SPKTHR_P", "i_spkthr"),
    b!("SOIF_REFR_N", "i_ref"),
    b!("SOIF_DC_P", "i_dc"),
    b!("SOIF_NMDA_N", "i_nmda_thr"),
    b!("DEAM_ETAU_P", "i_tau_ampa"),
    b!("DEAM_EGAIN_P", "i_gain_ampa"),
    b!("DENM_ETAU_P", "i_tau_nmda"),
    b!("DENM_EGAIN_P", "i_gain_nmda"),
    b!("DEGA_ITAU_P", "i_tau_gaba"),
    b!("DEGA_IGAIN_P", "i_gain_gaba"),
    b!("DESC_ITAU_P", "i_tau_shunt"),
    b!("DESC_IGAIN_P", "i_gain_shunt"),
    b!("SYPD_EXT_N", "i_pulse"),
    b!("SOAD_TAU_P", "i_tau_ahp"),
    b!("SOAD_GAIN_P", "i_gain_ahp"),
    b!("SOAD_W_N", "i_w_ahp"),
    b!("SOAD_PWTAU_N", "i_pulse_ahp"),
    BiasName {
        name: "SYAM_W0_P",
        target: BiasTarget::WeightBase(0),
    },
    BiasName {
        name: "SYAM_W1_P",
        target: BiasTarget::WeightBase(1),
    },
    BiasName {
        name: "SYAM_W2_P",
        target: BiasTarget::WeightBase(2),
    },
    BiasName {
        name: "SYAM_W3_P",
        target: BiasTarget::WeightBase(3),
    },
];

/// Look a bias up by DYNAP-SE2 name (exact, upper case).
pub fn bias_by_name(name: &str) -> Option<&'static BiasName> {
    BIASES.iter().find(|b| b.name == name)
}

/// The bias that sets `target`, if any.
pub fn bias_for(target: BiasTarget) -> Option<&'static BiasName> {
    BIASES.iter().find(|b| b.target == target)
}

/// Resolve a key of a bias setting: a DYNAP-SE2 name, a parameter name with a bias, or `w0`..`w3`.
pub fn resolve_bias(key: &str) -> Option<&'static BiasName> {
    bias_by_name(key).or_else(|| BIASES.iter().find(|b| b.target.name() == key))
}

/// Layout blocks and the parameters each holds (capacitances `c_*`, currents `i_*`).
pub const BLOCKS: &[(&str, &[&str])] = &[
    (
        "membrane",
        &[
            "c_mem",
            "i_0",
            "i_tau_mem",
            "i_gain_mem",
            "i_spkthr",
            "i_reset",
            "i_dc",
            "i_a_gain",
            "i_a_th",
            "i_a_norm",
        ],
    ),
    ("refractory", &["c_ref", "i_ref"]),
    (
        "ahp",
        &[
            "c_ahp",
            "i_tau_ahp",
            "i_gain_ahp",
            "i_w_ahp",
            "c_pulse_ahp",
            "i_pulse_ahp",
        ],
    ),
    ("pulse", &["c_pulse", "i_pulse"]),
    ("ampa", &["c_ampa", "i_tau_ampa", "i_gain_ampa"]),
    (
        "nmda",
        &["c_nmda", "i_tau_nmda", "i_gain_nmda", "i_nmda_thr"],
    ),
    ("gaba", &["c_gaba", "i_tau_gaba", "i_gain_gaba"]),
    ("shunt", &["c_shunt", "i_tau_shunt", "i_gain_shunt"]),
    ("synapse", &[WEIGHT_PARAM]),
];

/// Name of the per-synapse weight transistor in layout and random streams.
pub const WEIGHT_PARAM: &str = "i_w";

/// Parameters of [`NeuronParams`] that never carry mismatch: `u_t` (temperature, global),
/// the slope factors, the pulse swing voltage `v_th`, and `i_scale` (a unit of dimensionless weights,
/// not a device).
pub const NO_MISMATCH: &[&str] = &["u_t", "kappa_n", "kappa_p", "v_th", "i_scale"];

/// Whether parameter `name` of [`NeuronParams`] carries device mismatch.
pub fn has_mismatch(name: &str) -> bool {
    if NO_MISMATCH.contains(&name) {
        return false;
    }
    matches!(
        dimension(name),
        Some(Dimension::Current | Dimension::Capacitance)
    )
}

/// Dimension of a [`NeuronParams`] field.
pub fn dimension(name: &str) -> Option<Dimension> {
    NeuronParams::FIELDS
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.dim)
}

/// Polarity of the transistor behind current `name`: from its bias name if it has one, else n.
pub fn polarity_of(name: &str) -> Polarity {
    BIASES
        .iter()
        .find(|b| matches!(b.target, BiasTarget::Param(p) if p == name))
        .map(|b| b.polarity())
        .unwrap_or(Polarity::N)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bias_target_is_a_current_field() {
        for b in BIASES {
            if let BiasTarget::Param(p) = b.target {
                assert_eq!(dimension(p), Some(Dimension::Current), "{}", b.name);
            }
        }
    }

    #[test]
    fn every_mismatched_field_is_in_a_block() {
        for f in NeuronParams::FIELDS {
            let in_block = BLOCKS.iter().any(|(_, ps)| ps.contains(&f.name));
            assert_eq!(in_block, has_mismatch(f.name), "{}", f.name);
        }
    }

    #[test]
    fn polarity_from_suffix() {
        assert_eq!(polarity_of("i_tau_mem"), Polarity::N);
        assert_eq!(polarity_of("i_tau_ampa"), Polarity::P);
        assert_eq!(resolve_bias("w2").unwrap().name, "SYAM_W2_P");
        assert_eq!(resolve_bias("i_ref").unwrap().name, "SOIF_REFR_N");
    }
}
