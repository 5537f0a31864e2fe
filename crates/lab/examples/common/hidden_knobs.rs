//! The hidden-layer structure knobs shared by the `hidden_separability` and `train_tune` examples,
//! read from the environment: coincidence detectors NCOINC, WCOINC, CFLO/CFHI (fan-in range),
//! COINCINH; integrators NINTEG, WINTS, WINTF; ramp groups RAMPG, group-local detectors RAMPLOCAL and random-order detectors RAMPSHUF (1 on, 0 off).
use mixsig_lab::train::network::NetConfig;

/// An environment variable parsed as a number (`None` when unset or not a number).
pub fn env_f64(k: &str) -> Option<f64> {
    std::env::var(k).ok().and_then(|v| v.parse::<f64>().ok())
}

/// Override the hidden-layer structure fields of `cfg` that are set in the environment.
pub fn apply(cfg: &mut NetConfig) {
    let f = env_f64;
    if let Some(v) = f("NCOINC") {
        cfg.n_coinc = v as usize;
    }
    if let Some(v) = f("WCOINC") {
        cfg.w_coinc = v;
    }
    if let Some(v) = f("CFLO") {
        cfg.coinc_fanin.0 = v as usize;
    }
    if let Some(v) = f("CFHI") {
        cfg.coinc_fanin.1 = v as usize;
    }
    if let Some(v) = f("COINCINH") {
        cfg.coinc_inh = v;
    }
    if let Some(v) = f("NINTEG") {
        cfg.n_integ = v as usize;
    }
    if let Some(v) = f("WINTS") {
        cfg.w_integ_slow = v;
    }
    if let Some(v) = f("WINTF") {
        cfg.w_integ_fast = v;
    }
    if let Some(v) = f("RAMPG") {
        cfg.ramp_groups = v as usize;
    }
    if std::env::var("RAMPLOCAL").is_ok() {
        cfg.ramp_group_local = true;
    }
    if let Ok(v) = std::env::var("RAMPSHUF") {
        cfg.ramp_shuffle = v != "0";
    }
}
