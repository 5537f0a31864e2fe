//! Spike sources: regular, Poisson (identity-keyed streams) and explicit spike lists. A source emits
//! at step `k` every spike whose time lies in `[k*dt, (k+1)*dt)`; the event reaches its targets in the
//! same step (plus the projection delay).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::spec::{SourceKind, SourceSpec};
use mixsig_chip::rng::{domain, name_id, stream};

/// Step index of time `t` (robust to representation error: 0.01 s at 10 us is step 1000).
#[inline]
pub fn step_of(t: f64, dt: f64) -> u64 {
    (t / dt + 1e-6).floor().max(0.0) as u64
}

#[derive(Debug, Clone)]
enum State {
    Regular {
        next_step: u64,
        k: u64,
        rate: f64,
        phase: f64,
    },
    Poisson {
        rate: f64,
        next: Vec<f64>,
        rngs: Vec<ChaCha8Rng>,
    },
    List {
        events: Vec<(u64, u32)>,
        pos: usize,
    },
}

/// A built source population.
#[derive(Debug, Clone)]
pub struct SourcePop {
    /// Name.
    pub name: String,
    /// Number of channels.
    pub n: usize,
    /// Channels that fired in the current step (a channel may appear twice if it fired twice).
    pub spikes: Vec<u32>,
    state: State,
}

impl SourcePop {
    /// Build a source; `seed` keys the Poisson streams together with the source name and channel.
    pub fn new(spec: &SourceSpec, dt: f64, seed: u64) -> SourcePop {
        let state = match &spec.kind {
            SourceKind::Regular { rate, phase } => State::Regular {
                next_step: step_of(*phase, dt),
                k: 0,
                rate: *rate,
                phase: *phase,
            },
            SourceKind::Poisson { rate } => {
                let mut rngs: Vec<ChaCha8Rng> = (0..spec.size)
                    .map(|i| stream(seed, &[domain::POISSON, name_id(&spec.name), i as u64]))
                    .collect();
                let next = rngs.iter_mut().map(|r| exp_sample(r, *rate)).collect();
                State::Poisson {
                    rate: *rate,
                    next,
                    rngs,
                }
            }
            SourceKind::List { times } => {
                let mut events: Vec<(u64, u32)> = times
                    .iter()
                    .enumerate()
                    .flat_map(|(i, ts)| ts.iter().map(move |&t| (step_of(t, dt), i as u32)))
                    .collect();
                events.sort_unstable();
                State::List { events, pos: 0 }
            }
        };
        SourcePop {
            name: spec.name.clone(),
            n: spec.size,
            spikes: Vec::new(),
            state,
        }
    }

    /// Replace the pending spikes of a `list` source by `channels` (times relative to `t0`, the start
    /// of step `k0`): how a training protocol presents one pattern after another. Spikes already
    /// emitted are unaffected. Returns `false` (and does nothing) for other source kinds or when a
    /// channel index exceeds the source size.
    pub fn load(&mut self, channels: &[Vec<f64>], k0: u64, dt: f64) -> bool {
        if channels.len() > self.n {
            return false;
        }
        match &mut self.state {
            State::List { events, pos } => {
                let mut ev: Vec<(u64, u32)> = channels
                    .iter()
                    .enumerate()
                    .flat_map(|(i, ts)| {
                        ts.iter()
                            .filter(|t| t.is_finite() && **t >= 0.0)
                            .map(move |&t| (k0 + step_of(t, dt), i as u32))
                    })
                    .collect();
                ev.sort_unstable();
                *events = ev;
                *pos = 0;
                true
            }
            _ => false,
        }
    }

    /// Emit the spikes of step `k` into `spikes`.
    pub fn emit(&mut self, k: u64, dt: f64) {
        self.spikes.clear();
        match &mut self.state {
            State::Regular {
                next_step,
                k: count,
                rate,
                phase,
            } => {
                while *next_step == k {
                    self.spikes.extend(0..self.n as u32);
                    *count += 1;
                    *next_step = step_of(*phase + *count as f64 / *rate, dt);
                }
            }
            State::Poisson { rate, next, rngs } => {
                let t_end = (k + 1) as f64 * dt;
                for i in 0..self.n {
                    while next[i] < t_end {
                        self.spikes.push(i as u32);
                        next[i] += exp_sample(&mut rngs[i], *rate);
                    }
                }
            }
            State::List { events, pos } => {
                while *pos < events.len() && events[*pos].0 < k {
                    *pos += 1;
                }
                while *pos < events.len() && events[*pos].0 <= k {
                    if events[*pos].0 == k {
                        self.spikes.push(events[*pos].1);
                    }
                    *pos += 1;
                }
            }
        }
    }
}

fn exp_sample(r: &mut ChaCha8Rng, rate: f64) -> f64 {
    if rate <= 0.0 {
        return f64::INFINITY;
    }
    let u: f64 = r.gen::<f64>();
    -(1.0 - u).ln() / rate
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(spec: &SourceSpec, steps: u64, dt: f64) -> Vec<u32> {
        let mut s = SourcePop::new(spec, dt, 7);
        let mut c = vec![0u32; spec.size];
        for k in 0..steps {
            s.emit(k, dt);
            for &i in &s.spikes {
                c[i as usize] += 1;
            }
        }
        c
    }

    #[test]
    fn regular_and_poisson_rates() {
        let dt = 1e-4;
        let reg = SourceSpec {
            name: "r".into(),
            size: 2,
            kind: SourceKind::Regular {
                rate: 100.0,
                phase: 0.0,
            },
        };
        assert_eq!(count(&reg, 10_000, dt), vec![100, 100]);
        let poi = SourceSpec {
            name: "p".into(),
            size: 50,
            kind: SourceKind::Poisson { rate: 20.0 },
        };
        let c = count(&poi, 100_000, dt); // 10 s
        let total: u32 = c.iter().sum();
        // 50 channels * 20 Hz * 10 s = 10000 expected, sd 100: allow 5 sd.
        assert!((total as f64 - 10_000.0).abs() < 500.0, "{total}");
    }

    #[test]
    fn list_source_hits_exact_steps() {
        let dt = 1e-5;
        let l = SourceSpec {
            name: "l".into(),
            size: 2,
            kind: SourceKind::List {
                times: vec![vec![0.01, 0.02], vec![0.00001]],
            },
        };
        let mut s = SourcePop::new(&l, dt, 0);
        let mut hits = vec![];
        for k in 0..3000 {
            s.emit(k, dt);
            for &i in &s.spikes {
                hits.push((k, i));
            }
        }
        assert_eq!(hits, vec![(1, 1), (1000, 0), (2000, 0)]);
    }
}
