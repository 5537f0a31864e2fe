//! A built network and its stepping loop. The per-step order is fixed, documented and printable
//! ([`Network::schedule`]):
//!
//! 1. apply the DC-schedule changes due at this step;
//! 2. sources emit the spikes whose times fall in `[t, t + dt)`;
//! 3. route spikes through the projections' delay lines into the targets' synapse inputs: source
//!    spikes of this step, neuron spikes of the previous step (a one-step latency), plus each
//!    projection's delay;
//! 4. each population integrates: synapse DPIs and AHP (exact), membrane, refractory timer, threshold
//!    and reset;
//! 5. plasticity: pre-synaptic and calcium traces take this step's spikes, and every error spike
//!    updates its column of the plastic projection (and the mirrored feedback twins);
//! 6. record spikes, rates, and (every `stride` steps) the probed state.
//!
//! Row `k` of a recording is the state after step `k`, which consumed the input of step `k`
//! (DynapSim's convention).

use std::collections::HashSet;
use std::fmt::Write as _;

use mixsig_circuits::{NeuronParams, SynapseType};

use crate::population::Population;
use crate::projection::{PreRef, Projection, Table};
use crate::record::{Probe, Recorder};
use crate::source::{step_of, SourcePop};
use crate::spec::{Connectivity, ModelKind, NetworkSpec};

/// Why a network could not be built. Messages name the element and the constraint.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// Two elements share a name.
    #[error(
        "duplicate population name `{0}` (sources and neuron populations share one namespace)"
    )]
    DuplicateName(String),
    /// A referenced population does not exist.
    #[error("{context}: no population named `{name}` (known: {known})")]
    UnknownPopulation {
        /// Where the reference is.
        context: String,
        /// The missing name.
        name: String,
        /// Known names.
        known: String,
    },
    /// A value breaks a constraint.
    #[error("{context}: {message}")]
    Invalid {
        /// Where.
        context: String,
        /// What is wrong.
        message: String,
    },
}

fn invalid(context: impl Into<String>, message: impl Into<String>) -> BuildError {
    BuildError::Invalid {
        context: context.into(),
        message: message.into(),
    }
}

#[derive(Debug, Clone)]
struct DcChange {
    step: u64,
    pop: usize,
    neurons: Option<Vec<u32>>,
    value: f64,
}

/// A network ready to run.
#[derive(Debug, Clone)]
pub struct Network {
    /// Time step, s.
    pub dt: f64,
    /// Current step index (steps done so far).
    pub k: u64,
    /// Spike sources.
    pub sources: Vec<SourcePop>,
    /// Neuron populations.
    pub pops: Vec<Population>,
    /// Projections.
    pub projections: Vec<Projection>,
    /// Recordings.
    pub rec: Recorder,
    /// Things the build did that a user should know (for example weights a chip cannot represent).
    pub warnings: Vec<String>,
    /// Plastic projections.
    pub learners: Vec<crate::plasticity::Learner>,
    /// Whether plasticity is on (training) or frozen (testing). On by default.
    pub learning_on: bool,
    /// Scale of every learning rate (the learning-rate bias; a training protocol may decay it).
    pub eta_scale: f64,
    dc: Vec<DcChange>,
    dc_pos: usize,
    scratch: Vec<u32>,
}

