//! Figures: plain chart data in, SVG and PNG files out.
//!
//! The report stage turns metrics into a [`Figure`] (a title and one [`Chart`] of plain numbers and labels) and
//! calls [`render`], which writes `<stem>.svg` and `<stem>.png`. Nothing here knows about the store or the metrics:
//! the module exists so that every figure of the paper (OER vs τ curves, AD bars, box plots, radar, 3-D scatter,
//! defense comparisons, trade-offs and heatmaps) is drawn the same way, legibly and byte-for-byte reproducibly.
//!
//! Layout: this file defines the data and dispatches a figure to the module that draws its chart kind (`lines`,
//! `bars`, `boxes`, `radar`, `scatter3d`, `tradeoff`, `heatmap`); `draw` is the toolkit they share and knows no kind.
//!
//! Text is drawn with DejaVu Sans from the `dejavu` crate, registered with plotters' `ab_glyph` backend, so the
//! PNG files carry readable text on machines with no fonts installed. The SVG names the `sans-serif` family and
//! is laid out with the same font metrics. Series take their colors from the Okabe-Ito palette, in input order,
//! and their markers from a fixed list of shapes, so a figure reads in grayscale and for colorblind readers.
//! Non-finite values and `None` are skipped; a chart with nothing to draw says "no data".

mod bars;
mod boxes;
mod draw;
mod heatmap;
mod lines;
mod radar;
mod scatter3d;
#[cfg(test)]
mod tests;
mod tradeoff;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;

use crate::{Error, Result};
use draw::{Area, Ctx, PxRect, Res, err, header, no_data};

/// One observation of a line: `lo`/`hi` are the ends of its error bar or band, when known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
}

impl Point {
    /// A point without an interval.
    pub fn new(x: f64, y: f64) -> Self {
        Point { x, y, lo: None, hi: None }
    }

    /// A point with an interval `[lo, hi]`.
    pub fn with_interval(x: f64, y: f64, lo: f64, hi: f64) -> Self {
        Point { x, y, lo: Some(lo), hi: Some(hi) }
    }
}

/// A named line of a [`Chart::Lines`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<Point>,
    pub dashed: bool,
}

/// A bar series: its label and, per group, the value and an optional absolute interval `(lo, hi)`.
pub type BarSeries = (String, Vec<(f64, Option<(f64, f64)>)>);
/// A 3-D scatter group: its label and its points.
pub type Group3d = (String, Vec<(f64, f64, f64)>);
/// A trade-off series: its label and its points `(x, y, annotation)`.
pub type TradeoffSeries = (String, Vec<(f64, f64, String)>);

/// What a figure shows. Each variant holds plain data; the figure numbers refer to arXiv 2510.18563.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Lines with markers and optional error bars / shaded band (lo/hi): fig 3 (OER vs τ per framework), 5 (task
    /// success vs τ per model), 9 (OER vs τ per defense), fitted trust-risk curves with 95 % bands (dense points,
    /// `band: true`). Points are drawn in x order; points outside `y_range` are skipped. An empty or reversed
    /// `y_range` is replaced by the data's range.
    Lines { series: Vec<Series>, band: bool, x_label: String, y_label: String, y_range: (f64, f64) },
    /// Grouped bars with optional error bars (absolute `(lo, hi)`): fig 4 (AD by model, AD by framework). `groups`
    /// are the x categories; each bar series has one color and one value per group.
    Bars { groups: Vec<String>, series: Vec<BarSeries>, y_label: String },
    /// Box plots: fig 6 (OER at each τ over all chains/sub-scenes): one box per category with its raw values;
    /// whiskers reach the furthest value within 1.5 IQR of the box, values beyond are drawn as dots.
    Boxes { categories: Vec<(String, Vec<f64>)>, y_label: String },
    /// Radar: fig 7: axes = labels (e.g. τ = 0.1, 0.5, 0.9), one polygon per series with values in [0, 1].
    Radar { axes: Vec<String>, series: Vec<(String, Vec<f64>)> },
    /// 3-D scatter: fig 8: (OER(0.1), OER(0.5), OER(0.9)) per sub-scene, one color per group (framework).
    Scatter3d { groups: Vec<Group3d>, axis_labels: [String; 3] },
    /// Labeled scatter with connecting lines per series: task success vs OER, one line per system through its τ
    /// points in the given order, each point annotated with its text (e.g. "τ=0.5").
    Tradeoff { series: Vec<TradeoffSeries>, x_label: String, y_label: String },
    /// Heatmap: rows × columns with values in [0, 1], a color scale legend and the value printed in each cell: OER
    /// by scenario × τ per system. `values[row][column]`; `None` cells are left gray.
    Heatmap { rows: Vec<String>, columns: Vec<String>, values: Vec<Vec<Option<f64>>>, value_label: String },
}

/// A chart with its title; `stem` names the output files.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub stem: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub chart: Chart,
}

impl Figure {
    /// A figure without a subtitle.
    pub fn new(stem: impl Into<String>, title: impl Into<String>, chart: Chart) -> Self {
        Figure { stem: stem.into(), title: title.into(), subtitle: None, chart }
    }

