//! Rate targets: the spike threshold `SOIF_SPKTHR_P` tuned by bisection over its codes on the
//! nominal die (one simulated neuron at the target's DC input, the core's other tuned biases in
//! place), then its yield over the sampled dies.

use std::collections::BTreeMap;
use std::sync::Arc;

use mixsig_chip::{BiasCode, BiasSettings, BiasValue, ChipInstance, ChipProfile};
use mixsig_engine::spec::{
    ChipBinding, DcSpec, ModelKind, NetworkSpec, PopulationSpec, RecordSpec,
};
use mixsig_engine::Network;
use rayon::prelude::*;

use super::targets::Target;
use super::{nonmonotonic_warning, step_at, TuneError, TuneOptions, Tuned};

/// Firing rate of neuron (core, 0) of `die` at DC `input`.
fn rate_on(
    die: Arc<ChipInstance>,
    core: u32,
    input: f64,
    opts: &TuneOptions,
) -> Result<f64, TuneError> {
    let spec = NetworkSpec {
        populations: vec![PopulationSpec {
            name: "neuron".into(),
            size: 1,
            model: ModelKind::Physical(Default::default()),
            params: die.core(core).nominal,
            per_neuron: None,
        }],
        dc: vec![DcSpec {
            population: "neuron".into(),
            neurons: None,
            steps: vec![(0.0, input)],
        }],
        record: RecordSpec {
            spikes: Some(vec!["neuron".into()]),
            stride: 1,
            ..Default::default()
        },
        chip: Some(ChipBinding {
            instance: die,
            sites: vec![vec![(core, 0)]],
        }),
        ..Default::default()
    };
    let mut net = Network::build(&spec, opts.dt, 0).map_err(|e| TuneError::Sim(e.to_string()))?;
    let steps = net.steps_for(opts.rate_duration);
    net.run_observed(steps, steps.max(1), |_| {});
    Ok(net.rec.spikes.len() as f64 / (steps as f64 * opts.dt))
}

fn settings_with(
    profile: &ChipProfile,
    core: u32,
    chosen: &BTreeMap<&'static str, BiasCode>,
    extra: Option<(&str, BiasCode)>,
) -> BiasSettings {
    let mut s = BiasSettings::from_profile(profile);
    for (b, c) in chosen.iter().map(|(b, c)| (*b, *c)).chain(extra) {
        s.set(Some(core), b, BiasValue::Code(c))
            .expect("valid bias and core");
    }
    s
}

pub(super) fn tune_rate(
    profile: &ChipProfile,
    nominal_profile: &ChipProfile,
    dies: &[ChipInstance],
    core: u32,
    t: &Target,
    chosen: &BTreeMap<&'static str, BiasCode>,
    opts: &TuneOptions,
) -> Result<(Tuned, Vec<bool>), TuneError> {
    let bias = "SOIF_SPKTHR_P";
    let input = t.input.unwrap_or(1e-9);
    let gen = nominal_profile.bias_generator.realize(0, core, bias);
    // Codes by increasing nominal current (fine > 0), one per distinct current.
    let mut codes: Vec<(f64, BiasCode)> = gen
        .codes()
        .filter(|c| c.fine > 0)
        .map(|c| (gen.current(c).unwrap_or(0.0), c))
        .collect();
    codes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    codes.dedup_by(|a, b| a.0 == b.0);
    let rate = |code: BiasCode| -> Result<f64, TuneError> {
        let s = settings_with(nominal_profile, core, chosen, Some((bias, code)));
        let die = ChipInstance::with_biases(nominal_profile, 0, &s)
            .map_err(|e| TuneError::Invalid(e.to_string()))?;
        rate_on(Arc::new(die), core, input, opts)
    };
    // The rate falls as the threshold current rises: bisect for the first code below the target.
    let (mut lo, mut hi) = (0usize, codes.len() - 1);
    let r_lo = rate(codes[lo].1)?;
    let r_hi = rate(codes[hi].1)?;
    let in_range = (r_hi.min(r_lo)..=r_hi.max(r_lo)).contains(&t.value);
    let mut evaluated: Vec<(usize, f64)> = vec![(lo, r_lo), (hi, r_hi)];
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        let r = rate(codes[mid].1)?;
        evaluated.push((mid, r));
        if r >= t.value {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let (best_idx, best_rate) = evaluated
        .iter()
        .copied()
        .min_by(|a, b| {
            (a.1 / t.value - 1.0)
                .abs()
                .total_cmp(&(b.1 / t.value - 1.0).abs())
        })
        .expect("evaluated");
    let code = codes[best_idx].1;
    let pass: Vec<bool> = dies
        .par_iter()
        .map(|d| {
            let s = settings_with(profile, core, chosen, Some((bias, code)));
            let die = ChipInstance::with_biases(profile, d.seed(), &s)
                .map_err(|e| TuneError::Invalid(e.to_string()))?;
            let r = rate_on(Arc::new(die), core, input, opts)?;
            Ok((r / t.value - 1.0).abs() <= t.tolerance)
        })
        .collect::<Result<_, TuneError>>()?;
    let y = pass.iter().filter(|&&p| p).count() as f64 / pass.len().max(1) as f64;
    let mut warnings = Vec::new();
    if !in_range {
        warnings.push(format!(
            "rate target {} Hz at {input:.3e} A is outside what the spike threshold reaches on the nominal die ({r_lo:.1}..{r_hi:.1} Hz): the closest code is used",
            t.value
        ));
    }
    warnings.extend(nonmonotonic_warning(profile, dies, core, bias, code));
    Ok((
        Tuned {
            core,
            key: t.key.clone(),
            bias: bias.into(),
            target: t.value,
            unit: "Hz".into(),
            tolerance: t.tolerance,
            target_current: codes[best_idx].0,
            code,
            current: codes[best_idx].0,
            achieved: best_rate,
            rel_error: best_rate / t.value - 1.0,
            step: step_at(&gen, code),
            yield_fraction: y,
            neuron_yield: y,
            in_range,
            warnings,
        },
        pass,
    ))
}
