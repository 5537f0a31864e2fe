//! The chip part of a network file: `[chip]` (profile, instance) and `[[chip.bias]]` entries, read
//! into a [`ChipSection`] that `chipnet` applies when the network runs on a die. (Per-population
//! `core` and the parameters a population sets are collected by the main parser.)

use mixsig_circuits::units::Dimension;
use serde::Deserialize;
use toml::Spanned;

use crate::located::{line_of, Constraint, FileError, Located, Q};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChip {
    profile: Option<String>,
    instance: Option<u64>,
    calibrate: Option<bool>,
    #[serde(default)]
    bias: Vec<RawBias>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBias {
    name: Spanned<String>,
    core: Option<Spanned<u32>>,
    value: Option<Q>,
    coarse: Option<u8>,
    fine: Option<u16>,
    time: Option<Q>,
    ratio: Option<Q>,
}

/// How a bias is requested in a network file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BiasRequest {
    /// A target current, A (quantized to the nearest code).
    Current(f64),
    /// An explicit (coarse, fine) code.
    Code {
        /// Coarse range.
        coarse: u8,
        /// Fine value.
        fine: u16,
    },
    /// A time target, s: the time constant of a leak bias (`i_tau_*`) or the width of a pulse bias
    /// (`i_ref`, `i_pulse`, `i_pulse_ahp`).
    Time(f64),
    /// A gain ratio: a gain bias (`i_gain_*`) as a multiple of its block's leak current.
    Ratio(f64),
}

/// One `[[chip.bias]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct BiasEntry {
    /// Core (all cores when `None`).
    pub core: Option<u32>,
    /// Bias name as written (DYNAP-SE2 name or parameter name).
    pub name: String,
    /// The request.
    pub request: BiasRequest,
    /// Line in the file.
    pub line: usize,
    /// Position of the entry among its file's `[[chip.bias]]` entries, from 1 (`chip.bias[N]`).
    pub index: usize,
    /// The file the entry came from when it is not the network file (a `--biases` file), so that
    /// errors name it; `None` for entries of the network file itself.
    pub file: Option<String>,
}

impl BiasEntry {
    /// How errors name the entry: `chip.bias[N]`, plus ` of FILE` for a separate bias file.
    pub fn key(&self) -> String {
        match &self.file {
            Some(f) => format!("chip.bias[{}] of {f}", self.index),
            None => format!("chip.bias[{}]", self.index),
        }
    }
}

/// The chip-related content of a network file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChipSection {
    /// `[chip] profile`.
    pub profile: Option<String>,
    /// `[chip] instance` (die seed).
    pub instance: Option<u64>,
    /// `[chip] calibrate`: calibrate the biases of every core the network uses on the die
    /// ([`crate::calibrate`]).
    pub calibrate: bool,
    /// `[[chip.bias]]` entries.
    pub biases: Vec<BiasEntry>,
    /// Requested core of each population (`core = N`), in population order.
    pub cores: Vec<Option<u32>>,
    /// Parameters each population sets in its `params` table: (canonical parameter name, line);
    /// aliases (`i_tau_syn`, ...) are expanded to the four synapse types.
    pub param_keys: Vec<Vec<(String, usize)>>,
}

/// Read `[chip]` into `section`.
pub(super) fn parse(
    c: &RawChip,
    l: &Located,
    text: &str,
    section: &mut ChipSection,
) -> Result<(), FileError> {
    section.profile = c.profile.clone();
    section.instance = c.instance;
    section.calibrate = c.calibrate.unwrap_or(false);
    for (i, b) in c.bias.iter().enumerate() {
        let key = format!("chip.bias[{}]", i + 1);
        let at = b.name.span().start;
        let mut requests = Vec::new();
        if let Some(q) = &b.value {
            let v = l.quantity(
                q,
                &format!("{key}.value"),
                Dimension::Current,
                Constraint::Positive,
            )?;
            requests.push(BiasRequest::Current(v));
        }
        match (b.coarse, b.fine) {
            (Some(coarse), Some(fine)) => requests.push(BiasRequest::Code { coarse, fine }),
            (None, None) => {}
            _ => return Err(l.err(at, &key, "a code needs both coarse and fine")),
        }
        if let Some(q) = &b.time {
            let v = l.quantity(
                q,
                &format!("{key}.time"),
                Dimension::Time,
                Constraint::Positive,
            )?;
            requests.push(BiasRequest::Time(v));
        }
        if let Some(q) = &b.ratio {
            let v = l.quantity(
                q,
                &format!("{key}.ratio"),
                Dimension::Dimensionless,
                Constraint::Positive,
            )?;
            requests.push(BiasRequest::Ratio(v));
        }
        if requests.len() != 1 {
            return Err(l.err(
                at,
                &key,
                "give exactly one of value (current), coarse + fine (code), time (time constant or pulse width), ratio (gain ratio)",
            ));
        }
        section.biases.push(BiasEntry {
            core: b.core.as_ref().map(|c| *c.get_ref()),
            name: b.name.get_ref().clone(),
            request: requests[0],
            line: line_of(text, at),
            index: i + 1,
            file: None,
        });
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBiasFile {
    chip: RawChip,
}

/// Read a bias file: a TOML file holding only a `[chip]` section with `[[chip.bias]]` entries (what
/// `mixsig tune` writes; `mixsig sim --biases FILE` reads it). Its entries are appended after a
/// network file's own, so they win on the same core and bias.
pub fn load_bias_file(path: &std::path::Path) -> Result<ChipSection, FileError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| FileError::new(&file, 0, "", format!("cannot read: {e}")))?;
    parse_bias_file(&text, &file)
}

/// Parse the text of a bias file (see [`load_bias_file`]).
pub fn parse_bias_file(text: &str, file: &str) -> Result<ChipSection, FileError> {
    let raw: RawBiasFile =
        toml::from_str(text).map_err(|e| crate::located::toml_error(file, text, &e))?;
    let l = Located { file, text };
    let mut section = ChipSection::default();
    parse(&raw.chip, &l, text, &mut section)?;
    for b in &mut section.biases {
        b.file = Some(file.to_string());
    }
    Ok(section)
}
