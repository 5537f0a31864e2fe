//! Per-die calibration of the output error pairs: what `--calibrate` does after the core biases.
//!
//! An output error neuron compares two spike trains — the teacher's and its output's — through
//! two synapses of its own (`teacher -> eo_p` AMPA and `out -> eo_p` GABA for the positive neuron,
//! the opposite types for the negative one). On a die each of those synapses has its own weight
//! mismatch and each error neuron its own synapse and membrane circuits, so the output count at
//! which a pair falls silent differs from neuron to neuron: on `dynapse2` die 16 (seed 1) one
//! positive error neuron of `sync` fires on every teacher spike whatever its output does, and,
//! pooled over its class, it potentiates the class's outputs without end (docs/train-tuning.md,
//! session 22).
//!
//! The calibration measures each error neuron as a user would on the bench: the error neurons
//! alone, on their sites of the die, get the teacher train of one presentation (the preset's rate
//! and window) and a regular output train of `n` spikes inside the teacher's window, `n` from 0 to
//! about twice the teacher's spike count, each at [`PHASES`] phases; then the same output trains
//! with the teacher silent (a presentation of another class, where the negative neuron alone
//! answers its output). Its spike counts against `n` are its transfer curve; the design's curve is
//! the same measurement on ideal circuits. Each neuron's two input weights are moved, one side at
//! a time, from 0.4 to 1.5 times their design value in steps of 1/10 (one step of a 4-bit weight
//! mask: on a calibrated die the ladder of the error neurons' core has [`HEADROOM`], so a design
//! weight sits on level 10 of 15), and the setting whose curve is closest to the design's (sum of
//! squared differences over both conditions; the design setting wins ties) is kept. A positive
//! neuron that fires too much gets less teacher or more output weight, a deaf negative one less
//! teacher or more output weight, and so on. Only requested weights change: the die then quantizes
//! and mismatches them as any weight. Every setting is measured on all error neurons at once (each
//! has its own synapses) with the same noise, 23 short bench runs (72 with contrastive pairs: 23
//! plus 49 moves), in parallel.
//!
//! With contrastive wiring (`xor`: each pair also compares the other class's teacher with that
//! class's outputs, with the opposite sign) both classes' teachers on at once cancel in every pair,
//! so the bench drives one class at a time — its teacher (on, then silent) and its outputs — and a
//! neuron sees its own synapses alone on its class's trials and its contrastive ones alone on the
//! others'. The two pairs of weights are chosen apart, each on its own trials, from the same bench
//! runs. At run time, though, both classes' outputs fire together, and a pair must report their
//! difference whatever level they share: a neuron whose contrastive output synapse outweighs its
//! own fires on every presentation (on `xor`'s die 19 a positive neuron fired 30–46 spikes while
//! its partner of the other class stayed at 0–5, and the readout climbed to its bound on both
//! classes; docs/train-tuning.md, session 29). The own and contrastive trials alone cannot see
//! that: a weak own output synapse looks, against the teacher, like a strong teacher synapse. So
//! each group gets a third block of trials, the common mode: teachers silent, the group's outputs
//! half a teacher count ahead of every other output, at every level. From the settings chosen on
//! the own and contrastive trials, each of a neuron's four scales is then moved through the steps
//! one at a time, the others kept, and the setting closest to the design over all three blocks
//! is kept. A class's outputs are the ones its teacher neuron drives through the own `teacher -> eo_p`
//! synapses; where that table names no single teacher per output (all-to-all wiring, say), the
//! training layout decides (`out` neuron `k` is class `k / n_per_class`).

use mixsig_chip::rng::{self, name_id};
use mixsig_circuits::SynapseType;
use mixsig_engine::spec::{
    ChipBinding, Connectivity, ProjectionSpec, RecordSpec, SourceKind, SourceSpec,
};
use mixsig_engine::{BuildError, Network, NetworkSpec};
use rayon::prelude::*;
use serde::Serialize;

use super::protocol::teacher_train;

/// Phases of the output train per output count (the output spikes fall at `(m + phase) / n` of
/// the window, phase `(j + 1/2) / PHASES`).
pub const PHASES: usize = 4;

/// Headroom of the weight ladder of the error neurons' core on a calibrated die
/// ([`super::placement::bind_to_die`]): its top is 1.5 times the largest weight landing there, so
/// that a design weight sits on mask level 10 of 15 and a weak synapse can be turned up by up to
/// five steps as well as down.
pub const HEADROOM: f64 = 1.5;

/// The weight scales tried on one side, in steps of 1/10 of the design weight (one mask step with
/// [`HEADROOM`]): 0.4 to 1.5.
const STEPS: std::ops::RangeInclusive<u32> = 4..=15;

