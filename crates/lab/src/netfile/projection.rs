//! The `[[projection]]` tables of a network file: endpoints, synapse type, connectivity and weights —
//! a weight for every synapse (`all_to_all`, `one_to_one`, `random`), generated weights
//! (`init = "uniform"`, `transpose` of an earlier projection), or per-synapse tables read from CSV
//! (`dense`, `explicit`; see [`super::weights`]).

use std::path::{Path, PathBuf};

use mixsig_chip::rng::{self, name_id};
use mixsig_circuits::units::Dimension;
use mixsig_circuits::SynapseType;
use mixsig_engine::spec::{Connectivity, ModelKind, NetworkSpec, ProjectionSpec};
use rand::Rng;
use serde::Deserialize;
use toml::Spanned;

use super::weights;
use crate::located::{Constraint, FileError, Located, Q};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProj {
    name: Option<Spanned<String>>,
    from: Spanned<String>,
    to: Spanned<String>,
    synapse: Spanned<String>,
    connect: Option<Spanned<String>>,
    p: Option<Q>,
    weight: Option<Q>,
    weights: Option<Spanned<String>>,
    init: Option<Spanned<String>>,
    of: Option<Spanned<String>>,
    delay: Option<Q>,
}

/// Checks that a name refers to a source or population: `(name, key, neurons_only)`.
pub(super) type CheckName<'a> = dyn Fn(&Spanned<String>, &str, bool) -> Result<(), FileError> + 'a;

