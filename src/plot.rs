//! PNG plots for the examples: a training history (loss and a metric per epoch, training and
//! validation), a scatter of data with a fitted line, and line charts of several series against
//! a shared x axis (e.g. a forecast against the truth).
//!
//! Plots are drawn by plotters into an RGB buffer and written with the `png` crate. Text is
//! rendered with DejaVu Sans, bundled in `examples/assets/` (its licence beside it) and
//! registered with plotters' `ab_glyph` backend on first use, so nothing is read from the system.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kiln::train::History;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

/// DejaVu Sans (Bitstream Vera licence, see `examples/assets/LICENSE_DEJAVU`).
static DEJAVU_SANS: &[u8] = include_bytes!("../examples/assets/DejaVuSans.ttf");

/// The family name plots ask for; the bundled font is registered under it.
const FONT: &str = "sans-serif";

/// Why a plot could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The history holds no epoch, or the data no point.
    #[error("nothing to plot: {0}")]
    Empty(&'static str),
    /// A requested metric was not recorded in the history.
    #[error("the history has no metric `{0}`")]
    MissingMetric(String),
    /// The bundled font could not be parsed.
    #[error("the bundled font could not be loaded")]
    Font,
    /// plotters failed while drawing.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// The output file or its folder could not be created.
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// PNG encoding failed.
    #[error("cannot encode {path}: {source}")]
    Encode {
        path: PathBuf,
        source: png::EncodingError,
    },
}

/// Registers the bundled font once per process.
fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok =
        *REGISTERED.get_or_init(|| register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

fn draw_err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError::Draw(e.to_string())
}

/// Draws into a `width × height` RGB canvas with `draw`, then writes it to `path` as PNG
/// (creating the parent folder).
fn render(
    path: &Path,
    (width, height): (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<(), PlotError>,
) -> Result<(), PlotError> {
    ensure_font()?;
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    let io = |source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let file = File::create(path).map_err(io)?;
    let encode = |source| PlotError::Encode {
        path: path.to_path_buf(),
        source,
    };
    let mut encoder = png::Encoder::new(BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(encode)?;
    writer.write_image_data(&pixels).map_err(encode)?;
    writer.finish().map_err(encode)
}

/// `(min, max)` of `values`, widened a little (and never empty).
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-6);
    (lo - pad, hi + pad)
}

/// Plots `history` per epoch, one panel per name in `metrics` (e.g. `&["loss", "accuracy"]`),
/// side by side; each panel shows the training curve and, when recorded, the validation curve
/// (`val_<name>`). Writes a PNG to `path`.
pub fn history_png(
    history: &History,
    metrics: &[&str],
    path: impl AsRef<Path>,
) -> Result<(), PlotError> {
    if history.epochs.is_empty() {
        return Err(PlotError::Empty("the history has no epoch"));
    }
    if metrics.is_empty() {
        return Err(PlotError::Empty("no metric requested"));
    }
    let mut series = Vec::with_capacity(metrics.len());
    for &name in metrics {
        let train = history
            .get(name)
            .ok_or_else(|| PlotError::MissingMetric(name.to_string()))?;
        series.push((name, train, history.get(&format!("val_{name}"))));
    }
    let size = (520 * metrics.len() as u32, 400);
    render(path.as_ref(), size, |root| {
        let panels = root.split_evenly((1, metrics.len()));
        for (panel, (name, train, val)) in panels.iter().zip(&series) {
            let epochs = train.len();
            let (lo, hi) = range(train.iter().chain(val.iter().flatten()).copied());
            let mut chart = ChartBuilder::on(panel)
                .caption(*name, (FONT, 22))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(56)
                .build_cartesian_2d(1f64..(epochs.max(2)) as f64, lo..hi)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_desc("epoch")
                .x_labels(epochs.clamp(2, 10))
                .x_label_formatter(&|x| format!("{x:.0}"))
                .light_line_style(TRANSPARENT)
                .label_style((FONT, 13))
                .draw()
                .map_err(draw_err)?;
            let points = |v: &[f64]| -> Vec<(f64, f64)> {
                v.iter()
                    .enumerate()
                    .map(|(i, &y)| ((i + 1) as f64, y))
                    .collect()
            };
            let curves = [
                (Some(train.as_slice()), "train", BLUE),
                (val.as_deref(), "validation", RED),
            ];
            for (values, label, color) in curves {
                let Some(values) = values else { continue };
                let pts = points(values);
                chart
                    .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                    .map_err(draw_err)?
                    .label(label)
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                    });
                chart
                    .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                    .map_err(draw_err)?;
            }
            chart
                .configure_series_labels()
                .label_font((FONT, 14))
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(draw_err)?;
        }
        Ok(())
    })
}

