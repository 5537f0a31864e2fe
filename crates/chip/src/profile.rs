//! The validated chip profile: every quantity converted once to SI, every constraint checked, with
//! errors naming file, line, key and constraint. Shipped profiles are embedded with `include_str!`.

use std::collections::BTreeMap;
use std::path::Path;

use mixsig_circuits::units::Dimension;
use mixsig_circuits::{NeuronParams, SynapseType};
use serde::{Deserialize, Serialize};

use crate::biasgen::BiasGenSpec;
use crate::error::{from_toml_error, Ctx};
use crate::instance::BiasValue;
use crate::mismatch::{Device, MismatchModel, OperatingPoint, Polarity};
use crate::names;
use crate::schema::RawProfile;
use crate::validate::Validator;
use crate::weights::WeightFormat;
use crate::ProfileError;

/// Names of the built-in profiles.
pub const BUILTIN: &[&str] = &["ideal", "dynapse2", "dynapse1", "fdsoi22"];

/// Process and operating point, SI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessSpec {
    /// Feature size, m (informational).
    pub node: Option<f64>,
    /// Temperature, K.
    pub temperature: f64,
    /// Thermal voltage, V (`kT/q` unless overridden).
    pub u_t: f64,
    /// Dark current, A.
    pub i_0: f64,
    /// n-FET slope factor.
    pub kappa_n: f64,
    /// p-FET slope factor.
    pub kappa_p: f64,
    /// Supply, V.
    pub supply: f64,
    /// Corner label.
    pub corner: Option<String>,
    /// Global n-FET threshold offset, V (corner).
    pub vt_offset_n: f64,
    /// Global p-FET threshold offset, V (corner).
    pub vt_offset_p: f64,
}

impl ProcessSpec {
    /// The operating point used by the mismatch model.
    pub fn operating_point(&self) -> OperatingPoint {
        OperatingPoint {
            kappa_n: self.kappa_n,
            kappa_p: self.kappa_p,
            u_t: self.u_t,
        }
    }

    /// Deterministic current factor of the corner for a transistor of `polarity`:
    /// `exp(-kappa*dV_T/U_T)`.
    pub fn corner_factor(&self, polarity: Polarity) -> f64 {
        let (k, dv) = match polarity {
            Polarity::N => (self.kappa_n, self.vt_offset_n),
            Polarity::P => (self.kappa_p, self.vt_offset_p),
        };
        (-k * dv / self.u_t).exp()
    }
}

/// Which biases are shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BiasSharing {
    /// One bias per core (DYNAP): all neurons of a core get the same nominal current.
    Core,
    /// One bias per neuron.
    Neuron,
}

/// Architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    /// Cores.
    pub cores: u32,
    /// Neurons per core.
    pub neurons_per_core: u32,
    /// Synapse slots per neuron.
    pub synapses_per_neuron: u32,
    /// Synapse types present.
    pub synapse_types: Vec<SynapseType>,
    /// Bias sharing.
    pub bias_sharing: BiasSharing,
}

/// Layout: the device behind every mismatched parameter, SI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Transistor for currents not listed in a block, (W, L) in m.
    pub default_transistor: (f64, f64),
    /// Device of each mismatched [`NeuronParams`] field and of `i_w` (the weight transistor).
    pub devices: BTreeMap<String, Device>,
}

impl Layout {
    /// Device behind parameter `name` (the default transistor for unlisted currents).
    pub fn device(&self, name: &str) -> Device {
        self.devices
            .get(name)
            .copied()
            .unwrap_or(Device::Transistor {
                w: self.default_transistor.0,
                l: self.default_transistor.1,
                polarity: names::polarity_of(name),
            })
    }
}

/// Dynamic noise switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NoiseSpec {
    /// Shot noise on subthreshold currents.
    pub shot: bool,
}

/// A validated chip profile in SI units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChipProfile {
    /// Short name.
    pub name: String,
    /// Description.
    pub description: String,
    /// True for designs without silicon.
    pub hypothetical: bool,
    /// Where the profile came from (file path or `chip-profiles/X.toml` for built-ins).
    pub origin: String,
    /// Process and operating point.
    pub process: ProcessSpec,
    /// Architecture.
    pub architecture: Architecture,
    /// Layout.
    pub layout: Layout,
    /// Mismatch model.
    pub mismatch: MismatchModel,
    /// Bias generator.
    pub bias_generator: BiasGenSpec,
    /// Weight format.
    pub weights: WeightFormat,
    /// Dynamic noise.
    pub noise: NoiseSpec,
    /// Default bias setting by DYNAP-SE2 bias name.
    pub default_biases: BTreeMap<String, BiasValue>,
}

