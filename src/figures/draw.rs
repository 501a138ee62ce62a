//! The drawing toolkit every chart kind uses: the canvas layout (title, plot, legend column), the palette and markers,
//! text measuring and wrapping, and the cartesian frame that the line, bar, box and trade-off charts draw into. It
//! knows no chart kind: [`super::draw_figure`] dispatches a figure to the module that draws its kind.
//!
//! Everything is drawn on the root area in absolute pixels; `Ctx::s` scales the 1200 × 800 layout to the PNG.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(super) type Res<T = ()> = std::result::Result<T, String>;
pub(super) type Area<DB> = DrawingArea<DB, Shift>;
pub(super) type Cart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Okabe-Ito, reordered so the first series get the colors with most contrast on white; yellow comes last.
pub(super) const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];
pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(super) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub(super) const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
pub(super) const MISSING: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);

pub(super) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Hexagon,
    Cross,
}

const MARKERS: [Marker; 7] = [
    Marker::Circle,
    Marker::Square,
    Marker::TriangleUp,
    Marker::Diamond,
    Marker::TriangleDown,
    Marker::Hexagon,
    Marker::Cross,
];

pub(super) fn marker(i: usize) -> Marker {
    MARKERS[i % MARKERS.len()]
}

/// Pixel scale and fonts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ctx {
    pub s: f64,
}

impl Ctx {
    pub fn px(&self, v: f64) -> i32 {
        (v * self.s).round() as i32
    }
    pub fn font(&self, size: f64) -> TextStyle<'static> {
        ("sans-serif", size * self.s).into_font().color(&INK)
    }
    pub fn bold(&self, size: f64) -> TextStyle<'static> {
        ("sans-serif", size * self.s, FontStyle::Bold).into_font().color(&INK)
    }
}

/// Tick label size, axis title size, legend size.
pub(super) const TICK: f64 = 20.0;
pub(super) const AXIS: f64 = 24.0;
pub(super) const LEGEND: f64 = 21.0;

/// A rectangle in absolute pixels, `x1`/`y1` exclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct PxRect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl PxRect {
    pub fn w(&self) -> i32 {
        self.x1 - self.x0
    }
    pub fn h(&self) -> i32 {
        self.y1 - self.y0
    }
    pub fn overlap(&self, o: &PxRect) -> i64 {
        let w = (self.x1.min(o.x1) - self.x0.max(o.x0)).max(0) as i64;
        let h = (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0) as i64;
        w * h
    }
    pub fn contains(&self, o: &PxRect) -> bool {
        o.x0 >= self.x0 && o.x1 <= self.x1 && o.y0 >= self.y0 && o.y1 <= self.y1
    }
}

/// The sub-area of `root` covering `r`.
pub(super) fn sub<DB: DrawingBackend>(root: &Area<DB>, r: PxRect) -> Area<DB> {
    root.clone().shrink((r.x0, r.y0), (r.w().max(1) as u32, r.h().max(1) as u32))
}

pub(super) fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Width and height of `text` in pixels.
pub(super) fn measure<DB: DrawingBackend>(root: &Area<DB>, text: &str, style: &TextStyle) -> (i32, i32) {
    if text.is_empty() {
        return (0, 0);
    }
    root.estimate_text_size(text, style).map(|(w, h)| (w as i32, h as i32)).unwrap_or((0, 0))
}

pub(super) fn text<DB: DrawingBackend>(
    root: &Area<DB>,
    s: &str,
    style: &TextStyle,
    (x, y): (i32, i32),
    h: HPos,
    v: VPos,
) -> Res {
    if s.is_empty() {
        return Ok(());
    }
    root.draw(&Text::new(s.to_string(), (x, y), style.pos(Pos::new(h, v)))).map_err(err)
}

