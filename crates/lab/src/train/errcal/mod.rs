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
//!
//! The bench itself — which error neurons and inputs it holds, which trials it drives, the
//! transfer curves it measures — is [`bench`]'s; this module chooses and applies the weights.

use mixsig_chip::rng::{self, name_id};
use mixsig_engine::spec::Connectivity;
use mixsig_engine::{BuildError, NetworkSpec};
use rayon::prelude::*;
use serde::Serialize;

mod bench;
use bench::{bench_spec, curves, is_own, pair_projections, Plan};

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
