//! Bias generator: how a (coarse, fine) code becomes a current, per core and per bias, and back.
//!
//! Parametric model (DYNAP-SE2 and DYNAP-SE styles of chip-profiles.md):
//!
//! ```text
//! I(c, f) = scale_b * ( I_floor + I_fs[c]*g_c * sum_k bit_k(f) * 2^k * (1 + e_k) / (2^bits - 1) )
//! ```
//!
//! The fine DAC is binary weighted: bit `k` is `2^k` unit transistors in parallel, so its relative
//! error `e_k ~ N(0, branch_sigma^2/2^k)`; the coarse full-scale currents carry `g_c ~ 1 + N(0,
//! coarse_sigma^2)`. Both are drawn per (instance seed, core, bias name) and frozen. Nothing else is
//! modelled: the non-monotonic steps at the major carries (fine 31→32, 63→64, 127→128) follow from
//! the branch errors. DYNAP-SE (first generation) is the same formula with a zero floor.
//!
//! A measured table (CSV `bias,coarse,fine,current`) replaces the formula; an `exact` generator passes
//! any requested current through unchanged (the `ideal` profile).
//!
//! The inverse ([`BiasGenerator::inverse`]) searches every code exhaustively for the one closest in
//! log distance to the target, and reports the achieved current, the relative error and a warning when
//! the code sits on a non-monotonic step or the target is outside the generator's range.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rng::{self, domain};

/// A bias code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BiasCode {
    /// Coarse range index.
    pub coarse: u8,
    /// Fine value, `0..2^fine_bits`.
    pub fine: u16,
}

impl std::fmt::Display for BiasCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(coarse {}, fine {})", self.coarse, self.fine)
    }
}

/// Parametric generator description (validated, SI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParametricGen {
    /// `dynapse2` or `dynapse1` (informational).
    pub style: String,
    /// Full-scale current of each coarse range, A.
    pub coarse_currents: Vec<f64>,
    /// Bits of the fine DAC.
    pub fine_bits: u32,
    /// Current at fine = 0, A.
    pub floor: f64,
    /// Relative sigma of one unit branch of the fine DAC.
    pub branch_sigma: f64,
    /// Relative sigma of each coarse full-scale current.
    pub coarse_sigma: f64,
}

impl ParametricGen {
    /// Number of fine levels, `2^fine_bits`.
    pub fn fine_levels(&self) -> usize {
        1usize << self.fine_bits
    }
}

/// A measured transfer table: per bias name (or `*` for all), `[coarse][fine]` → current, A.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredTable {
    /// Where it was read from.
    pub path: String,
    /// Curves by bias name (`*` = every bias without its own curve).
    pub curves: BTreeMap<String, Vec<Vec<f64>>>,
}

impl MeasuredTable {
    /// Parse CSV text with header `bias,coarse,fine,current` (current in A or with a unit). Every
    /// curve must cover a full `coarse x fine` grid.
    pub fn parse(path: &str, text: &str) -> Result<Self, crate::ProfileError> {
        use mixsig_circuits::units::{parse_quantity, Dimension};
        let err = |line: usize, message: String| crate::ProfileError::Table {
            path: path.to_string(),
            line,
            message,
        };
        let mut points: BTreeMap<String, BTreeMap<(usize, usize), f64>> = BTreeMap::new();
        let mut header_seen = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split(',').map(str::trim).collect();
            if !header_seen {
                if cols != ["bias", "coarse", "fine", "current"] {
                    return Err(err(
                        i + 1,
                        "header must be `bias,coarse,fine,current`".into(),
                    ));
                }
                header_seen = true;
                continue;
            }
            if cols.len() != 4 {
                return Err(err(
                    i + 1,
                    format!("expected 4 columns, found {}", cols.len()),
                ));
            }
            let c: usize = cols[1]
                .parse()
                .map_err(|_| err(i + 1, format!("coarse {:?} is not an index", cols[1])))?;
            let f: usize = cols[2]
                .parse()
                .map_err(|_| err(i + 1, format!("fine {:?} is not an index", cols[2])))?;
            let cur = parse_quantity(cols[3], Dimension::Current)
                .map_err(|e| err(i + 1, e.to_string()))?;
            if cur.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                return Err(err(i + 1, format!("current {cur:e} A must be > 0")));
            }
            let name = if cols[0].is_empty() { "*" } else { cols[0] };
            points
                .entry(name.to_string())
                .or_default()
                .insert((c, f), cur);
        }
        if points.is_empty() {
            return Err(err(1, "no data rows".into()));
        }
        let mut curves = BTreeMap::new();
        for (name, pts) in points {
            let nc = pts.keys().map(|k| k.0).max().unwrap_or(0) + 1;
            let nf = pts.keys().map(|k| k.1).max().unwrap_or(0) + 1;
            let mut grid = vec![vec![0.0; nf]; nc];
            for (c, row) in grid.iter_mut().enumerate() {
                for (f, slot) in row.iter_mut().enumerate() {
                    *slot = *pts.get(&(c, f)).ok_or_else(|| {
                        err(0, format!("curve '{name}' misses coarse {c}, fine {f}"))
                    })?;
                }
            }
            curves.insert(name, grid);
        }
        Ok(MeasuredTable {
            path: path.to_string(),
            curves,
        })
    }
}

