//! The `dynapsim` variant: Rockpool DynapSim 3.1's neuron step, reproduced operation for operation,
//! quirks included (circuits.md §3.1), so that anyone can check mixsig against a trusted peer.
//!
//! One lumped excitatory DPI per neuron (the AMPA fields of [`NeuronParams`] are its parameters), input
//! given per step as the summed weight current `I_ws` (weights times `I_scale`). Per step:
//!
//! ```text
//! isyn_inf = max(I_gain_syn/I_tau_syn * I_ws, I_0)
//! isyn     = exp(-dt/tau_syn)*isyn + (1 - exp(-t_pulse/tau_syn))*isyn_inf
//! iahp     = max(exp(-dt/tau_ahp)*iahp + (1 - exp(-t_pulse_ahp/tau_ahp))*I_gain_ahp/I_tau_ahp*I_w_ahp*spikes_prev, I_0)
//! I_leak   = I_tau_mem + iahp
//! I_in     = max((isyn - I_leak + I_dc) * not_refractory, I_0)
//! imem_inf = I_gain_mem/I_tau_mem * (I_in - I_leak)
//! I_fb     = I_0 * exp(kappa^2/(kappa+1) * vmem_prev/U_T)
//! tau      = (U_T/kappa)*C_mem/I_leak
//! imem    += dt * imem/(tau*(imem + I_gain_mem)) * (imem_inf + I_fb/I_leak*(imem + I_gain_mem) - imem*(1 + iahp/I_tau_mem))
//! imem     = max(imem, I_0);  vmem = (U_T/kappa)*ln(imem/I_0)
//! timer    = max(timer - dt, 0)
//! spike    = imem > I_spkthr;  on spike: imem = I_0, timer = t_ref
//! ```
//!
//! DynapSim computes in float32; this variant computes in f64, so a threshold crossing may land one
//! step apart where float32 rounding decides it.

use crate::neuron::NeuronParams;
use crate::transistor::pulse_width;

/// Per-neuron constants of the DynapSim step, derived once from [`NeuronParams`] and `dt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DynapSimCoeffs {
    /// `exp(-dt/tau_syn)`.
    pub syn_decay: f64,
    /// `1 - exp(-t_pulse/tau_syn)`.
    pub syn_charge: f64,
    /// `I_gain_syn/I_tau_syn`.
    pub syn_gain: f64,
    /// `exp(-dt/tau_ahp)`.
    pub ahp_decay: f64,
    /// AHP jump per spike: `(1 - exp(-t_pulse_ahp/tau_ahp))*I_gain_ahp/I_tau_ahp*I_w_ahp`.
    pub ahp_jump: f64,
    /// Membrane leak, A.
    pub i_tau_mem: f64,
    /// Membrane gain, A.
    pub i_gain_mem: f64,
    /// `I_gain_mem/I_tau_mem`.
    pub mem_gain: f64,
    /// DC current, A.
    pub i_dc: f64,
    /// `(U_T/kappa)*C_mem`.
    pub q: f64,
    /// `dt/q`.
    pub dt_over_q: f64,
    /// `1/I_tau_mem`.
    pub inv_i_tau_mem: f64,
    /// `1/I_0`.
    pub inv_i_0: f64,
    /// `kappa^2/(kappa+1)/U_T`, 1/V.
    pub fb_coef: f64,
    /// `U_T/kappa`, V.
    pub v_coef: f64,
    /// Floor, A.
    pub i_0: f64,
    /// Threshold, A.
    pub i_spkthr: f64,
    /// Refractory period, s.
    pub t_ref: f64,
    /// Step, s.
    pub dt: f64,
}

impl DynapSimCoeffs {
    /// Derive the constants; the AMPA fields of `p` are the lumped synapse.
    pub fn new(p: &NeuronParams, dt: f64) -> Self {
        let kappa = p.kappa();
        let tau_of = |c: f64, i: f64| (p.u_t / kappa) * c / i.max(p.i_0);
        let tau_syn = tau_of(p.c_ampa, p.i_tau_ampa);
        let tau_ahp = tau_of(p.c_ahp, p.i_tau_ahp);
        let t_pulse = pulse_width(p.v_th, p.c_pulse, p.i_pulse);
        let t_pulse_ahp = pulse_width(p.v_th, p.c_pulse_ahp, p.i_pulse_ahp);
        DynapSimCoeffs {
            syn_decay: (-dt / tau_syn).exp(),
            syn_charge: 1.0 - (-t_pulse / tau_syn).exp(),
            syn_gain: p.i_gain_ampa / p.i_tau_ampa,
            ahp_decay: (-dt / tau_ahp).exp(),
            ahp_jump: (1.0 - (-t_pulse_ahp / tau_ahp).exp()) * p.i_gain_ahp / p.i_tau_ahp
                * p.i_w_ahp,
            i_tau_mem: p.i_tau_mem,
            i_gain_mem: p.i_gain_mem,
            mem_gain: p.i_gain_mem / p.i_tau_mem,
            i_dc: p.i_dc,
            q: (p.u_t / kappa) * p.c_mem,
            dt_over_q: dt / ((p.u_t / kappa) * p.c_mem),
            inv_i_tau_mem: 1.0 / p.i_tau_mem,
            inv_i_0: 1.0 / p.i_0,
            fb_coef: kappa * kappa / (kappa + 1.0) / p.u_t,
            v_coef: p.u_t / kappa,
            i_0: p.i_0,
            i_spkthr: p.i_spkthr,
            t_ref: pulse_width(p.v_th, p.c_ref, p.i_ref),
            dt,
        }
    }
}

