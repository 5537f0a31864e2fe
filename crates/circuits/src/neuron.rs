//! The physical AdExp DPI neuron (Chicca et al. 2014), four synapse DPIs per neuron, AHP adaptation,
//! refractory period, reset and DC injection.
//!
//! Membrane (all currents floored at `I_0`; `I_leak = I_tau_mem + I_shunt`, `Q = C_mem*U_T/kappa`):
//!
//! ```text
//! tau*(1 + I_g/I_mem)*dI_mem/dt + I_mem*(1 + I_ahp/I_leak) = (I_g/I_leak)*(I_in - I_ahp - I_leak) + f(I_mem)
//! f(I_mem) = (I_a/I_leak)*(I_mem + I_g),         tau = Q/I_leak
//! =>  d ln(I_mem)/dt = [ I_g*(I_in - I_ahp - I_leak) + I_a*(I_mem + I_g) - I_mem*(I_leak + I_ahp) ] / (Q*(I_mem + I_g))
//! I_in = I_ampa + I_nmda/(1 + I_nmda_thr/I_mem) - I_gaba + I_dc
//! ```
//!
//! Positive feedback `I_a` ([`Feedback`]): the voltage exponential of Rockpool
//! (`I_a = I_0*(I_mem/I_0)^(kappa/(kappa+1))`) or the sigmoid of teili
//! (`I_a = I_a_gain/(1 + exp(-(I_mem - I_a_th)/I_a_norm))`). Both are bounded for bounded `I_mem`.
//!
//! Numerics: the membrane is integrated in the log domain with Heun's method (second order,
//! positivity-preserving; the log-increment of one step is clamped to +-40 so that no bias setting can
//! produce inf or NaN). A spike is emitted at the end of the step in which `I_mem > I_spkthr`; the
//! membrane is reset to `I_reset`, the refractory timer to `t_ref = V_swing*C_ref/I_ref`, and the AHP
//! receives a pulse of width `t_pulse_ahp` at the next step. The synapses and the AHP are exact
//! ([`crate::synapse`]).

use crate::param_table;
use crate::params::{NamedParams, ParamError, ParamInfo};
use crate::synapse::{DpiParams, DpiStep, PulseBook, SynapseType};
use crate::transistor::{pulse_width, Process};
use crate::units::Dimension;

/// Default simulation step, s: the largest step that keeps the physical neuron's F–I rates within 1%
/// of a 1 µs reference (see the convergence test and the README).
pub const DEFAULT_DT: f64 = 1e-5;

/// Positive-feedback form of the membrane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feedback {
    /// `I_a = I_0*(I_mem/I_0)^(kappa/(kappa+1))` (Rockpool DynapSim).
    #[default]
    Exponential,
    /// `I_a = I_a_gain/(1 + exp(-(I_mem - I_a_th)/I_a_norm))` (teili).
    Sigmoid,
}

