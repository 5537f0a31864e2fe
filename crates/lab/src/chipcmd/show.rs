//! `mixsig chip show`: the readable summary of a profile (process, architecture, mismatch model,
//! layout, bias generator, weight format and the default biases on the nominal die), the list of
//! built-in profiles, and `profile.json`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mixsig_chip::biasgen::{BiasGenSpec, GeneratorKind};
use mixsig_chip::names;
use mixsig_chip::profile::{BiasSharing, BUILTIN};
use mixsig_chip::{BiasValue, Device, MismatchModel, Polarity, WeightFormat};
use mixsig_circuits::units::Dimension;

use super::{model_cv, param_sigmas, q, ChipCmdError, ChipInstance, ChipProfile};
use crate::output::write_atomic;

/// `mixsig chip show --list`: one line per built-in profile (name, flag, description).
pub fn list_builtins() -> String {
    let mut s = String::new();
    for name in BUILTIN {
        match ChipProfile::builtin(name) {
            Ok(p) => {
                let _ = writeln!(
                    s,
                    "{name:<10} {:<13} {}",
                    if p.hypothetical {
                        "hypothetical"
                    } else {
                        "silicon"
                    },
                    p.description
                );
            }
            Err(e) => {
                let _ = writeln!(s, "{name:<10} (invalid: {e})");
            }
        }
    }
    s
}

fn um(m: f64) -> String {
    let s = format!("{:.3}", m * 1e6);
    format!("{} um", s.trim_end_matches('0').trim_end_matches('.'))
}

fn describe_device(d: &Device) -> String {
    match *d {
        Device::Transistor { w, l, polarity } => format!(
            "{}-FET W/L = {}/{}",
            match polarity {
                Polarity::N => "n",
                Polarity::P => "p",
            },
            um(w),
            um(l)
        ),
        Device::Capacitor { c } => format!("C = {}", q(c, Dimension::Capacitance)),
    }
}

