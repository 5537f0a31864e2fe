//! Building a [`Network`] from a [`NetworkSpec`]: every element is validated once here, with errors
//! naming it, so that the stepping loop runs on plain data without checks. One function per part of
//! the network, in build order: names, sources, populations (with their die), projections (weights
//! through the die's format, fan-in), DC schedules, recorders, learning circuits.

use std::collections::HashSet;

use mixsig_circuits::{NeuronParams, SynapseType};

use crate::network::{invalid, BuildError, DcChange, Network};
use crate::population::Population;
use crate::projection::{PreRef, Projection, Table};
use crate::record::{Probe, Recorder};
use crate::source::SourcePop;
use crate::spec::{Connectivity, ModelKind, NetworkSpec};

impl Network {
    /// Build a network from its description at step `dt` with run seed `seed`.
    pub fn build(spec: &NetworkSpec, dt: f64, seed: u64) -> Result<Network, BuildError> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(invalid("simulation", format!("dt = {dt:e} s must be > 0")));
        }
        check_names(spec)?;
        let sources = build_sources(spec, dt, seed)?;
        let pops = build_populations(spec, dt, seed)?;
        let (mut projections, gains, warnings) = build_projections(spec, dt, seed)?;
        let dc = build_dc(spec, dt)?;
        let rec = build_recorder(spec, &pops, dt)?;
        let learners = build_learners(spec, &mut projections, &gains, dt, seed)?;
        let step_split = crate::network::split_point(&pops);
        Ok(Network {
            step_split,
            learners,
            learning_on: true,
            eta_scale: 1.0,
            dt,
            k: 0,
            sources,
            pops,
            projections,
            rec,
            warnings,
            dc,
            dc_pos: 0,
            scratch: Vec::new(),
        })
    }
}

