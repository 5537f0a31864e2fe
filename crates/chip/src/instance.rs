//! A chip instance: one sampled die of a profile.
//!
//! `ChipInstance::sample(&profile, seed)` fixes, per core, the nominal parameters (the profile's
//! process and capacitances, the bias setting quantized through that core's frozen bias generators)
//! and then evaluates each device's mismatch lazily from identity-keyed streams: a neuron's
//! parameters depend only on (seed, core, neuron, parameter name), a synapse's weight factor only on
//! (seed, core, neuron, slot). Growing a network, changing evaluation order or thread count does not
//! change any device. An instance can be saved to TOML (every per-device value written out) and
//! loaded back, after which the saved values are returned verbatim.

use std::collections::BTreeMap;
use std::path::Path;

use mixsig_circuits::units::Dimension;
use mixsig_circuits::NeuronParams;
use serde::{Deserialize, Serialize};

use crate::biasgen::BiasCode;
use crate::mismatch::{Device, DeviceKey, Sigmas};
use crate::names::{self, BiasTarget, WEIGHT_PARAM};
use crate::noise::ShotNoise;
use crate::profile::ChipProfile;
use crate::rng::{self, domain};
use crate::weights::{WeightCode, WeightError};

/// One bias setting: a target current (quantized to the nearest code) or an explicit code.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BiasValue {
    /// Target current, A.
    Current(f64),
    /// Explicit code.
    Code(BiasCode),
}

/// Errors of building, saving or loading an instance.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    /// Unknown bias key.
    #[error("unknown bias '{0}': use a DYNAP-SE2 name (SOIF_LEAK_N, ...), a parameter name with a bias (i_tau_mem, ...) or w0..w3")]
    UnknownBias(String),
    /// Core out of range.
    #[error("core {core} out of range: the profile has {cores} cores")]
    Core {
        /// Requested core.
        core: u32,
        /// Cores of the profile.
        cores: u32,
    },
    /// A code the generator does not have.
    #[error("bias {bias} on core {core}: code {code} is not a valid code of the bias generator")]
    BadCode {
        /// Bias name.
        bias: String,
        /// Core.
        core: u32,
        /// The code.
        code: BiasCode,
    },
    /// File I/O.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Malformed or mismatching instance file.
    #[error("{path}: {message}")]
    Format {
        /// Path.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Bias settings per core, by DYNAP-SE2 bias name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BiasSettings {
    /// `per_core[c][bias name]`.
    pub per_core: Vec<BTreeMap<String, BiasValue>>,
}

impl BiasSettings {
    /// The profile's default biases on every core.
    pub fn from_profile(profile: &ChipProfile) -> Self {
        BiasSettings {
            per_core: vec![profile.default_biases.clone(); profile.architecture.cores as usize],
        }
    }

    /// Set bias `key` (DYNAP name, parameter name or `w0..w3`) on `core`, or on all cores if `None`.
    pub fn set(&mut self, core: Option<u32>, key: &str, v: BiasValue) -> Result<(), InstanceError> {
        let b = names::resolve_bias(key).ok_or_else(|| InstanceError::UnknownBias(key.into()))?;
        let n = self.per_core.len() as u32;
        match core {
            Some(c) if c >= n => return Err(InstanceError::Core { core: c, cores: n }),
            Some(c) => {
                self.per_core[c as usize].insert(b.name.into(), v);
            }
            None => {
                for m in &mut self.per_core {
                    m.insert(b.name.into(), v);
                }
            }
        }
        Ok(())
    }
}

/// What the bias generator made of one bias on one core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasReport {
    /// DYNAP-SE2 bias name.
    pub bias: String,
    /// Parameter (or `w0..w3`) it sets.
    pub target: String,
    /// Requested value.
    pub requested: BiasValue,
    /// Chosen code (`None` for an exact generator).
    pub code: Option<BiasCode>,
    /// Achieved current, A.
    pub current: f64,
    /// `current/requested - 1` (0 for explicit codes).
    pub rel_error: f64,
    /// Non-monotonic step or out-of-range warning.
    pub warning: Option<String>,
}

/// Nominal state of one core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoreState {
    /// Nominal neuron parameters after the bias generator (no device mismatch).
    pub nominal: NeuronParams,
    /// The four weight base currents after the bias generator, A.
    pub weight_bases: [f64; 4],
    /// Per-bias report.
    pub report: Vec<BiasReport>,
}