/// How codes become currents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GeneratorKind {
    /// Currents are set exactly (no codes, no quantization).
    Exact,
    /// Binary-weighted fine DAC over coarse ranges.
    Parametric(ParametricGen),
    /// Measured table.
    Table(MeasuredTable),
}

/// The bias generator of a profile: kind plus per-bias scale factors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasGenSpec {
    /// The transfer model.
    pub kind: GeneratorKind,
    /// Per-bias scale factors by DYNAP-SE2 name (absent = 1).
    pub scale: BTreeMap<String, f64>,
}

impl BiasGenSpec {
    /// Scale factor of bias `name` (1 if not listed).
    pub fn scale_of(&self, name: &str) -> f64 {
        self.scale.get(name).copied().unwrap_or(1.0)
    }

    /// The measured curve used for bias `name`: its own, else the `*` curve; with its scale.
    fn curve<'a>(&self, t: &'a MeasuredTable, name: &str) -> (&'a Vec<Vec<f64>>, f64) {
        match t.curves.get(name) {
            Some(g) => (g, 1.0),
            None => (
                t.curves
                    .get("*")
                    .or_else(|| t.curves.values().next())
                    .expect("a parsed table has at least one curve"),
                self.scale_of(name),
            ),
        }
    }

    /// (coarse ranges, fine levels) of bias `name`; (0, 0) for an exact generator.
    pub fn levels(&self, name: &str) -> (usize, usize) {
        match &self.kind {
            GeneratorKind::Exact => (0, 0),
            GeneratorKind::Parametric(p) => (p.coarse_currents.len(), p.fine_levels()),
            GeneratorKind::Table(t) => {
                let (g, _) = self.curve(t, name);
                (g.len(), g.first().map_or(0, Vec::len))
            }
        }
    }

    /// The generator of bias `name` on `core` of the instance with `seed`, branch and coarse
    /// mismatch frozen.
    pub fn realize(&self, seed: u64, core: u32, name: &str) -> BiasGenerator {
        let scale = self.scale_of(name);
        match &self.kind {
            GeneratorKind::Exact => BiasGenerator {
                fine_levels: 0,
                currents: Vec::new(),
            },
            GeneratorKind::Parametric(p) => {
                let bits = p.fine_bits as usize;
                let id = rng::name_id(name);
                let branch: Vec<f64> = (0..bits)
                    .map(|k| {
                        let s = p.branch_sigma / ((1u64 << k) as f64).sqrt();
                        if s > 0.0 {
                            let z = rng::standard_normal(
                                seed,
                                &[domain::BIASGEN, core as u64, id, k as u64],
                            );
                            (1.0 + s * z).max(0.0)
                        } else {
                            1.0
                        }
                    })
                    .collect();
                let full = ((1u64 << bits) - 1) as f64;
                let nf = p.fine_levels();
                let mut currents = Vec::with_capacity(p.coarse_currents.len() * nf);
                for (c, &fs) in p.coarse_currents.iter().enumerate() {
                    let g = if p.coarse_sigma > 0.0 {
                        let z = rng::standard_normal(
                            seed,
                            &[domain::BIASGEN, core as u64, id, 1000 + c as u64],
                        );
                        (1.0 + p.coarse_sigma * z).max(0.0)
                    } else {
                        1.0
                    };
                    for f in 0..nf {
                        let units: f64 = (0..bits)
                            .filter(|k| f >> k & 1 == 1)
                            .map(|k| (1u64 << k) as f64 * branch[k])
                            .sum();
                        currents.push(scale * (p.floor + fs * g * units / full));
                    }
                }
                BiasGenerator {
                    fine_levels: nf,
                    currents,
                }
            }
            GeneratorKind::Table(t) => {
                let (grid, s) = self.curve(t, name);
                BiasGenerator {
                    fine_levels: grid.first().map_or(0, Vec::len),
                    currents: grid
                        .iter()
                        .flat_map(|row| row.iter().map(move |i| i * s))
                        .collect(),
                }
            }
        }
    }
}

/// Result of the inverse (current → code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inverse {
    /// The chosen code (`None` for an exact generator).
    pub code: Option<BiasCode>,
    /// The current that code gives, A.
    pub current: f64,
    /// `current/target - 1`.
    pub rel_error: f64,
    /// Set when the code sits on a non-monotonic step or the target is out of range.
    pub warning: Option<String>,
}

/// One realized (frozen) generator: the current of every code of one bias on one core.
#[derive(Debug, Clone, PartialEq)]
pub struct BiasGenerator {
    fine_levels: usize,
    /// Row-major `[coarse][fine]`; empty for an exact generator.
    currents: Vec<f64>,
}

