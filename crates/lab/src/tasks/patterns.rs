//! The built-in pattern families: templates per class, then per-presentation jitter and optional
//! spike moves, all identity-keyed by (seed, pattern, split, presentation index).

use mixsig_chip::rng::{key, name_id, normal_from_key};

use super::{Pattern, PatternConfig, Presentation, TaskError, TaskSet};

/// Domain tag of task generation in the identity-keyed random streams ("TASK").
const DOMAIN: u64 = 0x5441_534b_0000_0009;

/// Fraction of the duration over which `order` spreads its burst onsets.
const ORDER_SPAN: f64 = 0.7;
/// Fraction of the duration over which `sync` places its volley (class 0) and its independent
/// per-channel onsets (class 1): the last 30% leave the network time to answer a late volley inside
/// the presentation (a volley 10 ms before the end gives the outputs no time to fire, so its class
/// cannot be read from spike counts — not a timing difference any readout could use).
const SYNC_SPAN: f64 = 0.7;
/// `xor`: group A's onsets end before this fraction of the duration, group B's start after
/// [`XOR_B_START`] and end before [`XOR_B_END`], so the two groups never overlap in time and,
/// as for `order` and `sync`, the last 30% leave the network time to answer the second group
/// (with group B running to the very end, the outputs had ~10 ms to answer it).
const XOR_A_END: f64 = 0.3;
/// See [`XOR_A_END`].
const XOR_B_START: f64 = 0.4;
/// See [`XOR_A_END`].
const XOR_B_END: f64 = 0.7;

/// A counter-based random stream for one identity: draw `n` is `key(stream key, [n])`.
struct Draws {
    k: u64,
    n: u64,
}

impl Draws {
    fn new(seed: u64, parts: &[u64]) -> Self {
        let mut all = Vec::with_capacity(parts.len() + 1);
        all.push(DOMAIN);
        all.extend_from_slice(parts);
        Draws {
            k: key(seed, &all),
            n: 0,
        }
    }

    fn next(&mut self) -> u64 {
        self.n += 1;
        key(self.k, &[self.n])
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [a, b).
    fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.uniform()
    }

    /// Standard normal.
    fn normal(&mut self) -> f64 {
        normal_from_key(self.next())
    }

    /// Uniform integer in 0..n (n >= 1).
    fn below(&mut self, n: usize) -> usize {
        ((self.uniform() * n as f64) as usize).min(n - 1)
    }

    /// Poisson count with the given mean (Knuth below 30, rounded normal above).
    fn poisson(&mut self, mean: f64) -> usize {
        if mean < 30.0 {
            let limit = (-mean).exp();
            let mut k = 0;
            let mut p = self.uniform();
            while p > limit {
                k += 1;
                p *= self.uniform();
            }
            k
        } else {
            (mean + mean.sqrt() * self.normal()).round().max(0.0) as usize
        }
    }
}

/// Where the spikes of the pattern's templates may go, derived from the configuration.
struct Layout {
    duration: f64,
    /// Distance kept from both ends of the window (3 jitter std, at most 10% of the duration).
    margin: f64,
    /// Times of one burst relative to its onset.
    burst: Vec<f64>,
}

impl Layout {
    fn span(&self) -> f64 {
        self.burst.last().copied().unwrap_or(0.0)
    }

    fn burst_at(&self, t0: f64) -> Vec<f64> {
        self.burst.iter().map(|dt| t0 + dt).collect()
    }

    /// Onset of channel `i` of `n` spread evenly over [a, b], up or down.
    fn ramp(a: f64, b: f64, i: usize, n: usize, up: bool) -> f64 {
        let pos = if up { i } else { n - 1 - i };
        if n < 2 {
            a
        } else {
            a + (b - a) * pos as f64 / (n - 1) as f64
        }
    }
}

/// The frozen per-class templates of `frozen-poisson` (fixed by the seed alone).
fn frozen_templates(cfg: &PatternConfig, lay: &Layout, seed: u64) -> [Vec<Vec<f64>>; 2] {
    let pid = name_id(Pattern::FrozenPoisson.name());
    let counts: Vec<usize> = (0..cfg.n_channels)
        .map(|ch| {
            Draws::new(seed, &[pid, name_id("count"), ch as u64])
                .poisson(cfg.spikes_per_channel as f64)
        })
        .collect();
    let class = |c: u64| -> Vec<Vec<f64>> {
        counts
            .iter()
            .enumerate()
            .map(|(ch, &n)| {
                let mut d = Draws::new(seed, &[pid, name_id("frozen"), c, ch as u64]);
                let mut v: Vec<f64> = (0..n)
                    .map(|_| d.range(lay.margin, lay.duration - lay.margin))
                    .collect();
                v.sort_by(f64::total_cmp);
                v
            })
            .collect()
    };
    [class(0), class(1)]
}

