//! Neuron populations: structure-of-arrays state, per-neuron constants derived once, and the
//! population's step, dispatched once per population (never per neuron) on the model variant.

mod dynapsim;

pub use dynapsim::{DynapsimPop, DynapsimPopF32, Simd};
use mixsig_circuits::neuron::{
    physical_step, MembraneCoeffs, NeuronState, StepDrive, SynapseCoeffs,
};
use mixsig_circuits::synapse::PulseBook;
use mixsig_circuits::{Feedback, NeuronParams};

use crate::spec::ModelKind;

/// State and constants of a physical population.
#[derive(Debug, Clone)]
pub struct PhysicalPop {
    /// Feedback form.
    pub feedback: Feedback,
    /// Membrane constants per neuron.
    pub mem: Vec<MembraneCoeffs>,
    /// Synapse and AHP constants per neuron.
    pub syn: Vec<SynapseCoeffs>,
    /// AHP self-pulse amplitude per neuron, A.
    pub i_w_ahp: Vec<f64>,
    /// Membrane current, A.
    pub i_mem: Vec<f64>,
    /// AHP current, A.
    pub i_ahp: Vec<f64>,
    /// Synaptic currents per type, A.
    pub i_syn: [Vec<f64>; 4],
    /// Refractory timers, s.
    pub timer: Vec<f64>,
    /// Spiked in the previous step.
    pub spiked: Vec<bool>,
    long_syn: [Option<PulseBook>; 4],
    long_ahp: Option<PulseBook>,
}

/// The model-specific part of a population.
#[derive(Debug, Clone)]
pub enum Kernel {
    /// Physical AdExp DPI neurons.
    Physical(Box<PhysicalPop>),
    /// DynapSim neurons.
    Dynapsim(Box<DynapsimPop>),
    /// DynapSim neurons with `f32` state (see [`Population::use_f32_state`]).
    DynapsimF32(Box<DynapsimPopF32>),
}

/// The dynapsim step of a population (either precision): the vectorized loop, or per neuron with
/// shot noise; then the spike list from the flags the branch-free loop wrote.
macro_rules! dynapsim_kernel_step {
    ($k:expr, $ev:expr, $i_dc:expr, $noise:expr, $spikes:expr, $dt:expr, $step:expr) => {{
        let k = &mut **$k;
        let ev: &mut [f64] = &mut $ev;
        let spiked = match $noise {
            None => k.step_all(ev, &$i_dc),
            Some(nz) => {
                #[allow(clippy::needless_range_loop)]
                for i in 0..ev.len() {
                    let i_ws = std::mem::take(&mut ev[i]);
                    let i_dc = $i_dc[i];
                    let total = k.noise_total(i, i_dc);
                    k.step_one(i, i_ws, i_dc + nz.current(i, total, $dt, $step));
                }
                usize::MAX // not counted: scan the flags
            }
        };
        // Most steps have no spike at all (the loop counted them): no scan of the flags then.
        if spiked > 0 {
            k.push_spikes(&mut $spikes);
        }
    }};
}

/// A built population.
#[derive(Debug, Clone)]
pub struct Population {
    /// Name.
    pub name: String,
    /// Number of neurons.
    pub n: usize,
    /// Model variant.
    pub model: ModelKind,
    /// Parameters of each neuron (as built; mismatch included).
    pub params: Vec<NeuronParams>,
    /// DC injection per neuron, A (changed by schedules).
    pub i_dc: Vec<f64>,
    /// Summed amplitude of pulses starting this step, per synapse type, A. Filled by spike delivery,
    /// consumed (and zeroed) by the step.
    pub events: [Vec<f64>; 4],
    /// Indices of neurons that spiked in the last step.
    pub spikes: Vec<u32>,
    /// The state and constants.
    pub kernel: Kernel,
    /// Shot noise on the membrane input (only on a chip whose profile enables it).
    pub noise: Option<crate::chip::PopNoise>,
}

