//! Identity-keyed random streams (as Arbor does): a stream's seed is a hash of (run seed, what it is
//! for, which object, which index), so the numbers a neuron or source gets never depend on how many
//! other objects exist, in what order they were created, or how many threads run.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// SplitMix64 finaliser: a fast, well-mixed 64-bit hash step.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Stable 64-bit hash of a name (FNV-1a then mixed), for keying streams by population name.
pub fn hash_name(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    mix64(h)
}

/// Combine a sequence of key parts into one seed.
pub fn key(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x243F_6A88_85A3_08D3u64, |acc, &p| mix64(acc ^ mix64(p)))
}

/// A ChaCha8 stream for the given key parts.
pub fn stream(parts: &[u64]) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(key(parts))
}

/// Purposes of streams, so that two uses of the same object never share numbers.
pub mod purpose {
    /// Poisson spike source.
    pub const POISSON: u64 = 1;
    /// Random connectivity.
    pub const CONNECT: u64 = 2;
    /// Dynamic noise.
    pub const NOISE: u64 = 3;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_depend_on_every_key_part() {
        let a: u64 = stream(&[1, 2, 3]).gen();
        let b: u64 = stream(&[1, 2, 4]).gen();
        let c: u64 = stream(&[1, 2, 3]).gen();
        assert_ne!(a, b);
        assert_eq!(a, c);
        assert_ne!(hash_name("exc"), hash_name("inh"));
    }
}