/// Read the projections over the sources and populations of `spec`; returns them and their names.
/// `check_name(name, key, neurons_only)` rejects dangling references; `seed` draws `init = "uniform"`
/// weights; `base` resolves table paths.
pub(super) fn parse(
    raw: &[RawProj],
    l: &Located,
    spec: &NetworkSpec,
    check_name: &CheckName,
    seed: u64,
    base: Option<&Path>,
) -> Result<(Vec<ProjectionSpec>, Vec<Option<String>>), FileError> {
    let size_of = |name: &str| super::group_size(&spec.sources, &spec.populations, name);
    let mut projection_names: Vec<Option<String>> = Vec::new();
    let mut projections: Vec<ProjectionSpec> = Vec::new();
    for (i, pr) in raw.iter().enumerate() {
        let key = format!("projection[{}]", i + 1);
        check_name(&pr.from, &format!("{key}.from"), false)?;
        check_name(&pr.to, &format!("{key}.to"), true)?;
        let synapse = SynapseType::parse(pr.synapse.get_ref()).ok_or_else(|| {
            l.err(
                pr.synapse.span().start,
                &format!("{key}.synapse"),
                format!(
                    "`{}` is not a synapse type (ampa, nmda, gaba, shunt)",
                    pr.synapse.get_ref()
                ),
            )
        })?;
        let target = spec
            .populations
            .iter()
            .find(|p| &p.name == pr.to.get_ref())
            .expect("checked");
        if target.model == ModelKind::Dynapsim && synapse != SynapseType::Ampa {
            return Err(l.err(
                pr.synapse.span().start,
                &format!("{key}.synapse"),
                format!(
                    "`{}`: the dynapsim model has one lumped excitatory synapse; use `ampa`",
                    pr.synapse.get_ref()
                ),
            ));
        }
        if let Some(n) = &pr.name {
            if n.get_ref().is_empty() || projection_names.contains(&Some(n.get_ref().clone())) {
                return Err(l.err(
                    n.span().start,
                    &format!("{key}.name"),
                    format!(
                        "`{}`: projection names must be non-empty and unique",
                        n.get_ref()
                    ),
                ));
            }
        }
        let connect_name = pr
            .connect
            .as_ref()
            .map(|c| c.get_ref().as_str())
            .unwrap_or("all_to_all");
        let connect_at = pr
            .connect
            .as_ref()
            .map(|c| c.span().start)
            .unwrap_or(pr.from.span().start);
        const CONNECT: [&str; 6] = [
            "all_to_all",
            "one_to_one",
            "random",
            "dense",
            "explicit",
            "transpose",
        ];
        if !CONNECT.contains(&connect_name) {
            return Err(l.err(
                connect_at,
                &format!("{key}.connect"),
                format!(
                    "`{connect_name}` is not a connectivity ({})",
                    CONNECT.join(", ")
                ),
            ));
        }
        let tabulated = matches!(connect_name, "dense" | "explicit" | "transpose");
        let wkey = format!("{key}.weight");
        let weight = match (&pr.weight, tabulated) {
            (Some(q), true) => {
                return Err(l.err(
                    q.span().start,
                    &wkey,
                    format!(
                        "not used with connect = {connect_name}: the weights come from {}",
                        if connect_name == "transpose" {
                            "the projection named in `of`"
                        } else {
                            "the `weights` file"
                        }
                    ),
                ))
            }
            (None, true) => 0.0,
            (None, false) => {
                return Err(l.err(
                    pr.from.span().start,
                    &wkey,
                    format!("missing field (connect = {connect_name} needs a weight)"),
                ))
            }
            (Some(q), false) => match q.get_ref() {
                toml::Value::Integer(_) | toml::Value::Float(_) => {
                    l.quantity(q, &wkey, Dimension::Dimensionless, Constraint::NonNegative)?
                        * target.params.i_scale
                }
                _ => l.quantity(q, &wkey, Dimension::Current, Constraint::NonNegative)?,
            },
        };
        let misplaced = |v: &Option<Spanned<String>>, field: &str, only: &str| match v {
            Some(x) => Err(l.err(
                x.span().start,
                &format!("{key}.{field}"),
                format!("`{field}` is read only with {only} (here connect = {connect_name})"),
            )),
            None => Ok(()),
        };
        if !matches!(connect_name, "dense" | "explicit") {
            misplaced(&pr.weights, "weights", "connect = dense or explicit")?;
        }
        if connect_name != "transpose" {
            misplaced(&pr.of, "of", "connect = transpose")?;
        }
        if connect_name != "all_to_all" {
            misplaced(&pr.init, "init", "connect = all_to_all")?;
        }
        let (n_pre, n_post) = (size_of(pr.from.get_ref()), target.size);
        let table_path = || -> Result<PathBuf, FileError> {
            let f = pr.weights.as_ref().ok_or_else(|| {
                l.err(
                    connect_at,
                    &format!("{key}.weights"),
                    format!("missing (connect = {connect_name} reads its weights from a CSV file)"),
                )
            })?;
            let path = match base {
                Some(b) => b.join(f.get_ref()),
                None => PathBuf::from(f.get_ref()),
            };
            // A table that is not there is the network file's error, at its `weights` line.
            if !path.is_file() {
                return Err(l.err(
                    f.span().start,
                    &format!("{key}.weights"),
                    format!(
                        "weight table `{}` {} ({}; paths are relative to the network file)",
                        f.get_ref(),
                        if path.is_dir() {
                            "is a directory"
                        } else {
                            "not found"
                        },
                        path.display()
                    ),
                ));
            }
            Ok(path)
        };
        let connect = match connect_name {
            "all_to_all" => match pr.init.as_ref().map(|x| x.get_ref().as_str()) {
                None | Some("constant") => Connectivity::AllToAll,
                Some("uniform") => {
                    let mut r = rng::stream(seed, &[name_id("netfile-init"), i as u64]);
                    Connectivity::Dense(
                        (0..n_pre * n_post)
                            .map(|_| r.gen::<f64>() * weight)
                            .collect(),
                    )
                }
                Some(other) => {
                    return Err(l.err(
                        pr.init.as_ref().map(|x| x.span().start).unwrap_or(0),
                        &format!("{key}.init"),
                        format!("`{other}` is not an initialization (constant, uniform)"),
                    ))
                }
            },
            "dense" => Connectivity::Dense(weights::read_dense(&table_path()?, n_pre, n_post)?),
            "explicit" => {
                Connectivity::Explicit(weights::read_explicit(&table_path()?, n_pre, n_post)?)
            }
            "transpose" => {
                let of = pr.of.as_ref().ok_or_else(|| {
                    l.err(
                        connect_at,
                        &format!("{key}.of"),
                        "missing (connect = transpose copies the transposed initial weights of an earlier projection named in `of`)",
                    )
                })?;
                let src = projection_names
                    .iter()
                    .position(|n| n.as_deref() == Some(of.get_ref().as_str()))
                    .ok_or_else(|| {
                        l.err(
                            of.span().start,
                            &format!("{key}.of"),
                            format!("no earlier projection named `{}`", of.get_ref()),
                        )
                    })?;
                let sp: &ProjectionSpec = &projections[src];
                let (a, b) = (size_of(&sp.from), size_of(&sp.to));
                if (a, b) != (n_post, n_pre) {
                    return Err(l.err(
                        of.span().start,
                        &format!("{key}.of"),
                        format!(
                            "`{}` is {a} x {b} (pre x post); this projection is {n_pre} x {n_post}, so its transpose must be {n_post} x {n_pre}",
                            of.get_ref()
                        ),
                    ));
                }
                let w: Vec<f64> = match &sp.connect {
                    Connectivity::Dense(w) => w.clone(),
                    Connectivity::AllToAll => vec![sp.weight; a * b],
                    _ => {
                        return Err(l.err(
                            of.span().start,
                            &format!("{key}.of"),
                            format!("`{}` is not dense (all_to_all or dense)", of.get_ref()),
                        ))
                    }
                };
                Connectivity::Dense(
                    (0..n_pre * n_post)
                        .map(|s| {
                            let (j, i) = (s / n_post, s % n_post);
                            w[i * n_pre + j]
                        })
                        .collect(),
                )
            }
            "one_to_one" => {
                let (a, b) = (n_pre, n_post);
                if a != b {
                    return Err(l.err(
                        connect_at,
                        &format!("{key}.connect"),
                        format!("one_to_one needs equal sizes, got {a} -> {b}"),
                    ));
                }
                Connectivity::OneToOne
            }
            "random" => {
                let q = pr.p.as_ref().ok_or_else(|| {
                    l.err(
                        pr.from.span().start,
                        &format!("{key}.p"),
                        "missing (random connectivity needs p)",
                    )
                })?;
                let p = l.quantity(
                    q,
                    &format!("{key}.p"),
                    Dimension::Dimensionless,
                    Constraint::NonNegative,
                )?;
                if p > 1.0 {
                    return Err(l.err(
                        q.span().start,
                        &format!("{key}.p"),
                        format!("p = {p} must be in [0, 1]"),
                    ));
                }
                Connectivity::Random { p }
            }
            _ => unreachable!("checked against CONNECT"),
        };
        let delay = match &pr.delay {
            Some(q) => l.quantity(
                q,
                &format!("{key}.delay"),
                Dimension::Time,
                Constraint::NonNegative,
            )?,
            None => 0.0,
        };
        projections.push(ProjectionSpec {
            from: pr.from.get_ref().clone(),
            to: pr.to.get_ref().clone(),
            synapse,
            connect,
            weight,
            delay,
        });
        projection_names.push(pr.name.as_ref().map(|n| n.get_ref().clone()));
    }
    Ok((projections, projection_names))
}