/// The calibration of one error neuron.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairCalibration {
    /// Population (`eo_p` or `eo_n`).
    pub population: String,
    /// Neuron index in the population.
    pub neuron: u32,
    /// Factor on its teacher synapses' requested weight.
    pub teacher_scale: f64,
    /// Factor on its output synapses' requested weight.
    pub output_scale: f64,
    /// Factor on its contrastive teacher synapses' requested weight (the other classes' teacher,
    /// [`super::config::NetConfig::contrast`]; 1 when the network has none).
    pub cross_teacher_scale: f64,
    /// Factor on its contrastive output synapses' requested weight (the other classes' outputs; 1
    /// when the network has none).
    pub cross_output_scale: f64,
    /// Squared distance of its transfer curves from the design's before calibration (spikes^2,
    /// summed over output counts, own and contrastive curves, and with contrastive pairs the
    /// common-mode block).
    pub misfit_before: f64,
    /// The same after. Without contrastive pairs the design setting is among the candidates, so
    /// this is at most `misfit_before`; with them the second stage starts from the first stage's
    /// settings, which bounds it only in practice (on `xor`'s dies 0, 5, 13 and 19 every neuron
    /// ends closer to the design than it started).
    pub misfit_after: f64,
}

/// What the calibration measures with: the teacher's rate (Hz) and window (s, from the trial's
/// start), the presentation and gap durations (s) and the step (s).
#[derive(Debug, Clone, Copy)]
pub struct Bench {
    /// Teacher rate, Hz.
    pub rate_teacher: f64,
    /// Teacher window from the presentation start, s (`None`: the whole presentation).
    pub window: Option<(f64, f64)>,
    /// Presentation duration, s.
    pub duration: f64,
    /// Silence after each trial, s.
    pub gap: f64,
    /// Integration step, s.
    pub dt: f64,
    /// Output neurons per class (`out` neuron `k` belongs to class `k / n_per_class`, as in
    /// training): with contrastive wiring, the classes the bench drives one at a time when the
    /// own teacher table does not name one teacher per output (all-to-all or random wiring).
    pub n_per_class: usize,
}

impl Bench {
    /// The bench of a training run: the teacher of `cfg`, presentations of `duration` s, and the
    /// gap and step of `protocol`.
    pub fn new(
        cfg: &super::config::NetConfig,
        duration: f64,
        protocol: &super::protocol::Protocol,
    ) -> Bench {
        Bench {
            rate_teacher: cfg.rate_teacher,
            window: cfg.teacher_window,
            duration,
            gap: protocol.gap,
            dt: protocol.dt,
            n_per_class: cfg.n_per_class,
        }
    }
}

const ERROR_POPS: [&str; 2] = ["eo_p", "eo_n"];

/// The weight settings tried: the design `(1, 1)` first, then the teacher side alone from 0.4 to
/// 1.5 times its design weight, then the output side alone.
fn candidates() -> Vec<(f64, f64)> {
    let side = || STEPS.filter(|&k| k != 10).map(|k| f64::from(k) / 10.0);
    std::iter::once((1.0, 1.0))
        .chain(side().map(|s| (s, 1.0)))
        .chain(side().map(|s| (1.0, s)))
        .collect()
}

/// The projections into the error neurons from `teacher` or `out`, in spec order (their order
/// fixes each synapse's slot on the die, so the bench keeps it).
fn pair_projections(spec: &NetworkSpec) -> Vec<usize> {
    spec.projections
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            ERROR_POPS.contains(&p.to.as_str()) && (p.from == "teacher" || p.from == "out")
        })
        .map(|(i, _)| i)
        .collect()
}

/// Multiply the weight of every synapse onto post neuron `post` of projection `conn` by
/// `factor(post)`. Explicit and dense tables scale entries; the other kinds are left alone.
fn scale_posts(conn: &mut Connectivity, n_post: usize, factor: impl Fn(usize) -> f64) {
    match conn {
        Connectivity::Explicit(t) => {
            for e in t.iter_mut() {
                e.2 *= factor(e.1 as usize);
            }
        }
        Connectivity::Dense(w) if n_post > 0 => {
            for (i, x) in w.iter_mut().enumerate() {
                *x *= factor(i % n_post);
            }
        }
        _ => {}
    }
}

/// Whether a pair projection is an error neuron's own comparison (its class's teacher, its own
/// output) rather than a contrastive one (the other classes' teacher and outputs with the opposite
/// sign, [`super::config::NetConfig::contrast`]): the own teacher excites `eo_p` and inhibits
/// `eo_n`, the own output the other way round.
fn is_own(p: &ProjectionSpec) -> bool {
    let excites = matches!(p.synapse, SynapseType::Ampa | SynapseType::Nmda);
    excites == ((p.to == "eo_p") == (p.from == "teacher"))
}

/// The scales of one error neuron: `(teacher, output)` on its own synapses and on its contrastive
/// ones.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scales {
    own: (f64, f64),
    cross: (f64, f64),
}

