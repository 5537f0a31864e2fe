//! mixsig: a behavioral emulator of mixed-signal neuromorphic chips.
//!
//! This facade crate re-exports the workspace crates so that users (and the
//! workspace-level tests under `tests/`) can depend on one name:
//!
//! - [`circuits`]: subthreshold physics, DPI synapse, AdExp DPI neuron (physical and `dynapsim` variants);
//! - [`chip`]: chip profiles, mismatch sampling, bias generator, weight formats, noise;
//! - [`engine`]: networks as structure-of-arrays state, spike routing, recorders, the stepping loop;
//! - [`lab`]: file formats, run outputs and plots.
#![deny(missing_docs)]

pub use mixsig_chip as chip;
pub use mixsig_circuits as circuits;
pub use mixsig_engine as engine;
pub use mixsig_lab as lab;
