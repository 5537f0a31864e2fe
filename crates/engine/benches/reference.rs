//! The reference workload of the issue tracker and the peer comparison: 256 neurons, 64 Poisson
//! inputs at 20 Hz, all-to-all input weights, dt = 10 us, 1 s simulated. Throughput is reported in
//! neuron-steps (256 * 100 000 per iteration); criterion prints it as "elem/s".

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mixsig_circuits::{Feedback, NeuronParams, SynapseType};
use mixsig_engine::spec::{
    Connectivity, ModelKind, NetworkSpec, PopulationSpec, ProjectionSpec, RecordSpec, SourceKind,
    SourceSpec,
};
use mixsig_engine::Network;

/// The reference network with `n` neurons of `model`, input weight `w` (A).
pub fn reference_network(n: usize, model: ModelKind, w: f64) -> NetworkSpec {
    NetworkSpec {
        sources: vec![SourceSpec {
            name: "input".into(),
            size: 64,
            kind: SourceKind::Poisson { rate: 20.0 },
        }],
        populations: vec![PopulationSpec {
            name: "neurons".into(),
            size: n,
            model,
            params: NeuronParams::default(),
            per_neuron: None,
        }],
        projections: vec![ProjectionSpec {
            from: "input".into(),
            to: "neurons".into(),
            synapse: SynapseType::Ampa,
            connect: Connectivity::AllToAll,
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

fn bench(c: &mut Criterion) {
    let dt = 1e-5;
    let steps = 100_000u64;
    let mut g = c.benchmark_group("reference_256x64_1s");
    g.sample_size(10);
    g.throughput(Throughput::Elements(256 * steps));
    for (name, model, w) in [
        ("dynapsim", ModelKind::Dynapsim, 1e-9),
        ("physical", ModelKind::Physical(Feedback::Exponential), 1e-9),
    ] {
        let spec = reference_network(256, model, w);
        g.bench_function(name, |b| {
            b.iter_batched(
                || Network::build(&spec, dt, 1).expect("valid network"),
                |mut net| {
                    for _ in 0..steps {
                        net.step();
                    }
                    net.rec.counts[1]
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
