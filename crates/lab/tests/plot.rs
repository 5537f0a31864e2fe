//! Tests of `mixsig_lab::plot`: every plot kind writes an SVG containing its title and a PNG of
//! the documented size on which the title and the data were actually drawn (with the embedded
//! font, no system fonts needed); degenerate inputs must not panic.
//!
//! Set `MIXSIG_PLOT_KEEP=/some/dir` to write the plots there (for looking at them) instead of a
//! throwaway temp directory.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use mixsig_lab::plot::{self, Curve, RasterGroup, TracePanel};

/// A fresh output directory, unique per test and process.
fn out_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    if let Ok(keep) = std::env::var("MIXSIG_PLOT_KEEP") {
        return PathBuf::from(keep);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "mixsig-plot-{}-{}-{}-{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed),
        name
    ))
}

/// Deterministic pseudo-random numbers in [0, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-12), self.next());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn is_dark(p: &image::Rgb<u8>) -> bool {
    p.0.iter().map(|c| *c as u32).sum::<u32>() < 3 * 110
}

/// Both files exist, the SVG is an SVG document containing `title`, the PNG has the PNG
/// signature, decodes to `size`, is not blank, and the title was rendered as dark pixels
/// in the top band.
fn check(paths: &[PathBuf; 2], title: &str, size: (u32, u32)) -> image::RgbImage {
    let [svg, png] = paths;
    assert_eq!(svg.extension().unwrap(), "svg");
    assert_eq!(png.extension().unwrap(), "png");
    let text = std::fs::read_to_string(svg).expect("svg written");
    assert!(text.trim_start().starts_with("<svg") || text.starts_with("<?xml"));
    assert!(text.trim_end().ends_with("</svg>"), "svg is complete");
    assert!(text.contains(title), "svg contains the title");
    assert_eq!(
        text.matches('<').count(),
        text.matches('>').count(),
        "svg tags balanced"
    );

    let bytes = std::fs::read(png).expect("png written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "png signature");
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .expect("png decodes")
        .to_rgb8();
    assert_eq!(img.dimensions(), size);

    let non_white = img.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    assert!(
        non_white > 2000,
        "png is not blank ({non_white} drawn pixels)"
    );

    // The title is centred in the top 44 px: its glyphs must leave dark pixels there.
    let (w, _) = img.dimensions();
    let title_dark = (0..44)
        .flat_map(|y| (w / 4..3 * w / 4).map(move |x| (x, y)))
        .filter(|&(x, y)| is_dark(img.get_pixel(x, y)))
        .count();
    assert!(
        title_dark > 150,
        "title text rendered ({title_dark} dark pixels)"
    );
    img
}

fn spikes(rng: &mut Rng, n: u32, rate_hz: f64, t_max: f64) -> (Vec<f64>, Vec<u32>) {
    let (mut t, mut id) = (Vec::new(), Vec::new());
    for i in 0..n {
        let mut s = 0.0;
        loop {
            s += -rng.next().max(1e-12).ln() / rate_hz;
            if s > t_max {
                break;
            }
            t.push(s);
            id.push(i);
        }
    }
    (t, id)
}

#[test]
fn raster_renders_groups() {
    let dir = out_dir("raster");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (te, ne) = spikes(&mut rng, 80, 12.0, 0.5);
    let (ti, ni) = spikes(&mut rng, 20, 40.0, 0.5);
    let groups = [
        RasterGroup {
            name: "excitatory",
            times_s: &te,
            neuron: &ne,
            size: 80,
        },
        RasterGroup {
            name: "inhibitory",
            times_s: &ti,
            neuron: &ni,
            size: 20,
        },
    ];
    let title = "Raster EI network";
    let paths = plot::raster(&dir.join("raster"), title, &groups, 0.5).unwrap();
    check(&paths, title, (plot::WIDTH, plot::HEIGHT));
    let svg = std::fs::read_to_string(&paths[0]).unwrap();
    assert!(svg.contains("excitatory") && svg.contains("inhibitory"));
    assert!(
        svg.contains("time (ms)"),
        "sub-second runs are labelled in ms"
    );
}

#[test]
fn traces_render_panels_with_log_axis() {
    let dir = out_dir("traces");
    let n = 20_000;
    let t: Vec<f64> = (0..n).map(|i| i as f64 * 1e-4).collect();
    let v: Vec<f64> = t
        .iter()
        .map(|t| -0.065 + 0.015 * ((t * 37.0) % 1.0))
        .collect();
    let v2: Vec<f64> = v.iter().map(|x| x - 0.004).collect();
    let i_syn: Vec<f64> = t
        .iter()
        .map(|t| 1e-12 + 2e-9 * (-((t * 5.0) % 1.0) * 8.0).exp())
        .collect();
    let i_ahp: Vec<f64> = i_syn.iter().map(|x| x * 0.05).collect();
    let panels = [
        TracePanel {
            label: "V_mem",
            unit: "V",
            log_y: false,
            series: vec![("neuron 0".into(), &v), ("neuron 1".into(), &v2)],
        },
        TracePanel {
            label: "I_syn",
            unit: "A",
            log_y: true,
            series: vec![("I_ampa".into(), &i_syn), ("I_ahp".into(), &i_ahp)],
        },
    ];
    let title = "Traces two neurons";
    let paths = plot::traces(&dir.join("traces"), title, &t, &panels).unwrap();
    check(&paths, title, (plot::WIDTH, plot::HEIGHT));
    let svg = std::fs::read_to_string(&paths[0]).unwrap();
    assert!(
        svg.contains("V_mem (mV)"),
        "linear axis carries the prefixed unit"
    );
    assert!(
        svg.contains("pA") || svg.contains("nA"),
        "log ticks in SI units"
    );
    assert!(svg.contains("I_ampa"), "legend");
    assert!(
        svg.len() < 2_000_000,
        "long series are decimated ({} bytes)",
        svg.len()
    );
}

#[test]
fn traces_grow_with_many_panels() {
    let dir = out_dir("traces5");
    let t: Vec<f64> = (0..100).map(|i| i as f64 * 0.02).collect();
    let y: Vec<f64> = t.iter().map(|t| t.sin()).collect();
    let panels: Vec<TracePanel> = (0..5)
        .map(|_| TracePanel {
            label: "x",
            unit: "",
            log_y: false,
            series: vec![("x".into(), &y[..])],
        })
        .collect();
    let paths = plot::traces(&dir.join("five"), "Five panels", &t, &panels).unwrap();
    check(&paths, "Five panels", (plot::WIDTH, 120 + 220 * 5));
}

#[test]
fn curves_with_bands_and_log_x() {
    let dir = out_dir("curves");
    let x: Vec<f64> = (0..12)
        .map(|i| 1e-12 * 10f64.powf(i as f64 / 3.0))
        .collect();
    let y1: Vec<f64> = x.iter().map(|x| 40.0 * (x / 1e-12).ln().max(0.0)).collect();
    let y2: Vec<f64> = y1.iter().map(|y| y * 0.6).collect();
    let lo: Vec<f64> = y1.iter().map(|y| y * 0.85).collect();
    let hi: Vec<f64> = y1.iter().map(|y| y * 1.15).collect();
    let curves = [
        Curve {
            name: "physical AdExp",
            x: &x,
            y: &y1,
            band: Some((&lo, &hi)),
        },
        Curve {
            name: "dynapsim",
            x: &x,
            y: &y2,
            band: None,
        },
    ];
    let title = "FI curve with mismatch";
    let paths = plot::curves(
        &dir.join("fi"),
        title,
        "input current (A)",
        "rate (Hz)",
        true,
        &curves,
    )
    .unwrap();
    check(&paths, title, (plot::WIDTH, plot::HEIGHT));
    let svg = std::fs::read_to_string(&paths[0]).unwrap();
    assert!(svg.contains("1 pA") && svg.contains("1 nA"), "SI log ticks");
    assert!(svg.contains("dynapsim"), "legend");
}

#[test]
fn curves_with_log_y_axis() {
    let dir = out_dir("curves-logy");
    let x: Vec<f64> = (0..256).map(|f| f as f64).collect();
    let y: Vec<f64> = x.iter().map(|f| 0.5e-12 + f * 1e-11).collect();
    let c = [plot::Curve {
        name: "coarse 2",
        x: &x,
        y: &y,
        band: None,
    }];
    let title = "Bias current vs fine";
    let p = plot::curves_axes(
        &dir.join("b"),
        title,
        "fine",
        "current (A)",
        false,
        true,
        &c,
    )
    .unwrap();
    check(&p, title, (plot::WIDTH, plot::HEIGHT));
    let svg = std::fs::read_to_string(&p[0]).unwrap();
    // Decade ticks from 1 pA to 1 nA appear only on a logarithmic axis (a linear one has 0..2.5 nA).
    assert!(
        svg.contains("1 pA") && svg.contains("10 pA") && svg.contains("1 nA"),
        "log y ticks"
    );
}

#[test]
fn histogram_linear_and_log() {
    let dir = out_dir("hist");
    let mut rng = Rng(42);
    let vals: Vec<f64> = (0..5000)
        .map(|_| 1e-9 * (0.2 * rng.normal()).exp())
        .collect();
    let title = "Threshold current spread";
    let p = plot::histogram(&dir.join("h"), title, "I_th (A)", &vals, 40, false).unwrap();
    check(&p, title, (plot::WIDTH, plot::HEIGHT));
    let svg = std::fs::read_to_string(&p[0]).unwrap();
    assert!(svg.contains("I_th (nA)") && svg.contains("n = 5000"));
    let p = plot::histogram(&dir.join("hlog"), "Log binned", "I_th (A)", &vals, 30, true).unwrap();
    check(&p, "Log binned", (plot::WIDTH, plot::HEIGHT));
}

#[test]
fn histograms_grid_small_multiples() {
    let dir = out_dir("grid");
    let mut rng = Rng(7);
    let names = [
        "I_tau (A)",
        "I_gain (A)",
        "C_mem (F)",
        "kappa",
        "V_th (V)",
        "I_ref (A)",
        "weight",
    ];
    let panels: Vec<(String, Vec<f64>)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let scale = [5e-12, 2e-11, 2e-12, 0.7, 0.4, 1e-10, 1.0][i];
            let v = (0..800)
                .map(|_| scale * (1.0 + 0.1 * rng.normal()))
                .collect();
            (n.to_string(), v)
        })
        .collect();
    let title = "Device mismatch per parameter";
    let p = plot::histograms_grid(&dir.join("grid"), title, &panels, 25).unwrap();
    check(&p, title, (plot::WIDTH, plot::HEIGHT));
    let svg = std::fs::read_to_string(&p[0]).unwrap();
    assert!(svg.contains("kappa") && svg.contains("CV"));
}

