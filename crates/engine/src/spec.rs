//! The network description as plain data: what the engine builds from. File formats live in
//! `mixsig-lab`; this is the builder API they convert into.
//!
//! All quantities are SI. Weights are currents (A): the amplitude `I_w` of the pulse each input event
//! injects into the target's synapse DPI.

use std::sync::Arc;

use mixsig_chip::ChipInstance;
use mixsig_circuits::{Feedback, NeuronParams, SynapseType};

/// Which neuron model a population runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// The physical AdExp DPI neuron with four synapse types.
    Physical(Feedback),
    /// Rockpool DynapSim 3.1, reproduced step for step (one lumped excitatory synapse).
    Dynapsim,
}

impl ModelKind {
    /// Short name (`physical`, `physical-sigmoid`, `dynapsim`).
    pub fn name(&self) -> &'static str {
        match self {
            ModelKind::Physical(Feedback::Exponential) => "physical",
            ModelKind::Physical(Feedback::Sigmoid) => "physical-sigmoid",
            ModelKind::Dynapsim => "dynapsim",
        }
    }
}

/// A population of neurons.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationSpec {
    /// Unique name.
    pub name: String,
    /// Number of neurons (> 0).
    pub size: usize,
    /// Model variant.
    pub model: ModelKind,
    /// Nominal parameters of every neuron.
    pub params: NeuronParams,
    /// Per-neuron parameters (for example sampled with mismatch); overrides `params` when given,
    /// and must then have `size` entries.
    pub per_neuron: Option<Vec<NeuronParams>>,
}

impl PopulationSpec {
    /// A homogeneous population with default parameters.
    pub fn new(name: &str, size: usize, model: ModelKind) -> Self {
        PopulationSpec {
            name: name.to_string(),
            size,
            model,
            params: NeuronParams::default(),
            per_neuron: None,
        }
    }
}

/// How a spike source fires.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    /// Regular spikes at `rate` Hz, the first at `phase` s.
    Regular {
        /// Rate, Hz (> 0).
        rate: f64,
        /// Time of the first spike, s (>= 0).
        phase: f64,
    },
    /// Independent Poisson trains at `rate` Hz, each neuron with its own identity-keyed stream.
    Poisson {
        /// Rate, Hz (>= 0).
        rate: f64,
    },
    /// Explicit spike times per source neuron, s (need not be sorted).
    List {
        /// `times[i]` are the spike times of source neuron `i`.
        times: Vec<Vec<f64>>,
    },
}

/// A population of spike sources (input channels).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSpec {
    /// Unique name (shared namespace with neuron populations).
    pub name: String,
    /// Number of channels.
    pub size: usize,
    /// Firing pattern.
    pub kind: SourceKind,
}

/// Which pre neurons connect to which post neurons.
#[derive(Debug, Clone, PartialEq)]
pub enum Connectivity {
    /// Every pre to every post.
    AllToAll,
    /// Pre `i` to post `i` (sizes must match).
    OneToOne,
    /// Each pair independently with probability `p` (identity-keyed stream).
    Random {
        /// Connection probability in [0, 1].
        p: f64,
    },
    /// Explicit `(pre, post, weight A)` triples; the projection's `weight` is ignored.
    Explicit(Vec<(u32, u32, f64)>),
    /// Dense matrix `w[pre][post]` in A, row-major (`n_pre * n_post` entries).
    Dense(Vec<f64>),
}

/// A projection from a source or neuron population onto a neuron population.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionSpec {
    /// Pre population (source or neurons).
    pub from: String,
    /// Post population (neurons).
    pub to: String,
    /// Synapse type on the post neurons.
    pub synapse: SynapseType,
    /// Connectivity.
    pub connect: Connectivity,
    /// Weight of every synapse (pulse amplitude `I_w`, A) unless the connectivity gives its own.
    pub weight: f64,
    /// Axonal delay, s (>= 0); rounded to whole steps. Spikes of neurons reach their targets one step
    /// after the step they were emitted in, plus the delay.
    pub delay: f64,
}

/// A piecewise-constant DC injection schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct DcSpec {
    /// Target population.
    pub population: String,
    /// Target neurons (all when `None`).
    pub neurons: Option<Vec<u32>>,
    /// `(t_start s, current A)` pairs; the current holds from `t_start` until the next entry.
    pub steps: Vec<(f64, f64)>,
}

/// A recorded state variable.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSpec {
    /// Population.
    pub population: String,
    /// Variable name (`imem`, `vmem`, `iahp`, `iampa`, `inmda`, `igaba`, `ishunt`; `isyn` for dynapsim).
    pub var: String,
    /// Neurons to record (all when `None`).
    pub neurons: Option<Vec<u32>>,
}

/// What to record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordSpec {
    /// Populations (neurons or sources) whose spikes are kept; `None` = all.
    pub spikes: Option<Vec<String>>,
    /// State probes.
    pub probes: Vec<ProbeSpec>,
    /// Probes record every `stride` steps (>= 1; 0 is taken as 1).
    pub stride: u32,
    /// Bin width for population rates, s (`None` = no rate recording).
    pub rate_bin: Option<f64>,
}

/// A whole network.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkSpec {
    /// Neuron populations.
    pub populations: Vec<PopulationSpec>,
    /// Spike sources.
    pub sources: Vec<SourceSpec>,
    /// Projections.
    pub projections: Vec<ProjectionSpec>,
    /// DC schedules.
    pub dc: Vec<DcSpec>,
    /// Recording.
    pub record: RecordSpec,
    /// The chip the network runs on (`None`: ideal circuits with the populations' own parameters).
    pub chip: Option<ChipBinding>,
    /// Plastic projections and their learning circuits.
    pub learning: Vec<crate::plasticity::LearningSpec>,
}

impl NetworkSpec {
    /// The size of the source or population called `name` (sources first), if there is one.
    pub fn node_size(&self, name: &str) -> Option<usize> {
        self.sources
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.size)
            .or_else(|| {
                self.populations
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.size)
            })
    }
}

/// A network placed on a sampled die: every neuron sits at a (core, neuron) site of `instance`.
///
/// With a binding, a neuron's parameters are the die's (bias generator and mismatch included; the
/// population's `params` are ignored), every synapse's weight current goes through the profile's
/// weight format with its own mismatch factor, fan-in is checked against the synapses per neuron,
/// and shot noise is added to the membrane input when the profile enables it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChipBinding {
    /// The die.
    pub instance: Arc<ChipInstance>,
    /// `sites[p][i]`: (core, neuron) of neuron `i` of population `p` (in `populations` order).
    pub sites: Vec<Vec<(u32, u32)>>,
}
