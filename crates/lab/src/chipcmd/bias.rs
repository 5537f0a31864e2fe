//! `mixsig chip bias`: resolving a bias name and core, the realized generator of one bias, its
//! code -> current table (text, `bias_table.csv`, plot) and current -> code lookups (text,
//! `bias_lookup.csv`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mixsig_chip::names::{self, BiasName, BiasTarget};
use mixsig_chip::{BiasCode, BiasGenerator, Inverse};
use mixsig_circuits::units::{parse_quantity, Dimension};

use super::{opt_num, q, ChipCmdError, ChipProfile};
use crate::output::write_atomic;
use crate::plot::{self, Curve};

/// Every valid bias name as `DYNAP_NAME (parameter)`.
pub fn valid_bias_names() -> String {
    names::BIASES
        .iter()
        .map(|b| format!("{} ({})", b.name, b.target.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolve a DYNAP-SE2 bias name or a parameter name (`i_tau_mem`, `w0`).
pub fn resolve_bias(name: &str) -> Result<&'static BiasName, ChipCmdError> {
    names::resolve_bias(name)
        .or_else(|| names::resolve_bias(&name.to_ascii_uppercase()))
        .ok_or_else(|| ChipCmdError::UnknownBias {
            name: name.into(),
            valid: valid_bias_names(),
        })
}

/// Check `core` against the profile.
pub fn check_core(p: &ChipProfile, core: u32) -> Result<(), ChipCmdError> {
    let cores = p.architecture.cores;
    if core >= cores {
        return Err(ChipCmdError::Core {
            core,
            profile: p.name.clone(),
            cores,
            last: cores.saturating_sub(1),
        });
    }
    Ok(())
}

/// Parse a target current (`5pA`, `2.5 nA`, `3e-9`): finite and > 0.
pub fn parse_current(text: &str) -> Result<f64, ChipCmdError> {
    let v = parse_quantity(text, Dimension::Current).map_err(|e| ChipCmdError::BadCurrent {
        text: text.into(),
        reason: e.to_string(),
    })?;
    if v > 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(ChipCmdError::BadCurrent {
            text: text.into(),
            reason: "a target current must be > 0".into(),
        })
    }
}

/// The realized generator of `bias` on `core` of instance `seed`.
pub fn generator(p: &ChipProfile, seed: u64, core: u32, bias: &BiasName) -> BiasGenerator {
    p.bias_generator.realize(seed, core, bias.name)
}

/// Fine values shown in the human table: 0, 1, the powers of two and the codes just below them
/// (where binary-weighted DACs step down), and the top code.
pub fn readable_fines(levels: usize) -> Vec<u16> {
    let mut v = vec![0usize];
    let mut k = 1usize;
    while k < levels {
        if k > 1 {
            v.push(k - 1);
        }
        v.push(k);
        k *= 2;
    }
    v.push(levels - 1);
    v.sort_unstable();
    v.dedup();
    v.into_iter().map(|f| f as u16).collect()
}

/// `bias_table.csv`: `coarse,fine,current_a` for every code.
pub fn bias_table_csv(g: &BiasGenerator) -> String {
    let mut s = String::from("coarse,fine,current_a\n");
    for c in g.codes() {
        let _ = writeln!(
            s,
            "{},{},{:e}",
            c.coarse,
            c.fine,
            g.current(c).unwrap_or(f64::NAN)
        );
    }
    s
}

/// The human code → current table: one column per coarse range, rows [`readable_fines`]; `v`
/// marks a current below the one of the previous fine value (a non-monotonic step).
pub fn bias_table_text(g: &BiasGenerator) -> String {
    let mut s = String::new();
    let nc = g.coarse_levels();
    let _ = write!(s, "{:>6}", "fine");
    for c in 0..nc {
        let _ = write!(s, " {:>12}", format!("coarse {c}"));
    }
    s.push('\n');
    for f in readable_fines(g.fine_levels()) {
        let _ = write!(s, "{f:>6}");
        for c in 0..nc {
            let code = BiasCode {
                coarse: c as u8,
                fine: f,
            };
            let i = g.current(code).unwrap_or(f64::NAN);
            let down = f > 0
                && g.current(BiasCode {
                    fine: f - 1,
                    ..code
                })
                .is_some_and(|p| i < p);
            let _ = write!(
                s,
                " {:>12}",
                format!(
                    "{}{}",
                    q(i, Dimension::Current),
                    if down { " v" } else { "  " }
                )
            );
        }
        s.truncate(s.trim_end().len());
        s.push('\n');
    }
    let steps = g.downward_steps();
    if steps.is_empty() {
        let _ = writeln!(s, "transfer curves are monotonic");
    } else {
        let _ = writeln!(
            s,
            "{} non-monotonic step(s) (v: I(c, f) < I(c, f-1)): {}",
            steps.len(),
            steps
                .iter()
                .map(|c| format!("c{} f{}", c.coarse, c.fine))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s
}

/// The plot of `mixsig chip bias`: log10 of the current against the fine value, one curve per
/// coarse range (the plot module's y axis is linear, so the log is taken here).
pub fn bias_plot(
    g: &BiasGenerator,
    title: &str,
    stem: &Path,
) -> Result<[PathBuf; 2], ChipCmdError> {
    let nc = g.coarse_levels();
    let x: Vec<f64> = (0..g.fine_levels()).map(|f| f as f64).collect();
    let ys: Vec<Vec<f64>> = (0..nc).map(|c| g.fine_curve(c).to_vec()).collect();
    let names: Vec<String> = (0..nc).map(|c| format!("coarse {c}")).collect();
    let series: Vec<Curve> = names
        .iter()
        .zip(&ys)
        .map(|(n, y)| Curve {
            name: n,
            x: &x,
            y,
            band: None,
        })
        .collect();
    Ok(plot::curves_axes(
        stem,
        title,
        "fine value",
        "current (A)",
        false,
        true,
        &series,
    )?)
}

/// One current → code lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// Target current, A.
    pub target: f64,
    /// The generator's answer.
    pub inverse: Inverse,
    /// Relative size of the larger step between the chosen code and its neighbouring fine values
    /// (same coarse range), `max over n in {f-1, f+1} of max(I(n)/I(f), I(f)/I(n)) - 1`; an
    /// in-range target is always within this of the achieved current. `None` if exact.
    pub local_step: Option<f64>,
}

/// Look `target` up on `g`.
pub fn lookup(g: &BiasGenerator, target: f64) -> Lookup {
    let inverse = g.inverse(target);
    let local_step = inverse.code.and_then(|code| {
        let i = g.current(code)?;
        let mut best: Option<f64> = None;
        let nbs = [
            code.fine
                .checked_sub(1)
                .and_then(|f| g.current(BiasCode { fine: f, ..code })),
            g.current(BiasCode {
                fine: code.fine + 1,
                ..code
            }),
        ];
        for n in nbs.into_iter().flatten() {
            if n > 0.0 && i > 0.0 {
                let r = (n / i).max(i / n) - 1.0;
                best = Some(best.map_or(r, |b: f64| b.max(r)));
            }
        }
        best
    });
    Lookup {
        target,
        inverse,
        local_step,
    }
}

/// The human lookup table.
pub fn lookup_text(rows: &[Lookup]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>12} {:<22} {:>12} {:>10} {:>11}  warning",
        "target", "code", "achieved", "rel error", "local step"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:>12} {:<22} {:>12} {:>9.3}% {:>11}  {}",
            q(r.target, Dimension::Current),
            r.inverse
                .code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "exact".into()),
            q(r.inverse.current, Dimension::Current),
            r.inverse.rel_error * 100.0,
            r.local_step
                .map(|x| format!("{:.3}%", x * 100.0))
                .unwrap_or_else(|| "-".into()),
            r.inverse.warning.as_deref().unwrap_or("")
        );
    }
    s
}

