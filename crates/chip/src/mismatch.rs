//! Mismatch models: how a device's nominal value becomes its sampled value.
//!
//! - [`MismatchModel::Physical`] (default for real chips): Pelgrom's law
//!   `sigma_VT = A_VT/sqrt(W*L)` per transistor gives a lognormal current factor
//!   `exp(kappa*dV_T/U_T)`, so `sigma_ln(I) = kappa*sigma_VT/U_T` (with `kappa` of the device's
//!   polarity); current-factor mismatch `A_beta/sqrt(W*L)` adds in quadrature in the log domain;
//!   capacitors get `sigma(dC/C) = cap_sigma*sqrt(cap_ref/C)` (Pelgrom for area capacitors), also
//!   applied as a lognormal factor. The median of every parameter is its nominal value.
//! - [`MismatchModel::GaussianPercent`]: Rockpool semantics, `x*(1 + sigma*N(0,1))` (can go negative
//!   for large sigma; the instance clamps non-positive results, see [`crate::instance`]).
//! - [`MismatchModel::TruncatedGaussian`]: teili semantics, the same normal truncated at zero
//!   (resampled until positive).
//!
//! Each model has three independent components whose factors multiply: die-level, per-core and
//! per-device. The die-level component is one draw per instance and [`DeviceClass`], shared by every
//! device of that class on the die (a process shift moves all n-FET thresholds together, all p-FET
//! thresholds together and all capacitances together; chip-profiles.md); the per-core component is
//! one draw per core and class; the per-device component is one draw per device and parameter.
//! So a die-level shift moves `i_tau_mem` and `i_gain_mem` (both n-FETs) by the same factor and
//! keeps their ratio. `U_T` and the time step never get mismatch (see
//! [`crate::names::NO_MISMATCH`]).

use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::rng::{self, domain};

/// Transistor polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    /// n-FET.
    N,
    /// p-FET.
    P,
}

/// The physical device behind a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Device {
    /// A transistor that sets a current.
    Transistor {
        /// Width, m.
        w: f64,
        /// Length, m.
        l: f64,
        /// Polarity.
        polarity: Polarity,
    },
    /// A capacitor, F.
    Capacitor {
        /// Capacitance, F.
        c: f64,
    },
}

/// Parameters of the physical (Pelgrom) model, SI.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PhysicalMismatch {
    /// Pelgrom coefficient of n-FETs, V·m (5 mV·µm = 5e-9 V·m).
    pub a_vt_n: f64,
    /// Pelgrom coefficient of p-FETs, V·m.
    pub a_vt_p: f64,
    /// Current-factor coefficient, m (1 %·µm = 1e-8 m).
    pub a_beta: f64,
    /// Relative sigma of a capacitor of value `cap_ref`.
    pub cap_sigma: f64,
    /// Reference capacitance, F.
    pub cap_ref: f64,
    /// Die-to-die threshold sigma, V.
    pub sigma_vt_global: f64,
    /// Core-to-core threshold sigma, V.
    pub sigma_vt_core: f64,
    /// Die-to-die relative capacitor sigma.
    pub cap_sigma_global: f64,
    /// Core-to-core relative capacitor sigma.
    pub cap_sigma_core: f64,
}

/// Parameters of the compatibility models (relative sigmas, fractions).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CompatMismatch {
    /// Per-device relative sigma.
    pub sigma: f64,
    /// Per-core relative sigma.
    pub sigma_core: f64,
    /// Die-level relative sigma.
    pub sigma_global: f64,
}

/// The mismatch model of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum MismatchModel {
    /// No mismatch: every device is nominal.
    None,
    /// Pelgrom threshold and current-factor mismatch, capacitor mismatch; lognormal factors.
    Physical(PhysicalMismatch),
    /// Rockpool: `x*(1 + sigma*N(0,1))`.
    GaussianPercent(CompatMismatch),
    /// teili: `x*(1 + sigma*N(0,1))` truncated at zero.
    TruncatedGaussian(CompatMismatch),
}

/// Operating point needed to turn threshold sigmas into current sigmas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OperatingPoint {
    /// n-FET slope factor.
    pub kappa_n: f64,
    /// p-FET slope factor.
    pub kappa_p: f64,
    /// Thermal voltage, V.
    pub u_t: f64,
}

/// Which devices share the die-level and per-core draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DeviceClass {
    /// n-FETs.
    #[default]
    NFet,
    /// p-FETs.
    PFet,
    /// Capacitors.
    Capacitor,
}

impl DeviceClass {
    /// The class of `device`.
    pub fn of(device: &Device) -> Self {
        match device {
            Device::Transistor {
                polarity: Polarity::N,
                ..
            } => DeviceClass::NFet,
            Device::Transistor {
                polarity: Polarity::P,
                ..
            } => DeviceClass::PFet,
            Device::Capacitor { .. } => DeviceClass::Capacitor,
        }
    }

    /// Stream id of the class in the die-level and per-core draws.
    fn id(self) -> u64 {
        match self {
            DeviceClass::NFet => 1,
            DeviceClass::PFet => 2,
            DeviceClass::Capacitor => 3,
        }
    }
}

/// The sigmas of the three components for one device: log-domain for the physical model,
/// relative for the compatibility models.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sigmas {
    /// Which devices share this device's die-level and per-core draws.
    pub class: DeviceClass,
    /// Die-level component.
    pub global: f64,
    /// Per-core component.
    pub core: f64,
    /// Per-device component.
    pub local: f64,
}

