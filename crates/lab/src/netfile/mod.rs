//! The network file format (TOML) and its conversion into an engine [`NetworkSpec`].
//!
//! Quantities are SI numbers or strings with units (`"20 ms"`, `"5.3 pA"`, `"3 pF"`). Unknown keys,
//! wrong units, negative capacitances, missing fields and dangling references are errors that name
//! the file, the line, the key and the constraint. The format is documented in `docs/network-format.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mixsig_circuits::units::Dimension;
use mixsig_circuits::{Feedback, NeuronParams, SynapseType};
use mixsig_engine::spec::{
    DcSpec, ModelKind, NetworkSpec, PopulationSpec, ProbeSpec, RecordSpec, SourceKind, SourceSpec,
};
use serde::Deserialize;
use toml::Spanned;

pub use crate::located::{line_of, parse_set, FileError};
use crate::located::{toml_error, Constraint, Located, Q};
pub use crate::spikelist::read_spike_list;

mod chip;
pub use chip::{load_bias_file, parse_bias_file, BiasEntry, BiasRequest, ChipSection};
mod learning;
pub use learning::{GivenSigmas, TrainSection};
mod per_neuron;
mod projection;
pub use per_neuron::spread_fraction;
pub mod weights;
pub mod write;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    simulation: Option<RawSim>,
    #[serde(default)]
    source: Vec<RawSource>,
    #[serde(default)]
    population: Vec<RawPop>,
    #[serde(default)]
    projection: Vec<projection::RawProj>,
    #[serde(default)]
    dc: Vec<RawDc>,
    record: Option<RawRecord>,
    chip: Option<chip::RawChip>,
    #[serde(default)]
    learning: Vec<learning::RawLearning>,
    train: Option<learning::RawTrain>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSim {
    dt: Option<Q>,
    duration: Option<Q>,
    seed: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: Spanned<String>,
    size: Option<Spanned<usize>>,
    kind: Spanned<String>,
    rate: Option<Q>,
    phase: Option<Q>,
    file: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPop {
    name: Spanned<String>,
    size: Spanned<usize>,
    #[serde(default)]
    model: Option<Spanned<String>>,
    #[serde(default)]
    params: BTreeMap<Spanned<String>, Q>,
    #[serde(default)]
    per_neuron: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    core: Option<Spanned<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDc {
    population: Spanned<String>,
    neurons: Option<Spanned<Vec<u32>>>,
    schedule: Vec<(Q, Q)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    spikes: Option<Vec<Spanned<String>>>,
    rate_bin: Option<Q>,
    stride: Option<u32>,
    #[serde(default)]
    state: Vec<RawProbe>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    population: Spanned<String>,
    vars: Vec<Spanned<String>>,
    neurons: Option<Spanned<Vec<u32>>>,
}

/// Simulation settings a network file may carry (the command line overrides them).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SimSettings {
    /// Step, s.
    pub dt: Option<f64>,
    /// Duration, s.
    pub duration: Option<f64>,
    /// Seed.
    pub seed: Option<u64>,
}

/// A parsed network file.
#[derive(Debug, Clone)]
pub struct NetworkFile {
    /// The network.
    pub spec: NetworkSpec,
    /// Its `[simulation]` table.
    pub sim: SimSettings,
    /// What the file says about running on a chip (used when a profile is given).
    pub chip: ChipSection,
    /// The `name` of each projection (in `spec.projections` order).
    pub projection_names: Vec<Option<String>>,
    /// Per `[[learning]]` table: which mismatch spreads it gave (`eta_sigma_ln`, `twin_sigma_ln`;
    /// those omitted are 0 in the spec and `mixsig train` takes them from the chip profile).
    pub sigmas_given: Vec<GivenSigmas>,
    /// The `[train]` table.
    pub train: Option<TrainSection>,
    /// Line of each source's and population's `name` key.
    pub group_lines: Vec<(String, usize)>,
}

/// Parse a model name.
pub fn parse_model(s: &str) -> Option<ModelKind> {
    Some(match s {
        "physical" | "physical-exponential" => ModelKind::Physical(Feedback::Exponential),
        "physical-sigmoid" => ModelKind::Physical(Feedback::Sigmoid),
        "dynapsim" => ModelKind::Dynapsim,
        _ => return None,
    })
}

/// Load a network file from disk.
pub fn load(path: &Path) -> Result<NetworkFile, FileError> {
    load_seeded(path, None)
}

/// [`load`] with the seed of the run: `seed` (a `--seed`) replaces the file's `[simulation] seed`
/// in drawing `init = "uniform"` weights, so that a run's seed decides its initial weights.
pub fn load_seeded(path: &Path, seed: Option<u64>) -> Result<NetworkFile, FileError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| FileError::new(&file, 0, "", format!("cannot read: {e}")))?;
    parse_seeded(&text, &file, path.parent(), seed)
}