/// `bias_lookup.csv`: one row per target.
pub fn lookup_csv(rows: &[Lookup]) -> String {
    let mut s = String::from("target_a,coarse,fine,current_a,rel_error,local_step,warning\n");
    for r in rows {
        let (c, f) = r
            .inverse
            .code
            .map(|c| (c.coarse.to_string(), c.fine.to_string()))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{:e},{c},{f},{:e},{:e},{},\"{}\"",
            r.target,
            r.inverse.current,
            r.inverse.rel_error,
            opt_num(r.local_step),
            r.inverse.warning.as_deref().unwrap_or("").replace('"', "'")
        );
    }
    s
}

/// A one-line description of the bias and its generator.
pub fn bias_header(
    p: &ChipProfile,
    seed: u64,
    core: u32,
    b: &BiasName,
    g: &BiasGenerator,
) -> String {
    let what = match b.target {
        BiasTarget::Param(x) => x.to_string(),
        BiasTarget::WeightBase(k) => format!("weight base {k}"),
    };
    let gen = if g.is_exact() {
        "exact generator".to_string()
    } else {
        let (lo, hi) = g.range();
        format!(
            "{} coarse x {} fine levels, scale {}, range {} .. {}",
            g.coarse_levels(),
            g.fine_levels(),
            p.bias_generator.scale_of(b.name),
            q(lo, Dimension::Current),
            q(hi, Dimension::Current)
        )
    };
    format!(
        "profile {}, instance {seed}, core {core}: bias {} -> {what}; {gen}",
        p.name, b.name
    )
}

/// Write `bias_table.csv` and `bias_table.svg/.png` into `out`.
pub fn write_bias_table(
    g: &BiasGenerator,
    title: &str,
    out: &Path,
) -> Result<Vec<PathBuf>, ChipCmdError> {
    let csv = out.join("bias_table.csv");
    write_atomic(&csv, bias_table_csv(g).as_bytes())?;
    let mut files = vec![csv];
    files.extend(bias_plot(g, title, &out.join("bias_table"))?);
    Ok(files)
}

/// Write `bias_lookup.csv` into `out`.
pub fn write_lookup(rows: &[Lookup], out: &Path) -> Result<Vec<PathBuf>, ChipCmdError> {
    let csv = out.join("bias_lookup.csv");
    write_atomic(&csv, lookup_csv(rows).as_bytes())?;
    Ok(vec![csv])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_fines_of_8_bits() {
        assert_eq!(
            readable_fines(256),
            vec![0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255]
        );
    }

    #[test]
    fn lookup_error_within_local_step() {
        let p = ChipProfile::default_profile();
        let b = resolve_bias("SOIF_LEAK_N").unwrap();
        let g = generator(&p, 0, 0, b);
        for t in [3e-12, 5e-12, 1e-10, 7.7e-9, 1e-7] {
            let l = lookup(&g, t);
            assert!(
                l.inverse.rel_error.abs() <= l.local_step.unwrap() + 1e-12,
                "{t}: {l:?}"
            );
        }
    }
}
