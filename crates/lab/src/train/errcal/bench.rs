//! The error-pair calibration's bench: the error neurons of a network alone, on their sites of
//! the die or on ideal circuits, fed by a teacher and an output source; which inputs it drives
//! together ([`Plan`]: one group, or one per class with contrastive wiring) and the transfer
//! curves it measures ([`curves`]).

use mixsig_circuits::SynapseType;
use mixsig_engine::spec::{
    ChipBinding, Connectivity, ProjectionSpec, RecordSpec, SourceKind, SourceSpec,
};
use mixsig_engine::{BuildError, Network, NetworkSpec};

use super::{Bench, ERROR_POPS, PHASES};
use crate::train::protocol::teacher_train;

/// The projections into the error neurons from `teacher` or `out`, in spec order (their order
/// fixes each synapse's slot on the die, so the bench keeps it).
pub(super) fn pair_projections(spec: &NetworkSpec) -> Vec<usize> {
    spec.projections
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            ERROR_POPS.contains(&p.to.as_str()) && (p.from == "teacher" || p.from == "out")
        })
        .map(|(i, _)| i)
        .collect()
}

/// Whether a pair projection is an error neuron's own comparison (its class's teacher, its own
/// output) rather than a contrastive one (the other classes' teacher and outputs with the opposite
/// sign, [`crate::train::config::NetConfig::contrast`]): the own teacher excites `eo_p` and inhibits
/// `eo_n`, the own output the other way round.
pub(super) fn is_own(p: &ProjectionSpec) -> bool {
    let excites = matches!(p.synapse, SynapseType::Ampa | SynapseType::Nmda);
    excites == ((p.to == "eo_p") == (p.from == "teacher"))
}

/// Which inputs the bench drives together: per group, the teacher neurons and the outputs that
/// are on, and each error neuron's own group. Without contrastive wiring there is one group, every
/// teacher and every output (each error neuron sees only its own class's teacher and its own
/// output anyway). With it there is one group per class — that class's teacher and outputs — so
/// that a class's error neurons see their own synapses in their own group and their contrastive
/// ones, alone, in the other groups.
pub(super) struct Plan {
    pub(super) groups: Vec<(Vec<bool>, Vec<bool>)>,
    pub(super) own_group: Vec<usize>,
}

impl Plan {
    /// Whether the plan benches contrastive pairs (one group per class): each group then has a
    /// third block of trials, the common-mode block (teachers silent, the group's outputs at
    /// `n + delta` spikes and every other output at `n`).
    pub(super) fn contrastive(&self) -> bool {
        self.groups.len() > 1
    }

    /// Trial blocks per group: teacher on, teacher silent, and (contrastive) common mode.
    pub(super) fn blocks(&self) -> usize {
        if self.contrastive() {
            3
        } else {
            2
        }
    }

    /// The plan for the error pairs of `spec` with `n_teacher` teacher neurons (one per class)
    /// and `n_out` outputs, `n_per_class` of them per class.
    pub(super) fn of(
        spec: &NetworkSpec,
        n_teacher: usize,
        n_out: usize,
        n_per_class: usize,
    ) -> Plan {
        let pairs = pair_projections(spec);
        if n_teacher == 0 || pairs.iter().all(|&i| is_own(&spec.projections[i])) {
            return Plan {
                groups: vec![(vec![true; n_teacher], vec![true; n_out])],
                own_group: vec![0; n_out],
            };
        }
        // The class of each output: the teacher neuron wired to its own `eo_p` when the table
        // names exactly one, else the training layout (`k / n_per_class`).
        let own_teacher = pairs
            .iter()
            .map(|&i| &spec.projections[i])
            .find(|p| p.from == "teacher" && p.to == "eo_p" && is_own(p));
        let class = own_teacher
            .and_then(|p| classes_of(&p.connect, n_teacher, n_out))
            .unwrap_or_else(|| {
                (0..n_out)
                    .map(|k| (k / n_per_class.max(1)).min(n_teacher.saturating_sub(1)))
                    .collect()
            });
        Plan {
            groups: (0..n_teacher)
                .map(|c| {
                    (
                        (0..n_teacher).map(|t| t == c).collect(),
                        class.iter().map(|&k| k == c).collect(),
                    )
                })
                .collect(),
            own_group: class,
        }
    }
}

/// The class of each of `n_out` outputs read from the own teacher table `connect`: the one
/// teacher neuron (of `n_teacher`) with a non-zero weight onto the output's error neuron. `None`
/// when some output has none or more than one (all-to-all or random wiring).
fn classes_of(connect: &Connectivity, n_teacher: usize, n_out: usize) -> Option<Vec<usize>> {
    let mut class: Vec<Option<usize>> = vec![None; n_out];
    let mut put = |c: usize, o: usize| -> Option<()> {
        let slot = class.get_mut(o)?;
        match *slot {
            Some(k) if k != c => None,
            _ => {
                *slot = Some(c);
                Some(())
            }
        }
    };
    match connect {
        Connectivity::Explicit(t) => {
            for &(c, o, _) in t.iter().filter(|e| e.2 != 0.0) {
                put(c as usize, o as usize)?;
            }
        }
        Connectivity::Dense(w) if w.len() == n_teacher * n_out => {
            for (i, _) in w.iter().enumerate().filter(|e| *e.1 != 0.0) {
                put(i / n_out, i % n_out)?;
            }
        }
        Connectivity::OneToOne if n_teacher == n_out => {
            for o in 0..n_out {
                put(o, o)?;
            }
        }
        _ => return None,
    }
    class
        .into_iter()
        .map(|c| c.filter(|&c| c < n_teacher))
        .collect()
}

