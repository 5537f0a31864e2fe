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
//! - `memory N SECONDS [PROBE_NEURONS STRIDE]`: spikes-only recording (or also `imem` of the first
//!   PROBE_NEURONS neurons every STRIDE steps), reports the resident-set high-water mark.
//!
//! A trailing `f32` argument switches the dynapsim state to `f32`.
//!
//! Every time is wall-clock around the stepping loop only (building the network is reported apart).

use std::time::Instant;

use mixsig_circuits::dynapsim::{
    dynapsim_step, dynapsim_step_f32, DynapSimCoeffs, DynapSimCoeffsF32, DynapSimState,
    DynapSimStateF32,
};
use mixsig_circuits::{NeuronParams, SynapseType};
use mixsig_engine::population::Simd;
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

/// Whether the run uses `f32` state (a trailing `f32` argument).
fn f32_state() -> bool {
    std::env::args().any(|a| a == "f32")
}

fn precision() -> &'static str {
    if f32_state() {
        "f32"
    } else {
        "f64"
    }
}

fn build(spec: &NetworkSpec, seed: u64) -> Network {
    let mut net = Network::build(spec, DT, seed).expect("valid network");
    if f32_state() {
        assert_eq!(net.use_f32_state(), 1);
    }
    net
}

/// CPU time of the calling thread so far, s (Linux `/proc/thread-self/schedstat`; 0 elsewhere).
/// On a shared machine wall time includes waiting for a core; this does not.
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns * 1e-9)
}

