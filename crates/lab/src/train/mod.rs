//! `mixsig train`: the error-propagation network of the reference paper on emulated silicon — the
//! network preset ([`network`]), the training protocol ([`protocol`]) and what a run produces
//! ([`result`]).

pub mod config;
pub mod errcal;
pub mod netspec;
pub mod network;
pub mod outputs;
pub mod placement;
pub mod protocol;
pub mod result;
pub mod run;
pub mod sweep;
