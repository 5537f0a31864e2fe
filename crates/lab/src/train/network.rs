//! The error-propagation network of learning.md as a preset: inputs -> hidden -> outputs (a population
//! per class), a teacher per class, an error-neuron pair per output and per hidden neuron, feedback
//! projections from the output error neurons to the hidden error neurons, and the plastic projections
//! with their local learning circuits. With a conjunction layer ([`NetConfig::n_conj`], the `xor`
//! preset) the hidden stage is two layers: fixed detectors `ds` (inputs -> `ds`, never plastic) and
//! the trained hidden layer `hid` behind them (`ds` -> `hid` is W1).
//!
//! Projection indices (the learning specs refer to them): see [`Layout`].

use mixsig_chip::rng::{self, name_id};
use mixsig_circuits::learning::{CalciumWindow, TraceParams};
use mixsig_circuits::{Feedback, NeuronParams, SynapseType};
use mixsig_engine::plasticity::LearningSpec;
use mixsig_engine::spec::{
    Connectivity, DcSpec, ModelKind, NetworkSpec, PopulationSpec, ProjectionSpec, RecordSpec,
    SourceKind, SourceSpec,
};
use rand::seq::SliceRandom;
use rand::Rng;

pub use super::config::{FeedbackMode, NetConfig};

/// Projection indices of the preset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    /// Plastic ->hidden: input->hidden (AMPA), or detectors->conjunction layer (slow AMPA) with
    /// [`NetConfig::n_conj`]; if there is a hidden layer.
    pub w1: Option<usize>,
    /// Plastic ->output (AMPA).
    pub w2: usize,
    /// Feedback projections e+_out -> e+_hid and e-_out -> e-_hid, if the hidden layer is trained.
    pub feedback: Option<(usize, usize)>,
    /// Number of classes.
    pub n_classes: usize,
}

/// The operating point of every neuron of the preset (learning.md, prototype note 1): membrane gain
/// 20x the leak and a 1 nA threshold give 0–330 Hz for 10 pA–1 nA of input; a slow (80 ms) NMDA DPI
/// next to the fast AMPA one.
pub fn base_params() -> NeuronParams {
    let mut p = NeuronParams::default();
    p.i_gain_mem = 20.0 * p.i_tau_mem;
    p.i_spkthr = 1e-9;
    p.i_tau_nmda = p.i_tau_ampa / 8.0; // 80 ms
    p.i_gain_nmda = 100.0 * p.i_tau_nmda;
    p
}

/// Value `i` of `n` log-spread from `lo` to `hi` (the middle, geometrically, when `n` is 1).
fn log_spread(lo: f64, hi: f64, i: usize, n: usize) -> f64 {
    let f = if n > 1 {
        i as f64 / (n - 1) as f64
    } else {
        0.5
    };
    lo * (hi / lo).powf(f)
}

fn dense(from: &str, to: &str, syn: SynapseType, w: Vec<f64>) -> ProjectionSpec {
    ProjectionSpec {
        from: from.into(),
        to: to.into(),
        synapse: syn,
        connect: Connectivity::Dense(w),
        weight: 0.0,
        delay: 0.0,
    }
}

fn explicit(from: &str, to: &str, syn: SynapseType, t: Vec<(u32, u32, f64)>) -> ProjectionSpec {
    ProjectionSpec {
        from: from.into(),
        to: to.into(),
        synapse: syn,
        connect: Connectivity::Explicit(t),
        weight: 0.0,
        delay: 0.0,
    }
}