/// State of one DynapSim neuron.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DynapSimState {
    /// Membrane current, A.
    pub imem: f64,
    /// Membrane voltage readout (before reset), V.
    pub vmem: f64,
    /// Lumped synaptic current, A.
    pub isyn: f64,
    /// AHP current, A.
    pub iahp: f64,
    /// Refractory timer, s.
    pub timer: f64,
    /// 1.0 if the neuron spiked in the previous step.
    pub spiked: f64,
}

impl DynapSimState {
    /// Initial state: currents at `I_0`, `vmem = 0`, timer 0.
    pub fn rest(i_0: f64) -> Self {
        DynapSimState {
            imem: i_0,
            vmem: 0.0,
            isyn: i_0,
            iahp: i_0,
            timer: 0.0,
            spiked: 0.0,
        }
    }
}

/// The body of one DynapSim step, shared by the `f64` and `f32` versions (same operations in the
/// same order; only the precision and the `exp`/`ln` approximations differ).
/// `x.max(lo)` for a number `lo` (never NaN): `lo` when `x` is NaN or below it, as `max` gives,
/// written as one compare-and-select (`max`'s NaN handling costs two more vector instructions).
macro_rules! floor {
    ($x:expr, $lo:expr) => {{
        let (x, lo) = ($x, $lo);
        if x > lo {
            x
        } else {
            lo
        }
    }};
}

macro_rules! dynapsim_step_body {
    ($c:ident, $s:ident, $i_ws:ident, $i_dc:ident, $exp:ident, $ln:ident) => {{
        let (c, s, i_ws, i_dc) = ($c, $s, $i_ws, $i_dc);

    let isyn_inf = floor!(c.syn_gain * i_ws, c.i_0);
    s.isyn = c.syn_decay * s.isyn + c.syn_charge * isyn_inf;
    s.iahp = floor!(c.ahp_decay * s.iahp + c.ahp_jump * s.spiked, c.i_0);
    let i_leak = c.i_tau_mem + s.iahp;
    let not_ref = if s.timer > 0.0 { 0.0 } else { 1.0 };
    let i_in = floor!((s.isyn - i_leak + i_dc) * not_ref, c.i_0);
    let imem_inf = c.mem_gain * (i_in - i_leak);
    let i_fb = c.i_0 * $exp(c.fb_coef * s.vmem);
    let imem = s.imem;
    let g = imem + c.i_gain_mem;
    // dt/tau = dt*I_leak/q; the bracket is multiplied through by I_leak so that one division
    // remains: d = dt/q * imem/(imem + I_gain) * (I_leak*imem_inf + I_fb*(imem + I_gain)
    //              - I_leak*imem*(1 + iahp/I_tau_mem)).
    let d = c.dt_over_q
        * (imem / g)
        * (i_leak * imem_inf + i_fb * g - i_leak * imem * (1.0 + s.iahp * c.inv_i_tau_mem));
    let imem = floor!(imem + d, c.i_0);
    // A non-finite increment (only possible with absurd biases) is mapped to a threshold crossing
    // rather than propagated.
    let imem = if imem.is_finite() {
        imem
    } else {
        c.i_spkthr * 2.0
    };
    s.vmem = c.v_coef * $ln(imem * c.inv_i_0);
    let spike = imem > c.i_spkthr;
    s.timer = if spike {
        c.t_ref
    } else {
        floor!(s.timer - c.dt, 0.0)
    };
    s.imem = if spike { c.i_0 } else { imem };
    s.spiked = if spike { 1.0 } else { 0.0 };
    spike
    }};
}

