//! mixsig-engine: a network description ([`spec`]) built into structure-of-arrays state
//! ([`network::Network`]) and stepped in a fixed, printable order; spike sources, projections with
//! delays, DC schedules and recorders.
//!
//! ```
//! use mixsig_engine::spec::*;
//! use mixsig_engine::network::Network;
//!
//! let mut spec = NetworkSpec::default();
//! spec.populations.push(PopulationSpec::new("n", 4, ModelKind::Dynapsim));
//! spec.dc.push(DcSpec { population: "n".into(), neurons: None, steps: vec![(0.0, 5e-10)] });
//! let mut net = Network::build(&spec, 1e-5, 1).unwrap();
//! net.run(0.5);
//! assert_eq!(net.rec.counts[0], 4 * 16); // 16 spikes each, as Rockpool DynapSim
//! ```
#![deny(missing_docs)]

mod build;
pub mod chip;
pub mod network;
pub mod plasticity;
pub mod population;
pub mod projection;
pub mod record;
pub mod source;
pub mod spec;

pub use network::{BuildError, Network};
pub use spec::NetworkSpec;