impl Population {
    /// Build a population at rest from per-neuron parameters.
    pub fn new(name: &str, model: ModelKind, params: Vec<NeuronParams>, dt: f64) -> Population {
        let n = params.len();
        let i0: Vec<f64> = params.iter().map(|p| p.i_0).collect();
        let kernel = match model {
            ModelKind::Physical(feedback) => {
                let syn: Vec<SynapseCoeffs> =
                    params.iter().map(|p| SynapseCoeffs::new(p, dt)).collect();
                let long_syn = [0, 1, 2, 3].map(|t| PulseBook::new(syn.iter().map(|s| s.syn[t])));
                let long_ahp = PulseBook::new(syn.iter().map(|s| s.ahp));
                Kernel::Physical(Box::new(PhysicalPop {
                    feedback,
                    mem: params.iter().map(MembraneCoeffs::new).collect(),
                    i_w_ahp: params.iter().map(|p| p.i_w_ahp).collect(),
                    syn,
                    i_mem: i0.clone(),
                    i_ahp: i0.clone(),
                    i_syn: [i0.clone(), i0.clone(), i0.clone(), i0.clone()],
                    timer: vec![0.0; n],
                    spiked: vec![false; n],
                    long_syn,
                    long_ahp,
                }))
            }
            ModelKind::Dynapsim => Kernel::Dynapsim(Box::new(DynapsimPop::new(&params, dt))),
        };
        Population {
            name: name.to_string(),
            n,
            model,
            i_dc: params.iter().map(|p| p.i_dc).collect(),
            params,
            events: [vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]],
            spikes: Vec::new(),
            kernel,
            noise: None,
        }
    }

    /// Integrate step `k`: synapses, AHP, membrane, threshold. Fills `spikes`, zeroes `events`.
    pub fn step(&mut self, dt: f64, step: u64) {
        self.spikes.clear();
        match &mut self.kernel {
            Kernel::Physical(k) => {
                let k = &mut **k;
                for i in 0..self.n {
                    let mut d = StepDrive {
                        i_dc: self.i_dc[i],
                        ..Default::default()
                    };
                    for t in 0..4 {
                        let ev = std::mem::take(&mut self.events[t][i]);
                        let (full, part) = match &mut k.long_syn[t] {
                            Some(b) => b.take(i, ev),
                            None => (0.0, ev),
                        };
                        d.syn_full[t] = full;
                        d.syn_partial[t] = part;
                    }
                    let ahp_ev = if k.spiked[i] { k.i_w_ahp[i] } else { 0.0 };
                    (d.ahp_full, d.ahp_partial) = match &mut k.long_ahp {
                        Some(b) => b.take(i, ahp_ev),
                        None => (0.0, ahp_ev),
                    };
                    let mut s = NeuronState {
                        i_mem: k.i_mem[i],
                        i_ahp: k.i_ahp[i],
                        i_syn: [k.i_syn[0][i], k.i_syn[1][i], k.i_syn[2][i], k.i_syn[3][i]],
                        timer: k.timer[i],
                        spiked: k.spiked[i],
                    };
                    if let Some(nz) = &self.noise {
                        let total =
                            k.mem[i].i_tau + s.i_syn.iter().sum::<f64>() + d.i_dc.abs() + s.i_ahp;
                        d.i_noise = nz.current(i, total, dt, step);
                    }
                    let spike = physical_step(&k.mem[i], &k.syn[i], k.feedback, &mut s, &d, dt);
                    k.i_mem[i] = s.i_mem;
                    k.i_ahp[i] = s.i_ahp;
                    for t in 0..4 {
                        k.i_syn[t][i] = s.i_syn[t];
                    }
                    k.timer[i] = s.timer;
                    k.spiked[i] = spike;
                    if spike {
                        self.spikes.push(i as u32);
                    }
                }
                for b in k.long_syn.iter_mut().flatten() {
                    b.advance();
                }
                if let Some(b) = &mut k.long_ahp {
                    b.advance();
                }
            }
            Kernel::Dynapsim(k) => dynapsim_kernel_step!(
                k,
                self.events[0],
                self.i_dc,
                &self.noise,
                self.spikes,
                dt,
                step
            ),
            Kernel::DynapsimF32(k) => dynapsim_kernel_step!(
                k,
                self.events[0],
                self.i_dc,
                &self.noise,
                self.spikes,
                dt,
                step
            ),
        }
    }

    /// Switch a `dynapsim` population to `f32` state (DynapSim's own precision; about twice the
    /// throughput on SIMD hardware), rounding its constants and current state once. Returns
    /// `false` (and does nothing) for other models or when already in `f32`. The `f32` step passes
    /// the same validation against Rockpool as the `f64` one (tests/validation_dynapsim.rs).
    pub fn use_f32_state(&mut self) -> bool {
        match &self.kernel {
            Kernel::Dynapsim(k) => {
                self.kernel = Kernel::DynapsimF32(Box::new(DynapsimPopF32::from_f64(k)));
                true
            }
            _ => false,
        }
    }

    /// State variable names this population can record.
    pub fn var_names(&self) -> &'static [&'static str] {
        var_names_of(self.model)
    }

    /// Read variable `var` of neuron `i` (`None` for an unknown variable).
    pub fn read(&self, var: Var, i: usize) -> f64 {
        match (&self.kernel, var) {
            (Kernel::Physical(k), Var::Imem) => k.i_mem[i],
            (Kernel::Physical(k), Var::Vmem) => {
                let p = &self.params[i];
                (p.u_t / p.kappa()) * (k.i_mem[i] / p.i_0).ln()
            }
            (Kernel::Physical(k), Var::Iahp) => k.i_ahp[i],
            (Kernel::Physical(k), Var::Isyn(t)) => k.i_syn[t as usize][i],
            (Kernel::Physical(k), Var::Timer) => k.timer[i],
            (Kernel::Dynapsim(k), v) => k.read(v, i),
            (Kernel::DynapsimF32(k), v) => k.read(v, i),
        }
    }

    /// Resolve a variable name for this population.
    pub fn var(&self, name: &str) -> Option<Var> {
        if !self.var_names().contains(&name) {
            return None;
        }
        Some(match name {
            "imem" => Var::Imem,
            "vmem" => Var::Vmem,
            "iahp" => Var::Iahp,
            "timer" => Var::Timer,
            "iampa" | "isyn" => Var::Isyn(0),
            "inmda" => Var::Isyn(1),
            "igaba" => Var::Isyn(2),
            "ishunt" => Var::Isyn(3),
            _ => return None,
        })
    }
}

/// State variable names a population of `model` can record.
pub fn var_names_of(model: ModelKind) -> &'static [&'static str] {
    match model {
        ModelKind::Physical(_) => &[
            "imem", "vmem", "iahp", "iampa", "inmda", "igaba", "ishunt", "timer",
        ],
        ModelKind::Dynapsim => &["imem", "vmem", "isyn", "iahp", "timer"],
    }
}

/// A recordable state variable, resolved once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// Membrane current.
    Imem,
    /// Membrane voltage readout.
    Vmem,
    /// AHP current.
    Iahp,
    /// Synaptic current of a type (index into `SynapseType::ALL`; dynapsim: the lumped one).
    Isyn(u8),
    /// Refractory timer.
    Timer,
}

impl Var {
    /// Unit symbol of the variable.
    pub fn unit(self) -> &'static str {
        match self {
            Var::Vmem => "V",
            Var::Timer => "s",
            _ => "A",
        }
    }
}