/// `xor` combination `c` (0..4): (group A up, group B up); label = c % 2 (0 same, 1 opposite).
fn xor_dirs(c: usize) -> (bool, bool) {
    match c {
        0 => (true, true),
        1 => (true, false),
        2 => (false, false),
        _ => (false, true),
    }
}

/// The noiseless spike times of one presentation of `variant` (class, or xor combination).
fn template(
    pattern: Pattern,
    cfg: &PatternConfig,
    lay: &Layout,
    frozen: Option<&[Vec<Vec<f64>>; 2]>,
    variant: usize,
    d: &mut Draws,
) -> Vec<Vec<f64>> {
    let n = cfg.n_channels;
    let (m, dur, span) = (lay.margin, lay.duration, lay.span());
    match pattern {
        Pattern::Order => {
            let (a, b) = (m, ORDER_SPAN * dur - span);
            (0..n)
                .map(|ch| lay.burst_at(Layout::ramp(a, b, ch, n, variant == 0)))
                .collect()
        }
        Pattern::Sync => {
            let (a, b) = (m, SYNC_SPAN * dur - span);
            let common = d.range(a, b);
            (0..n)
                .map(|_| {
                    let t0 = if variant == 0 { common } else { d.range(a, b) };
                    lay.burst_at(t0)
                })
                .collect()
        }
        Pattern::FrozenPoisson => frozen.expect("frozen templates built")[variant].clone(),
        Pattern::Xor => {
            let h = n / 2;
            let (up_a, up_b) = xor_dirs(variant);
            let (a0, a1) = (m, XOR_A_END * dur - span);
            let (b0, b1) = (XOR_B_START * dur, XOR_B_END * dur - span);
            (0..n)
                .map(|ch| {
                    let t0 = if ch < h {
                        Layout::ramp(a0, a1, ch, h, up_a)
                    } else {
                        Layout::ramp(b0, b1, ch - h, n - h, up_b)
                    };
                    lay.burst_at(t0)
                })
                .collect()
        }
    }
}

/// Fold a time into [0, duration): reflect at both ends, then clamp.
fn fold(t: f64, duration: f64) -> f64 {
    let mut t = if t < 0.0 { -t } else { t };
    if t >= duration {
        t = 2.0 * duration - t;
    }
    t.clamp(0.0, duration.next_down())
}

/// Jitter every spike, move some (delete + add in the same channel), keep in range, sort.
fn perturb(mut chans: Vec<Vec<f64>>, cfg: &PatternConfig, d: &mut Draws) -> Vec<Vec<f64>> {
    for ch in &mut chans {
        for t in ch.iter_mut() {
            let moved = cfg.extra_delete_prob > 0.0 && d.uniform() < cfg.extra_delete_prob;
            *t = if moved {
                d.range(0.0, cfg.duration)
            } else {
                fold(*t + cfg.jitter * d.normal(), cfg.duration)
            };
        }
        ch.sort_by(f64::total_cmp);
    }
    chans
}

fn config_error(pattern: Pattern, message: impl Into<String>) -> TaskError {
    TaskError::Config {
        pattern: pattern.name().to_string(),
        message: message.into(),
    }
}