    /// The same figure with a subtitle under its title.
    pub fn with_subtitle(mut self, subtitle: impl Into<String>) -> Self {
        self.subtitle = Some(subtitle.into());
        self
    }

    /// The canvas size in SVG pixels: 1200 × 800, taller when a heatmap has many rows or a legend many entries.
    pub fn size(&self) -> (u32, u32) {
        let entries = match &self.chart {
            Chart::Lines { series, .. } => series.len(),
            Chart::Bars { series, .. } => series.len(),
            Chart::Radar { series, .. } => series.len(),
            Chart::Scatter3d { groups, .. } => groups.len(),
            Chart::Tradeoff { series, .. } => series.len(),
            Chart::Heatmap { rows, .. } => rows.len(),
            Chart::Boxes { .. } => 0,
        };
        let per_entry = if matches!(self.chart, Chart::Heatmap { .. }) { 34 } else { 30 };
        let height = (230 + entries * per_entry).clamp(BASE_HEIGHT as usize, 4000) as u32;
        (BASE_WIDTH, height)
    }
}

const BASE_WIDTH: u32 = 1200;
const BASE_HEIGHT: u32 = 800;
/// PNG pixels per SVG pixel: the PNG is 1800 × 1200 for a default figure.
const PNG_SCALE: f64 = 1.5;

/// Render to `<dir>/<stem>.svg` and `<dir>/<stem>.png`, creating `dir` if needed; returns both paths.
pub fn render(fig: &Figure, dir: &Path) -> Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    let svg_path = dir.join(format!("{}.svg", fig.stem));
    let png_path = dir.join(format!("{}.png", fig.stem));
    let text = svg(fig)?;
    std::fs::write(&svg_path, text).map_err(|source| Error::Write { path: svg_path.clone(), source })?;
    png(fig, &png_path)?;
    Ok((svg_path, png_path))
}

/// The SVG as a string (what [`render`] writes).
pub fn svg(fig: &Figure) -> Result<String> {
    register_fonts()?;
    let (w, h) = fig.size();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        draw_figure(&root, fig, 1.0).map_err(|e| Error::Internal(format!("drawing figure `{}`: {e}", fig.stem)))?;
        root.present().map_err(|e| Error::Internal(format!("drawing figure `{}`: {e}", fig.stem)))?;
    }
    Ok(out)
}

/// Write the PNG of `fig` to `path`.
fn png(fig: &Figure, path: &Path) -> Result<()> {
    register_fonts()?;
    let (w, h) = fig.size();
    let size = ((w as f64 * PNG_SCALE).round() as u32, (h as f64 * PNG_SCALE).round() as u32);
    let root = BitMapBackend::new(path, size).into_drawing_area();
    draw_figure(&root, fig, PNG_SCALE).map_err(|e| Error::Internal(format!("drawing figure `{}`: {e}", fig.stem)))?;
    root.present()
        .map_err(|e| Error::Write { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) })?;
    Ok(())
}

/// Draw the whole figure on `root` at scale `s`.
fn draw_figure<DB: DrawingBackend>(root: &Area<DB>, fig: &Figure, s: f64) -> Res {
    let ctx = Ctx { s };
    root.fill(&WHITE).map_err(err)?;
    let (w, h) = root.dim_in_pixel();
    let top = header(root, &fig.title, fig.subtitle.as_deref(), &ctx, w as i32)?;
    let body = PxRect { x0: ctx.px(20.0), y0: top, x1: w as i32 - ctx.px(20.0), y1: h as i32 - ctx.px(16.0) };
    let drawn = match &fig.chart {
        Chart::Lines { series, band, x_label, y_label, y_range } => {
            lines::draw(root, body, &ctx, series, *band, x_label, y_label, *y_range)?
        }
        Chart::Bars { groups, series, y_label } => bars::draw(root, body, &ctx, groups, series, y_label)?,
        Chart::Boxes { categories, y_label } => boxes::draw(root, body, &ctx, categories, y_label)?,
        Chart::Radar { axes, series } => radar::draw(root, body, &ctx, axes, series)?,
        Chart::Scatter3d { groups, axis_labels } => scatter3d::draw(root, body, &ctx, groups, axis_labels)?,
        Chart::Tradeoff { series, x_label, y_label } => tradeoff::draw(root, body, &ctx, series, x_label, y_label)?,
        Chart::Heatmap { rows, columns, values, value_label } => {
            heatmap::draw(root, body, &ctx, rows, columns, values, value_label)?
        }
    };
    if !drawn {
        no_data(root, body, &ctx)?;
    }
    Ok(())
}

/// Register DejaVu Sans (regular and bold) as plotters' `sans-serif`, once per process.
fn register_fonts() -> Result<()> {
    static DONE: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| "the embedded DejaVu Sans font does not parse".to_string())?;
        plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold())
            .map_err(|_| "the embedded DejaVu Sans Bold font does not parse".to_string())
    })
    .clone()
    .map_err(Error::Internal)
}
