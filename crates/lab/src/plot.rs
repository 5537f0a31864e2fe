//! Plots meant for people: spike rasters, state-variable traces, x–y curves with percentile
//! bands, histograms and small-multiple histograms. Every plot is written twice with the same
//! layout, as `<stem>.svg` and `<stem>.png`.
//!
//! This module owns all plotting of mixsig-lab (`plot.rs`, `plot/`, and the embedded font in
//! `crates/lab/assets/fonts/`). It takes plain data (slices of `f64`/`u32`), never engine types.
//!
//! Fonts: DejaVu Sans is compiled into the binary (`include_bytes!`, license in
//! `assets/fonts/LICENSE`) and registered once with plotters' pure-Rust `ab_glyph` font table
//! under the generic family `"sans-serif"`. Nothing here asks the system for fonts (plotters'
//! `ttf` feature, which pulls in fontconfig/freetype, is off), so PNGs render identically on a
//! machine with no fonts installed. The SVG names `sans-serif`, which any viewer resolves.
//!
//! Robustness: NaN and infinite values, and zero or negative values on a log axis, are skipped
//! (a line is broken there); empty input draws empty axes with a note ("no spikes", "no data");
//! constant data and single points get a sensible range. Tick labels use SI prefixes when the
//! unit is known (`"100 pA"`, axis `"time (ms)"`) and short engineering notation otherwise
//! (`"1e-10"`). A unit is known from [`TracePanel::unit`], or from a label ending in a bracketed
//! SI unit such as `"input current (A)"` or `"rate [Hz]"`.

mod axis;
mod common;
mod figures;
mod histogram;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;

use figures::{Curves, Figure, Raster, Traces};
use histogram::{Grid, Histogram};

/// Width in pixels of every PNG (the SVG uses the same user units).
pub const WIDTH: u32 = 1200;
/// Height in pixels of a PNG; [`traces`] with more than 3 panels and [`histograms_grid`] with
/// more than 3 rows grow taller (see their docs).
pub const HEIGHT: u32 = 800;

/// The embedded font: DejaVu Sans 2.37 (Bitstream Vera license, see `assets/fonts/LICENSE`).
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// A plot could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write plot {}: {cause}", path.display())]
pub struct PlotError {
    /// The file (or directory) that could not be written.
    pub path: PathBuf,
    /// What went wrong.
    pub cause: String,
}

/// One population in a raster plot. Spike `k` is neuron `neuron[k]` (0-based, `< size`) at time
/// `times_s[k]` seconds; spikes outside `0..=t_max_s` or with an out-of-range neuron are skipped.
#[derive(Debug, Clone, Copy)]
pub struct RasterGroup<'a> {
    /// Group name shown left of its band.
    pub name: &'a str,
    /// Spike times in seconds.
    pub times_s: &'a [f64],
    /// Neuron index of each spike, same length as `times_s`.
    pub neuron: &'a [u32],
    /// Number of neurons in the group (height of its band).
    pub size: u32,
}

/// One stacked panel of [`traces`]: one variable, possibly several series (e.g. neurons).
#[derive(Debug, Clone)]
pub struct TracePanel<'a> {
    /// Variable name for the y axis, e.g. `"V_mem"` or `"I_syn"`.
    pub label: &'a str,
    /// Unit of the values, e.g. `"V"` or `"A"` (SI units get prefixes: `"mV"`, `"pA"`); may be
    /// empty.
    pub unit: &'a str,
    /// Logarithmic y axis (for currents spanning decades); values <= 0 are skipped.
    pub log_y: bool,
    /// Named series, each sampled at the shared time axis.
    pub series: Vec<(String, &'a [f64])>,
}

/// One curve of [`curves`].
#[derive(Debug, Clone, Copy)]
pub struct Curve<'a> {
    /// Legend name.
    pub name: &'a str,
    /// x values.
    pub x: &'a [f64],
    /// y values, same length as `x`.
    pub y: &'a [f64],
    /// Optional shaded band `(lo, hi)` at the same x values, e.g. 10th and 90th percentiles.
    pub band: Option<(&'a [f64], &'a [f64])>,
}

/// Spike raster: groups stacked top to bottom (first group on top), one colour per group, group
/// name, size and mean rate left of each band. The time axis is in s, or ms/µs when `t_max_s`
/// is below 1 s / 1 ms. With no spikes the axes are drawn with "no spikes". A `t_max_s` that is
/// not positive and finite is replaced by the last spike time.
///
/// Writes `<stem>.svg` and `<stem>.png` ([`WIDTH`] × [`HEIGHT`]) and returns their paths.
pub fn raster(
    stem: &Path,
    title: &str,
    groups: &[RasterGroup],
    t_max_s: f64,
) -> Result<[PathBuf; 2], PlotError> {
    render(
        stem,
        &Raster {
            title,
            groups,
            t_max_s,
        },
    )
}

/// Time traces: one panel per variable, stacked and sharing the time axis `t_s` (seconds,
/// shown in s/ms/µs). Each panel has its own y axis with unit, optionally logarithmic, and a
/// legend when it holds more than one series. Series shorter or longer than `t_s` are cut to
/// the common length; very long series are decimated per pixel column keeping min and max.
///
/// Writes `<stem>.svg` and `<stem>.png` and returns their paths. The PNG is [`WIDTH`] ×
/// [`HEIGHT`] for up to 3 panels, and `120 + 220 * n` pixels high (at most 4000) for more.
pub fn traces(
    stem: &Path,
    title: &str,
    t_s: &[f64],
    panels: &[TracePanel],
) -> Result<[PathBuf; 2], PlotError> {
    render(stem, &Traces { title, t_s, panels })
}

