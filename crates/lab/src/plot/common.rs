//! Drawing helpers shared by the plot kinds: fonts and sizes, palette, chart frame, legend,
//! point runs with decimation.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{Axis, AxisCoord};

/// Font family registered with the embedded DejaVu Sans (see `plot::ensure_font`).
pub(crate) const FONT: &str = "sans-serif";
pub(crate) const TITLE_PX: u32 = 30;
pub(crate) const SUBTITLE_PX: u32 = 18;
pub(crate) const TICK_PX: u32 = 17;
pub(crate) const DESC_PX: u32 = 19;
pub(crate) const LEGEND_PX: u32 = 17;
pub(crate) const NOTE_PX: u32 = 24;
pub(crate) const GREY: RGBColor = RGBColor(110, 110, 110);

/// Tableau-10: distinct, colour-blind-friendly enough, readable on white.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Colour of the `i`-th series or group.
pub(crate) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Error text of any plotters error.
pub(crate) fn e<E: std::fmt::Display>(err: E) -> String {
    err.to_string()
}

pub(crate) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<AxisCoord, AxisCoord>>;

pub(crate) fn style(px: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, px).into_font())
}

/// Width in pixels of `text` at `px`, with a rough fallback if measuring fails.
pub(crate) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    px: u32,
) -> u32 {
    area.estimate_text_size(text, &style(px))
        .map(|(w, _)| w)
        .unwrap_or(text.chars().count() as u32 * px * 6 / 10)
}

/// Shorten long names for legends and labels.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Layout of one chart inside its area.
pub(crate) struct Frame {
    pub x_label_area: u32,
    pub y_label_area: u32,
    pub tick_px: u32,
    pub desc_px: u32,
    pub show_x_labels: bool,
    pub show_x_desc: bool,
    pub margin_top: u32,
    pub margin_right: u32,
}

impl Frame {
    pub fn new(y_label_area: u32) -> Frame {
        Frame {
            x_label_area: TICK_PX + DESC_PX + 32,
            y_label_area,
            tick_px: TICK_PX,
            desc_px: DESC_PX,
            show_x_labels: true,
            show_x_desc: true,
            margin_top: 14,
            margin_right: 28,
        }
    }
}

/// Room needed left of the plot for the y tick labels and the rotated y description.
pub(crate) fn y_label_room<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    y: &Axis,
    tick_px: u32,
    desc_px: u32,
) -> u32 {
    let widest = y
        .ticks
        .iter()
        .map(|t| text_width(area, &y.label(*t), tick_px))
        .max()
        .unwrap_or(0);
    let desc = if y.desc.is_empty() { 0 } else { desc_px + 14 };
    widest + desc + 18
}

/// Build a chart with our mesh, tick labels and axis descriptions.
pub(crate) fn build_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: &Axis,
    y: &Axis,
    f: &Frame,
    caption: Option<&str>,
) -> Result<Chart<'a, DB>, String> {
    let mut b = ChartBuilder::on(area);
    b.margin_top(f.margin_top)
        .margin_right(f.margin_right)
        .margin_left(6)
        .margin_bottom(6)
        .x_label_area_size(f.x_label_area)
        .y_label_area_size(f.y_label_area);
    if let Some(c) = caption {
        b.caption(c, (FONT, f.desc_px));
    }
    let mut chart = b.build_cartesian_2d(x.range(), y.range()).map_err(e)?;
    let xf = |v: &f64| {
        if f.show_x_labels {
            x.label(*v)
        } else {
            String::new()
        }
    };
    let yf = |v: &f64| y.label(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style((FONT, f.tick_px))
        .axis_desc_style((FONT, f.desc_px))
        .bold_line_style(BLACK.mix(0.14))
        .light_line_style(BLACK.mix(0.05))
        .axis_style(BLACK.mix(0.75));
    if f.show_x_desc && !x.desc.is_empty() {
        mesh.x_desc(x.desc.as_str());
    }
    if !y.desc.is_empty() {
        mesh.y_desc(y.desc.as_str());
    }
    mesh.draw().map_err(e)?;
    Ok(chart)
}