/// Build the network for `n_in` input channels and `n_classes` classes. Initial weights are drawn
/// from identity-keyed streams of `seed`.
pub fn build(n_in: usize, n_classes: usize, cfg: &NetConfig, seed: u64) -> (NetworkSpec, Layout) {
    let base = base_params();
    let n_out = n_classes * cfg.n_per_class;
    let hidden = cfg.n_hidden > 0;
    // Sequence detectors first, then the coincidence detectors.
    let n_seq = cfg.n_hidden;
    let n_det = if hidden {
        n_seq + cfg.n_coinc + cfg.n_integ
    } else {
        0
    };
    // The trained hidden layer `hid`: the detectors themselves, or a conjunction layer behind
    // them, the detectors then forming the fixed layer `ds`.
    let conj = hidden && cfg.n_conj > 0;
    let n_hid = if conj { cfg.n_conj } else { n_det };
    let det = if conj { "ds" } else { "hid" };
    let n_cd = cfg.n_coinc;
    let mut r = rng::stream(seed, &[name_id("train-init")]);
    let mut uniform =
        |n: usize, hi: f64| -> Vec<f64> { (0..n).map(|_| r.gen::<f64>() * hi).collect() };

    let mut err_params = base;
    // ~30 ms excitation onto error neurons by default (`NetConfig::error_tau`).
    err_params.i_tau_ampa = base.i_tau_ampa / cfg.error_tau.0;
    err_params.i_gain_ampa = 100.0 * err_params.i_tau_ampa;
    err_params.i_tau_gaba = base.i_tau_gaba / cfg.error_tau.1;
    err_params.i_gain_gaba = base.i_gain_gaba / cfg.error_tau.1;
    let pop = |name: &str, size: usize, p: NeuronParams| PopulationSpec {
        name: name.into(),
        size,
        model: ModelKind::Physical(Feedback::Exponential),
        params: p,
        per_neuron: None,
    };
    let mut spec = NetworkSpec {
        sources: vec![
            SourceSpec {
                name: "in".into(),
                size: n_in,
                kind: SourceKind::List { times: Vec::new() },
            },
            SourceSpec {
                name: "teacher".into(),
                size: n_classes,
                kind: SourceKind::List { times: Vec::new() },
            },
        ],
        record: RecordSpec {
            spikes: Some(vec!["out".into(), "eo_p".into(), "eo_n".into()]),
            stride: 1,
            ..Default::default()
        },
        ..Default::default()
    };
    let (lo, hi) = cfg.hidden_thresholds;
    if hidden {
        let per_neuron: Vec<NeuronParams> = (0..n_det)
            .map(|i| {
                let mut p = base;
                // Coincidence detectors and integrators sit in the middle of the range.
                p.i_spkthr = if i >= n_seq {
                    log_spread(lo, hi, 0, 1)
                } else {
                    log_spread(lo, hi, i, n_seq)
                };
                p.i_nmda_thr = cfg.nmda_thr;
                p.i_tau_gaba /= cfg.hidden_gaba_tau;
                p.i_gain_gaba /= cfg.hidden_gaba_tau;
                p
            })
            .collect();
        spec.populations.push(PopulationSpec {
            per_neuron: Some(per_neuron),
            // The shared parameters (what a die's core gets) carry everything but the thresholds.
            ..pop(det, n_det, {
                let mut p = base;
                p.i_nmda_thr = cfg.nmda_thr;
                p.i_tau_gaba /= cfg.hidden_gaba_tau;
                p.i_gain_gaba /= cfg.hidden_gaba_tau;
                p
            })
        });
    }
    if conj {
        // Conjunction neurons: their AMPA synapse (W1) slowed to the NMDA time course, 80 ms, and
        // not voltage-gated (an NMDA synapse would stay shut at rest: a unit driven only by slow
        // input never fires), and GABA with the same time course, so the fixed inhibition
        // subtracts in proportion to the excitation; thresholds log-spread like the detectors'.
        let mut p = base;
        p.i_tau_ampa = base.i_tau_nmda;
        p.i_gain_ampa = base.i_gain_nmda;
        p.i_tau_gaba = base.i_tau_nmda;
        p.i_gain_gaba = base.i_gain_nmda;
        let per_neuron: Vec<NeuronParams> = (0..n_hid)
            .map(|i| {
                let mut q = p;
                q.i_spkthr = log_spread(lo, hi, i, n_hid);
                q
            })
            .collect();
        spec.populations.push(PopulationSpec {
            per_neuron: Some(per_neuron),
            ..pop("hid", n_hid, p)
        });
    }
    spec.populations.push(pop("out", n_out, base));
    spec.populations.push(pop("eo_p", n_out, err_params));
    spec.populations.push(pop("eo_n", n_out, err_params));
    if hidden && cfg.feedback != FeedbackMode::None {
        spec.populations.push(pop("eh_p", n_hid, err_params));
        spec.populations.push(pop("eh_n", n_hid, err_params));
    }
    // The dead zone: error neurons fire only once their net input beats it.
    for e in ["eo_p", "eo_n", "eh_p", "eh_n"] {
        if spec.populations.iter().any(|p| p.name == e) {
            let dz = match (e, cfg.hidden_dead_zone, cfg.dead_zone_neg) {
                ("eh_p" | "eh_n", Some(d), _) => d,
                ("eo_n", _, Some(d)) => d,
                ("eo_p" | "eo_n", ..) => cfg.output_dead_zone(),
                _ => cfg.dead_zone,
            };
            spec.dc.push(DcSpec {
                population: e.into(),
                neurons: None,
                steps: vec![(0.0, -dz)],
            });
        }
    }

    let mut w1 = None;
    let pre_out = if hidden { "hid" } else { "in" };
    let n_pre_out = if hidden { n_hid } else { n_in };
    if hidden {
        // The fixed slow path: each hidden neuron gets a random ramp of NMDA weights across the input
        // channels (rising or falling), so that with an 80 ms synapse the order in which channels fire
        // changes how much of their charge lands inside the presentation: timing becomes counts.
        let mut slow = vec![0.0; n_in * n_det];
        let noise = uniform(n_in * n_det + n_det, 1.0);
        // Channel groups: the first group's direction is the draw of the one-ramp preset, the
        // others come from their own stream (the one-group preset draws nothing more).
        let k = cfg.ramp_groups.clamp(1, n_in.max(1));
        let starts: Vec<usize> = (0..=k).map(|g| g * n_in / k).collect();
        let mut rg = rng::stream(seed, &[name_id("train-init-groups")]);
        let group_up: Vec<Vec<bool>> = (0..n_seq)
            .map(|h| {
                (0..k)
                    .map(|g| {
                        if g == 0 {
                            noise[n_in * n_det + h] < 0.5
                        } else {
                            rg.gen::<f64>() < 0.5
                        }
                    })
                    .collect()
            })
            .collect();
        // Random-order detectors: position of channel i along neuron h's ramp, permuted within its
        // group (drawn from their own stream, only when enabled).
        let pos: Vec<Vec<usize>> = if cfg.ramp_shuffle {
            let mut rp = rng::stream(seed, &[name_id("train-init-ramp-shuffle")]);
            (0..n_seq)
                .map(|_| {
                    let mut p: Vec<usize> = (0..n_in).collect();
                    for g in 0..k {
                        p[starts[g]..starts[g + 1]].shuffle(&mut rp);
                    }
                    p
                })
                .collect()
        } else {
            Vec::new()
        };
        for h in 0..n_seq {
            for i in 0..n_in {
                let g = (0..k).rev().find(|&g| starts[g] <= i).unwrap_or(0);
                let (a, len) = (starts[g], starts[g + 1] - starts[g]);
                let pi = pos.get(h).map_or(i, |p| p[i]);
                let f = if len > 1 {
                    (pi - a) as f64 / (len - 1) as f64
                } else {
                    0.5
                };
                let up = group_up[h][g];
                let ramp = if up { f } else { 1.0 - f };
                slow[i * n_det + h] = cfg.w_slow_max * (0.8 * ramp + 0.2 * noise[i * n_det + h]);
            }
        }
        // Group-local detectors: no fixed input from the other groups.
        let foreign = |i: usize, h: usize| {
            k > 1
                && cfg.ramp_group_local
                && h < n_seq
                && (0..k).rev().find(|&g| starts[g] <= i).unwrap_or(0) != h % k
        };
        for i in 0..n_in {
            for h in 0..n_seq {
                if foreign(i, h) {
                    slow[i * n_det + h] = 0.0;
                }
            }
        }
        // The plastic fast path starts as the mirror image of the slow ramp: with NMDA gated by the
        // membrane (`nmda_thr`), a neuron whose slow inputs come first and whose fast inputs come
        // last fires more than for the reverse order (a sequence detector).
        let mut fast: Vec<f64> = slow
            .iter()
            .enumerate()
            .map(|(s, w)| {
                if foreign(s / n_det, s % n_det) {
                    return 0.0;
                }
                0.5 * cfg.w1_max * (1.0 - w / cfg.w_slow_max).clamp(0.0, 1.0)
            })
            .collect();
        // Coincidence detectors: uniform fast weights from a random subset of the channels.
        let n_c = n_cd;
        let order_noise = uniform(n_c * n_in, 1.0);
        for c in 0..n_c {
            let (a, b) = cfg.coinc_fanin;
            let f = if n_c > 1 {
                c as f64 / (n_c - 1) as f64
            } else {
                0.5
            };
            let k = ((a as f64 + (b as f64 - a as f64) * f).round() as usize).clamp(1, n_in);
            let mut chans: Vec<usize> = (0..n_in).collect();
            chans.sort_by(|&x, &y| order_noise[c * n_in + x].total_cmp(&order_noise[c * n_in + y]));
            let h = n_seq + c;
            for (rank, &i) in chans.iter().enumerate() {
                fast[i * n_det + h] = if rank < k { cfg.w_coinc } else { 0.0 };
            }
        }
        for h in n_seq + n_c..n_det {
            for i in 0..n_in {
                fast[i * n_det + h] = cfg.w_integ_fast;
                slow[i * n_det + h] = cfg.w_integ_slow;
            }
        }
        if !conj {
            w1 = Some(spec.projections.len());
        }
        spec.projections
            .push(dense("in", det, SynapseType::Ampa, fast.clone()));
        spec.projections
            .push(dense("in", det, SynapseType::Nmda, slow.clone()));
        if cfg.w_inh_ramp != 0.0 || (n_c > 0 && cfg.coinc_inh > 0.0) {
            let inh: Vec<f64> = slow
                .iter()
                .enumerate()
                .map(|(s, w)| {
                    if s % n_det >= n_seq + n_c {
                        return 0.0;
                    }
                    if s % n_det >= n_seq {
                        return cfg.coinc_inh * fast[s];
                    }
                    if foreign(s / n_det, s % n_det) {
                        return 0.0;
                    }
                    let r = (w / cfg.w_slow_max).clamp(0.0, 1.0);
                    let r = if cfg.w_inh_ramp > 0.0 { r } else { 1.0 - r };
                    cfg.w_inh_ramp.abs() * r
                })
                .collect();
            spec.projections
                .push(dense("in", det, SynapseType::Gaba, inh));
        }
        if cfg.w_hidden_inhibit > 0.0 {
            let lat: Vec<(u32, u32, f64)> = (0..n_det)
                .flat_map(|a| (0..n_det).map(move |b| (a, b)))
                .filter(|(a, b)| a != b)
                .map(|(a, b)| (a as u32, b as u32, cfg.w_hidden_inhibit))
                .collect();
            spec.projections
                .push(explicit(det, det, SynapseType::Gaba, lat));
        }
    }
    if conj {
        // W1 of the conjunction layer: uniform around `w_conj`, from its own stream.
        let mut rc = rng::stream(seed, &[name_id("train-init-conj")]);
        let w: Vec<f64> = (0..n_det * n_hid)
            .map(|_| {
                let u: f64 = rc.gen();
                (cfg.w_conj * (1.0 + cfg.conj_spread * (2.0 * u - 1.0))).clamp(0.0, cfg.w_conj_max)
            })
            .collect();
        w1 = Some(spec.projections.len());
        spec.projections
            .push(dense(det, "hid", SynapseType::Ampa, w));
        spec.projections.push(dense(
            det,
            "hid",
            SynapseType::Gaba,
            vec![cfg.w_conj_inh; n_det * n_hid],
        ));
    }
    let n_bias = cfg.bias_synapses.max(1);
    let bias = if cfg.bias_rate > 0.0 {
        spec.sources.push(SourceSpec {
            name: "bias".into(),
            size: n_bias,
            kind: SourceKind::Regular {
                rate: cfg.bias_rate,
                phase: 0.0,
            },
        });
        spec.projections.push(dense(
            "bias",
            "out",
            SynapseType::Ampa,
            vec![0.5 * cfg.w_bias_max / n_bias as f64; n_bias * n_out],
        ));
        Some(spec.projections.len() - 1)
    } else {
        None
    };
    let w2 = spec.projections.len();
    let w2_init = uniform(n_pre_out * n_out, 0.5 * cfg.w2_max);
    spec.projections
        .push(dense(pre_out, "out", SynapseType::Ampa, w2_init.clone()));
    // The signed readout's inhibitory twins, starting at 0 (learning below).
    let w2_inh = cfg.signed_readout.map(|_| {
        spec.projections.push(dense(
            pre_out,
            "out",
            SynapseType::Gaba,
            vec![0.0; n_pre_out * n_out],
        ));
        spec.projections.len() - 1
    });
    // Mutual inhibition between classes.
    let class_of = |o: usize| o / cfg.n_per_class;
    let mut inh = Vec::new();
    for a in 0..n_out {
        for b in 0..n_out {
            if class_of(a) != class_of(b) {
                inh.push((a as u32, b as u32, cfg.w_inhibit));
            }
        }
    }
    spec.projections
        .push(explicit("out", "out", SynapseType::Gaba, inh));
    // Teacher: excites e+ and inhibits e- of its class; outputs do the opposite.
    let teach: Vec<(u32, u32, f64)> = (0..n_out)
        .map(|o| (class_of(o) as u32, o as u32, cfg.w_teacher))
        .collect();
    spec.projections.push(explicit(
        "teacher",
        "eo_p",
        SynapseType::Ampa,
        teach.clone(),
    ));
    spec.projections
        .push(explicit("teacher", "eo_n", SynapseType::Gaba, teach));
    let one: Vec<(u32, u32, f64)> = (0..n_out)
        .map(|o| (o as u32, o as u32, cfg.w_out_err))
        .collect();
    spec.projections
        .push(explicit("out", "eo_n", SynapseType::Ampa, one.clone()));
    spec.projections
        .push(explicit("out", "eo_p", SynapseType::Gaba, one));
    if cfg.contrast > 0.0 && n_classes > 1 {
        let k = cfg.contrast / (n_classes - 1) as f64;
        let teach_x: Vec<(u32, u32, f64)> = (0..n_classes)
            .flat_map(|c| (0..n_out).map(move |o| (c, o)))
            .filter(|&(c, o)| class_of(o) != c)
            .map(|(c, o)| (c as u32, o as u32, k * cfg.w_teacher))
            .collect();
        spec.projections.push(explicit(
            "teacher",
            "eo_n",
            SynapseType::Ampa,
            teach_x.clone(),
        ));
        spec.projections
            .push(explicit("teacher", "eo_p", SynapseType::Gaba, teach_x));
        let out_x: Vec<(u32, u32, f64)> = (0..n_out)
            .flat_map(|a| (0..n_out).map(move |o| (a, o)))
            .filter(|&(a, o)| class_of(a) != class_of(o))
            .map(|(a, o)| {
                (
                    a as u32,
                    o as u32,
                    k * cfg.w_out_err / cfg.n_per_class as f64,
                )
            })
            .collect();
        spec.projections
            .push(explicit("out", "eo_p", SynapseType::Ampa, out_x.clone()));
        spec.projections
            .push(explicit("out", "eo_n", SynapseType::Gaba, out_x));
    }

    let mut feedback = None;
    if hidden && cfg.feedback != FeedbackMode::None {
        // B[h][o] scaled from W2[o][h] (mirrored: equal at start; random: fixed random).
        let b: Vec<f64> = match cfg.feedback {
            FeedbackMode::Mirrored => (0..n_out * n_hid)
                .map(|s| {
                    let (o, h) = (s / n_hid, s % n_hid);
                    w2_init[h * n_out + o]
                })
                .collect(),
            _ => uniform(n_out * n_hid, 0.5 * cfg.w2_max),
        };
        let a = spec.projections.len();
        spec.projections
            .push(dense("eo_p", "eh_p", SynapseType::Ampa, b.clone()));
        spec.projections
            .push(dense("eo_n", "eh_n", SynapseType::Ampa, b));
        feedback = Some((a, a + 1));
    }

    let calcium_out = cfg.calcium_out.unwrap_or(cfg.calcium);
    let learn = |projection: usize,
                 ep: &str,
                 en: &str,
                 eta: f64,
                 w_max: f64,
                 mirrors: Vec<usize>,
                 calcium: CalciumWindow,
                 error_group: usize| {
        LearningSpec {
            projection,
            err_pos: ep.into(),
            err_neg: en.into(),
            pre_trace: TraceParams {
                tau: cfg.tau_pre,
                jump: 1.0,
            },
            calcium: Some(calcium),
            eta,
            w_max,
            storage: cfg.storage,
            mirrors,
            eta_sigma_ln: cfg.eta_sigma_ln,
            twin_sigma_ln: cfg.twin_sigma_ln,
            update: cfg.update,
            error_group,
            zero_sum: false,
        }
    };
    let out_group = if cfg.error_pool { cfg.n_per_class } else { 1 };
    let mirrors = match (cfg.feedback, feedback) {
        (FeedbackMode::Mirrored, Some((a, b))) => vec![a, b],
        _ => Vec::new(),
    };
    spec.learning.push(learn(
        w2,
        "eo_p",
        "eo_n",
        cfg.eta2,
        cfg.w2_max,
        mirrors,
        calcium_out,
        out_group,
    ));
    if let (Some(p), Some(sr)) = (w2_inh, cfg.signed_readout) {
        // The same rule with the error pair swapped: `e-` potentiates the inhibition. Its window is
        // the symmetric part of the output's: direction thresholds (`theta_up` stops potentiation
        // once the output fires enough) would act the wrong way round on an inhibitory synapse.
        let window = CalciumWindow {
            theta_up: None,
            theta_down: None,
            ..calcium_out
        };
        spec.learning.push(learn(
            p,
            "eo_n",
            "eo_p",
            sr.eta,
            sr.w_max,
            Vec::new(),
            window,
            out_group,
        ));
    }
    if let Some(b) = bias {
        spec.learning.push(learn(
            b,
            "eo_p",
            "eo_n",
            cfg.eta2 / n_bias as f64,
            cfg.w_bias_max / n_bias as f64,
            Vec::new(),
            calcium_out,
            out_group,
        ));
    }
    if let (Some(w1), Some(_)) = (w1, feedback) {
        let mut l1 = learn(
            w1,
            "eh_p",
            "eh_n",
            cfg.eta1,
            if conj { cfg.w_conj_max } else { cfg.w1_max },
            Vec::new(),
            cfg.w1_calcium.unwrap_or(cfg.calcium),
            1,
        );
        l1.pre_trace.tau = cfg.tau_pre_w1.unwrap_or(cfg.tau_pre);
        l1.zero_sum = cfg.w1_zero_sum;
        spec.learning.push(l1);
    }
    (
        spec,
        Layout {
            w1,
            w2,
            feedback,
            n_classes,
        },
    )
}
