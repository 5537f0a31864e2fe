//! Per-neuron parameters of a population: `[population.per_neuron]` gives a parameter a value per
//! neuron, either as an array of `size` quantities or as a spread that follows the size,
//! `{ logspace = [lo, hi] }` (`lo * (hi/lo)^(i/(size-1))`) or `{ linspace = [lo, hi] }`. The other
//! parameters come from the population's shared `params`.

use std::collections::BTreeMap;

use mixsig_circuits::{NamedParams, NeuronParams};
use toml::Spanned;

use crate::located::{Constraint, FileError, Located};

/// Fraction of the way through `n` neurons (0.5 for a single neuron), as the preset spreads them.
pub fn spread_fraction(i: usize, n: usize) -> f64 {
    if n > 1 {
        i as f64 / (n - 1) as f64
    } else {
        0.5
    }
}

/// Read a `per_neuron` table over `shared` for a population of `size`; `None` when it is empty.
pub(super) fn parse(
    l: &Located,
    table: &BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    shared: &NeuronParams,
    size: usize,
    prefix: &str,
) -> Result<Option<Vec<NeuronParams>>, FileError> {
    if table.is_empty() {
        return Ok(None);
    }
    let mut out = vec![*shared; size];
    for (name, v) in table {
        let key = format!("{prefix}.{}", name.get_ref());
        let pos = name.span().start;
        let dim = NeuronParams::dimension(name.get_ref()).ok_or_else(|| {
            l.err(
                pos,
                &key,
                format!(
                    "unknown parameter; valid names: {}",
                    NeuronParams::valid_names()
                ),
            )
        })?;
        let q = |x: &toml::Value, k: &str| -> Result<f64, FileError> {
            let x = l.quantity(
                &Spanned::new(v.span(), x.clone()),
                k,
                dim,
                Constraint::Positive,
            )?;
            if name.get_ref().starts_with("kappa") && x >= 1.0 {
                return Err(l.err(pos, k, format!("slope factor {x} must be in (0, 1)")));
            }
            Ok(x)
        };
        let values: Vec<f64> = match v.get_ref() {
            toml::Value::Array(a) => {
                if a.len() != size {
                    return Err(l.err(
                        v.span().start,
                        &key,
                        format!(
                            "{} values for a population of {size} (one per neuron, or {{ logspace = [lo, hi] }})",
                            a.len()
                        ),
                    ));
                }
                a.iter()
                    .enumerate()
                    .map(|(i, x)| q(x, &format!("{key}[{i}]")))
                    .collect::<Result<_, _>>()?
            }
            toml::Value::Table(t) if t.len() == 1 => {
                let (kind, range) = t.iter().next().expect("one entry");
                let pair = match range {
                    toml::Value::Array(a) if a.len() == 2 => {
                        (q(&a[0], &format!("{key}.{kind}[0]"))?, q(&a[1], &format!("{key}.{kind}[1]"))?)
                    }
                    _ => {
                        return Err(l.err(
                            v.span().start,
                            &key,
                            format!("{kind} needs a pair [lo, hi]"),
                        ))
                    }
                };
                let (lo, hi) = pair;
                match kind.as_str() {
                    "logspace" => (0..size)
                        .map(|i| lo * (hi / lo).powf(spread_fraction(i, size)))
                        .collect(),
                    "linspace" => (0..size)
                        .map(|i| lo + (hi - lo) * spread_fraction(i, size))
                        .collect(),
                    other => {
                        return Err(l.err(
                            v.span().start,
                            &key,
                            format!("`{other}` is not a spread (logspace, linspace)"),
                        ))
                    }
                }
            }
            other => {
                return Err(l.err(
                    v.span().start,
                    &key,
                    format!(
                        "expected an array of {size} values or {{ logspace = [lo, hi] }} / {{ linspace = [lo, hi] }}, found {}",
                        other.type_str()
                    ),
                ))
            }
        };
        for (p, x) in out.iter_mut().zip(values) {
            p.set(name.get_ref(), x).expect("name checked above");
        }
    }
    Ok(Some(out))
}