/// x–y curves, each drawn as a line with markers (markers omitted above 200 points) and an
/// optional shaded band; legend right of the plot when there is more than one curve. The y
/// axis is linear; `log_x` makes the x axis logarithmic (x <= 0 skipped).
///
/// Writes `<stem>.svg` and `<stem>.png` ([`WIDTH`] × [`HEIGHT`]) and returns their paths.
pub fn curves(
    stem: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    log_x: bool,
    series: &[Curve],
) -> Result<[PathBuf; 2], PlotError> {
    curves_axes(stem, title, x_label, y_label, log_x, false, series)
}

/// [`curves`] with a choice of logarithmic y axis too (`log_y`: y <= 0 skipped), for quantities that
/// span decades such as bias currents.
pub fn curves_axes(
    stem: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    log_x: bool,
    log_y: bool,
    series: &[Curve],
) -> Result<[PathBuf; 2], PlotError> {
    render(
        stem,
        &Curves {
            title,
            x_label,
            y_label,
            log_x,
            log_y,
            series,
        },
    )
}

/// Histogram of `values` with `bins` equal-width bins (equal width in log10 when `log_x`; then
/// values <= 0 are skipped). A subtitle gives n, median, mean and standard deviation, and how
/// many values were skipped.
///
/// Writes `<stem>.svg` and `<stem>.png` ([`WIDTH`] × [`HEIGHT`]) and returns their paths.
pub fn histogram(
    stem: &Path,
    title: &str,
    x_label: &str,
    values: &[f64],
    bins: usize,
    log_x: bool,
) -> Result<[PathBuf; 2], PlotError> {
    render(
        stem,
        &Histogram {
            title,
            x_label,
            values,
            bins,
            log_x,
        },
    )
}

/// Small multiples: one histogram per `(name, values)` panel, e.g. one per device parameter,
/// each with its own x range, n, mean and coefficient of variation. Names may end in a unit
/// such as `"C_mem (F)"`.
///
/// Writes `<stem>.svg` and `<stem>.png` and returns their paths. The grid has up to 3 columns
/// for up to 9 panels (`ceil(sqrt(n))` beyond); the PNG is [`WIDTH`] × [`HEIGHT`] for up to 3
/// rows and `100 + 240 * rows` pixels high (at most 4000) for more.
pub fn histograms_grid(
    stem: &Path,
    title: &str,
    panels: &[(String, Vec<f64>)],
    bins: usize,
) -> Result<[PathBuf; 2], PlotError> {
    render(
        stem,
        &Grid {
            title,
            panels,
            bins,
        },
    )
}

/// Register the embedded font with plotters, once per process. Plotters looks fonts up by the
/// family string (`FontFamily::as_str`, `"sans-serif"` for the default family) and falls back to
/// the `Normal` style of that name for bold/italic, so one registration covers all text.
fn ensure_font() -> Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(common::FONT, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err("the embedded DejaVu Sans font could not be parsed".into())
    }
}

/// `stem` with `.ext` appended (not replaced: `run.v1` becomes `run.v1.svg`).
fn with_ext(stem: &Path, ext: &str) -> PathBuf {
    let mut s = OsString::from(stem.as_os_str());
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Draw `fig` into `<stem>.svg` and `<stem>.png`.
fn render<F: Figure>(stem: &Path, fig: &F) -> Result<[PathBuf; 2], PlotError> {
    let svg = with_ext(stem, "svg");
    let png = with_ext(stem, "png");
    if let Some(dir) = stem.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|err| PlotError {
            path: dir.to_path_buf(),
            cause: format!("cannot create directory: {err}"),
        })?;
    }
    ensure_font().map_err(|cause| PlotError {
        path: svg.clone(),
        cause,
    })?;
    let size = fig.size();
    // Draw into temporary siblings and rename into place: a failed or interrupted draw never leaves
    // a half-written plot behind.
    let (svg_tmp, png_tmp) = (tmp_sibling(&svg), tmp_sibling(&png));
    let drawn = guarded(&svg, || {
        let root = SVGBackend::new(&svg_tmp, size).into_drawing_area();
        fig.draw(&root, true)?;
        root.present().map_err(common::e)
    })
    .and_then(|()| {
        guarded(&png, || {
            let root = BitMapBackend::new(&png_tmp, size).into_drawing_area();
            fig.draw(&root, false)?;
            root.present().map_err(common::e)
        })
    })
    .and_then(|()| {
        for (tmp, dst) in [(&svg_tmp, &svg), (&png_tmp, &png)] {
            std::fs::rename(tmp, dst).map_err(|err| PlotError {
                path: dst.clone(),
                cause: format!("cannot move into place: {err}"),
            })?;
        }
        Ok(())
    });
    if drawn.is_err() {
        let _ = std::fs::remove_file(&svg_tmp);
        let _ = std::fs::remove_file(&png_tmp);
    }
    drawn.map(|()| [svg, png])
}

/// `dir/.name.tmp<pid>.ext`: same directory (so the rename is atomic), same extension (plotters picks
/// the image encoder from it).
fn tmp_sibling(path: &Path) -> PathBuf {
    let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or("plot");
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    path.with_file_name(format!(".{name}.tmp{}.{ext}", std::process::id()))
}

/// Run one backend's drawing; a panic inside plotters becomes an error instead of taking the
/// caller (typically at the end of a long simulation) down with it.
fn guarded(path: &Path, f: impl FnOnce() -> Result<(), String>) -> Result<(), PlotError> {
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err("plotting panicked (bug in the plot module)".into()));
    res.map_err(|cause| PlotError {
        path: path.to_path_buf(),
        cause,
    })
}
