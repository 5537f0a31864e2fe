//! The dynapsim kernel of a population: structure-of-arrays state in `f64` (the default) or `f32`
//! (DynapSim's own precision, opt-in with [`super::Population::use_f32_state`]), and the branch-free
//! loop over neurons that the compiler vectorizes. On x86-64 CPUs with AVX2 and FMA a copy of the
//! loop compiled for them runs (same operations in the same order: identical results).

use mixsig_circuits::dynapsim::{
    dynapsim_step, dynapsim_step_f32, DynapSimCoeffs, DynapSimCoeffsF32, DynapSimState,
    DynapSimStateF32,
};
use mixsig_circuits::NeuronParams;

use super::Var;

/// The instruction sets the population loop is compiled for (x86-64: the loop exists three
/// times, chosen at run time; elsewhere only the generic one). The same operations in the same
/// order on every path: identical results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Simd {
    /// Whatever the build targets (x86-64 baseline: SSE2).
    Generic,
    /// AVX2 and FMA (256-bit vectors).
    Avx2,
    /// AVX-512 F/VL/DQ (512-bit vectors: 8 `f64` or 16 `f32` lanes).
    Avx512,
}

impl Simd {
    /// The set the population loop uses: the widest this CPU supports, capped by the environment
    /// variable `MIXSIG_SIMD` (`generic`, `avx2`; for comparisons) when set. Decided once per
    /// process.
    #[inline]
    pub fn detect() -> Simd {
        static CHOSEN: std::sync::OnceLock<Simd> = std::sync::OnceLock::new();
        *CHOSEN.get_or_init(|| {
            let cap = match std::env::var("MIXSIG_SIMD").as_deref() {
                Ok("generic") => Simd::Generic,
                Ok("avx2") => Simd::Avx2,
                _ => Simd::Avx512,
            };
            Simd::cpu().min(cap)
        })
    }

    /// The widest set this CPU supports.
    pub fn cpu() -> Simd {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx2") && has!("fma") {
                if has!("avx512f") && has!("avx512vl") && has!("avx512dq") {
                    return Simd::Avx512;
                }
                return Simd::Avx2;
            }
        }
        Simd::Generic
    }

    /// Every set this CPU supports, narrowest first.
    pub fn available() -> Vec<Simd> {
        let best = Simd::cpu();
        [Simd::Generic, Simd::Avx2, Simd::Avx512]
            .into_iter()
            .filter(|&s| s <= best)
            .collect()
    }
}

