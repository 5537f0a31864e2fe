//! The training protocol: present training patterns one after another with the teacher on and
//! plasticity on; at checkpoints, evaluate a frozen copy of the network on the test patterns (teacher
//! off, learning off) — accuracy is the fraction of test presentations on which the correct class's
//! output population fires most. The learning-rate bias decays over training.

use std::time::Instant;

use mixsig_engine::plasticity::dense_mut;
use mixsig_engine::{BuildError, Network, NetworkSpec};
use serde::Serialize;

use super::network::Layout;
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
}

impl Default for Protocol {
    fn default() -> Self {
        Protocol {
            presentations: 200,
            test_every: 40,
            gap: 0.1,
            dt: 1e-4,
            eta_decay: 100.0,
        }
    }
}

/// One checkpoint of the learning curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpoint {
    /// Training presentations so far.
    pub presentations: usize,
    /// Test accuracy.
    pub test_accuracy: f64,
    /// Mean rate of the output error neurons over the last block of training, Hz.
    pub error_rate_out_hz: f64,
    /// Mean input->hidden weight, A (NaN without hidden layer).
    pub w1_mean: f64,
    /// Mean ->output weight, A.
    pub w2_mean: f64,
    /// Largest |B - W2^T| relative to the mean of W2 (NaN without mirrored feedback).
    pub mirror_divergence: f64,
}

/// What a training run produced.
#[derive(Debug, Clone, Serialize)]
pub struct TrainResult {
    /// The learning curve.
    pub curve: Vec<Checkpoint>,
    /// Final test accuracy.
    pub test_accuracy: f64,
    /// Best checkpoint accuracy.
    pub best_accuracy: f64,
    /// Simulated time, s.
    pub simulated_s: f64,
    /// Wall time, s.
    pub wall_s: f64,
    /// Output spike counts per class on one test presentation per class, before and after training:
    /// `(label, before, after)` with counts per output neuron.
    #[serde(skip)]
    pub rasters: Vec<RasterSample>,
}

/// Spikes of one presentation, for rasters.
#[derive(Debug, Clone)]
pub struct RasterSample {
    /// Class presented.
    pub label: usize,
    /// `before` or `after`.
    pub when: &'static str,
    /// (time s, group name, neuron) of recorded spikes, relative to the presentation start.
    pub spikes: Vec<(f64, String, u32)>,
}

fn teacher_train(label: usize, n_classes: usize, duration: f64, rate: f64) -> Vec<Vec<f64>> {
    let mut t = vec![Vec::new(); n_classes];
    if rate > 0.0 {
        let n = (duration * rate).floor() as usize;
        t[label] = (0..n).map(|k| (k as f64 + 0.5) / rate).collect();
    }
    t
}