const DESIGN: Scales = Scales {
    own: (1.0, 1.0),
    cross: (1.0, 1.0),
};

/// `scales[pop][neuron]` applied to the pair projections of `spec`.
fn apply(spec: &mut NetworkSpec, scales: &[Vec<Scales>; 2]) {
    for i in pair_projections(spec) {
        let p = &mut spec.projections[i];
        let which = ERROR_POPS
            .iter()
            .position(|&e| e == p.to)
            .expect("error pop");
        let n_post = scales[which].len();
        let (teacher, own) = (p.from == "teacher", is_own(p));
        let s = &scales[which];
        scale_posts(&mut p.connect, n_post, |post| {
            let x = s.get(post).copied().unwrap_or(DESIGN);
            let (t, o) = if own { x.own } else { x.cross };
            if teacher {
                t
            } else {
                o
            }
        });
    }
}

/// Which inputs the bench drives together: per group, the teacher neurons and the outputs that
/// are on, and each error neuron's own group. Without contrastive wiring there is one group, every
/// teacher and every output (each error neuron sees only its own class's teacher and its own
/// output anyway). With it there is one group per class — that class's teacher and outputs — so
/// that a class's error neurons see their own synapses in their own group and their contrastive
/// ones, alone, in the other groups.
struct Plan {
    groups: Vec<(Vec<bool>, Vec<bool>)>,
    own_group: Vec<usize>,
}

impl Plan {
    /// Whether the plan benches contrastive pairs (one group per class): each group then has a
    /// third block of trials, the common-mode block (teachers silent, the group's outputs at
    /// `n + delta` spikes and every other output at `n`).
    fn contrastive(&self) -> bool {
        self.groups.len() > 1
    }

    /// Trial blocks per group: teacher on, teacher silent, and (contrastive) common mode.
    fn blocks(&self) -> usize {
        if self.contrastive() {
            3
        } else {
            2
        }
    }

