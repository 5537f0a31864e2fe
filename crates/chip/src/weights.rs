//! Weight formats: how a synapse's stored weight becomes its nominal weight current.
//!
//! - [`WeightFormat::Dynapse2Mask`]: a 4-bit mask per synapse selecting among the four per-core base
//!   currents (`SYAM_W0_P..SYAM_W3_P`): `I_w = sum_k b_k * I_wk` (16 levels).
//! - [`WeightFormat::Dynapse1Type`]: DYNAP-SE has one weight bias per synapse type per core; the
//!   synapse's type selects base `k = type index`.
//! - [`WeightFormat::Analog`]: a bounded analog value `x` in `[0, 1]`, `I_w = x*i_max`.
//! - [`WeightFormat::NBit`]: `n` bits, `I_w = level/(2^n - 1)*i_max`.
//!
//! Per-synapse mismatch of the weight current is a separate multiplicative factor
//! ([`crate::ChipInstance::weight_factor`]), drawn from the profile's mismatch model with the
//! `layout.synapse.i_w` transistor.

use mixsig_circuits::SynapseType;
use serde::{Deserialize, Serialize};

/// A weight format of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum WeightFormat {
    /// DYNAP-SE2: 4-bit mask over four base currents.
    Dynapse2Mask,
    /// DYNAP-SE: one weight per synapse type per core.
    Dynapse1Type,
    /// Bounded analog weight in `[0, 1]` of `i_max`.
    Analog {
        /// Largest weight current, A.
        i_max: f64,
    },
    /// n-bit digital weight.
    NBit {
        /// Number of bits (1..=16).
        bits: u32,
        /// Weight current of the largest level, A.
        i_max: f64,
    },
}

/// A stored weight.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum WeightCode {
    /// DYNAP-SE2 4-bit mask (`0..16`).
    Mask(u8),
    /// DYNAP-SE synapse type.
    Type(SynapseType),
    /// Analog value in `[0, 1]`.
    Analog(f64),
    /// n-bit level.
    Level(u32),
}

/// Why a weight code does not fit a format.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightError {
    /// The code's kind belongs to another format.
    #[error("weight {code:?} does not belong to weight format {format}")]
    WrongKind {
        /// The code.
        code: WeightCode,
        /// The format's name.
        format: &'static str,
    },
    /// The code is outside the format's range.
    #[error("weight {code:?} out of range for format {format}: {constraint}")]
    OutOfRange {
        /// The code.
        code: WeightCode,
        /// The format's name.
        format: &'static str,
        /// The range.
        constraint: String,
    },
}

impl WeightFormat {
    /// Name as written in profiles.
    pub fn name(&self) -> &'static str {
        match self {
            WeightFormat::Dynapse2Mask => "dynapse2-mask",
            WeightFormat::Dynapse1Type => "dynapse1-type",
            WeightFormat::Analog { .. } => "analog",
            WeightFormat::NBit { .. } => "n-bit",
        }
    }

    /// Number of distinct stored values (`None` for analog).
    pub fn levels(&self) -> Option<usize> {
        match self {
            WeightFormat::Dynapse2Mask => Some(16),
            WeightFormat::Dynapse1Type => Some(4),
            WeightFormat::Analog { .. } => None,
            WeightFormat::NBit { bits, .. } => Some(1usize << bits),
        }
    }

    /// Nominal weight current of `code` given the core's four base currents, A.
    pub fn nominal_current(&self, code: WeightCode, bases: &[f64; 4]) -> Result<f64, WeightError> {
        let name = self.name();
        let range = |c: String| WeightError::OutOfRange {
            code,
            format: name,
            constraint: c,
        };
        match (self, code) {
            (WeightFormat::Dynapse2Mask, WeightCode::Mask(m)) => {
                if m >= 16 {
                    return Err(range("mask must be < 16".into()));
                }
                Ok((0..4).filter(|k| m >> k & 1 == 1).map(|k| bases[k]).sum())
            }
            (WeightFormat::Dynapse1Type, WeightCode::Type(t)) => Ok(bases[t.index()]),
            (WeightFormat::Analog { i_max }, WeightCode::Analog(x)) => {
                if !(0.0..=1.0).contains(&x) {
                    return Err(range("analog weight must be in [0, 1]".into()));
                }
                Ok(x * i_max)
            }
            (WeightFormat::NBit { bits, i_max }, WeightCode::Level(l)) => {
                let top = (1u32 << bits) - 1;
                if l > top {
                    return Err(range(format!("level must be <= {top}")));
                }
                Ok(l as f64 / top as f64 * i_max)
            }
            _ => Err(WeightError::WrongKind { code, format: name }),
        }
    }

    /// The representable code whose nominal current is nearest to `current` (absolute distance).
    /// For `dynapse1-type` the type cannot be chosen by current: returns the nearest base's type.
    pub fn quantize(&self, current: f64, bases: &[f64; 4]) -> WeightCode {
        let nearest = |n: usize, f: &dyn Fn(usize) -> f64| {
            (0..n)
                .min_by(|&a, &b| (f(a) - current).abs().total_cmp(&(f(b) - current).abs()))
                .unwrap_or(0)
        };
        match *self {
            WeightFormat::Dynapse2Mask => {
                let m = nearest(16, &|m| {
                    (0..4).filter(|k| m >> k & 1 == 1).map(|k| bases[k]).sum()
                });
                WeightCode::Mask(m as u8)
            }
            WeightFormat::Dynapse1Type => {
                WeightCode::Type(SynapseType::ALL[nearest(4, &|k| bases[k])])
            }
            WeightFormat::Analog { i_max } => WeightCode::Analog((current / i_max).clamp(0.0, 1.0)),
            WeightFormat::NBit { bits, i_max } => {
                let top = (1u32 << bits) - 1;
                let l = (current / i_max * top as f64)
                    .round()
                    .clamp(0.0, top as f64);
                WeightCode::Level(l as u32)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynapse2_mask_sums_bases() {
        let b = [1e-9, 2e-9, 4e-9, 8e-9];
        let f = WeightFormat::Dynapse2Mask;
        for m in 0..16u8 {
            let i = f.nominal_current(WeightCode::Mask(m), &b).unwrap();
            assert!((i - m as f64 * 1e-9).abs() < 1e-21);
            assert_eq!(f.quantize(i, &b), WeightCode::Mask(m));
        }
        assert!(f.nominal_current(WeightCode::Mask(16), &b).is_err());
        assert!(f.nominal_current(WeightCode::Level(1), &b).is_err());
    }

    #[test]
    fn nbit_and_analog() {
        let f = WeightFormat::NBit {
            bits: 3,
            i_max: 7e-9,
        };
        assert_eq!(f.quantize(3.2e-9, &[0.0; 4]), WeightCode::Level(3));
        assert!((f.nominal_current(WeightCode::Level(7), &[0.0; 4]).unwrap() - 7e-9).abs() < 1e-20);
        assert!(f.nominal_current(WeightCode::Level(8), &[0.0; 4]).is_err());
        let a = WeightFormat::Analog { i_max: 1e-9 };
        assert!(a
            .nominal_current(WeightCode::Analog(1.5), &[0.0; 4])
            .is_err());
        let t = WeightFormat::Dynapse1Type;
        let b = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(
            t.nominal_current(WeightCode::Type(SynapseType::Gaba), &b)
                .unwrap(),
            3.0
        );
    }
}