/// One DynapSim step for one neuron with summed input weight current `i_ws` (A). `i_dc` is passed
/// separately so that schedules can change it. Returns whether the neuron spiked.
///
/// Branch-free (selects only) and built from [`exp_fast`]/[`ln_fast`], so that a loop over
/// neurons in structure-of-arrays form vectorizes; the engine's population step is exactly this
/// function applied lane by lane (same operations, same rounding).
#[inline(always)]
pub fn dynapsim_step(c: &DynapSimCoeffs, s: &mut DynapSimState, i_ws: f64, i_dc: f64) -> bool {
    dynapsim_step_body!(c, s, i_ws, i_dc, exp_fast, ln_fast)
}

// 0x3fe62e42fee00000, low 32 mantissa bits zero: n*LN2_HI is exact.
/// `c[0] + c[1] x + ... + c[N-1] x^(N-1)` by Estrin's scheme: pairs `c[2i] + x c[2i+1]`, then pairs
/// of those with `x^2`, and so on. The same value as Horner's rule up to rounding, but a dependency
/// chain of depth log2(N) instead of N, which keeps the SIMD units busy. Unrolled completely.
macro_rules! estrin_fn {
    ($(#[$doc:meta])* $name:ident, $t:ty) => {
        $(#[$doc])*
        #[inline(always)]
        fn $name<const N: usize>(x: $t, c: [$t; N]) -> $t {
            let (mut v, mut len, mut xp) = (c, N, x);
            while len > 1 {
                let half = len.div_ceil(2);
                for i in 0..half {
                    v[i] = if 2 * i + 1 < len {
                        v[2 * i] + xp * v[2 * i + 1]
                    } else {
                        v[2 * i]
                    };
                }
                len = half;
                xp = xp * xp;
            }
            v[0]
        }
    };
}
estrin_fn!(estrin, f64);
estrin_fn!(
    /// [`estrin`] in `f32`.
    estrin_f32,
    f32
);

const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// 1.5 * 2^52: adding it rounds a float below 2^51 in magnitude to an integer held in the low bits.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// `e^x`, branch-free and vectorizable, within a few ulp of the correctly rounded result for
/// `x` in `[-708, 709]` (arguments outside are clamped to that range; NaN stays NaN).
#[inline(always)]
pub fn exp_fast(x: f64) -> f64 {
    // x.clamp(-708.0, 709.0) (NaN stays NaN) as two selects.
    let x = if x < -708.0 { -708.0 } else { x };
    let x = if x > 709.0 { 709.0 } else { x };
    let t = x * std::f64::consts::LOG2_E + ROUND;
    let n = t - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO; // |r| <= ln2/2
                                           // Taylor series to r^13/13! (truncation < 2e-17 relative on |r| <= 0.347), Estrin's scheme.
    let mut c = [1.0; 14];
    for k in 1..14 {
        c[k] = c[k - 1] / k as f64;
    }
    let p = estrin(r, c);
    let n_int = t.to_bits().wrapping_sub(ROUND.to_bits());
    p * f64::from_bits(n_int.wrapping_add(1023) << 52)
}

/// Natural logarithm of a positive, normal, finite `x`, branch-free and vectorizable, within a few
/// ulp of the correctly rounded result (other inputs give meaningless values; callers guarantee
/// the domain).
#[inline(always)]
pub fn ln_fast(x: f64) -> f64 {
    let bits = x.to_bits();
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000); // [1, 2)
    let big = m > std::f64::consts::SQRT_2;
    let m = if big { m * 0.5 } else { m };
    let e_bits = (bits >> 52) + if big { 1 } else { 0 };
    let e = (f64::from_bits(0x4330_0000_0000_0000 | e_bits) - 4_503_599_627_370_496.0) - 1023.0;
    // ln(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: series to s^21.
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let mut c = [1.0; 11];
    for (k, x) in c.iter_mut().enumerate() {
        *x = 1.0 / (2 * k + 1) as f64;
    }
    let p = estrin(z, c);
    e * LN2_HI + (e * LN2_LO + 2.0 * s * p)
}

/// [`DynapSimCoeffs`] in `f32`, for the single-precision state (DynapSim itself computes in
/// float32).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DynapSimCoeffsF32 {
    /// `exp(-dt/tau_syn)`.
    pub syn_decay: f32,
    /// `1 - exp(-t_pulse/tau_syn)`.
    pub syn_charge: f32,
    /// `I_gain_syn/I_tau_syn`.
    pub syn_gain: f32,
    /// `exp(-dt/tau_ahp)`.
    pub ahp_decay: f32,
    /// AHP jump per spike, A.
    pub ahp_jump: f32,
    /// Membrane leak, A.
    pub i_tau_mem: f32,
    /// Membrane gain, A.
    pub i_gain_mem: f32,
    /// `I_gain_mem/I_tau_mem`.
    pub mem_gain: f32,
    /// `dt/q`.
    pub dt_over_q: f32,
    /// `1/I_tau_mem`.
    pub inv_i_tau_mem: f32,
    /// `kappa^2/(kappa+1)/U_T`, 1/V.
    pub fb_coef: f32,
    /// `U_T/kappa`, V.
    pub v_coef: f32,
    /// Floor, A.
    pub i_0: f32,
    /// `1/I_0`.
    pub inv_i_0: f32,
    /// Threshold, A.
    pub i_spkthr: f32,
    /// Refractory period, s.
    pub t_ref: f32,
    /// Step, s.
    pub dt: f32,
}

