//! The targets file of `mixsig tune`: per core (or every core), what each circuit should do.
//!
//! ```toml
//! tolerance = 0.1                 # default relative tolerance (10 %)
//!
//! [[core]]
//! core = 0                        # or cores = [0, 2]; omitted: every core of the profile
//! tolerance = 0.05                # this block's tolerance
//! tau_mem = "20 ms"               # membrane time constant
//! tau_ampa = "10 ms"              # synapse time constants: tau_ampa, tau_nmda, tau_gaba, tau_shunt
//! tau_ahp = "200 ms"              # AHP (adaptation) time constant
//! gain_mem = 4                    # gain ratios I_gain/I_tau: gain_mem, gain_ampa, gain_nmda, gain_gaba, gain_shunt, gain_ahp
//! refractory = "2 ms"             # refractory period
//! pulse_width = "10 us"           # synaptic pulse width (pulse extender)
//! ahp_pulse_width = "10 us"       # AHP pulse width
//! rate = { input = "1 nA", hz = 50 }  # firing rate at a DC input (tunes the spike threshold)
//! ```
//!
//! Every error names the file, line, key, value and constraint.

use std::collections::BTreeMap;
use std::path::Path;

use mixsig_circuits::units::Dimension;
use serde::{Deserialize, Serialize};

use crate::located::{toml_error, Constraint, FileError, Located, Q};

/// What a target sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A leak time constant `C U_T/(kappa I)`.
    Tau,
    /// A pulse width `V_swing C/I`.
    Pulse,
    /// A gain ratio `I_gain/I_tau` of one block.
    Gain,
    /// A firing rate at a DC input (simulated; tunes the spike threshold).
    Rate,
}

/// One tunable quantity: its key in the targets file, the parameter its bias sets, and (for times)
/// the capacitance, (for gains) the leak parameter of its block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    /// Key in the targets file.
    pub key: &'static str,
    /// Kind.
    pub kind: Kind,
    /// The bias parameter tuned.
    pub param: &'static str,
    /// Capacitance (Tau, Pulse) or leak parameter (Gain).
    pub other: &'static str,
}

macro_rules! q {
    ($k:literal, $kind:ident, $p:literal, $o:literal) => {
        Quantity {
            key: $k,
            kind: Kind::$kind,
            param: $p,
            other: $o,
        }
    };
}

/// Every quantity `tune` knows, in the order it tunes them (leaks before the gains that refer to
/// them; the rate last, on top of everything else).
pub const QUANTITIES: &[Quantity] = &[
    q!("tau_mem", Tau, "i_tau_mem", "c_mem"),
    q!("tau_ampa", Tau, "i_tau_ampa", "c_ampa"),
    q!("tau_nmda", Tau, "i_tau_nmda", "c_nmda"),
    q!("tau_gaba", Tau, "i_tau_gaba", "c_gaba"),
    q!("tau_shunt", Tau, "i_tau_shunt", "c_shunt"),
    q!("tau_ahp", Tau, "i_tau_ahp", "c_ahp"),
    q!("refractory", Pulse, "i_ref", "c_ref"),
    q!("pulse_width", Pulse, "i_pulse", "c_pulse"),
    q!("ahp_pulse_width", Pulse, "i_pulse_ahp", "c_pulse_ahp"),
    q!("gain_mem", Gain, "i_gain_mem", "i_tau_mem"),
    q!("gain_ampa", Gain, "i_gain_ampa", "i_tau_ampa"),
    q!("gain_nmda", Gain, "i_gain_nmda", "i_tau_nmda"),
    q!("gain_gaba", Gain, "i_gain_gaba", "i_tau_gaba"),
    q!("gain_shunt", Gain, "i_gain_shunt", "i_tau_shunt"),
    q!("gain_ahp", Gain, "i_gain_ahp", "i_tau_ahp"),
    q!("rate", Rate, "i_spkthr", ""),
];

