//! Distributions: the histogram and the grid of small histograms (one per swept quantity), with
//! their shared binning (linear or log axis) and summary line.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::{bounds, compact, split_unit, to_axis, Axis};
use super::common::*;
use super::figures::{fmt_value, subtitled, titled, Figure};
use super::{HEIGHT, WIDTH};

/// Bin edges and counts in axis space, plus the values that were shown.
struct Binned {
    axis_bounds: Option<(f64, f64)>,
    edges: Vec<f64>,
    counts: Vec<u64>,
    shown: Vec<f64>,
    skipped: usize,
}

fn bin(values: &[f64], bins: usize, log: bool) -> Binned {
    let bins = bins.clamp(1, 10_000);
    let shown: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| to_axis(*v, log).is_some())
        .collect();
    let skipped = values.len() - shown.len();
    let axis_bounds = bounds(shown.iter().copied(), log).map(|(lo, hi)| {
        if hi > lo {
            (lo, hi)
        } else if log {
            (lo - 0.25, hi + 0.25)
        } else {
            let d = if lo == 0.0 { 0.5 } else { lo.abs() * 0.05 };
            (lo - d, hi + d)
        }
    });
    let (edges, counts) = match axis_bounds {
        None => (Vec::new(), Vec::new()),
        Some((lo, hi)) => {
            let w = (hi - lo) / bins as f64;
            let edges: Vec<f64> = (0..=bins).map(|i| lo + w * i as f64).collect();
            let mut counts = vec![0u64; bins];
            for v in shown.iter().filter_map(|v| to_axis(*v, log)) {
                let k = (((v - lo) / w) as usize).min(bins - 1);
                counts[k] += 1;
            }
            (edges, counts)
        }
    };
    Binned {
        axis_bounds,
        edges,
        counts,
        shown,
        skipped,
    }
}

fn stats_line(b: &Binned, unit: &str, cv: bool) -> String {
    let mut s = format!("n = {}", b.shown.len());
    if let (Some(med), Some((m, sd))) = (median(&b.shown), mean_sd(&b.shown)) {
        if cv {
            let cv = if m != 0.0 {
                sd / m.abs() * 100.0
            } else {
                f64::NAN
            };
            s += &format!("   mean {}   CV {}%", fmt_value(m, unit), compact(cv));
        } else {
            s += &format!(
                "   median {}   mean {}   sd {}",
                fmt_value(med, unit),
                fmt_value(m, unit),
                fmt_value(sd, unit)
            );
        }
    }
    if b.skipped > 0 {
        s += &format!("   ({} skipped)", b.skipped);
    }
    s
}

fn draw_bars<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    b: &Binned,
    col: RGBColor,
) -> Result<(), String> {
    let bars = b
        .counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, c)| ((b.edges[i], 0.0), (b.edges[i + 1], *c as f64)));
    chart
        .draw_series(
            bars.clone()
                .map(|(p0, p1)| Rectangle::new([p0, p1], col.mix(0.8).filled())),
        )
        .map_err(e)?;
    chart
        .draw_series(bars.map(|(p0, p1)| Rectangle::new([p0, p1], WHITE.stroke_width(1))))
        .map_err(e)?;
    Ok(())
}

fn count_axis(b: &Binned) -> Axis {
    let max = b.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    Axis::new("count", "", false, Some((0.0, max)), 0.06, true).integer()
}

pub(crate) struct Histogram<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub values: &'a [f64],
    pub bins: usize,
    pub log_x: bool,
}

impl Figure for Histogram<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _vector: bool,
    ) -> Result<(), String> {
        let area = titled(root, self.title)?;
        let (xl, xu) = split_unit(self.x_label);
        let b = bin(self.values, self.bins, self.log_x);
        let area = subtitled(&area, &stats_line(&b, xu, false), SUBTITLE_PX)?;
        let xa = Axis::new(xl, xu, self.log_x, b.axis_bounds, 0.02, false);
        let ya = count_axis(&b);
        let frame = Frame::new(y_label_room(&area, &ya, TICK_PX, DESC_PX));
        let mut chart = build_chart(&area, &xa, &ya, &frame, None)?;
        draw_bars(&mut chart, &b, color(0))?;
        if b.shown.is_empty() {
            note(&mut chart, &xa, &ya, "no data")?;
        }
        Ok(())
    }
}

pub(crate) struct Grid<'a> {
    pub title: &'a str,
    pub panels: &'a [(String, Vec<f64>)],
    pub bins: usize,
}

impl Grid<'_> {
    fn shape(&self) -> (usize, usize) {
        let n = self.panels.len().max(1);
        let cols = if n <= 3 {
            n
        } else if n <= 9 {
            3
        } else {
            (n as f64).sqrt().ceil() as usize
        };
        (n.div_ceil(cols), cols)
    }
}

impl Figure for Grid<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.shape().0 as u32;
        if rows <= 3 {
            (WIDTH, HEIGHT)
        } else {
            (WIDTH, (100 + 240 * rows).min(4000))
        }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _vector: bool,
    ) -> Result<(), String> {
        let area = titled(root, self.title)?;
        if self.panels.is_empty() {
            let xa = Axis::new("", "", false, None, 0.0, false);
            let mut chart = build_chart(&area, &xa, &xa, &Frame::new(60), None)?;
            return note(&mut chart, &xa, &xa, "no data");
        }
        let (rows, cols) = self.shape();
        let cells = area.split_evenly((rows, cols));
        let small_tick = 14;
        for (pi, ((name, values), cell)) in self.panels.iter().zip(&cells).enumerate() {
            let (label, unit) = split_unit(name);
            let b = bin(values, self.bins, false);
            // The caption carries the name and the unit with the prefix the ticks use.
            let xa = Axis::new(label, unit, false, b.axis_bounds, 0.02, false).sparse();
            let mut ya = count_axis(&b).sparse().integer();
            if pi % cols != 0 {
                ya.desc.clear();
            }
            let cell = cell.margin(6, 6, 6, 6);
            let cell = cell
                .titled(&shorten(&xa.desc, 44), style(DESC_PX - 2))
                .map_err(e)?;
            let cell = subtitled(&cell, &stats_line(&b, unit, true), small_tick)?;
            let mut frame = Frame::new(y_label_room(&cell, &ya, small_tick, small_tick));
            frame.tick_px = small_tick;
            frame.desc_px = small_tick;
            frame.margin_top = 4;
            frame.margin_right = 14;
            frame.show_x_desc = false;
            frame.x_label_area = small_tick + 14;
            let mut chart = build_chart(&cell, &xa, &ya, &frame, None)?;
            draw_bars(&mut chart, &b, color(pi))?;
            if b.shown.is_empty() {
                note(&mut chart, &xa, &ya, "no data")?;
            }
        }
        Ok(())
    }
}