impl Network {
    /// Build a network from its description at step `dt` with run seed `seed`.
    pub fn build(spec: &NetworkSpec, dt: f64, seed: u64) -> Result<Network, BuildError> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(invalid("simulation", format!("dt = {dt:e} s must be > 0")));
        }
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
        let known = || {
            spec.sources
                .iter()
                .map(|s| s.name.as_str())
                .chain(spec.populations.iter().map(|p| p.name.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let pop_index = |name: &str, context: &str| -> Result<usize, BuildError> {
            spec.populations
                .iter()
                .position(|p| p.name == name)
                .ok_or_else(|| BuildError::UnknownPopulation {
                    context: context.into(),
                    name: name.into(),
                    known: known(),
                })
        };

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
                    pop.noise = Some(crate::chip::PopNoise {
                        src,
                        core: b.sites[pi].iter().map(|s| s.0).collect(),
                        index: b.sites[pi].iter().map(|s| s.1 as u64).collect(),
                        // The run seed is part of the stream: repeated runs on one die get
                        // independent noise, the same seed the same noise.
                        param: mixsig_chip::rng::key(seed, &[crate::chip::noise_param()]),
                    });
                }
            }
            pops.push(pop);
        }
        let mut slots: Vec<Vec<u32>> = spec.populations.iter().map(|p| vec![0; p.size]).collect();

        let mut warnings = Vec::new();
        let mut projections = Vec::new();
        for (pi, pr) in spec.projections.iter().enumerate() {
            let ctx = format!("projection #{} ({} -> {})", pi + 1, pr.from, pr.to);
            let post = pop_index(&pr.to, &ctx)?;
            let pre = if let Some(i) = spec.sources.iter().position(|s| s.name == pr.from) {
                PreRef::Source(i)
            } else {
                PreRef::Neurons(pop_index(&pr.from, &ctx)?)
            };
            let n_pre = match pre {
                PreRef::Source(i) => spec.sources[i].size,
                PreRef::Neurons(i) => spec.populations[i].size,
            };
            let n_post = spec.populations[post].size;
            if spec.populations[post].model == ModelKind::Dynapsim
                && pr.synapse != SynapseType::Ampa
            {
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
            if let Some(b) = &spec.chip {
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

        let mut dc = Vec::new();
        for d in &spec.dc {
            let ctx = format!("dc schedule for `{}`", d.population);
            let pop = pop_index(&d.population, &ctx)?;
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
                            known: known(),
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
            let pi = pop_index(&pr.population, &ctx)?;
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
                &mut projections,
                &pop_index,
                &pop_size,
                pre_size,
                dt,
                seed,
            )?);
        }

        Ok(Network {
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

    /// Simulated time so far, s.
    pub fn time(&self) -> f64 {
        self.k as f64 * self.dt
    }

    /// Total number of neurons.
    pub fn n_neurons(&self) -> usize {
        self.pops.iter().map(|p| p.n).sum()
    }

    /// Number of steps that cover `duration` seconds.
    pub fn steps_for(&self, duration: f64) -> u64 {
        step_of(duration, self.dt)
    }

    /// Advance one step (see the module doc for the order).
    pub fn step(&mut self) {
        let k = self.k;
        let dt = self.dt;
        // 1. DC schedule.
        while self.dc_pos < self.dc.len() && self.dc[self.dc_pos].step <= k {
            let c = &self.dc[self.dc_pos];
            let pop = &mut self.pops[c.pop];
            match &c.neurons {
                None => pop.i_dc.iter_mut().for_each(|x| *x = c.value),
                Some(ns) => ns.iter().for_each(|&i| pop.i_dc[i as usize] = c.value),
            }
            self.dc_pos += 1;
        }
        // 2. Sources.
        for s in &mut self.sources {
            s.emit(k, dt);
        }
        // 3. Routing (neuron spikes in `pops[i].spikes` are still those of step k-1).
        for pr in &mut self.projections {
            self.scratch.clear();
            match pr.pre {
                PreRef::Source(i) => self.scratch.extend_from_slice(&self.sources[i].spikes),
                PreRef::Neurons(i) => self.scratch.extend_from_slice(&self.pops[i].spikes),
            }
            let target = &mut self.pops[pr.post].events[pr.syn];
            pr.route(&self.scratch, target);
        }
        // 4. Integrate.
        for p in &mut self.pops {
            p.step(dt, k);
        }
        // 5. Learning: traces and the updates triggered by this step's error spikes.
        for l in &mut self.learners {
            let pre: &[u32] = match l.pre() {
                PreRef::Source(i) => &self.sources[i].spikes,
                PreRef::Neurons(i) => &self.pops[i].spikes,
            };
            let (post, ep, en) = l.pops();
            l.step(
                k,
                dt,
                pre,
                &self.pops[post].spikes,
                &self.pops[ep].spikes,
                &self.pops[en].spikes,
                &mut self.projections,
                self.learning_on,
                self.eta_scale,
            );
        }
        // 6. Record.
        let ns = self.sources.len();
        for (g, s) in self.sources.iter().enumerate() {
            self.rec.spikes(g, k, &s.spikes);
        }
        for (g, p) in self.pops.iter().enumerate() {
            self.rec.spikes(ns + g, k, &p.spikes);
        }
        self.rec.sample(k, &self.pops);
        self.k += 1;
    }

    /// Load spike times (relative to now) into the `list` source `name`, replacing its pending spikes.
    pub fn present(&mut self, name: &str, channels: &[Vec<f64>]) -> Result<(), BuildError> {
        let k = self.k;
        let dt = self.dt;
        let s = self
            .sources
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| invalid("present", format!("no source named `{name}`")))?;
        if s.load(channels, k, dt) {
            Ok(())
        } else {
            Err(invalid(
                format!("source `{name}`"),
                format!(
                    "cannot present {} channels: the source must be a `list` source with at least that many channels ({})",
                    channels.len(),
                    s.n
                ),
            ))
        }
    }

    /// Run `n` steps, calling `progress(done)` every `every` steps (and at the end).
    pub fn run_observed(&mut self, n: u64, every: u64, mut progress: impl FnMut(u64)) {
        let every = every.max(1);
        for i in 0..n {
            self.step();
            if (i + 1).is_multiple_of(every) {
                progress(i + 1);
            }
        }
        if !n.is_multiple_of(every) {
            progress(n);
        }
    }

    /// Run for `duration` seconds.
    pub fn run(&mut self, duration: f64) {
        let n = self.steps_for(duration);
        for _ in 0..n {
            self.step();
        }
    }

    /// A printable description of what happens inside one step, with this network's elements.
    pub fn schedule(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "step schedule (dt = {} s), for each step k:", self.dt);
        let _ = writeln!(
            s,
            "  1. apply DC-schedule changes due at step k ({} changes in all)",
            self.dc.len()
        );
        for src in &self.sources {
            let _ = writeln!(
                s,
                "  2. source `{}` ({} channels) emits spikes in [k*dt, (k+1)*dt)",
                src.name, src.n
            );
        }
        for pr in &self.projections {
            let pre = match pr.pre {
                PreRef::Source(i) => format!("source `{}` (this step)", self.sources[i].name),
                PreRef::Neurons(i) => format!("population `{}` (previous step)", self.pops[i].name),
            };
            let _ = writeln!(
                s,
                "  3. route {pre} -> `{}`.{} ({} synapses, delay {} steps)",
                self.pops[pr.post].name,
                SynapseType::ALL[pr.syn].name(),
                pr.table.n_synapses(),
                pr.delay_steps
            );
        }
        for p in &self.pops {
            let what = match p.model {
                ModelKind::Dynapsim => "DynapSim step: lumped synapse, AHP, membrane (Euler), timer, threshold/reset",
                ModelKind::Physical(_) => {
                    "synapse DPIs + AHP (exact), membrane (Heun, log domain), timer, threshold/reset"
                }
            };
            let _ = writeln!(
                s,
                "  4. population `{}` ({} x {}): {what}",
                p.name,
                p.n,
                p.model.name()
            );
        }
        if self.learners.is_empty() {
            let _ = writeln!(s, "  5. plasticity: none (no plastic projections)");
        }
        for l in &self.learners {
            let (post, ep, en) = l.pops();
            let _ = writeln!(
                s,
                "  5. learning on projection #{} (-> `{}`): errors `{}`/`{}`, {} mirror(s)",
                l.spec.projection + 1,
                self.pops[post].name,
                self.pops[ep].name,
                self.pops[en].name,
                l.spec.mirrors.len()
            );
        }
        let _ = writeln!(
            s,
            "  6. record spikes{}{}",
            if self.rec.rate_bin_steps > 0 {
                ", rates"
            } else {
                ""
            },
            if self.rec.probes.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} probes every {} steps",
                    self.rec.probes.len(),
                    self.rec.stride
                )
            }
        );
        s
    }
}
