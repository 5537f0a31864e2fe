//! Recorders: spikes, sampled state variables and binned population rates. Observation is decoupled
//! from stepping, and memory grows only with what is recorded: spikes of the selected populations,
//! one row per `stride` steps per probe, one count per bin per population.

use crate::population::{Population, Var};

/// One recorded spike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpikeEvent {
    /// Step index (time = step * dt).
    pub step: u64,
    /// Index into [`Recorder::names`].
    pub group: u32,
    /// Neuron or channel index.
    pub neuron: u32,
}

/// A resolved state probe with its samples.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Population index.
    pub pop: usize,
    /// Variable.
    pub var: Var,
    /// Variable name as requested.
    pub var_name: String,
    /// Neurons recorded.
    pub neurons: Vec<u32>,
    /// Samples, row-major: `data[row * neurons.len() + j]`.
    pub data: Vec<f64>,
}

/// What the simulation recorded.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    /// Names of spike groups: sources first, then neuron populations, in network order.
    pub names: Vec<String>,
    /// Sizes of the groups.
    pub sizes: Vec<usize>,
    /// Which groups have their spikes kept.
    pub keep: Vec<bool>,
    /// Kept spikes in time order.
    pub spikes: Vec<SpikeEvent>,
    /// Spike count per group over the whole run (all groups, kept or not).
    pub counts: Vec<u64>,
    /// State probes.
    pub probes: Vec<Probe>,
    /// Probe stride in steps.
    pub stride: u32,
    /// Steps at which probe rows were taken.
    pub probe_steps: Vec<u64>,
    /// Rate bin width in steps (0 = off).
    pub rate_bin_steps: u64,
    /// Spike counts per bin per group: `rate_counts[group][bin]`.
    pub rate_counts: Vec<Vec<u32>>,
}

impl Recorder {
    /// Record the spikes of group `g` at step `k`.
    #[inline]
    pub fn spikes(&mut self, g: usize, k: u64, spikes: &[u32]) {
        if spikes.is_empty() {
            return;
        }
        self.counts[g] += spikes.len() as u64;
        if self.keep[g] {
            self.spikes.extend(spikes.iter().map(|&n| SpikeEvent {
                step: k,
                group: g as u32,
                neuron: n,
            }));
        }
        if let Some(bin) = k.checked_div(self.rate_bin_steps) {
            let bin = bin as usize;
            let v = &mut self.rate_counts[g];
            if v.len() <= bin {
                v.resize(bin + 1, 0);
            }
            v[bin] += spikes.len() as u32;
        }
    }

    /// Take probe samples at step `k` if it is on the stride.
    #[inline]
    pub fn sample(&mut self, k: u64, pops: &[Population]) {
        if self.probes.is_empty() || !k.is_multiple_of(self.stride as u64) {
            return;
        }
        self.probe_steps.push(k);
        for p in &mut self.probes {
            let pop = &pops[p.pop];
            p.data
                .extend(p.neurons.iter().map(|&i| pop.read(p.var, i as usize)));
        }
    }

    /// Mean rate of group `g` over `duration` seconds, Hz per neuron.
    pub fn mean_rate(&self, g: usize, duration: f64) -> f64 {
        if duration <= 0.0 || self.sizes[g] == 0 {
            return 0.0;
        }
        self.counts[g] as f64 / (self.sizes[g] as f64 * duration)
    }

    /// Index of a group by name.
    pub fn group(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}
