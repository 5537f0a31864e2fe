//! Learning-circuit primitives (circuits.md §5, learning.md): exponential traces of spike trains (the
//! pre-synaptic trace and the post-synaptic calcium, each a DPI driven by spikes, linear between
//! events), the calcium window comparator that gates learning (stop-learning), and the weight
//! storage formats an update lands in: bounded analog, n-bit with stochastic rounding, and bistable
//! with drift toward its two stable states.

/// A linear trace of a spike train: decays as `exp(-dt/tau)` per step and jumps by `jump` per spike
/// (the output of a DPI driven by the spikes, in units of its jump).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TraceParams {
    /// Time constant, s.
    pub tau: f64,
    /// Increment per spike.
    pub jump: f64,
}

impl TraceParams {
    /// The per-step decay factor.
    pub fn decay(&self, dt: f64) -> f64 {
        (-dt / self.tau).exp()
    }
}

/// The stop-learning window on the post-synaptic calcium trace: updates pass only while
/// `theta_low < Ca < theta_high` (both signs alike). Optionally each sign has its own stop threshold
/// (Brader/Fusi-style direction-specific windows, a comparator per direction in the circuit):
/// potentiation passes only while `Ca < theta_up` (the post neuron does not yet fire at its target),
/// depression only while `Ca > theta_down` (it still fires). Without them (`None`) the window is the
/// symmetric one.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CalciumWindow {
    /// The calcium trace.
    pub trace: TraceParams,
    /// Lower threshold (same units as the trace).
    pub theta_low: f64,
    /// Upper threshold.
    pub theta_high: f64,
    /// Potentiation stops once `Ca >= theta_up` (`None`: only the symmetric window).
    #[serde(default)]
    pub theta_up: Option<f64>,
    /// Depression stops once `Ca <= theta_down` (`None`: only the symmetric window).
    #[serde(default)]
    pub theta_down: Option<f64>,
}

impl CalciumWindow {
    /// The symmetric window `theta_low < Ca < theta_high`, no direction-specific thresholds.
    pub fn symmetric(trace: TraceParams, theta_low: f64, theta_high: f64) -> CalciumWindow {
        CalciumWindow {
            trace,
            theta_low,
            theta_high,
            theta_up: None,
            theta_down: None,
        }
    }

    /// Whether the symmetric window is open at calcium level `ca`.
    #[inline]
    pub fn open(&self, ca: f64) -> bool {
        ca > self.theta_low && ca < self.theta_high
    }

    /// Whether an update of sign `sign` (> 0 potentiation, < 0 depression, 0 none) passes at
    /// calcium level `ca`: the symmetric window and the direction's own threshold.
    #[inline]
    pub fn passes(&self, ca: f64, sign: f64) -> bool {
        if !self.open(ca) {
            return false;
        }
        if sign > 0.0 {
            self.theta_up.is_none_or(|t| ca < t)
        } else if sign < 0.0 {
            self.theta_down.is_none_or(|t| ca > t)
        } else {
            true
        }
    }

