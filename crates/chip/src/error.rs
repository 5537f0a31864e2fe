//! Typed errors of profile loading and validation, and the mapping of byte spans to line numbers and
//! dotted key paths, so that every message reads
//! `chip-profiles/bad.toml:12: key 'layout.membrane.c_mem' = -3 pF: capacitance must be > 0`.

use std::ops::Range;

/// Why a chip profile could not be read or validated.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// A value breaks a constraint (sign, range, unit, consistency).
    #[error("{origin}:{line}: key '{key}' = {value}: {constraint}")]
    Invalid {
        /// File name (or origin label) of the profile.
        origin: String,
        /// 1-based line number of the value.
        line: usize,
        /// Dotted key path (`layout.membrane.c_mem`).
        key: String,
        /// The value as written.
        value: String,
        /// The constraint it breaks.
        constraint: String,
    },
    /// The TOML is malformed, has an unknown key, misses a required key or has a wrong type.
    #[error("{origin}:{line}: key '{key}': {message}")]
    Structure {
        /// File name (or origin label).
        origin: String,
        /// 1-based line number (0 when unknown).
        line: usize,
        /// Dotted key path, as far as it can be located.
        key: String,
        /// The parser's message (`unknown field ...`, `missing field ...`).
        message: String,
    },
    /// The file could not be read.
    #[error("cannot read chip profile file {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A measured bias table (CSV) is malformed.
    #[error("{path}:{line}: {message}")]
    Table {
        /// The CSV path.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No built-in profile of that name.
    #[error("unknown built-in chip profile '{name}'; built-in profiles: {valid}")]
    UnknownBuiltin {
        /// The name asked for.
        name: String,
        /// The valid names.
        valid: String,
    },
}

/// 1-based line of byte offset `pos` in `text`.
pub fn line_of(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    text.as_bytes()[..pos]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The table header (`[a.b]`, without brackets) in force at byte offset `pos`, or "" at top level.
pub fn table_at(text: &str, pos: usize) -> String {
    let pos = pos.min(text.len());
    let mut header = String::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > pos {
            break;
        }
        let t = line.trim();
        if t.starts_with('[') {
            if let Some(end) = t.find(']') {
                header = t[1..end].trim_matches(['[', ']', ' ']).to_string();
            }
        }
        offset += line.len();
    }
    header
}

/// Key written at the start of the line containing byte `pos` (`name = ...`), if any.
fn key_on_line(text: &str, pos: usize) -> Option<String> {
    let pos = pos.min(text.len());
    let start = text[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = text[start..].lines().next().unwrap_or("");
    let (k, _) = line.split_once('=')?;
    let k = k.trim();
    (!k.is_empty() && !k.starts_with('[') && !k.starts_with('#')).then(|| k.to_string())
}

fn join(header: &str, key: &str) -> String {
    if header.is_empty() {
        key.to_string()
    } else {
        format!("{header}.{key}")
    }
}

/// Build a [`ProfileError::Structure`] from a toml deserialization error.
pub fn from_toml_error(origin: &str, text: &str, e: &toml::de::Error) -> ProfileError {
    let message = e.message().trim().to_string();
    let span = e.span().unwrap_or(0..0);
    let line = if e.span().is_some() {
        line_of(text, span.start)
    } else {
        0
    };
    let header = table_at(text, span.start);
    // "unknown field `x`" / "missing field `x`": the key is in backticks.
    let quoted = message
        .split('`')
        .nth(1)
        .filter(|_| message.contains("field"))
        .map(str::to_string);
    let key = match quoted {
        Some(q) if message.starts_with("missing") => join(&header, &q),
        Some(q) => match key_on_line(text, span.start) {
            Some(k) if k == q => join(&header, &q),
            _ => join(&header, &q),
        },
        None => match key_on_line(text, span.start) {
            Some(k) => join(&header, &k),
            None => header.clone(),
        },
    };
    ProfileError::Structure {
        origin: origin.to_string(),
        line,
        key,
        message,
    }
}

/// Context for building [`ProfileError::Invalid`] from spans during validation.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// Origin label (file name).
    pub origin: &'a str,
    /// The TOML text.
    pub text: &'a str,
}

impl Ctx<'_> {
    /// An invalid-value error at `span` for `key`.
    pub fn invalid(
        &self,
        span: Range<usize>,
        key: &str,
        value: impl Into<String>,
        constraint: impl Into<String>,
    ) -> ProfileError {
        ProfileError::Invalid {
            origin: self.origin.to_string(),
            line: line_of(self.text, span.start),
            key: key.to_string(),
            value: value.into(),
            constraint: constraint.into(),
        }
    }

    /// A structural error (missing or unknown key) located at `span`.
    pub fn structure(
        &self,
        span: Range<usize>,
        key: &str,
        message: impl Into<String>,
    ) -> ProfileError {
        ProfileError::Structure {
            origin: self.origin.to_string(),
            line: line_of(self.text, span.start),
            key: key.to_string(),
            message: message.into(),
        }
    }
}