/// Cut `s` to at most `max_w` pixels, ending in "…" when it was cut.
pub(super) fn fit<DB: DrawingBackend>(root: &Area<DB>, s: &str, style: &TextStyle, max_w: i32) -> String {
    if measure(root, s, style).0 <= max_w {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut n = chars.len();
    while n > 1 {
        n -= 1;
        let cut: String = chars[..n].iter().collect::<String>().trim_end().to_string() + "…";
        if measure(root, &cut, style).0 <= max_w {
            return cut;
        }
    }
    "…".to_string()
}

/// Break `s` into lines of at most `max_w` pixels at spaces, hyphens, slashes and underscores (kept at the end of
/// the line). A word longer than `max_w` stays whole on its own line; callers shrink the font for that.
pub(super) fn wrap<DB: DrawingBackend>(root: &Area<DB>, s: &str, style: &TextStyle, max_w: i32) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        cur.push(c);
        if matches!(c, ' ' | '-' | '/' | '_') {
            words.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for w in words {
        let candidate = format!("{line}{w}");
        if line.is_empty() || measure(root, candidate.trim_end(), style).0 <= max_w {
            line = candidate;
        } else {
            lines.push(line.trim_end().to_string());
            line = w;
        }
    }
    if !line.trim().is_empty() || lines.is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// The fewest decimals (at most 4) that print every key point plotters picks for `range` with `hint` labels
/// exactly, so the labels of one axis share their decimals ("0.0 … 1.0").
pub(super) fn axis_decimals(range: &Range<f64>, hint: usize) -> usize {
    let points = RangedCoordf64::from(range.clone()).key_points(hint);
    (0..=4)
        .find(|d| {
            let f = 10f64.powi(*d as i32);
            points.iter().all(|v| ((v * f).round() / f - v).abs() < 1e-9 * f.max(1.0))
        })
        .unwrap_or(4)
}

/// `v` with `d` decimals, never "-0".
pub(super) fn fixed(v: f64, d: usize) -> String {
    let s = format!("{v:.d$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') { s[1..].to_string() } else { s }
}

/// Value text for heatmap cells: two decimals.
pub(super) fn value_text(v: f64) -> String {
    fixed(v, 2)
}

/// Decimals for bar values: three below 1, two below 10, else one.
pub(super) fn value_decimals(max_abs: f64) -> usize {
    if max_abs < 1.0 {
        3
    } else if max_abs < 10.0 {
        2
    } else {
        1
    }
}

/// `lo..hi` widened by `pad` of its span on each side; a single value gets a unit-wide range.
pub(super) fn padded(lo: f64, hi: f64, pad: f64) -> Range<f64> {
    if !lo.is_finite() || !hi.is_finite() {
        return 0.0..1.0;
    }
    if hi - lo < 1e-12 {
        let half = if lo.abs() > 1.0 { lo.abs() * 0.1 } else { 0.5 };
        return lo - half..hi + half;
    }
    let span = hi - lo;
    lo - span * pad..hi + span * pad
}

pub(super) fn min_max(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values.into_iter().filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Title and subtitle, centered and shrunk to fit the width; returns the y where the body starts.
pub(super) fn header<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
    subtitle: Option<&str>,
    ctx: &Ctx,
    w: i32,
) -> Res<i32> {
    let max_w = w - ctx.px(40.0);
    let mut size = 36.0;
    let mut style = ctx.bold(size);
    while size > 18.0 && measure(root, title, &style).0 > max_w {
        size -= 1.0;
        style = ctx.bold(size);
    }
    let title = fit(root, title, &style, max_w);
    let mut y = ctx.px(18.0);
    text(root, &title, &style, (w / 2, y), HPos::Center, VPos::Top)?;
    y += ctx.px(size * 1.25);
    if let Some(sub) = subtitle.filter(|s| !s.trim().is_empty()) {
        let style = ctx.font(22.0).color(&MUTED);
        let sub = fit(root, sub, &style, max_w);
        y += ctx.px(2.0);
        text(root, &sub, &style, (w / 2, y), HPos::Center, VPos::Top)?;
        y += ctx.px(22.0 * 1.05);
    }
    Ok(y + ctx.px(12.0))
}

/// The "no data" notice in the middle of the body.
pub(super) fn no_data<DB: DrawingBackend>(root: &Area<DB>, body: PxRect, ctx: &Ctx) -> Res {
    root.draw(&Rectangle::new([(body.x0, body.y0), (body.x1, body.y1)], GRID.stroke_width(ctx.px(1.0).max(1) as u32)))
        .map_err(err)?;
    let style = ctx.font(28.0).color(&MUTED);
    text(root, "no data", &style, ((body.x0 + body.x1) / 2, (body.y0 + body.y1) / 2), HPos::Center, VPos::Center)
}

/// Draw a marker of `kind` centered on `c` with radius `r`.
pub(super) fn draw_marker<DB: DrawingBackend>(
    root: &Area<DB>,
    (x, y): (i32, i32),
    kind: Marker,
    r: f64,
    fill: RGBAColor,
    ctx: &Ctx,
) -> Res {
    let (xf, yf) = (x as f64, y as f64);
    let pt = |dx: f64, dy: f64| ((xf + dx * r).round() as i32, (yf + dy * r).round() as i32);
    let edge = WHITE.stroke_width(ctx.px(1.0).max(1) as u32);
    let poly = |pts: Vec<(i32, i32)>| -> Res {
        root.draw(&Polygon::new(pts.clone(), fill.filled())).map_err(err)?;
        let mut closed = pts;
        closed.push(closed[0]);
        root.draw(&PathElement::new(closed, edge)).map_err(err)
    };
    match kind {
        Marker::Circle => {
            let rr = r.round() as i32;
            root.draw(&Circle::new((x, y), rr, fill.filled())).map_err(err)?;
            root.draw(&Circle::new((x, y), rr, edge)).map_err(err)
        }
        Marker::Square => poly(vec![pt(-0.85, -0.85), pt(0.85, -0.85), pt(0.85, 0.85), pt(-0.85, 0.85)]),
        Marker::TriangleUp => poly(vec![pt(0.0, -1.2), pt(1.1, 0.8), pt(-1.1, 0.8)]),
        Marker::TriangleDown => poly(vec![pt(0.0, 1.2), pt(1.1, -0.8), pt(-1.1, -0.8)]),
        Marker::Diamond => poly(vec![pt(0.0, -1.25), pt(1.0, 0.0), pt(0.0, 1.25), pt(-1.0, 0.0)]),
        Marker::Hexagon => {
            let pts = (0..6)
                .map(|i| {
                    let a = std::f64::consts::PI / 3.0 * i as f64;
                    pt(a.cos() * 1.05, a.sin() * 1.05)
                })
                .collect();
            poly(pts)
        }
        Marker::Cross => {
            let style = fill.stroke_width(ctx.px(3.0).max(1) as u32);
            root.draw(&PathElement::new(vec![pt(-0.9, -0.9), pt(0.9, 0.9)], style)).map_err(err)?;
            root.draw(&PathElement::new(vec![pt(-0.9, 0.9), pt(0.9, -0.9)], style)).map_err(err)
        }
    }
}

/// A polyline, solid or dashed.
pub(super) fn draw_path<DB: DrawingBackend>(
    root: &Area<DB>,
    pts: &[(i32, i32)],
    color: RGBAColor,
    width: f64,
    dashed: bool,
    ctx: &Ctx,
) -> Res {
    if pts.len() < 2 {
        return Ok(());
    }
    let style = color.stroke_width(ctx.px(width).max(1) as u32);
    if dashed {
        root.draw(&plotters::element::DashedPathElement::new(pts.to_vec(), ctx.px(10.0), ctx.px(6.0), style))
            .map_err(err)
    } else {
        root.draw(&PathElement::new(pts.to_vec(), style)).map_err(err)
    }
}

/// One legend row.
#[derive(Debug, Clone)]
pub(super) struct LegendItem {
    pub label: String,
    pub color: RGBColor,
    pub marker: Option<Marker>,
    /// `Some(dashed)` draws a line through the swatch.
    pub line: Option<bool>,
    /// A filled box instead of a line (bars).
    pub patch: bool,
}

impl LegendItem {
    /// Series `i` under `label`: its palette color and marker, no line, no patch.
    pub fn nth(i: usize, label: &str) -> LegendItem {
        LegendItem { label: label.to_string(), color: color(i), marker: Some(marker(i)), line: None, patch: false }
    }

    /// The items of labeled series, built by `nth` and adjusted by `style`.
    pub fn all<'a, T: 'a>(
        series: impl IntoIterator<Item = &'a (String, T)>,
        style: impl Fn(LegendItem) -> LegendItem,
    ) -> Vec<LegendItem> {
        series.into_iter().enumerate().map(|(i, (label, _))| style(LegendItem::nth(i, label))).collect()
    }
}

const SWATCH: f64 = 40.0;

/// The width the legend column needs, at most a third of `body`; 0 without items.
pub(super) fn legend_width<DB: DrawingBackend>(root: &Area<DB>, items: &[LegendItem], body: PxRect, ctx: &Ctx) -> i32 {
    if items.is_empty() {
        return 0;
    }
    let style = ctx.font(LEGEND);
    let text_w = items.iter().map(|i| measure(root, &i.label, &style).0).max().unwrap_or(0);
    (ctx.px(SWATCH + 10.0 + 28.0) + text_w).min(body.w() / 3)
}

/// Draw the legend in the column `r` (from its top), labels cut to fit.
pub(super) fn draw_legend<DB: DrawingBackend>(root: &Area<DB>, items: &[LegendItem], r: PxRect, ctx: &Ctx) -> Res {
    if items.is_empty() {
        return Ok(());
    }
    let style = ctx.font(LEGEND);
    let row = ctx.px(LEGEND * 1.75);
    let pad = ctx.px(10.0);
    let rows = items.len() as i32;
    let frame = PxRect { x0: r.x0 + ctx.px(8.0), y0: r.y0, x1: r.x1, y1: (r.y0 + rows * row + 2 * pad).min(r.y1) };
    root.draw(&Rectangle::new([(frame.x0, frame.y0), (frame.x1, frame.y1)], WHITE.filled())).map_err(err)?;
    root.draw(&Rectangle::new(
        [(frame.x0, frame.y0), (frame.x1, frame.y1)],
        GRID.stroke_width(ctx.px(1.0).max(1) as u32),
    ))
    .map_err(err)?;
    let text_x = frame.x0 + pad + ctx.px(SWATCH + 10.0);
    let max_text = frame.x1 - pad - text_x;
    for (i, item) in items.iter().enumerate() {
        let cy = frame.y0 + pad + i as i32 * row + row / 2;
        if cy > r.y1 {
            break;
        }
        let sx0 = frame.x0 + pad;
        let sx1 = sx0 + ctx.px(SWATCH);
        let c = item.color.to_rgba();
        if item.patch {
            let hh = ctx.px(8.0);
            root.draw(&Rectangle::new([(sx0 + ctx.px(6.0), cy - hh), (sx1 - ctx.px(6.0), cy + hh)], c.filled()))
                .map_err(err)?;
        }
        if let Some(dashed) = item.line {
            draw_path(root, &[(sx0, cy), (sx1, cy)], c, 2.5, dashed, ctx)?;
        }
        if let Some(m) = item.marker {
            draw_marker(root, ((sx0 + sx1) / 2, cy), m, ctx.s * 6.0, c, ctx)?;
        }
        let label = fit(root, &item.label, &style, max_text);
        text(root, &label, &style, (text_x, cy), HPos::Left, VPos::Center)?;
    }
    Ok(())
}

/// How the x axis of a cartesian frame is labeled.
pub(super) enum XAxis<'a> {
    /// Numeric ticks.
    Numeric,
    /// One category label under each integer position 0..n, wrapped onto lines; the frame reserves their height.
    Categories(&'a [Vec<String>], Box<TextStyle<'static>>),
}

/// Category labels wrapped to the slot width `slot`: the lines of each label and the font they fit in.
pub(super) fn category_lines<DB: DrawingBackend>(
    root: &Area<DB>,
    labels: &[String],
    slot: i32,
    ctx: &Ctx,
) -> (Vec<Vec<String>>, TextStyle<'static>) {
    let mut size = TICK;
    loop {
        let style = ctx.font(size);
        let wrapped: Vec<Vec<String>> = labels.iter().map(|l| wrap(root, l, &style, slot)).collect();
        let widest = wrapped.iter().flatten().map(|l| measure(root, l, &style).0).max().unwrap_or(0);
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        if (widest <= slot && lines <= 3) || size <= 11.0 {
            let wrapped = wrapped
                .into_iter()
                .map(|ls| {
                    let mut ls: Vec<String> = ls.into_iter().map(|l| fit(root, &l, &style, slot)).collect();
                    ls.truncate(3);
                    ls
                })
                .collect();
            return (wrapped, style);
        }
        size -= 1.0;
    }
}

/// Build a cartesian frame in `r` with axis titles and grid; returns the chart for coordinate mapping.
#[allow(clippy::too_many_arguments)]
pub(super) fn frame<'a, DB: DrawingBackend>(
    root: &'a Area<DB>,
    area: &'a Area<DB>,
    xr: Range<f64>,
    yr: Range<f64>,
    x_label: &str,
    y_label: &str,
    x_axis: XAxis<'_>,
    ctx: &Ctx,
) -> Res<Cart<'a, DB>> {
    let tick_style = ctx.font(TICK);
    let axis_style = ctx.font(AXIS);
    let (cat_lines, cat_line_h) = match &x_axis {
        XAxis::Numeric => (1, measure(root, "0.5", &tick_style).1),
        XAxis::Categories(lines, style) => {
            (lines.iter().map(Vec::len).max().unwrap_or(1).max(1) as i32, measure(root, "Ag", style).1 + ctx.px(3.0))
        }
    };
    let x_area = ctx.px(14.0) + cat_lines * cat_line_h + ctx.px(12.0) + measure(root, "Ag", &axis_style).1;
    let (x_dec, y_dec) = (axis_decimals(&xr, 10), axis_decimals(&yr, 8));
    let y_tick_w = [yr.start, yr.end, (yr.start + yr.end) / 2.0]
        .iter()
        .map(|v| measure(root, &fixed(*v, y_dec), &tick_style).0)
        .max()
        .unwrap_or(0)
        .max(measure(root, "0.00", &tick_style).0);
    let y_area = ctx.px(14.0) + y_tick_w + ctx.px(14.0) + measure(root, "Ag", &axis_style).1;
    let mut chart = ChartBuilder::on(area)
        .margin_top(ctx.px(6.0))
        .margin_right(ctx.px(18.0))
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(xr, yr)
        .map_err(err)?;
    let x_fmt = |v: &f64| fixed(*v, x_dec);
    let y_fmt = |v: &f64| fixed(*v, y_dec);
    let blank = |_: &f64| String::new();
    let numeric = matches!(x_axis, XAxis::Numeric);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style(axis_style.clone())
        .label_style(tick_style.clone())
        .y_labels(8)
        .y_label_formatter(&y_fmt)
        .bold_line_style(GRID.stroke_width(ctx.px(1.0).max(1) as u32))
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED.stroke_width(ctx.px(1.0).max(1) as u32))
        .set_all_tick_mark_size(ctx.px(5.0));
    if numeric {
        mesh.x_labels(10).x_label_formatter(&x_fmt);
    } else {
        mesh.disable_x_mesh().x_labels(0).x_label_formatter(&blank);
    }
    mesh.draw().map_err(err)?;
    if let XAxis::Categories(lines, style) = x_axis {
        let (_, y_bottom) = chart.backend_coord(&(0.0, chart.y_range().start));
        for (i, ls) in lines.iter().enumerate() {
            let (x, _) = chart.backend_coord(&(i as f64, 0.0));
            for (k, l) in ls.iter().enumerate() {
                let y = y_bottom + ctx.px(10.0) + k as i32 * cat_line_h;
                text(root, l, &style, (x, y), HPos::Center, VPos::Top)?;
            }
        }
    }
    Ok(chart)
}

/// The plotting rectangle of a chart in absolute pixels.
pub(super) fn plot_rect<DB: DrawingBackend>(chart: &Cart<'_, DB>) -> PxRect {
    let xr = chart.x_range();
    let yr = chart.y_range();
    let (x0, y1) = chart.backend_coord(&(xr.start, yr.start));
    let (x1, y0) = chart.backend_coord(&(xr.end, yr.end));
    PxRect { x0, y0, x1, y1 }
}

/// Viridis, 11 stops.
const VIRIDIS: [(u8, u8, u8); 11] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x24, 0x75),
    (0x41, 0x44, 0x87),
    (0x35, 0x5f, 0x8d),
    (0x2a, 0x78, 0x8e),
    (0x21, 0x91, 0x8c),
    (0x22, 0xa8, 0x84),
    (0x44, 0xbf, 0x70),
    (0x7a, 0xd1, 0x51),
    (0xbd, 0xdf, 0x26),
    (0xfd, 0xe7, 0x25),
];

/// The viridis color of `t` in [0, 1] (clamped).
pub(super) fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let f = t * (VIRIDIS.len() - 1) as f64;
    let i = (f.floor() as usize).min(VIRIDIS.len() - 2);
    let u = f - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * u).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}