    /// Why the thresholds are inconsistent, if they are: each must be finite, `theta_low <
    /// theta_high`, and a direction threshold must lie inside the window (outside it would never act
    /// or always shut its direction).
    pub fn check(&self) -> Result<(), String> {
        let (lo, hi) = (self.theta_low, self.theta_high);
        if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
            return Err(format!(
                "theta_high = {hi} must be > theta_low = {lo} (both finite)"
            ));
        }
        for (name, t) in [("theta_up", self.theta_up), ("theta_down", self.theta_down)] {
            if let Some(t) = t {
                if !(t.is_finite() && t > lo && t < hi) {
                    return Err(format!(
                        "{name} = {t} must lie inside the window ({lo}, {hi})"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// When the weight-update circuit acts (learning.md, "update").
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum UpdateMode {
    /// At each error spike: `dw = ±eta * x_pre` (a charge packet per event, as on DYNAP-style
    /// learning synapses).
    Event,
    /// Continuously: `dw/dt = eta * x_pre(t) * (e+(t) - e-(t))`, where `e±` are the error neurons'
    /// spike trains low-pass filtered with time constant `tau_err` and unit area per spike (a DPI
    /// integrating the error into a current that drives the weight capacitor). Each error spike
    /// moves the weight by the same total as in `Event` mode when `x_pre` is constant, spread over
    /// `tau_err`.
    Continuous {
        /// Time constant of the error traces, s.
        tau_err: f64,
    },
}

impl UpdateMode {
    /// Parse `event | continuous | continuous:TAU_S` (default `tau_err` 10 ms).
    pub fn parse(s: &str) -> Option<UpdateMode> {
        match s.split_once(':') {
            None if s == "event" => Some(UpdateMode::Event),
            None if s == "continuous" => Some(UpdateMode::Continuous { tau_err: 0.01 }),
            Some(("continuous", t)) => t
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|t| t.is_finite() && *t > 0.0)
                .map(|tau_err| UpdateMode::Continuous { tau_err }),
            _ => None,
        }
    }

    /// The name as [`UpdateMode::parse`] reads it.
    pub fn name(&self) -> String {
        match self {
            UpdateMode::Event => "event".into(),
            UpdateMode::Continuous { tau_err } => format!("continuous:{tau_err}"),
        }
    }
}

/// How a weight is stored, and so what an update does to it. Weights are currents in `[0, w_max]`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightStorage {
    /// A bounded analog value (capacitor voltage).
    Analog,
    /// `bits` bits: `2^bits` levels from 0 to `w_max`; a fractional update is rounded up with
    /// probability equal to its fraction of a level (stochastic rounding), so updates smaller than
    /// a level still act on average.
    NBit {
        /// Number of bits (1..=16).
        bits: u32,
    },
    /// Bistable (Brader/Fusi): analog updates, and a drift of `drift` (fraction of `w_max` per second)
    /// toward `w_max` above `theta*w_max` and toward 0 below it.
    Bistable {
        /// Drift speed, fraction of `w_max` per second.
        drift: f64,
        /// Threshold between the two states, fraction of `w_max`.
        theta: f64,
    },
}

impl WeightStorage {
    /// Apply update `dw` to `w` (both A) with bounds `[0, w_max]`. `u` is a uniform draw in [0, 1)
    /// used by stochastic rounding.
    #[inline]
    pub fn apply(&self, w: f64, dw: f64, w_max: f64, u: f64) -> f64 {
        let x = (w + dw).clamp(0.0, w_max);
        match *self {
            WeightStorage::Analog | WeightStorage::Bistable { .. } => x,
            WeightStorage::NBit { bits } => {
                let step = w_max / ((1u64 << bits) - 1) as f64;
                let q = x / step;
                let lo = q.floor();
                let level = if u < q - lo { lo + 1.0 } else { lo };
                (level * step).min(w_max)
            }
        }
    }

    /// The drift of a bistable weight over `dt` seconds (identity for other formats).
    #[inline]
    pub fn drift(&self, w: f64, w_max: f64, dt: f64) -> f64 {
        match *self {
            WeightStorage::Bistable { drift, theta } => {
                let d = drift * w_max * dt;
                if w >= theta * w_max {
                    (w + d).min(w_max)
                } else {
                    (w - d).max(0.0)
                }
            }
            _ => w,
        }
    }

    /// Whether `w` is a value this format can hold (on the grid for n-bit).
    pub fn holds(&self, w: f64, w_max: f64) -> bool {
        if !(0.0..=w_max * (1.0 + 1e-12)).contains(&w) {
            return false;
        }
        match *self {
            WeightStorage::NBit { bits } => {
                let q = w / (w_max / ((1u64 << bits) - 1) as f64);
                (q - q.round()).abs() < 1e-6
            }
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stochastic_rounding_is_unbiased_and_on_grid() {
        let s = WeightStorage::NBit { bits: 4 };
        let w_max = 15e-9; // 1 nA per level
        let mut sum = 0.0;
        let n = 10_000;
        for k in 0..n {
            let u = (k as f64 + 0.5) / n as f64;
            let w = s.apply(5e-9, 0.3e-9, w_max, u);
            assert!(s.holds(w, w_max), "{w}");
            sum += w;
        }
        // E[w] = 5.3 nA exactly for a uniform u.
        assert!(
            (sum / n as f64 - 5.3e-9).abs() < 1e-13,
            "{}",
            sum / n as f64
        );
        // Bounds.
        assert_eq!(s.apply(14.5e-9, 5e-9, w_max, 0.0), w_max);
        assert_eq!(s.apply(0.5e-9, -5e-9, w_max, 0.9), 0.0);
    }

    #[test]
    fn bistable_drifts_to_its_states() {
        let s = WeightStorage::Bistable {
            drift: 1.0,
            theta: 0.5,
        };
        let mut hi = 0.6;
        let mut lo = 0.4;
        for _ in 0..1000 {
            hi = s.drift(hi, 1.0, 1e-3);
            lo = s.drift(lo, 1.0, 1e-3);
        }
        assert_eq!((hi, lo), (1.0, 0.0));
        assert_eq!(WeightStorage::Analog.apply(0.9, 0.5, 1.0, 0.0), 1.0);
    }

    #[test]
    fn update_mode_parses() {
        assert_eq!(UpdateMode::parse("event"), Some(UpdateMode::Event));
        assert_eq!(
            UpdateMode::parse("continuous"),
            Some(UpdateMode::Continuous { tau_err: 0.01 })
        );
        assert_eq!(
            UpdateMode::parse("continuous:0.005"),
            Some(UpdateMode::Continuous { tau_err: 0.005 })
        );
        for bad in ["", "cont", "continuous:-1", "continuous:x", "event:1"] {
            assert_eq!(UpdateMode::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn window_and_trace() {
        let w = CalciumWindow::symmetric(
            TraceParams {
                tau: 0.05,
                jump: 1.0,
            },
            0.5,
            5.0,
        );
        assert!(!w.open(0.2) && w.open(1.0) && !w.open(6.0));
        // The symmetric window gates both signs alike.
        for ca in [0.2, 1.0, 3.0, 6.0] {
            assert_eq!(w.passes(ca, 1.0), w.open(ca));
            assert_eq!(w.passes(ca, -1.0), w.open(ca));
        }
        assert!((w.trace.decay(0.05) - (-1f64).exp()).abs() < 1e-15);
        assert!(w.check().is_ok());
    }

    #[test]
    fn direction_windows_gate_only_their_sign() {
        let base = CalciumWindow::symmetric(
            TraceParams {
                tau: 0.05,
                jump: 1.0,
            },
            -1.0,
            10.0,
        );
        let up = CalciumWindow {
            theta_up: Some(2.0),
            ..base
        };
        // Above theta_up potentiation stops, depression still passes.
        assert!(up.passes(1.9, 1.0) && !up.passes(2.0, 1.0) && !up.passes(5.0, 1.0));
        assert!(up.passes(5.0, -1.0) && up.passes(0.0, -1.0));
        let down = CalciumWindow {
            theta_down: Some(0.5),
            ..base
        };
        // Below theta_down depression stops, potentiation still passes.
        assert!(!down.passes(0.5, -1.0) && !down.passes(0.0, -1.0) && down.passes(0.6, -1.0));
        assert!(down.passes(0.0, 1.0) && down.passes(9.0, 1.0));
        // The symmetric window still bounds both directions.
        let both = CalciumWindow {
            theta_up: Some(2.0),
            theta_down: Some(0.5),
            ..base
        };
        assert!(!both.passes(11.0, -1.0) && !both.passes(-2.0, 1.0));
        assert!(both.passes(1.0, 1.0) && both.passes(1.0, -1.0));
        assert!(both.check().is_ok());
        // Thresholds outside the window or not finite are refused.
        for bad in [
            CalciumWindow {
                theta_up: Some(10.0),
                ..base
            },
            CalciumWindow {
                theta_down: Some(f64::NAN),
                ..base
            },
            CalciumWindow {
                theta_low: 10.0,
                ..base
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }
}