param_table! {
    /// Parameters of one physical AdExp DPI neuron with its four synapse DPIs (SI units).
    ///
    /// Defaults are the DYNAP-SE2 defaults of circuits.md §3.1 (`tau_mem = 20 ms`, `tau_syn = 10 ms`,
    /// `t_ref = 1 ms`, `t_pulse = 10 us`, adaptation off). `kappa = (kappa_n + kappa_p)/2` is used in all
    /// time constants, as in DynapSim.
    pub struct NeuronParams {
        /// Leakage current, the floor of every current, A (default 0.5 pA).
        i_0: Current = 0.5e-12,
        /// Thermal voltage, V (default 25 mV).
        u_t: Voltage = 0.025,
        /// n-FET slope factor (default 0.75).
        kappa_n: Dimensionless = 0.75,
        /// p-FET slope factor (default 0.66).
        kappa_p: Dimensionless = 0.66,
        /// Voltage swing of pulse extenders and refractory circuit, V (default 0.7 V).
        v_th: Voltage = 0.7,
        /// Membrane capacitance, F (default 3 pF).
        c_mem: Capacitance = 3e-12,
        /// Membrane leak `I_tau_mem`, A (default 5.319 pA: 20 ms).
        i_tau_mem: Current = 5.319_148_936_170_212e-12,
        /// Membrane gain `I_gain_mem` (threshold of the DPI), A (default 4*I_tau_mem).
        i_gain_mem: Current = 2.127_659_574_468_085e-11,
        /// Spike threshold current, A (default 100 nA).
        i_spkthr: Current = 1e-7,
        /// Reset current after a spike, A (default I_0).
        i_reset: Current = 0.5e-12,
        /// Constant injected current, A (default I_0).
        i_dc: Current = 0.5e-12,
        /// Refractory capacitance, F (default 1.5 pF).
        c_ref: Capacitance = 1.5e-12,
        /// Refractory bias, A (default 1.05 nA: 1 ms).
        i_ref: Current = 1.05e-9,
        /// Sigmoid feedback: maximum current, A (default 1 nA).
        i_a_gain: Current = 1e-9,
        /// Sigmoid feedback: midpoint, A (default 100 pA).
        i_a_th: Current = 1e-10,
        /// Sigmoid feedback: width, A (default 20 pA).
        i_a_norm: Current = 2e-11,
        /// AHP capacitance, F (default 40 pF).
        c_ahp: Capacitance = 40e-12,
        /// AHP leak, A (default 28.37 pA: 50 ms).
        i_tau_ahp: Current = 2.836_879_432_624_112_6e-11,
        /// AHP gain, A (default I_tau_ahp).
        i_gain_ahp: Current = 2.836_879_432_624_112_6e-11,
        /// AHP weight: amplitude of the self-pulse, A (default I_0: adaptation off).
        i_w_ahp: Current = 0.5e-12,
        /// AHP pulse-extender capacitance, F (default 0.5 pF).
        c_pulse_ahp: Capacitance = 0.5e-12,
        /// AHP pulse-extender bias, A (default 350 nA: 1 us).
        i_pulse_ahp: Current = 3.5e-7,
        /// Synaptic pulse-extender capacitance, F (default 0.5 pF).
        c_pulse: Capacitance = 0.5e-12,
        /// Synaptic pulse-extender bias, A (default 35 nA: 10 us).
        i_pulse: Current = 3.5e-8,
        /// Unit of dimensionless weights: a weight w injects pulses of `w*i_scale`, A (default 10 nA).
        i_scale: Current = 1e-8,
        /// AMPA capacitance, F (default 24.5 pF).
        c_ampa: Capacitance = 24.5e-12,
        /// AMPA leak, A (default 86.88 pA: 10 ms).
        i_tau_ampa: Current = 8.687_943_262_411_346e-11,
        /// AMPA gain, A (default 100*I_tau).
        i_gain_ampa: Current = 8.687_943_262_411_346e-9,
        /// NMDA capacitance, F (default 24.5 pF).
        c_nmda: Capacitance = 24.5e-12,
        /// NMDA leak, A (default 86.88 pA: 10 ms).
        i_tau_nmda: Current = 8.687_943_262_411_346e-11,
        /// NMDA gain, A (default 100*I_tau).
        i_gain_nmda: Current = 8.687_943_262_411_346e-9,
        /// NMDA voltage-gating threshold current, A (default I_0).
        i_nmda_thr: Current = 0.5e-12,
        /// GABA_B (subtractive) capacitance, F (default 24.5 pF).
        c_gaba: Capacitance = 24.5e-12,
        /// GABA_B leak, A (default 86.88 pA: 10 ms).
        i_tau_gaba: Current = 8.687_943_262_411_346e-11,
        /// GABA_B gain, A (default 100*I_tau).
        i_gain_gaba: Current = 8.687_943_262_411_346e-9,
        /// SHUNT (GABA_A) capacitance, F (default 24.5 pF).
        c_shunt: Capacitance = 24.5e-12,
        /// SHUNT leak, A (default 86.88 pA: 10 ms).
        i_tau_shunt: Current = 8.687_943_262_411_346e-11,
        /// SHUNT gain, A (default 100*I_tau).
        i_gain_shunt: Current = 8.687_943_262_411_346e-9,
    }
}

/// Aliases accepted by name: `i_tau_syn`, `i_gain_syn`, `c_syn` set all four synapse types at once
/// (and read the AMPA value).
const SYN_ALIASES: [(&str, &str, Dimension); 3] = [
    ("i_tau_syn", "i_tau_", Dimension::Current),
    ("i_gain_syn", "i_gain_", Dimension::Current),
    ("c_syn", "c_", Dimension::Capacitance),
];

impl NamedParams for NeuronParams {
    fn param_infos() -> Vec<ParamInfo> {
        let mut v: Vec<ParamInfo> = Self::FIELDS.to_vec();
        for (alias, _, dim) in SYN_ALIASES {
            v.push(ParamInfo {
                name: alias,
                dim,
                doc:
                    "alias: sets the parameter of all four synapse types (ampa, nmda, gaba, shunt)",
            });
        }
        v
    }

