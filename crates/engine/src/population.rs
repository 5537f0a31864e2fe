//! Neuron populations: structure-of-arrays state, per-neuron constants derived once, and the
//! population's step, dispatched once per population (never per neuron) on the model variant.

use mixsig_circuits::dynapsim::{dynapsim_step, DynapSimCoeffs, DynapSimState};
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

/// State and constants of a dynapsim population (one lumped synapse).
#[derive(Debug, Clone)]
pub struct DynapsimPop {
    /// Constants per neuron.
    pub c: Vec<DynapSimCoeffs>,
    /// Membrane current, A.
    pub imem: Vec<f64>,
    /// Membrane voltage readout, V.
    pub vmem: Vec<f64>,
    /// Lumped synaptic current, A.
    pub isyn: Vec<f64>,
    /// AHP current, A.
    pub iahp: Vec<f64>,
    /// Refractory timers, s.
    pub timer: Vec<f64>,
    /// 1.0 if spiked in the previous step.
    pub spiked: Vec<f64>,
    /// The constants when every neuron has the same (no mismatch): the loop then reads them once
    /// instead of per neuron. Set at construction from `c`.
    uniform: Option<DynapSimCoeffs>,
}

impl DynapsimPop {
    #[inline(always)]
    fn state(&self, i: usize) -> DynapSimState {
        DynapSimState {
            imem: self.imem[i],
            vmem: self.vmem[i],
            isyn: self.isyn[i],
            iahp: self.iahp[i],
            timer: self.timer[i],
            spiked: self.spiked[i],
        }
    }

    #[inline(always)]
    fn set_state(&mut self, i: usize, s: &DynapSimState) {
        self.imem[i] = s.imem;
        self.vmem[i] = s.vmem;
        self.isyn[i] = s.isyn;
        self.iahp[i] = s.iahp;
        self.timer[i] = s.timer;
        self.spiked[i] = s.spiked;
    }
}

/// One step of a noiseless dynapsim population: [`dynapsim_step`] on every neuron, consuming (and
/// zeroing) the input `ev`. The loop body is branch-free and the state is structure-of-arrays, so
/// the compiler vectorizes it; on x86-64 CPUs with AVX2 and FMA a copy compiled for them runs
/// (same operations in the same order: identical results).
fn dynapsim_pop_step(k: &mut DynapsimPop, ev: &mut [f64], i_dc: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports the features the function is compiled for.
            unsafe { dynapsim_loop_avx2(k, ev, i_dc) };
            return;
        }
    }
    dynapsim_loop(k, ev, i_dc)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dynapsim_loop_avx2(k: &mut DynapsimPop, ev: &mut [f64], i_dc: &[f64]) {
    dynapsim_loop(k, ev, i_dc)
}

#[inline(always)]
fn dynapsim_loop(k: &mut DynapsimPop, ev: &mut [f64], i_dc: &[f64]) {
    let n = k.imem.len();
    let (ev, i_dc) = (&mut ev[..n], &i_dc[..n]);
    let (imem, vmem, isyn) = (&mut k.imem[..n], &mut k.vmem[..n], &mut k.isyn[..n]);
    let (iahp, timer, spiked) = (&mut k.iahp[..n], &mut k.timer[..n], &mut k.spiked[..n]);
    match k.uniform {
        Some(c) => {
            for i in 0..n {
                let mut s = DynapSimState {
                    imem: imem[i],
                    vmem: vmem[i],
                    isyn: isyn[i],
                    iahp: iahp[i],
                    timer: timer[i],
                    spiked: spiked[i],
                };
                dynapsim_step(&c, &mut s, ev[i], i_dc[i]);
                ev[i] = 0.0;
                (imem[i], vmem[i], isyn[i]) = (s.imem, s.vmem, s.isyn);
                (iahp[i], timer[i], spiked[i]) = (s.iahp, s.timer, s.spiked);
            }
        }
        None => {
            let c = &k.c[..n];
            for i in 0..n {
                let mut s = DynapSimState {
                    imem: imem[i],
                    vmem: vmem[i],
                    isyn: isyn[i],
                    iahp: iahp[i],
                    timer: timer[i],
                    spiked: spiked[i],
                };
                dynapsim_step(&c[i], &mut s, ev[i], i_dc[i]);
                ev[i] = 0.0;
                (imem[i], vmem[i], isyn[i]) = (s.imem, s.vmem, s.isyn);
                (iahp[i], timer[i], spiked[i]) = (s.iahp, s.timer, s.spiked);
            }
        }
    }
}

/// The model-specific part of a population.
#[derive(Debug, Clone)]
pub enum Kernel {
    /// Physical AdExp DPI neurons.
    Physical(Box<PhysicalPop>),
    /// DynapSim neurons.
    Dynapsim(Box<DynapsimPop>),
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
            ModelKind::Dynapsim => Kernel::Dynapsim(Box::new(DynapsimPop {
                uniform: {
                    let c0 = params.first().map(|p| DynapSimCoeffs::new(p, dt));
                    c0.filter(|c0| params.iter().all(|p| DynapSimCoeffs::new(p, dt) == *c0))
                },
                c: params.iter().map(|p| DynapSimCoeffs::new(p, dt)).collect(),
                imem: i0.clone(),
                vmem: vec![0.0; n],
                isyn: i0.clone(),
                iahp: i0.clone(),
                timer: vec![0.0; n],
                spiked: vec![0.0; n],
            })),
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
            Kernel::Dynapsim(k) => {
                let k = &mut **k;
                let ev = &mut self.events[0];
                match &self.noise {
                    None => dynapsim_pop_step(k, ev, &self.i_dc),
                    Some(nz) =>
                    {
                        #[allow(clippy::needless_range_loop)]
                        for i in 0..self.n {
                            let mut s = k.state(i);
                            let i_ws = std::mem::take(&mut ev[i]);
                            let total = k.c[i].i_tau_mem + s.isyn + s.iahp + self.i_dc[i].abs();
                            let i_dc = self.i_dc[i] + nz.current(i, total, dt, step);
                            dynapsim_step(&k.c[i], &mut s, i_ws, i_dc);
                            k.set_state(i, &s);
                        }
                    }
                }
                // Spike indices, from the flags the branch-free loop wrote.
                for (i, &f) in k.spiked.iter().enumerate() {
                    if f != 0.0 {
                        self.spikes.push(i as u32);
                    }
                }
            }
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
            (Kernel::Dynapsim(k), Var::Imem) => k.imem[i],
            (Kernel::Dynapsim(k), Var::Vmem) => k.vmem[i],
            (Kernel::Dynapsim(k), Var::Iahp) => k.iahp[i],
            (Kernel::Dynapsim(k), Var::Isyn(_)) => k.isyn[i],
            (Kernel::Dynapsim(k), Var::Timer) => k.timer[i],
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
