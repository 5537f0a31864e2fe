//! A network bound to a sampled die: parameters from the die, weights through the weight format,
//! design rules, shot noise.

use std::sync::Arc;

use mixsig_chip::{ChipInstance, ChipProfile};
use mixsig_circuits::{Feedback, SynapseType};
use mixsig_engine::spec::*;
use mixsig_engine::Network;

fn net(n: usize, fan_in: usize, w: f64) -> NetworkSpec {
    NetworkSpec {
        sources: vec![SourceSpec {
            name: "in".into(),
            size: fan_in,
            kind: SourceKind::Poisson { rate: 50.0 },
        }],
        populations: vec![PopulationSpec::new(
            "p",
            n,
            ModelKind::Physical(Feedback::Exponential),
        )],
        projections: vec![ProjectionSpec {
            from: "in".into(),
            to: "p".into(),
            synapse: SynapseType::Ampa,
            connect: Connectivity::AllToAll,
            weight: w,
            delay: 0.0,
        }],
        dc: vec![DcSpec {
            population: "p".into(),
            neurons: None,
            steps: vec![(0.0, 2e-10)],
        }],
        record: RecordSpec {
            stride: 1,
            ..Default::default()
        },
        chip: None,
        learning: Vec::new(),
    }
}

fn bind(spec: &mut NetworkSpec, profile: &str, seed: u64) {
    let prof = ChipProfile::builtin(profile).unwrap();
    let inst = ChipInstance::sample(&prof, seed);
    let sites = spec
        .populations
        .iter()
        .scan(0u32, |next, p| {
            let v: Vec<(u32, u32)> = (0..p.size as u32).map(|i| (0, *next + i)).collect();
            *next += p.size as u32;
            Some(v)
        })
        .collect();
    spec.chip = Some(ChipBinding {
        instance: Arc::new(inst),
        sites,
    });
}

/// DC-driven neurons only (no Poisson input): the run seed reaches the spikes only through noise.
fn spec_noisy(prof: &ChipProfile, die: u64) -> NetworkSpec {
    let mut spec = net(8, 8, 5e-10);
    spec.sources.clear();
    spec.projections.clear();
    spec.chip = Some(ChipBinding {
        instance: Arc::new(ChipInstance::sample(prof, die)),
        sites: vec![(0..8u32).map(|i| (0, i)).collect()],
    });
    spec
}

fn spikes(spec: &NetworkSpec, seconds: f64) -> Vec<(u64, u32, u32)> {
    let mut n = Network::build(spec, 1e-5, 3).unwrap();
    n.run(seconds);
    n.rec
        .spikes
        .iter()
        .map(|e| (e.step, e.group, e.neuron))
        .collect()
}

#[test]
fn ideal_die_takes_the_profile_parameters_and_keeps_weights() {
    let mut spec = net(4, 8, 5e-10);
    bind(&mut spec, "ideal", 1);
    let inst = spec.chip.as_ref().unwrap().instance.clone();
    let n = Network::build(&spec, 1e-5, 3).unwrap();
    // No mismatch on ideal: every neuron has the core's nominal parameters.
    for p in &n.pops[0].params {
        assert_eq!(*p, inst.core(0).nominal);
    }
    // Analog weights below i_max pass unchanged (mismatch factor 1).
    let mut w = vec![];
    let mut t = n.projections[0].table.clone();
    t.for_each_mut(|_, _, x| w.push(*x));
    assert!(w.iter().all(|&x| (x - 5e-10).abs() < 1e-22), "{w:?}");
}