macro_rules! dynapsim_pop {
    ($(#[$doc:meta])* $pop:ident, $f:ty, $coeffs:ty, $state:ident, $step:path, $avx512:ident, $avx2:ident, $generic:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $pop {
            /// Constants per neuron (read-only after construction: the loop uses a copy when all
            /// neurons share them).
            pub c: Vec<$coeffs>,
            /// Membrane current, A.
            pub imem: Vec<$f>,
            /// Membrane voltage readout, V.
            pub vmem: Vec<$f>,
            /// Lumped synaptic current, A.
            pub isyn: Vec<$f>,
            /// AHP current, A.
            pub iahp: Vec<$f>,
            /// Refractory timers, s.
            pub timer: Vec<$f>,
            /// 1.0 if spiked in the previous step.
            pub spiked: Vec<$f>,
            /// The constants when every neuron has the same (no mismatch): the loop then reads
            /// them once instead of per neuron.
            uniform: Option<$coeffs>,
            /// Scratch: the step's inputs converted to the state's precision (narrow state).
            input: Vec<$f>,
        }

        impl $pop {
            fn with_coeffs(c: Vec<$coeffs>, rest: $state) -> Self {
                let n = c.len();
                let uniform = c.first().copied().filter(|c0| c.iter().all(|x| x == c0));
                $pop {
                    c,
                    imem: vec![rest.imem; n],
                    vmem: vec![rest.vmem; n],
                    isyn: vec![rest.isyn; n],
                    iahp: vec![rest.iahp; n],
                    timer: vec![rest.timer; n],
                    spiked: vec![rest.spiked; n],
                    uniform,
                    input: Vec::new(),
                }
            }

            #[inline(always)]
            fn state(&self, i: usize) -> $state {
                $state {
                    imem: self.imem[i],
                    vmem: self.vmem[i],
                    isyn: self.isyn[i],
                    iahp: self.iahp[i],
                    timer: self.timer[i],
                    spiked: self.spiked[i],
                }
            }

            #[inline(always)]
            fn set_state(&mut self, i: usize, s: &$state) {
                self.imem[i] = s.imem;
                self.vmem[i] = s.vmem;
                self.isyn[i] = s.isyn;
                self.iahp[i] = s.iahp;
                self.timer[i] = s.timer;
                self.spiked[i] = s.spiked;
            }

            /// One step of neuron `i` with an extra input current (noise) added to its DC.
            pub(crate) fn step_one(&mut self, i: usize, i_ws: f64, i_dc: f64) {
                let mut s = self.state(i);
                $step(&self.c[i], &mut s, i_ws as $f, i_dc as $f);
                self.set_state(i, &s);
            }

            /// The summed input magnitude neuron `i`'s shot noise scales with, A.
            pub(crate) fn noise_total(&self, i: usize, i_dc: f64) -> f64 {
                (self.c[i].i_tau_mem + self.isyn[i] + self.iahp[i]) as f64 + i_dc.abs()
            }

            /// One step of every neuron, consuming (and zeroing) the input `ev` (summed input
            /// weight current per neuron, A) with DC `i_dc` (A). Returns the number of neurons that
            /// spiked.
            pub(crate) fn step_all(&mut self, ev: &mut [f64], i_dc: &[f64]) -> usize {
                self.step_unchecked(Simd::detect(), ev, i_dc)
            }

            /// [`Self::step_all`] with the loop compiled for `simd` (lowered to what this CPU
            /// supports), for benchmarks and for tests comparing the instruction sets: every
            /// set gives the same result bit for bit.
            pub fn step_all_with(&mut self, simd: Simd, ev: &mut [f64], i_dc: &[f64]) -> usize {
                self.step_unchecked(simd.min(Simd::cpu()), ev, i_dc)
            }

            /// `simd` must be supported by this CPU.
            #[inline(always)]
            fn step_unchecked(&mut self, simd: Simd, ev: &mut [f64], i_dc: &[f64]) -> usize {
                match simd {
                    // SAFETY: the callers pass a set the CPU supports (`Simd::detect`, or
                    // lowered to `Simd::cpu`).
                    #[cfg(target_arch = "x86_64")]
                    Simd::Avx512 => unsafe { $avx512(self, ev, i_dc) },
                    #[cfg(target_arch = "x86_64")]
                    Simd::Avx2 => unsafe { $avx2(self, ev, i_dc) },
                    _ => $generic::<true>(self, ev, i_dc),
                }
            }

            /// Append the indices of the neurons that spiked in the last step.
            pub(crate) fn push_spikes(&self, out: &mut Vec<u32>) {
                for (i, &f) in self.spiked.iter().enumerate() {
                    if f != 0.0 {
                        out.push(i as u32);
                    }
                }
            }

            /// Read variable `var` of neuron `i`.
            pub(crate) fn read(&self, var: Var, i: usize) -> f64 {
                (match var {
                    Var::Imem => self.imem[i],
                    Var::Vmem => self.vmem[i],
                    Var::Iahp => self.iahp[i],
                    Var::Isyn(_) => self.isyn[i],
                    Var::Timer => self.timer[i],
                }) as f64
            }
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx2,fma")]
        unsafe fn $avx512(k: &mut $pop, ev: &mut [f64], i_dc: &[f64]) -> usize {
            // No conversion pass: measured faster here (the compiler then keeps f32 state in
            // 256-bit registers, of which AVX-512 has 32).
            $generic::<false>(k, ev, i_dc)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx2(k: &mut $pop, ev: &mut [f64], i_dc: &[f64]) -> usize {
            $generic::<true>(k, ev, i_dc)
        }

        #[inline(always)]
        fn $generic<const CONVERT_FIRST: bool>(
            k: &mut $pop,
            ev: &mut [f64],
            i_dc: &[f64],
        ) -> usize {
            let n = k.imem.len();
            let (ev, i_dc) = (&mut ev[..n], &i_dc[..n]);
            let (imem, vmem, isyn) = (&mut k.imem[..n], &mut k.vmem[..n], &mut k.isyn[..n]);
            let (iahp, timer, spiked) = (&mut k.iahp[..n], &mut k.timer[..n], &mut k.spiked[..n]);
            // Spikes counted in the loop (a vector reduction) so that the caller can skip the
            // scan of the flags on the many steps where nobody spiked.
            let mut count: u32 = 0;
            // The loop; the same body for shared constants (read once) and per-neuron ones.
            macro_rules! neuron_loop {
                ($ev:ident, $i_dc:ident, $c:expr) => {
                    for i in 0..n {
                        let mut s = $state {
                            imem: imem[i],
                            vmem: vmem[i],
                            isyn: isyn[i],
                            iahp: iahp[i],
                            timer: timer[i],
                            spiked: spiked[i],
                        };
                        count += u32::from($step($c(i), &mut s, $ev[i] as $f, $i_dc[i] as $f));
                        $ev[i] = 0.0;
                        (imem[i], vmem[i], isyn[i]) = (s.imem, s.vmem, s.isyn);
                        (iahp[i], timer[i], spiked[i]) = (s.iahp, s.timer, s.spiked);
                    }
                };
            }
            macro_rules! both {
                ($ev:ident, $i_dc:ident) => {
                    match k.uniform {
                        Some(c) => neuron_loop!($ev, $i_dc, |_| &c),
                        None => {
                            let cs = &k.c[..n];
                            neuron_loop!($ev, $i_dc, |i: usize| &cs[i])
                        }
                    }
                };
            }
            if CONVERT_FIRST && std::mem::size_of::<$f>() < std::mem::size_of::<f64>() {
                // Narrow state: the inputs are converted (and `ev` zeroed) in a pass of their
                // own, so that the neuron loop touches one width only and the compiler fills
                // whole vectors (AVX2: 8 f32 lanes instead of 4; 1.5x measured).
                k.input.resize(2 * n, 0.0);
                let (w, d) = k.input.split_at_mut(n);
                for i in 0..n {
                    w[i] = std::mem::take(&mut ev[i]) as $f;
                    d[i] = i_dc[i] as $f;
                }
                both!(w, d);
            } else {
                both!(ev, i_dc);
            }
            count as usize
        }
    };
}

dynapsim_pop!(
    /// State and constants of a dynapsim population (one lumped synapse), `f64`.
    DynapsimPop,
    f64,
    DynapSimCoeffs,
    DynapSimState,
    dynapsim_step,
    dynapsim_loop_avx512,
    dynapsim_loop_avx2,
    dynapsim_loop
);

dynapsim_pop!(
    /// State and constants of a dynapsim population in `f32` (DynapSim's own precision: eight SIMD
    /// lanes instead of four). Validated against the Rockpool traces like the `f64` state
    /// (tests/validation_dynapsim.rs).
    DynapsimPopF32,
    f32,
    DynapSimCoeffsF32,
    DynapSimStateF32,
    dynapsim_step_f32,
    dynapsim_loop_f32_avx512,
    dynapsim_loop_f32_avx2,
    dynapsim_loop_f32
);

impl DynapsimPop {
    /// A population at rest.
    pub fn new(params: &[NeuronParams], dt: f64) -> Self {
        let c: Vec<DynapSimCoeffs> = params.iter().map(|p| DynapSimCoeffs::new(p, dt)).collect();
        let mut p = Self::with_coeffs(c, DynapSimState::rest(0.0));
        let i_0: Vec<f64> = params.iter().map(|p| p.i_0).collect();
        (p.imem, p.isyn, p.iahp) = (i_0.clone(), i_0.clone(), i_0);
        p
    }
}

impl DynapsimPopF32 {
    /// The same population in `f32`: constants and current state rounded once.
    pub fn from_f64(k: &DynapsimPop) -> Self {
        let c: Vec<DynapSimCoeffsF32> = k.c.iter().map(DynapSimCoeffsF32::new).collect();
        let mut p = Self::with_coeffs(c, DynapSimStateF32::rest(0.0));
        let cast = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        p.imem = cast(&k.imem);
        p.vmem = cast(&k.vmem);
        p.isyn = cast(&k.isyn);
        p.iahp = cast(&k.iahp);
        p.timer = cast(&k.timer);
        p.spiked = cast(&k.spiked);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectorized population loop is the scalar step applied lane by lane: identical state,
    /// bit for bit, for a population whose size is no multiple of the SIMD width, with per-neuron
    /// constants (the non-uniform path) and with shared ones (the uniform path), on every
    /// instruction set this CPU supports (generic, AVX2+FMA, AVX-512); and the loop's spike count
    /// is the number of neurons that spiked.
    #[test]
    fn population_loop_equals_scalar_step() {
        let n = 37;
        let paths = Simd::available();
        eprintln!("instruction sets tested: {paths:?}");
        for simd in paths {
            for uniform in [true, false] {
                loop_equals_scalar(n, uniform, simd);
            }
        }
    }

    fn loop_equals_scalar(n: usize, uniform: bool, simd: Simd) {
        let params: Vec<NeuronParams> = (0..n)
            .map(|i| {
                let mut p = NeuronParams::default();
                if !uniform {
                    p.i_tau_mem *= 1.0 + 0.01 * i as f64;
                }
                p
            })
            .collect();
        let i_dc: Vec<f64> = (0..n).map(|i| 2e-10 * (1 + i % 7) as f64).collect();
        let mut pop = DynapsimPop::new(&params, 1e-5);
        assert_eq!(pop.uniform.is_some(), uniform);
        let mut pop32 = DynapsimPopF32::from_f64(&pop);
        let mut scalar: Vec<DynapSimState> =
            params.iter().map(|p| DynapSimState::rest(p.i_0)).collect();
        let mut scalar32: Vec<DynapSimStateF32> = params
            .iter()
            .map(|p| DynapSimStateF32::rest(p.i_0 as f32))
            .collect();
        let (mut spikes, mut spikes32) = (0, 0);
        for k in 0..20_000 {
            let input = |i: usize| {
                if (k + i).is_multiple_of(97) {
                    3e-9
                } else {
                    0.0
                }
            };
            let mut ev: Vec<f64> = (0..n).map(input).collect();
            let mut ev32 = ev.clone();
            let count = pop.step_all_with(simd, &mut ev, &i_dc);
            let count32 = pop32.step_all_with(simd, &mut ev32, &i_dc);
            assert!(ev.iter().chain(&ev32).all(|&x| x == 0.0), "inputs consumed");
            let (s0, s32) = (spikes, spikes32);
            for i in 0..n {
                spikes += usize::from(dynapsim_step(&pop.c[i], &mut scalar[i], input(i), i_dc[i]));
                spikes32 += usize::from(dynapsim_step_f32(
                    &pop32.c[i],
                    &mut scalar32[i],
                    input(i) as f32,
                    i_dc[i] as f32,
                ));
                assert_eq!(pop.state(i), scalar[i], "{simd:?} f64 neuron {i} step {k}");
                assert_eq!(
                    pop32.state(i),
                    scalar32[i],
                    "{simd:?} f32 neuron {i} step {k}"
                );
            }
            assert_eq!(
                (count, count32),
                (spikes - s0, spikes32 - s32),
                "{simd:?} step {k}"
            );
        }
        assert!(spikes > 100 && spikes32 > 100, "{spikes} {spikes32}");
    }
}