    fn get(&self, name: &str) -> Result<f64, ParamError> {
        if let Some(v) = self.field(name) {
            return Ok(v);
        }
        for (alias, prefix, _) in SYN_ALIASES {
            if name == alias {
                return Ok(self.field(&format!("{prefix}ampa")).expect("ampa field"));
            }
        }
        Err(ParamError::Unknown {
            name: name.into(),
            valid: Self::valid_names(),
        })
    }

    fn set(&mut self, name: &str, value: f64) -> Result<(), ParamError> {
        if let Some(f) = self.field_mut(name) {
            *f = value;
            return Ok(());
        }
        for (alias, prefix, _) in SYN_ALIASES {
            if name == alias {
                for t in SynapseType::ALL {
                    *self
                        .field_mut(&format!("{prefix}{}", t.name()))
                        .expect("synapse field") = value;
                }
                return Ok(());
            }
        }
        Err(ParamError::Unknown {
            name: name.into(),
            valid: Self::valid_names(),
        })
    }
}

impl NeuronParams {
    /// Mean slope factor used in time constants.
    pub fn kappa(&self) -> f64 {
        0.5 * (self.kappa_n + self.kappa_p)
    }

    /// Process constants of this neuron.
    pub fn process(&self) -> Process {
        Process {
            i_0: self.i_0,
            u_t: self.u_t,
            kappa_n: self.kappa_n,
            kappa_p: self.kappa_p,
        }
    }

    /// DPI parameters of synapse type `t`.
    pub fn synapse(&self, t: SynapseType) -> DpiParams {
        let (c, i_tau, i_gain) = match t {
            SynapseType::Ampa => (self.c_ampa, self.i_tau_ampa, self.i_gain_ampa),
            SynapseType::Nmda => (self.c_nmda, self.i_tau_nmda, self.i_gain_nmda),
            SynapseType::Gaba => (self.c_gaba, self.i_tau_gaba, self.i_gain_gaba),
            SynapseType::Shunt => (self.c_shunt, self.i_tau_shunt, self.i_gain_shunt),
        };
        DpiParams { c, i_tau, i_gain }
    }

    /// DPI parameters of the AHP.
    pub fn ahp(&self) -> DpiParams {
        DpiParams {
            c: self.c_ahp,
            i_tau: self.i_tau_ahp,
            i_gain: self.i_gain_ahp,
        }
    }

    /// Synaptic pulse width `V_swing*C_pulse/I_pulse`, s.
    pub fn t_pulse(&self) -> f64 {
        pulse_width(self.v_th, self.c_pulse, self.i_pulse)
    }

    /// AHP pulse width, s.
    pub fn t_pulse_ahp(&self) -> f64 {
        pulse_width(self.v_th, self.c_pulse_ahp, self.i_pulse_ahp)
    }

    /// Refractory period `V_swing*C_ref/I_ref`, s.
    pub fn t_ref(&self) -> f64 {
        pulse_width(self.v_th, self.c_ref, self.i_ref)
    }

    /// Membrane time constant at rest, `C_mem*U_T/(kappa*I_tau_mem)`, s.
    pub fn tau_mem(&self) -> f64 {
        self.c_mem * self.u_t / (self.kappa() * self.i_tau_mem)
    }

    /// Check every parameter is physical: finite and > 0 (all are currents, capacitances, voltages or
    /// slope factors), slope factors below 1.
    pub fn validate(&self) -> Result<(), ParamError> {
        self.validate_positive()?;
        for (name, k) in [("kappa_n", self.kappa_n), ("kappa_p", self.kappa_p)] {
            if k >= 1.0 {
                return Err(ParamError::Invalid {
                    name: name.into(),
                    value: k,
                    constraint: "slope factor must be in (0, 1)".into(),
                });
            }
        }
        Ok(())
    }
}