#[test]
fn dynapse2_die_has_mismatched_neurons_and_quantized_weights() {
    let mut spec = net(16, 8, 15e-9);
    bind(&mut spec, "dynapse2", 7);
    let inst = spec.chip.as_ref().unwrap().instance.clone();
    let n = Network::build(&spec, 1e-5, 3).unwrap();
    let taus: Vec<f64> = n.pops[0].params.iter().map(|p| p.i_tau_mem).collect();
    let distinct = taus.iter().filter(|&&x| x != taus[0]).count();
    assert!(
        distinct >= 14,
        "mismatch should make neurons differ: {taus:?}"
    );
    // 15 nA on bases 10/20/40/80 nA (after the generator) rounds to the nearest mask sum; each synapse
    // then carries its own factor around it.
    let bases = inst.core(0).weight_bases;
    let sums: Vec<f64> = (0..16u32)
        .map(|m| (0..4).filter(|k| m >> k & 1 == 1).map(|k| bases[k]).sum())
        .collect();
    let target = sums
        .iter()
        .cloned()
        .min_by(|a, b| (a - 15e-9).abs().total_cmp(&(b - 15e-9).abs()))
        .unwrap();
    let mut t = n.projections[0].table.clone();
    let mut ratios = vec![];
    t.for_each_mut(|_, _, x| ratios.push(*x / target));
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    assert!((mean - 1.0).abs() < 0.1, "mean factor {mean}");
    assert!(
        ratios.iter().any(|r| (r - 1.0).abs() > 0.01),
        "weights carry mismatch"
    );
}

#[test]
fn dies_differ_and_the_same_die_repeats() {
    let mut a = net(8, 8, 5e-10);
    bind(&mut a, "dynapse2", 1);
    let mut b = net(8, 8, 5e-10);
    bind(&mut b, "dynapse2", 2);
    let sa = spikes(&a, 0.3);
    assert!(!sa.is_empty());
    assert_eq!(sa, spikes(&a, 0.3), "same die, same seed: same spikes");
    assert_ne!(sa, spikes(&b, 0.3), "another die fires differently");
}

#[test]
fn shot_noise_changes_spike_times_only_when_enabled() {
    // dynapse2 has shot noise; the same die without noise (a profile copy with shot = false) must differ.
    let prof = ChipProfile::builtin("dynapse2").unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../chip-profiles/dynapse2.toml"
    ))
    .unwrap()
    .replace("shot = true", "shot = false");
    let quiet = ChipProfile::from_toml_str(&text, "dynapse2-quiet").unwrap();
    let mut spec = net(8, 8, 5e-10);
    let sites = vec![(0..8u32).map(|i| (0, i)).collect::<Vec<_>>()];
    spec.chip = Some(ChipBinding {
        instance: Arc::new(ChipInstance::sample(&prof, 5)),
        sites: sites.clone(),
    });
    let noisy = spikes(&spec, 0.3);
    spec.chip = Some(ChipBinding {
        instance: Arc::new(ChipInstance::sample(&quiet, 5)),
        sites,
    });
    let clean = spikes(&spec, 0.3);
    assert!(!noisy.is_empty() && !clean.is_empty());
    assert_ne!(noisy, clean);
    // Noise follows the run seed: another seed on the same die gives other spike times.
    let mut other = Network::build(&spec_noisy(&prof, 5), 1e-5, 4).unwrap();
    other.run(0.3);
    let other: Vec<(u64, u32, u32)> = other
        .rec
        .spikes
        .iter()
        .map(|e| (e.step, e.group, e.neuron))
        .collect();
    assert_ne!(other, noisy, "the run seed keys the noise");
    // Noise is a small perturbation at these currents: counts stay within 20%.
    let (a, b) = (noisy.len() as f64, clean.len() as f64);
    assert!((a - b).abs() / b < 0.2, "{a} vs {b}");
}

#[test]
fn design_rules_reject_bad_placements() {
    // Fan-in: 65 inputs onto a 64-slot neuron.
    let mut spec = net(2, 65, 5e-10);
    bind(&mut spec, "dynapse2", 1);
    let e = Network::build(&spec, 1e-5, 3).unwrap_err().to_string();
    assert!(e.contains("65 synapses") && e.contains("64"), "{e}");
    // Two neurons on one site.
    let mut spec = net(2, 4, 5e-10);
    bind(&mut spec, "dynapse2", 1);
    spec.chip.as_mut().unwrap().sites[0][1] = (0, 0);
    let e = Network::build(&spec, 1e-5, 3).unwrap_err().to_string();
    assert!(e.contains("already used"), "{e}");
    // A core the chip does not have.
    spec.chip.as_mut().unwrap().sites[0][1] = (9, 0);
    let e = Network::build(&spec, 1e-5, 3).unwrap_err().to_string();
    assert!(e.contains("core 9") && e.contains("does not exist"), "{e}");
}