/// Labels of an [`xy_png`] plot.
#[derive(Clone, Copy, Debug)]
pub struct XyLabels<'a> {
    /// Caption above the plot.
    pub title: &'a str,
    /// Legend entry of the scattered points.
    pub points: &'a str,
    /// Legend entry of the line.
    pub line: &'a str,
}

/// Scatters `points` and draws `line` (a polyline, e.g. a fitted model evaluated at sorted
/// inputs) over them; writes a PNG to `path`.
pub fn xy_png(
    points: &[(f64, f64)],
    line: &[(f64, f64)],
    labels: XyLabels<'_>,
    path: impl AsRef<Path>,
) -> Result<(), PlotError> {
    if points.is_empty() && line.is_empty() {
        return Err(PlotError::Empty("no points and no line"));
    }
    let all = || points.iter().chain(line);
    let (x0, x1) = range(all().map(|p| p.0));
    let (y0, y1) = range(all().map(|p| p.1));
    render(path.as_ref(), (640, 480), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(labels.title, (FONT, 22))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc("x")
            .y_desc("y")
            .light_line_style(TRANSPARENT)
            .label_style((FONT, 13))
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, 2, BLUE.mix(0.6).filled())),
            )
            .map_err(draw_err)?
            .label(labels.points)
            .legend(|(x, y)| Circle::new((x + 10, y), 3, BLUE.filled()));
        chart
            .draw_series(LineSeries::new(line.iter().copied(), RED.stroke_width(3)))
            .map_err(draw_err)?
            .label(labels.line)
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED.stroke_width(3)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(draw_err)?;
        Ok(())
    })
}

/// How strongly a [`Line`] of a [`lines_png`] chart is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emphasis {
    /// 2 px, opaque: the series the chart is about.
    Strong,
    /// 1 px, opaque.
    Normal,
    /// 1 px, pale: a reference to compare against.
    Faint,
}

/// One series of a [`Chart`]: a polyline through `points` (in x order), its legend entry, colour
/// and emphasis.
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    /// Legend entry.
    pub label: &'a str,
    /// `(x, y)` points, joined in the given order.
    pub points: &'a [(f64, f64)],
    /// Colour, e.g. `plotters::style::RED`.
    pub color: RGBColor,
    /// Stroke width and opacity.
    pub emphasis: Emphasis,
}

impl Line<'_> {
    fn style(&self) -> ShapeStyle {
        match self.emphasis {
            Emphasis::Strong => self.color.stroke_width(2),
            Emphasis::Normal => self.color.stroke_width(1),
            Emphasis::Faint => self.color.mix(0.45).stroke_width(1),
        }
    }
}

/// One panel of a [`lines_png`] figure: lines over a shared pair of axes.
#[derive(Clone, Copy, Debug)]
pub struct Chart<'a> {
    /// Caption above the panel.
    pub title: &'a str,
    /// Name of the x axis.
    pub x: &'a str,
    /// Name of the y axis.
    pub y: &'a str,
    /// The series, drawn in order (later ones on top).
    pub lines: &'a [Line<'a>],
    /// Which corner the legend goes in.
    pub legend: Corner,
}

/// A corner of a chart, for its legend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corner {
    UpperLeft,
    UpperRight,
    LowerLeft,
    LowerRight,
}

impl Corner {
    fn position(self) -> SeriesLabelPosition {
        match self {
            Corner::UpperLeft => SeriesLabelPosition::UpperLeft,
            Corner::UpperRight => SeriesLabelPosition::UpperRight,
            Corner::LowerLeft => SeriesLabelPosition::LowerLeft,
            Corner::LowerRight => SeriesLabelPosition::LowerRight,
        }
    }
}

/// Tick labels with as many decimals as a tenth of the axis span needs (`1970`, `0.25`).
fn tick_formatter((lo, hi): (f64, f64)) -> impl Fn(&f64) -> String {
    let decimals = (-((hi - lo) / 10.0).log10().floor()).clamp(0.0, 6.0) as usize;
    move |v| format!("{v:.decimals$}")
}