/// Every source and population name, for messages.
fn known(spec: &NetworkSpec) -> String {
    spec.sources
        .iter()
        .map(|s| s.name.as_str())
        .chain(spec.populations.iter().map(|p| p.name.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Index of the neuron population `name`.
fn pop_index(spec: &NetworkSpec, name: &str, context: &str) -> Result<usize, BuildError> {
    spec.populations
        .iter()
        .position(|p| p.name == name)
        .ok_or_else(|| BuildError::UnknownPopulation {
            context: context.into(),
            name: name.into(),
            known: known(spec),
        })
}

fn check_names(spec: &NetworkSpec) -> Result<(), BuildError> {
    let mut names = HashSet::new();
    for n in spec
        .sources
        .iter()
        .map(|s| &s.name)
        .chain(spec.populations.iter().map(|p| &p.name))
    {
        if !names.insert(n.clone()) {
            return Err(BuildError::DuplicateName(n.clone()));
        }
    }
    Ok(())
}

fn build_sources(spec: &NetworkSpec, dt: f64, seed: u64) -> Result<Vec<SourcePop>, BuildError> {
    let mut sources = Vec::new();
    for s in &spec.sources {
        let ctx = format!("source `{}`", s.name);
        if s.size == 0 {
            return Err(invalid(ctx, "size must be > 0"));
        }
        match &s.kind {
            crate::spec::SourceKind::Regular { rate, phase } => {
                if !(rate.is_finite() && *rate > 0.0) {
                    return Err(invalid(ctx, format!("rate = {rate} Hz must be > 0")));
                }
                if !(phase.is_finite() && *phase >= 0.0) {
                    return Err(invalid(ctx, format!("phase = {phase} s must be >= 0")));
                }
            }
            crate::spec::SourceKind::Poisson { rate } => {
                if !(rate.is_finite() && *rate >= 0.0) {
                    return Err(invalid(ctx, format!("rate = {rate} Hz must be >= 0")));
                }
            }
            crate::spec::SourceKind::List { times } => {
                if times.len() > s.size {
                    return Err(invalid(
                        ctx,
                        format!(
                            "spike list names {} channels but size is {}",
                            times.len(),
                            s.size
                        ),
                    ));
                }
                if let Some(t) = times
                    .iter()
                    .flatten()
                    .find(|t| !(t.is_finite() && **t >= 0.0))
                {
                    return Err(invalid(
                        ctx,
                        format!("spike time {t} s must be finite and >= 0"),
                    ));
                }
            }
        }
        sources.push(SourcePop::new(s, dt, seed));
    }

    Ok(sources)
}

fn build_populations(
    spec: &NetworkSpec,
    dt: f64,
    seed: u64,
) -> Result<Vec<Population>, BuildError> {
    let chip_params = match &spec.chip {
        Some(b) => Some(crate::chip::site_params(spec, b)?),
        None => None,
    };
    let mut pops = Vec::new();
    for (pi, p) in spec.populations.iter().enumerate() {
        let ctx = format!("population `{}`", p.name);
        if p.size == 0 {
            return Err(invalid(ctx, "size must be > 0"));
        }
        let params: Vec<NeuronParams> = match (&chip_params, &p.per_neuron) {
            (Some(cp), _) => cp[pi].clone(),
            (None, per_neuron) => match per_neuron {
                Some(v) if v.len() != p.size => {
                    return Err(invalid(
                        ctx,
                        format!(
                            "{} per-neuron parameter sets for {} neurons",
                            v.len(),
                            p.size
                        ),
                    ))
                }
                Some(v) => v.clone(),
                None => vec![p.params; p.size],
            },
        };
        let heterogeneous = p.per_neuron.is_some() || chip_params.is_some();
        for q in params.iter().take(if heterogeneous { p.size } else { 1 }) {
            q.validate()
                .map_err(|e| invalid(ctx.clone(), e.to_string()))?;
        }
        let mut pop = Population::new(&p.name, p.model, params, dt);
        if let Some(b) = &spec.chip {
            let src = b.instance.noise();
            if src.enabled() {
                pop.noise = Some(crate::chip::PopNoise::new(src, &b.sites[pi], seed));
            }
        }
        pops.push(pop);
    }
    Ok(pops)
}

/// Built projections, the per-synapse output gains of plastic projections on a die (indexed by
/// projection; `None`: gain 1), and warnings.
type BuiltProjections = (Vec<Projection>, Vec<Option<Vec<f64>>>, Vec<String>);

fn build_projections(
    spec: &NetworkSpec,
    dt: f64,
    seed: u64,
) -> Result<BuiltProjections, BuildError> {
    let mut slots: Vec<Vec<u32>> = spec.populations.iter().map(|p| vec![0; p.size]).collect();
    // Plastic projections (and their mirrors) keep their weights in the learning circuits.
    let plastic: Vec<usize> = spec
        .learning
        .iter()
        .flat_map(|l| std::iter::once(l.projection).chain(l.mirrors.iter().copied()))
        .collect();
    let mut gains = vec![None; spec.projections.len()];

    let mut warnings = Vec::new();
    let mut projections = Vec::new();
    for (pi, pr) in spec.projections.iter().enumerate() {
        let ctx = format!("projection #{} ({} -> {})", pi + 1, pr.from, pr.to);
        let post = pop_index(spec, &pr.to, &ctx)?;
        let pre = if let Some(i) = spec.sources.iter().position(|s| s.name == pr.from) {
            PreRef::Source(i)
        } else {
            PreRef::Neurons(pop_index(spec, &pr.from, &ctx)?)
        };
        let n_pre = match pre {
            PreRef::Source(i) => spec.sources[i].size,
            PreRef::Neurons(i) => spec.populations[i].size,
        };
        let n_post = spec.populations[post].size;
        if spec.populations[post].model == ModelKind::Dynapsim && pr.synapse != SynapseType::Ampa {
            return Err(invalid(
                ctx,
                format!(
                    "the dynapsim model has one lumped excitatory synapse; synapse must be `ampa`, not `{}`",
                    pr.synapse.name()
                ),
            ));
        }
        if !(pr.weight.is_finite() && pr.weight >= 0.0) {
            return Err(invalid(
                ctx,
                format!(
                    "weight = {:e} A must be >= 0 (inhibition is a synapse type, not a sign)",
                    pr.weight
                ),
            ));
        }
        if !(pr.delay.is_finite() && pr.delay >= 0.0) {
            return Err(invalid(ctx, format!("delay = {} s must be >= 0", pr.delay)));
        }
        match &pr.connect {
            Connectivity::OneToOne if n_pre != n_post => {
                return Err(invalid(
                    ctx,
                    format!("one_to_one needs equal sizes, got {n_pre} -> {n_post}"),
                ))
            }
            Connectivity::Random { p } if !(0.0..=1.0).contains(p) => {
                return Err(invalid(ctx, format!("p = {p} must be in [0, 1]")))
            }
            Connectivity::Dense(w) if w.len() != n_pre * n_post => {
                return Err(invalid(
                    ctx,
                    format!(
                        "dense matrix has {} entries, needs {n_pre} x {n_post}",
                        w.len()
                    ),
                ))
            }
            Connectivity::Dense(w) => {
                if let Some(x) = w.iter().find(|x| !(x.is_finite() && **x >= 0.0)) {
                    return Err(invalid(ctx, format!("weight {x:e} A must be >= 0")));
                }
            }
            Connectivity::Explicit(t) => {
                for &(i, j, w) in t {
                    if i as usize >= n_pre || j as usize >= n_post {
                        return Err(invalid(
                            ctx,
                            format!("connection ({i}, {j}) out of range {n_pre} x {n_post}"),
                        ));
                    }
                    if !(w.is_finite() && w >= 0.0) {
                        return Err(invalid(ctx, format!("weight {w:e} A must be >= 0")));
                    }
                }
            }
            _ => {}
        }
        // Keyed by identity (pre, post, synapse type, and which of the projections with that same
        // identity it is), not by list position: inserting an unrelated projection changes nothing.
        let twin = spec.projections[..pi]
            .iter()
            .filter(|q| q.from == pr.from && q.to == pr.to && q.synapse == pr.synapse)
            .count();
        let key = format!("{}->{}:{}#{}", pr.from, pr.to, pr.synapse.name(), twin);
        let mut table = Table::build(&pr.connect, pr.weight, n_pre, n_post, seed, &key);
        if let (Some(b), true) = (&spec.chip, plastic.contains(&pi)) {
            gains[pi] = Some(crate::chip::realize_plastic(
                &mut table,
                &b.instance,
                &b.sites[post],
                &mut slots[post],
            ));
        } else if let Some(b) = &spec.chip {
            let zeroed = crate::chip::realize_weights(
                &mut table,
                &b.instance,
                &b.sites[post],
                pr.synapse,
                &mut slots[post],
            );
            if zeroed > 0 {
                // Name the requested weight only when the rule gives one weight to every synapse.
                let requested = match pr.connect {
                    Connectivity::Dense(_) | Connectivity::Explicit(_) => String::new(),
                    _ => format!(
                        " ({})",
                        mixsig_circuits::units::format_quantity(
                            pr.weight,
                            mixsig_circuits::units::Dimension::Current
                        )
                    ),
                };
                warnings.push(format!(
                    "{ctx}: {zeroed} of {} weights{requested} round to zero in the chip's {} weight format",
                    table.n_synapses(),
                    b.instance.profile().weights.name()
                ));
            }
        }
        let delay_steps = (pr.delay / dt).round() as usize;
        projections.push(Projection::new(
            pre,
            post,
            pr.synapse.index(),
            delay_steps,
            table,
        ));
    }

    if let Some(b) = &spec.chip {
        let limit = b.instance.profile().architecture.synapses_per_neuron;
        for (p, sl) in spec.populations.iter().zip(&slots) {
            crate::chip::check_fan_in(&p.name, sl, limit)?;
        }
    }

    Ok((projections, gains, warnings))
}

fn build_dc(spec: &NetworkSpec, dt: f64) -> Result<Vec<DcChange>, BuildError> {
    let mut dc = Vec::new();
    for d in &spec.dc {
        let ctx = format!("dc schedule for `{}`", d.population);
        let pop = pop_index(spec, &d.population, &ctx)?;
        if let Some(ns) = &d.neurons {
            if let Some(&bad) = ns
                .iter()
                .find(|&&i| i as usize >= spec.populations[pop].size)
            {
                return Err(invalid(ctx, format!("neuron {bad} out of range")));
            }
        }
        for &(t, v) in &d.steps {
            if !(t.is_finite() && t >= 0.0 && v.is_finite()) {
                return Err(invalid(
                    ctx,
                    format!("entry (t = {t} s, i = {v:e} A) must be finite with t >= 0"),
                ));
            }
            dc.push(DcChange {
                step: (t / dt).round() as u64,
                pop,
                neurons: d.neurons.clone(),
                value: v,
            });
        }
    }
    dc.sort_by_key(|c| c.step);

    Ok(dc)
}

fn build_recorder(
    spec: &NetworkSpec,
    pops: &[Population],
    dt: f64,
) -> Result<Recorder, BuildError> {
    let mut rec = Recorder {
        names: spec
            .sources
            .iter()
            .map(|s| s.name.clone())
            .chain(spec.populations.iter().map(|p| p.name.clone()))
            .collect(),
        sizes: spec
            .sources
            .iter()
            .map(|s| s.size)
            .chain(spec.populations.iter().map(|p| p.size))
            .collect(),
        stride: spec.record.stride.max(1),
        ..Default::default()
    };
    let n_groups = rec.names.len();
    rec.counts = vec![0; n_groups];
    rec.rate_counts = vec![Vec::new(); n_groups];
    rec.keep = match &spec.record.spikes {
        None => vec![true; n_groups],
        Some(list) => {
            for n in list {
                if rec.group(n).is_none() {
                    return Err(BuildError::UnknownPopulation {
                        context: "record.spikes".into(),
                        name: n.clone(),
                        known: known(spec),
                    });
                }
            }
            rec.names.iter().map(|n| list.contains(n)).collect()
        }
    };
    if let Some(bin) = spec.record.rate_bin {
        if !(bin.is_finite() && bin >= dt) {
            return Err(invalid(
                "record",
                format!("rate bin = {bin} s must be >= dt"),
            ));
        }
        rec.rate_bin_steps = (bin / dt).round() as u64;
    }
    for pr in &spec.record.probes {
        let ctx = format!("record.state ({}.{})", pr.population, pr.var);
        let pi = pop_index(spec, &pr.population, &ctx)?;
        let var = pops[pi].var(&pr.var).ok_or_else(|| {
            invalid(
                ctx.clone(),
                format!(
                    "unknown variable `{}` for a {} population (valid: {})",
                    pr.var,
                    pops[pi].model.name(),
                    pops[pi].var_names().join(", ")
                ),
            )
        })?;
        let neurons = match &pr.neurons {
            None => (0..pops[pi].n as u32).collect(),
            Some(ns) => {
                if let Some(&bad) = ns.iter().find(|&&i| i as usize >= pops[pi].n) {
                    return Err(invalid(ctx, format!("neuron {bad} out of range")));
                }
                ns.clone()
            }
        };
        rec.probes.push(Probe {
            pop: pi,
            var,
            var_name: pr.var.clone(),
            neurons,
            data: Vec::new(),
        });
    }

    Ok(rec)
}

fn build_learners(
    spec: &NetworkSpec,
    projections: &mut [Projection],
    gains: &[Option<Vec<f64>>],
    dt: f64,
    seed: u64,
) -> Result<Vec<crate::plasticity::Learner>, BuildError> {
    let mut learners = Vec::new();
    for (li, ls) in spec.learning.iter().enumerate() {
        let pop_index = |n: &str| spec.populations.iter().position(|p| p.name == n);
        let pop_size = |i: usize| spec.populations[i].size;
        let pre_size = match projections.get(ls.projection).map(|p| p.pre) {
            Some(PreRef::Source(i)) => spec.sources[i].size,
            Some(PreRef::Neurons(i)) => spec.populations[i].size,
            None => 0,
        };
        learners.push(crate::plasticity::Learner::build(
            ls,
            li,
            projections,
            &pop_index,
            &pop_size,
            pre_size,
            gains,
            dt,
            seed,
        )?);
    }

    Ok(learners)
}
