//! mixsig-circuits: the subthreshold circuit models of mixsig, in SI units.
//!
//! - [`units`]: constants, `U_T` from temperature, parsing of quantities with units;
//! - [`transistor`]: subthreshold MOSFET helpers and process constants;
//! - [`params`]: parameters by name with dimensions;
//! - [`synapse`]: the DPI synapse with pulse extender, integrated exactly;
//! - [`neuron`]: the physical AdExp DPI neuron with four synapse types and AHP;
//! - [`learning`]: spike traces, the calcium stop-learning window, weight storage formats;
//! - [`dynapsim`]: the variant that reproduces Rockpool DynapSim 3.1 step for step.
//!
//! Each model is a documented parameter struct plus an exact update or a right-hand side; the
//! engine calls the same functions in its structure-of-arrays loops.
#![deny(missing_docs)]

pub mod dynapsim;
pub mod learning;
pub mod neuron;
pub mod params;
pub mod synapse;
pub mod transistor;
pub mod units;

pub use neuron::{Feedback, NeuronParams};
pub use params::{NamedParams, ParamError, ParamInfo};
pub use synapse::SynapseType;
pub use transistor::Process;
