//! The dynapsim population loop alone (no network: no sources, routing or recording), 1024
//! neurons, in `f64` and `f32` state, on every instruction set this CPU has (generic, AVX2+FMA,
//! AVX-512). Throughput in neuron-steps ("elem/s"). Input: one neuron (a different one each step)
//! gets a weight current, DC 2 nA on all (they fire at a few tens of Hz).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mixsig_circuits::NeuronParams;
use mixsig_engine::population::{DynapsimPop, DynapsimPopF32, Simd};

const N: usize = 1024;

fn bench(c: &mut Criterion) {
    let params = vec![NeuronParams::default(); N];
    let i_dc = vec![2e-9; N];
    let mut g = c.benchmark_group("dynapsim_loop_1024");
    g.throughput(Throughput::Elements(N as u64));
    for simd in Simd::available() {
        let mut ev = vec![0.0; N];
        let mut k = 0usize;
        let mut pop = DynapsimPop::new(&params, 1e-5);
        let mut pop32 = DynapsimPopF32::from_f64(&pop);
        g.bench_function(format!("f64/{simd:?}"), |b| {
            b.iter(|| {
                k += 1;
                ev[(k * 37) % N] = 1e-9;
                pop.step_all_with(simd, &mut ev, &i_dc)
            })
        });
        g.bench_function(format!("f32/{simd:?}"), |b| {
            b.iter(|| {
                k += 1;
                ev[(k * 37) % N] = 1e-9;
                pop32.step_all_with(simd, &mut ev, &i_dc)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