#[derive(Debug, Clone, PartialEq)]
struct ParamSampler {
    name: &'static str,
    id: u64,
    sigmas: Sigmas,
    /// Deterministic corner factor (transistors only).
    corner: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Frozen {
    neurons: Vec<Vec<NeuronParams>>,
    weight_factors: Vec<Vec<Vec<f64>>>,
}

/// One sampled die of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ChipInstance {
    profile: ChipProfile,
    seed: u64,
    cores: Vec<CoreState>,
    samplers: Vec<ParamSampler>,
    weight_sigmas: Sigmas,
    frozen: Option<Frozen>,
}

impl ChipInstance {
    /// Sample an instance with the profile's default biases.
    pub fn sample(profile: &ChipProfile, seed: u64) -> Self {
        Self::with_biases(profile, seed, &BiasSettings::from_profile(profile))
            .expect("profile default biases are validated")
    }

    /// Sample an instance with explicit bias settings (cores missing from `biases` get the profile's
    /// defaults).
    pub fn with_biases(
        profile: &ChipProfile,
        seed: u64,
        biases: &BiasSettings,
    ) -> Result<Self, InstanceError> {
        let op = profile.process.operating_point();
        let samplers = profile_samplers(profile);
        let weight_sigmas = profile
            .mismatch
            .sigmas(&profile.layout.device(WEIGHT_PARAM), &op);
        let mut cores = Vec::new();
        for core in 0..profile.architecture.cores {
            let settings = biases
                .per_core
                .get(core as usize)
                .unwrap_or(&profile.default_biases);
            cores.push(core_state(profile, seed, core, settings)?);
        }
        Ok(ChipInstance {
            profile: profile.clone(),
            seed,
            cores,
            samplers,
            weight_sigmas,
            frozen: None,
        })
    }

    /// The profile.
    pub fn profile(&self) -> &ChipProfile {
        &self.profile
    }

    /// The instance seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Nominal state of `core` (panics if `core` is out of range: check against the architecture).
    pub fn core(&self, core: u32) -> &CoreState {
        &self.cores[core as usize]
    }

    /// Shot-noise source of this instance (enabled if the profile has shot noise).
    pub fn noise(&self) -> ShotNoise {
        ShotNoise::new(
            rng::key(self.seed, &[domain::NOISE]),
            self.profile.noise.shot,
        )
    }

    /// Mismatch factor of parameter `name` of (core, neuron); 1 for parameters without mismatch.
    pub fn neuron_factor(&self, core: u32, neuron: u32, name: &str) -> f64 {
        match self.samplers.iter().find(|s| s.name == name) {
            Some(s) => self.factor_of(s, core, neuron),
            None => 1.0,
        }
    }

    fn factor_of(&self, s: &ParamSampler, core: u32, neuron: u32) -> f64 {
        let key = DeviceKey {
            seed: self.seed,
            domain: domain::LOCAL,
            core: core as u64,
            index: neuron as u64,
            param: s.id,
        };
        s.corner * self.profile.mismatch.factor(&s.sigmas, &key)
    }

    /// Parameters of neuron `neuron` of `core` with device mismatch applied to every current and
    /// capacitance (never `u_t`, the slope factors, `v_th` or `i_scale`). Values depend only on
    /// (seed, core, neuron, parameter). Non-positive results (possible only with `gaussian-percent`)
    /// are clamped to 1e-3 of nominal. Panics if `core` is out of range.
    pub fn neuron_params(&self, core: u32, neuron: u32) -> NeuronParams {
        if let Some(f) = &self.frozen {
            if let Some(p) = f
                .neurons
                .get(core as usize)
                .and_then(|v| v.get(neuron as usize))
            {
                return *p;
            }
        }
        let nominal = &self.cores[core as usize].nominal;
        let mut p = *nominal;
        for s in &self.samplers {
            let nom = nominal.field(s.name).unwrap_or(0.0);
            let v = nom * self.factor_of(s, core, neuron);
            if let Some(slot) = p.field_mut(s.name) {
                *slot = if v > 0.0 { v } else { nom * 1e-3 };
            }
        }
        p
    }

