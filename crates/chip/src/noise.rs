//! Dynamic noise: shot noise of subthreshold currents.
//!
//! A current `I` is a stream of independent carriers: its one-sided power spectral density is
//! `S_I = 2qI`, so over a bandwidth `B` its standard deviation is `sqrt(2qIB)` (1.8% of 1 pA over
//! 1 kHz). Averaged over a simulation step `dt` (the engine's sampling of the current), the number of
//! carriers is Poisson with mean `I*dt/q`, so the step-averaged current has standard deviation
//! `sqrt(q*I/dt)`, i.e. `2qI` over the Nyquist bandwidth `1/(2*dt)`. (chip-profiles.md writes
//! `sqrt(2q/(I*dt))` for the relative value, which takes `B = 1/dt` and overstates it by `sqrt 2`.)
//!
//! Draws are counter-based: the deviate of (core, device, parameter, step) is a pure function of the
//! noise seed and that identity, independent of thread count and evaluation order.

use mixsig_circuits::units::ELEMENTARY_CHARGE;

use crate::rng::{self, domain};

/// Seeded shot-noise source. Disabled sources return currents unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShotNoise {
    seed: u64,
    enabled: bool,
}

impl ShotNoise {
    /// A source with `seed`; `enabled = false` makes every call the identity.
    pub fn new(seed: u64, enabled: bool) -> Self {
        ShotNoise { seed, enabled }
    }

    /// Whether noise is applied.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Relative standard deviation of the step-averaged current: `sqrt(q/(I*dt))`.
    pub fn relative_std(i: f64, dt: f64) -> f64 {
        (ELEMENTARY_CHARGE / (i * dt)).sqrt()
    }

    /// Relative standard deviation over bandwidth `b`: `sqrt(2q*B/I)`.
    pub fn relative_std_bandwidth(i: f64, b: f64) -> f64 {
        (2.0 * ELEMENTARY_CHARGE * b / i).sqrt()
    }

    /// The noisy step-averaged value of current `i` (A) for device (core, index, param) at `step`,
    /// floored at zero. Gaussian approximation of the Poisson count (valid for `I*dt/q >> 1`, i.e.
    /// above ~1e-14 A at dt = 10 us).
    #[inline]
    pub fn apply(&self, i: f64, dt: f64, core: u32, index: u64, param: u64, step: u64) -> f64 {
        self.apply_keyed(i, dt, self.device_key(core, index, param), step)
    }

    /// The key of device (core, index, param) without the step: computed once per device, it makes
    /// [`Self::apply_keyed`] cheaper than [`Self::apply`] in a loop over steps (same numbers).
    pub fn device_key(&self, core: u32, index: u64, param: u64) -> u64 {
        rng::key(self.seed, &[domain::NOISE, core as u64, index, param])
    }

    /// [`Self::apply`] for the device whose [`Self::device_key`] is `device`.
    #[inline]
    pub fn apply_keyed(&self, i: f64, dt: f64, device: u64, step: u64) -> f64 {
        if !self.enabled || i <= 0.0 {
            return i;
        }
        let k = rng::key_extend(device, 4, &[step]);
        let z = rng::normal_from_key(k);
        (i + z * (ELEMENTARY_CHARGE * i / dt).sqrt()).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandwidth_numbers_of_chip_profiles_md() {
        // 1.8% at 1 pA, 0.57% at 10 pA, 0.18% at 100 pA over 1 kHz.
        for (i, want) in [(1e-12, 0.0179), (1e-11, 0.00566), (1e-10, 0.00179)] {
            let r = ShotNoise::relative_std_bandwidth(i, 1e3);
            assert!((r - want).abs() / want < 0.01, "{i}: {r}");
        }
    }

    #[test]
    fn sampled_variance_matches_qi_over_dt() {
        let n = ShotNoise::new(42, true);
        let (i, dt) = (10e-12, 1e-5);
        let m = 50_000u64;
        let xs: Vec<f64> = (0..m).map(|s| n.apply(i, dt, 0, 7, 3, s)).collect();
        let mean = xs.iter().sum::<f64>() / m as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1) as f64;
        let want = ELEMENTARY_CHARGE * i / dt;
        let se_var = want * (2.0 / (m - 1) as f64).sqrt();
        assert!(
            (var - want).abs() < 4.0 * se_var,
            "var {var:e} want {want:e}"
        );
        assert!((mean - i).abs() < 4.0 * (want / m as f64).sqrt());
        // The per-device key is the full identity's key: the deviate of a step is the one the
        // whole tuple hashes to (independent of apply_keyed).
        let z = rng::normal_from_key(rng::key(42, &[domain::NOISE, 0, 7, 3, 5]));
        let want = (i + z * (ELEMENTARY_CHARGE * i / dt).sqrt()).max(0.0);
        assert_eq!(n.apply(i, dt, 0, 7, 3, 5), want);
        assert_eq!(n.apply_keyed(i, dt, n.device_key(0, 7, 3), 5), want);
        // Off means identity; same identity means same value.
        assert_eq!(ShotNoise::new(42, false).apply(i, dt, 0, 7, 3, 5), i);
        assert_eq!(n.apply(i, dt, 0, 7, 3, 5), n.apply(i, dt, 0, 7, 3, 5));
    }
}