    /// The plan for the error pairs of `spec` with `n_teacher` teacher neurons (one per class)
    /// and `n_out` outputs, `n_per_class` of them per class.
    fn of(spec: &NetworkSpec, n_teacher: usize, n_out: usize, n_per_class: usize) -> Plan {
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
fn bench_spec(spec: &NetworkSpec, on_die: bool) -> Option<NetworkSpec> {
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
fn curves(
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

fn misfit(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Calibrate the output error pairs of `spec` (bound to a die) against the design (the same
/// network on ideal circuits) and scale their requested weights in place; returns one record per
/// error neuron (empty when the network has no output error pairs or no die).
pub fn calibrate_error_pairs(
    spec: &mut NetworkSpec,
    bench: &Bench,
    seed: u64,
) -> Result<Vec<PairCalibration>, BuildError> {
    let design = spec.clone();
    calibrate_error_pairs_against(spec, &design, bench, seed)
}

/// [`calibrate_error_pairs`] with the design given apart: `design`'s error pairs on ideal
/// circuits give the target curves (a test spoils the die's side only this way).
pub fn calibrate_error_pairs_against(
    spec: &mut NetworkSpec,
    design: &NetworkSpec,
    bench: &Bench,
    seed: u64,
) -> Result<Vec<PairCalibration>, BuildError> {
    let (Some(ideal), Some(die)) = (bench_spec(design, false), bench_spec(spec, true)) else {
        return Ok(Vec::new());
    };
    let seed = rng::key(seed, &[name_id("error-pair-calibration")]);
    let plan = Plan::of(
        &die,
        die.sources[0].size,
        die.sources[1].size,
        bench.n_per_class,
    );
    let design = curves(&ideal, bench, &plan, seed)?;
    let sizes = [design[0].len(), design[1].len()];
    let cands = candidates();
    // Every candidate on every neuron at once (each neuron has its own synapses): one bench run
    // per candidate, with the same noise (same seed) for all. A candidate scales a neuron's own
    // and contrastive synapses alike; the two are chosen apart below, each on the trials that
    // drive it alone.
    let measured: Vec<[Vec<Vec<f64>>; 2]> = cands
        .par_iter()
        .map(|&c| {
            // The bench holds the pair projections in the network's order, so the same scaling
            // applies to it.
            let mut b = die.clone();
            let x = Scales { own: c, cross: c };
            apply(&mut b, &[vec![x; sizes[0]], vec![x; sizes[1]]]);
            curves(&b, bench, &plan, seed)
        })
        .collect::<Result<_, _>>()?;
    let n_counts =
        design[0].first().map_or(0, |c| c.len()) / (plan.groups.len() * plan.blocks()).max(1);
    let per_group = plan.blocks() * n_counts;
    // Squared distance of neuron `i` of population `k` on a block (0 teacher on, 1 silent, 2
    // common mode) of the groups that are (`on_own`) or are not its own.
    let block_fit = |m: &[f64], k: usize, i: usize, blocks: &[usize], on_own: Option<bool>| {
        let own = plan.own_group.get(i).copied().unwrap_or(0);
        (0..plan.groups.len())
            .filter(|&g| on_own.is_none_or(|o| (g == own) == o))
            .flat_map(|g| blocks.iter().map(move |&b| g * per_group + b * n_counts))
            .map(|r0| {
                let r = r0..r0 + n_counts;
                misfit(&m[r.clone()], &design[k][i][r])
            })
            .sum::<f64>()
    };
    let argmin = |fits: &[f64]| -> usize {
        (0..fits.len())
            .min_by(|&a, &b| fits[a].total_cmp(&fits[b]).then(a.cmp(&b)))
            .unwrap_or(0)
    };
    // Stage 1: each neuron's own scales on its own group's trials, its contrastive ones on the
    // others' (each set of trials drives one kind of synapse alone). Per neuron: the own fits
    // and the contrastive fits over the candidates.
    let mut fits: [Vec<(Vec<f64>, Vec<f64>)>; 2] = Default::default();
    for (k, f) in fits.iter_mut().enumerate() {
        for i in 0..sizes[k] {
            let on = |on_own: bool| -> Vec<f64> {
                measured
                    .iter()
                    .map(|m| block_fit(&m[k][i], k, i, &[0, 1], Some(on_own)))
                    .collect()
            };
            f.push((on(true), on(false)));
        }
    }
    let mut scales: [Vec<Scales>; 2] = std::array::from_fn(|k| {
        fits[k]
            .iter()
            .map(|(own, cross)| Scales {
                own: cands[argmin(own)],
                cross: cands[argmin(cross)],
            })
            .collect()
    });
    let mut before: [Vec<f64>; 2] =
        std::array::from_fn(|k| fits[k].iter().map(|(o, c)| o[0] + c[0]).collect());
    let mut after: [Vec<f64>; 2] = std::array::from_fn(|k| {
        fits[k]
            .iter()
            .map(|(o, c)| o[argmin(o)] + c[argmin(c)])
            .collect()
    });
    // Stage 2 (contrastive pairs): at run time both classes' outputs fire together, and a pair
    // must report their difference whatever level they share; a neuron whose contrastive output
    // synapse outweighs its own fires on that common level (on the bench, the common-mode block).
    // The own and contrastive trials alone cannot tell a weak own output synapse from a strong
    // teacher one. So each neuron's four scales of stage 1 are moved one at a time through the
    // steps, the others kept, and the setting that fits every block together (own, contrastive
    // and common mode) wins (stage 1's on a tie).
    if plan.contrastive() {
        let steps: Vec<f64> = STEPS.map(|k| f64::from(k) / 10.0).collect();
        let moves: Vec<(usize, f64)> = std::iter::once((usize::MAX, f64::NAN))
            .chain((0..4).flat_map(|d| steps.iter().map(move |&v| (d, v))))
            .collect();
        let moved = |x: Scales, (dim, v): (usize, f64)| -> Scales {
            let (mut own, mut cross) = (x.own, x.cross);
            match dim {
                0 => own.0 = v,
                1 => own.1 = v,
                2 => cross.0 = v,
                3 => cross.1 = v,
                _ => {}
            }
            Scales { own, cross }
        };
        let measured2: Vec<[Vec<Vec<f64>>; 2]> = moves
            .par_iter()
            .map(|&mv| {
                let mut b = die.clone();
                let with =
                    |k: usize| -> Vec<Scales> { scales[k].iter().map(|&x| moved(x, mv)).collect() };
                apply(&mut b, &[with(0), with(1)]);
                curves(&b, bench, &plan, seed)
            })
            .collect::<Result<_, _>>()?;
        for k in 0..2 {
            for i in 0..sizes[k] {
                before[k][i] += block_fit(&measured[0][k][i], k, i, &[2], None);
                let total: Vec<f64> = measured2
                    .iter()
                    .map(|m| block_fit(&m[k][i], k, i, &[0, 1, 2], None))
                    .collect();
                let b = argmin(&total);
                scales[k][i] = moved(scales[k][i], moves[b]);
                after[k][i] = total[b];
            }
        }
    }
    let mut records = Vec::new();
    for k in 0..2 {
        for (i, x) in scales[k].iter().enumerate() {
            records.push(PairCalibration {
                population: ERROR_POPS[k].into(),
                neuron: i as u32,
                teacher_scale: x.own.0,
                output_scale: x.own.1,
                cross_teacher_scale: x.cross.0,
                cross_output_scale: x.cross.1,
                misfit_before: before[k][i],
                misfit_after: after[k][i],
            });
        }
    }
    apply(spec, &scales);
    Ok(records)
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
