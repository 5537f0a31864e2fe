//! Axis ranges, tick positions and tick labels for the plot module.
//!
//! Every axis is drawn by plotters as a plain linear `f64` axis with explicit key points; a log
//! axis is the same thing in `log10` space. That keeps one chart type for all plots and puts tick
//! placement and labelling (SI prefixes, engineering notation) fully under our control.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// Units that take an SI prefix when they appear as `label (unit)` or as a panel unit.
const SI_UNITS: &[&str] = &[
    "A", "V", "s", "Hz", "F", "S", "W", "C", "J", "Ω", "Ohm", "ohm", "m",
];

/// One axis: its range in axis space (log10 of the data for a log axis), ticks and labelling.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    pub ticks: Vec<f64>,
    pub minor: Vec<f64>,
    /// Axis description, with the unit (and prefix) a linear axis uses for all its ticks.
    pub desc: String,
    /// The label without unit, from which `desc` is built.
    label: String,
    unit: String,
    /// Linear axes: ticks are printed as `v / scale` with `decimals` decimals.
    scale: f64,
    decimals: usize,
    /// No tick labels (the raster's neuron axis, labelled by group instead).
    blank: bool,
    /// Magnitudes beyond the SI prefixes: each tick in short scientific notation.
    per_tick: bool,
}

/// Linear `f64` coordinate with our own tick positions (bold = labelled ticks, light = minor
/// grid). Plotters' `WithKeyPoints<RangedCoordf64>` would do, but it has no value formatter and
/// so cannot draw a mesh; labels come from [`Axis::label`] through the mesh's label formatter.
#[derive(Clone)]
pub(crate) struct AxisCoord {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    minor: Vec<f64>,
}

impl Ranged for AxisCoord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let frac = (v - self.lo) / (self.hi - self.lo);
        let len = (limit.1 - limit.0) as f64;
        if !frac.is_finite() {
            return limit.0;
        }
        // Clamp far-out values so pixel arithmetic cannot overflow.
        let px = (len * frac.clamp(-10.0, 11.0)).round();
        limit.0 + px as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// Map a data value to axis space; `None` for values the axis cannot show.
pub(crate) fn to_axis(v: f64, log: bool) -> Option<f64> {
    if !v.is_finite() {
        None
    } else if log {
        (v > 0.0).then(|| v.log10())
    } else {
        Some(v)
    }
}