/// The bench: the error neurons of `spec` alone, fed by a `teacher` and an `out` source; on the
/// die when `on_die` (same sites, so the same mismatch), else on ideal circuits.
pub(super) fn bench_spec(spec: &NetworkSpec, on_die: bool) -> Option<NetworkSpec> {
    let pops: Vec<usize> = ERROR_POPS
        .iter()
        .map(|e| spec.populations.iter().position(|p| p.name == *e))
        .collect::<Option<_>>()?;
    let teacher = spec.sources.iter().find(|s| s.name == "teacher")?;
    let n_out = spec.node_size("out")?;
    let chip = match (&spec.chip, on_die) {
        (Some(b), true) => Some(ChipBinding {
            instance: b.instance.clone(),
            sites: pops.iter().map(|&i| b.sites[i].clone()).collect(),
        }),
        (_, true) => return None,
        _ => None,
    };
    Some(NetworkSpec {
        populations: pops.iter().map(|&i| spec.populations[i].clone()).collect(),
        sources: vec![
            SourceSpec {
                name: "teacher".into(),
                size: teacher.size,
                kind: SourceKind::List {
                    times: vec![Vec::new(); teacher.size],
                },
            },
            SourceSpec {
                name: "out".into(),
                size: n_out,
                kind: SourceKind::List {
                    times: vec![Vec::new(); n_out],
                },
            },
        ],
        projections: pair_projections(spec)
            .into_iter()
            .map(|i| spec.projections[i].clone())
            .collect(),
        dc: spec
            .dc
            .iter()
            .filter(|d| ERROR_POPS.contains(&d.population.as_str()))
            .cloned()
            .collect(),
        record: RecordSpec {
            spikes: Some(ERROR_POPS.iter().map(|s| s.to_string()).collect()),
            ..RecordSpec::default()
        },
        chip,
        learning: Vec::new(),
    })
}

/// Output spike counts of the bench: 0 to twice the teacher's count plus two, at most 9 values.
fn output_counts(n_teacher: usize) -> Vec<usize> {
    let top = 2 * n_teacher + 2;
    let step = top.div_ceil(8).max(1);
    (0..=top).step_by(step).collect()
}

