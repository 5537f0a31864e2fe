//! DPI (differential-pair integrator) synapse with its pulse extender, integrated exactly.
//!
//! In the linear regime (`I_syn >> I_gain`, the form DynapSim and teili use) the DPI is a first-order
//! low-pass filter: while an input pulse of amplitude `I_w` is on, `I_syn` relaxes toward
//! `I_inf = (I_gain/I_tau)*I_w` with `tau = C*U_T/(kappa*I_tau)`; otherwise it decays as `exp(-t/tau)`.
//! The input is piecewise constant, so the update over a step is exact:
//!
//! ```text
//! I(t+dt) = max( I(t)*E + G*(1-E)*D + G*(1-exp(-r/tau))*exp(-(dt-r)/tau)*P , I_0 )
//! E = exp(-dt/tau),  G = I_gain/I_tau
//! D = sum of I_w of pulses that are on during the whole step
//! P = sum of I_w of pulses that are on for the first r seconds of the step and then end
//! ```
//!
//! A pulse of width `t_pulse` starting at the beginning of step `k` is on for `n_full = floor(t_pulse/dt)`
//! whole steps and for `r = t_pulse - n_full*dt` seconds of step `k + n_full`. Pulses shorter than `dt`
//! (`n_full = 0`) reduce to a single jump; pulses longer than `dt` need the engine to remember when they
//! end. In every case the delivered charge is exact. The state is floored at the leakage `I_0`.

use crate::transistor::{pulse_width, tau_from_current};

/// Synapse types of a DYNAP-style neuron (one DPI per type per neuron, shared by all its synapses).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum SynapseType {
    /// Fast excitatory, adds to the membrane input.
    Ampa,
    /// Slow excitatory, voltage gated: effective input `I_nmda/(1 + I_nmda_thr/I_mem)`.
    Nmda,
    /// Subtractive inhibition (GABA_B): subtracts from the membrane input.
    Gaba,
    /// Shunting inhibition (GABA_A): adds to the membrane leak.
    Shunt,
}

impl SynapseType {
    /// All types, in state-array order.
    pub const ALL: [SynapseType; 4] = [
        SynapseType::Ampa,
        SynapseType::Nmda,
        SynapseType::Gaba,
        SynapseType::Shunt,
    ];

    /// Index into per-type arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// snake_case name used in files and parameter names.
    pub fn name(self) -> &'static str {
        match self {
            SynapseType::Ampa => "ampa",
            SynapseType::Nmda => "nmda",
            SynapseType::Gaba => "gaba",
            SynapseType::Shunt => "shunt",
        }
    }

    /// Parse a type name (`ampa`, `nmda`, `gaba` or `gaba_b`, `shunt` or `gaba_a`).
    pub fn parse(s: &str) -> Option<SynapseType> {
        Some(match s.to_ascii_lowercase().as_str() {
            "ampa" => SynapseType::Ampa,
            "nmda" => SynapseType::Nmda,
            "gaba" | "gaba_b" => SynapseType::Gaba,
            "shunt" | "gaba_a" => SynapseType::Shunt,
            _ => return None,
        })
    }
}

/// Parameters of one DPI filter (SI).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DpiParams {
    /// Filter capacitance, F.
    pub c: f64,
    /// Leak bias current `I_tau`, A.
    pub i_tau: f64,
    /// Gain (threshold) bias current `I_gain` (a.k.a. `I_th`), A.
    pub i_gain: f64,
}

impl DpiParams {
    /// Time constant `C*U_T/(kappa*I_tau)`, s.
    pub fn tau(&self, kappa: f64, u_t: f64) -> f64 {
        tau_from_current(self.c, u_t, kappa, self.i_tau)
    }
}

/// Per-step coefficients of a DPI with a pulse extender, computed once per device and `dt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DpiStep {
    /// `E = exp(-dt/tau)`.
    pub decay: f64,
    /// Multiplies `D` (sum of `I_w` on for the whole step): `G*(1-E)`.
    pub full: f64,
    /// Multiplies `P` (sum of `I_w` on for the first `r` s): `G*(1-exp(-r/tau))*exp(-(dt-r)/tau)`.
    pub partial: f64,
    /// Whole steps a pulse stays on before its last, partial step.
    pub n_full: u32,
}

impl DpiStep {
    /// Coefficients for a DPI `p` fed by pulses of width `t_pulse`, at step `dt`.
    ///
    /// A pulse whose width is an exact multiple of `dt` (to 1e-9 relative) ends exactly at a step boundary.
    pub fn new(p: &DpiParams, t_pulse: f64, kappa: f64, u_t: f64, dt: f64) -> DpiStep {
        let tau = p.tau(kappa, u_t);
        let g = p.i_gain / p.i_tau;
        let ratio = t_pulse / dt;
        let mut n_full = ratio.floor();
        // Snap: a width of exactly k*dt is k-1 whole steps plus one full last step (r = dt).
        if ratio - n_full < 1e-9 && n_full >= 1.0 {
            n_full -= 1.0;
        } else if n_full + 1.0 - ratio < 1e-9 {
            // ratio just below an integer because of rounding.
            n_full = ratio.round() - 1.0;
        }
        let r = (t_pulse - n_full * dt).clamp(0.0, dt);
        let decay = (-dt / tau).exp();
        DpiStep {
            decay,
            full: g * (1.0 - decay),
            partial: g * (-(-r / tau).exp_m1()) * (-(dt - r) / tau).exp(),
            n_full: n_full as u32,
        }
    }

    /// Charge-equivalent jump of `I_syn` for one pulse of amplitude `i_w` when `n_full == 0`.
    pub fn jump(&self, i_w: f64) -> f64 {
        self.partial * i_w
    }
}

