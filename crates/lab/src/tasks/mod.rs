//! Tasks for `mixsig train`: labeled spike patterns split into train and test presentations.
//!
//! Two sources, both producing a [`TaskSet`] of plain data that the training loop consumes:
//!
//! - [`generate`]: the built-in two-class pattern families ([`Pattern`]: `order`, `sync`,
//!   `frozen-poisson`, `xor`). In every generated presentation each channel carries the same number
//!   of spikes whatever the class, so only spike *timing* separates the classes and a readout of
//!   spike counts (mean rates) is at chance. [`check_equal_counts`] checks that property.
//! - [`load_dir`]: user data, one `t_s,channel` CSV per presentation plus a `labels.csv`
//!   (`file,label,split`), any number of classes and channels (e.g. recorded event-sensor data).
//!
//! Randomness is identity-keyed (`mixsig_chip::rng`): every draw is a function of
//! (seed, split, presentation index, ...), so a presentation does not depend on how many others are
//! generated, and train and test presentations use independent jitter.
//!
//! The formats and patterns are documented for users in `docs/tasks.md`.

mod data;
mod patterns;

use std::fmt;
use std::str::FromStr;

pub use data::{load_dir, load_dir_with, ANSWER_FRACTION, LABELS_FILE};
pub use patterns::generate;

use crate::located::FileError;

/// One presentation: spike times per input channel (s, relative to the presentation start, sorted
/// ascending within each channel), and its class index.
#[derive(Debug, Clone, PartialEq)]
pub struct Presentation {
    /// Spike times per input channel (s); `channels.len()` is the task's `n_channels`.
    pub channels: Vec<Vec<f64>>,
    /// Class index in `0..n_classes`.
    pub label: usize,
}

impl Presentation {
    /// Number of spikes in each channel.
    pub fn counts(&self) -> Vec<usize> {
        self.channels.iter().map(Vec::len).collect()
    }
}

/// A task: everything training needs.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSet {
    /// Pattern name (`order`, ...) or, for user data, `data:DIR`.
    pub name: String,
    /// Number of input channels (every presentation has this many channel vectors).
    pub n_channels: usize,
    /// Number of classes.
    pub n_classes: usize,
    /// Class names, indexed by label.
    pub class_names: Vec<String>,
    /// Presentation duration (s): every spike time is in `[0, duration)`.
    pub duration: f64,
    /// Training presentations.
    pub train: Vec<Presentation>,
    /// Test presentations (never the training ones).
    pub test: Vec<Presentation>,
    /// What loading it found worth a warning (a presentation much longer than the others, ...).
    pub notes: Vec<String>,
}

/// A built-in pattern family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// Channels fire short bursts in sequence, up (class 0) or down (class 1).
    Order,
    /// All channels fire together (class 0) or at independent times (class 1).
    Sync,
    /// Two frozen Poisson patterns with equal per-channel counts (tempotron-style).
    FrozenPoisson,
    /// Temporal XOR: two channel groups each fire up or down; same direction (0) vs opposite (1).
    Xor,
}

impl Pattern {
    /// All patterns, in documentation order.
    pub const ALL: [Pattern; 4] = [
        Pattern::Order,
        Pattern::Sync,
        Pattern::FrozenPoisson,
        Pattern::Xor,
    ];

    /// The name used on the command line and in `TaskSet::name`.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Order => "order",
            Pattern::Sync => "sync",
            Pattern::FrozenPoisson => "frozen-poisson",
            Pattern::Xor => "xor",
        }
    }

    /// Class names, indexed by label.
    pub fn class_names(self) -> [&'static str; 2] {
        match self {
            Pattern::Order => ["up", "down"],
            Pattern::Sync => ["sync", "async"],
            Pattern::FrozenPoisson => ["A", "B"],
            Pattern::Xor => ["same", "opposite"],
        }
    }

    /// The valid names, comma-separated (for error messages and help).
    pub fn valid_names() -> String {
        Pattern::ALL.map(Pattern::name).join(", ")
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Pattern {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Pattern::ALL
            .into_iter()
            .find(|p| p.name() == t || (t == "frozen_poisson" && *p == Pattern::FrozenPoisson))
            .ok_or_else(|| {
                format!(
                    "unknown pattern `{s}`; valid names: {}",
                    Pattern::valid_names()
                )
            })
    }
}

/// Parameters of the built-in patterns (SI units).
#[derive(Debug, Clone, PartialEq)]
pub struct PatternConfig {
    /// Number of input channels (>= 2). Default 16.
    pub n_channels: usize,
    /// Presentation duration (s). Default 0.2 s.
    pub duration: f64,
    /// Standard deviation of the Gaussian jitter added to every spike of every presentation (s).
    /// Default 2 ms.
    pub jitter: f64,
    /// Spikes per channel: the burst length for `order`, `sync` and `xor`, the mean count of the
    /// frozen Poisson patterns. Default 3.
    pub spikes_per_channel: usize,
    /// Interval between the spikes of one burst (s). Default 2 ms.
    pub burst_isi: f64,
    /// Per spike and presentation, the probability of deleting the spike AND adding one at a
    /// uniform random time in the same channel (counts are kept). Default 0.
    pub extra_delete_prob: f64,
}

impl Default for PatternConfig {
    fn default() -> Self {
        PatternConfig {
            n_channels: 16,
            duration: 0.2,
            jitter: 2e-3,
            spikes_per_channel: 3,
            burst_isi: 2e-3,
            extra_delete_prob: 0.0,
        }
    }
}

/// An error building a task.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaskError {
    /// An error in a user file (labels.csv or a spike list), located by file, line and key.
    #[error(transparent)]
    File(#[from] FileError),
    /// Invalid generator parameters.
    #[error("pattern `{pattern}`: {message}")]
    Config {
        /// Pattern name.
        pattern: String,
        /// What is wrong.
        message: String,
    },
}

/// Check that every presentation has the same per-channel spike counts as the first one (so counts
/// are identical across classes). The error names the first differing presentation and channel.
pub fn check_equal_counts(p: &[Presentation]) -> Result<(), String> {
    let Some(first) = p.first() else {
        return Ok(());
    };
    let reference = first.counts();
    for (i, q) in p.iter().enumerate().skip(1) {
        let c = q.counts();
        if c.len() != reference.len() {
            return Err(format!(
                "presentation {i} (class {}) has {} channels, presentation 0 (class {}) has {}",
                q.label,
                c.len(),
                first.label,
                reference.len()
            ));
        }
        if let Some(ch) = (0..c.len()).find(|&ch| c[ch] != reference[ch]) {
            return Err(format!(
                "presentation {i} (class {}): channel {ch} has {} spikes, presentation 0 (class {}) has {}",
                q.label, c[ch], first.label, reference[ch]
            ));
        }
    }
    Ok(())
}