/// Identity of one device parameter in the random streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceKey {
    /// Instance seed.
    pub seed: u64,
    /// Domain of the local component ([`domain::LOCAL`] for neurons, [`domain::WEIGHT`] for synapses).
    pub domain: u64,
    /// Core index.
    pub core: u64,
    /// Device index inside the core (neuron, or flattened neuron*slots + slot).
    pub index: u64,
    /// Parameter id ([`rng::name_id`] of its name).
    pub param: u64,
}

impl MismatchModel {
    /// Whether the model samples anything.
    pub fn is_none(&self) -> bool {
        matches!(self, MismatchModel::None)
    }

    /// Short name as written in profiles.
    pub fn name(&self) -> &'static str {
        match self {
            MismatchModel::None => "none",
            MismatchModel::Physical(_) => "physical",
            MismatchModel::GaussianPercent(_) => "gaussian-percent",
            MismatchModel::TruncatedGaussian(_) => "truncated-gaussian",
        }
    }

    /// The component sigmas for `device`.
    pub fn sigmas(&self, device: &Device, op: &OperatingPoint) -> Sigmas {
        let class = DeviceClass::of(device);
        match self {
            MismatchModel::None => Sigmas {
                class,
                ..Sigmas::default()
            },
            MismatchModel::Physical(p) => match *device {
                Device::Transistor { w, l, polarity } => {
                    let (a_vt, kappa) = match polarity {
                        Polarity::N => (p.a_vt_n, op.kappa_n),
                        Polarity::P => (p.a_vt_p, op.kappa_p),
                    };
                    let area = (w * l).sqrt();
                    let s_vt = kappa * (a_vt / area) / op.u_t;
                    let s_beta = p.a_beta / area;
                    Sigmas {
                        class,
                        global: kappa * p.sigma_vt_global / op.u_t,
                        core: kappa * p.sigma_vt_core / op.u_t,
                        local: (s_vt * s_vt + s_beta * s_beta).sqrt(),
                    }
                }
                Device::Capacitor { c } => Sigmas {
                    class,
                    global: p.cap_sigma_global,
                    core: p.cap_sigma_core,
                    local: p.cap_sigma * (p.cap_ref / c).sqrt(),
                },
            },
            MismatchModel::GaussianPercent(c) | MismatchModel::TruncatedGaussian(c) => Sigmas {
                class,
                global: c.sigma_global,
                core: c.sigma_core,
                local: c.sigma,
            },
        }
    }

    /// The multiplicative factor of one device parameter (1 for [`MismatchModel::None`]). The
    /// die-level and per-core draws are keyed by `s.class` only (not by the parameter or the
    /// device), so every device of one class on a die (core) shares them.
    pub fn factor(&self, s: &Sigmas, k: &DeviceKey) -> f64 {
        let class = s.class.id();
        let parts: [(f64, u64, [u64; 3]); 3] = [
            (s.global, domain::GLOBAL, [class, u64::MAX, u64::MAX]),
            (s.core, domain::CORE, [class, k.core, u64::MAX]),
            (s.local, k.domain, [k.core, k.index, k.param]),
        ];
        match self {
            MismatchModel::None => 1.0,
            MismatchModel::Physical(_) => {
                let mut ln = 0.0;
                for (sigma, dom, id) in parts {
                    if sigma > 0.0 {
                        ln += sigma * rng::standard_normal(k.seed, &[dom, id[0], id[1], id[2]]);
                    }
                }
                ln.exp()
            }
            MismatchModel::GaussianPercent(_) => {
                let mut f = 1.0;
                for (sigma, dom, id) in parts {
                    if sigma > 0.0 {
                        f *=
                            1.0 + sigma * rng::standard_normal(k.seed, &[dom, id[0], id[1], id[2]]);
                    }
                }
                f
            }
            MismatchModel::TruncatedGaussian(_) => {
                let mut f = 1.0;
                for (sigma, dom, id) in parts {
                    if sigma > 0.0 {
                        let mut r = rng::stream(k.seed, &[dom, id[0], id[1], id[2]]);
                        // Rejection: the normal truncated at zero. Acceptance >= 50%; bounded loop.
                        let mut x = 0.0;
                        for _ in 0..10_000 {
                            let z: f64 = StandardNormal.sample(&mut r);
                            x = 1.0 + sigma * z;
                            if x > 0.0 {
                                break;
                            }
                        }
                        f *= x.max(f64::MIN_POSITIVE);
                    }
                }
                f
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pelgrom_numbers_of_chip_profiles_md() {
        // 1 um x 1 um, A_VT = 5 mV um, kappa 0.705, U_T 25 mV: sigma_ln(I) = 0.705*5/25 = 0.141.
        let m = MismatchModel::Physical(PhysicalMismatch {
            a_vt_n: 5e-9,
            a_vt_p: 5e-9,
            a_beta: 0.0,
            cap_sigma: 0.0,
            cap_ref: 1e-12,
            sigma_vt_global: 0.0,
            sigma_vt_core: 0.0,
            cap_sigma_global: 0.0,
            cap_sigma_core: 0.0,
        });
        let op = OperatingPoint {
            kappa_n: 0.705,
            kappa_p: 0.705,
            u_t: 0.025,
        };
        let d = Device::Transistor {
            w: 1e-6,
            l: 1e-6,
            polarity: Polarity::N,
        };
        let s = m.sigmas(&d, &op);
        assert!((s.local - 0.141).abs() < 1e-12, "{}", s.local);
        // Four times the area halves sigma.
        let d4 = Device::Transistor {
            w: 2e-6,
            l: 2e-6,
            polarity: Polarity::N,
        };
        assert!((m.sigmas(&d4, &op).local - 0.0705).abs() < 1e-12);
    }
}