/// Per-neuron constants of the membrane update, derived once from [`NeuronParams`] and `dt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MembraneCoeffs {
    /// `1/Q = kappa/(C_mem*U_T)`, 1/(A*s).
    pub inv_q: f64,
    /// Membrane gain, A.
    pub i_gain: f64,
    /// Membrane leak, A.
    pub i_tau: f64,
    /// Spike threshold, A.
    pub i_spkthr: f64,
    /// Reset current, A.
    pub i_reset: f64,
    /// Floor, A.
    pub i_0: f64,
    /// NMDA gating threshold, A.
    pub i_nmda_thr: f64,
    /// Exponent `kappa/(kappa+1)` of the exponential feedback.
    pub fb_exp: f64,
    /// Sigmoid gain, A.
    pub a_gain: f64,
    /// Sigmoid midpoint, A.
    pub a_th: f64,
    /// `1/I_a_norm`, 1/A.
    pub a_inv_norm: f64,
    /// Refractory period, s.
    pub t_ref: f64,
}

/// Clamp of the log-increment of one Heun stage: bounds growth to `e^40`, so no finite input
/// produces inf or NaN.
pub const MAX_LOG_STEP: f64 = 40.0;

/// Largest log-increment (e-folds) of the membrane in one Heun sub-step; larger steps are split.
pub const MAX_LOG_SUBSTEP: f64 = 0.1;

/// Most sub-steps per step (reached only under absurd drive; the threshold ends it earlier).
pub const MAX_SUBSTEPS: u32 = 256;

/// Cap of the membrane current, A: far above any threshold, it keeps every state finite.
pub const I_MEM_MAX: f64 = 1e-3;

impl MembraneCoeffs {
    /// Derive the constants from the parameters.
    pub fn new(p: &NeuronParams) -> Self {
        let kappa = p.kappa();
        MembraneCoeffs {
            inv_q: kappa / (p.c_mem * p.u_t),
            i_gain: p.i_gain_mem,
            i_tau: p.i_tau_mem,
            i_spkthr: p.i_spkthr,
            i_reset: p.i_reset.max(p.i_0),
            i_0: p.i_0,
            i_nmda_thr: p.i_nmda_thr,
            fb_exp: kappa / (kappa + 1.0),
            a_gain: p.i_a_gain,
            a_th: p.i_a_th,
            a_inv_norm: 1.0 / p.i_a_norm,
            t_ref: p.t_ref(),
        }
    }

    /// Positive-feedback current `I_a(I_mem)`.
    #[inline(always)]
    pub fn feedback(&self, form: Feedback, i_mem: f64) -> f64 {
        match form {
            Feedback::Exponential => self.i_0 * (i_mem / self.i_0).powf(self.fb_exp),
            Feedback::Sigmoid => {
                self.a_gain / (1.0 + (-(i_mem - self.a_th) * self.a_inv_norm).exp())
            }
        }
    }

    /// `d ln(I_mem)/dt` for membrane current `i`, net input `i_in` (already gated), AHP current and the
    /// leak `i_leak = I_tau_mem + I_shunt`.
    #[inline(always)]
    pub fn log_rate(&self, form: Feedback, i: f64, i_in: f64, i_ahp: f64, i_leak: f64) -> f64 {
        let ia = self.feedback(form, i);
        let num =
            self.i_gain * (i_in - i_ahp - i_leak) + ia * (i + self.i_gain) - i * (i_leak + i_ahp);
        num * self.inv_q / (i + self.i_gain)
    }

    /// Advance the membrane over `dt` with Heun's method in the log domain, floored at `I_0` and
    /// capped at [`I_MEM_MAX`].
    ///
    /// A step whose log-increment would exceed [`MAX_LOG_SUBSTEP`] e-folds (the upswing under strong
    /// drive) is split into equal sub-steps, at most [`MAX_SUBSTEPS`]; sub-stepping stops as soon as
    /// the membrane passes the spike threshold. `i_exc_no_nmda` is the input without the NMDA part
    /// (AMPA - GABA + DC) and `i_nmda` the NMDA current before gating: the gating
    /// `1/(1 + I_nmda_thr/I_mem)` depends on the membrane and is re-evaluated at every stage.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &self,
        form: Feedback,
        i: f64,
        i_exc_no_nmda: f64,
        i_nmda: f64,
        i_ahp: f64,
        i_leak: f64,
        dt: f64,
    ) -> f64 {
        let rate = |im: f64| {
            let gated = i_nmda * im / (im + self.i_nmda_thr);
            self.log_rate(form, im, i_exc_no_nmda + gated, i_ahp, i_leak)
        };
        let mut i = i;
        let mut g = rate(i);
        let span = (g * dt).abs();
        let n = if span > MAX_LOG_SUBSTEP {
            ((span / MAX_LOG_SUBSTEP).ceil() as u32).min(MAX_SUBSTEPS)
        } else {
            1
        };
        let h = dt / n as f64;
        for k in 0..n {
            if k > 0 {
                g = rate(i);
            }
            let d0 = (g * h).clamp(-MAX_LOG_STEP, MAX_LOG_STEP);
            let i1 = (i * d0.exp()).clamp(self.i_0, I_MEM_MAX);
            let g1 = rate(i1);
            let d = (0.5 * (g + g1) * h).clamp(-MAX_LOG_STEP, MAX_LOG_STEP);
            i = (i * d.exp()).clamp(self.i_0, I_MEM_MAX);
            if i > self.i_spkthr {
                break;
            }
        }
        i
    }
}

