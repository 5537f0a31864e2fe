//! Located errors for user files: [`FileError`] (file, line, key, constraint), the conversion of
//! spanned TOML values into SI quantities with constraints ([`Located`]), neuron-parameter tables by
//! name, and the command line's `NAME=VALUE` parameter assignments.

use std::collections::BTreeMap;

use mixsig_circuits::units::{parse_quantity, Dimension};
use mixsig_circuits::{NamedParams, NeuronParams};
use toml::Spanned;

/// An error in a user file, located by file, line and key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}: {key}{message}", if *line > 0 { format!(":{line}") } else { String::new() })]
pub struct FileError {
    /// File name as given.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// Key path (`population[1].params.c_mem`), with a trailing ": " when present.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl FileError {
    pub(crate) fn new(file: &str, line: usize, key: &str, message: impl Into<String>) -> Self {
        FileError {
            file: file.to_string(),
            line,
            key: if key.is_empty() {
                String::new()
            } else {
                format!("key `{key}`: ")
            },
            message: message.into(),
        }
    }
}

/// 1-based line of byte offset `pos` in `text`.
pub fn line_of(text: &str, pos: usize) -> usize {
    text[..pos.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// Convert a toml deserialization error into a [`FileError`].
pub fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> FileError {
    let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
    // The parser names Rust types; say what the file needs instead.
    let message = e
        .message()
        .trim()
        .replace("expected usize", "expected a whole number >= 0")
        .replace("expected u64", "expected a whole number >= 0")
        .replace("expected u32", "expected a whole number >= 0")
        .replace("expected i64", "expected a whole number");
    // A value's error (`size = -32`) names the key of its line.
    let key = e
        .span()
        .and_then(|s| text.get(..s.start))
        .and_then(|before| before.rsplit('\n').next())
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty() && !k.contains(['[', '#', '"']))
        .unwrap_or("");
    // `[core]` where the format wants a list of tables, `[[core]]`.
    let table = e
        .span()
        .and_then(|s| text.get(s.start..))
        .and_then(|rest| rest.lines().next())
        .map(str::trim)
        .filter(|l| l.starts_with('[') && !l.starts_with("[[") && l.ends_with(']'))
        .map(|l| l.trim_matches(['[', ']']).trim().to_string());
    match table {
        Some(name) if message.contains("expected a sequence") => FileError::new(
            file,
            line,
            &name,
            format!("{message}: `{name}` is a list of tables; write each one as [[{name}]]"),
        ),
        _ => FileError::new(file, line, key, message),
    }
}

pub(crate) type Q = Spanned<toml::Value>;

/// Constraint on a quantity's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    /// Any finite value.
    Any,
    /// Finite and >= 0.
    NonNegative,
    /// Finite and > 0.
    Positive,
}

/// Context for converting spanned values into SI numbers with located errors.
pub struct Located<'a> {
    /// File name for messages.
    pub file: &'a str,
    /// File text (for line numbers).
    pub text: &'a str,
}

impl Located<'_> {
    /// An error at byte offset `pos`.
    pub fn err(&self, pos: usize, key: &str, message: impl Into<String>) -> FileError {
        FileError::new(self.file, line_of(self.text, pos), key, message)
    }

    /// Read a quantity of dimension `dim` at `key`.
    pub fn quantity(
        &self,
        q: &Q,
        key: &str,
        dim: Dimension,
        c: Constraint,
    ) -> Result<f64, FileError> {
        let pos = q.span().start;
        let v = match q.get_ref() {
            toml::Value::Integer(i) => *i as f64,
            toml::Value::Float(f) => *f,
            toml::Value::String(s) => {
                parse_quantity(s, dim).map_err(|e| self.err(pos, key, e.to_string()))?
            }
            other => {
                return Err(self.err(
                    pos,
                    key,
                    format!(
                        "expected a {dim} as a number or a string with a unit, found {}",
                        other.type_str()
                    ),
                ))
            }
        };
        let ok = v.is_finite()
            && match c {
                Constraint::Any => true,
                Constraint::NonNegative => v >= 0.0,
                Constraint::Positive => v > 0.0,
            };
        if !ok {
            let what = match c {
                Constraint::Any => "must be finite",
                Constraint::NonNegative => "must be >= 0",
                Constraint::Positive => "must be > 0",
            };
            return Err(self.err(
                pos,
                key,
                match dim.symbol() {
                    "" => format!("{key} = {v}: {} {what}", dim.name()),
                    sym => format!("{key} = {v:e} {sym}: {} {what}", dim.name()),
                },
            ));
        }
        Ok(v)
    }

    /// Apply a table of `name = quantity` overrides to neuron parameters, validating each.
    pub fn apply_params(
        &self,
        params: &mut NeuronParams,
        table: &BTreeMap<Spanned<String>, Q>,
        prefix: &str,
    ) -> Result<(), FileError> {
        for (name, v) in table {
            let key = format!("{prefix}.{}", name.get_ref());
            let dim = NeuronParams::dimension(name.get_ref()).ok_or_else(|| {
                self.err(
                    name.span().start,
                    &key,
                    format!(
                        "unknown parameter; valid names: {}",
                        NeuronParams::valid_names()
                    ),
                )
            })?;
            let x = self.quantity(v, &key, dim, Constraint::Positive)?;
            if name.get_ref().starts_with("kappa") && x >= 1.0 {
                return Err(self.err(
                    v.span().start,
                    &key,
                    format!("slope factor {x} must be in (0, 1)"),
                ));
            }
            params.set(name.get_ref(), x).expect("name checked above");
        }
        Ok(())
    }
}

/// Parse a `NAME=VALUE` parameter assignment (command line `--set`), value with or without unit.
/// `NAME` is a parameter name or a DYNAP-SE2 bias name; the parameter name is returned.
pub fn parse_set(s: &str) -> Result<(String, f64), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected NAME=VALUE, e.g. i_tau_mem=5pA"))?;
    let given = name.trim();
    // A DYNAP-SE2 bias name stands for the parameter it sets (SOIF_LEAK_N -> i_tau_mem).
    let name = match mixsig_chip::names::bias_by_name(given).map(|b| b.target) {
        Some(mixsig_chip::names::BiasTarget::Param(p)) => p,
        Some(_) => {
            return Err(format!(
                "`{given}` is a weight base, not a neuron parameter; set it in a network file's [[chip.bias]]"
            ))
        }
        None => given,
    };
    let dim = NeuronParams::dimension(name).ok_or_else(|| {
        format!(
            "unknown parameter `{name}`; valid names: {} (or a DYNAP-SE2 bias name such as SOIF_LEAK_N)",
            NeuronParams::valid_names()
        )
    })?;
    let v = parse_quantity(value, dim).map_err(|e| format!("{name}: {e}"))?;
    if v.is_nan() || v <= 0.0 {
        return Err(format!("{name} = {value}: must be > 0"));
    }
    if name.starts_with("kappa") && v >= 1.0 {
        return Err(format!("{name} = {value}: slope factor must be in (0, 1)"));
    }
    Ok((name.to_string(), v))
}