/// Look a quantity up by key.
pub fn quantity(key: &str) -> Option<&'static Quantity> {
    QUANTITIES.iter().find(|q| q.key == key)
}

/// One requested value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Quantity key (`tau_mem`, ...).
    pub key: String,
    /// Target value, SI (s, ratio, or Hz).
    pub value: f64,
    /// DC input of a rate target, A.
    pub input: Option<f64>,
    /// Relative tolerance.
    pub tolerance: f64,
    /// Line in the file.
    pub line: usize,
}

/// Targets of one `[[core]]` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoreTargets {
    /// Cores (`None`: every core of the profile).
    pub cores: Option<Vec<u32>>,
    /// The key that gave the cores (`core` or `cores`) and its line (`("", 0)` without one).
    #[serde(skip)]
    pub cores_at: (&'static str, usize),
    /// The targets.
    pub targets: Vec<Target>,
}

/// A parsed targets file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Targets {
    /// File name.
    pub file: String,
    /// Blocks in file order (a later block overrides an earlier one on the same core and key).
    pub blocks: Vec<CoreTargets>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    tolerance: Option<Q>,
    #[serde(default)]
    core: Vec<BTreeMap<String, Q>>,
}

fn valid_keys() -> String {
    let mut v = vec!["core", "cores", "tolerance"];
    v.extend(QUANTITIES.iter().map(|q| q.key));
    v.join(", ")
}

fn tolerance(l: &Located, q: &Q, key: &str) -> Result<f64, FileError> {
    let v = l.quantity(q, key, Dimension::Dimensionless, Constraint::Positive)?;
    if v >= 1.0 {
        return Err(l.err(
            q.span().start,
            key,
            format!("{key} = {v}: a relative tolerance must be in (0, 1), e.g. 0.1 or \"10 %\""),
        ));
    }
    Ok(v)
}

