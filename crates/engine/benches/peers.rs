//! mixsig's side of the peer comparison (bench/peers/): runs the reference workload and the engine's
//! own speed measurements, printing one JSON object per line. Not a criterion bench: the harness
//! `bench/peers/run.sh` calls it as
//!
//! ```text
//! cargo bench -p mixsig-engine --bench peers -- MODE [ARGS]
//! ```
//!
//! Modes:
//! - `workload FILE`: the frozen workload written by `bench/peers/peers.py` (input spike steps and
//!   the all-to-all weight matrix shared with Rockpool and Brian2), `dynapsim` neurons;
//! - `scaling N SECONDS`: the reference network (engine Poisson source) at N neurons, cost per
//!   neuron-step;
//! - `montecarlo TRIALS N SECONDS THREADS`: independent networks (one seed each) run in parallel
//!   on a rayon pool of THREADS threads;
//! - `limit N STEPS`: the arithmetic limit, the bare vectorized membrane update of N neurons with
//!   no routing, recording or spike handling;
//! - `memory N SECONDS`: spikes-only recording, reports the resident-set high-water mark.
//!
//! Every time is wall-clock around the stepping loop only (building the network is reported apart).

use std::time::Instant;

use mixsig_circuits::dynapsim::DynapSimCoeffs;
use mixsig_circuits::{NeuronParams, SynapseType};
use mixsig_engine::spec::{
    Connectivity, ModelKind, NetworkSpec, PopulationSpec, ProjectionSpec, RecordSpec, SourceKind,
    SourceSpec,
};
use mixsig_engine::Network;

const DT: f64 = 1e-5;