    /// Mismatch factor of the weight current of synapse `slot` of (core, neuron).
    pub fn weight_factor(&self, core: u32, neuron: u32, slot: u32) -> f64 {
        if let Some(f) = &self.frozen {
            if let Some(w) = f
                .weight_factors
                .get(core as usize)
                .and_then(|v| v.get(neuron as usize))
                .and_then(|v| v.get(slot as usize))
            {
                return *w;
            }
        }
        let key = DeviceKey {
            seed: self.seed,
            domain: domain::WEIGHT,
            core: core as u64,
            index: ((neuron as u64) << 32) | slot as u64,
            param: rng::name_id(WEIGHT_PARAM),
        };
        let f = self.profile.mismatch.factor(&self.weight_sigmas, &key);
        if f > 0.0 {
            f
        } else {
            1e-3
        }
    }

    /// Weight current of synapse `slot` of (core, neuron) storing `code`: the format's nominal
    /// current from the core's bases times the synapse's mismatch factor.
    pub fn weight_current(
        &self,
        core: u32,
        neuron: u32,
        slot: u32,
        code: WeightCode,
    ) -> Result<f64, WeightError> {
        let bases = &self.cores[core as usize].weight_bases;
        Ok(self.profile.weights.nominal_current(code, bases)?
            * self.weight_factor(core, neuron, slot))
    }

    /// Serialize every per-device value (all neurons and synapses of the architecture) to TOML.
    pub fn to_toml_string(&self) -> String {
        let a = &self.profile.architecture;
        let saved = Saved {
            instance: SavedMeta {
                profile: self.profile.name.clone(),
                profile_origin: self.profile.origin.clone(),
                seed: self.seed.to_string(),
                cores: a.cores,
                neurons_per_core: a.neurons_per_core,
                synapses_per_neuron: a.synapses_per_neuron,
            },
            core: (0..a.cores)
                .map(|c| SavedCore {
                    state: self.cores[c as usize].clone(),
                    neurons: (0..a.neurons_per_core)
                        .map(|n| self.neuron_params(c, n))
                        .collect(),
                    weight_factors: (0..a.neurons_per_core)
                        .map(|n| {
                            (0..a.synapses_per_neuron)
                                .map(|s| self.weight_factor(c, n, s))
                                .collect()
                        })
                        .collect(),
                })
                .collect(),
        };
        toml::to_string(&saved).expect("instance serializes (finite floats)")
    }

