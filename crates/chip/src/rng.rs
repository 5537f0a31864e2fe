//! Identity-keyed random streams, for the whole of mixsig (the engine's Poisson sources and random
//! connectivity use them too). There is no global or thread-local RNG anywhere: every random
//! number is a pure function of (instance seed, domain, core, device index, parameter id), hashed with
//! SplitMix64 into the seed of a ChaCha8 stream (or, for per-step noise, turned directly into a normal
//! deviate by Box–Muller). A device's values therefore do not depend on network size, creation order or
//! thread count.
//!
//! Parameter ids are FNV-1a hashes of the parameter's name, so adding a field elsewhere does not
//! reshuffle existing devices.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Domain tags separating the uses of the same seed.
pub mod domain {
    /// Per-device (local) mismatch.
    pub const LOCAL: u64 = 0x4c4f_4341_4c00_0001;
    /// Per-core mismatch component.
    pub const CORE: u64 = 0x434f_5245_0000_0002;
    /// Die-level (global) mismatch component.
    pub const GLOBAL: u64 = 0x474c_4f42_0000_0003;
    /// Bias generator branches and coarse ranges.
    pub const BIASGEN: u64 = 0x4249_4153_0000_0004;
    /// Per-synapse weight mismatch.
    pub const WEIGHT: u64 = 0x5745_4947_0000_0005;
    /// Dynamic noise.
    pub const NOISE: u64 = 0x4e4f_4953_0000_0006;
    /// Poisson spike sources (engine).
    pub const POISSON: u64 = 0x504f_4953_0000_0007;
    /// Random connectivity (engine).
    pub const CONNECT: u64 = 0x434f_4e4e_0000_0008;
}

/// SplitMix64 finalizer: a bijective 64-bit mix.
#[inline]
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a hash of a name: the stable id of a parameter in random streams.
pub fn name_id(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Hash a seed and an identity tuple into one 64-bit key.
#[inline]
pub fn key(seed: u64, parts: &[u64]) -> u64 {
    key_extend(key_start(seed), 0, parts)
}

/// The key of a seed and no parts: where [`key`] starts.
#[inline]
pub fn key_start(seed: u64) -> u64 {
    splitmix64(seed ^ 0x6d69_7873_6967_0000)
}

/// Continue a key `h` of the first `first` parts of an identity with the following `parts`:
/// `key_extend(key(seed, &a), a.len(), &b) == key(seed, &[a, b].concat())`. A hot loop keys a
/// device's prefix once and extends it by the step only.
#[inline]
pub fn key_extend(mut h: u64, first: usize, parts: &[u64]) -> u64 {
    for (i, p) in parts.iter().enumerate() {
        h = splitmix64(
            h ^ splitmix64(
                p.wrapping_add((first + i) as u64)
                    .wrapping_mul(0x2545_f491_4f6c_dd1d),
            ),
        );
    }
    h
}

/// A ChaCha8 stream for one identity.
pub fn stream(seed: u64, parts: &[u64]) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(key(seed, parts))
}

/// One standard normal deviate for one identity (first draw of its stream).
pub fn standard_normal(seed: u64, parts: &[u64]) -> f64 {
    StandardNormal.sample(&mut stream(seed, parts))
}

/// A standard normal deviate computed directly from a key (Box–Muller on two SplitMix64 outputs);
/// cheap enough for per-step noise.
#[inline]
pub fn normal_from_key(k: u64) -> f64 {
    let a = splitmix64(k);
    let b = splitmix64(a ^ 0xdead_beef_cafe_f00d);
    // u1 in (0, 1], u2 in [0, 1)
    let u1 = ((a >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
    let u2 = (b >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_extended_from_its_prefix_is_the_whole_key() {
        let parts = [domain::NOISE, 3, 17, 0xfeed, 123_456];
        for seed in [0, 1, 42, u64::MAX] {
            let whole = key(seed, &parts);
            for split in 0..=parts.len() {
                let (a, b) = parts.split_at(split);
                assert_eq!(
                    key_extend(key(seed, a), split, b),
                    whole,
                    "seed {seed} split {split}"
                );
            }
            // The position counts: extending from the wrong offset gives another key.
            assert_ne!(key_extend(key(seed, &parts[..4]), 3, &parts[4..]), whole);
        }
    }

    #[test]
    fn keys_differ_by_position_and_value() {
        assert_ne!(key(1, &[0, 1]), key(1, &[1, 0]));
        assert_ne!(key(1, &[0]), key(2, &[0]));
        assert_eq!(key(7, &[3, 4]), key(7, &[3, 4]));
    }

    #[test]
    fn box_muller_moments() {
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|i| normal_from_key(key(9, &[i]))).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
        // 5 standard errors.
        assert!(m.abs() < 5.0 / (n as f64).sqrt(), "mean {m}");
        assert!((v - 1.0).abs() < 5.0 * (2.0 / n as f64).sqrt(), "var {v}");
    }
}
