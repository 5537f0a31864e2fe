//! mixsig-lab: what sits between the engine and a user: network files, run outputs (CSV, JSON),
//! plots, and experiments composed of simulations (F–I curves, ...).
#![deny(missing_docs)]

pub mod calibrate;
pub mod chipcmd;
pub mod chipnet;
pub mod fi;
pub mod located;
pub mod netfile;
pub mod output;
pub mod plot;
pub mod report;
pub mod sim;
pub mod spikelist;
pub mod sweep;
pub mod tasks;
pub mod train;
pub mod trials;
pub mod tune;
