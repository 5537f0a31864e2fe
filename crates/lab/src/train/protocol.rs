//! The training protocol: present training patterns one after another with the teacher on and
//! plasticity on; at checkpoints, evaluate a frozen copy of the network on the test patterns (teacher
//! off, learning off) — accuracy is the fraction of test presentations on which the correct class's
//! output population fires most. The learning-rate bias decays over training. A checkpoint's test
//! runs on its own frozen copy, started on the thread pool (rayon) as soon as the checkpoint is taken
//! and run while the training goes on, so the numbers are the same on any number of threads and the
//! tests cost little wall time on a second core.

use std::time::Instant;

use mixsig_engine::projection::PreRef;
use mixsig_engine::{BuildError, Network, NetworkSpec};
use serde::Serialize;

use super::network::Layout;
use super::result::{divergence, mean, mirrored, stored_weights};
pub use super::result::{Checkpoint, FinalWeights, RasterSample, TrainResult};
use crate::tasks::{Presentation, TaskSet};

/// Protocol knobs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Protocol {
    /// Training presentations.
    pub presentations: usize,
    /// Evaluate every this many training presentations (and before training).
    pub test_every: usize,
    /// Silence between presentations, s (traces and slow synapses relax).
    pub gap: f64,
    /// Time step, s.
    pub dt: f64,
    /// Learning-rate decay: `eta(n) = eta / (1 + n/eta_decay)` after `n` presentations (0: none).
    pub eta_decay: f64,
    /// The teacher fires only within `(t_on, t_off)` s (from [`Protocol::teacher_anchor`]) of each
    /// training presentation (`None`: the whole presentation); set from
    /// [`super::network::NetConfig::teacher_window`].
    pub teacher_window: Option<(f64, f64)>,
    /// What the teacher window's times count from (the presentation start, or its first input
    /// spike); set from [`super::network::NetConfig::teacher_anchor`].
    pub teacher_anchor: TeacherAnchor,
}

/// What the teacher window `(t_on, t_off)` counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TeacherAnchor {
    /// The presentation start: the window is fixed in time (`order`, `xor`: the answer comes at a
    /// known time).
    #[default]
    Start,
    /// The first input spike of the presentation: the window follows the input, for tasks whose
    /// cue comes at a varying time (`sync`: the volley falls anywhere in the first 70%). A
    /// presentation without input spikes counts from its start.
    FirstInput,
}

impl TeacherAnchor {
    /// The anchor time of `p`, s from the presentation start.
    pub fn time(self, p: &Presentation) -> f64 {
        match self {
            TeacherAnchor::Start => 0.0,
            TeacherAnchor::FirstInput => p
                .channels
                .iter()
                .filter_map(|c| c.iter().copied().reduce(f64::min))
                .reduce(f64::min)
                .unwrap_or(0.0),
        }
    }

    /// The name used in network files and summaries (`start`, `first_input`).
    pub fn name(self) -> &'static str {
        match self {
            TeacherAnchor::Start => "start",
            TeacherAnchor::FirstInput => "first_input",
        }
    }

    /// Parse [`TeacherAnchor::name`].
    pub fn parse(s: &str) -> Option<TeacherAnchor> {
        match s {
            "start" => Some(TeacherAnchor::Start),
            "first_input" => Some(TeacherAnchor::FirstInput),
            _ => None,
        }
    }
}

impl Protocol {
    /// The factor on every learning rate during training presentation `n` (from 0):
    /// `1 / (1 + n / eta_decay)`, or 1 without decay (`eta_decay = 0`).
    pub fn eta_scale(&self, n: usize) -> f64 {
        if self.eta_decay > 0.0 {
            1.0 / (1.0 + n as f64 / self.eta_decay)
        } else {
            1.0
        }
    }
}

impl Default for Protocol {
    fn default() -> Self {
        Protocol {
            presentations: 200,
            test_every: 40,
            gap: 0.1,
            dt: 1e-4,
            eta_decay: 100.0,
            teacher_window: None,
            teacher_anchor: TeacherAnchor::Start,
        }
    }
}

