//! Putting the `mixsig train` preset on a die of a chip profile: which core each population goes
//! to, the biases the preset asks of each core, the weight bases, and the learning-rate mismatch the
//! profile implies ([`profile_eta_sigma`]).
//!
//! On a chip profile the preset is placed on the die with one core per role when the chip has them:
//! hidden neurons on core 0, outputs on core 1, output error neurons on core 2, hidden error neurons on
//! core 3 (fewer cores: the later roles share the last core); with a fixed detector layer `ds` in
//! front of the hidden layer (`xor`), `ds` takes core 3 and the hidden error neurons share core 2
//! with the output error neurons; a network file's `core = N` overrides this. Each core's biases start from the circuit
//! defaults; those the preset changes are set to its values (quantized by the bias generator), and
//! populations sharing a core must ask for the same ones (the chip's design rule; an error otherwise,
//! as in `mixsig sim`); the
//! hidden layer's per-neuron thresholds cannot be expressed as a shared bias, so its core gets their
//! geometric mean (of every per-neuron parameter that varies) and the die's mismatch supplies the
//! spread. With the `dynapse2-mask` weight format
//! the four weight bases of each core form a binary ladder up to the largest weight landing there
//! (the plastic bound for plastic projections), so initial weights land on 16 levels before learning
//! moves them. The plastic projections' learning rates get the lognormal mismatch of the profile's
//! weight transistor (`i_w`, per-device component). [`fan_in`] counts what a neuron of the preset
//! receives, against the chip's synapses per neuron.

use std::collections::BTreeMap;

use mixsig_chip::names::resolve_bias;
use mixsig_chip::{ChipProfile, WeightFormat};
use mixsig_circuits::units::Dimension;
use mixsig_circuits::NeuronParams;
use mixsig_engine::spec::Connectivity;
use mixsig_engine::NetworkSpec;
use serde::Serialize;

use super::run::TrainError;
use crate::calibrate::Correction;
use crate::chipnet::{self, PlacedPopulation, SetBias};
use crate::netfile::{BiasEntry, BiasRequest, ChipSection};

/// The die a run used.
#[derive(Debug, Clone, Serialize)]
pub struct ChipInfo {
    /// Profile name.
    pub profile: String,
    /// Where the profile came from.
    pub origin: String,
    /// Die seed.
    pub instance: u64,
    /// Weight format of the profile.
    pub weight_format: String,
    /// Placement of each population.
    pub placement: Vec<PlacedPopulation>,
    /// Biases the run set, as the generator realized them.
    pub biases: Vec<SetBias>,
    /// Whether the die was calibrated ([`crate::calibrate`]).
    pub calibrated: bool,
    /// What the calibration changed, per core and bias (empty without calibration).
    pub calibration: Vec<Correction>,
    /// What the calibration of the output error pairs chose, per error neuron
    /// ([`super::errcal`]; empty without calibration).
    pub error_pairs: Vec<super::errcal::PairCalibration>,
}

/// Lognormal sigma of a synapse's learning rate on `profile`: the per-device component of the weight
/// transistor's mismatch (`i_w`).
pub fn profile_eta_sigma(profile: &ChipProfile) -> f64 {
    profile
        .mismatch
        .sigmas(
            &profile.layout.device("i_w"),
            &profile.process.operating_point(),
        )
        .local
}

/// Lognormal sigma of a mirrored twin's learning rate relative to its forward synapse on `profile`:
/// the twins share one update circuit, so they differ by the mismatch of their weight capacitors,
/// taken as 1 pF devices (assumed; the profiles give no weight-capacitor size).
pub fn profile_twin_sigma(profile: &ChipProfile) -> f64 {
    profile
        .mismatch
        .sigmas(
            &mixsig_chip::mismatch::Device::Capacitor { c: 1e-12 },
            &profile.process.operating_point(),
        )
        .local
}

/// Core of each population of the preset on a chip with `cores` cores (see the module docs).
/// `detectors`: the network has a fixed detector layer `ds` in front of the hidden layer; it
/// takes core 3, and the hidden error neurons join the output error neurons on core 2 (they have
/// the same parameters, so the core's biases fit both).
fn role_core(name: &str, cores: u32, detectors: bool) -> u32 {
    let want = match name {
        "hid" => 0,
        "out" => 1,
        "eo_p" | "eo_n" => 2,
        "eh_p" | "eh_n" if detectors => 2,
        _ => 3,
    };
    want.min(cores.saturating_sub(1))
}

