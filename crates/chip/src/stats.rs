//! Summary statistics of an instance: per parameter, over all neurons, the mean, coefficient of
//! variation, and percentiles; what `mixsig chip sample` prints.

use mixsig_circuits::units::Dimension;
use mixsig_circuits::NeuronParams;

use crate::instance::ChipInstance;
use crate::names;

/// Statistics of one set of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Describe {
    /// Count.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation.
    pub std: f64,
    /// `std/mean`.
    pub cv: f64,
    /// Standard deviation of `ln(x)` (NaN if any value is non-positive).
    pub std_ln: f64,
    /// Minimum.
    pub min: f64,
    /// 5th percentile.
    pub p05: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Maximum.
    pub max: f64,
}

fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = if xs.len() > 1 {
        xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, v.sqrt())
}

/// The `p`-quantile of sorted values by linear interpolation between order statistics (NumPy's
/// default); exact on ties (never moves a tied value by an ulp). NaN for no values.
pub fn quantile_sorted(s: &[f64], p: f64) -> f64 {
    if s.is_empty() {
        return f64::NAN;
    }
    let h = p.clamp(0.0, 1.0) * (s.len() - 1) as f64;
    let i = (h.floor() as usize).min(s.len() - 1);
    let t = h - i as f64;
    if t == 0.0 || i + 1 == s.len() {
        return s[i];
    }
    let (a, b) = (s[i], s[i + 1]);
    let d = b - a;
    if t < 0.5 {
        a + d * t
    } else {
        b - d * (1.0 - t)
    }
}

/// Describe `xs` (empty input gives NaNs).
pub fn describe(xs: &[f64]) -> Describe {
    if xs.is_empty() {
        let nan = f64::NAN;
        return Describe {
            n: 0,
            mean: nan,
            std: nan,
            cv: nan,
            std_ln: nan,
            min: nan,
            p05: nan,
            p50: nan,
            p95: nan,
            max: nan,
        };
    }
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let q = |p: f64| quantile_sorted(&s, p);
    let (mean, std) = mean_std(xs);
    let std_ln = if s[0] > 0.0 {
        mean_std(&xs.iter().map(|x| x.ln()).collect::<Vec<_>>()).1
    } else {
        f64::NAN
    };
    Describe {
        n: xs.len(),
        mean,
        std,
        cv: std / mean,
        std_ln,
        min: s[0],
        p05: q(0.05),
        p50: q(0.5),
        p95: q(0.95),
        max: s[s.len() - 1],
    }
}

/// Summary of one parameter over an instance.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSummary {
    /// Parameter name.
    pub name: &'static str,
    /// Its dimension.
    pub dim: Dimension,
    /// Statistics over all neurons of all cores.
    pub stats: Describe,
}

/// A derived quantity: name and how to compute it.
type Derived = (&'static str, fn(&NeuronParams) -> f64);

/// Per-parameter statistics over every neuron of `instance` (mismatched parameters only), plus the
/// derived `tau_mem`, `t_ref` and `t_pulse`.
pub fn summarize(instance: &ChipInstance) -> Vec<ParamSummary> {
    let a = &instance.profile().architecture;
    let all: Vec<NeuronParams> = (0..a.cores)
        .flat_map(|c| (0..a.neurons_per_core).map(move |n| (c, n)))
        .map(|(c, n)| instance.neuron_params(c, n))
        .collect();
    let mut out: Vec<ParamSummary> = NeuronParams::FIELDS
        .iter()
        .filter(|f| names::has_mismatch(f.name))
        .map(|f| ParamSummary {
            name: f.name,
            dim: f.dim,
            stats: describe(
                &all.iter()
                    .map(|p| p.field(f.name).unwrap_or(f64::NAN))
                    .collect::<Vec<_>>(),
            ),
        })
        .collect();
    let derived: [Derived; 3] = [
        ("tau_mem", NeuronParams::tau_mem),
        ("t_ref", NeuronParams::t_ref),
        ("t_pulse", NeuronParams::t_pulse),
    ];
    for (name, f) in derived {
        out.push(ParamSummary {
            name,
            dim: Dimension::Time,
            stats: describe(&all.iter().map(f).collect::<Vec<_>>()),
        });
    }
    out
}