impl DynapSimCoeffsF32 {
    /// The `f64` constants rounded to `f32` (derived in `f64`, rounded once).
    pub fn new(c: &DynapSimCoeffs) -> Self {
        DynapSimCoeffsF32 {
            syn_decay: c.syn_decay as f32,
            syn_charge: c.syn_charge as f32,
            syn_gain: c.syn_gain as f32,
            ahp_decay: c.ahp_decay as f32,
            ahp_jump: c.ahp_jump as f32,
            i_tau_mem: c.i_tau_mem as f32,
            i_gain_mem: c.i_gain_mem as f32,
            mem_gain: c.mem_gain as f32,
            dt_over_q: c.dt_over_q as f32,
            inv_i_tau_mem: c.inv_i_tau_mem as f32,
            fb_coef: c.fb_coef as f32,
            v_coef: c.v_coef as f32,
            i_0: c.i_0 as f32,
            inv_i_0: c.inv_i_0 as f32,
            i_spkthr: c.i_spkthr as f32,
            t_ref: c.t_ref as f32,
            dt: c.dt as f32,
        }
    }
}

/// [`DynapSimState`] in `f32`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DynapSimStateF32 {
    /// Membrane current, A.
    pub imem: f32,
    /// Membrane voltage readout (before reset), V.
    pub vmem: f32,
    /// Lumped synaptic current, A.
    pub isyn: f32,
    /// AHP current, A.
    pub iahp: f32,
    /// Refractory timer, s.
    pub timer: f32,
    /// 1.0 if the neuron spiked in the previous step.
    pub spiked: f32,
}

impl DynapSimStateF32 {
    /// Initial state: currents at `I_0`, `vmem = 0`, timer 0.
    pub fn rest(i_0: f32) -> Self {
        DynapSimStateF32 {
            imem: i_0,
            vmem: 0.0,
            isyn: i_0,
            iahp: i_0,
            timer: 0.0,
            spiked: 0.0,
        }
    }
}

/// [`dynapsim_step`] in single precision: the same operations in the same order on `f32`
/// (DynapSim's own precision), with [`exp_fast_f32`]/[`ln_fast_f32`]. Twice the SIMD lanes and
/// shorter polynomials; validated against the Rockpool traces like the `f64` step.
#[inline(always)]
pub fn dynapsim_step_f32(
    c: &DynapSimCoeffsF32,
    s: &mut DynapSimStateF32,
    i_ws: f32,
    i_dc: f32,
) -> bool {
    dynapsim_step_body!(c, s, i_ws, i_dc, exp_fast_f32, ln_fast_f32)
}

/// `e^x` in `f32`, branch-free and vectorizable, within a few ulp for `x` in `[-87, 88]`
/// (clamped outside; NaN stays NaN).
#[inline(always)]
pub fn exp_fast_f32(x: f32) -> f32 {
    const ROUND32: f32 = 12_582_912.0; // 1.5 * 2^23
                                       // 0x3f318000, low 12 mantissa bits zero: n*LN2_HI32 is exact for |n| < 2^11.
    const LN2_HI32: f32 = f32::from_bits(0x3f31_8000);
    const LN2_LO32: f32 = -2.121_944_4e-4;
    let x = if x < -87.0 { -87.0 } else { x };
    let x = if x > 88.0 { 88.0 } else { x };
    let t = x * std::f32::consts::LOG2_E + ROUND32;
    let n = t - ROUND32;
    let r = (x - n * LN2_HI32) - n * LN2_LO32;
    // Taylor series to r^7/7! (truncation < 6e-9 relative on |r| <= 0.347), Estrin's scheme.
    let p = estrin_f32(
        r,
        [
            1.0,
            1.0,
            1.0 / 2.0,
            1.0 / 6.0,
            1.0 / 24.0,
            1.0 / 120.0,
            1.0 / 720.0,
            1.0 / 5_040.0,
        ],
    );
    let n_int = t.to_bits().wrapping_sub(ROUND32.to_bits());
    p * f32::from_bits(n_int.wrapping_add(127) << 23)
}

