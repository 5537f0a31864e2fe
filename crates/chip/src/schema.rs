//! The raw profile schema: serde structs mirroring the TOML file one to one, with unknown keys
//! rejected (`deny_unknown_fields`) and every value kept with its byte span ([`Spanned`]) so that
//! validation ([`crate::profile`]) can report the line of an offending value.
//!
//! Quantities are written as numbers (SI) or unit strings (`"3 pF"`, `"25 degC"`, `"10 %"`) and are
//! converted by [`mixsig_circuits::units::parse_quantity`] during validation, never here.
//!
//! File layout (every section required except `noise` and `biases`):
//!
//! ```toml
//! [profile]         # name, description, hypothetical
//! [process]         # temperature, u_t (optional override), i_0, kappa_n, kappa_p, supply, node, vt_offset_n/p
//! [architecture]    # cores, neurons_per_core, synapses_per_neuron, synapse_types, bias_sharing
//! [layout]          # default_transistor = { w, l }; blocks membrane, refractory, ahp, pulse,
//!                   # ampa, nmda, gaba, shunt, synapse: c_* = capacitance, i_* = { w, l }
//! [mismatch]        # model = "none" | "physical" | "gaussian-percent" | "truncated-gaussian", parameters
//! [bias_generator]  # style = "exact" | "dynapse2" | "dynapse1" | "table", coarse_currents, fine_bits, ...
//! [bias_generator.scale]   # per-bias scale factors by DYNAP-SE2 name
//! [weights]         # format = "dynapse2-mask" | "dynapse1-type" | "analog" | "n-bit", ...
//! [noise]           # shot = true|false
//! [biases]          # default bias setting: DYNAP name or parameter name = current or { coarse, fine }
//! ```

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt;
pub use toml::Spanned;

/// A quantity as written: a bare number (SI) or a string with a unit.
#[derive(Debug, Clone, PartialEq)]
pub enum Qty {
    /// A bare number, SI.
    Num(f64),
    /// A number with a unit, e.g. `"3 pF"`.
    Text(String),
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qty::Num(x) => write!(f, "{x}"),
            Qty::Text(s) => write!(f, "{s}"),
        }
    }
}

struct QtyVisitor;

