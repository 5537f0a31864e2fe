//! What a training run produces: the learning curve's checkpoints, the final result, raster
//! samples, and the stored weights read back from the network's learning circuits, with the mirror
//! divergence measured on them.

use mixsig_engine::projection::Table;
use mixsig_engine::Network;
use serde::Serialize;

use super::network::Layout;
/// One checkpoint of the learning curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpoint {
    /// Training presentations so far.
    pub presentations: usize,
    /// Test accuracy.
    pub test_accuracy: f64,
    /// Mean rate of the output error neurons over the last block of training, Hz.
    pub error_rate_out_hz: f64,
    /// Mean stored input->hidden weight, A (NaN without hidden layer).
    pub w1_mean: f64,
    /// Mean stored ->output weight, A.
    pub w2_mean: f64,
    /// Mean feedback weight (stored for mirrored feedback, fixed for random), A (NaN without).
    pub b_mean: f64,
    /// Divergence of mirrored feedback from the forward weights, on the stored weights (what the
    /// update circuits hold): `||B - W2^T||_F / ||W2||_F` (NaN without mirrored feedback). Exactly 0
    /// without learning-rate mismatch; the die's fixed output gains are not part of it (see
    /// `mirror_divergence_effective`).
    pub mirror_divergence: f64,
    /// The same on the currents the synapses inject (stored weight times the die's output gain),
    /// which on a die also carries the static mismatch of the two synapses (NaN without mirrored
    /// feedback).
    pub mirror_divergence_effective: f64,
}

/// Stored weights at the end of training (the update circuits' state, before the die's gains).
#[derive(Debug, Clone, Default, Serialize)]
pub struct FinalWeights {
    /// Input->hidden, `[pre][post]` (empty without hidden layer).
    pub w1: Vec<f64>,
    /// Hidden (or input)->output, `[pre][post]`.
    pub w2: Vec<f64>,
    /// Feedback output-error -> hidden-error, `[out][hidden]` (empty without feedback).
    pub feedback: Vec<f64>,
    /// Sizes: (inputs, hidden, outputs).
    pub dims: (usize, usize, usize),
}

/// What a training run produced.
#[derive(Debug, Clone, Serialize)]
pub struct TrainResult {
    /// The learning curve.
    pub curve: Vec<Checkpoint>,
    /// Final test accuracy.
    pub test_accuracy: f64,
    /// Best checkpoint accuracy.
    pub best_accuracy: f64,
    /// Simulated time, s.
    pub simulated_s: f64,
    /// Wall time, s.
    pub wall_s: f64,
    /// Mean output error-neuron rate over the first training presentations (the first tenth of
    /// training, at least one), Hz.
    pub error_rate_start_hz: f64,
    /// The same over the last tenth of training, Hz.
    pub error_rate_end_hz: f64,
    /// Output error-neuron spikes per training presentation.
    pub error_spikes: Vec<u64>,
    /// Weight updates the hidden layer's learning circuits applied over training (one per synapse
    /// and hidden error spike that passed the learning gates, whether or not a weight bound clipped
    /// it); `None` when the hidden layer is not trained (no hidden layer, or `feedback = none`).
    /// Zero means W1 kept its initial weights and only the readout learned: the hidden error
    /// neurons never fired past their dead zone, or their spikes found the learning gates closed.
    pub hidden_updates: Option<u64>,
    /// Stored weights at the end.
    #[serde(skip)]
    pub weights: FinalWeights,
    /// Output spike counts per class on one test presentation per class, before and after training:
    /// `(label, before, after)` with counts per output neuron.
    #[serde(skip)]
    pub rasters: Vec<RasterSample>,
}

/// Spikes of one presentation, for rasters.
#[derive(Debug, Clone)]
pub struct RasterSample {
    /// Class presented.
    pub label: usize,
    /// `before` or `after`.
    pub when: &'static str,
    /// (time s, group name, neuron) of recorded spikes, relative to the presentation start.
    pub spikes: Vec<(f64, String, u32)>,
}

pub(super) fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// The stored weights of the layout's projections: a plastic projection's from its learner, a fixed
/// one's from its table.
pub fn stored_weights(net: &Network, layout: &Layout) -> FinalWeights {
    let get = |p: usize| -> Vec<f64> {
        for l in &net.learners {
            if l.spec.projection == p {
                return l.stored(0).to_vec();
            }
            if let Some(m) = l.spec.mirrors.iter().position(|&q| q == p) {
                return l.stored(m + 1).to_vec();
            }
        }
        net.projections[p].table.weights().to_vec()
    };
    let w2 = get(layout.w2);
    let w1 = layout.w1.map(get).unwrap_or_default();
    let feedback = layout.feedback.map(|(a, _)| get(a)).unwrap_or_default();
    let n_post = |p: usize| match &net.projections[p].table {
        Table::Dense { n_post, .. } => *n_post,
        Table::Sparse { .. } => 1,
    };
    let n_out = n_post(layout.w2);
    let n_pre2 = w2.len() / n_out.max(1);
    let n_in = layout
        .w1
        .map(|p| w1.len() / n_post(p).max(1))
        .unwrap_or(n_pre2);
    let n_hid = if layout.w1.is_some() { n_pre2 } else { 0 };
    FinalWeights {
        w1,
        w2,
        feedback,
        dims: (n_in, n_hid, n_out),
    }
}

/// With mirrored feedback: the stored feedback weights (`[out][hidden]`) and the effective (table)
/// W2 and B.
pub(super) fn mirrored<'a>(
    net: &'a Network,
    layout: &Layout,
) -> Option<(&'a [f64], &'a [f64], &'a [f64])> {
    let (a, _) = layout.feedback?;
    let l = net
        .learners
        .iter()
        .find(|l| l.spec.projection == layout.w2)?;
    let m = l.spec.mirrors.iter().position(|&q| q == a)?;
    Some((
        l.stored(m + 1),
        net.projections[layout.w2].table.weights(),
        net.projections[a].table.weights(),
    ))
}

/// `||B - W^T||_F / ||W||_F` for `W` laid out `[pre][post]` with `n_post` columns and `B` its
/// transpose layout `[post][pre]`.
pub fn divergence(w: &[f64], b: &[f64], n_post: usize) -> f64 {
    let n_pre = w.len() / n_post.max(1);
    let (mut num, mut den) = (0.0, 0.0);
    for j in 0..n_pre {
        for i in 0..n_post {
            let x = w[j * n_post + i];
            num += (b[i * n_pre + j] - x).powi(2);
            den += x * x;
        }
    }
    if den > 0.0 {
        (num / den).sqrt()
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::divergence;

    #[test]
    fn divergence_is_zero_for_the_transpose_and_the_relative_frobenius_error_otherwise() {
        // W is 3 pre x 2 post ([pre][post]); B its transpose ([post][pre]).
        let w = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [1.0, 3.0, 5.0, 2.0, 4.0, 6.0];
        assert_eq!(divergence(&w, &b, 2), 0.0);
        // B = 1.1 W^T: ||0.1 W|| / ||W|| = 0.1 whatever W is.
        let b11: Vec<f64> = b.iter().map(|x| 1.1 * x).collect();
        assert!((divergence(&w, &b11, 2) - 0.1).abs() < 1e-12);
        // A single element off by 1 against ||W||^2 = 91.
        let mut b1 = b;
        b1[1] += 1.0;
        assert!((divergence(&w, &b1, 2) - (1.0f64 / 91.0).sqrt()).abs() < 1e-12);
        // No forward weight at all: undefined, not 0.
        assert!(divergence(&[0.0; 6], &b, 2).is_nan());
    }
}