impl BiasGenerator {
    /// True if currents pass through without codes.
    pub fn is_exact(&self) -> bool {
        self.currents.is_empty()
    }

    /// Number of coarse ranges.
    pub fn coarse_levels(&self) -> usize {
        self.currents
            .len()
            .checked_div(self.fine_levels)
            .unwrap_or(0)
    }

    /// Number of fine levels.
    pub fn fine_levels(&self) -> usize {
        self.fine_levels
    }

    /// Every valid code, coarse-major.
    pub fn codes(&self) -> impl Iterator<Item = BiasCode> + '_ {
        (0..self.currents.len()).map(|i| BiasCode {
            coarse: (i / self.fine_levels) as u8,
            fine: (i % self.fine_levels) as u16,
        })
    }

    /// Current of `code`, A; `None` if the code is out of range or the generator is exact.
    pub fn current(&self, code: BiasCode) -> Option<f64> {
        let f = code.fine as usize;
        if f >= self.fine_levels || (code.coarse as usize) >= self.coarse_levels() {
            return None;
        }
        Some(self.currents[code.coarse as usize * self.fine_levels + f])
    }

    /// The transfer curve of one coarse range.
    pub fn fine_curve(&self, coarse: usize) -> &[f64] {
        let n = self.fine_levels;
        self.currents
            .get(coarse * n..(coarse + 1) * n)
            .unwrap_or(&[])
    }

    /// Smallest and largest current of any code with fine > 0 (for an exact generator, 0..inf).
    pub fn range(&self) -> (f64, f64) {
        if self.is_exact() {
            return (0.0, f64::INFINITY);
        }
        let mut lo = f64::INFINITY;
        let mut hi: f64 = 0.0;
        for code in self.codes().filter(|c| c.fine > 0) {
            let i = self.current(code).unwrap_or(0.0);
            lo = lo.min(i);
            hi = hi.max(i);
        }
        (lo, hi)
    }

    /// True if the step into `code` (from fine-1) or out of it (to fine+1) decreases the current.
    pub fn is_nonmonotonic_at(&self, code: BiasCode) -> bool {
        let Some(i) = self.current(code) else {
            return false;
        };
        let prev = code
            .fine
            .checked_sub(1)
            .and_then(|f| self.current(BiasCode { fine: f, ..code }));
        let next = self.current(BiasCode {
            fine: code.fine + 1,
            ..code
        });
        prev.is_some_and(|p| i < p) || next.is_some_and(|n| n < i)
    }

    /// The codes `(c, f)` with `I(c, f) < I(c, f-1)`: the downward steps of the transfer curves.
    pub fn downward_steps(&self) -> Vec<BiasCode> {
        self.codes()
            .filter(|c| c.fine > 0)
            .filter(|&c| {
                self.current(c).unwrap_or(0.0)
                    < self
                        .current(BiasCode {
                            fine: c.fine - 1,
                            ..c
                        })
                        .unwrap_or(0.0)
            })
            .collect()
    }

    /// The code whose current is closest to `target` in log distance (exhaustive search; ties go to
    /// the lowest coarse, then the lowest fine), with the achieved current and relative error.
    pub fn inverse(&self, target: f64) -> Inverse {
        if self.is_exact() {
            return Inverse {
                code: None,
                current: target,
                rel_error: 0.0,
                warning: None,
            };
        }
        if target == 0.0 {
            if let Some(i) = self.currents.iter().position(|&c| c == 0.0) {
                return Inverse {
                    code: Some(BiasCode {
                        coarse: (i / self.fine_levels) as u8,
                        fine: (i % self.fine_levels) as u16,
                    }),
                    current: 0.0,
                    rel_error: 0.0,
                    warning: None,
                };
            }
        }
        let t = if target.is_finite() && target > 0.0 {
            target
        } else {
            f64::MIN_POSITIVE
        };
        let mut best = 0usize;
        let mut best_d = f64::INFINITY;
        for (i, &cur) in self.currents.iter().enumerate() {
            let d = (cur / t).ln().abs();
            if d < best_d {
                best_d = d;
                best = i;
            }
        }
        let code = BiasCode {
            coarse: (best / self.fine_levels) as u8,
            fine: (best % self.fine_levels) as u16,
        };
        let current = self.currents[best];
        let rel_error = current / target - 1.0;
        let (lo, hi) = self.range();
        let mut warning = None;
        if !(target.is_finite() && target > 0.0) {
            warning = Some(format!("target {target:e} A is not a positive current"));
        } else if target < lo || target > hi {
            warning = Some(format!(
                "target {target:.3e} A outside the generator range {lo:.3e}..{hi:.3e} A"
            ));
        } else if self.is_nonmonotonic_at(code) {
            warning = Some(format!(
                "code {code} sits on a non-monotonic step of the fine DAC"
            ));
        }
        Inverse {
            code: Some(code),
            current,
            rel_error,
            warning,
        }
    }
}