fn validate(
    pattern: Pattern,
    cfg: &PatternConfig,
    n_train: usize,
    n_test: usize,
) -> Result<Layout, TaskError> {
    let err = |m: String| Err(config_error(pattern, m));
    let min_channels = if pattern == Pattern::Xor { 4 } else { 2 };
    if cfg.n_channels < min_channels {
        return err(format!(
            "n_channels = {} must be >= {min_channels}",
            cfg.n_channels
        ));
    }
    if !(cfg.duration.is_finite() && cfg.duration > 0.0) {
        return err(format!("duration = {} s must be > 0", cfg.duration));
    }
    if !(cfg.jitter.is_finite() && cfg.jitter >= 0.0) {
        return err(format!("jitter = {} s must be >= 0", cfg.jitter));
    }
    if !(cfg.burst_isi.is_finite() && cfg.burst_isi >= 0.0) {
        return err(format!("burst_isi = {} s must be >= 0", cfg.burst_isi));
    }
    if cfg.spikes_per_channel == 0 {
        return err("spikes_per_channel must be >= 1".into());
    }
    if !(0.0..=1.0).contains(&cfg.extra_delete_prob) {
        return err(format!(
            "extra_delete_prob = {} must be in [0, 1]",
            cfg.extra_delete_prob
        ));
    }
    if n_train < 2 || n_test < 2 {
        return err(format!(
            "need at least 2 train and 2 test presentations (one per class), got {n_train} and {n_test}"
        ));
    }
    let lay = Layout {
        duration: cfg.duration,
        margin: (3.0 * cfg.jitter).min(0.1 * cfg.duration),
        burst: (0..cfg.spikes_per_channel)
            .map(|j| j as f64 * cfg.burst_isi)
            .collect(),
    };
    let (m, dur, span) = (lay.margin, lay.duration, lay.span());
    // The onset windows each pattern needs, as (what, start, end).
    let windows = match pattern {
        Pattern::Order => vec![("the first 70% of the duration", m, ORDER_SPAN * dur - span)],
        Pattern::Sync => vec![("the first 70% of the duration", m, SYNC_SPAN * dur - span)],
        Pattern::Xor => vec![
            (
                "the first group's 30% of the duration",
                m,
                XOR_A_END * dur - span,
            ),
            (
                "the second group's 30% of the duration (40% to 70%)",
                XOR_B_START * dur,
                XOR_B_END * dur - span,
            ),
        ],
        Pattern::FrozenPoisson => vec![],
    };
    if let Some((what, _, _)) = windows.iter().find(|(_, a, b)| b <= a) {
        return err(format!(
            "a burst of {} spikes {} s apart does not fit in {what} ({dur} s, keeping {m} s from the edges); \
             lower spikes_per_channel or burst_isi, or raise duration",
            cfg.spikes_per_channel, cfg.burst_isi
        ));
    }
    Ok(lay)
}

/// Balanced variants (class, or xor combination) for one split, in a keyed random order.
fn variants(n: usize, n_variants: usize, seed: u64, pid: u64, split: u64) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).map(|i| i % n_variants).collect();
    let mut d = Draws::new(seed, &[pid, split, name_id("labels")]);
    for i in (1..v.len()).rev() {
        let j = d.below(i + 1);
        v.swap(i, j);
    }
    v
}

/// Generate a two-class task of `pattern`: `n_train` and `n_test` presentations (classes balanced
/// within one, in a random order), every presentation with identical per-channel spike counts
/// whatever its class. All randomness is keyed by `seed`: the same seed gives the same task, and
/// each presentation's jitter is keyed by (seed, split, index), so train and test never coincide.
pub fn generate(
    pattern: Pattern,
    cfg: &PatternConfig,
    n_train: usize,
    n_test: usize,
    seed: u64,
) -> Result<TaskSet, TaskError> {
    let lay = validate(pattern, cfg, n_train, n_test)?;
    let pid = name_id(pattern.name());
    let frozen = (pattern == Pattern::FrozenPoisson).then(|| frozen_templates(cfg, &lay, seed));
    let n_variants = if pattern == Pattern::Xor { 4 } else { 2 };
    let split = |name: &str, n: usize| -> Vec<Presentation> {
        let sid = name_id(name);
        variants(n, n_variants, seed, pid, sid)
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let mut d = Draws::new(seed, &[pid, sid, i as u64]);
                let t = template(pattern, cfg, &lay, frozen.as_ref(), v, &mut d);
                Presentation {
                    channels: perturb(t, cfg, &mut d),
                    label: v % 2,
                }
            })
            .collect()
    };
    Ok(TaskSet {
        name: pattern.name().to_string(),
        n_channels: cfg.n_channels,
        n_classes: 2,
        class_names: pattern.class_names().map(String::from).to_vec(),
        duration: cfg.duration,
        train: split("train", n_train),
        test: split("test", n_test),
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_keeps_times_in_range() {
        let d = 0.2;
        for t in [-0.01, 0.0, 0.1, 0.2, 0.21, 0.5, -1.0] {
            let f = fold(t, d);
            assert!((0.0..d).contains(&f), "{t} -> {f}");
        }
        assert_eq!(fold(-0.01, d), 0.01);
        assert!((fold(0.21, d) - 0.19).abs() < 1e-12);
    }

    #[test]
    fn draws_are_uniform_enough() {
        let mut d = Draws::new(1, &[2]);
        let n = 20_000;
        let m = (0..n).map(|_| d.uniform()).sum::<f64>() / n as f64;
        assert!((m - 0.5).abs() < 0.01, "{m}");
        let p = (0..n).map(|_| d.poisson(3.0)).sum::<usize>() as f64 / n as f64;
        assert!((p - 3.0).abs() < 0.1, "{p}");
    }
}