/// Per-neuron constants of the synapses and the AHP at step `dt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynapseCoeffs {
    /// One DPI step per synapse type, in [`SynapseType::ALL`] order.
    pub syn: [DpiStep; 4],
    /// The AHP DPI step (pulse width `t_pulse_ahp`, amplitude `i_w_ahp`).
    pub ahp: DpiStep,
}

impl SynapseCoeffs {
    /// Derive the per-step coefficients of the four synapses and the AHP.
    pub fn new(p: &NeuronParams, dt: f64) -> Self {
        let k = p.kappa();
        let tp = p.t_pulse();
        SynapseCoeffs {
            syn: SynapseType::ALL.map(|t| DpiStep::new(&p.synapse(t), tp, k, p.u_t, dt)),
            ahp: DpiStep::new(&p.ahp(), p.t_pulse_ahp(), k, p.u_t, dt),
        }
    }
}

/// State of one physical neuron (scalar form, for tests and single-neuron tools; the engine keeps the
/// same variables as structure-of-arrays).
#[derive(Debug, Clone, PartialEq)]
pub struct NeuronState {
    /// Membrane current, A.
    pub i_mem: f64,
    /// AHP current, A.
    pub i_ahp: f64,
    /// Synaptic currents in [`SynapseType::ALL`] order, A.
    pub i_syn: [f64; 4],
    /// Remaining refractory time, s.
    pub timer: f64,
    /// Whether the neuron spiked in the previous step (drives the AHP pulse this step).
    pub spiked: bool,
}

impl NeuronState {
    /// Resting state: every current at `I_0`, not refractory.
    pub fn rest(i_0: f64) -> Self {
        NeuronState {
            i_mem: i_0,
            i_ahp: i_0,
            i_syn: [i_0; 4],
            timer: 0.0,
            spiked: false,
        }
    }
}

/// A single physical neuron with everything derived: the scalar reference of the engine's loop.
///
/// Synaptic input is given per step as the summed pulse amplitude per type.
#[derive(Debug, Clone)]
pub struct Neuron {
    /// The parameters.
    pub params: NeuronParams,
    /// Feedback form.
    pub feedback: Feedback,
    /// Step, s.
    pub dt: f64,
    /// Membrane constants.
    pub mem: MembraneCoeffs,
    /// Synapse and AHP constants.
    pub syn: SynapseCoeffs,
    /// State.
    pub state: NeuronState,
    books: [Option<PulseBook>; 5],
}

impl Neuron {
    /// Build a neuron at rest.
    pub fn new(params: NeuronParams, feedback: Feedback, dt: f64) -> Self {
        let syn = SynapseCoeffs::new(&params, dt);
        let books = [0, 1, 2, 3, 4]
            .map(|k| PulseBook::new(std::iter::once(if k < 4 { syn.syn[k] } else { syn.ahp })));
        Neuron {
            mem: MembraneCoeffs::new(&params),
            syn,
            books,
            state: NeuronState::rest(params.i_0),
            params,
            feedback,
            dt,
        }
    }

    /// Advance one step with `events[type]` = summed pulse amplitude starting now (A). Returns whether
    /// the neuron spiked. Pulses of any width keep their exact charge.
    pub fn step(&mut self, events: [f64; 4]) -> bool {
        let mut drive = StepDrive {
            i_dc: self.params.i_dc,
            ..Default::default()
        };
        for (k, ev) in events.iter().enumerate() {
            (drive.syn_full[k], drive.syn_partial[k]) =
                PulseBook::take_opt(&mut self.books[k], 0, *ev);
        }
        let ahp_in = if self.state.spiked {
            self.params.i_w_ahp
        } else {
            0.0
        };
        (drive.ahp_full, drive.ahp_partial) = PulseBook::take_opt(&mut self.books[4], 0, ahp_in);
        for b in self.books.iter_mut().flatten() {
            b.advance();
        }
        physical_step(
            &self.mem,
            &self.syn,
            self.feedback,
            &mut self.state,
            &drive,
            self.dt,
        )
    }
}

