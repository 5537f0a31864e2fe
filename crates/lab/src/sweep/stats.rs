//! Statistics of a sweep over dies: percentiles (NumPy's linear method), yield against a threshold,
//! ranks with ties averaged, Spearman's rank correlation and the Mann–Whitney AUC.

use serde::{Deserialize, Serialize};

/// The percentiles every table reports.
pub const PERCENTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Distribution of a metric over dies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Values.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// 5th, 25th, 50th, 75th, 95th percentiles ([`PERCENTILES`]).
    pub percentiles: [f64; 5],
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
    /// Fraction of dies that pass the threshold (`None` without a threshold).
    pub yield_fraction: Option<f64>,
    /// Dies that pass.
    pub n_pass: Option<usize>,
}

/// Describe `xs` (non-finite values count as failures and are left out of the percentiles).
pub fn distribution(xs: &[f64], pass: Option<&dyn Fn(f64) -> bool>) -> Distribution {
    let mut s: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    let q = |p| mixsig_chip::stats::quantile_sorted(&s, p);
    let n_pass = pass.map(|f| xs.iter().filter(|&&x| x.is_finite() && f(x)).count());
    Distribution {
        n: xs.len(),
        mean: if s.is_empty() {
            f64::NAN
        } else {
            s.iter().sum::<f64>() / s.len() as f64
        },
        percentiles: PERCENTILES.map(q),
        min: s.first().copied().unwrap_or(f64::NAN),
        max: s.last().copied().unwrap_or(f64::NAN),
        yield_fraction: n_pass.map(|k| {
            if xs.is_empty() {
                f64::NAN
            } else {
                k as f64 / xs.len() as f64
            }
        }),
        n_pass,
    }
}

/// Ranks 1..n with ties given their average rank.
pub fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    idx.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut r = vec![0.0; xs.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && xs[idx[j + 1]] == xs[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Pearson correlation (NaN when either side is constant or there are fewer than 3 points).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    if n < 3 {
        return f64::NAN;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (a, b) = (x[i] - mx, y[i] - my);
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return f64::NAN;
    }
    sxy / (sxx * syy).sqrt()
}

/// Spearman's rank correlation: Pearson on average ranks.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

/// Mann–Whitney AUC: the probability that a random value of `a` exceeds a random value of `b`
/// (ties count half); NaN if either group is empty.
pub fn auc(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return f64::NAN;
    }
    let mut s = 0.0;
    for &x in a {
        for &y in b {
            s += if x > y {
                1.0
            } else if x == y {
                0.5
            } else {
                0.0
            };
        }
    }
    s / (a.len() * b.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_average_ties() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn spearman_of_monotone_and_reversed() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [1.0, 4.0, 9.0, 16.0, 100.0];
        assert!((spearman(&x, &y) - 1.0).abs() < 1e-12);
        let z: Vec<f64> = y.iter().map(|v| -v).collect();
        assert!((spearman(&x, &z) + 1.0).abs() < 1e-12);
        // Textbook example (n = 5, d^2 sum = 2): rho = 1 - 6*2/(5*24) = 0.9.
        assert!((spearman(&x, &[2.0, 1.0, 3.0, 4.0, 5.0]) - 0.9).abs() < 1e-12);
    }

    #[test]
    fn auc_and_yield() {
        assert_eq!(auc(&[3.0, 4.0], &[1.0, 2.0]), 1.0);
        assert_eq!(auc(&[1.0], &[1.0]), 0.5);
        let d = distribution(&[0.5, 1.0, 1.0, 0.9], Some(&|x| x >= 0.9));
        assert_eq!(d.n_pass, Some(3));
        assert_eq!(d.yield_fraction, Some(0.75));
        assert_eq!(d.percentiles[2], 0.95);
    }
}
