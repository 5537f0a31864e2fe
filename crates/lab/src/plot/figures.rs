//! The plot kinds, each drawn by one generic function so SVG and PNG share the layout.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{bounds, compact, si, split_unit, union, Axis};
use super::common::*;
use super::{Curve, RasterGroup, TracePanel, HEIGHT, WIDTH};

/// A plot that can be drawn on any plotters backend.
pub(crate) trait Figure {
    /// Canvas size in pixels.
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }
    /// Draw everything on `root` (the whole canvas).
    /// `vector` is true for the SVG backend.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        vector: bool,
    ) -> Result<(), String>;
}

/// White canvas with the title on top; returns the area below the title.
pub(super) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(e)?;
    let area = root.titled(title, (FONT, TITLE_PX)).map_err(e)?;
    Ok(area.margin(4, 0, 0, 0))
}

pub(super) fn subtitled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    px: u32,
) -> Result<DrawingArea<DB, Shift>, String> {
    area.titled(text, style(px).color(&GREY)).map_err(e)
}

pub(super) fn fmt_value(v: f64, unit: &str) -> String {
    if unit.is_empty() {
        compact(v)
    } else {
        si(v, unit)
    }
}

// ---------------------------------------------------------------------------------------------

pub(crate) struct Raster<'a> {
    pub title: &'a str,
    pub groups: &'a [RasterGroup<'a>],
    pub t_max_s: f64,
}

impl Figure for Raster<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _vector: bool,
    ) -> Result<(), String> {
        let area = titled(root, self.title)?;
        let t_max = if self.t_max_s.is_finite() && self.t_max_s > 0.0 {
            self.t_max_s
        } else {
            self.groups
                .iter()
                .flat_map(|g| g.times_s.iter().copied())
                .filter(|t| t.is_finite() && *t > 0.0)
                .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))))
                .unwrap_or(1.0)
        };
        let xa = Axis::new("time", "s", false, Some((0.0, t_max)), 0.0, false);
        let total: f64 = self.groups.iter().map(|g| g.size as f64).sum();
        let total_y = total.max(1.0);
        // Bands from the top: group g spans [total - off - size, total - off].
        let mut offsets = Vec::with_capacity(self.groups.len());
        let mut off = 0.0;
        for g in self.groups {
            offsets.push(off);
            off += g.size as f64;
        }
        let boundaries: Vec<f64> = offsets
            .iter()
            .skip(1)
            .map(|o| total_y - o)
            .filter(|b| *b > 0.0 && *b < total_y)
            .collect();
        let ya = Axis::blank(0.0, total_y, boundaries);

        let labels: Vec<(String, String)> = self
            .groups
            .iter()
            .map(|g| {
                let n = valid_spikes(g, t_max).count();
                let rate = n as f64 / (g.size.max(1) as f64 * t_max);
                (
                    shorten(g.name, 24),
                    format!("n={}, {} Hz", g.size, compact(rate)),
                )
            })
            .collect();
        let widest = labels
            .iter()
            .map(|(a, b)| text_width(&area, a, TICK_PX + 1).max(text_width(&area, b, TICK_PX - 3)))
            .max()
            .unwrap_or(0);
        let frame = Frame::new((widest + 24).max(60));
        let mut chart = build_chart(&area, &xa, &ya, &frame, None)?;

        let plot_h = chart.plotting_area().dim_in_pixel().1 as f64;
        let h = (plot_h / total_y * 0.8).clamp(2.0, 8.0) as i32;
        let mut any = false;
        for (gi, g) in self.groups.iter().enumerate() {
            let c = color(gi);
            let top = total_y - offsets[gi];
            let pts: Vec<(f64, f64)> = valid_spikes(g, t_max)
                .map(|(t, n)| (t, top - n as f64 - 0.5))
                .collect();
            any |= !pts.is_empty();
            chart
                .draw_series(pts.into_iter().map(|p| {
                    EmptyElement::at(p) + Rectangle::new([(-1, -h / 2), (1, h - h / 2)], c.filled())
                }))
                .map_err(e)?;
        }
        for (gi, g) in self.groups.iter().enumerate() {
            if g.size == 0 {
                continue;
            }
            let mid = total_y - offsets[gi] - g.size as f64 / 2.0;
            let (px, py) = chart.backend_coord(&(xa.lo, mid));
            let right = Pos::new(HPos::Right, VPos::Center);
            let (name, stats) = &labels[gi];
            root.draw(&Text::new(
                name.clone(),
                (px - 10, py - 10),
                style(TICK_PX + 1).color(&color(gi)).pos(right),
            ))
            .map_err(e)?;
            root.draw(&Text::new(
                stats.clone(),
                (px - 10, py + 10),
                style(TICK_PX - 3).color(&GREY).pos(right),
            ))
            .map_err(e)?;
        }
        if !any {
            note(&mut chart, &xa, &ya, "no spikes")?;
        }
        Ok(())
    }
}