/// The exact DPI update over one step (see the module doc). Written once; the engine calls it in its
/// structure-of-arrays loops.
#[inline(always)]
pub fn dpi_update(i: f64, s: &DpiStep, drive_full: f64, drive_partial: f64, i_0: f64) -> f64 {
    (i * s.decay + s.full * drive_full + s.partial * drive_partial).max(i_0)
}

/// Pulse-extender width `V_swing*C_pulse/I_pulse`, s.
pub fn pulse_extender_width(v_swing: f64, c_pulse: f64, i_pulse: f64) -> f64 {
    pulse_width(v_swing, c_pulse, i_pulse)
}

/// Bookkeeping for pulses longer than one step (exact charge for any pulse width): for each neuron,
/// the drive of pulses on during the whole step and a ring of amplitudes whose pulse ends in a later
/// step. Only built when some neuron's pulses outlast a step.
#[derive(Debug, Clone)]
pub struct PulseBook {
    n_full: Vec<u32>,
    drive: Vec<f64>,
    ring: Vec<f64>,
    len: usize,
    head: usize,
    n: usize,
}

impl PulseBook {
    /// Books for DPIs with the given step coefficients; `None` when every pulse fits in one step.
    pub fn new(steps: impl Iterator<Item = DpiStep>) -> Option<PulseBook> {
        let n_full: Vec<u32> = steps.map(|s| s.n_full).collect();
        let max = *n_full.iter().max()?;
        if max == 0 {
            return None;
        }
        let n = n_full.len();
        let len = max as usize + 1;
        Some(PulseBook {
            n_full,
            drive: vec![0.0; n],
            ring: vec![0.0; len * n],
            len,
            head: 0,
            n,
        })
    }

    /// Register `events` (summed amplitude of pulses starting this step) for neuron `i` and return
    /// this step's (whole-step, partial) drive.
    #[inline(always)]
    pub fn take(&mut self, i: usize, events: f64) -> (f64, f64) {
        let nf = self.n_full[i] as usize;
        if nf == 0 {
            return (0.0, events);
        }
        let slot = (self.head + nf) % self.len;
        self.ring[slot * self.n + i] += events;
        self.drive[i] += events;
        let ending = std::mem::take(&mut self.ring[self.head * self.n + i]);
        self.drive[i] = (self.drive[i] - ending).max(0.0);
        (self.drive[i], ending)
    }

    /// [`PulseBook::take`] when books exist, else the whole amount as a pulse ending within this step.
    #[inline(always)]
    pub fn take_opt(book: &mut Option<PulseBook>, i: usize, events: f64) -> (f64, f64) {
        match book {
            Some(b) => b.take(i, events),
            None => (0.0, events),
        }
    }

    /// Move to the next step (after every neuron's `take`).
    #[inline]
    pub fn advance(&mut self) {
        self.head = (self.head + 1) % self.len;
    }
}

/// A single DPI with its own pulse bookkeeping: a scalar reference implementation used by tests and
/// small tools. Events arrive at the start of a step.
#[derive(Debug, Clone)]
pub struct DpiUnit {
    /// Step coefficients.
    pub step: DpiStep,
    /// Current state `I_syn`, A.
    pub i_syn: f64,
    /// Leakage floor, A.
    pub i_0: f64,
    book: Option<PulseBook>,
}

impl DpiUnit {
    /// A DPI at rest (`I_syn = I_0`).
    pub fn new(step: DpiStep, i_0: f64) -> Self {
        DpiUnit {
            step,
            i_syn: i_0,
            i_0,
            book: PulseBook::new(std::iter::once(step)),
        }
    }

    /// Advance one step; `events` is the sum of `I_w` of pulses starting at this step.
    pub fn advance(&mut self, events: f64) -> f64 {
        let (full, partial) = PulseBook::take_opt(&mut self.book, 0, events);
        self.i_syn = dpi_update(self.i_syn, &self.step, full, partial, self.i_0);
        if let Some(b) = &mut self.book {
            b.advance();
        }
        self.i_syn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> DpiParams {
        DpiParams {
            c: 24.5e-12,
            i_tau: 86.88e-12,
            i_gain: 8.688e-9,
        }
    }

    /// Integrate the linear ODE with a tiny step (reference for the exact update).
    fn brute(p: &DpiParams, t_pulse: f64, dt: f64, steps: usize, kappa: f64, ut: f64) -> f64 {
        let tau = p.tau(kappa, ut);
        let h = 1e-9;
        let mut i: f64 = 0.0;
        let n = (steps as f64 * dt / h).round() as usize;
        let i_inf = p.i_gain / p.i_tau * 1e-9;
        for k in 0..n {
            let t = (k as f64 + 0.5) * h;
            let on = if t < t_pulse { i_inf } else { 0.0 };
            // exact for constant input over h
            i = on + (i - on) * (-h / tau).exp();
        }
        i
    }

    #[test]
    fn charge_is_exact_for_short_equal_and_long_pulses() {
        let (kappa, ut, dt) = (0.705, 0.025, 1e-5);
        for &t_pulse in &[3e-6, 1e-5, 2.5e-5, 4e-5] {
            let p = params();
            let mut u = DpiUnit::new(DpiStep::new(&p, t_pulse, kappa, ut, dt), 0.0);
            let steps = 8;
            let mut last = 0.0;
            for k in 0..steps {
                last = u.advance(if k == 0 { 1e-9 } else { 0.0 });
            }
            let reference = brute(&p, t_pulse, dt, steps, kappa, ut);
            let rel = (last - reference).abs() / reference;
            assert!(
                rel < 1e-6,
                "t_pulse {t_pulse}: {last} vs {reference} (rel {rel})"
            );
        }
    }
}