#[test]
fn degenerate_inputs_do_not_panic() {
    let dir = out_dir("edge");
    let nan = f64::NAN;
    let inf = f64::INFINITY;

    // Empty raster: no groups, and groups without spikes, NaN t_max.
    let p = plot::raster(&dir.join("raster_empty"), "Empty raster", &[], 1.0).unwrap();
    let img = check(&p, "Empty raster", (plot::WIDTH, plot::HEIGHT));
    assert!(std::fs::read_to_string(&p[0])
        .unwrap()
        .contains("no spikes"));
    let (w, h) = img.dimensions();
    let centre_ink = (h / 2 - 30..h / 2 + 30)
        .flat_map(|y| (w / 2 - 150..w / 2 + 150).map(move |x| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y).0[0] < 200)
        .count();
    assert!(centre_ink > 100, "'no spikes' drawn ({centre_ink} px)");
    let g = [
        RasterGroup {
            name: "a",
            times_s: &[],
            neuron: &[],
            size: 10,
        },
        RasterGroup {
            name: "zero-size",
            times_s: &[0.1, nan, -1.0, inf],
            neuron: &[0, 1, 2, 3],
            size: 0,
        },
        RasterGroup {
            name: "mismatched",
            times_s: &[0.1, 0.2, nan, 5.0],
            neuron: &[0, 99],
            size: 3,
        },
    ];
    plot::raster(&dir.join("raster_odd"), "Odd raster", &g, nan).unwrap();

    // Traces: NaN/inf holes, a log panel with zeros and negatives, an all-NaN panel, a
    // constant series, a single sample, series longer than t, and no panels at all.
    let t: Vec<f64> = (0..50).map(|i| i as f64 * 1e-3).collect();
    let holes: Vec<f64> = (0..50)
        .map(|i| match i % 7 {
            0 => nan,
            3 => inf,
            _ => i as f64,
        })
        .collect();
    let zeros: Vec<f64> = (0..50).map(|i| (i as f64 - 10.0) * 1e-12).collect();
    let all_nan = vec![nan; 50];
    let constant = vec![0.7; 80];
    let panels = [
        TracePanel {
            label: "holes",
            unit: "V",
            log_y: false,
            series: vec![("h".into(), &holes), ("c".into(), &constant)],
        },
        TracePanel {
            label: "log with zeros",
            unit: "A",
            log_y: true,
            series: vec![("z".into(), &zeros)],
        },
        TracePanel {
            label: "all NaN",
            unit: "A",
            log_y: true,
            series: vec![("n".into(), &all_nan)],
        },
    ];
    plot::traces(&dir.join("traces_odd"), "Odd traces", &t, &panels).unwrap();
    plot::traces(&dir.join("traces_none"), "No panels", &t, &[]).unwrap();
    plot::traces(&dir.join("traces_no_t"), "No time", &[], &panels).unwrap();
    plot::traces(&dir.join("traces_one"), "One sample", &[0.5], &panels).unwrap();
    let many: Vec<TracePanel> = (0..60).map(|_| panels[0].clone()).collect();
    plot::traces(&dir.join("traces_many"), "Sixty panels", &t, &many).unwrap();

    // Curves: single point, empty, NaN band, all x <= 0 on a log axis, huge values.
    let one = Curve {
        name: "single",
        x: &[1.0],
        y: &[2.0],
        band: Some((&[1.5], &[2.5])),
    };
    let empty = Curve {
        name: "empty",
        x: &[],
        y: &[],
        band: None,
    };
    let nonpos = Curve {
        name: "nonpos",
        x: &[0.0, -1.0, 0.0],
        y: &[1.0, nan, 3.0],
        band: Some((&[nan, nan, nan], &[0.0])),
    };
    let huge = Curve {
        name: "huge",
        x: &[1.0, 2.0, 3.0],
        y: &[-1e308, 1e308, 0.0],
        band: None,
    };
    plot::curves(&dir.join("c1"), "Single point", "x", "y", false, &[one]).unwrap();
    plot::curves(&dir.join("c2"), "No curves", "x", "y", true, &[]).unwrap();
    plot::curves(
        &dir.join("c3"),
        "Odd curves",
        "x (A)",
        "y",
        true,
        &[empty, nonpos, one],
    )
    .unwrap();
    plot::curves(&dir.join("c4"), "Huge", "x", "y", false, &[huge]).unwrap();

    // Histograms: empty, all NaN, constant, log with zeros, zero bins.
    plot::histogram(&dir.join("h1"), "Empty hist", "x", &[], 10, false).unwrap();
    plot::histogram(&dir.join("h2"), "NaN hist", "x", &[nan, inf], 10, false).unwrap();
    plot::histogram(&dir.join("h3"), "Constant", "x (V)", &[0.3; 9], 10, false).unwrap();
    plot::histogram(
        &dir.join("h4"),
        "Log zeros",
        "x",
        &[0.0, -1.0, 1e-9, 2e-9],
        0,
        true,
    )
    .unwrap();
    plot::histograms_grid(&dir.join("g1"), "Empty grid", &[], 10).unwrap();
    let odd = vec![
        ("empty".to_string(), vec![]),
        ("nan".to_string(), vec![nan]),
        ("const (A)".to_string(), vec![1e-12; 5]),
        ("one".to_string(), vec![3.0]),
    ];
    let p = plot::histograms_grid(&dir.join("g2"), "Odd grid", &odd, 0).unwrap();
    check(&p, "Odd grid", (plot::WIDTH, plot::HEIGHT));
}

#[test]
fn creates_parent_dirs_and_appends_extensions() {
    let dir = out_dir("dirs").join("a").join("b");
    let stem = dir.join("run.v1");
    let [svg, png] = plot::histogram(&stem, "Nested", "x", &[1.0, 2.0], 5, false).unwrap();
    assert_eq!(svg, dir.join("run.v1.svg"));
    assert_eq!(png, dir.join("run.v1.png"));
    assert!(svg.is_file() && png.is_file());
}

#[test]
fn unwritable_path_is_an_error_naming_the_path() {
    let dir = out_dir("err");
    std::fs::create_dir_all(&dir).unwrap();
    // A regular file where a directory is needed.
    let blocker = dir.join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let err = plot::histogram(&blocker.join("h"), "t", "x", &[1.0], 5, false).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&*blocker.to_string_lossy()), "{msg}");
    let _ = Path::new(&msg);
}
