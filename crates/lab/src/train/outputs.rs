//! The files of a `mixsig train` run: `summary.json`, `learning_curve.csv`, `weights.csv` and the plots
//! (accuracy, error rate, weights, mirror divergence, rasters), every file written atomically.

use std::path::{Path, PathBuf};

use super::protocol::{RasterSample, TrainResult};
use super::run::{TrainError, TrainOutcome};
use crate::output::write_atomic;
use crate::plot::{self, Curve, PlotError, RasterGroup};

/// Header of `learning_curve.csv`.
pub const CURVE_HEADER: &str = "presentations,test_accuracy,error_rate_out_hz,w1_mean_a,w2_mean_a,\
b_mean_a,mirror_divergence,mirror_divergence_effective";

/// A CSV number: empty for NaN (not applicable: no hidden layer, no mirrored feedback); currents in
/// exponent notation (`9.149e-11`, not `0.0000000000914...`).
fn num(x: f64) -> String {
    if x.is_finite() && (x == 0.0 || (1e-3..1e6).contains(&x.abs())) {
        format!("{x}")
    } else if x.is_finite() {
        format!("{x:e}")
    } else {
        String::new()
    }
}

/// `learning_curve.csv`: one row per checkpoint ([`CURVE_HEADER`]).
pub fn curve_csv(result: &TrainResult) -> String {
    let mut s = String::from(CURVE_HEADER);
    s.push('\n');
    for c in &result.curve {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            c.presentations,
            num(c.test_accuracy),
            num(c.error_rate_out_hz),
            num(c.w1_mean),
            num(c.w2_mean),
            num(c.b_mean),
            num(c.mirror_divergence),
            num(c.mirror_divergence_effective)
        ));
    }
    s
}

/// `weights.csv`: the stored weights at the end of training, one row per synapse
/// (`projection,pre,post,stored_a`; projections `w1`, `w2`, `feedback`).
pub fn weights_csv(result: &TrainResult) -> String {
    let w = &result.weights;
    let mut s = String::from("projection,pre,post,stored_a\n");
    let (_, n_hid, n_out) = w.dims;
    let mut table = |name: &str, v: &[f64], n_post: usize| {
        for (k, x) in v.iter().enumerate() {
            s.push_str(&format!("{name},{},{},{x:e}\n", k / n_post, k % n_post));
        }
    };
    if !w.w1.is_empty() {
        table("w1", &w.w1, n_hid.max(1));
    }
    table("w2", &w.w2, n_out.max(1));
    if !w.feedback.is_empty() {
        table("feedback", &w.feedback, n_hid.max(1));
    }
    s
}

fn raster_plot(out: &Path, o: &TrainOutcome, r: &RasterSample) -> Result<[PathBuf; 2], PlotError> {
    let class = o
        .task
        .class_names
        .get(r.label)
        .cloned()
        .unwrap_or_else(|| r.label.to_string());
    let mut cols: Vec<(Vec<f64>, Vec<u32>)> = vec![(Vec::new(), Vec::new()); o.group_sizes.len()];
    for (t, g, n) in &r.spikes {
        if let Some(i) = o.group_sizes.iter().position(|(name, _)| name == g) {
            cols[i].0.push(*t);
            cols[i].1.push(*n);
        }
    }
    let groups: Vec<RasterGroup> = o
        .group_sizes
        .iter()
        .zip(&cols)
        .filter(|((name, _), _)| name != "teacher")
        .map(|((name, size), (t, n))| RasterGroup {
            name,
            times_s: t,
            neuron: n,
            size: *size as u32,
        })
        .collect();
    let safe: String = class
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    plot::raster(
        &out.join(format!("raster_{}_{}_{safe}", r.when, r.label)),
        &format!(
            "{} presentation of class `{class}` {} training (teacher off, learning off)",
            o.task.name, r.when
        ),
        &groups,
        o.task.duration_s,
    )
}

/// Files in `out` named as [`write_outputs`] names its files (a plot, a raster, one of the CSV and
/// JSON files) that are not among `written`: an earlier run's outputs, left as they were (a raster
/// of a class this run does not have, say). Sorted; empty when `out` cannot be read.
pub fn leftovers(out: &Path, written: &[PathBuf]) -> Vec<PathBuf> {
    const STEMS: [&str; 6] = [
        "summary",
        "learning_curve",
        "weights",
        "accuracy",
        "error_rate",
        "mirror_divergence",
    ];
    let ours = |p: &Path| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Some((stem, ext)) = name.rsplit_once('.') else {
            return false;
        };
        ["svg", "png", "csv", "json"].contains(&ext)
            && (STEMS.contains(&stem) || stem.starts_with("raster_"))
    };
    let Ok(dir) = std::fs::read_dir(out) else {
        return Vec::new();
    };
    let mut left: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && ours(p) && !written.contains(p))
        .collect();
    left.sort();
    left
}

