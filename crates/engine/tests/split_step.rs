//! Step 4 in two groups on two threads ([`Network::step_split`]): where the populations are split,
//! when they are not, and that a split run is bit-identical to a run on one thread — spikes and
//! every neuron's final state, on a die with shot noise, so that any cross-talk between the two
//! groups or any dependence on evaluation order would show.

use std::sync::Arc;

use mixsig_chip::{ChipInstance, ChipProfile};
use mixsig_circuits::{Feedback, NeuronParams, SynapseType};
use mixsig_engine::network::{split_point, SPLIT_MIN_WORK};
use mixsig_engine::population::{Population, Var};
use mixsig_engine::spec::*;
use mixsig_engine::Network;

const PHYS: ModelKind = ModelKind::Physical(Feedback::Exponential);

/// Poisson input -> `a` -> `b` -> `c`, with `sizes` neurons, on die 4 of dynapse2 (noise on).
fn chain(sizes: [usize; 3], model: ModelKind) -> NetworkSpec {
    let names = ["a", "b", "c"];
    let proj = |from: &str, to: &str, w: f64| ProjectionSpec {
        from: from.into(),
        to: to.into(),
        synapse: SynapseType::Ampa,
        connect: Connectivity::AllToAll,
        weight: w,
        delay: 0.0,
    };
    let mut next = 0u32;
    let sites = sizes
        .iter()
        .map(|&n| {
            let v = (0..n as u32).map(|i| (0, next + i)).collect();
            next += n as u32;
            v
        })
        .collect();
    let prof = ChipProfile::builtin("dynapse2").unwrap();
    NetworkSpec {
        sources: vec![SourceSpec {
            name: "in".into(),
            size: 8,
            kind: SourceKind::Poisson { rate: 80.0 },
        }],
        populations: names
            .iter()
            .zip(sizes)
            .map(|(n, s)| PopulationSpec::new(n, s, model))
            .collect(),
        projections: vec![
            proj("in", "a", 1e-9),
            proj("a", "b", 1e-9),
            proj("b", "c", 1e-9),
        ],
        // Every population fires on its DC alone, and more with its input.
        dc: names
            .iter()
            .map(|n| DcSpec {
                population: n.to_string(),
                neurons: None,
                steps: vec![(0.0, 1e-10)],
            })
            .collect(),
        record: RecordSpec {
            stride: 1,
            ..Default::default()
        },
        chip: Some(ChipBinding {
            instance: Arc::new(ChipInstance::sample(&prof, 4)),
            sites,
        }),
        learning: Vec::new(),
    }
}

type Run = (Vec<(u64, u32, u32)>, Vec<f64>);

fn run(net: &mut Network, seconds: f64) -> Run {
    net.run(seconds);
    let spikes = net
        .rec
        .spikes
        .iter()
        .map(|e| (e.step, e.group, e.neuron))
        .collect();
    let state = net
        .pops
        .iter()
        .flat_map(|p| (0..p.n).flat_map(move |i| [p.read(Var::Imem, i), p.read(Var::Iahp, i)]))
        .collect();
    (spikes, state)
}

#[test]
fn the_split_balances_work_and_light_networks_are_not_split() {
    let build = |sizes, model| Network::build(&chain(sizes, model), 1e-4, 1).unwrap();
    // 32 | 40 + 24: the cut nearest half of 96.
    assert_eq!(build([32, 40, 24], PHYS).step_split, Some(1));
    assert_eq!(build([40, 8, 48], PHYS).step_split, Some(2));
    assert_eq!(split_point(&build([48, 8, 40], PHYS).pops), Some(1));
    // Under the threshold of work: one thread.
    let light = (SPLIT_MIN_WORK as usize - 3) / 3;
    assert_eq!(build([light; 3], PHYS).step_split, None);
    // A DynapSim neuron counts as a quarter of a physical one.
    let pops = |sizes: &[usize]| -> Vec<Population> {
        sizes
            .iter()
            .map(|&n| {
                let params = vec![NeuronParams::default(); n];
                Population::new("p", ModelKind::Dynapsim, params, 1e-4)
            })
            .collect()
    };
    assert_eq!(build([32, 32, 32], ModelKind::Dynapsim).step_split, None);
    assert_eq!(split_point(&pops(&[64, 96, 96])), Some(2));
    assert_eq!(split_point(&pops(&[100, 100, 50])), None);
    // One population cannot be split.
    assert_eq!(split_point(&pops(&[400])), None);
}

#[test]
fn a_split_step_on_two_threads_gives_the_numbers_of_one_thread() {
    let spec = chain([40, 32, 32], PHYS);
    let mut serial = Network::build(&spec, 1e-4, 7).unwrap();
    assert!(
        serial.step_split.is_some(),
        "the network must be heavy enough to split"
    );
    // Off the pool, the split is never used: this is the reference.
    let want = run(&mut serial, 0.5);
    // Every group fires (the source is group 0): a population left out of a split step would show.
    for g in 0..4 {
        let n = want.0.iter().filter(|e| e.1 == g).count();
        assert!(n > 100, "group {g}: too few spikes to compare ({n})");
    }
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut net = Network::build(&spec, 1e-4, 7).unwrap();
        let got = pool.install(|| {
            assert!(rayon::current_thread_index().is_some());
            run(&mut net, 0.5)
        });
        assert_eq!(got.0, want.0, "spikes on {threads} threads");
        assert_eq!(got.1, want.1, "final state on {threads} threads");
    }
    // The run seed reaches the noise: another seed gives other spikes (so the comparison above
    // compares noisy runs, not noise-free ones).
    let other = run(&mut Network::build(&spec, 1e-4, 8).unwrap(), 0.5);
    assert_ne!(other.0, want.0);
}