/// Transfer curves `[pop][neuron][trial]`: mean spikes per trial of each error neuron against the
/// output counts, over [`PHASES`] phases, for each group of `plan` in turn: with the group's
/// teacher on, then with it silent; the group's outputs carry the output train, the rest are
/// silent; with contrastive pairs a third block per group, the common mode (teachers silent, the
/// group's outputs `delta` spikes ahead of every other output). A group's trials are
/// `blocks * counts` long.
pub(super) fn curves(
    spec: &NetworkSpec,
    bench: &Bench,
    plan: &Plan,
    seed: u64,
) -> Result<[Vec<Vec<f64>>; 2], BuildError> {
    let mut net = Network::build(spec, bench.dt, seed)?;
    net.learning_on = false;
    let n_teacher = spec.sources[0].size;
    let one = teacher_train(0, 1, bench.duration, bench.rate_teacher, bench.window, 0.0)
        .pop()
        .unwrap_or_default();
    let (on, off) = bench.window.unwrap_or((0.0, bench.duration));
    let off = off.min(bench.duration);
    let counts = output_counts(one.len());
    let groups: Vec<usize> = ERROR_POPS
        .iter()
        .map(|e| net.rec.group(e).expect("recorded"))
        .collect();
    let sizes: Vec<usize> = spec.populations.iter().map(|p| p.size).collect();
    let silent = vec![Vec::new(); n_teacher];
    let n_trials = plan.groups.len() * plan.blocks() * counts.len();
    let mut out: [Vec<Vec<f64>>; 2] = std::array::from_fn(|k| vec![vec![0.0; n_trials]; sizes[k]]);
    // Per group: with the teacher, then without (where only the negative neurons answer, to
    // their outputs); each trial gives every output its spike count.
    let mut trials: Vec<(Vec<Vec<f64>>, Vec<usize>)> = Vec::new();
    // The common-mode block's lead of the group's outputs over the others': half the teacher's
    // count, an error the pairs must report whatever the level both classes fire at.
    let delta = one.len().div_ceil(2).max(1);
    for (teachers, outs) in &plan.groups {
        let teach: Vec<Vec<f64>> = teachers
            .iter()
            .map(|&on| if on { one.clone() } else { Vec::new() })
            .collect();
        for t in [&teach, &silent] {
            trials.extend(counts.iter().map(|&n| {
                let per_out = outs.iter().map(|&on| if on { n } else { 0 }).collect();
                (t.clone(), per_out)
            }));
        }
        if plan.contrastive() {
            trials.extend(counts.iter().map(|&n| {
                let per_out = outs
                    .iter()
                    .map(|&on| if on { n + delta } else { n })
                    .collect();
                (silent.clone(), per_out)
            }));
        }
    }
    for (ci, (teach, per_out)) in trials.into_iter().enumerate() {
        for j in 0..PHASES {
            let phase = (j as f64 + 0.5) / PHASES as f64;
            let train = |n: usize| -> Vec<f64> {
                (0..n)
                    .map(|m| on + (m as f64 + phase) / n as f64 * (off - on))
                    .collect()
            };
            let trains: Vec<Vec<f64>> = per_out.iter().map(|&n| train(n)).collect();
            net.present("teacher", &teach)?;
            net.present("out", &trains)?;
            let start = net.rec.spikes.len();
            net.run(bench.duration);
            for e in &net.rec.spikes[start..] {
                if let Some(k) = groups.iter().position(|&g| g == e.group as usize) {
                    out[k][e.neuron as usize][ci] += 1.0 / PHASES as f64;
                }
            }
            net.run(bench.gap);
            net.rec.spikes.clear();
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::network::{build, NetConfig};

    /// The plan of the preset of `task` (two classes, 16 channels), its own teacher -> `eo_p`
    /// table replaced by `connect` when given.
    fn plan(task: &str, connect: Option<Connectivity>) -> Plan {
        let cfg = NetConfig::for_task(task);
        let (mut spec, _) = build(16, 2, &cfg, 1);
        if let Some(c) = connect {
            let p = spec
                .projections
                .iter_mut()
                .find(|p| p.from == "teacher" && p.to == "eo_p" && is_own(p))
                .expect("own teacher table");
            p.connect = c;
        }
        let n_out = spec.node_size("out").unwrap();
        Plan::of(&spec, 2, n_out, cfg.n_per_class)
    }

    #[test]
    fn contrastive_pairs_are_benched_one_class_at_a_time() {
        // `sync` compares each error neuron with its own class only: one group, everything on.
        let p = plan("sync", None);
        assert_eq!(p.groups.len(), 1);
        assert!(p.groups[0].0.iter().chain(&p.groups[0].1).all(|&on| on));
        // `xor` is contrastive: one group per class, that class's teacher and its 4 outputs.
        let classes = vec![0, 0, 0, 0, 1, 1, 1, 1];
        let p = plan("xor", None);
        assert_eq!(p.own_group, classes);
        assert_eq!(p.groups.len(), 2);
        for (c, (teacher, out)) in p.groups.iter().enumerate() {
            assert_eq!(teacher, &[c == 0, c == 1]);
            let want: Vec<bool> = classes.iter().map(|&k| k == c).collect();
            assert_eq!(out, &want);
        }
        // A table that names no one teacher per output (every teacher onto every pair): the
        // classes come from the training layout, `k / n_per_class`.
        assert_eq!(plan("xor", Some(Connectivity::AllToAll)).own_group, classes);
        // One-to-one wiring names a class per output only with as many outputs as teachers;
        // with 8 outputs the layout decides again.
        assert_eq!(plan("xor", Some(Connectivity::OneToOne)).own_group, classes);
    }

    #[test]
    fn classes_are_read_from_any_table_that_names_one_teacher_per_output() {
        let t = vec![(1, 0, 1e-9), (0, 1, 2e-9), (1, 2, 0.0), (0, 2, 1e-9)];
        assert_eq!(
            classes_of(&Connectivity::Explicit(t), 2, 3),
            Some(vec![1, 0, 0])
        );
        let d = vec![0.0, 1e-9, 1e-9, 1e-9, 0.0, 0.0];
        assert_eq!(
            classes_of(&Connectivity::Dense(d), 2, 3),
            Some(vec![1, 0, 0])
        );
        assert_eq!(
            classes_of(&Connectivity::OneToOne, 3, 3),
            Some(vec![0, 1, 2])
        );
        // Two teachers onto one output, an output without any, a teacher out of range.
        let two = vec![(0, 0, 1e-9), (1, 0, 1e-9), (1, 1, 1e-9)];
        assert_eq!(classes_of(&Connectivity::Explicit(two), 2, 2), None);
        assert_eq!(
            classes_of(&Connectivity::Explicit(vec![(0, 0, 1e-9)]), 2, 2),
            None
        );
        assert_eq!(
            classes_of(
                &Connectivity::Explicit(vec![(0, 0, 1e-9), (2, 1, 1e-9)]),
                2,
                2
            ),
            None
        );
        assert_eq!(classes_of(&Connectivity::AllToAll, 2, 2), None);
    }
}