/// Parse network TOML `text`; `file` names it in errors, `base` resolves relative spike-list paths.
pub fn parse(text: &str, file: &str, base: Option<&Path>) -> Result<NetworkFile, FileError> {
    parse_seeded(text, file, base, None)
}

/// [`parse`] with the seed of the run (see [`load_seeded`]).
pub fn parse_seeded(
    text: &str,
    file: &str,
    base: Option<&Path>,
    seed: Option<u64>,
) -> Result<NetworkFile, FileError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    let l = Located { file, text };
    let mut spec = NetworkSpec::default();
    let mut section = ChipSection::default();

    let mut sim = SimSettings::default();
    if let Some(s) = &raw.simulation {
        if let Some(q) = &s.dt {
            sim.dt = Some(l.quantity(q, "simulation.dt", Dimension::Time, Constraint::Positive)?);
        }
        if let Some(q) = &s.duration {
            sim.duration = Some(l.quantity(
                q,
                "simulation.duration",
                Dimension::Time,
                Constraint::Positive,
            )?);
        }
        sim.seed = s.seed;
    }

    for (i, s) in raw.source.iter().enumerate() {
        let key = format!("source[{}]", i + 1);
        let at = s.name.span().start;
        let kind = match s.kind.get_ref().as_str() {
            "poisson" => SourceKind::Poisson {
                rate: l.quantity(
                    s.rate.as_ref().ok_or_else(|| {
                        l.err(
                            at,
                            &format!("{key}.rate"),
                            "missing (poisson sources need a rate)",
                        )
                    })?,
                    &format!("{key}.rate"),
                    Dimension::Frequency,
                    Constraint::NonNegative,
                )?,
            },
            "regular" => SourceKind::Regular {
                rate: l.quantity(
                    s.rate.as_ref().ok_or_else(|| {
                        l.err(
                            at,
                            &format!("{key}.rate"),
                            "missing (regular sources need a rate)",
                        )
                    })?,
                    &format!("{key}.rate"),
                    Dimension::Frequency,
                    Constraint::Positive,
                )?,
                phase: match &s.phase {
                    Some(q) => l.quantity(
                        q,
                        &format!("{key}.phase"),
                        Dimension::Time,
                        Constraint::NonNegative,
                    )?,
                    None => 0.0,
                },
            },
            "external" => SourceKind::List { times: Vec::new() },
            "list" => {
                let f = s.file.as_ref().ok_or_else(|| {
                    l.err(
                        at,
                        &format!("{key}.file"),
                        "missing (list sources read a CSV t_s,channel)",
                    )
                })?;
                let path: PathBuf = match base {
                    Some(b) => b.join(f.get_ref()),
                    None => PathBuf::from(f.get_ref()),
                };
                let times = read_spike_list(&path, s.size.as_ref().map(|n| *n.get_ref()))?;
                SourceKind::List { times }
            }
            other => {
                return Err(l.err(
                    s.kind.span().start,
                    &format!("{key}.kind"),
                    format!("`{other}` is not a source kind (poisson, regular, list, external)"),
                ))
            }
        };
        let size = match (&kind, &s.size) {
            (_, Some(n)) => {
                if *n.get_ref() == 0 {
                    return Err(l.err(n.span().start, &format!("{key}.size"), "must be > 0"));
                }
                *n.get_ref()
            }
            (SourceKind::List { times }, None) if s.kind.get_ref() != "external" => times.len(),
            (_, None) => return Err(l.err(at, &format!("{key}.size"), "missing field")),
        };
        if size == 0 {
            return Err(l.err(
                at,
                &format!("{key}.size"),
                "the spike list is empty: give size",
            ));
        }
        spec.sources.push(SourceSpec {
            name: s.name.get_ref().clone(),
            size,
            kind,
        });
    }

    for (i, p) in raw.population.iter().enumerate() {
        let key = format!("population[{}]", i + 1);
        if *p.size.get_ref() == 0 {
            return Err(l.err(p.size.span().start, &format!("{key}.size"), "must be > 0"));
        }
        let model = match &p.model {
            None => ModelKind::Physical(Feedback::Exponential),
            Some(m) => parse_model(m.get_ref()).ok_or_else(|| {
                l.err(
                    m.span().start,
                    &format!("{key}.model"),
                    format!(
                        "`{}` is not a model (physical, physical-sigmoid, dynapsim)",
                        m.get_ref()
                    ),
                )
            })?,
        };
        let mut params = NeuronParams::default();
        l.apply_params(&mut params, &p.params, &format!("{key}.params"))?;
        let per_neuron = per_neuron::parse(
            &l,
            &p.per_neuron,
            &params,
            *p.size.get_ref(),
            &format!("{key}.per_neuron"),
        )?;
        let mut keys = Vec::new();
        for k in p.params.keys() {
            let line = line_of(text, k.span().start);
            match k.get_ref().strip_suffix("_syn") {
                Some(prefix) => {
                    for t in SynapseType::ALL {
                        keys.push((format!("{prefix}_{}", t.name()), line));
                    }
                }
                None => keys.push((k.get_ref().clone(), line)),
            }
        }
        section.param_keys.push(keys);
        section.cores.push(p.core.as_ref().map(|c| *c.get_ref()));
        spec.populations.push(PopulationSpec {
            name: p.name.get_ref().clone(),
            size: *p.size.get_ref(),
            model,
            params,
            per_neuron,
        });
    }

    let mut seen = std::collections::HashSet::new();
    let all_names = raw
        .source
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("source[{}].name", i + 1), &s.name))
        .chain(
            raw.population
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("population[{}].name", i + 1), &p.name)),
        );
    for (key, n) in all_names {
        if !seen.insert(n.get_ref().clone()) {
            return Err(l.err(
                n.span().start,
                &key,
                format!(
                    "duplicate name `{}` (sources and populations share one namespace)",
                    n.get_ref()
                ),
            ));
        }
    }
    let size_of = |name: &str| group_size(&spec.sources, &spec.populations, name);
    let names: Vec<&str> = spec
        .sources
        .iter()
        .map(|s| s.name.as_str())
        .chain(spec.populations.iter().map(|p| p.name.as_str()))
        .collect();
    let check_name =
        |n: &Spanned<String>, key: &str, neurons_only: bool| -> Result<(), FileError> {
            let ok = if neurons_only {
                spec.populations.iter().any(|p| &p.name == n.get_ref())
            } else {
                names.contains(&n.get_ref().as_str())
            };
            if ok {
                Ok(())
            } else {
                Err(l.err(
                    n.span().start,
                    key,
                    format!(
                        "no {}population named `{}` (known: {})",
                        if neurons_only { "neuron " } else { "" },
                        n.get_ref(),
                        names.join(", ")
                    ),
                ))
            }
        };

    let (projections, projection_names) = projection::parse(
        &raw.projection,
        &l,
        &spec,
        &check_name,
        seed.or(sim.seed).unwrap_or(1),
        base,
    )?;
    spec.projections = projections;

    for (i, d) in raw.dc.iter().enumerate() {
        let key = format!("dc[{}]", i + 1);
        check_name(&d.population, &format!("{key}.population"), true)?;
        let mut steps = Vec::new();
        for (j, (t, v)) in d.schedule.iter().enumerate() {
            steps.push((
                l.quantity(
                    t,
                    &format!("{key}.schedule[{}].t", j + 1),
                    Dimension::Time,
                    Constraint::NonNegative,
                )?,
                l.quantity(
                    v,
                    &format!("{key}.schedule[{}].i", j + 1),
                    Dimension::Current,
                    Constraint::Any,
                )?,
            ));
        }
        let size = size_of(d.population.get_ref());
        if let Some(ns) = &d.neurons {
            if let Some(bad) = ns.get_ref().iter().find(|&&i| i as usize >= size) {
                return Err(l.err(
                    ns.span().start,
                    &format!("{key}.neurons"),
                    format!("neuron {bad} out of range for size {size}"),
                ));
            }
        }
        spec.dc.push(DcSpec {
            population: d.population.get_ref().clone(),
            neurons: d.neurons.as_ref().map(|n| n.get_ref().clone()),
            steps,
        });
    }

    if let Some(r) = &raw.record {
        if let Some(list) = &r.spikes {
            for n in list {
                check_name(n, "record.spikes", false)?;
            }
        }
        let mut rec = RecordSpec {
            spikes: r
                .spikes
                .as_ref()
                .map(|v| v.iter().map(|n| n.get_ref().clone()).collect()),
            stride: r.stride.unwrap_or(10),
            ..Default::default()
        };
        if let Some(q) = &r.rate_bin {
            rec.rate_bin =
                Some(l.quantity(q, "record.rate_bin", Dimension::Time, Constraint::Positive)?);
        }
        for (i, s) in r.state.iter().enumerate() {
            check_name(
                &s.population,
                &format!("record.state[{}].population", i + 1),
                true,
            )?;
            let pop = spec
                .populations
                .iter()
                .find(|p| &p.name == s.population.get_ref())
                .expect("checked");
            let valid = mixsig_engine::population::var_names_of(pop.model);
            if let Some(ns) = &s.neurons {
                if let Some(bad) = ns.get_ref().iter().find(|&&i| i as usize >= pop.size) {
                    return Err(l.err(
                        ns.span().start,
                        &format!("record.state[{}].neurons", i + 1),
                        format!("neuron {bad} out of range for size {}", pop.size),
                    ));
                }
            }
            for v in &s.vars {
                if !valid.contains(&v.get_ref().as_str()) {
                    return Err(l.err(
                        v.span().start,
                        &format!("record.state[{}].vars", i + 1),
                        format!(
                            "`{}` is not a variable of a {} population (valid: {})",
                            v.get_ref(),
                            pop.model.name(),
                            valid.join(", ")
                        ),
                    ));
                }
                rec.probes.push(ProbeSpec {
                    population: s.population.get_ref().clone(),
                    var: v.get_ref().clone(),
                    neurons: s.neurons.as_ref().map(|n| n.get_ref().clone()),
                });
            }
        }
        spec.record = rec;
    } else {
        spec.record.stride = 10;
    }
    if let Some(c) = &raw.chip {
        chip::parse(c, &l, text, &mut section)?;
    }
    let group_size = |name: &str| -> Option<usize> {
        spec.sources
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.size)
            .or_else(|| {
                spec.populations
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.size)
            })
    };
    let ctx = learning::Ctx {
        l: &l,
        spec: &spec,
        names: &projection_names,
        size_of: &group_size,
    };
    let (learning_specs, sigmas_given) = learning::parse_learning(&raw.learning, &ctx)?;
    let train = raw
        .train
        .as_ref()
        .map(|t| learning::parse_train(t, &ctx, text))
        .transpose()?;
    spec.learning = learning_specs;
    let group_lines = raw
        .source
        .iter()
        .map(|s| &s.name)
        .chain(raw.population.iter().map(|p| &p.name))
        .map(|n| (n.get_ref().clone(), line_of(text, n.span().start)))
        .collect();
    Ok(NetworkFile {
        spec,
        sim,
        chip: section,
        projection_names,
        sigmas_given,
        train,
        group_lines,
    })
}

/// Size of the source or population `name` (0 when there is none).
pub(super) fn group_size(
    sources: &[mixsig_engine::spec::SourceSpec],
    populations: &[mixsig_engine::spec::PopulationSpec],
    name: &str,
) -> usize {
    sources
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.size)
        .or_else(|| populations.iter().find(|p| p.name == name).map(|p| p.size))
        .unwrap_or(0)
}
