//! Engine tests: the engine's populations against the scalar circuit references and the Rockpool
//! DynapSim reference data, exact charge of multi-step pulses, delays and latencies, determinism of
//! seeded runs (identity-keyed streams), recorders, the printable schedule and build errors.
//!
//! Every test builds networks through the public builder API (`mixsig::engine::spec`), the way the
//! file format and the CLI do.

use std::path::PathBuf;

use mixsig::circuits::neuron::Neuron;
use mixsig::circuits::synapse::{DpiStep, DpiUnit};
use mixsig::circuits::{Feedback, NeuronParams, SynapseType};
use mixsig::engine::population::Var;
use mixsig::engine::projection::Table;
use mixsig::engine::spec::*;
use mixsig::engine::{BuildError, Network};

const DT: f64 = 1e-5;

fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/dynapsim")
        .join(name)
}

/// Numeric columns of a reference CSV with a header: (header, rows).
fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let path = data_path(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .expect("header")
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let rows = lines
        .map(|l| {
            l.split(',')
                .map(|s| s.trim().parse::<f64>().expect("number"))
                .collect()
        })
        .collect();
    (header, rows)
}

fn column(name: &str, col: &str) -> Vec<f64> {
    let (h, rows) = read_csv(name);
    let j = h
        .iter()
        .position(|c| c == col)
        .unwrap_or_else(|| panic!("{name}: no column {col} in {h:?}"));
    rows.iter().map(|r| r[j]).collect()
}

/// Reference spike step indices of a `*_spikes.csv` file.
fn ref_spike_steps(name: &str) -> Vec<u64> {
    column(name, "step_index")
        .into_iter()
        .map(|x| x as u64)
        .collect()
}

/// Spike steps of group `name` (all neurons) recorded by `net`.
fn spike_steps(net: &Network, name: &str) -> Vec<u64> {
    let g = net.rec.group(name).expect("group") as u32;
    net.rec
        .spikes
        .iter()
        .filter(|e| e.group == g)
        .map(|e| e.step)
        .collect()
}

fn assert_steps_close(got: &[u64], want: &[u64], what: &str) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: {} spikes, reference has {}\n got {got:?}\nwant {want:?}",
        got.len(),
        want.len()
    );
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            g.abs_diff(w) <= 1,
            "{what}: spike #{i} at step {g}, reference step {w} (more than 1 step off)\n got {got:?}\nwant {want:?}"
        );
    }
}

fn run_steps(net: &mut Network, n: u64) {
    for _ in 0..n {
        net.step();
    }
}

fn probe(population: &str, var: &str) -> ProbeSpec {
    ProbeSpec {
        population: population.into(),
        var: var.into(),
        neurons: None,
    }
}

fn list_source(name: &str, times: Vec<Vec<f64>>) -> SourceSpec {
    SourceSpec {
        name: name.into(),
        size: times.len(),
        kind: SourceKind::List { times },
    }
}

fn proj(from: &str, to: &str, synapse: SynapseType, weight: f64, delay: f64) -> ProjectionSpec {
    ProjectionSpec {
        from: from.into(),
        to: to.into(),
        synapse,
        connect: Connectivity::AllToAll,
        weight,
        delay,
    }
}

// ---------------------------------------------------------------------------------------------
// DynapSim population against the Rockpool reference
// ---------------------------------------------------------------------------------------------

#[test]
fn dynapsim_population_reproduces_reference_synaptic_train() {
    let times: Vec<f64> = column("syn_train_100Hz_w1_input.csv", "t_s");
    let weights = column("syn_train_100Hz_w1_input.csv", "weight");
    assert_eq!(times.len(), 30, "reference protocol has 30 input events");
    assert!(weights.iter().all(|&w| w == 1.0));
    let p = NeuronParams::default();
    let mut spec = NetworkSpec::default();
    spec.sources.push(list_source("input", vec![times]));
    spec.populations
        .push(PopulationSpec::new("neuron", 1, ModelKind::Dynapsim));
    spec.projections.push(proj(
        "input",
        "neuron",
        SynapseType::Ampa,
        1.0 * p.i_scale,
        0.0,
    ));
    let mut net = Network::build(&spec, DT, 1).unwrap();
    run_steps(&mut net, 50_000); // 0.5 s
    assert_eq!(
        spike_steps(&net, "input"),
        (1..=30).map(|k| k * 1000).collect::<Vec<u64>>(),
        "list source must emit each event at step t/dt"
    );
    assert_steps_close(
        &spike_steps(&net, "neuron"),
        &ref_spike_steps("syn_train_100Hz_w1_spikes.csv"),
        "syn_train_100Hz_w1",
    );
}