/// The teacher's spike trains for one presentation of class `label`: a regular train at `rate` on
/// the label's channel, spikes at `anchor + (k + 1/2) / rate` inside the presentation, kept only
/// inside `window` (`[anchor + t_on, anchor + t_off)`, s) when there is one; the other channels are
/// silent. `anchor` is 0 for windows fixed in time ([`TeacherAnchor::time`]).
pub fn teacher_train(
    label: usize,
    n_classes: usize,
    duration: f64,
    rate: f64,
    window: Option<(f64, f64)>,
    anchor: f64,
) -> Vec<Vec<f64>> {
    let mut t = vec![Vec::new(); n_classes];
    if rate > 0.0 {
        let (on, off) = match window {
            Some((on, off)) => (anchor + on, (anchor + off).min(duration)),
            None => (0.0, duration),
        };
        let phase = if window.is_some() { anchor } else { 0.0 };
        let n = ((duration - phase).max(0.0) * rate).floor() as usize;
        t[label] = (0..n)
            .map(|k| phase + (k as f64 + 0.5) / rate)
            .filter(|&s| s >= on && s < off)
            .collect();
    }
    t
}

/// The teacher of a training presentation: its rate (Hz), window (s) and what the window counts
/// from.
#[derive(Debug, Clone, Copy)]
struct Teacher {
    rate: f64,
    window: Option<(f64, f64)>,
    anchor: TeacherAnchor,
}

/// Present `p` to `net` for `duration` then `gap` of silence; returns the output spike count per
/// class during the presentation, and the error-neuron spikes.
fn present(
    net: &mut Network,
    p: &Presentation,
    teacher: Option<Teacher>,
    layout: &Layout,
    n_per_class: usize,
    duration: f64,
    gap: f64,
) -> Result<(Vec<u64>, u64), BuildError> {
    net.present("in", &p.channels)?;
    let t = match teacher {
        Some(te) => teacher_train(
            p.label,
            layout.n_classes,
            duration,
            te.rate,
            te.window,
            te.anchor.time(p),
        ),
        None => vec![Vec::new(); layout.n_classes],
    };
    net.present("teacher", &t)?;
    let start = net.rec.spikes.len();
    let out = net.rec.group("out").expect("out population");
    let (ep, en) = (
        net.rec.group("eo_p").expect("eo_p"),
        net.rec.group("eo_n").expect("eo_n"),
    );
    net.run(duration);
    let mut scores = vec![0u64; layout.n_classes];
    let mut err = 0u64;
    let mut err_pn = vec![[0u64; 2]; layout.n_classes];
    for e in &net.rec.spikes[start..] {
        let g = e.group as usize;
        if g == out {
            scores[e.neuron as usize / n_per_class] += 1;
        } else if g == ep || g == en {
            err += 1;
            err_pn[e.neuron as usize / n_per_class][usize::from(g == en)] += 1;
        }
    }
    if teacher.is_some() && std::env::var_os("MIXSIG_DEBUG_TRAIN_BINS").is_some() {
        // 20 ms bins of outputs, e+ and e- (summed over a class's neurons): the label's class,
        // then the other classes.
        let nb = ((duration / 0.02).ceil() as usize).max(1);
        let mut bins = vec![[0u32; 6]; nb];
        let k0 = net.k - (duration / net.dt).round() as u64;
        for e in &net.rec.spikes[start..] {
            let g = e.group as usize;
            let other = if e.neuron as usize / n_per_class == p.label {
                0
            } else {
                3
            };
            let b = (((e.step - k0) as f64 * net.dt / 0.02) as usize).min(nb - 1);
            let which = if g == out {
                0
            } else if g == ep {
                1
            } else if g == en {
                2
            } else {
                continue;
            };
            bins[b][which + other] += 1;
        }
        eprintln!("bins label {} out/e+/e- {bins:?}", p.label);
    }
    if teacher.is_some() && std::env::var_os("MIXSIG_DEBUG_TRAIN").is_some() {
        eprintln!(
            "train label {} scores {scores:?} e+/e- per class {err_pn:?}",
            p.label
        );
    }
    if teacher.is_some() && std::env::var_os("MIXSIG_DEBUG_TRAIN_NEURONS").is_some() {
        // Spike counts per neuron of the outputs, e+ and e-.
        let n_out = layout.n_classes * n_per_class;
        let mut per = vec![vec![0u32; n_out]; 3];
        for e in &net.rec.spikes[start..] {
            let g = e.group as usize;
            let which = if g == out {
                0
            } else if g == ep {
                1
            } else if g == en {
                2
            } else {
                continue;
            };
            per[which][e.neuron as usize] += 1;
        }
        eprintln!(
            "neurons label {} out {:?} e+ {:?} e- {:?}",
            p.label, per[0], per[1], per[2]
        );
    }
    net.run(gap);
    // Keep memory bounded: the protocol reads spikes per presentation only.
    net.rec.spikes.clear();
    Ok((scores, err))
}

