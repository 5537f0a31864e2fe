//! Per-die bias calibration: what a user does with a fresh chip before running a network on it.
//!
//! A bias current on a die differs from its design value by three factors:
//!
//! 1. the bias generator's DAC (its branch and coarse-range mismatch) — already handled when a
//!    current is requested: the code is searched on the die's own generator;
//! 2. the die- and core-level device mismatch that every neuron of a core shares (threshold-voltage
//!    and capacitance-density gradients: the `global` and `core` components of the profile's
//!    mismatch, and the process corner);
//! 3. each device's own mismatch.
//!
//! Calibration measures (2) for every neuron and synapse-circuit bias of a core — the median, over
//! the neurons of the core, of the realized parameter relative to the core's nominal value, as
//! measuring the core's median neuron on the bench would — and requests the bias again, divided by
//! that factor. Leak and pulse biases (`i_tau_*`, `i_ref`, `i_pulse`, `i_pulse_ahp`) and the gain
//! biases (`i_gain_*`, whose circuits use `i_gain / i_tau`) are also multiplied by the median factor
//! of their block's capacitor, so that time constants and gain ratios, not currents, are restored.
//! (3) stays: calibration moves each core's median neuron back to the design point, not every
//! neuron. Not calibrated: biases given as explicit codes (the user chose the code), and the weight
//! bases (`SYAM_W*`): a weight is requested as a current and quantized over the core's bases, so
//! rescaling the bases only changes which mask is picked, not the current the synapse's own
//! transistor then makes; synaptic weights keep the die's weight-transistor mismatch, its shared
//! part included.

use mixsig_chip::instance::InstanceError;
use mixsig_chip::names::{BiasTarget, BIASES};
use mixsig_chip::{BiasSettings, BiasValue, ChipInstance, ChipProfile};
use serde::Serialize;

/// Neurons measured per core at most (the median of 1024 lognormal factors is within ~0.5 % of the
/// core's factor for a 14 % device spread).
const MAX_NEURONS: u32 = 1024;

/// One bias moved by the calibration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Correction {
    /// Core.
    pub core: u32,
    /// DYNAP-SE2 bias name.
    pub bias: String,
    /// The core's measured median factor of what the bias sets (its current, or the current over
    /// its block's capacitance for leak, pulse and gain biases).
    pub factor: f64,
    /// Requested current before calibration, A.
    pub requested: f64,
    /// Requested current after calibration (`requested / factor`), A.
    pub calibrated: f64,
}

/// The capacitor whose mismatch a bias must compensate: a leak's time constant is `C U_T / (kappa
/// I)`, a pulse's width `V C / I`; a gain bias follows its block's leak so that `i_gain / i_tau`
/// keeps its design value.
fn capacitor_of(param: &str) -> Option<&'static str> {
    Some(match param {
        "i_tau_mem" | "i_gain_mem" => "c_mem",
        "i_tau_ampa" | "i_gain_ampa" => "c_ampa",
        "i_tau_nmda" | "i_gain_nmda" => "c_nmda",
        "i_tau_gaba" | "i_gain_gaba" => "c_gaba",
        "i_tau_shunt" | "i_gain_shunt" => "c_shunt",
        "i_tau_ahp" | "i_gain_ahp" => "c_ahp",
        "i_ref" => "c_ref",
        "i_pulse" => "c_pulse",
        "i_pulse_ahp" => "c_pulse_ahp",
        _ => return None,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        1.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// The calibrated bias settings of die `seed` of `profile` for `settings` on `cores` (other cores
/// keep their settings), with the corrections made. Every neuron of a core is measured (the first
/// 1024 on larger cores).
pub fn calibrate(
    profile: &ChipProfile,
    seed: u64,
    settings: &BiasSettings,
    cores: &[u32],
) -> Result<(BiasSettings, Vec<Correction>), InstanceError> {
    let die = ChipInstance::with_biases(profile, seed, settings)?;
    let neurons = profile.architecture.neurons_per_core.min(MAX_NEURONS);
    let mut out = settings.clone();
    let mut corrections = Vec::new();
    for &core in cores {
        let factor_of = |name: &str| {
            median(
                (0..neurons)
                    .map(|n| die.neuron_factor(core, n, name))
                    .collect(),
            )
        };
        for b in BIASES {
            let Some(report) = die.core(core).report.iter().find(|r| r.bias == b.name) else {
                continue;
            };
            let BiasValue::Current(requested) = report.requested else {
                continue; // an explicit code: the user's choice
            };
            let factor = match b.target {
                BiasTarget::Param(p) => factor_of(p) / capacitor_of(p).map_or(1.0, &factor_of),
                BiasTarget::WeightBase(_) => continue, // see the module docs
            };
            if factor == 1.0 || !(factor.is_finite() && factor > 0.0) || requested <= 0.0 {
                continue;
            }
            let calibrated = requested / factor;
            out.set(Some(core), b.name, BiasValue::Current(calibrated))?;
            corrections.push(Correction {
                core,
                bias: b.name.to_string(),
                factor,
                requested,
                calibrated,
            });
        }
    }
    Ok((out, corrections))
}