#[test]
fn dynapsim_population_reproduces_reference_dc_medium() {
    let mut spec = NetworkSpec::default();
    spec.populations
        .push(PopulationSpec::new("neuron", 3, ModelKind::Dynapsim));
    spec.dc.push(DcSpec {
        population: "neuron".into(),
        neurons: None,
        steps: vec![(0.0, 5e-10)],
    });
    let mut net = Network::build(&spec, DT, 1).unwrap();
    run_steps(&mut net, 50_000);
    let want = ref_spike_steps("dc_medium_Idc5e-10_spikes.csv");
    assert_eq!(want.len(), 16);
    let g = net.rec.group("neuron").unwrap() as u32;
    for i in 0..3 {
        let got: Vec<u64> = net
            .rec
            .spikes
            .iter()
            .filter(|e| e.group == g && e.neuron == i)
            .map(|e| e.step)
            .collect();
        assert_steps_close(&got, &want, &format!("dc_medium neuron {i}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Physical population against the scalar `Neuron`
// ---------------------------------------------------------------------------------------------

fn physical_params() -> NeuronParams {
    NeuronParams {
        i_gain_mem: 106e-12,
        i_spkthr: 1e-9,
        i_w_ahp: 1e-9, // adaptation on, 1 us AHP pulses (shorter than dt)
        ..NeuronParams::default()
    }
}

fn assert_rel(a: f64, b: f64, rel: f64, what: &str) {
    let scale = a.abs().max(b.abs());
    assert!(
        (a - b).abs() <= rel * scale,
        "{what}: {a:e} vs {b:e} (rel {:e} > {rel:e})",
        (a - b).abs() / scale
    );
}

#[test]
fn physical_population_equals_scalar_neuron_under_dc() {
    let i_dc = 200e-12;
    for feedback in [Feedback::Exponential, Feedback::Sigmoid] {
        let p = physical_params();
        let mut spec = NetworkSpec::default();
        // `a`: DC through the parameters; `b`: DC through a schedule from t = 0.
        let mut a = PopulationSpec::new("a", 1, ModelKind::Physical(feedback));
        a.params = NeuronParams { i_dc, ..p };
        spec.populations.push(a);
        let mut b = PopulationSpec::new("b", 2, ModelKind::Physical(feedback));
        b.params = p;
        spec.populations.push(b);
        spec.dc.push(DcSpec {
            population: "b".into(),
            neurons: None,
            steps: vec![(0.0, i_dc)],
        });
        let mut net = Network::build(&spec, DT, 1).unwrap();
        let mut scalar = Neuron::new(NeuronParams { i_dc, ..p }, feedback, DT);
        let mut scalar_spikes = Vec::new();
        for k in 0..30_000u64 {
            net.step();
            if scalar.step([0.0; 4]) {
                scalar_spikes.push(k);
            }
            for (pop, n) in [(0usize, 0usize), (1, 0), (1, 1)] {
                let got = net.pops[pop].read(Var::Imem, n);
                assert_rel(
                    got,
                    scalar.state.i_mem,
                    1e-12,
                    &format!("{feedback:?} pop {pop} neuron {n} i_mem at step {k}"),
                );
                assert_rel(
                    net.pops[pop].read(Var::Iahp, n),
                    scalar.state.i_ahp,
                    1e-12,
                    &format!("{feedback:?} i_ahp at step {k}"),
                );
            }
        }
        assert!(
            scalar_spikes.len() >= 5,
            "{feedback:?}: the DC level should make the neuron fire ({} spikes)",
            scalar_spikes.len()
        );
        assert_eq!(spike_steps(&net, "a"), scalar_spikes, "{feedback:?} pop a");
        let mut both: Vec<u64> = scalar_spikes.iter().flat_map(|&k| [k, k]).collect();
        both.sort();
        assert_eq!(spike_steps(&net, "b"), both, "{feedback:?} pop b");
    }
}

#[test]
fn physical_population_equals_scalar_neuron_under_regular_input() {
    let p = physical_params();
    let w_exc = 0.5 * p.i_scale;
    let w_nmda = 0.2 * p.i_scale;
    let w_gaba = 0.3 * p.i_scale;
    let mut spec = NetworkSpec::default();
    spec.sources.push(SourceSpec {
        name: "exc_in".into(),
        size: 1,
        kind: SourceKind::Regular {
            rate: 100.0,
            phase: 0.005,
        },
    });
    spec.sources.push(SourceSpec {
        name: "inh_in".into(),
        size: 1,
        kind: SourceKind::Regular {
            rate: 25.0,
            phase: 0.0123,
        },
    });
    let mut pop = PopulationSpec::new("n", 1, ModelKind::Physical(Feedback::Exponential));
    pop.params = p;
    spec.populations.push(pop);
    spec.projections
        .push(proj("exc_in", "n", SynapseType::Ampa, w_exc, 0.0));
    spec.projections
        .push(proj("exc_in", "n", SynapseType::Nmda, w_nmda, 0.0));
    spec.projections
        .push(proj("inh_in", "n", SynapseType::Gaba, w_gaba, 0.0));
    let mut net = Network::build(&spec, DT, 1).unwrap();
    let mut scalar = Neuron::new(p, Feedback::Exponential, DT);
    // Independent input schedule: 100 Hz from 5 ms (every 1000 steps from step 500), 25 Hz from
    // 12.3 ms (every 4000 steps from step 1230).
    let mut scalar_spikes = Vec::new();
    for k in 0..40_000u64 {
        let mut ev = [0.0; 4];
        if k >= 500 && (k - 500) % 1000 == 0 {
            ev[0] += w_exc;
            ev[1] += w_nmda;
        }
        if k >= 1230 && (k - 1230) % 4000 == 0 {
            ev[2] += w_gaba;
        }
        net.step();
        if scalar.step(ev) {
            scalar_spikes.push(k);
        }
        let what = |v: &str| format!("{v} at step {k}");
        assert_rel(
            net.pops[0].read(Var::Imem, 0),
            scalar.state.i_mem,
            1e-12,
            &what("i_mem"),
        );
        for (t, name) in [(0u8, "i_ampa"), (1, "i_nmda"), (2, "i_gaba")] {
            assert_rel(
                net.pops[0].read(Var::Isyn(t), 0),
                scalar.state.i_syn[t as usize],
                1e-12,
                &what(name),
            );
        }
    }
    assert!(
        scalar_spikes.len() >= 3,
        "the input should make the neuron fire ({} spikes)",
        scalar_spikes.len()
    );
    assert_eq!(spike_steps(&net, "n"), scalar_spikes);
    assert_eq!(spike_steps(&net, "exc_in").len(), 40);
    assert_eq!(spike_steps(&net, "inh_in").len(), 10);
}

// ---------------------------------------------------------------------------------------------
// Exact charge of pulses longer than dt
// ---------------------------------------------------------------------------------------------

/// Fine-step solution of the linear DPI `tau dI/dt = G*sum(I_w on) - I`, from `i_start` at `t0`,
/// sampled at the step boundaries `t0 + (j+1)*dt` for `j < n`. Pulses are `(start, width, I_w)`.
fn fine_dpi(
    tau: f64,
    g: f64,
    pulses: &[(f64, f64, f64)],
    i_start: f64,
    t0: f64,
    dt: f64,
    n: usize,
) -> Vec<f64> {
    let sub = 2000; // 5 ns sub-steps at dt = 10 us: each pulse edge falls on a sub-step boundary
    let h = dt / sub as f64;
    let e = (-h / tau).exp();
    let mut i = i_start;
    let mut out = Vec::with_capacity(n);
    for j in 0..n {
        for s in 0..sub {
            let t_mid = t0 + j as f64 * dt + (s as f64 + 0.5) * h;
            let drive: f64 = pulses
                .iter()
                .filter(|&&(a, w, _)| t_mid >= a && t_mid < a + w)
                .map(|&(_, _, iw)| iw)
                .sum();
            let target = g * drive;
            i = target + (i - target) * e;
        }
        out.push(i);
    }
    out
}

#[test]
fn pulses_longer_than_dt_deliver_exact_charge() {
    let mut p = NeuronParams::default();
    // t_pulse = V_swing*C_pulse/I_pulse = 35 us = 3.5 dt.
    p.i_pulse = p.v_th * p.c_pulse / 35e-6;
    assert!((p.t_pulse() - 35e-6).abs() < 1e-15);
    let w = 0.4 * p.i_scale;
    // Two overlapping pulses (20 us apart) from one channel, then a lone one.
    let t_ev = [1.0e-3, 1.02e-3, 3.0e-3];
    let mut spec = NetworkSpec::default();
    spec.sources.push(list_source("in", vec![t_ev.to_vec()]));
    let mut pop = PopulationSpec::new("n", 1, ModelKind::Physical(Feedback::Exponential));
    pop.params = p;
    spec.populations.push(pop);
    spec.projections
        .push(proj("in", "n", SynapseType::Ampa, w, 0.0));
    spec.record.probes.push(probe("n", "iampa"));
    spec.record.stride = 1;
    let mut net = Network::build(&spec, DT, 1).unwrap();
    let n_steps = 1000usize; // 10 ms
    run_steps(&mut net, n_steps as u64);
    let engine: &[f64] = &net.rec.probes[0].data;
    assert_eq!(engine.len(), n_steps);

    // Scalar reference: DpiUnit with its own pulse books.
    let syn = p.synapse(SynapseType::Ampa);
    let step = DpiStep::new(&syn, p.t_pulse(), p.kappa(), p.u_t, DT);
    assert_eq!(step.n_full, 3, "35 us at 10 us: 3 whole steps + 5 us");
    let mut unit = DpiUnit::new(step, p.i_0);
    let ev_steps = [100usize, 102, 300];
    let reference: Vec<f64> = (0..n_steps)
        .map(|k| unit.advance(if ev_steps.contains(&k) { w } else { 0.0 }))
        .collect();

    // Independent fine-step integration of the linear ODE from the event on (the state sits at the
    // floor I_0 before it; the floor is never reached again within the window).
    let tau = syn.tau(p.kappa(), p.u_t);
    let g = syn.i_gain / syn.i_tau;
    let pulses: Vec<(f64, f64, f64)> = t_ev.iter().map(|&t| (t, 35e-6, w)).collect();
    let fine = fine_dpi(tau, g, &pulses, p.i_0, 1.0e-3, DT, n_steps - 100);

    for k in 0..n_steps {
        assert_rel(
            engine[k],
            reference[k],
            1e-9,
            &format!("engine vs DpiUnit at step {k}"),
        );
        if k < 100 {
            assert_eq!(engine[k], p.i_0, "no input yet at step {k}");
        } else {
            // Row k is the state at the end of step k, i.e. at t = (k+1)*dt.
            assert_rel(
                engine[k],
                fine[k - 100],
                1e-6,
                &format!("engine vs fine ODE at step {k}"),
            );
        }
    }
    // Charge: the area above the baseline equals G*I_w*t_pulse per pulse (a first-order low-pass
    // keeps the area of its input), up to the tail beyond the window and the floor's decay.
    let area_engine: f64 = engine[100..300].iter().map(|x| x * DT).sum();
    let area_fine: f64 = fine[..200].iter().map(|x| x * DT).sum();
    assert_rel(
        area_engine,
        area_fine,
        1e-6,
        "area of the first two pulses' response",
    );
    let peak = engine.iter().cloned().fold(0.0, f64::max);
    let fine_peak = fine.iter().cloned().fold(0.0, f64::max);
    assert_rel(peak, fine_peak, 1e-6, "peak");
    // And the response really is longer than one step's worth of charge: the rise lasts 4+ steps.
    assert!(engine[101] > engine[100] && engine[103] > engine[102] && engine[104] > engine[103]);
}

#[test]
fn ahp_pulses_longer_than_dt_deliver_exact_charge() {
    // AHP pulses of 1 ms (100 steps) as in the E/I example; the AHP DPI is driven by the neuron's own
    // spikes one step later. Check the engine's i_ahp against a DpiUnit fed from the recorded spikes.
    let mut p = physical_params();
    p.i_pulse_ahp = 350e-12; // 0.7 V * 0.5 pF / 350 pA = 1 ms
    p.i_tau_ahp = 7e-12;
    let mut pop = PopulationSpec::new("n", 1, ModelKind::Physical(Feedback::Exponential));
    pop.params = NeuronParams { i_dc: 300e-12, ..p };
    let mut spec = NetworkSpec::default();
    spec.populations.push(pop);
    spec.record.probes.push(probe("n", "iahp"));
    spec.record.stride = 1;
    let mut net = Network::build(&spec, DT, 1).unwrap();
    let n = 20_000usize;
    run_steps(&mut net, n as u64);
    let spikes = spike_steps(&net, "n");
    assert!(spikes.len() >= 3, "neuron should fire: {spikes:?}");
    let step = DpiStep::new(&p.ahp(), p.t_pulse_ahp(), p.kappa(), p.u_t, DT);
    assert!(step.n_full >= 99, "n_full {}", step.n_full);
    let mut unit = DpiUnit::new(step, p.i_0);
    for k in 0..n {
        let ev = if k > 0 && spikes.contains(&(k as u64 - 1)) {
            p.i_w_ahp
        } else {
            0.0
        };
        let r = unit.advance(ev);
        assert_rel(
            net.rec.probes[0].data[k],
            r,
            1e-9,
            &format!("i_ahp at step {k}"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Delays and latency
// ---------------------------------------------------------------------------------------------

/// First step at which probe `i` leaves the floor.
fn first_rise(net: &Network, i: usize, floor: f64) -> Option<usize> {
    net.rec.probes[i].data.iter().position(|&x| x > floor)
}

#[test]
fn projection_delay_of_1ms_is_exactly_100_steps() {
    let i0 = NeuronParams::default().i_0;
    let mut spec = NetworkSpec::default();
    spec.sources.push(list_source("in", vec![vec![0.002]]));
    for name in ["d0", "d1"] {
        spec.populations.push(PopulationSpec::new(
            name,
            1,
            ModelKind::Physical(Feedback::Exponential),
        ));
        spec.record.probes.push(probe(name, "iampa"));
    }
    spec.projections
        .push(proj("in", "d0", SynapseType::Ampa, 1e-8, 0.0));
    spec.projections
        .push(proj("in", "d1", SynapseType::Ampa, 1e-8, 1e-3));
    spec.record.stride = 1;
    let mut net = Network::build(&spec, DT, 1).unwrap();
    run_steps(&mut net, 500);
    let a = first_rise(&net, 0, i0).expect("delay 0 delivers");
    let b = first_rise(&net, 1, i0).expect("delay 1 ms delivers");
    assert_eq!(
        a, 200,
        "a source spike at 2 ms reaches a 0-delay target in step 200"
    );
    assert_eq!(b - a, 100, "1 ms delay = 100 steps at dt = 10 us");
}

#[test]
fn neuron_to_neuron_has_one_step_latency_plus_delay() {
    let i0 = NeuronParams::default().i_0;
    let mut spec = NetworkSpec::default();
    let mut driver = PopulationSpec::new("driver", 1, ModelKind::Physical(Feedback::Exponential));
    driver.params = NeuronParams {
        i_dc: 300e-12,
        ..physical_params()
    };
    spec.populations.push(driver);
    for name in ["t0", "t1"] {
        spec.populations.push(PopulationSpec::new(
            name,
            1,
            ModelKind::Physical(Feedback::Exponential),
        ));
        spec.record.probes.push(probe(name, "iampa"));
    }
    spec.projections
        .push(proj("driver", "t0", SynapseType::Ampa, 1e-8, 0.0));
    spec.projections
        .push(proj("driver", "t1", SynapseType::Ampa, 1e-8, 1e-3));
    spec.record.stride = 1;
    let mut net = Network::build(&spec, DT, 1).unwrap();
    run_steps(&mut net, 10_000);
    let first = *spike_steps(&net, "driver").first().expect("driver fires") as usize;
    assert_eq!(first_rise(&net, 0, i0), Some(first + 1), "one-step latency");
    assert_eq!(
        first_rise(&net, 1, i0),
        Some(first + 101),
        "latency + 100-step delay"
    );
}

// ---------------------------------------------------------------------------------------------
// Determinism and identity-keyed streams
// ---------------------------------------------------------------------------------------------

fn random_net(n_in: usize) -> NetworkSpec {
    let mut spec = NetworkSpec::default();
    spec.sources.push(SourceSpec {
        name: "poisson".into(),
        size: n_in,
        kind: SourceKind::Poisson { rate: 80.0 },
    });
    let mut pop = PopulationSpec::new("exc", 20, ModelKind::Physical(Feedback::Exponential));
    pop.params = physical_params();
    spec.populations.push(pop);
    spec.projections.push(ProjectionSpec {
        from: "poisson".into(),
        to: "exc".into(),
        synapse: SynapseType::Ampa,
        connect: Connectivity::Random { p: 0.5 },
        weight: 1e-8,
        delay: 0.0,
    });
    spec.projections.push(ProjectionSpec {
        from: "exc".into(),
        to: "exc".into(),
        synapse: SynapseType::Ampa,
        connect: Connectivity::Random { p: 0.2 },
        weight: 3e-9,
        delay: 5e-4,
    });
    spec
}

fn all_spikes(net: &Network) -> Vec<(u64, u32, u32)> {
    net.rec
        .spikes
        .iter()
        .map(|e| (e.step, e.group, e.neuron))
        .collect()
}

fn table_rows(t: &Table, n_pre: usize) -> Vec<Vec<u32>> {
    match t {
        Table::Sparse { row_ptr, post, .. } => (0..n_pre)
            .map(|i| post[row_ptr[i] as usize..row_ptr[i + 1] as usize].to_vec())
            .collect(),
        Table::Dense { .. } => panic!("random connectivity should be sparse"),
    }
}

#[test]
fn same_seed_same_spikes_different_seed_different_spikes() {
    let spec = random_net(8);
    let run = |seed: u64| {
        let mut net = Network::build(&spec, DT, seed).unwrap();
        run_steps(&mut net, 10_000);
        net
    };
    let a = run(7);
    let b = run(7);
    let c = run(8);
    let sa = all_spikes(&a);
    let exc = a.rec.group("exc").unwrap();
    assert!(
        a.rec.counts[0] > 20,
        "Poisson input fires: {:?}",
        a.rec.counts
    );
    assert!(
        a.rec.counts[exc] > 0,
        "network responds: {:?}",
        a.rec.counts
    );
    assert_eq!(sa, all_spikes(&b), "same seed must give identical spikes");
    assert_ne!(
        sa,
        all_spikes(&c),
        "a different seed must change the spikes"
    );
    assert_ne!(
        table_rows(&a.projections[0].table, 8),
        table_rows(&c.projections[0].table, 8),
        "a different seed must change the random connectivity"
    );
}

#[test]
fn poisson_channel_keeps_its_train_when_the_source_grows() {
    let small = random_net(8);
    let big = random_net(16);
    let mut a = Network::build(&small, DT, 3).unwrap();
    let mut b = Network::build(&big, DT, 3).unwrap();
    run_steps(&mut a, 20_000);
    run_steps(&mut b, 20_000);
    let src = |n: &Network| -> Vec<(u64, u32)> {
        n.rec
            .spikes
            .iter()
            .filter(|e| e.group == 0 && e.neuron < 8)
            .map(|e| (e.step, e.neuron))
            .collect()
    };
    let sa = src(&a);
    assert!(sa.len() > 50, "{} source spikes", sa.len());
    assert_eq!(sa, src(&b), "channels 0..8 must keep their trains");
    assert!(
        b.rec.spikes.iter().any(|e| e.group == 0 && e.neuron >= 8),
        "the new channels fire too"
    );
    // Random connectivity rows are keyed by the pre neuron: the first 8 rows are unchanged.
    let ra = table_rows(&a.projections[0].table, 8);
    let rb = table_rows(&b.projections[0].table, 16);
    assert_eq!(
        ra[..],
        rb[..8],
        "rows of pre neurons 0..8 must not depend on the source size"
    );
}

// ---------------------------------------------------------------------------------------------
// Recorders and the schedule
// ---------------------------------------------------------------------------------------------

#[test]
fn probe_stride_and_row_count() {
    for (steps, stride) in [(1003u64, 10u32), (1000, 10), (7, 1), (50, 0), (999, 1000)] {
        let mut spec = NetworkSpec::default();
        spec.populations
            .push(PopulationSpec::new("n", 3, ModelKind::Dynapsim));
        spec.record.probes.push(probe("n", "imem"));
        spec.record.probes.push(ProbeSpec {
            population: "n".into(),
            var: "isyn".into(),
            neurons: Some(vec![2]),
        });
        spec.record.stride = stride;
        let mut net = Network::build(&spec, DT, 1).unwrap();
        run_steps(&mut net, steps);
        let s = stride.max(1) as u64;
        let rows = steps.div_ceil(s) as usize;
        assert_eq!(
            net.rec.probe_steps.len(),
            rows,
            "steps {steps} stride {stride}"
        );
        assert!(net
            .rec
            .probe_steps
            .iter()
            .enumerate()
            .all(|(r, &k)| k == r as u64 * s));
        assert_eq!(net.rec.probes[0].data.len(), rows * 3);
        assert_eq!(net.rec.probes[1].data.len(), rows);
    }
}

#[test]
fn memory_is_bounded_by_what_is_recorded() {
    let mut spec = random_net(8);
    spec.record = RecordSpec {
        spikes: Some(vec![]),
        probes: vec![],
        stride: 1,
        rate_bin: None,
    };
    let mut net = Network::build(&spec, DT, 1).unwrap();
    run_steps(&mut net, 5_000);
    assert!(net.rec.counts.iter().sum::<u64>() > 0, "spikes are counted");
    assert!(
        net.rec.spikes.is_empty(),
        "no spike group selected: no spikes kept"
    );
    assert!(net.rec.probe_steps.is_empty(), "no probes: no probe rows");
    assert!(net.rec.probes.is_empty());
    assert!(
        net.rec.rate_counts.iter().all(|v| v.is_empty()),
        "no rate bins"
    );

    // Selecting one group keeps only that group's spikes.
    spec.record.spikes = Some(vec!["exc".into()]);
    let mut net = Network::build(&spec, DT, 1).unwrap();
    run_steps(&mut net, 5_000);
    let exc = net.rec.group("exc").unwrap() as u32;
    assert!(!net.rec.spikes.is_empty());
    assert!(net.rec.spikes.iter().all(|e| e.group == exc));
    assert_eq!(net.rec.spikes.len() as u64, net.rec.counts[exc as usize]);
}

#[test]
fn rate_bins_sum_to_counts() {
    let mut spec = random_net(8);
    spec.record.rate_bin = Some(0.01);
    let steps = 10_500u64; // 105 ms: 11 bins, the last one partial
    let mut net = Network::build(&spec, DT, 5).unwrap();
    run_steps(&mut net, steps);
    assert_eq!(net.rec.rate_bin_steps, 1000);
    for g in 0..net.rec.names.len() {
        let bins = &net.rec.rate_counts[g];
        assert!(bins.len() <= 11, "{} bins", bins.len());
        assert_eq!(
            bins.iter().map(|&c| c as u64).sum::<u64>(),
            net.rec.counts[g],
            "group {}",
            net.rec.names[g]
        );
        assert!(net.rec.counts[g] > 0, "group {} silent", net.rec.names[g]);
    }
    // The spikes of each bin are those with step in the bin.
    for g in 0..net.rec.names.len() {
        for (b, &c) in net.rec.rate_counts[g].iter().enumerate() {
            let n = net
                .rec
                .spikes
                .iter()
                .filter(|e| e.group == g as u32 && e.step / 1000 == b as u64)
                .count();
            assert_eq!(n as u32, c, "group {g} bin {b}");
        }
    }
}

#[test]
fn schedule_lists_every_population_and_projection() {
    let mut spec = random_net(8);
    spec.populations.push(PopulationSpec::new(
        "inh",
        5,
        ModelKind::Physical(Feedback::Sigmoid),
    ));
    spec.populations
        .push(PopulationSpec::new("dyn", 2, ModelKind::Dynapsim));
    spec.projections
        .push(proj("exc", "inh", SynapseType::Ampa, 1e-9, 1e-3));
    spec.projections
        .push(proj("inh", "exc", SynapseType::Shunt, 1e-9, 0.0));
    spec.projections
        .push(proj("poisson", "dyn", SynapseType::Ampa, 1e-9, 0.0));
    spec.dc.push(DcSpec {
        population: "inh".into(),
        neurons: None,
        steps: vec![(0.0, 1e-12), (0.1, 2e-12)],
    });
    spec.record.probes.push(probe("exc", "imem"));
    let net = Network::build(&spec, DT, 1).unwrap();
    let s = net.schedule();
    for name in ["poisson", "exc", "inh", "dyn"] {
        assert!(
            s.contains(&format!("`{name}`")),
            "schedule misses `{name}`:\n{s}"
        );
    }
    let routes: Vec<&str> = s.lines().filter(|l| l.contains("route")).collect();
    assert_eq!(
        routes.len(),
        spec.projections.len(),
        "one route line per projection:\n{s}"
    );
    for (pr, line) in spec.projections.iter().zip(&routes) {
        assert!(
            line.contains(&format!("`{}`", pr.from))
                && line.contains(&format!("`{}`.{}", pr.to, pr.synapse.name())),
            "route line for {} -> {}: {line}",
            pr.from,
            pr.to
        );
        let steps = (pr.delay / DT).round() as usize;
        assert!(line.contains(&format!("delay {steps} steps")), "{line}");
    }
    let pops: Vec<&str> = s
        .lines()
        .filter(|l| l.trim_start().starts_with("4."))
        .collect();
    assert_eq!(pops.len(), 3, "{s}");
    assert!(s.contains("2 changes"), "{s}");
    assert!(s.contains("1 probes every"), "{s}");
    // Order of the phases.
    let pos = |pat: &str| s.find(pat).unwrap_or_else(|| panic!("{pat} missing:\n{s}"));
    assert!(pos("1. ") < pos("2. ") && pos("2. ") < pos("3. ") && pos("3. ") < pos("4. "));
    assert!(pos("4. ") < pos("5. "));
}

// ---------------------------------------------------------------------------------------------
// Build errors
// ---------------------------------------------------------------------------------------------

fn build_err(spec: &NetworkSpec) -> BuildError {
    match Network::build(spec, DT, 1) {
        Ok(_) => panic!("build should fail"),
        Err(e) => e,
    }
}

fn assert_msg(e: &BuildError, parts: &[&str]) {
    let m = e.to_string();
    for p in parts {
        assert!(m.contains(p), "error message {m:?} should contain {p:?}");
    }
}

fn two_pops(model_b: ModelKind) -> NetworkSpec {
    let mut spec = NetworkSpec::default();
    spec.sources.push(SourceSpec {
        name: "src".into(),
        size: 3,
        kind: SourceKind::Regular {
            rate: 10.0,
            phase: 0.0,
        },
    });
    spec.populations.push(PopulationSpec::new(
        "alpha",
        3,
        ModelKind::Physical(Feedback::Exponential),
    ));
    spec.populations
        .push(PopulationSpec::new("beta", 4, model_b));
    spec
}

#[test]
fn build_error_unknown_population() {
    let mut spec = two_pops(ModelKind::Dynapsim);
    spec.projections
        .push(proj("src", "gamma", SynapseType::Ampa, 1e-9, 0.0));
    let e = build_err(&spec);
    assert!(matches!(e, BuildError::UnknownPopulation { .. }), "{e:?}");
    assert_msg(&e, &["gamma", "src", "projection", "alpha", "beta"]);

    let mut spec = two_pops(ModelKind::Dynapsim);
    spec.projections
        .push(proj("nowhere", "alpha", SynapseType::Ampa, 1e-9, 0.0));
    assert_msg(&build_err(&spec), &["nowhere", "alpha", "projection"]);

    let mut spec = two_pops(ModelKind::Dynapsim);
    spec.dc.push(DcSpec {
        population: "ghost".into(),
        neurons: None,
        steps: vec![(0.0, 1e-10)],
    });
    assert_msg(&build_err(&spec), &["ghost", "dc"]);

    let mut spec = two_pops(ModelKind::Dynapsim);
    spec.record.probes.push(probe("phantom", "imem"));
    assert_msg(&build_err(&spec), &["phantom"]);
}

#[test]
fn build_error_dynapsim_with_nmda() {
    let mut spec = two_pops(ModelKind::Dynapsim);
    spec.projections
        .push(proj("src", "beta", SynapseType::Nmda, 1e-9, 0.0));
    let e = build_err(&spec);
    assert!(matches!(e, BuildError::Invalid { .. }), "{e:?}");
    assert_msg(&e, &["src", "beta", "dynapsim", "nmda", "ampa"]);
    // The same projection onto a physical population is fine.
    let mut spec = two_pops(ModelKind::Physical(Feedback::Exponential));
    spec.projections
        .push(proj("src", "beta", SynapseType::Nmda, 1e-9, 0.0));
    assert!(Network::build(&spec, DT, 1).is_ok());
}

#[test]
fn build_error_one_to_one_size_mismatch() {
    let mut spec = two_pops(ModelKind::Dynapsim);
    let mut pr = proj("alpha", "beta", SynapseType::Ampa, 1e-9, 0.0);
    pr.connect = Connectivity::OneToOne;
    spec.projections.push(pr.clone());
    let e = build_err(&spec);
    assert_msg(&e, &["alpha", "beta", "one_to_one", "3", "4"]);
    // Equal sizes build.
    let mut spec = two_pops(ModelKind::Dynapsim);
    pr.from = "src".into();
    pr.to = "alpha".into();
    spec.projections.push(pr);
    assert!(Network::build(&spec, DT, 1).is_ok());
}

#[test]
fn build_error_negative_weight() {
    let mut spec = two_pops(ModelKind::Dynapsim);
    spec.projections
        .push(proj("src", "alpha", SynapseType::Gaba, -1e-9, 0.0));
    let e = build_err(&spec);
    assert_msg(&e, &["src", "alpha", "weight", ">= 0"]);

    let mut spec = two_pops(ModelKind::Dynapsim);
    let mut pr = proj("src", "alpha", SynapseType::Ampa, 1e-9, 0.0);
    pr.connect = Connectivity::Dense(vec![1e-9, 1e-9, -1e-9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    spec.projections.push(pr);
    assert_msg(&build_err(&spec), &["src", "alpha", "weight", ">= 0"]);

    let mut spec = two_pops(ModelKind::Dynapsim);
    spec.projections
        .push(proj("src", "alpha", SynapseType::Ampa, f64::NAN, 0.0));
    assert_msg(&build_err(&spec), &["src", "alpha", "weight"]);
}

#[test]
fn build_error_explicit_connection_out_of_range() {
    let mut spec = two_pops(ModelKind::Dynapsim);
    let mut pr = proj("src", "beta", SynapseType::Ampa, 0.0, 0.0);
    pr.connect = Connectivity::Explicit(vec![(0, 0, 1e-9), (2, 4, 1e-9)]);
    spec.projections.push(pr.clone());
    let e = build_err(&spec);
    assert_msg(&e, &["src", "beta", "(2, 4)", "out of range", "3 x 4"]);
    // Pre index out of range too.
    let mut spec = two_pops(ModelKind::Dynapsim);
    pr.connect = Connectivity::Explicit(vec![(3, 0, 1e-9)]);
    spec.projections.push(pr.clone());
    assert_msg(&build_err(&spec), &["(3, 0)", "out of range"]);
    // In range builds, and delivers the explicit weight.
    let mut spec = two_pops(ModelKind::Dynapsim);
    pr.connect = Connectivity::Explicit(vec![(2, 3, 1e-9)]);
    spec.projections.push(pr);
    let net = Network::build(&spec, DT, 1).unwrap();
    assert_eq!(net.projections[0].table.n_synapses(), 1);
}

#[test]
fn build_error_other_constraints_name_the_element() {
    let mut spec = two_pops(ModelKind::Dynapsim);
    spec.populations
        .push(PopulationSpec::new("alpha", 1, ModelKind::Dynapsim));
    assert!(matches!(build_err(&spec), BuildError::DuplicateName(n) if n == "alpha"));

    let mut spec = two_pops(ModelKind::Dynapsim);
    spec.populations[0].size = 0;
    assert_msg(&build_err(&spec), &["alpha", "size", "> 0"]);

    let mut spec = two_pops(ModelKind::Dynapsim);
    let mut pr = proj("src", "alpha", SynapseType::Ampa, 1e-9, 0.0);
    pr.connect = Connectivity::Random { p: 1.5 };
    spec.projections.push(pr);
    assert_msg(&build_err(&spec), &["src", "alpha", "p = 1.5", "[0, 1]"]);

    let mut spec = two_pops(ModelKind::Dynapsim);
    spec.projections
        .push(proj("src", "alpha", SynapseType::Ampa, 1e-9, -1e-3));
    assert_msg(&build_err(&spec), &["src", "alpha", "delay", ">= 0"]);

    let mut spec = two_pops(ModelKind::Dynapsim);
    spec.populations[1].params.c_mem = -3e-12;
    assert_msg(&build_err(&spec), &["beta", "c_mem"]);

    let spec = two_pops(ModelKind::Dynapsim);
    for dt in [0.0, -1e-5, f64::NAN] {
        assert!(Network::build(&spec, dt, 1).is_err(), "dt = {dt}");
    }
}

#[test]
fn random_connectivity_does_not_depend_on_other_projections() {
    let base = random_net(8);
    let mut grown = random_net(8);
    // An unrelated projection inserted in front of the others.
    grown.populations.push(PopulationSpec::new(
        "other",
        5,
        ModelKind::Physical(Feedback::Exponential),
    ));
    let mut extra = proj("poisson", "other", SynapseType::Ampa, 1e-9, 0.0);
    extra.connect = Connectivity::Random { p: 0.5 };
    grown.projections.insert(0, extra);
    let a = Network::build(&base, DT, 11).unwrap();
    let b = Network::build(&grown, DT, 11).unwrap();
    assert_eq!(
        table_rows(&a.projections[0].table, 8),
        table_rows(&b.projections[1].table, 8),
        "poisson -> exc must keep its synapses"
    );
    assert_eq!(
        table_rows(&a.projections[1].table, 20),
        table_rows(&b.projections[2].table, 20),
        "exc -> exc must keep its synapses"
    );
}

#[test]
fn two_random_projections_between_the_same_populations_differ() {
    // The E/I example has AMPA and NMDA projections input -> exc with the same p: they must not be
    // the same draw.
    let mut spec = random_net(8);
    let mut nmda = spec.projections[0].clone();
    nmda.synapse = SynapseType::Nmda;
    spec.projections.push(nmda);
    let net = Network::build(&spec, DT, 11).unwrap();
    assert_ne!(
        table_rows(&net.projections[0].table, 8),
        table_rows(&net.projections[2].table, 8)
    );
}

#[test]
fn dynapsim_dc_schedule_step_matches_reference_sfa_off() {
    // Idc = Io for 0.1 s (10000 steps), then 5 nA for 1 s, state carried across the change.
    let p = NeuronParams::default();
    let mut spec = NetworkSpec::default();
    spec.populations
        .push(PopulationSpec::new("neuron", 1, ModelKind::Dynapsim));
    spec.dc.push(DcSpec {
        population: "neuron".into(),
        neurons: None,
        steps: vec![(0.0, p.i_0), (0.1, 5e-9)],
    });
    let mut net = Network::build(&spec, DT, 1).unwrap();
    run_steps(&mut net, 110_000);
    assert_steps_close(
        &spike_steps(&net, "neuron"),
        &ref_spike_steps("sfa_off_spikes.csv"),
        "sfa_off",
    );
}

#[test]
fn heterogeneous_physical_population_equals_one_scalar_neuron_each() {
    let base = physical_params();
    let per: Vec<NeuronParams> = [150e-12, 250e-12, 400e-12]
        .iter()
        .enumerate()
        .map(|(i, &i_dc)| NeuronParams {
            i_dc,
            c_mem: base.c_mem * (1.0 + 0.1 * i as f64),
            i_tau_ampa: base.i_tau_ampa * (1.0 - 0.05 * i as f64),
            ..base
        })
        .collect();
    let mut pop = PopulationSpec::new("n", 3, ModelKind::Physical(Feedback::Exponential));
    pop.per_neuron = Some(per.clone());
    let w = 0.3 * base.i_scale;
    let mut spec = NetworkSpec::default();
    spec.sources.push(SourceSpec {
        name: "in".into(),
        size: 1,
        kind: SourceKind::Regular {
            rate: 50.0,
            phase: 0.001,
        },
    });
    spec.populations.push(pop);
    spec.projections
        .push(proj("in", "n", SynapseType::Ampa, w, 0.0));
    let mut net = Network::build(&spec, DT, 1).unwrap();
    let mut scalars: Vec<Neuron> = per
        .iter()
        .map(|&q| Neuron::new(q, Feedback::Exponential, DT))
        .collect();
    let mut spikes = vec![Vec::new(); 3];
    for k in 0..20_000u64 {
        let ev = if k >= 100 && (k - 100) % 2000 == 0 {
            w
        } else {
            0.0
        };
        net.step();
        for (i, s) in scalars.iter_mut().enumerate() {
            if s.step([ev, 0.0, 0.0, 0.0]) {
                spikes[i].push(k);
            }
            assert_rel(
                net.pops[0].read(Var::Imem, i),
                s.state.i_mem,
                1e-12,
                &format!("neuron {i} i_mem at step {k}"),
            );
        }
    }
    let g = net.rec.group("n").unwrap() as u32;
    for (i, want) in spikes.iter().enumerate() {
        let got: Vec<u64> = net
            .rec
            .spikes
            .iter()
            .filter(|e| e.group == g && e.neuron == i as u32)
            .map(|e| e.step)
            .collect();
        assert!(!want.is_empty(), "neuron {i} should fire");
        assert_eq!(&got, want, "neuron {i}");
    }
    assert!(spikes[0] != spikes[2], "the neurons differ");
}

#[test]
fn mixed_pulse_widths_in_one_population_are_each_exact() {
    // Neuron 0: 10 us pulses (one step); neuron 1: 35 us; neuron 2: 72 us. One pulse book serves all.
    let base = NeuronParams::default();
    let widths = [10e-6, 35e-6, 72e-6];
    let per: Vec<NeuronParams> = widths
        .iter()
        .map(|&t| NeuronParams {
            i_pulse: base.v_th * base.c_pulse / t,
            ..base
        })
        .collect();
    let mut pop = PopulationSpec::new("n", 3, ModelKind::Physical(Feedback::Exponential));
    pop.per_neuron = Some(per.clone());
    let w = 0.2 * base.i_scale;
    let mut spec = NetworkSpec::default();
    spec.sources
        .push(list_source("in", vec![vec![1e-3, 1.03e-3, 2e-3]]));
    spec.populations.push(pop);
    spec.projections
        .push(proj("in", "n", SynapseType::Ampa, w, 0.0));
    spec.record.probes.push(probe("n", "iampa"));
    spec.record.stride = 1;
    let mut net = Network::build(&spec, DT, 1).unwrap();
    run_steps(&mut net, 600);
    for (i, q) in per.iter().enumerate() {
        let step = DpiStep::new(
            &q.synapse(SynapseType::Ampa),
            q.t_pulse(),
            q.kappa(),
            q.u_t,
            DT,
        );
        let mut unit = DpiUnit::new(step, q.i_0);
        for k in 0..600usize {
            let ev = if [100, 103, 200].contains(&k) { w } else { 0.0 };
            let r = unit.advance(ev);
            assert_rel(
                net.rec.probes[0].data[k * 3 + i],
                r,
                1e-9,
                &format!("neuron {i} (t_pulse {} us) step {k}", widths[i] * 1e6),
            );
        }
    }
}
