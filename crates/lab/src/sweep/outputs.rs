//! Output files of a complete sweep: `summary.json`, `results.csv` (one row per trial),
//! `percentiles.csv` (one row per profile and scale), `sensitivity.csv`, the plots
//! (`metric_vs_scale`, `yield_vs_scale`, `metric_by_profile`), and `report.html`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::experiment::ProfileOnDisk;
use super::{RunOptions, SweepError, SweepSummary, TrialRecord};
use crate::output::write_atomic;
use crate::plot::{self, Curve};
use crate::report::{num, Block, Report};

/// `results.csv`.
pub fn results_csv(s: &SweepSummary, records: &BTreeMap<usize, TrialRecord>) -> String {
    let mut o = String::from("trial,profile,scale,instance,metric,pass\n");
    for r in records.values() {
        let pass = s
            .plan
            .passes(r.metric)
            .map_or(String::new(), |p| p.to_string());
        o.push_str(&format!(
            "{},{},{},{},{},{}\n",
            r.trial, r.profile, r.scale, r.instance, r.metric, pass
        ));
    }
    o
}

/// `percentiles.csv`.
pub fn percentiles_csv(s: &SweepSummary) -> String {
    let mut o = String::from("profile,scale,n,mean,p05,p25,p50,p75,p95,min,max,yield\n");
    for r in &s.rows {
        let d = &r.dist;
        let p = d.percentiles;
        o.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.profile,
            r.scale,
            d.n,
            d.mean,
            p[0],
            p[1],
            p[2],
            p[3],
            p[4],
            d.min,
            d.max,
            d.yield_fraction.map_or(String::new(), |y| y.to_string())
        ));
    }
    o
}

/// `sensitivity.csv`.
pub fn sensitivity_csv(s: &SweepSummary) -> String {
    let mut o = String::from("profile,feature,rho,fail_auc,n\n");
    for x in &s.sensitivity {
        o.push_str(&format!(
            "{},{},{},{},{}\n",
            x.profile,
            x.feature,
            x.rho,
            x.fail_auc.map_or(String::new(), |a| a.to_string()),
            x.n
        ));
    }
    o
}

/// The percentile table as text rows (shared by the CLI and the report).
pub fn table_rows(s: &SweepSummary) -> (Vec<String>, Vec<Vec<String>>) {
    let head = [
        "profile", "scale", "n", "p05", "p25", "median", "p75", "p95", "mean", "yield",
    ]
    .map(String::from)
    .to_vec();
    let rows = s
        .rows
        .iter()
        .map(|r| {
            let d = &r.dist;
            let mut v = vec![r.profile.clone(), format!("{}", r.scale), d.n.to_string()];
            v.extend(d.percentiles.iter().map(|x| num(*x)));
            v.push(num(d.mean));
            v.push(match (d.yield_fraction, d.n_pass) {
                (Some(y), Some(k)) => format!("{:.1}% ({k}/{})", 100.0 * y, d.n),
                _ => "-".into(),
            });
            v
        })
        .collect();
    (head, rows)
}

