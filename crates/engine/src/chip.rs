//! Running a network on a sampled die ([`ChipBinding`]): per-neuron parameters from the instance,
//! weights through the profile's weight format with per-synapse mismatch, design-rule checks on
//! sites and fan-in, and the shot-noise source of each population.

use mixsig_chip::rng::name_id;
use mixsig_chip::{ChipInstance, ShotNoise, WeightCode, WeightFormat};
use mixsig_circuits::{NeuronParams, SynapseType};

use crate::network::BuildError;
use crate::projection::Table;
use crate::spec::{ChipBinding, NetworkSpec};

/// Per-population shot noise on the membrane input: one zero-mean Gaussian current per neuron and
/// step with variance `q*I/dt`, `I` the sum of the currents flowing into the membrane node (leak,
/// DC and synaptic outputs of the previous step), keyed by (die, run seed, core, neuron, step).
#[derive(Debug, Clone)]
pub struct PopNoise {
    /// The die's noise source.
    pub src: ShotNoise,
    /// Each neuron's [`ShotNoise::device_key`]: (core, neuron index within its core, the stream id
    /// of the membrane-input noise keyed with the run seed), computed once.
    pub device: Vec<u64>,
}

/// Stream id of the membrane-input noise.
pub fn noise_param() -> u64 {
    name_id("membrane_input")
}

impl PopNoise {
    /// The noise of the neurons at `sites` (core, neuron) for a run with `seed`: repeated runs on
    /// one die get independent noise, the same seed the same noise.
    pub fn new(src: ShotNoise, sites: &[(u32, u32)], seed: u64) -> PopNoise {
        let param = mixsig_chip::rng::key(seed, &[noise_param()]);
        PopNoise {
            src,
            device: sites
                .iter()
                .map(|&(core, n)| src.device_key(core, n as u64, param))
                .collect(),
        }
    }

    /// Noise current for neuron `i` at step `k`, given the summed input magnitude `i_total` (A).
    #[inline]
    pub fn current(&self, i: usize, i_total: f64, dt: f64, k: u64) -> f64 {
        self.src.apply_keyed(i_total, dt, self.device[i], k) - i_total
    }
}

/// Check the sites of a binding and return the die's parameters of every neuron, per population.
pub fn site_params(
    spec: &NetworkSpec,
    b: &ChipBinding,
) -> Result<Vec<Vec<NeuronParams>>, BuildError> {
    let arch = &b.instance.profile().architecture;
    if b.sites.len() != spec.populations.len() {
        return Err(drc(
            "chip placement",
            format!(
                "{} site lists for {} populations",
                b.sites.len(),
                spec.populations.len()
            ),
        ));
    }
    let mut used = std::collections::HashMap::new();
    let mut out = Vec::new();
    for (p, sites) in spec.populations.iter().zip(&b.sites) {
        let ctx = format!("population `{}`", p.name);
        if sites.len() != p.size {
            return Err(drc(
                ctx,
                format!("{} sites for {} neurons", sites.len(), p.size),
            ));
        }
        let mut params = Vec::with_capacity(p.size);
        for &(core, n) in sites {
            if core >= arch.cores || n >= arch.neurons_per_core {
                return Err(drc(
                    ctx,
                    format!(
                        "site (core {core}, neuron {n}) does not exist: the chip has {} cores x {} neurons",
                        arch.cores, arch.neurons_per_core
                    ),
                ));
            }
            if let Some(other) = used.insert((core, n), p.name.clone()) {
                return Err(drc(
                    ctx,
                    format!(
                        "site (core {core}, neuron {n}) is already used by population `{other}`"
                    ),
                ));
            }
            params.push(b.instance.neuron_params(core, n));
        }
        out.push(params);
    }
    Ok(out)
}

fn drc(context: impl Into<String>, message: String) -> BuildError {
    BuildError::Invalid {
        context: format!("design rule: {}", context.into()),
        message,
    }
}

/// Turn the requested weight currents of a projection's table into the die's: quantize to the
/// weight format over the post core's bases, then multiply by the synapse's mismatch factor. `slots`
/// counts the synapses already given to each post neuron (the CAM slot of the next one). Returns how
/// many non-zero requested weights the format turned into zero.
pub fn realize_weights(
    table: &mut Table,
    inst: &ChipInstance,
    post_sites: &[(u32, u32)],
    synapse: SynapseType,
    slots: &mut [u32],
) -> usize {
    let fmt = inst.profile().weights;
    let mut zeroed = 0;
    table.for_each_mut(|_pre, post, w| {
        let (core, n) = post_sites[post];
        let bases = &inst.core(core).weight_bases;
        let code = match fmt {
            WeightFormat::Dynapse1Type => WeightCode::Type(synapse),
            f => f.quantize(*w, bases),
        };
        let nominal = if *w > 0.0 {
            fmt.nominal_current(code, bases).unwrap_or(0.0)
        } else {
            0.0
        };
        if *w > 0.0 && nominal == 0.0 {
            zeroed += 1;
        }
        *w = nominal * inst.weight_factor(core, n, slots[post]);
        slots[post] += 1;
    });
    zeroed
}

/// The die's side of a plastic projection: its weights live in the learning circuits' storage, not
/// in the chip's static weight format, so they are not quantized here; each synapse only gets the
/// fixed mismatch gain of its output transistor. Takes CAM slots like [`realize_weights`] and returns
/// the gains in table order; the table keeps the requested (stored) weights, which the learner
/// multiplies by the gains when it is built.
pub fn realize_plastic(
    table: &mut Table,
    inst: &ChipInstance,
    post_sites: &[(u32, u32)],
    slots: &mut [u32],
) -> Vec<f64> {
    let mut gains = Vec::with_capacity(table.n_synapses());
    table.for_each_mut(|_pre, post, _w| {
        let (core, n) = post_sites[post];
        let g = inst.weight_factor(core, n, slots[post]);
        gains.push(g);
        slots[post] += 1;
    });
    gains
}

/// Fan-in check: no neuron may receive more synapses than the chip has slots.
pub fn check_fan_in(name: &str, slots: &[u32], limit: u32) -> Result<(), BuildError> {
    if let Some((i, &n)) = slots.iter().enumerate().find(|(_, &n)| n > limit) {
        return Err(drc(
            format!("population `{name}`"),
            format!(
                "neuron {i} receives {n} synapses but the chip has {limit} per neuron (fan-in too large)"
            ),
        ));
    }
    Ok(())
}