/// Min and max in axis space of the values the axis can show.
pub(crate) fn bounds(values: impl IntoIterator<Item = f64>, log: bool) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter_map(|v| to_axis(v, log))
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Merge two optional bounds.
pub(crate) fn union(a: Option<(f64, f64)>, b: Option<(f64, f64)>) -> Option<(f64, f64)> {
    match (a, b) {
        (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
        (x, None) | (None, x) => x,
    }
}

/// Split `"input current (A)"` into `("input current", "A")` when the bracket holds an SI unit
/// that can take a prefix; otherwise the whole label and no unit.
pub(crate) fn split_unit(label: &str) -> (&str, &str) {
    let t = label.trim_end();
    for (open, close) in [('(', ')'), ('[', ']')] {
        if let Some(inner) = t.strip_suffix(close) {
            if let Some(i) = inner.rfind(open) {
                let unit = &inner[i + open.len_utf8()..];
                if SI_UNITS.contains(&unit) {
                    return (inner[..i].trim_end(), unit);
                }
            }
        }
    }
    (label, "")
}

impl Axis {
    /// Build an axis for data bounds `b` (axis space), padded by `pad` of the span on each side.
    /// `unit` may be empty. With `zero_floor`, a linear axis whose data are all >= 0 starts at 0.
    pub fn new(
        label: &str,
        unit: &str,
        log: bool,
        b: Option<(f64, f64)>,
        pad: f64,
        zero_floor: bool,
    ) -> Axis {
        let (mut lo, mut hi) = b.unwrap_or((0.0, 1.0));
        if !(hi - lo).is_finite() {
            // Values so far apart that their span overflows: keep the axis drawable.
            lo = lo.max(-1e300);
            hi = hi.min(1e300);
            lo /= 2.0;
            hi /= 2.0;
        }
        if hi <= lo {
            let d = if log {
                0.5
            } else if lo == 0.0 {
                1.0
            } else {
                lo.abs() * 0.1
            };
            lo -= d;
            hi += d;
        }
        let span = hi - lo;
        let floor_at_zero = !log && zero_floor && lo >= 0.0;
        lo = if floor_at_zero { 0.0 } else { lo - pad * span };
        hi += pad * span;
        let mut axis = Axis {
            lo,
            hi,
            log,
            ticks: Vec::new(),
            minor: Vec::new(),
            desc: label.to_string(),
            label: label.to_string(),
            unit: unit.to_string(),
            scale: 1.0,
            decimals: 0,
            blank: false,
            per_tick: false,
        };
        if log {
            axis.log_ticks();
        } else {
            axis.linear_ticks(6.0);
        }
        axis
    }

    /// A linear axis over `[lo, hi]` with grid lines at `ticks` and no tick labels.
    pub fn blank(lo: f64, hi: f64, ticks: Vec<f64>) -> Axis {
        Axis {
            lo,
            hi,
            log: false,
            ticks,
            minor: Vec::new(),
            desc: String::new(),
            label: String::new(),
            unit: String::new(),
            scale: 1.0,
            decimals: 0,
            blank: true,
            per_tick: false,
        }
    }

    /// Force integer tick steps (counts).
    pub fn integer(mut self) -> Axis {
        if !self.log && self.ticks.len() >= 2 && self.ticks[1] - self.ticks[0] < 1.0 {
            self.ticks.retain(|t| t.fract() == 0.0);
            self.minor.clear();
            self.decimals = 0;
        }
        self
    }

    /// Use fewer ticks (small panels).
    pub fn sparse(mut self) -> Axis {
        if !self.log {
            self.linear_ticks(4.0);
        }
        self
    }

    fn linear_ticks(&mut self, target: f64) {
        let step = nice_step((self.hi - self.lo) / target);
        self.ticks = steps(self.lo, self.hi, step);
        let mant = step / 10f64.powf(step.log10().floor());
        let minor_step = if (mant - 2.0).abs() < 0.01 {
            step / 4.0
        } else {
            step / 5.0
        };
        self.minor = steps(self.lo, self.hi, minor_step);
        let maxabs = self.lo.abs().max(self.hi.abs());
        let plain = (1e-3..1e5).contains(&maxabs);
        let exp3 = if maxabs > 0.0 && maxabs.is_finite() {
            ((maxabs.log10() / 3.0).floor() * 3.0) as i32
        } else {
            0
        };
        let base = self.label.clone();
        self.desc = base.clone();
        self.scale = 1.0;
        self.per_tick = !(-15..=12).contains(&exp3);
        if self.per_tick {
            if !self.unit.is_empty() {
                self.desc = join_desc(&base, &self.unit);
            }
        } else if !self.unit.is_empty() && SI_UNITS.contains(&self.unit.as_str()) {
            self.scale = 10f64.powi(exp3);
            self.desc = join_desc(&base, &format!("{}{}", prefix(exp3), self.unit));
        } else if !self.unit.is_empty() {
            self.desc = join_desc(&base, &self.unit);
            if !plain {
                self.scale = 10f64.powi(exp3);
                self.desc = format!("{} ×1e{exp3}", self.desc);
            }
        } else if !plain {
            self.scale = 10f64.powi(exp3);
            self.desc = format!("{base} (×1e{exp3})").trim_start().to_string();
        }
        let scaled = step / self.scale;
        self.decimals = (-(scaled.log10() + 1e-9).floor()).clamp(0.0, 9.0) as usize;
    }

    fn log_ticks(&mut self) {
        let first = self.lo.ceil() as i64;
        let last = self.hi.floor() as i64;
        let decades = last - first + 1;
        self.desc = if self.unit.is_empty() || SI_UNITS.contains(&self.unit.as_str()) {
            self.label.clone()
        } else {
            join_desc(&self.label, &self.unit)
        };
        if decades >= 3 {
            let stride = ((decades as f64) / 8.0).ceil().max(1.0) as i64;
            self.ticks = (first..=last)
                .filter(|d| (d - first) % stride == 0)
                .map(|d| d as f64)
                .collect();
            self.minor = if stride == 1 {
                mantissa_points(self.lo, self.hi, &[2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
            } else {
                (first..=last).map(|d| d as f64).collect()
            };
        } else {
            self.ticks = mantissa_points(self.lo, self.hi, &[1.0, 2.0, 5.0]);
            if self.ticks.len() < 4 {
                self.ticks = mantissa_points(self.lo, self.hi, &[1.0, 2.0, 3.0, 5.0, 7.0]);
            }
            if self.ticks.len() < 3 {
                self.ticks = mantissa_points(
                    self.lo,
                    self.hi,
                    &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
                );
            }
            self.minor = mantissa_points(
                self.lo,
                self.hi,
                &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
            );
        }
    }

    /// The coordinate spec handed to plotters.
    pub fn range(&self) -> AxisCoord {
        AxisCoord {
            lo: self.lo,
            hi: self.hi,
            ticks: self.ticks.clone(),
            minor: self.minor.clone(),
        }
    }

    /// Tick label for an axis-space value.
    pub fn label(&self, v: f64) -> String {
        if self.blank {
            String::new()
        } else if self.log {
            let x = 10f64.powf(v);
            if SI_UNITS.contains(&self.unit.as_str()) {
                si(x, &self.unit)
            } else {
                compact(x)
            }
        } else if self.per_tick {
            compact(v)
        } else {
            let s = format!("{:.*}", self.decimals, v / self.scale);
            if is_zero(&s) {
                s.trim_start_matches('-').to_string()
            } else {
                s
            }
        }
    }

    /// Value in axis space for data value `v` (None if not showable on this axis).
    pub fn map(&self, v: f64) -> Option<f64> {
        to_axis(v, self.log)
    }
}

fn is_zero(s: &str) -> bool {
    s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
}

fn join_desc(base: &str, unit: &str) -> String {
    if base.is_empty() {
        format!("({unit})")
    } else {
        format!("{base} ({unit})")
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
pub(crate) fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let n = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    n * p
}

/// Multiples of `step` in `[lo, hi]` (at most 200 of them).
fn steps(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let eps = step * 1e-9;
    let start = (lo / step - 1e-9).ceil();
    (0..200)
        .map(|i| (start + i as f64) * step)
        .take_while(|v| *v <= hi + eps)
        .map(|v| if v.abs() < eps { 0.0 } else { v })
        .collect()
}

/// `log10(m * 10^d)` for each mantissa `m` and decade `d` that falls in `[lo, hi]`.
fn mantissa_points(lo: f64, hi: f64, mantissas: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    let (d0, d1) = (lo.floor() as i64, hi.ceil() as i64);
    for d in d0..=d1.min(d0 + 400) {
        for m in mantissas {
            let v = m.log10() + d as f64;
            if v >= lo - 1e-9 && v <= hi + 1e-9 {
                out.push(v);
            }
        }
    }
    out
}

fn prefix(exp3: i32) -> &'static str {
    match exp3 {
        -15 => "f",
        -12 => "p",
        -9 => "n",
        -6 => "µ",
        -3 => "m",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        _ => "",
    }
}

/// Round to 3 significant digits.
fn sig3(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let p = 10f64.powf(v.abs().log10().floor() - 2.0);
    (v / p).round() * p
}

/// `v` with an SI prefix and `unit`: `1e-10, "A"` gives `"100 pA"`.
pub(crate) fn si(v: f64, unit: &str) -> String {
    let v = sig3(v);
    if v == 0.0 || !v.is_finite() {
        return format!("{} {unit}", if v.is_finite() { 0.0 } else { v });
    }
    let exp3 = ((v.abs().log10() / 3.0).floor() * 3.0) as i32;
    if !(-15..=12).contains(&exp3) {
        return format!("{} {unit}", compact(v));
    }
    let m = v / 10f64.powi(exp3);
    format!("{} {}{unit}", trim(&format!("{m:.2}")), prefix(exp3))
}

/// Short form without a unit: plain for moderate magnitudes, else `1e-10`, `2.5e-10`.
pub(crate) fn compact(v: f64) -> String {
    let v = sig3(v);
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let d = (2.0 - a.log10().floor()).clamp(0.0, 6.0) as usize;
        trim(&format!("{v:.d$}"))
    } else {
        let e = a.log10().floor() as i32;
        let m = v / 10f64.powi(e);
        format!("{}e{e}", trim(&format!("{m:.2}")))
    }
}

fn trim(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_labels() {
        assert_eq!(si(1e-10, "A"), "100 pA");
        assert_eq!(si(2.5e-9, "A"), "2.5 nA");
        assert_eq!(si(-0.07, "V"), "-70 mV");
        assert_eq!(si(0.0, "A"), "0 A");
        assert_eq!(si(9.999e-10, "A"), "1 nA");
        assert_eq!(compact(1e-10), "1e-10");
        assert_eq!(compact(0.01), "0.01");
        assert_eq!(compact(250.0), "250");
        assert_eq!(si(1e300, "A"), "1e300 A");
        let huge = Axis::new("y", "", false, Some((-1e300, 1e300)), 0.0, false);
        assert!(huge.ticks.iter().all(|t| huge.label(*t).len() <= 8));
    }

    #[test]
    fn linear_axis_uses_common_prefix() {
        let a = Axis::new("time", "s", false, Some((0.0, 0.5)), 0.0, false);
        assert_eq!(a.desc, "time (ms)");
        assert_eq!(a.label(0.25), "250");
        assert_eq!(a.label(0.0), "0");
        let v = Axis::new("V", "V", false, Some((-0.07, -0.05)), 0.0, false);
        assert_eq!(v.desc, "V (mV)");
        assert!(
            v.ticks.iter().all(|t| v.label(*t).len() <= 4),
            "{:?}",
            v.ticks
        );
    }

    #[test]
    fn log_axis_decades() {
        let a = Axis::new("I", "A", true, Some((-12.0, -9.0)), 0.0, false);
        assert_eq!(a.ticks, vec![-12.0, -11.0, -10.0, -9.0]);
        assert_eq!(a.label(-10.0), "100 pA");
        let narrow = Axis::new("x", "", true, Some((0.1, 0.6)), 0.0, false);
        assert!(narrow.ticks.len() >= 2);
    }

    #[test]
    fn unit_split() {
        assert_eq!(split_unit("input current (A)"), ("input current", "A"));
        assert_eq!(split_unit("rate [Hz]"), ("rate", "Hz"));
        assert_eq!(split_unit("rate (spikes/s)"), ("rate (spikes/s)", ""));
    }
}