/// Write `summary.json`, `learning_curve.csv` and the plots into `out`; returns the files written.
///
/// Plots (each `.svg` and `.png`): `accuracy` (test accuracy), `error_rate` (output error neurons),
/// `weights` (mean stored W1, W2 and feedback B), `mirror_divergence` (`||B - W2ᵀ|| / ||W2||` on the
/// stored weights and on the injected currents, when the feedback is mirrored), and `raster_{before,after}_<label>_<class>` (one test presentation per class).
pub fn write_outputs(o: &TrainOutcome, out: &Path) -> Result<Vec<PathBuf>, TrainError> {
    let mut files = Vec::new();
    let json = serde_json::to_string_pretty(o).expect("the summary serializes");
    let p = out.join("summary.json");
    write_atomic(&p, json.as_bytes())?;
    files.push(p);
    let p = out.join("learning_curve.csv");
    write_atomic(&p, curve_csv(&o.result).as_bytes())?;
    files.push(p);
    let p = out.join("weights.csv");
    write_atomic(&p, weights_csv(&o.result).as_bytes())?;
    files.push(p);

    let c = &o.result.curve;
    let x: Vec<f64> = c.iter().map(|c| c.presentations as f64).collect();
    let acc: Vec<f64> = c.iter().map(|c| c.test_accuracy).collect();
    let chance = vec![1.0 / o.task.class_names.len().max(1) as f64; x.len()];
    let who = match &o.chip {
        Some(ch) => format!("{} die {}", ch.profile, ch.instance),
        None => "ideal circuits".into(),
    };
    let feedback = format!("{:?}", o.options.feedback).to_lowercase();
    let what = format!("{}, {feedback} feedback, {who}", o.task.name);
    files.extend(plot::curves(
        &out.join("accuracy"),
        &format!("Test accuracy ({what})"),
        "training presentations",
        "test accuracy",
        false,
        &[
            Curve {
                name: "test accuracy",
                x: &x,
                y: &acc,
                band: None,
            },
            Curve {
                name: "chance",
                x: &x,
                y: &chance,
                band: None,
            },
        ],
    )?);
    let err: Vec<f64> = c.iter().map(|c| c.error_rate_out_hz).collect();
    files.extend(plot::curves(
        &out.join("error_rate"),
        &format!("Output error-neuron rate over the last training block ({what})"),
        "training presentations",
        "mean rate (Hz)",
        false,
        &[Curve {
            name: "output error neurons",
            x: &x,
            y: &err,
            band: None,
        }],
    )?);
    let w1: Vec<f64> = c.iter().map(|c| c.w1_mean).collect();
    let w2: Vec<f64> = c.iter().map(|c| c.w2_mean).collect();
    let b: Vec<f64> = c.iter().map(|c| c.b_mean).collect();
    let mut series = vec![Curve {
        name: "W2 (to out)",
        x: &x,
        y: &w2,
        band: None,
    }];
    if b.iter().any(|v| v.is_finite()) {
        series.push(Curve {
            name: "B (feedback)",
            x: &x,
            y: &b,
            band: None,
        });
    }
    if w1.iter().any(|v| v.is_finite()) {
        series.insert(
            0,
            Curve {
                name: "W1 (in to hidden)",
                x: &x,
                y: &w1,
                band: None,
            },
        );
    }
    files.extend(plot::curves(
        &out.join("weights"),
        &format!("Mean stored weights, forward and feedback ({what})"),
        "training presentations",
        "mean weight (A)",
        false,
        &series,
    )?);
    let div: Vec<f64> = c.iter().map(|c| c.mirror_divergence).collect();
    let div_eff: Vec<f64> = c.iter().map(|c| c.mirror_divergence_effective).collect();
    if div.iter().any(|v| v.is_finite()) {
        files.extend(plot::curves(
            &out.join("mirror_divergence"),
            &format!("Mirror divergence ||B - W2^T|| / ||W2|| ({who})"),
            "training presentations",
            "relative divergence",
            false,
            &[
                Curve {
                    name: "stored weights",
                    x: &x,
                    y: &div,
                    band: None,
                },
                Curve {
                    name: "injected currents",
                    x: &x,
                    y: &div_eff,
                    band: None,
                },
            ],
        )?);
    }
    for r in &o.result.rasters {
        files.extend(raster_plot(out, o, r)?);
    }
    Ok(files)
}