impl Visitor<'_> for QtyVisitor {
    type Value = Qty;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or a string with a unit such as \"3 pF\"")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Qty, E> {
        Ok(Qty::Num(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Qty, E> {
        Ok(Qty::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Qty, E> {
        Ok(Qty::Num(v as f64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Qty, E> {
        Ok(Qty::Text(v.to_string()))
    }
}

impl<'de> Deserialize<'de> for Qty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(QtyVisitor)
    }
}

/// A spanned quantity.
pub type SQty = Spanned<Qty>;

/// Size of one transistor: `{ w = "1 um", l = "1 um" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransistor {
    /// Width.
    pub w: SQty,
    /// Length.
    pub l: SQty,
}

/// One entry of a layout block: a capacitance (`c_* = "3 pF"`) or a transistor (`i_* = { w, l }`).
#[derive(Debug, Clone)]
pub enum RawEntry {
    /// A capacitance.
    Qty(Qty),
    /// A transistor size.
    Transistor(RawTransistor),
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = RawEntry;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a capacitance (\"3 pF\") or a transistor size { w = \"1 um\", l = \"1 um\" }")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawEntry, E> {
        Ok(RawEntry::Qty(Qty::Num(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawEntry, E> {
        Ok(RawEntry::Qty(Qty::Num(v as f64)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawEntry, E> {
        Ok(RawEntry::Qty(Qty::Text(v.to_string())))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawEntry, A::Error> {
        RawTransistor::deserialize(de::value::MapAccessDeserializer::new(map))
            .map(RawEntry::Transistor)
    }
}

impl<'de> Deserialize<'de> for RawEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EntryVisitor)
    }
}

/// A bias code `{ coarse = 1, fine = 200 }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCode {
    /// Coarse index.
    pub coarse: Spanned<i64>,
    /// Fine value.
    pub fine: Spanned<i64>,
}

/// A default bias: a current or a code.
#[derive(Debug, Clone)]
pub enum RawBias {
    /// Target current (quantized to the nearest code).
    Current(Qty),
    /// Explicit code.
    Code(RawCode),
}

struct BiasVisitor;

impl<'de> Visitor<'de> for BiasVisitor {
    type Value = RawBias;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a current (\"5 pA\") or a code { coarse = 1, fine = 200 }")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawBias, E> {
        Ok(RawBias::Current(Qty::Num(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawBias, E> {
        Ok(RawBias::Current(Qty::Num(v as f64)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawBias, E> {
        Ok(RawBias::Current(Qty::Text(v.to_string())))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawBias, A::Error> {
        RawCode::deserialize(de::value::MapAccessDeserializer::new(map)).map(RawBias::Code)
    }
}

impl<'de> Deserialize<'de> for RawBias {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BiasVisitor)
    }
}

/// `[profile]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    /// Short name (`dynapse2`).
    pub name: String,
    /// One-paragraph description.
    pub description: String,
    /// True for designs that do not exist as silicon.
    #[serde(default)]
    pub hypothetical: bool,
}

/// `[process]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProcess {
    /// Feature size (informational), length.
    pub node: Option<SQty>,
    /// Operating temperature; gives `U_T = kT/q`.
    pub temperature: SQty,
    /// Optional override of `U_T` (DynapSim uses 25 mV).
    pub u_t: Option<SQty>,
    /// Dark current `I_0`.
    pub i_0: SQty,
    /// n-FET slope factor.
    pub kappa_n: SQty,
    /// p-FET slope factor.
    pub kappa_p: SQty,
    /// Supply voltage.
    pub supply: SQty,
    /// Corner label (informational: TT, FF, SS).
    pub corner: Option<String>,
    /// Global threshold offset of n-FETs (corner), voltage.
    pub vt_offset_n: Option<SQty>,
    /// Global threshold offset of p-FETs (corner), voltage.
    pub vt_offset_p: Option<SQty>,
}

/// `[architecture]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArchitecture {
    /// Number of cores.
    pub cores: Spanned<i64>,
    /// Neurons per core.
    pub neurons_per_core: Spanned<i64>,
    /// Synapse (CAM) slots per neuron.
    pub synapses_per_neuron: Spanned<i64>,
    /// Synapse types present (`ampa`, `nmda`, `gaba`, `shunt`).
    pub synapse_types: Spanned<Vec<String>>,
    /// Which biases are shared: `"core"` (DYNAP) or `"neuron"`.
    pub bias_sharing: Spanned<String>,
}

/// A layout block: parameter name → capacitance or transistor size.
pub type RawBlock = BTreeMap<String, Spanned<RawEntry>>;

/// `[layout]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLayout {
    /// Size of the transistor behind any current not listed in a block.
    pub default_transistor: Spanned<RawEntry>,
    /// Membrane DPI and spike generation.
    #[serde(default)]
    pub membrane: RawBlock,
    /// Refractory circuit.
    #[serde(default)]
    pub refractory: RawBlock,
    /// Adaptation (AHP) DPI and its pulse extender.
    #[serde(default)]
    pub ahp: RawBlock,
    /// Synaptic pulse extender.
    #[serde(default)]
    pub pulse: RawBlock,
    /// AMPA DPI.
    #[serde(default)]
    pub ampa: RawBlock,
    /// NMDA DPI and gating.
    #[serde(default)]
    pub nmda: RawBlock,
    /// GABA_B DPI.
    #[serde(default)]
    pub gaba: RawBlock,
    /// Shunting (GABA_A) DPI.
    #[serde(default)]
    pub shunt: RawBlock,
    /// Per-synapse weight transistor (`i_w`).
    #[serde(default)]
    pub synapse: RawBlock,
}

/// `[mismatch]`; which keys are allowed depends on `model`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMismatch {
    /// `none`, `physical`, `gaussian-percent` or `truncated-gaussian`.
    pub model: Spanned<String>,
    /// Physical: Pelgrom coefficient of n-FETs, `"5 mV*um"`.
    pub a_vt_n: Option<Spanned<Qty>>,
    /// Physical: Pelgrom coefficient of p-FETs.
    pub a_vt_p: Option<Spanned<Qty>>,
    /// Physical: current-factor coefficient, `"1 %*um"`.
    pub a_beta: Option<Spanned<Qty>>,
    /// Physical: relative sigma of a capacitor of value `cap_ref`.
    pub cap_sigma: Option<Spanned<Qty>>,
    /// Physical: reference capacitance for `cap_sigma` (sigma scales as `sqrt(cap_ref/C)`).
    pub cap_ref: Option<Spanned<Qty>>,
    /// Physical: die-to-die threshold sigma (voltage).
    pub sigma_vt_global: Option<Spanned<Qty>>,
    /// Physical: core-to-core threshold sigma (voltage).
    pub sigma_vt_core: Option<Spanned<Qty>>,
    /// Physical: die-to-die relative capacitor sigma.
    pub cap_sigma_global: Option<Spanned<Qty>>,
    /// Physical: core-to-core relative capacitor sigma.
    pub cap_sigma_core: Option<Spanned<Qty>>,
    /// Compatibility: per-device relative sigma (fraction).
    pub sigma: Option<Spanned<Qty>>,
    /// Compatibility: Rockpool's `percent_mismatch` (a fraction; sigma = value/3).
    pub percent_mismatch: Option<Spanned<Qty>>,
    /// Compatibility: core component relative sigma.
    pub sigma_core: Option<Spanned<Qty>>,
    /// Compatibility: die component relative sigma.
    pub sigma_global: Option<Spanned<Qty>>,
}

/// `[bias_generator]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBiasGen {
    /// `exact`, `dynapse2`, `dynapse1` or `table`.
    pub style: Spanned<String>,
    /// Full-scale current of each coarse range.
    pub coarse_currents: Option<Spanned<Vec<SQty>>>,
    /// Bits of the fine DAC.
    pub fine_bits: Option<Spanned<i64>>,
    /// Current at fine = 0.
    pub floor: Option<SQty>,
    /// Relative sigma of one unit branch of the fine DAC (bit k has 2^k units).
    pub branch_sigma: Option<SQty>,
    /// Relative sigma of each coarse full-scale current.
    pub coarse_sigma: Option<SQty>,
    /// CSV file `bias,coarse,fine,current` (style = "table"), relative to the profile.
    pub table: Option<Spanned<String>>,
    /// Per-bias scale factors by DYNAP-SE2 bias name.
    #[serde(default)]
    pub scale: BTreeMap<String, SQty>,
}

/// `[weights]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeights {
    /// `dynapse2-mask`, `dynapse1-type`, `analog` or `n-bit`.
    pub format: Spanned<String>,
    /// Bits (n-bit).
    pub bits: Option<Spanned<i64>>,
    /// Largest weight current (analog, n-bit).
    pub i_max: Option<SQty>,
}

/// `[noise]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNoise {
    /// Shot noise `2qI` on subthreshold currents.
    #[serde(default)]
    pub shot: bool,
}

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    /// `[profile]`.
    pub profile: RawMeta,
    /// `[process]`.
    pub process: RawProcess,
    /// `[architecture]`.
    pub architecture: RawArchitecture,
    /// `[layout]`.
    pub layout: RawLayout,
    /// `[mismatch]`.
    pub mismatch: RawMismatch,
    /// `[bias_generator]`.
    pub bias_generator: RawBiasGen,
    /// `[weights]`.
    pub weights: RawWeights,
    /// `[noise]` (optional; absent = no noise).
    #[serde(default)]
    pub noise: RawNoise,
    /// `[biases]` (optional): default bias setting.
    #[serde(default)]
    pub biases: BTreeMap<String, Spanned<RawBias>>,
}