/// Draws `charts` stacked top to bottom, each with its axes fitted to its points (non-finite ones
/// left out of the ranges) and a legend, into one `width × height` PNG written to `path`.
pub fn lines_png(
    charts: &[Chart<'_>],
    (width, height): (u32, u32),
    path: impl AsRef<Path>,
) -> Result<(), PlotError> {
    if charts.is_empty() {
        return Err(PlotError::Empty("no chart"));
    }
    if charts
        .iter()
        .any(|c| c.lines.iter().all(|l| l.points.is_empty()))
    {
        return Err(PlotError::Empty("a chart has no point"));
    }
    render(path.as_ref(), (width, height), |root| {
        let panels = root.split_evenly((charts.len(), 1));
        for (panel, spec) in panels.iter().zip(charts) {
            let all = || spec.lines.iter().flat_map(|l| l.points.iter());
            let xs = range(all().map(|p| p.0));
            let ys = range(all().map(|p| p.1));
            let mut chart = ChartBuilder::on(panel)
                .caption(spec.title, (FONT, 20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(56)
                .build_cartesian_2d(xs.0..xs.1, ys.0..ys.1)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_desc(spec.x)
                .y_desc(spec.y)
                .x_label_formatter(&tick_formatter(xs))
                .y_label_formatter(&tick_formatter(ys))
                .light_line_style(TRANSPARENT)
                .label_style((FONT, 13))
                .draw()
                .map_err(draw_err)?;
            for line in spec.lines {
                let style = line.style();
                chart
                    .draw_series(LineSeries::new(line.points.iter().copied(), style))
                    .map_err(draw_err)?
                    .label(line.label)
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 20, y)], style.stroke_width(2))
                    });
            }
            chart
                .configure_series_labels()
                .position(spec.legend.position())
                .label_font((FONT, 14))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(draw_err)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln::train::EpochLogs;

    fn logs(epoch: usize, loss: f64, acc: f64) -> EpochLogs {
        EpochLogs {
            epoch,
            loss,
            metrics: vec![("accuracy", acc)],
            val_loss: Some(loss * 1.1),
            val_metrics: vec![("accuracy", acc * 0.98)],
            learning_rate: 1e-3,
            seconds: 1.0,
            samples_per_second: 1.0,
        }
    }

    fn is_png(path: &Path) -> bool {
        std::fs::read(path)
            .unwrap()
            .starts_with(b"\x89PNG\r\n\x1a\n")
    }

    #[test]
    fn history_and_xy_plots_are_written() {
        let dir = crate::scratch::tempdir().unwrap();
        let history = History {
            epochs: vec![logs(0, 0.5, 0.8), logs(1, 0.3, 0.9), logs(2, 0.2, 0.95)],
            stopped_early_at: None,
        };
        let path = dir.path().join("sub/history.png");
        history_png(&history, &["loss", "accuracy"], &path).unwrap();
        assert!(is_png(&path));
        let err = history_png(&history, &["mae"], dir.path().join("x.png")).unwrap_err();
        assert!(
            matches!(err, PlotError::MissingMetric(ref m) if m == "mae"),
            "{err}"
        );

        let points: Vec<(f64, f64)> = (0..20).map(|i| (i as f64, 2.0 * i as f64 + 1.0)).collect();
        let path = dir.path().join("fit.png");
        let labels = XyLabels {
            title: "fit",
            points: "data",
            line: "model",
        };
        xy_png(&points, &[(0.0, 1.0), (19.0, 39.0)], labels, &path).unwrap();
        assert!(is_png(&path));
    }

    #[test]
    fn line_charts_are_written() {
        let dir = crate::scratch::tempdir().unwrap();
        let truth: Vec<(f64, f64)> = (0..50)
            .map(|i| (i as f64, (i as f64 / 5.0).sin()))
            .collect();
        let shifted: Vec<(f64, f64)> = truth.windows(2).map(|w| (w[1].0, w[0].1)).collect();
        let lines = [
            Line {
                label: "truth",
                points: &truth,
                color: BLACK,
                emphasis: Emphasis::Normal,
            },
            Line {
                label: "naive",
                points: &shifted,
                color: BLUE,
                emphasis: Emphasis::Faint,
            },
        ];
        let chart = Chart {
            title: "sine",
            x: "t",
            y: "sin",
            lines: &lines,
            legend: Corner::UpperRight,
        };
        let zoom = Chart {
            title: "zoom",
            lines: &lines[..1],
            ..chart
        };
        let path = dir.path().join("lines.png");
        lines_png(&[chart, zoom], (800, 600), &path).unwrap();
        assert!(is_png(&path));
        let no_point = [Line {
            points: &[],
            ..lines[0]
        }];
        let empty = Chart {
            lines: &no_point,
            ..chart
        };
        for charts in [&[][..], &[chart, empty][..]] {
            let err = lines_png(charts, (800, 400), &path).unwrap_err();
            assert!(matches!(err, PlotError::Empty(_)), "{err}");
        }
        assert_eq!(tick_formatter((1970.0, 2009.0))(&1980.0), "1980");
        assert_eq!(tick_formatter((0.0, 0.5))(&0.25), "0.25");
    }
}