/// Run `steps` steps, returning (build seconds, run wall seconds, run CPU seconds, spikes of the
/// population).
fn timed(spec: &NetworkSpec, steps: u64, seed: u64) -> (f64, f64, f64, u64) {
    let t0 = Instant::now();
    let mut net = build(spec, seed);
    let t1 = Instant::now();
    let c1 = thread_cpu();
    for _ in 0..steps {
        net.step();
    }
    let c2 = thread_cpu();
    let t2 = Instant::now();
    (
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        c2 - c1,
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
    let (build, run, cpu, spikes) = timed(&spec, steps, 1);
    println!(
        "{{\"precision\":\"{}\",\"sim\":\"mixsig\",\"n\":{n},\"steps\":{steps},\"build_s\":{build:.6},\"wall_s\":{run:.6},\"cpu_s\":{cpu:.6},\"spikes\":{spikes}}}",
        precision()
    );
}

fn scaling(n: usize, seconds: f64) {
    let steps = (seconds / DT).round() as u64;
    let (build, run, cpu, spikes) = timed(&reference(n), steps, 1);
    let ns = run * 1e9 / (n as f64 * steps as f64);
    let ns_cpu = cpu * 1e9 / (n as f64 * steps as f64);
    println!(
        "{{\"precision\":\"{}\",\"mode\":\"scaling\",\"n\":{n},\"steps\":{steps},\"build_s\":{build:.6},\"wall_s\":{run:.6},\"cpu_s\":{cpu:.6},\"spikes\":{spikes},\"ns_per_neuron_step\":{ns:.4},\"cpu_ns_per_neuron_step\":{ns_cpu:.4}}}",
        precision()
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
    // Per trial: spikes, the worker thread that ran it, and that thread's CPU time for it.
    let done: Vec<(u64, usize, f64)> = pool.install(|| {
        (0..trials)
            .into_par_iter()
            .map(|t| {
                let c0 = thread_cpu();
                let mut net = build(&spec, 1000 + t as u64);
                for _ in 0..steps {
                    net.step();
                }
                let worker = rayon::current_thread_index().unwrap_or(0);
                (net.rec.counts[1], worker, thread_cpu() - c0)
            })
            .collect()
    });
    let wall = t0.elapsed().as_secs_f64();
    let spikes: u64 = done.iter().map(|d| d.0).sum();
    // The busiest worker's CPU time: the wall time the run would take on otherwise idle cores
    // (on a shared machine the wall time measures the queue for the cores instead).
    let mut per_worker = vec![0.0; threads];
    let mut trials_per_worker = vec![0usize; threads];
    for &(_, w, c) in &done {
        per_worker[w.min(threads - 1)] += c;
        trials_per_worker[w.min(threads - 1)] += 1;
    }
    let list = |v: Vec<String>| v.join(",");
    let cpu_list = list(per_worker.iter().map(|c| format!("{c:.6}")).collect());
    let trial_list = list(trials_per_worker.iter().map(|t| t.to_string()).collect());
    let cpu_total: f64 = per_worker.iter().sum();
    let cpu_busiest = per_worker.iter().cloned().fold(0.0, f64::max);
    let work = (trials * n) as f64 * steps as f64;
    let rate = work / wall;
    println!(
        "{{\"precision\":\"{}\",\"mode\":\"montecarlo\",\"trials\":{trials},\"n\":{n},\"steps\":{steps},\"threads\":{threads},\"wall_s\":{wall:.6},\"cpu_total_s\":{cpu_total:.6},\"cpu_busiest_worker_s\":{cpu_busiest:.6},\"cpu_per_worker_s\":[{cpu_list}],\"trials_per_worker\":[{trial_list}],\"spikes\":{spikes},\"neuron_steps_per_s\":{rate:.1},\"neuron_steps_per_busiest_cpu_s\":{:.1}}}",
        precision(),
        work / cpu_busiest
    );
}

/// The bare update: the scalar DynapSim step over structure-of-arrays state with a constant drive,
/// no input events, spike list, routing or recording; one generic copy (`$generic`, inlined) and two
/// compiled for AVX-512 and AVX2+FMA like the engine's loop. Written once for `f64` and `f32`.
macro_rules! bare_loops {
    ($f:ty, $coeffs:ty, $state:ident, $step:path, $generic:ident, $avx512:ident, $avx2:ident) => {
        #[inline(always)]
        fn $generic(c: &$coeffs, st: &mut [Vec<$f>; 6], i_dc: $f, steps: u64) -> u64 {
            let n = st[0].len();
            let [imem, vmem, isyn, iahp, timer, spiked] = st;
            let (imem, vmem, isyn) = (&mut imem[..n], &mut vmem[..n], &mut isyn[..n]);
            let (iahp, timer, spiked) = (&mut iahp[..n], &mut timer[..n], &mut spiked[..n]);
            let mut count = 0u64;
            for _ in 0..steps {
                // Counted per step in 32 bits like the engine's loop (a 64-bit counter next to
                // 32-bit lanes would halve the vector width the compiler picks).
                let mut step_count = 0u32;
                for i in 0..n {
                    let mut s = $state {
                        imem: imem[i],
                        vmem: vmem[i],
                        isyn: isyn[i],
                        iahp: iahp[i],
                        timer: timer[i],
                        spiked: spiked[i],
                    };
                    $step(c, &mut s, 0.0, i_dc);
                    (imem[i], vmem[i], isyn[i]) = (s.imem, s.vmem, s.isyn);
                    (iahp[i], timer[i], spiked[i]) = (s.iahp, s.timer, s.spiked);
                    step_count += u32::from(s.spiked != 0.0);
                }
                count += u64::from(step_count);
            }
            count
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx2,fma")]
        unsafe fn $avx512(c: &$coeffs, st: &mut [Vec<$f>; 6], i_dc: $f, steps: u64) -> u64 {
            $generic(c, st, i_dc, steps)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx2(c: &$coeffs, st: &mut [Vec<$f>; 6], i_dc: $f, steps: u64) -> u64 {
            $generic(c, st, i_dc, steps)
        }
    };
}

bare_loops!(
    f64,
    DynapSimCoeffs,
    DynapSimState,
    dynapsim_step,
    bare_loop,
    bare_loop_avx512,
    bare_loop_avx2
);
bare_loops!(
    f32,
    DynapSimCoeffsF32,
    DynapSimStateF32,
    dynapsim_step_f32,
    bare_loop_f32,
    bare_loop_f32_avx512,
    bare_loop_f32_avx2
);

fn limit(n: usize, steps: u64) {
    let p = NeuronParams::default();
    let c = DynapSimCoeffs::new(&p, DT);
    if f32_state() {
        return limit_f32(n, steps, &p, &c);
    }
    let r = DynapSimState::rest(p.i_0);
    let mut st = [r.imem, r.vmem, r.isyn, r.iahp, r.timer, r.spiked].map(|x| vec![x; n]);
    // A constant drive that makes the neurons fire at a few tens of Hz, as in the workload.
    let i_dc = 2e-9;
    let t0 = Instant::now();
    let c0 = thread_cpu();
    // SAFETY: `Simd::detect` found the features the functions are compiled for.
    let spikes = match simd() {
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => unsafe { bare_loop_avx512(&c, &mut st, i_dc, steps) },
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => unsafe { bare_loop_avx2(&c, &mut st, i_dc, steps) },
        _ => bare_loop(&c, &mut st, i_dc, steps),
    };
    let cpu = thread_cpu() - c0;
    let wall = t0.elapsed().as_secs_f64();
    report_limit(n, steps, wall, cpu, spikes);
}

fn limit_f32(n: usize, steps: u64, p: &NeuronParams, c: &DynapSimCoeffs) {
    let c = DynapSimCoeffsF32::new(c);
    let r = DynapSimStateF32::rest(p.i_0 as f32);
    let mut st = [r.imem, r.vmem, r.isyn, r.iahp, r.timer, r.spiked].map(|x| vec![x; n]);
    let i_dc = 2e-9;
    let t0 = Instant::now();
    let c0 = thread_cpu();
    // SAFETY: `Simd::detect` found the features the functions are compiled for.
    let spikes = match simd() {
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => unsafe { bare_loop_f32_avx512(&c, &mut st, i_dc, steps) },
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => unsafe { bare_loop_f32_avx2(&c, &mut st, i_dc, steps) },
        _ => bare_loop_f32(&c, &mut st, i_dc, steps),
    };
    let cpu = thread_cpu() - c0;
    let wall = t0.elapsed().as_secs_f64();
    report_limit(n, steps, wall, cpu, spikes);
}

/// The instruction set of the bare loop: the engine's (the widest the CPU has, capped by the
/// environment variable `MIXSIG_SIMD`: `generic`, `avx2`).
fn simd() -> Simd {
    Simd::detect()
}

fn report_limit(n: usize, steps: u64, wall: f64, cpu: f64, spikes: u64) {
    let rate = n as f64 * steps as f64 / wall;
    let rate_cpu = n as f64 * steps as f64 / cpu;
    println!(
        "{{\"precision\":\"{}\",\"mode\":\"limit\",\"simd\":\"{:?}\",\"n\":{n},\"steps\":{steps},\"wall_s\":{wall:.6},\"cpu_s\":{cpu:.6},\"spikes\":{spikes},\"neuron_steps_per_s\":{rate:.1},\"cpu_neuron_steps_per_s\":{rate_cpu:.1}}}",
        precision(),
        simd()
    );
}

/// Spikes of the population, plus (when `probe_neurons > 0`) `imem` of its first `probe_neurons`
/// neurons every `stride` steps.
fn memory(n: usize, seconds: f64, probe_neurons: usize, stride: u32) {
    let steps = (seconds / DT).round() as u64;
    let mut spec = reference(n);
    if probe_neurons > 0 {
        spec.record.probes.push(mixsig_engine::spec::ProbeSpec {
            population: "neurons".into(),
            var: "imem".into(),
            neurons: Some((0..probe_neurons as u32).collect()),
        });
        spec.record.stride = stride;
    }
    let (build, run, _, spikes) = timed(&spec, steps, 1);
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
        "{{\"precision\":\"{}\",\"mode\":\"memory\",\"n\":{n},\"probe_neurons\":{probe_neurons},\"stride\":{stride},\"steps\":{steps},\"build_s\":{build:.6},\"wall_s\":{run:.6},\"spikes\":{spikes},\"vm_hwm_kb\":{},\"vm_rss_kb\":{}}}",
        precision(),
        field("VmHWM:"),
        field("VmRSS:")
    );
}

fn main() {
    // cargo bench passes `--bench`; skip flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--") && a != "f32")
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
        Some("memory") => memory(
            a(1).parse().expect("N"),
            a(2).parse().expect("seconds"),
            args.get(3).map_or(0, |x| x.parse().expect("probe neurons")),
            args.get(4).map_or(1, |x| x.parse().expect("stride")),
        ),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: peers workload FILE | scaling N SECONDS | montecarlo TRIALS N SECONDS THREADS | limit N STEPS | memory N SECONDS [PROBE_NEURONS STRIDE]; append f32 for f32 state"
    );
    std::process::exit(2)
}