/// A 2-px polyline through `pts` (axis space). SVG gets a real 2-px stroke. On bitmaps plotters
/// turns strokes wider than 1 px into polygons whose joins explode into long spikes at the
/// acute corners of dense data (spike resets, min/max decimation), so there the line is drawn
/// as three 1-px paths offset by one pixel right and down instead.
pub(crate) fn draw_line<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    x: &Axis,
    y: &Axis,
    pts: Vec<(f64, f64)>,
    c: RGBColor,
    vector: bool,
) -> Result<(), String> {
    if vector {
        chart
            .draw_series(std::iter::once(PathElement::new(pts, c.stroke_width(2))))
            .map_err(e)?;
        return Ok(());
    }
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let dx = (x.hi - x.lo) / w.max(1) as f64;
    let dy = (y.hi - y.lo) / h.max(1) as f64;
    let shifted = |sx: f64, sy: f64| {
        PathElement::new(
            pts.iter().map(|p| (p.0 + sx, p.1 - sy)).collect::<Vec<_>>(),
            c.stroke_width(1),
        )
    };
    chart
        .draw_series([shifted(0.0, 0.0), shifted(dx, 0.0), shifted(0.0, dy)])
        .map_err(e)?;
    Ok(())
}

/// Centered grey note (e.g. "no spikes") in the middle of a chart.
pub(crate) fn note<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    x: &Axis,
    y: &Axis,
    msg: &str,
) -> Result<(), String> {
    let st = style(NOTE_PX)
        .color(&GREY)
        .pos(Pos::new(HPos::Center, VPos::Center));
    let at = ((x.lo + x.hi) / 2.0, (y.lo + y.hi) / 2.0);
    chart
        .draw_series(std::iter::once(Text::new(msg.to_string(), at, st)))
        .map_err(e)?;
    Ok(())
}

/// How a legend entry's sample is drawn.
#[derive(Clone, Copy)]
pub(crate) enum Sample {
    Line,
    LineMarker,
}

/// Width of a legend holding `names` (0 if no legend is needed).
pub(crate) fn legend_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    names: &[String],
) -> u32 {
    let widest = names
        .iter()
        .map(|n| text_width(area, &shorten(n, 28), LEGEND_PX))
        .max()
        .unwrap_or(0);
    (widest + 80).min(340)
}

/// Legend drawn in its own area (right of the chart), entries from `top` down.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    top: i32,
    entries: &[(String, RGBColor)],
    sample: Sample,
) -> Result<(), String> {
    let row = LEGEND_PX as i32 + 10;
    let (w, h) = area.dim_in_pixel();
    for (i, (name, c)) in entries.iter().enumerate() {
        let y = top + row / 2 + i as i32 * row;
        if y + row / 2 > h as i32 {
            break;
        }
        area.draw(&PathElement::new(vec![(8, y), (38, y)], c.stroke_width(3)))
            .map_err(e)?;
        if let Sample::LineMarker = sample {
            area.draw(&Circle::new((23, y), 4, c.filled())).map_err(e)?;
        }
        let st = style(LEGEND_PX).pos(Pos::new(HPos::Left, VPos::Center));
        let max_chars = ((w as i32 - 50) / (LEGEND_PX as i32 / 2)).max(4) as usize;
        area.draw(&Text::new(shorten(name, max_chars.min(28)), (46, y), st))
            .map_err(e)?;
    }
    Ok(())
}

/// Runs of consecutive points that both axes can show (a NaN, inf, or a non-positive value on
/// a log axis breaks the line), in axis space. Long runs are decimated to about `columns`
/// x columns, keeping the first, last, min and max point of each column so spikes survive.
pub(crate) fn runs(
    x: &[f64],
    y: &[f64],
    xa: &Axis,
    ya: &Axis,
    columns: usize,
) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for (&xv, &yv) in x.iter().zip(y) {
        match (xa.map(xv), ya.map(yv)) {
            (Some(px), Some(py)) => cur.push((px, py)),
            _ => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter()
        .map(|r| decimate(r, xa.lo, xa.hi, columns))
        .collect()
}

fn decimate(run: Vec<(f64, f64)>, lo: f64, hi: f64, columns: usize) -> Vec<(f64, f64)> {
    if run.len() <= 4 * columns.max(1) || hi <= lo {
        return run;
    }
    let col = |x: f64| (((x - lo) / (hi - lo)) * columns as f64).floor() as i64;
    let mut out = Vec::with_capacity(4 * columns + 4);
    let mut i = 0;
    while i < run.len() {
        let c = col(run[i].0);
        let start = i;
        let (mut imin, mut imax) = (i, i);
        while i < run.len() && col(run[i].0) == c {
            if run[i].1 < run[imin].1 {
                imin = i;
            }
            if run[i].1 > run[imax].1 {
                imax = i;
            }
            i += 1;
        }
        let mut keep = [start, imin, imax, i - 1];
        keep.sort_unstable();
        let mut last = usize::MAX;
        for k in keep {
            if k != last {
                out.push(run[k]);
                last = k;
            }
        }
    }
    out
}

/// Mean and standard deviation of values (None for an empty set).
pub(crate) fn mean_sd(v: &[f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    Some((m, var.sqrt()))
}

/// Median of values (None for an empty set).
pub(crate) fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}