/// Largest weight each projection may carry: the plastic bound for plastic projections (and their
/// mirrors), the largest initial weight otherwise.
fn projection_max(spec: &NetworkSpec, i: usize) -> f64 {
    for l in &spec.learning {
        if l.projection == i || l.mirrors.contains(&i) {
            return l.w_max;
        }
    }
    let p = &spec.projections[i];
    match &p.connect {
        Connectivity::Dense(w) => w.iter().copied().fold(0.0, f64::max),
        Connectivity::Explicit(t) => t.iter().map(|x| x.2).fold(0.0, f64::max),
        _ => p.weight,
    }
}

/// Place `spec` on a die of `profile` and set its biases to the network's operating point; returns
/// the die description and warnings. `cores[i]` (when given) places population `i` on that core;
/// the others go by role (see the module docs). `extra` are bias settings from a bias file (`mixsig
/// tune` writes one): each overrides what the network would request for that bias on its core(s).
/// `calibrate`: correct the requests of every occupied core for the die's core-level mismatch
/// ([`crate::calibrate`]), as a user calibrates a chip before running on it. Two populations that
/// share a core but ask for different biases break the chip's design rule (a core's neurons share
/// its biases): an error, naming the file and the later population's line when the network came
/// from a file (`origin`: file name and each population's line).
pub fn bind_to_die(
    spec: &mut NetworkSpec,
    cores: &[Option<u32>],
    profile: &ChipProfile,
    instance: u64,
    extra: &[BiasEntry],
    calibrate: bool,
    origin: Option<(&str, &[(String, usize)])>,
) -> Result<(ChipInfo, Vec<String>), TrainError> {
    let n_cores = profile.architecture.cores;
    // An error about population `name`: at its line of the network file when there is one.
    let population_error = |name: &str, key: String, message: String| match origin {
        Some((file, lines)) => TrainError::Network(crate::located::FileError::new(
            file,
            lines.iter().find(|(g, _)| g == name).map_or(0, |x| x.1),
            &key,
            message,
        )),
        None => TrainError::Invalid(message),
    };
    for (i, (p, c)) in spec.populations.iter().zip(cores).enumerate() {
        if let Some(c) = c.filter(|&c| c >= n_cores) {
            let message = format!(
                "core {c} does not exist: profile `{}` has {n_cores} cores (0..{})",
                profile.name,
                n_cores - 1
            );
            return Err(population_error(
                &p.name,
                format!("population[{}].core", i + 1),
                message,
            ));
        }
    }
    let detectors = spec.populations.iter().any(|p| p.name == "ds");
    let mut warnings = Vec::new();
    let mut section = ChipSection {
        cores: spec
            .populations
            .iter()
            .enumerate()
            .map(|(i, p)| {
                Some(
                    cores
                        .get(i)
                        .copied()
                        .flatten()
                        .unwrap_or_else(|| role_core(&p.name, n_cores, detectors)),
                )
            })
            .collect(),
        calibrate,
        ..ChipSection::default()
    };
    // Per-neuron parameters (the preset's hidden thresholds) cannot be biases; a core shares the
    // geometric mean of each parameter that varies.
    let params_of = |p: &mixsig_engine::spec::PopulationSpec| -> NeuronParams {
        let mut q = p.params;
        if let Some(per) = p.per_neuron.as_ref().filter(|v| !v.is_empty()) {
            for f in NeuronParams::FIELDS {
                let vals: Vec<f64> = per
                    .iter()
                    .map(|n| n.field(f.name).expect("field"))
                    .collect();
                if vals.iter().any(|&v| v != vals[0]) && vals.iter().all(|&v| v > 0.0) {
                    let g = (vals.iter().map(|v| v.ln()).sum::<f64>() / vals.len() as f64).exp();
                    *q.field_mut(f.name).expect("field") = g;
                }
            }
        }
        q
    };
    let bias_params: Vec<&'static str> = NeuronParams::FIELDS
        .iter()
        .filter(|f| f.dim == Dimension::Current)
        .map(|f| f.name)
        .filter(|n| resolve_bias(n).is_some())
        .collect();
    // The die starts from the circuit defaults (quantized); request what the preset changes. The first
    // population on a core sets its biases; later ones must ask for the same.
    let circuit_defaults = NeuronParams::default();
    let mut owner: BTreeMap<u32, (String, NeuronParams)> = BTreeMap::new();
    for (pi, p) in spec.populations.iter_mut().enumerate() {
        let core = section.cores[pi].expect("assigned");
        let q = params_of(p);
        match owner.get(&core) {
            None => {
                owner.insert(core, (p.name.clone(), q));
                p.params = q;
                section.param_keys.push(
                    bias_params
                        .iter()
                        .filter(|n| q.field(n) != circuit_defaults.field(n))
                        .map(|n| (n.to_string(), 0))
                        .collect(),
                );
            }
            Some((first, fq)) => {
                let differ: Vec<&str> = bias_params
                    .iter()
                    .copied()
                    .filter(|n| q.field(n) != fq.field(n))
                    .collect();
                if let Some(param) = differ.first() {
                    let show = |q: &NeuronParams| {
                        mixsig_circuits::units::format_quantity(
                            q.field(param).expect("field"),
                            Dimension::Current,
                        )
                    };
                    let message = format!(
                        "design rule: core {core} shares its biases among its neurons, but `{first}` asks for {param} = {} and `{}` for {} ({} parameter(s) differ: {}); give them the same values, or put one on another core (`core = N`; profile `{}` has {n_cores} cores)",
                        show(fq),
                        p.name,
                        show(&q),
                        differ.len(),
                        differ.join(", "),
                        profile.name
                    );
                    return Err(population_error(
                        &p.name,
                        format!("population[{}].params.{param}", pi + 1),
                        message,
                    ));
                }
                section.param_keys.push(Vec::new());
            }
        }
    }
    if profile.weights == WeightFormat::Dynapse2Mask {
        let mut top: BTreeMap<u32, f64> = BTreeMap::new();
        for (i, pr) in spec.projections.iter().enumerate() {
            if let Some(pi) = spec.populations.iter().position(|p| p.name == pr.to) {
                let core = section.cores[pi].expect("assigned");
                let m = projection_max(spec, i);
                let e = top.entry(core).or_insert(0.0);
                *e = e.max(m);
            }
        }
        // Calibrating the error pairs needs room above their design weights to turn a weak
        // synapse up (`errcal::HEADROOM`).
        if calibrate {
            let error_cores: std::collections::BTreeSet<u32> = spec
                .populations
                .iter()
                .zip(&section.cores)
                .filter(|(p, _)| p.name == "eo_p" || p.name == "eo_n")
                .filter_map(|(_, c)| *c)
                .collect();
            for c in error_cores {
                if let Some(m) = top.get_mut(&c) {
                    *m *= super::errcal::HEADROOM;
                }
            }
        }
        for (core, m) in top {
            if m > 0.0 {
                for k in 0..4 {
                    section.biases.push(BiasEntry {
                        core: Some(core),
                        name: format!("w{k}"),
                        request: BiasRequest::Current(m * f64::from(1u32 << k) / 15.0),
                        line: 0,
                        index: 0,
                        file: None,
                    });
                }
            }
        }
    }
    // Bias-file settings win over the network's requests for the same bias on the same core.
    for e in extra {
        if let Some(param) = resolve_bias(&e.name).map(|b| b.target.name()) {
            for (pi, keys) in section.param_keys.iter_mut().enumerate() {
                if e.core.is_none() || e.core == section.cores[pi] {
                    keys.retain(|(k, _)| k != param);
                }
            }
            section.biases.retain(|b| {
                !(resolve_bias(&b.name).map(|x| x.target.name()) == Some(param)
                    && (e.core.is_none() || b.core == e.core))
            });
        }
        section.biases.push(e.clone());
    }
    let run = chipnet::bind(
        spec,
        &section,
        profile,
        instance,
        origin.map_or("train preset", |(f, _)| f),
    )?;
    for b in &run.biases {
        if let Some(w) = &b.report.warning {
            warnings.push(format!("core {} {}: {w}", b.core, b.report.bias));
        }
    }
    spec.chip = Some(run.binding);
    Ok((
        ChipInfo {
            profile: profile.name.clone(),
            origin: profile.origin.clone(),
            instance,
            weight_format: profile.weights.name().to_string(),
            placement: run.placement,
            biases: run.biases,
            calibrated: calibrate,
            calibration: run.calibration,
            error_pairs: Vec::new(),
        },
        warnings,
    ))
}

/// The largest number of synapses any neuron of population `pop` receives in `spec` (dense and
/// all-to-all projections give one per pre neuron, one-to-one one, explicit ones count their
/// entries; random ones count their pre population's size, an upper bound).
pub fn fan_in(spec: &NetworkSpec, pop: &str) -> usize {
    let size = |name: &str| {
        spec.populations
            .iter()
            .map(|p| (&p.name, p.size))
            .chain(spec.sources.iter().map(|s| (&s.name, s.size)))
            .find(|(n, _)| n.as_str() == name)
            .map_or(0, |(_, k)| k)
    };
    let mut per = vec![0usize; size(pop)];
    for p in spec.projections.iter().filter(|p| p.to == pop) {
        match &p.connect {
            Connectivity::Explicit(t) => {
                for &(_, post, _) in t {
                    if let Some(c) = per.get_mut(post as usize) {
                        *c += 1;
                    }
                }
            }
            Connectivity::OneToOne => per.iter_mut().for_each(|c| *c += 1),
            _ => per.iter_mut().for_each(|c| *c += size(&p.from)),
        }
    }
    per.into_iter().max().unwrap_or(0)
}