pub(crate) fn builtin_text(name: &str) -> Option<&'static str> {
    Some(match name {
        "ideal" => include_str!("../../../chip-profiles/ideal.toml"),
        "dynapse2" => include_str!("../../../chip-profiles/dynapse2.toml"),
        "dynapse1" => include_str!("../../../chip-profiles/dynapse1.toml"),
        "fdsoi22" => include_str!("../../../chip-profiles/fdsoi22.toml"),
        _ => return None,
    })
}

impl ChipProfile {
    /// Parse and validate `text`; `origin` names the file in error messages and relative table
    /// paths are resolved against its directory.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, ProfileError> {
        let raw: RawProfile =
            toml::from_str(text).map_err(|e| from_toml_error(origin, text, &e))?;
        let base = Path::new(origin).parent().map(Path::to_path_buf);
        Validator {
            ctx: Ctx { origin, text },
            base,
        }
        .profile(raw)
    }

    /// Read and validate the profile at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ProfileError> {
        let p = path.as_ref();
        let text = std::fs::read_to_string(p).map_err(|source| ProfileError::Io {
            path: p.display().to_string(),
            source,
        })?;
        Self::from_toml_str(&text, &p.display().to_string())
    }

    /// A shipped profile by name (see [`BUILTIN`]).
    pub fn builtin(name: &str) -> Result<Self, ProfileError> {
        let text = builtin_text(name).ok_or_else(|| ProfileError::UnknownBuiltin {
            name: name.to_string(),
            valid: BUILTIN.join(", "),
        })?;
        Self::from_toml_str(text, &format!("chip-profiles/{name}.toml"))
    }

    /// A built-in name or a path to a TOML file. A bare word (no `/`, `\\` or `.`) that is neither
    /// a built-in nor an existing file is an unknown built-in ([`ProfileError::UnknownBuiltin`],
    /// listing the names), not a missing file.
    pub fn builtin_or_load(name_or_path: &str) -> Result<Self, ProfileError> {
        if BUILTIN.contains(&name_or_path) {
            Self::builtin(name_or_path)
        } else {
            check_not_a_misspelled_name(name_or_path)?;
            Self::load(name_or_path)
        }
    }

    /// The default profile, `dynapse2` (embedded in the binary).
    pub fn default_profile() -> Self {
        Self::builtin("dynapse2").expect("the embedded dynapse2 profile is valid (tested)")
    }

    /// Nominal neuron parameters before biases: [`NeuronParams`] defaults with the process
    /// constants and the layout's capacitances; currents that default to `I_0` follow the
    /// profile's `I_0`.
    pub fn nominal_params(&self) -> NeuronParams {
        let mut p = NeuronParams::default();
        let d0 = p.i_0;
        for f in NeuronParams::FIELDS {
            if f.dim == Dimension::Current && p.field(f.name) == Some(d0) {
                *p.field_mut(f.name).expect("field") = self.process.i_0;
            }
        }
        p.i_0 = self.process.i_0;
        p.u_t = self.process.u_t;
        p.kappa_n = self.process.kappa_n;
        p.kappa_p = self.process.kappa_p;
        for (name, d) in &self.layout.devices {
            if let (Device::Capacitor { c }, Some(slot)) = (d, p.field_mut(name)) {
                *slot = *c;
            }
        }
        p
    }

    /// Total neurons.
    pub fn total_neurons(&self) -> usize {
        self.architecture.cores as usize * self.architecture.neurons_per_core as usize
    }
}

/// A `name_or_path` that is neither a built-in name nor an existing file, and does not look like a
/// path (no `/`, `\\` or `.`), was meant as a built-in name: say which names exist instead of
/// "cannot read <name>".
pub(crate) fn check_not_a_misspelled_name(name_or_path: &str) -> Result<(), ProfileError> {
    let looks_like_name = !name_or_path.contains(['/', '\\', '.']);
    if looks_like_name && !Path::new(name_or_path).exists() {
        return Err(ProfileError::UnknownBuiltin {
            name: name_or_path.to_string(),
            valid: format!("{} (or a path to a profile .toml file)", BUILTIN.join(", ")),
        });
    }
    Ok(())
}