/// Parse targets text; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Targets, FileError> {
    let raw: RawTargets = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    let l = Located { file, text };
    let default_tol = match &raw.tolerance {
        Some(q) => tolerance(&l, q, "tolerance")?,
        None => 0.1,
    };
    if raw.core.is_empty() {
        return Err(FileError::new(
            file,
            0,
            "",
            "no [[core]] blocks: give at least one, e.g. [[core]] tau_mem = \"20 ms\"",
        ));
    }
    let mut blocks = Vec::new();
    for (i, t) in raw.core.iter().enumerate() {
        let block = format!("core[{}]", i + 1);
        let tol = match t.get("tolerance") {
            Some(q) => tolerance(&l, q, &format!("{block}.tolerance"))?,
            None => default_tol,
        };
        let int_of = |q: &Q, key: &str| -> Result<u32, FileError> {
            match q.get_ref() {
                toml::Value::Integer(c) if (0..=u32::MAX as i64).contains(c) => Ok(*c as u32),
                v => Err(l.err(
                    q.span().start,
                    key,
                    format!("{key} = {v}: a core must be an integer >= 0"),
                )),
            }
        };
        let cores_at = match (t.get("core"), t.get("cores")) {
            (Some(q), _) => ("core", crate::located::line_of(l.text, q.span().start)),
            (None, Some(q)) => ("cores", crate::located::line_of(l.text, q.span().start)),
            (None, None) => ("", 0),
        };
        let cores = match (t.get("core"), t.get("cores")) {
            (Some(q), None) => Some(vec![int_of(q, &format!("{block}.core"))?]),
            (None, Some(q)) => match q.get_ref() {
                toml::Value::Array(a) => Some(
                    a.iter()
                        .map(|v| match v {
                            toml::Value::Integer(c) if (0..=u32::MAX as i64).contains(c) => {
                                Ok(*c as u32)
                            }
                            v => Err(l.err(
                                q.span().start,
                                &format!("{block}.cores"),
                                format!("{block}.cores: {v} is not a core index (integer >= 0)"),
                            )),
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                v => {
                    return Err(l.err(
                        q.span().start,
                        &format!("{block}.cores"),
                        format!("{block}.cores = {v}: must be a list of core indices"),
                    ))
                }
            },
            (Some(q), Some(_)) => {
                return Err(l.err(
                    q.span().start,
                    &block,
                    "give either core or cores, not both",
                ))
            }
            (None, None) => None,
        };
        let mut targets = Vec::new();
        for (k, q) in t {
            if matches!(k.as_str(), "core" | "cores" | "tolerance") {
                continue;
            }
            let key = format!("{block}.{k}");
            let pos = q.span().start;
            let Some(qu) = quantity(k) else {
                return Err(l.err(
                    pos,
                    &key,
                    format!("unknown target `{k}`; valid keys: {}", valid_keys()),
                ));
            };
            let (value, input) = match qu.kind {
                Kind::Tau | Kind::Pulse => (
                    l.quantity(q, &key, Dimension::Time, Constraint::Positive)?,
                    None,
                ),
                Kind::Gain => (
                    l.quantity(q, &key, Dimension::Dimensionless, Constraint::Positive)?,
                    None,
                ),
                Kind::Rate => {
                    let toml::Value::Table(tb) = q.get_ref() else {
                        return Err(l.err(
                            pos,
                            &key,
                            format!(
                                "{key}: write a rate target as {{ input = \"1 nA\", hz = 50 }}"
                            ),
                        ));
                    };
                    if let Some(extra) = tb.keys().find(|x| *x != "input" && *x != "hz") {
                        return Err(l.err(
                            pos,
                            &format!("{key}.{extra}"),
                            "unknown key; a rate target has `input` (a DC current) and `hz`"
                                .to_string(),
                        ));
                    }
                    let get =
                        |name: &str, dim: Dimension, c: Constraint| -> Result<f64, FileError> {
                            let v =
                                tb.get(name).ok_or_else(|| {
                                    l.err(
                                pos,
                                &format!("{key}.{name}"),
                                format!("missing `{name}`: write {{ input = \"1 nA\", hz = 50 }}"),
                            )
                                })?;
                            l.quantity(
                                &Q::new(pos..pos, v.clone()),
                                &format!("{key}.{name}"),
                                dim,
                                c,
                            )
                        };
                    let hz = get("hz", Dimension::Dimensionless, Constraint::Positive)?;
                    let input = get("input", Dimension::Current, Constraint::Positive)?;
                    (hz, Some(input))
                }
            };
            targets.push(Target {
                key: k.clone(),
                value,
                input,
                tolerance: tol,
                line: crate::located::line_of(text, pos),
            });
        }
        if targets.is_empty() {
            return Err(l.err(
                0,
                &block,
                format!("{block} sets no targets; valid keys: {}", valid_keys()),
            ));
        }
        // Tune in the fixed order of QUANTITIES (leaks before gains, rate last).
        targets.sort_by_key(|t| QUANTITIES.iter().position(|q| q.key == t.key));
        blocks.push(CoreTargets {
            cores,
            cores_at,
            targets,
        });
    }
    Ok(Targets {
        file: file.to_string(),
        blocks,
    })
}

/// Read and parse a targets file.
pub fn load(path: &Path) -> Result<Targets, FileError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| FileError::new(&file, 0, "", format!("cannot read: {e}")))?;
    parse(&text, &file)
}

/// The targets `mixsig tune` uses without a file: the DynapSim-style operating point of
/// `docs/workflows.md` on every core.
pub const DEFAULT_TARGETS: &str = r#"# Default targets of `mixsig tune` (every core)
tolerance = 0.1

[[core]]
tau_mem = "20 ms"
tau_ampa = "10 ms"
tau_nmda = "100 ms"
tau_gaba = "10 ms"
tau_shunt = "10 ms"
tau_ahp = "100 ms"
gain_mem = 4
gain_ampa = 4
refractory = "2 ms"
pulse_width = "10 us"
rate = { input = "1 nA", hz = 50 }
"#;