    /// Write the instance to `path` (TOML).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), InstanceError> {
        let p = path.as_ref();
        std::fs::write(p, self.to_toml_string()).map_err(|source| InstanceError::Io {
            path: p.display().to_string(),
            source,
        })
    }

    /// Read an instance saved by [`save`](Self::save); `profile` must have the same name and
    /// architecture. The saved per-device values are returned verbatim afterwards.
    pub fn load(path: impl AsRef<Path>, profile: &ChipProfile) -> Result<Self, InstanceError> {
        let p = path.as_ref();
        let name = p.display().to_string();
        let text = std::fs::read_to_string(p).map_err(|source| InstanceError::Io {
            path: name.clone(),
            source,
        })?;
        Self::from_toml_str(&text, &name, profile)
    }

    /// Parse an instance from TOML text (see [`load`](Self::load)).
    pub fn from_toml_str(
        text: &str,
        origin: &str,
        profile: &ChipProfile,
    ) -> Result<Self, InstanceError> {
        let bad = |message: String| InstanceError::Format {
            path: origin.into(),
            message,
        };
        let s: Saved = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let a = &profile.architecture;
        if s.instance.profile != profile.name {
            return Err(bad(format!(
                "instance of profile '{}', not '{}'",
                s.instance.profile, profile.name
            )));
        }
        if (
            s.instance.cores,
            s.instance.neurons_per_core,
            s.instance.synapses_per_neuron,
        ) != (a.cores, a.neurons_per_core, a.synapses_per_neuron)
            || s.core.len() != a.cores as usize
        {
            return Err(bad("architecture differs from the profile's".into()));
        }
        for (c, core) in s.core.iter().enumerate() {
            if core.neurons.len() != a.neurons_per_core as usize
                || core.weight_factors.len() != a.neurons_per_core as usize
                || core
                    .weight_factors
                    .iter()
                    .any(|w| w.len() != a.synapses_per_neuron as usize)
            {
                return Err(bad(format!(
                    "core {c}: wrong number of neurons or synapses"
                )));
            }
            for (n, p) in core.neurons.iter().enumerate() {
                p.validate_positive()
                    .map_err(|e| bad(format!("core {c} neuron {n}: {e}")))?;
            }
            // A synapse's weight factor multiplies its current: finite and > 0.
            for (n, row) in core.weight_factors.iter().enumerate() {
                if let Some((k, w)) = row
                    .iter()
                    .enumerate()
                    .find(|(_, w)| !(w.is_finite() && **w > 0.0))
                {
                    return Err(bad(format!(
                        "core {c} neuron {n}: weight_factors[{k}] = {w} must be a finite number > 0 (a synapse's mismatch factor)"
                    )));
                }
            }
        }
        let seed: u64 = s
            .instance
            .seed
            .parse()
            .map_err(|_| bad(format!("seed {:?} is not a u64", s.instance.seed)))?;
        let op = profile.process.operating_point();
        Ok(ChipInstance {
            profile: profile.clone(),
            seed,
            samplers: profile_samplers(profile),
            weight_sigmas: profile
                .mismatch
                .sigmas(&profile.layout.device(WEIGHT_PARAM), &op),
            frozen: Some(Frozen {
                neurons: s.core.iter().map(|c| c.neurons.clone()).collect(),
                weight_factors: s.core.iter().map(|c| c.weight_factors.clone()).collect(),
            }),
            cores: s.core.into_iter().map(|c| c.state).collect(),
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedMeta {
    profile: String,
    profile_origin: String,
    seed: String,
    cores: u32,
    neurons_per_core: u32,
    synapses_per_neuron: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedCore {
    state: CoreState,
    neurons: Vec<NeuronParams>,
    weight_factors: Vec<Vec<f64>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    instance: SavedMeta,
    core: Vec<SavedCore>,
}

fn profile_samplers(profile: &ChipProfile) -> Vec<ParamSampler> {
    let op = profile.process.operating_point();
    NeuronParams::FIELDS
        .iter()
        .filter(|f| names::has_mismatch(f.name))
        .map(|f| {
            let device = profile.layout.device(f.name);
            let corner = match device {
                Device::Transistor { polarity, .. } if f.dim == Dimension::Current => {
                    profile.process.corner_factor(polarity)
                }
                _ => 1.0,
            };
            ParamSampler {
                name: f.name,
                id: rng::name_id(f.name),
                sigmas: profile.mismatch.sigmas(&device, &op),
                corner,
            }
        })
        .collect()
}

fn core_state(
    profile: &ChipProfile,
    seed: u64,
    core: u32,
    settings: &BTreeMap<String, BiasValue>,
) -> Result<CoreState, InstanceError> {
    let mut nominal = profile.nominal_params();
    let mut weight_bases = [nominal.i_scale; 4];
    let mut report = Vec::new();
    for b in names::BIASES {
        let requested = match (settings.get(b.name), b.target) {
            (Some(v), _) => *v,
            (None, BiasTarget::Param(p)) => {
                BiasValue::Current(nominal.field(p).unwrap_or(nominal.i_0))
            }
            (None, BiasTarget::WeightBase(k)) => BiasValue::Current(weight_bases[k]),
        };
        let gen = profile.bias_generator.realize(seed, core, b.name);
        let (code, current, rel_error, warning) = match requested {
            BiasValue::Current(t) => {
                let inv = gen.inverse(t);
                (inv.code, inv.current, inv.rel_error, inv.warning)
            }
            BiasValue::Code(c) => {
                let i = gen.current(c).ok_or_else(|| InstanceError::BadCode {
                    bias: b.name.into(),
                    core,
                    code: c,
                })?;
                let w = gen
                    .is_nonmonotonic_at(c)
                    .then(|| format!("code {c} sits on a non-monotonic step of the fine DAC"));
                (Some(c), i, 0.0, w)
            }
        };
        match b.target {
            BiasTarget::Param(p) => {
                if let Some(slot) = nominal.field_mut(p) {
                    *slot = current;
                }
            }
            BiasTarget::WeightBase(k) => weight_bases[k] = current,
        }
        report.push(BiasReport {
            bias: b.name.into(),
            target: b.target.name().into(),
            requested,
            code,
            current,
            rel_error,
            warning,
        });
    }
    Ok(CoreState {
        nominal,
        weight_bases,
        report,
    })
}