/// The pulse drive of one step: for each DPI, the summed amplitude of pulses on during the whole step
/// (`full`) and of pulses on for its first `r` seconds only (`partial`), see [`crate::synapse`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StepDrive {
    /// Whole-step pulse amplitude per synapse type, A.
    pub syn_full: [f64; 4],
    /// Partial-step pulse amplitude per synapse type, A.
    pub syn_partial: [f64; 4],
    /// Whole-step AHP pulse amplitude, A.
    pub ahp_full: f64,
    /// Partial-step AHP pulse amplitude, A.
    pub ahp_partial: f64,
    /// DC injection this step, A.
    pub i_dc: f64,
    /// Noise current added to the membrane input this step (zero-mean, e.g. shot noise), A.
    pub i_noise: f64,
}

/// One step of the physical neuron: the single definition of its per-step order, used by the scalar
/// [`Neuron`] and by the engine's loops.
///
/// Order: (1) the four synapse DPIs and the AHP, exactly; (2) the membrane (Heun, log domain), held
/// at `I_reset` while refractory; (3) the refractory timer counts down; (4) threshold: spike, reset,
/// refractory.
#[inline(always)]
pub fn physical_step(
    mem: &MembraneCoeffs,
    syn: &SynapseCoeffs,
    form: Feedback,
    s: &mut NeuronState,
    d: &StepDrive,
    dt: f64,
) -> bool {
    let i0 = mem.i_0;
    for k in 0..4 {
        s.i_syn[k] = crate::synapse::dpi_update(
            s.i_syn[k],
            &syn.syn[k],
            d.syn_full[k],
            d.syn_partial[k],
            i0,
        );
    }
    s.i_ahp = crate::synapse::dpi_update(s.i_ahp, &syn.ahp, d.ahp_full, d.ahp_partial, i0);
    let active = s.timer <= 0.0;
    let i_exc = s.i_syn[0] - s.i_syn[2] + d.i_dc + d.i_noise;
    let i_nmda = s.i_syn[1];
    let i_leak = mem.i_tau + s.i_syn[3];
    s.i_mem = if active {
        mem.step(form, s.i_mem, i_exc, i_nmda, s.i_ahp, i_leak, dt)
    } else {
        // The reset transistor stays on for the refractory period: the membrane is held at reset.
        mem.i_reset
    };
    s.timer = (s.timer - dt).max(0.0);
    let spike = active && s.i_mem > mem.i_spkthr;
    if spike {
        s.i_mem = mem.i_reset;
        s.timer = mem.t_ref;
    }
    s.spiked = spike;
    spike
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_the_dynapsim_set() {
        let p = NeuronParams::default();
        for n in [
            "i_dc",
            "i_gain_ahp",
            "i_gain_mem",
            "i_gain_syn",
            "i_pulse_ahp",
            "i_pulse",
            "i_ref",
            "i_spkthr",
            "i_tau_ahp",
            "i_tau_mem",
            "i_tau_syn",
            "i_w_ahp",
            "c_ahp",
            "c_syn",
            "c_pulse_ahp",
            "c_pulse",
            "c_ref",
            "c_mem",
            "i_0",
            "kappa_n",
            "kappa_p",
            "u_t",
            "v_th",
            "i_scale",
        ] {
            assert!(p.get(n).is_ok(), "{n}");
        }
        let mut q = p;
        q.set("i_tau_syn", 1e-10).unwrap();
        assert_eq!(q.i_tau_nmda, 1e-10);
        assert_eq!(q.i_tau_shunt, 1e-10);
        assert!(matches!(
            q.set("i_bogus", 1.0),
            Err(ParamError::Unknown { .. })
        ));
    }

    #[test]
    fn defaults_match_dynap_se2_time_constants() {
        let p = NeuronParams::default();
        assert!((p.tau_mem() - 0.02).abs() < 1e-9);
        assert!((p.t_ref() - 1e-3).abs() < 1e-12);
        assert!((p.t_pulse() - 1e-5).abs() < 1e-15);
        assert!((p.synapse(SynapseType::Ampa).tau(p.kappa(), p.u_t) - 0.01).abs() < 1e-9);
        p.validate().unwrap();
    }
}
