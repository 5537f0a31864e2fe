//! The hidden-layer structure knobs shared by the `hidden_separability` and `train_tune` examples,
//! read from the environment: coincidence detectors NCOINC, WCOINC, CFLO/CFHI (fan-in range),
//! COINCINH; integrators NINTEG, WINTS, WINTF; ramp groups RAMPG, group-local detectors RAMPLOCAL and random-order detectors RAMPSHUF (1 on, 0 off);
//! the conjunction layer NCONJ (0: none), WCONJ, CONJSPREAD, WCONJINH, WCONJMAX; W1's zero-sum
//! updates W1ZS (1 on, 0 off) and pre trace TAUPRE1 (s).
use mixsig_chip::ChipProfile;
use mixsig_engine::spec::{Connectivity, NetworkSpec};
use mixsig_lab::tasks::Pattern;
use mixsig_lab::train::network::NetConfig;

/// Stop the harness with a message naming the bad knob (exit 2): a typo must not silently run the
/// preset and be reported as a screen of the knob.
pub fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2)
}

/// An environment variable parsed as a number (`None` when unset; exits with an error naming the
/// variable and value when it is set but not a finite number).
pub fn env_f64(k: &str) -> Option<f64> {
    let v = std::env::var(k).ok()?;
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Some(x),
        _ => fail(&format!("environment {k}={v:?} is not a finite number")),
    }
}

/// An on/off environment variable: unset or `0` is off, `1` is on; any other value exits with an
/// error naming the variable (so that `RAMPLOCAL=0` cannot switch a knob on).
pub fn env_flag(k: &str) -> bool {
    match std::env::var(k) {
        Err(_) => false,
        Ok(v) => match v.trim() {
            "0" => false,
            "1" => true,
            _ => fail(&format!("environment {k}={v:?} is not 0 or 1")),
        },
    }
}

/// The chip profile named by the environment variable PROFILE (built-in name or TOML path), if set.
pub fn env_profile() -> Option<ChipProfile> {
    let name = std::env::var("PROFILE").ok()?;
    Some(
        ChipProfile::builtin_or_load(&name)
            .unwrap_or_else(|e| fail(&format!("environment PROFILE={name:?}: {e}"))),
    )
}

/// The task named by the first argument (`order` when absent; exits on an unknown name, listing the
/// valid ones: the library's `Pattern::from_str`).
pub fn pattern_arg(arg: Option<&str>) -> Pattern {
    arg.unwrap_or("order")
        .parse()
        .unwrap_or_else(|e: String| fail(&e))
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
        cfg.ramp_group_local = env_flag("RAMPLOCAL");
    }
    if std::env::var("RAMPSHUF").is_ok() {
        cfg.ramp_shuffle = env_flag("RAMPSHUF");
    }
    if let Some(v) = f("NCONJ") {
        cfg.n_conj = v as usize;
    }
    for (k, v) in [
        ("WCONJ", &mut cfg.w_conj),
        ("CONJSPREAD", &mut cfg.conj_spread),
        ("WCONJINH", &mut cfg.w_conj_inh),
        ("WCONJMAX", &mut cfg.w_conj_max),
    ] {
        if let Some(x) = f(k) {
            *v = x;
        }
    }
    if std::env::var("W1ZS").is_ok() {
        cfg.w1_zero_sum = env_flag("W1ZS");
    }
    if let Some(v) = f("TAUPRE1") {
        cfg.tau_pre_w1 = Some(v);
    }
}

/// The `xor` conjunction probe (group-local detectors): with XW set, hand-set the fast (W1) weights
/// of the group-A detectors (even `h`) from group B's channels to a ramp of height XW over the channel
/// index, shaped by XRAMP (`default_shape` when unset): 1 rising, -1 falling, 0 flat, 2 rising on
/// `h % 4 == 0` and falling on `h % 4 == 2`.
pub fn cross_ramp(
    spec: &mut NetworkSpec,
    w1: Option<usize>,
    cfg: &NetConfig,
    n_in: usize,
    default_shape: f64,
) {
    let (Some(xw), Some(w1)) = (env_f64("XW"), w1) else {
        return;
    };
    if cfg.n_conj > 0 {
        fail("XW sets the detectors' cross-group W1 weights: it needs NCONJ=0 (no conjunction layer)");
    }
    let shape = env_f64("XRAMP").unwrap_or(default_shape);
    let nh = cfg.n_hidden + cfg.n_coinc + cfg.n_integ;
    if let Connectivity::Dense(w) = &mut spec.projections[w1].connect {
        for i in n_in / 2..n_in {
            let x = (i - n_in / 2) as f64 / (n_in - n_in / 2 - 1) as f64;
            for h in (0..cfg.n_hidden).step_by(2) {
                let f = match shape {
                    s if s > 1.5 => {
                        if h % 4 == 0 {
                            x
                        } else {
                            1.0 - x
                        }
                    }
                    s if s > 0.0 => x,
                    s if s < 0.0 => 1.0 - x,
                    _ => 1.0,
                };
                w[i * nh + h] = xw * f;
            }
        }
    }
}