/// Write every output of a complete sweep into `run.out`; returns the files.
pub fn write(
    s: &SweepSummary,
    records: &BTreeMap<usize, TrialRecord>,
    profiles: &[Vec<ProfileOnDisk>],
    run: &RunOptions,
) -> Result<Vec<PathBuf>, SweepError> {
    let out = &run.out;
    let mut files = Vec::new();
    let mut put = |name: &str, text: String| -> Result<(), SweepError> {
        let p = out.join(name);
        write_atomic(&p, text.as_bytes())?;
        files.push(p);
        Ok(())
    };
    put(
        "summary.json",
        serde_json::to_string_pretty(s).expect("summary serializes"),
    )?;
    put("results.csv", results_csv(s, records))?;
    put("percentiles.csv", percentiles_csv(s))?;
    put("sensitivity.csv", sensitivity_csv(s))?;

    // Metric versus scale, one median line with its 5-95% band per profile, plus the quartiles.
    let mut svgs = Vec::new();
    let plan = &s.plan;
    let names: Vec<String> = plan
        .profiles
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if plan.profiles.iter().filter(|q| *q == p).count() > 1 {
                format!("{p} #{}", i + 1)
            } else {
                p.clone()
            }
        })
        .collect();
    let per: Vec<Vec<&super::Row>> = plan
        .profiles
        .iter()
        .enumerate()
        .map(|(pi, _)| {
            s.rows[pi * plan.scales.len()..(pi + 1) * plan.scales.len()]
                .iter()
                .collect()
        })
        .collect();
    let col = |rows: &[&super::Row], k: usize| -> Vec<f64> {
        rows.iter().map(|r| r.dist.percentiles[k]).collect()
    };
    let x: Vec<f64> = plan.scales.clone();
    if plan.scales.len() > 1 {
        #[allow(clippy::type_complexity)]
        let data: Vec<(String, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>)> = per
            .iter()
            .zip(&names)
            .map(|(rows, n)| {
                (
                    format!("{n}: median, 5-95% band"),
                    col(rows, 2),
                    col(rows, 0),
                    col(rows, 4),
                    col(rows, 1),
                    col(rows, 3),
                )
            })
            .collect();
        let mut curves = Vec::new();
        let quart: Vec<(String, String)> = names
            .iter()
            .map(|n| {
                (
                    format!("{n}: 25th percentile"),
                    format!("{n}: 75th percentile"),
                )
            })
            .collect();
        for (d, q) in data.iter().zip(&quart) {
            curves.push(Curve {
                name: &d.0,
                x: &x,
                y: &d.1,
                band: Some((&d.2, &d.3)),
            });
            curves.push(Curve {
                name: &q.0,
                x: &x,
                y: &d.4,
                band: None,
            });
            curves.push(Curve {
                name: &q.1,
                x: &x,
                y: &d.5,
                band: None,
            });
        }
        let title = format!(
            "{} vs mismatch scale ({} dies per point)",
            s.metric, plan.instances
        );
        let f = plot::curves(
            &out.join("metric_vs_scale"),
            &title,
            "mismatch scale (x profile sigma)",
            &s.metric,
            false,
            &curves,
        )?;
        svgs.push(f[0].clone());
        files.extend(f);
        if plan.threshold.is_some() {
            let ys: Vec<(String, Vec<f64>)> = per
                .iter()
                .zip(&names)
                .map(|(rows, n)| {
                    (
                        n.clone(),
                        rows.iter()
                            .map(|r| r.dist.yield_fraction.unwrap_or(f64::NAN))
                            .collect(),
                    )
                })
                .collect();
            let curves: Vec<Curve> = ys
                .iter()
                .map(|(n, y)| Curve {
                    name: n,
                    x: &x,
                    y,
                    band: None,
                })
                .collect();
            let title = format!(
                "yield: fraction of dies with metric {} {}",
                if plan.lower_is_better { "<=" } else { ">=" },
                plan.threshold.unwrap_or(f64::NAN)
            );
            let f = plot::curves(
                &out.join("yield_vs_scale"),
                &title,
                "mismatch scale (x profile sigma)",
                "yield (fraction of dies)",
                false,
                &curves,
            )?;
            svgs.push(f[0].clone());
            files.extend(f);
        }
    }
    if plan.profiles.len() > 1 || plan.scales.len() == 1 {
        // Side by side: the metric's distribution over dies, one panel per (profile, scale).
        let mut panels = Vec::new();
        for (pi, n) in names.iter().enumerate() {
            for (si, sc) in plan.scales.iter().enumerate() {
                let xs: Vec<f64> = records
                    .values()
                    .filter(|r| {
                        let k = plan.key(r.trial);
                        k.profile == pi && k.scale == si
                    })
                    .map(|r| r.metric)
                    .collect();
                let label = if plan.scales.len() > 1 {
                    format!("{n} x{sc}")
                } else {
                    n.clone()
                };
                panels.push((label, xs));
            }
        }
        let title = format!("{} over {} dies per profile", s.metric, plan.instances);
        let f = plot::histograms_grid(&out.join("metric_by_profile"), &title, &panels, 12)?;
        svgs.push(f[0].clone());
        files.extend(f);
    }

    // The report.
    let title = match run.workflow.as_str() {
        "compare" => format!("mixsig compare: {}", names.join(" vs ")),
        _ => format!(
            "mixsig robustness: {} on {}",
            plan.experiment.name(),
            names.join(", ")
        ),
    };
    let mut rep = Report::new(&title, &run.command);
    rep.push(Block::Text(format!(
        "Experiment `{}` ({}), {} dies (seeds {}..{}) per profile and mismatch scale; scales {:?} times the profiles' sigmas (device and bias-generator mismatch). {}",
        plan.experiment.name(),
        s.metric,
        plan.instances,
        plan.first_instance,
        plan.first_instance + plan.instances as u64 - 1,
        plan.scales,
        match plan.threshold {
            Some(t) => format!("A die passes when the metric is {} {t}.", if plan.lower_is_better { "<=" } else { ">=" }),
            None => "No pass threshold (no yield).".into(),
        }
    )));
    rep.push(Block::Heading("Percentiles over dies".into()));
    let (h, r) = table_rows(s);
    rep.push(Block::Table(h, r));
    for svg in &svgs {
        rep.push(Block::Svg(svg.clone()));
    }
    rep.push(Block::Heading(
        "Sensitivity: device parameters that explain the metric".into(),
    ));
    rep.push(Block::Text(format!(
        "Spearman rank correlation between each device feature and the metric over dies (ranks within each scale > 0, pooled); fail AUC: probability that a failing die has a higher feature rank than a passing one (0.5 = no information). Features: cK.param = mean ln(mismatch factor) of the used neurons on core K; cK.BIAS = ln of the generated bias current. |rho| below {} is within two standard errors of zero; with many features some reach it by chance.",
        num(s.rho_noise)
    )));
    rep.push(Block::Table(
        ["profile", "feature", "rho", "fail AUC", "n"]
            .map(String::from)
            .to_vec(),
        s.sensitivity
            .iter()
            .map(|x| {
                vec![
                    x.profile.clone(),
                    x.feature.clone(),
                    format!("{:+.3}", x.rho),
                    x.fail_auc.map_or("-".into(), |a| format!("{a:.3}")),
                    x.n.to_string(),
                ]
            })
            .collect(),
    ));
    rep.push(Block::Heading("Profiles as run".into()));
    for row in profiles {
        for p in row {
            let text = std::fs::read_to_string(&p.path).unwrap_or_default();
            rep.push(Block::Details(p.path.display().to_string(), text));
        }
    }
    rep.push(Block::Details(
        "Plan (plan.json)".into(),
        serde_json::to_string_pretty(plan).expect("plan serializes"),
    ));
    files.push(rep.write(out)?);
    Ok(files)
}