fn generator_kind_line(g: &BiasGenSpec) -> String {
    match &g.kind {
        GeneratorKind::Exact => "exact (any current passes through unchanged, no codes)".into(),
        GeneratorKind::Parametric(p) => format!(
            "parametric, style {}: {} coarse ranges x {}-bit fine DAC",
            p.style,
            p.coarse_currents.len(),
            p.fine_bits
        ),
        GeneratorKind::Table(t) => format!(
            "measured table {} ({} curve(s): {})",
            t.path,
            t.curves.len(),
            t.curves.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The weight format in words.
pub fn weight_format_line(w: &WeightFormat) -> String {
    match *w {
        WeightFormat::Dynapse2Mask => {
            "dynapse2-mask: 4-bit mask per synapse over the four per-core base currents SYAM_W0_P..SYAM_W3_P (I_w = sum_k b_k*I_wk, 16 levels)".into()
        }
        WeightFormat::Dynapse1Type => {
            "dynapse1-type: one weight bias per synapse type per core (base k = type index)".into()
        }
        WeightFormat::Analog { i_max } => format!(
            "analog: x in [0, 1], I_w = x*i_max, i_max = {}",
            q(i_max, Dimension::Current)
        ),
        WeightFormat::NBit { bits, i_max } => format!(
            "n-bit: {bits} bits, I_w = level/{}*i_max, i_max = {}",
            (1u64 << bits) - 1,
            q(i_max, Dimension::Current)
        ),
    }
}

/// The profile with the bias generator's branch and coarse mismatch switched off: the transfer
/// curves of the nominal die.
pub fn nominal_generator_spec(p: &ChipProfile) -> BiasGenSpec {
    let mut g = p.bias_generator.clone();
    if let GeneratorKind::Parametric(pg) = &mut g.kind {
        pg.branch_sigma = 0.0;
        pg.coarse_sigma = 0.0;
    }
    g
}

/// The nominal die of `p`: no device mismatch, no corner, no bias-generator mismatch; its core 0
/// reports what the profile's default biases achieve.
pub fn nominal_die(p: &ChipProfile) -> ChipInstance {
    let mut n = p.clone();
    n.mismatch = MismatchModel::None;
    n.process.vt_offset_n = 0.0;
    n.process.vt_offset_p = 0.0;
    n.bias_generator = nominal_generator_spec(p);
    ChipInstance::sample(&n, 0)
}

fn bias_value_str(v: &BiasValue) -> String {
    match v {
        BiasValue::Current(i) => q(*i, Dimension::Current),
        BiasValue::Code(c) => format!("code {c}"),
    }
}

/// Write `profile.json` (the validated profile, SI units) into `out`.
pub fn write_profile_json(p: &ChipProfile, out: &Path) -> Result<Vec<PathBuf>, ChipCmdError> {
    let f = out.join("profile.json");
    let text = serde_json::to_string_pretty(p).expect("profile serializes");
    write_atomic(&f, format!("{text}\n").as_bytes())?;
    Ok(vec![f])
}

/// `mixsig chip show`: a readable summary of a profile.
pub fn profile_summary(p: &ChipProfile) -> String {
    let mut s = String::new();
    let pr = &p.process;
    let a = &p.architecture;
    let _ = writeln!(s, "profile {}  ({})", p.name, p.origin);
    let _ = writeln!(s, "  {}", p.description);
    let _ = writeln!(
        s,
        "  hypothetical: {}",
        if p.hypothetical {
            "yes (a design without silicon)"
        } else {
            "no (modelled on a real chip)"
        }
    );

    let _ = writeln!(s, "\nprocess");
    if let Some(node) = pr.node {
        let _ = writeln!(s, "  node          {:.0} nm", node * 1e9);
    }
    let _ = writeln!(
        s,
        "  I_0           {}\n  kappa_n       {}\n  kappa_p       {}",
        q(pr.i_0, Dimension::Current),
        pr.kappa_n,
        pr.kappa_p
    );
    let _ = writeln!(
        s,
        "  temperature   {:.2} K ({:.2} degC), U_T = {}",
        pr.temperature,
        pr.temperature - 273.15,
        q(pr.u_t, Dimension::Voltage)
    );
    let _ = writeln!(s, "  supply        {}", q(pr.supply, Dimension::Voltage));
    let _ = writeln!(
        s,
        "  corner        {} (global V_T offsets n {}, p {})",
        pr.corner.as_deref().unwrap_or("-"),
        q(pr.vt_offset_n, Dimension::Voltage),
        q(pr.vt_offset_p, Dimension::Voltage)
    );

    let _ = writeln!(s, "\narchitecture");
    let _ = writeln!(
        s,
        "  cores         {}\n  neurons       {} per core, {} in total\n  synapses      {} per neuron",
        a.cores,
        a.neurons_per_core,
        p.total_neurons(),
        a.synapses_per_neuron
    );
    let _ = writeln!(
        s,
        "  synapse types {}",
        a.synapse_types
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "  bias sharing  {}",
        match a.bias_sharing {
            BiasSharing::Core => "per core (every neuron of a core gets the same nominal bias)",
            BiasSharing::Neuron => "per neuron",
        }
    );

    let _ = writeln!(s, "\nmismatch model: {}", p.mismatch.name());
    match p.mismatch {
        MismatchModel::None => {
            let _ = writeln!(s, "  every device is nominal");
        }
        MismatchModel::Physical(m) => {
            let _ = writeln!(
                s,
                "  Pelgrom A_VT  n {:.3} mV*um, p {:.3} mV*um; A_beta {:.3} %*um",
                m.a_vt_n * 1e9,
                m.a_vt_p * 1e9,
                m.a_beta * 1e8
            );
            let _ = writeln!(
                s,
                "  capacitors    {:.3} % at {} (sigma ~ sqrt(C_ref/C))",
                m.cap_sigma * 100.0,
                q(m.cap_ref, Dimension::Capacitance)
            );
            let _ = writeln!(
                s,
                "  die-to-die    sigma_VT {}, capacitors {:.3} % (one draw per die for each device class: n-FETs, p-FETs, capacitors)",
                q(m.sigma_vt_global, Dimension::Voltage),
                m.cap_sigma_global * 100.0
            );
            let _ = writeln!(
                s,
                "  core-to-core  sigma_VT {}, capacitors {:.3} % (one draw per core and device class)",
                q(m.sigma_vt_core, Dimension::Voltage),
                m.cap_sigma_core * 100.0
            );
        }
        MismatchModel::GaussianPercent(c) | MismatchModel::TruncatedGaussian(c) => {
            let _ = writeln!(
                s,
                "  x*(1 + sigma*N(0,1)){}: device {:.3} %, core {:.3} %, die {:.3} % (core and die: one draw per device class)",
                if matches!(p.mismatch, MismatchModel::TruncatedGaussian(_)) {
                    " truncated at 0"
                } else {
                    ""
                },
                c.sigma * 100.0,
                c.sigma_core * 100.0,
                c.sigma_global * 100.0
            );
        }
    }

    let sig_head = match p.mismatch {
        MismatchModel::Physical(_) => "sigma_ln",
        _ => "sigma",
    };
    let _ = writeln!(
        s,
        "\nlayout (devices behind mismatched parameters; * = the default transistor)"
    );
    let _ = writeln!(
        s,
        "  {:<11} {:<14} {:<26} {:>9} {:>9}",
        "block", "parameter", "device", sig_head, "model CV"
    );
    for (block, params) in names::BLOCKS {
        for name in *params {
            let d = p.layout.device(name);
            let listed = p.layout.devices.contains_key(*name);
            let sg = param_sigmas(p, name);
            let _ = writeln!(
                s,
                "  {:<11} {:<14} {:<26} {:>9.4} {:>8.2}%",
                block,
                name,
                format!("{}{}", describe_device(&d), if listed { "" } else { " *" }),
                sg.local,
                100.0 * model_cv(&p.mismatch, sg.local)
            );
        }
    }

    let g = &p.bias_generator;
    let _ = writeln!(s, "\nbias generator: {}", generator_kind_line(g));
    if let GeneratorKind::Parametric(pg) = &g.kind {
        let _ = writeln!(
            s,
            "  coarse ranges {}",
            pg.coarse_currents
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{i}: {}", q(*c, Dimension::Current)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(
            s,
            "  fine          {} bits ({} levels), floor {} at fine 0",
            pg.fine_bits,
            pg.fine_levels(),
            q(pg.floor, Dimension::Current)
        );
        let _ = writeln!(
            s,
            "  mismatch      unit branch sigma {:.2} %, coarse range sigma {:.2} %",
            pg.branch_sigma * 100.0,
            pg.coarse_sigma * 100.0
        );
    }
    if !g.scale.is_empty() {
        let _ = writeln!(
            s,
            "  scale factors {}",
            g.scale
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    let _ = writeln!(s, "\nweights: {}", weight_format_line(&p.weights));
    let _ = writeln!(
        s,
        "noise: shot noise {}",
        if p.noise.shot {
            "on (S_I = 2qI)"
        } else {
            "off"
        }
    );

    let die = nominal_die(p);
    let _ = writeln!(
        s,
        "\ndefault biases on the nominal die (no mismatch); [biases] = set in the profile, else the circuit default"
    );
    let _ = writeln!(
        s,
        "  {:<14} {:<12} {:>12} {:<22} {:>12} {:>9}  source",
        "bias", "sets", "requested", "code", "achieved", "error"
    );
    for r in &die.core(0).report {
        let _ = writeln!(
            s,
            "  {:<14} {:<12} {:>12} {:<22} {:>12} {:>8.2}%  {}{}",
            r.bias,
            r.target,
            bias_value_str(&r.requested),
            r.code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "exact".into()),
            q(r.current, Dimension::Current),
            r.rel_error * 100.0,
            if p.default_biases.contains_key(&r.bias) {
                "[biases]"
            } else {
                "default"
            },
            r.warning
                .as_ref()
                .map(|w| format!("  warning: {w}"))
                .unwrap_or_default()
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chipcmd::{builtin_names, load_profile};

    #[test]
    fn every_builtin_summarizes() {
        for n in builtin_names() {
            let p = load_profile(n).unwrap();
            let s = profile_summary(&p);
            assert!(s.contains(&format!("cores         {}", p.architecture.cores)));
        }
    }
}