fn predict(scores: &[u64]) -> Option<usize> {
    let max = *scores.iter().max()?;
    if max == 0 || scores.iter().filter(|&&s| s == max).count() > 1 {
        return None; // silence or a tie is not a decision
    }
    scores.iter().position(|&s| s == max)
}

/// Accuracy of a frozen copy of `net` on `test`.
fn evaluate(
    net: &Network,
    test: &[Presentation],
    layout: &Layout,
    n_per_class: usize,
    duration: f64,
    gap: f64,
) -> Result<f64, BuildError> {
    let mut frozen = net.clone();
    frozen.learning_on = false;
    let mut correct = 0;
    for p in test {
        let (scores, _) = present(&mut frozen, p, None, layout, n_per_class, duration, gap)?;
        if std::env::var_os("MIXSIG_DEBUG_TRAIN").is_some() {
            eprintln!("label {} scores {:?}", p.label, scores);
        }
        if predict(&scores) == Some(p.label) {
            correct += 1;
        }
    }
    Ok(correct as f64 / test.len().max(1) as f64)
}

fn sample_raster(
    net: &Network,
    p: &Presentation,
    when: &'static str,
    duration: f64,
) -> Result<RasterSample, BuildError> {
    let mut n = net.clone();
    n.learning_on = false;
    n.rec.keep = n.rec.names.iter().map(|_| true).collect();
    n.rec.spikes.clear();
    n.present("in", &p.channels)?;
    let k0 = n.k;
    n.run(duration);
    let spikes = n
        .rec
        .spikes
        .iter()
        .map(|e| {
            (
                (e.step - k0) as f64 * n.dt,
                n.rec.names[e.group as usize].clone(),
                e.neuron,
            )
        })
        .collect();
    Ok(RasterSample {
        label: p.label,
        when,
        spikes,
    })
}

/// Train `spec` (built by [`super::network::build`]) on `task`; `progress(done, total)` after
/// every training presentation.
#[allow(clippy::too_many_arguments)]
pub fn run(
    spec: &NetworkSpec,
    layout: &Layout,
    n_per_class: usize,
    rate_teacher: f64,
    task: &TaskSet,
    proto: &Protocol,
    seed: u64,
    mut progress: impl FnMut(usize, usize) + Send,
) -> Result<TrainResult, BuildError> {
    let r = run_until(
        spec,
        layout,
        n_per_class,
        rate_teacher,
        task,
        proto,
        seed,
        |d, n| {
            progress(d, n);
            true
        },
    )?;
    Ok(r.expect("never stopped"))
}