/// Natural logarithm of a positive, normal, finite `f32`, branch-free and vectorizable.
#[inline(always)]
pub fn ln_fast_f32(x: f32) -> f32 {
    const LN2_HI32: f32 = f32::from_bits(0x3f31_8000);
    const LN2_LO32: f32 = -2.121_944_4e-4;
    let bits = x.to_bits();
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000); // [1, 2)
    let big = m > std::f32::consts::SQRT_2;
    let m = if big { m * 0.5 } else { m };
    let e_bits = (bits >> 23) + if big { 1 } else { 0 };
    let e = (f32::from_bits(0x4b00_0000 | e_bits) - 8_388_608.0) - 127.0;
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    // 2 atanh(s), |s| <= 0.1716: series to s^11.
    let p = estrin_f32(
        z,
        [1.0, 1.0 / 3.0, 1.0 / 5.0, 1.0 / 7.0, 1.0 / 9.0, 1.0 / 11.0],
    );
    e * LN2_HI32 + (e * LN2_LO32 + 2.0 * s * p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_event_jump_matches_reference_metadata() {
        // params_default.json: syn_jump_per_unit_weight_A = 9.995002425845107e-10 (float32 there).
        let p = NeuronParams::default();
        let c = DynapSimCoeffs::new(&p, 1e-5);
        let mut s = DynapSimState::rest(p.i_0);
        dynapsim_step(&c, &mut s, p.i_scale, p.i_0);
        let jump = s.isyn - c.syn_decay * p.i_0;
        assert!((jump - 9.995002425845107e-10).abs() / 1e-9 < 1e-5, "{jump}");
    }

    /// Relative error in units of the result's ulp (2^-52 relative).
    fn ulps(got: f64, want: f64) -> f64 {
        (got - want).abs() / (want.abs() * f64::EPSILON)
    }

    #[test]
    fn exp_fast_matches_libm_within_4_ulp() {
        let mut worst: f64 = 0.0;
        for i in 0..200_001 {
            let x = -700.0 + 1400.0 * i as f64 / 200_000.0;
            worst = worst.max(ulps(exp_fast(x), x.exp()));
        }
        for i in 0..20_001 {
            let x = -2.0 + 4.0 * i as f64 / 20_000.0;
            worst = worst.max(ulps(exp_fast(x), x.exp()));
        }
        assert!(worst < 4.0, "exp_fast: {worst} ulp");
        assert_eq!(exp_fast(0.0), 1.0);
        assert_eq!(exp_fast(1e6), exp_fast(709.0));
        assert!(exp_fast(f64::NAN).is_nan());
    }

    #[test]
    fn ln_fast_matches_libm_within_4_ulp() {
        let mut worst: f64 = 0.0;
        // Log-spaced over the normal range, and densely around 1 where ln is small.
        for i in 0..200_001 {
            let x = (-700.0 + 1400.0 * i as f64 / 200_000.0).exp();
            let want = x.ln();
            if want != 0.0 {
                worst = worst.max(ulps(ln_fast(x), want));
            }
        }
        for i in 1..20_001 {
            let x = 0.7 + 0.7 * i as f64 / 20_000.0;
            worst = worst.max(ulps(ln_fast(x), x.ln()));
        }
        assert!(worst < 4.0, "ln_fast: {worst} ulp");
        assert_eq!(ln_fast(1.0), 0.0);
    }

    #[test]
    fn f32_exp_and_ln_within_4_ulp() {
        let ulps32 =
            |got: f32, want: f64| (got as f64 - want).abs() / (want.abs() * f32::EPSILON as f64);
        let (mut we, mut wl): (f64, f64) = (0.0, 0.0);
        for i in 0..200_001 {
            let x = -80.0 + 160.0 * i as f32 / 200_000.0;
            we = we.max(ulps32(exp_fast_f32(x), (x as f64).exp()));
            let y = (x as f64).exp() as f32;
            let want = (y as f64).ln();
            if want.abs() > 1e-3 {
                wl = wl.max(ulps32(ln_fast_f32(y), want));
            }
        }
        for i in 1..20_001 {
            let x = 0.7 + 0.7 * i as f32 / 20_000.0;
            let want = (x as f64).ln();
            if want != 0.0 {
                wl = wl.max(ulps32(ln_fast_f32(x), want));
            }
        }
        assert!(we < 4.0 && wl < 4.0, "exp {we} ulp, ln {wl} ulp");
    }
}
