//! Subthreshold (weak-inversion) MOSFET helpers and the process constants every circuit shares.
//!
//! `I_ds = I_0 * exp(kappa*V_g/U_T) * (exp(-V_s/U_T) - exp(-V_d/U_T))` (n-FET, bulk-referred); the
//! p-FET is its mirror image. A current-mode state `I` reads out as the voltage
//! `V = (U_T/kappa) * ln(I/I_0)`. Time constants of log-domain filters are `tau = C*U_T/(kappa*I_tau)`,
//! pulse widths of pulse extenders and refractory circuits are `t = V_swing*C/I`.

use crate::units::{thermal_voltage, ZERO_CELSIUS};

/// Process and operating-point constants shared by all devices of a die.
///
/// `u_t` is global (temperature); it never carries mismatch.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Process {
    /// Dark (leakage) current, A. The floor of every current state. Default 0.5 pA.
    pub i_0: f64,
    /// Thermal voltage, V. Default 25 mV (DynapSim convention).
    pub u_t: f64,
    /// n-FET subthreshold slope factor. Default 0.75.
    pub kappa_n: f64,
    /// p-FET subthreshold slope factor. Default 0.66.
    pub kappa_p: f64,
}

impl Default for Process {
    fn default() -> Self {
        Process {
            i_0: 0.5e-12,
            u_t: 0.025,
            kappa_n: 0.75,
            kappa_p: 0.66,
        }
    }
}

impl Process {
    /// A process at temperature `t_kelvin` (sets `u_t = kT/q`), other constants default.
    pub fn at_temperature(t_kelvin: f64) -> Self {
        Process {
            u_t: thermal_voltage(t_kelvin),
            ..Default::default()
        }
    }

    /// Temperature in °C implied by `u_t`.
    pub fn temperature_celsius(&self) -> f64 {
        self.u_t * crate::units::ELEMENTARY_CHARGE / crate::units::BOLTZMANN - ZERO_CELSIUS
    }

    /// Mean slope factor `(kappa_n + kappa_p)/2` used in time-constant formulas.
    pub fn kappa(&self) -> f64 {
        0.5 * (self.kappa_n + self.kappa_p)
    }
}

/// Saturated n-FET subthreshold current `I_0*exp((kappa*V_g - V_s)/U_T)`.
pub fn nfet_saturated(i_0: f64, kappa: f64, u_t: f64, v_g: f64, v_s: f64) -> f64 {
    i_0 * ((kappa * v_g - v_s) / u_t).exp()
}

/// Full n-FET subthreshold current (forward minus reverse component), bulk-referred.
pub fn nfet_current(i_0: f64, kappa: f64, u_t: f64, v_g: f64, v_s: f64, v_d: f64) -> f64 {
    i_0 * (kappa * v_g / u_t).exp() * ((-v_s / u_t).exp() - (-v_d / u_t).exp())
}

/// p-FET subthreshold current, the mirror image of [`nfet_current`] with voltages measured from the
/// well (`v_w`, usually the supply).
pub fn pfet_current(i_0: f64, kappa: f64, u_t: f64, v_w: f64, v_g: f64, v_s: f64, v_d: f64) -> f64 {
    nfet_current(i_0, kappa, u_t, v_w - v_g, v_w - v_s, v_w - v_d)
}

/// Voltage readout of a current-mode state: `V = (U_T/kappa)*ln(I/I_0)`.
pub fn voltage_from_current(i: f64, i_0: f64, kappa: f64, u_t: f64) -> f64 {
    (u_t / kappa) * (i / i_0).ln()
}

/// Inverse of [`voltage_from_current`].
pub fn current_from_voltage(v: f64, i_0: f64, kappa: f64, u_t: f64) -> f64 {
    i_0 * (kappa * v / u_t).exp()
}

/// Log-domain filter time constant `tau = C*U_T/(kappa*I_tau)`, s.
pub fn tau_from_current(c: f64, u_t: f64, kappa: f64, i_tau: f64) -> f64 {
    c * u_t / (kappa * i_tau)
}

/// The leak current that gives time constant `tau`: `I_tau = C*U_T/(kappa*tau)`, A.
pub fn current_from_tau(c: f64, u_t: f64, kappa: f64, tau: f64) -> f64 {
    c * u_t / (kappa * tau)
}

/// Pulse width of a pulse extender or refractory circuit: `t = V_swing*C/I`, s.
pub fn pulse_width(v_swing: f64, c: f64, i: f64) -> f64 {
    v_swing * c / i
}

/// Bias current that gives pulse width `t`: `I = V_swing*C/t`, A.
pub fn current_from_pulse_width(v_swing: f64, c: f64, t: f64) -> f64 {
    v_swing * c / t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturation_limit_of_full_current() {
        let (i0, k, ut) = (0.5e-12, 0.7, 0.025);
        let full = nfet_current(i0, k, ut, 0.4, 0.0, 0.5);
        let sat = nfet_saturated(i0, k, ut, 0.4, 0.0);
        assert!((full - sat).abs() / sat < 1e-8);
        // Symmetric device: swapping source and drain flips the sign.
        let a = nfet_current(i0, k, ut, 0.4, 0.01, 0.02);
        let b = nfet_current(i0, k, ut, 0.4, 0.02, 0.01);
        assert!((a + b).abs() < 1e-20);
    }

    #[test]
    fn readout_round_trip_and_dynap_defaults() {
        let p = Process::default();
        let v = voltage_from_current(1e-9, p.i_0, p.kappa(), p.u_t);
        let i = current_from_voltage(v, p.i_0, p.kappa(), p.u_t);
        assert!((i - 1e-9).abs() / 1e-9 < 1e-12);
        // circuits.md: tau_mem = 20 ms at C_mem = 3 pF gives I_tau_mem = 5.319 pA.
        let itau = current_from_tau(3e-12, p.u_t, p.kappa(), 0.02);
        assert!((itau - 5.319e-12).abs() < 0.001e-12, "{itau}");
        // C_pulse = 0.5 pF and I_pulse = 35 nA give 10 us.
        assert!((pulse_width(0.7, 0.5e-12, 35e-9) - 1e-5).abs() < 1e-15);
        assert!((Process::at_temperature(298.15).temperature_celsius() - 25.0).abs() < 1e-9);
    }
}
