//! mixsig-chip: chip profiles, mismatch sampling, bias generator, weight formats and noise.
//!
//! Data flow (see `design/chip-profiles.md`):
//!
//! 1. `chip-profiles/X.toml` → [`schema`] (serde, unknown keys rejected) → [`ChipProfile`]
//!    (validated, SI units), with errors naming file, line, key and constraint ([`ProfileError`]).
//! 2. [`ChipProfile`] + bias settings + instance seed → [`ChipInstance`]: per-core nominal parameters
//!    quantized through the core's [`biasgen::BiasGenerator`], then per-device mismatch
//!    ([`mismatch`]) evaluated lazily from identity-keyed random streams ([`rng`]), so a device's
//!    values depend only on (seed, core, neuron or synapse, parameter).
//! 3. [`weights`] turns a stored synaptic weight code into a current; [`noise`] adds shot noise.
//!
//! Shipped profiles: [`ChipProfile::builtin`] (`ideal`, `dynapse2`, `dynapse1`, `fdsoi22`);
//! [`ChipProfile::default_profile`] is `dynapse2`.
#![deny(missing_docs)]

pub mod biasgen;
pub mod error;
pub mod instance;
pub mod mismatch;
pub mod names;
pub mod noise;
pub mod profile;
pub mod rng;
pub mod scale;
pub mod schema;
pub mod stats;
mod validate;
pub mod weights;

pub use biasgen::{BiasCode, BiasGenerator, GeneratorKind, Inverse};
pub use error::ProfileError;
pub use instance::{BiasSettings, BiasValue, ChipInstance, InstanceError};
pub use mismatch::{Device, MismatchModel, Polarity};
pub use noise::ShotNoise;
pub use profile::ChipProfile;
pub use weights::{WeightCode, WeightFormat};