/// Present `p` to `net` for `duration` then `gap` of silence; returns the output spike count per
/// class during the presentation, and the error-neuron spikes.
fn present(
    net: &mut Network,
    p: &Presentation,
    teacher: Option<f64>,
    layout: &Layout,
    n_per_class: usize,
    duration: f64,
    gap: f64,
) -> Result<(Vec<u64>, u64), BuildError> {
    net.present("in", &p.channels)?;
    let t = teacher_train(p.label, layout.n_classes, duration, teacher.unwrap_or(0.0));
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
    if teacher.is_some() && std::env::var_os("MIXSIG_DEBUG_TRAIN").is_some() {
        eprintln!(
            "train label {} scores {scores:?} e+/e- per class {err_pn:?}",
            p.label
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

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Train `spec` (built by [`super::network::build`]) on `task`.
#[allow(clippy::too_many_arguments)]
pub fn run(
    spec: &NetworkSpec,
    layout: &Layout,
    n_per_class: usize,
    rate_teacher: f64,
    task: &TaskSet,
    proto: &Protocol,
    seed: u64,
    mut progress: impl FnMut(usize, usize),
) -> Result<TrainResult, BuildError> {
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
    let mut curve = Vec::new();
    let mut block_err = 0u64;
    let mut block_n = 0usize;
    let n_err = spec
        .populations
        .iter()
        .filter(|p| p.name == "eo_p" || p.name == "eo_n")
        .map(|p| p.size)
        .sum::<usize>()
        .max(1);
    let checkpoint = |net: &mut Network,
                      n: usize,
                      block_err: u64,
                      block_n: usize|
     -> Result<Checkpoint, BuildError> {
        let acc = evaluate(net, &task.test, layout, n_per_class, d, proto.gap)?;
        let w1_mean = layout
            .w1
            .map(|i| mean(dense_mut(&mut net.projections[i])))
            .unwrap_or(f64::NAN);
        let w2 = dense_mut(&mut net.projections[layout.w2]).to_vec();
        let w2_mean = mean(&w2);
        if std::env::var_os("MIXSIG_DEBUG_TRAIN").is_some() {
            let n_o = layout.n_classes * n_per_class;
            let per_class: Vec<f64> = (0..layout.n_classes)
                .map(|c| {
                    let v: Vec<f64> = w2
                        .iter()
                        .enumerate()
                        .filter(|(s, _)| (s % n_o) / n_per_class == c)
                        .map(|(_, w)| *w)
                        .collect();
                    mean(&v)
                })
                .collect();
            eprintln!("checkpoint {n}: W2 mean per class {per_class:?}");
        }
        let mirror_divergence = match (
            layout.feedback,
            net.learners.first().map(|l| l.spec.mirrors.is_empty()),
        ) {
            (Some((a, _)), Some(false)) => {
                let b = dense_mut(&mut net.projections[a]).to_vec();
                // W2 is [h][o] (row = pre h), B is [o][h].
                let n_o = layout.n_classes * n_per_class;
                let n_h = w2.len() / n_o;
                let mut worst = 0.0f64;
                for h in 0..n_h {
                    for o in 0..n_o {
                        worst = worst.max((w2[h * n_o + o] - b[o * n_h + h]).abs());
                    }
                }
                worst / w2_mean.max(1e-30)
            }
            _ => f64::NAN,
        };
        Ok(Checkpoint {
            presentations: n,
            test_accuracy: acc,
            error_rate_out_hz: if block_n > 0 {
                block_err as f64 / (block_n as f64 * d * n_err as f64)
            } else {
                f64::NAN
            },
            w1_mean,
            w2_mean,
            mirror_divergence,
        })
    };
    curve.push(checkpoint(&mut net, 0, 0, 0)?);
    for n in 0..proto.presentations {
        let p = &task.train[n % task.train.len()];
        net.eta_scale = if proto.eta_decay > 0.0 {
            1.0 / (1.0 + n as f64 / proto.eta_decay)
        } else {
            1.0
        };
        let (_, err) = present(
            &mut net,
            p,
            Some(rate_teacher),
            layout,
            n_per_class,
            d,
            proto.gap,
        )?;
        block_err += err;
        block_n += 1;
        progress(n + 1, proto.presentations);
        if (n + 1) % proto.test_every.max(1) == 0 || n + 1 == proto.presentations {
            let c = checkpoint(&mut net, n + 1, block_err, block_n)?;
            curve.push(c);
            block_err = 0;
            block_n = 0;
        }
    }
    for c in 0..task.n_classes {
        if let Some(p) = first_of(c) {
            rasters.push(sample_raster(&net, p, "after", d)?);
        }
    }
    let test_accuracy = curve.last().map(|c| c.test_accuracy).unwrap_or(0.0);
    let best_accuracy = curve.iter().map(|c| c.test_accuracy).fold(0.0, f64::max);
    Ok(TrainResult {
        test_accuracy,
        best_accuracy,
        simulated_s: net.time(),
        wall_s: t0.elapsed().as_secs_f64(),
        curve,
        rasters,
    })
}