/// [`run`] that can be stopped: after every training presentation `progress(done, total)` says
/// whether to go on; `Ok(None)` when it said no (an interrupt), once the pending checkpoint tests
/// have finished.
#[allow(clippy::too_many_arguments)]
pub fn run_until(
    spec: &NetworkSpec,
    layout: &Layout,
    n_per_class: usize,
    rate_teacher: f64,
    task: &TaskSet,
    proto: &Protocol,
    seed: u64,
    mut progress: impl FnMut(usize, usize) -> bool + Send,
) -> Result<Option<TrainResult>, BuildError> {
    let t0 = Instant::now();
    let mut net = Network::build(spec, proto.dt, seed)?;
    let d = task.duration;
    let first_of = |c: usize| task.test.iter().find(|p| p.label == c);
    let mut rasters = Vec::new();
    for c in 0..task.n_classes {
        if let Some(p) = first_of(c) {
            rasters.push(sample_raster(&net, p, "before", d)?);
        }
    }
    let mut block_err = 0u64;
    let mut block_n = 0usize;
    let mut error_spikes = Vec::with_capacity(proto.presentations);
    let n_err = spec
        .populations
        .iter()
        .filter(|p| p.name == "eo_p" || p.name == "eo_n")
        .map(|p| p.size)
        .sum::<usize>()
        .max(1);
    let rate = |err: u64, n: usize| {
        if n > 0 {
            err as f64 / (n as f64 * d * n_err as f64)
        } else {
            f64::NAN
        }
    };
    // Checkpoints: weight statistics now, the test on a frozen copy in parallel with training.
    let snapshot = |net: &Network, n: usize, err_rate: f64| -> (Checkpoint, Network) {
        let w = stored_weights(net, layout);
        let mut c = Checkpoint {
            presentations: n,
            test_accuracy: f64::NAN,
            error_rate_out_hz: err_rate,
            w1_mean: if w.w1.is_empty() {
                f64::NAN
            } else {
                mean(&w.w1)
            },
            w2_mean: mean(&w.w2),
            b_mean: if w.feedback.is_empty() {
                f64::NAN
            } else {
                mean(&w.feedback)
            },
            mirror_divergence: f64::NAN,
            mirror_divergence_effective: f64::NAN,
        };
        if let Some((mirror, eff_w2, eff_b)) = mirrored(net, layout) {
            c.mirror_divergence = divergence(&w.w2, mirror, w.dims.2);
            c.mirror_divergence_effective = divergence(eff_w2, eff_b, w.dims.2);
        }
        if std::env::var_os("MIXSIG_DEBUG_TRAIN").is_some() {
            let n_o = layout.n_classes * n_per_class;
            let per_class: Vec<f64> = (0..layout.n_classes)
                .map(|c| {
                    let v: Vec<f64> =
                        w.w2.iter()
                            .enumerate()
                            .filter(|(s, _)| (s % n_o) / n_per_class == c)
                            .map(|(_, w)| *w)
                            .collect();
                    mean(&v)
                })
                .collect();
            eprintln!("checkpoint {n}: W2 mean per class {per_class:?}");
            // The learned bias of each output (summed over its bias synapses).
            for l in &net.learners {
                let p = &net.projections[l.spec.projection];
                let is_bias = matches!(p.pre, PreRef::Source(s) if net.sources[s].name == "bias");
                if is_bias {
                    let st = l.stored(0);
                    let per_out: Vec<String> = (0..n_o)
                        .map(|o| {
                            let s: f64 = st.iter().skip(o).step_by(n_o).sum();
                            format!("{:.2}", s * 1e10)
                        })
                        .collect();
                    eprintln!("checkpoint {n}: bias per output (1e-10 A) {per_out:?}");
                }
            }
        }
        let mut frozen = net.clone();
        frozen.learning_on = false;
        (c, frozen)
    };
    // Each checkpoint's test is a job on the thread pool, started when the checkpoint is taken
    // (its own frozen copy: the same numbers on any number of threads); the training goes on
    // meanwhile. The results come back tagged with their checkpoint's index.
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Result<Checkpoint, BuildError>)>();
    // The training itself runs on a pool thread too (`rayon::scope`), so that a network heavy
    // enough steps its populations on two threads ([`Network::step_split`]); an idle thread takes
    // the oldest job first, which is a pending test rather than half of a step.
    let n_checkpoints = rayon::scope(|scope| -> Result<Option<usize>, BuildError> {
        let mut n_checkpoints = 0;
        let mut test = |(mut c, frozen): (Checkpoint, Network)| {
            let (tx, idx) = (tx.clone(), n_checkpoints);
            n_checkpoints += 1;
            let test = &task.test;
            scope.spawn(move |_| {
                let r = evaluate(&frozen, test, layout, n_per_class, d, proto.gap).map(|a| {
                    c.test_accuracy = a;
                    c
                });
                // The receiver outlives the scope: a send cannot fail.
                let _ = tx.send((idx, r));
            });
        };
        test(snapshot(&net, 0, f64::NAN));
        for n in 0..proto.presentations {
            let p = &task.train[n % task.train.len()];
            net.eta_scale = proto.eta_scale(n);
            let (_, err) = present(
                &mut net,
                p,
                Some(Teacher {
                    rate: rate_teacher,
                    window: proto.teacher_window,
                    anchor: proto.teacher_anchor,
                }),
                layout,
                n_per_class,
                d,
                proto.gap,
            )?;
            block_err += err;
            block_n += 1;
            error_spikes.push(err);
            if !progress(n + 1, proto.presentations) {
                return Ok(None);
            }
            if (n + 1) % proto.test_every.max(1) == 0 || n + 1 == proto.presentations {
                test(snapshot(&net, n + 1, rate(block_err, block_n)));
                block_err = 0;
                block_n = 0;
            }
        }
        Ok(Some(n_checkpoints))
    })?;
    let Some(n_checkpoints) = n_checkpoints else {
        return Ok(None);
    };
    drop(tx);
    let mut tested: Vec<(usize, Result<Checkpoint, BuildError>)> = rx.iter().collect();
    debug_assert_eq!(tested.len(), n_checkpoints);
    tested.sort_by_key(|(i, _)| *i);
    let curve = tested
        .into_iter()
        .map(|(_, r)| r)
        .collect::<Result<Vec<Checkpoint>, BuildError>>()?;
    let tenth = (proto.presentations / 10).max(1);
    let error_rate_start_hz = rate(error_spikes[..tenth].iter().sum(), tenth);
    let error_rate_end_hz = rate(
        error_spikes[error_spikes.len() - tenth..].iter().sum(),
        tenth,
    );
    for c in 0..task.n_classes {
        if let Some(p) = first_of(c) {
            rasters.push(sample_raster(&net, p, "after", d)?);
        }
    }
    let test_accuracy = curve.last().map(|c| c.test_accuracy).unwrap_or(0.0);
    let best_accuracy = curve.iter().map(|c| c.test_accuracy).fold(0.0, f64::max);
    Ok(Some(TrainResult {
        test_accuracy,
        best_accuracy,
        simulated_s: net.time(),
        wall_s: t0.elapsed().as_secs_f64(),
        error_rate_start_hz,
        error_rate_end_hz,
        error_spikes,
        hidden_updates: layout.w1.and_then(|w1| {
            net.learners
                .iter()
                .find(|l| l.spec.projection == w1)
                .map(|l| l.updates)
        }),
        weights: stored_weights(&net, layout),
        curve,
        rasters,
    }))
}