fn valid_spikes<'a>(g: &'a RasterGroup, t_max: f64) -> impl Iterator<Item = (f64, u32)> + 'a {
    g.times_s
        .iter()
        .zip(g.neuron)
        .filter(move |(t, n)| t.is_finite() && **t >= 0.0 && **t <= t_max && **n < g.size)
        .map(|(t, n)| (*t, *n))
}

// ---------------------------------------------------------------------------------------------

pub(crate) struct Traces<'a> {
    pub title: &'a str,
    pub t_s: &'a [f64],
    pub panels: &'a [TracePanel<'a>],
}

impl Figure for Traces<'_> {
    fn size(&self) -> (u32, u32) {
        let n = self.panels.len() as u32;
        if n <= 3 {
            (WIDTH, HEIGHT)
        } else {
            (WIDTH, (120 + 220 * n).min(4000))
        }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        vector: bool,
    ) -> Result<(), String> {
        let area = titled(root, self.title)?;
        let n = self.panels.len();
        let xa = Axis::new(
            "time",
            "s",
            false,
            bounds(self.t_s.iter().copied(), false),
            0.0,
            false,
        );
        if n == 0 {
            let ya = Axis::new("", "", false, None, 0.0, false);
            let mut chart = build_chart(&area, &xa, &ya, &Frame::new(60), None)?;
            return note(&mut chart, &xa, &ya, "no data");
        }
        let (w, h) = area.dim_in_pixel();
        let base = Frame::new(0);
        let panel_h = (h.saturating_sub(base.x_label_area) / n as u32).max(40);
        let yas: Vec<Axis> = self
            .panels
            .iter()
            .map(|p| {
                let b = p.series.iter().fold(None, |acc, (_, s)| {
                    union(acc, bounds(s.iter().copied(), p.log_y))
                });
                let a = Axis::new(p.label, p.unit, p.log_y, b, 0.06, false);
                if panel_h < 260 {
                    a.sparse()
                } else {
                    a
                }
            })
            .collect();
        let y_room = yas
            .iter()
            .map(|a| y_label_room(&area, a, TICK_PX, DESC_PX))
            .max()
            .unwrap_or(60);
        let names: Vec<String> = self
            .panels
            .iter()
            .filter(|p| p.series.len() > 1)
            .flat_map(|p| p.series.iter().map(|(s, _)| s.clone()))
            .collect();
        let legend_w = if names.is_empty() {
            0
        } else {
            legend_width(&area, &names)
        };
        let breaks: Vec<i32> = (1..n).map(|i| (i as u32 * panel_h) as i32).collect();
        let cells = area.split_by_breakpoints(Vec::<i32>::new(), breaks);
        let columns = (w as usize).max(100);
        for (i, ((p, ya), cell)) in self.panels.iter().zip(&yas).zip(&cells).enumerate() {
            let last = i + 1 == n;
            let (plot_area, legend_area) = cell.split_horizontally(w - legend_w);
            let mut frame = Frame::new(y_room);
            frame.margin_top = 10;
            frame.show_x_labels = last;
            frame.show_x_desc = last;
            frame.x_label_area = if last { base.x_label_area } else { 0 };
            let mut chart = build_chart(&plot_area, &xa, ya, &frame, None)?;
            let mut drawn = false;
            let mut entries = Vec::new();
            for (si, (name, ys)) in p.series.iter().enumerate() {
                let c = color(si);
                entries.push((name.clone(), c));
                for run in runs(self.t_s, ys, &xa, ya, columns) {
                    drawn = true;
                    if run.len() == 1 {
                        chart
                            .draw_series(std::iter::once(Circle::new(run[0], 3, c.filled())))
                            .map_err(e)?;
                    } else {
                        draw_line(&mut chart, &xa, ya, run, c, vector)?;
                    }
                }
            }
            if !drawn {
                let msg = if p.log_y {
                    "no positive values"
                } else {
                    "no data"
                };
                note(&mut chart, &xa, ya, msg)?;
            }
            if p.series.len() > 1 && legend_w > 0 {
                draw_legend(&legend_area, 12, &entries, Sample::Line)?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

pub(crate) struct Curves<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub log_x: bool,
    pub log_y: bool,
    pub series: &'a [Curve<'a>],
}

impl Figure for Curves<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        vector: bool,
    ) -> Result<(), String> {
        let area = titled(root, self.title)?;
        let (xl, xu) = split_unit(self.x_label);
        let (yl, yu) = split_unit(self.y_label);
        let xb = self.series.iter().fold(None, |acc, c| {
            union(acc, bounds(c.x.iter().copied(), self.log_x))
        });
        let yb = self.series.iter().fold(None, |acc, c| {
            let mut b = union(acc, bounds(c.y.iter().copied(), self.log_y));
            if let Some((lo, hi)) = c.band {
                b = union(b, bounds(lo.iter().chain(hi).copied(), self.log_y));
            }
            b
        });
        let xa = Axis::new(xl, xu, self.log_x, xb, 0.03, false);
        let ya = Axis::new(yl, yu, self.log_y, yb, 0.06, false);
        let names: Vec<String> = self.series.iter().map(|c| c.name.to_string()).collect();
        let legend_w = if self.series.len() > 1 {
            legend_width(&area, &names)
        } else {
            0
        };
        let (w, _) = area.dim_in_pixel();
        let (plot_area, legend_area) = area.split_horizontally(w - legend_w);
        let frame = Frame::new(y_label_room(&area, &ya, TICK_PX, DESC_PX));
        let mut chart = build_chart(&plot_area, &xa, &ya, &frame, None)?;
        let columns = w as usize;

        for (i, c) in self.series.iter().enumerate() {
            let Some((lo, hi)) = c.band else { continue };
            let col = color(i);
            let mut run: Vec<(f64, f64, f64)> = Vec::new();
            let n = c.x.len().min(lo.len()).min(hi.len());
            for k in 0..=n {
                let p = (k < n)
                    .then(|| Some((xa.map(c.x[k])?, ya.map(lo[k])?, ya.map(hi[k])?)))
                    .flatten();
                match p {
                    Some(p) => run.push(p),
                    None => {
                        draw_band(&mut chart, &run, col)?;
                        run.clear();
                    }
                }
            }
        }
        let mut any = false;
        for (i, c) in self.series.iter().enumerate() {
            let col = color(i);
            let rs = runs(c.x, c.y, &xa, &ya, columns);
            let npts: usize = rs.iter().map(Vec::len).sum();
            any |= npts > 0;
            for run in &rs {
                if run.len() > 1 {
                    draw_line(&mut chart, &xa, &ya, run.clone(), col, vector)?;
                }
            }
            if npts <= 200 {
                chart
                    .draw_series(
                        rs.iter()
                            .flatten()
                            .map(|p| Circle::new(*p, 4, col.filled())),
                    )
                    .map_err(e)?;
            }
        }
        if !any {
            note(&mut chart, &xa, &ya, "no data")?;
        }
        if legend_w > 0 {
            let entries: Vec<(String, RGBColor)> = names
                .into_iter()
                .enumerate()
                .map(|(i, n)| (n, color(i)))
                .collect();
            draw_legend(
                &legend_area,
                frame.margin_top as i32,
                &entries,
                Sample::LineMarker,
            )?;
        }
        Ok(())
    }
}

fn draw_band<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    run: &[(f64, f64, f64)],
    col: RGBColor,
) -> Result<(), String> {
    match run.len() {
        0 => Ok(()),
        1 => {
            let (x, lo, hi) = run[0];
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, lo), (x, hi)],
                    col.mix(0.5).stroke_width(3),
                )))
                .map(|_| ())
                .map_err(e)
        }
        _ => {
            let mut poly: Vec<(f64, f64)> = run.iter().map(|p| (p.0, p.2)).collect();
            poly.extend(run.iter().rev().map(|p| (p.0, p.1)));
            chart
                .draw_series(std::iter::once(Polygon::new(poly, col.mix(0.2).filled())))
                .map(|_| ())
                .map_err(e)
        }
    }
}