fn network(
    n: usize,
    n_in: usize,
    source: SourceKind,
    connect: Connectivity,
    w: f64,
) -> NetworkSpec {
    NetworkSpec {
        sources: vec![SourceSpec {
            name: "input".into(),
            size: n_in,
            kind: source,
        }],
        populations: vec![PopulationSpec {
            name: "neurons".into(),
            size: n,
            model: ModelKind::Dynapsim,
            params: NeuronParams::default(),
            per_neuron: None,
        }],
        projections: vec![ProjectionSpec {
            from: "input".into(),
            to: "neurons".into(),
            synapse: SynapseType::Ampa,
            connect,
            weight: w,
            delay: 0.0,
        }],
        record: RecordSpec {
            spikes: Some(vec!["neurons".into()]),
            stride: 1,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The reference network: 64 Poisson inputs at 20 Hz, all-to-all, weight 0.1 * I_scale.
fn reference(n: usize) -> NetworkSpec {
    network(
        n,
        64,
        SourceKind::Poisson { rate: 20.0 },
        Connectivity::AllToAll,
        1e-9,
    )
}

/// Run `steps` steps, returning (build seconds, run seconds, spikes of the population).
fn timed(spec: &NetworkSpec, steps: u64, seed: u64) -> (f64, f64, u64) {
    let t0 = Instant::now();
    let mut net = Network::build(spec, DT, seed).expect("valid network");
    let t1 = Instant::now();
    for _ in 0..steps {
        net.step();
    }
    let t2 = Instant::now();
    (
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        net.rec.counts[1],
    )
}

/// The frozen workload file: `n_in n steps dt` / `n_in*n` weights (row = input, units of I_scale)
/// / one line per input channel with its spike steps.
fn workload(path: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    let head: Vec<f64> = lines
        .next()
        .expect("header")
        .split_whitespace()
        .map(|x| x.parse().expect("number"))
        .collect();
    let (n_in, n, steps, dt) = (head[0] as usize, head[1] as usize, head[2] as u64, head[3]);
    assert!((dt - DT).abs() < 1e-12, "the workload's dt must be 1e-5 s");
    let i_scale = NeuronParams::default().i_scale;
    let w: Vec<f64> = lines
        .next()
        .expect("weights")
        .split_whitespace()
        .map(|x| x.parse::<f64>().expect("weight") * i_scale)
        .collect();
    assert_eq!(w.len(), n_in * n, "weight count");
    let times: Vec<Vec<f64>> = (0..n_in)
        .map(|_| {
            lines
                .next()
                .expect("spike line")
                .split_whitespace()
                .map(|k| k.parse::<f64>().expect("step") * dt)
                .collect()
        })
        .collect();
    let spec = network(
        n,
        n_in,
        SourceKind::List { times },
        Connectivity::Dense(w),
        0.0,
    );
    let (build, run, spikes) = timed(&spec, steps, 1);
    println!(
        "{{\"sim\":\"mixsig\",\"n\":{n},\"steps\":{steps},\"build_s\":{build:.6},\"wall_s\":{run:.6},\"spikes\":{spikes}}}"
    );
}

fn scaling(n: usize, seconds: f64) {
    let steps = (seconds / DT).round() as u64;
    let (build, run, spikes) = timed(&reference(n), steps, 1);
    let ns = run * 1e9 / (n as f64 * steps as f64);
    println!(
        "{{\"mode\":\"scaling\",\"n\":{n},\"steps\":{steps},\"build_s\":{build:.6},\"wall_s\":{run:.6},\"spikes\":{spikes},\"ns_per_neuron_step\":{ns:.4}}}"
    );
}

fn montecarlo(trials: usize, n: usize, seconds: f64, threads: usize) {
    use rayon::prelude::*;
    let steps = (seconds / DT).round() as u64;
    let spec = reference(n);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let t0 = Instant::now();
    let spikes: u64 = pool.install(|| {
        (0..trials)
            .into_par_iter()
            .map(|t| {
                let mut net = Network::build(&spec, DT, 1000 + t as u64).expect("valid network");
                for _ in 0..steps {
                    net.step();
                }
                net.rec.counts[1]
            })
            .sum()
    });
    let wall = t0.elapsed().as_secs_f64();
    let rate = (trials * n) as f64 * steps as f64 / wall;
    println!(
        "{{\"mode\":\"montecarlo\",\"trials\":{trials},\"n\":{n},\"steps\":{steps},\"threads\":{threads},\"wall_s\":{wall:.6},\"spikes\":{spikes},\"neuron_steps_per_s\":{rate:.1}}}"
    );
}

fn limit(n: usize, steps: u64) {
    let p = NeuronParams::default();
    let mut pop =
        mixsig_engine::population::Population::new("limit", ModelKind::Dynapsim, vec![p; n], DT);
    // A constant drive that makes the neurons fire at a few tens of Hz, as in the workload.
    pop.i_dc.iter_mut().for_each(|x| *x = 2e-9);
    let c = DynapSimCoeffs::new(&p, DT);
    let t0 = Instant::now();
    let mut spikes = 0u64;
    for k in 0..steps {
        pop.step(DT, k);
        spikes += pop.spikes.len() as u64;
    }
    let wall = t0.elapsed().as_secs_f64();
    let rate = n as f64 * steps as f64 / wall;
    println!(
        "{{\"mode\":\"limit\",\"n\":{n},\"steps\":{steps},\"wall_s\":{wall:.6},\"spikes\":{spikes},\"neuron_steps_per_s\":{rate:.1},\"i_0\":{:e}}}",
        c.i_0
    );
}

fn memory(n: usize, seconds: f64) {
    let steps = (seconds / DT).round() as u64;
    let (build, run, spikes) = timed(&reference(n), steps, 1);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    println!(
        "{{\"mode\":\"memory\",\"n\":{n},\"steps\":{steps},\"build_s\":{build:.6},\"wall_s\":{run:.6},\"spikes\":{spikes},\"vm_hwm_kb\":{},\"vm_rss_kb\":{}}}",
        field("VmHWM:"),
        field("VmRSS:")
    );
}

fn main() {
    // cargo bench passes `--bench`; skip flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let a = |i: usize| -> &str { args.get(i).map(String::as_str).unwrap_or_else(|| usage()) };
    match args.first().map(String::as_str) {
        Some("workload") => workload(a(1)),
        Some("scaling") => scaling(a(1).parse().expect("N"), a(2).parse().expect("seconds")),
        Some("montecarlo") => montecarlo(
            a(1).parse().expect("trials"),
            a(2).parse().expect("N"),
            a(3).parse().expect("seconds"),
            a(4).parse().expect("threads"),
        ),
        Some("limit") => limit(a(1).parse().expect("N"), a(2).parse().expect("steps")),
        Some("memory") => memory(a(1).parse().expect("N"), a(2).parse().expect("seconds")),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: peers workload FILE | scaling N SECONDS | montecarlo TRIALS N SECONDS THREADS | limit N STEPS | memory N SECONDS"
    );
    std::process::exit(2)
}