#[cfg(test)]
mod tests {
    use super::{teacher_train, Protocol, TeacherAnchor};
    use crate::tasks::Presentation;

    #[test]
    fn the_learning_rate_decays_hyperbolically_or_not_at_all() {
        let p = |eta_decay| Protocol {
            eta_decay,
            ..Protocol::default()
        };
        // Halved after `eta_decay` presentations, quartered after three times as many.
        assert_eq!(p(100.0).eta_scale(0), 1.0);
        assert_eq!(p(100.0).eta_scale(100), 0.5);
        assert_eq!(p(100.0).eta_scale(300), 0.25);
        assert_eq!(p(1000.0).eta_scale(300), 1.0 / 1.3);
        // 0: no decay.
        assert_eq!(p(0.0).eta_scale(299), 1.0);
    }

    #[test]
    fn a_gated_teacher_fires_only_inside_its_window_and_keeps_the_phase() {
        let full = teacher_train(1, 3, 0.2, 70.0, None, 0.0);
        let gated = teacher_train(1, 3, 0.2, 70.0, Some((0.04, 0.09)), 0.0);
        // 70 Hz over 200 ms: floor(14) spikes at (k + 1/2) / 70 s.
        assert_eq!(full[1].len(), 14);
        assert!(full[0].is_empty() && full[2].is_empty() && gated[0].is_empty());
        assert!(!gated[1].is_empty());
        assert!(gated[1].iter().all(|&t| (0.04..0.09).contains(&t)));
        // Exactly the ungated train's spikes that fall in the window: 50, 64.3, 78.6 ms.
        let inside: Vec<f64> = full[1]
            .iter()
            .copied()
            .filter(|t| (0.04..0.09).contains(t))
            .collect();
        assert_eq!(gated[1], inside);
        assert_eq!(gated[1].len(), 3);
        // A window outside the presentation silences the teacher.
        assert!(teacher_train(0, 2, 0.2, 100.0, Some((0.3, 0.4)), 0.0)[0].is_empty());
    }

    #[test]
    fn an_anchored_window_follows_the_first_input_spike() {
        let p = Presentation {
            channels: vec![vec![0.09, 0.1], vec![], vec![0.071, 0.15]],
            label: 0,
        };
        assert_eq!(TeacherAnchor::FirstInput.time(&p), 0.071);
        assert_eq!(TeacherAnchor::Start.time(&p), 0.0);
        let silent = Presentation {
            channels: vec![vec![], vec![]],
            label: 1,
        };
        assert_eq!(TeacherAnchor::FirstInput.time(&silent), 0.0);
        // 100 Hz from the anchor 71 ms, window 10-40 ms after it: 76 (outside), 86, 96, 106 ms.
        let t = teacher_train(0, 2, 0.2, 100.0, Some((0.01, 0.04)), 0.071);
        assert_eq!(t[0].len(), 3);
        for (got, want) in t[0].iter().zip([0.086, 0.096, 0.106]) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        // Clipped at the presentation end: 100 Hz, anchor 180 ms, window 0-50 ms: 185, 195 ms.
        let t = teacher_train(0, 2, 0.2, 100.0, Some((0.0, 0.05)), 0.18);
        assert_eq!(t[0].len(), 2);
        assert!(t[0].iter().all(|&s| s < 0.2));
        assert_eq!(
            TeacherAnchor::parse(TeacherAnchor::FirstInput.name()),
            Some(TeacherAnchor::FirstInput)
        );
        assert_eq!(TeacherAnchor::parse("volley"), None);
    }
}
