//! Line charts (figures 3, 5, 9 and the fitted trust-risk curves): one colored line with markers per series,
//! error bars at each point or, with `band`, a shaded band between the `lo` and `hi` of consecutive points.

use plotters::prelude::*;

use super::Series;
use super::draw::*;

/// Series with more points than this are drawn without markers (fitted curves).
const MAX_MARKED: usize = 30;

#[allow(clippy::too_many_arguments)]
pub(super) fn draw<DB: DrawingBackend>(
    root: &Area<DB>,
    body: PxRect,
    ctx: &Ctx,
    series: &[Series],
    band: bool,
    x_label: &str,
    y_label: &str,
    y_range: (f64, f64),
) -> Res<bool> {
    let finite = |p: &super::Point| p.x.is_finite() && p.y.is_finite();
    let Some((x_lo, x_hi)) = min_max(series.iter().flat_map(|s| s.points.iter().filter(|p| finite(p)).map(|p| p.x)))
    else {
        return Ok(false);
    };
    let yr = if y_range.0.is_finite() && y_range.1.is_finite() && y_range.0 < y_range.1 {
        y_range.0..y_range.1
    } else {
        let ys = series
            .iter()
            .flat_map(|s| s.points.iter().filter(|p| finite(p)).flat_map(|p| [Some(p.y), p.lo, p.hi]).flatten());
        let (lo, hi) = min_max(ys).unwrap_or((0.0, 1.0));
        padded(lo, hi, 0.06)
    };
    let in_y = |v: f64| v >= yr.start - 1e-9 && v <= yr.end + 1e-9;
    let xr = padded(x_lo, x_hi, 0.05);

    let items: Vec<LegendItem> = series
        .iter()
        .enumerate()
        .map(|(i, s)| LegendItem {
            label: s.label.clone(),
            color: color(i),
            marker: (s.points.len() <= MAX_MARKED).then(|| marker(i)),
            line: Some(s.dashed),
            patch: false,
        })
        .collect();
    let lw = legend_width(root, &items, body, ctx);
    let plot = PxRect { x1: body.x1 - lw, ..body };
    let area = sub(root, plot);
    let chart = frame(root, &area, xr, yr.clone(), x_label, y_label, XAxis::Numeric, ctx)?;
    let pr = plot_rect(&chart);
    let clamp_y = |v: f64| v.clamp(yr.start, yr.end);

    // Sorted copies, non-finite points dropped.
    let sorted: Vec<Vec<super::Point>> = series
        .iter()
        .map(|s| {
            let mut pts: Vec<super::Point> = s.points.iter().copied().filter(|p| finite(p) && in_y(p.y)).collect();
            pts.sort_by(|a, b| a.x.total_cmp(&b.x));
            pts
        })
        .collect();

    // Bands first, under every line.
    if band {
        for (i, pts) in sorted.iter().enumerate() {
            let c = color(i);
            for run in runs(pts, |p| interval(p).is_some()) {
                if run.len() < 2 {
                    continue;
                }
                let mut poly: Vec<(i32, i32)> = Vec::with_capacity(run.len() * 2);
                for p in run {
                    let (_, hi) = interval(p).unwrap_or((p.y, p.y));
                    poly.push(chart.backend_coord(&(p.x, clamp_y(hi))));
                }
                for p in run.iter().rev() {
                    let (lo, _) = interval(p).unwrap_or((p.y, p.y));
                    poly.push(chart.backend_coord(&(p.x, clamp_y(lo))));
                }
                root.draw(&Polygon::new(poly, c.mix(0.18).filled())).map_err(err)?;
            }
        }
    }
    // Error bars of several series at the same x would hide each other: shift each series a few pixels sideways.
    let n_series = sorted.iter().filter(|p| !p.is_empty()).count();
    let dodge =
        |i: usize| if band || n_series < 2 { 0 } else { ctx.px(7.0 * (i as f64 - (series.len() - 1) as f64 / 2.0)) };
    for (i, pts) in sorted.iter().enumerate() {
        let c = color(i).to_rgba();
        let dx = dodge(i);
        let at = |x: f64, y: f64| {
            let (px, py) = chart.backend_coord(&(x, y));
            (px + dx, py)
        };
        let path: Vec<(i32, i32)> = pts.iter().map(|p| at(p.x, p.y)).collect();
        draw_path(root, &path, c, 2.5, series[i].dashed, ctx)?;
        if !band {
            let cap = ctx.px(5.0);
            for p in pts {
                if let Some((lo, hi)) = interval(p) {
                    let (x, y0) = at(p.x, clamp_y(lo));
                    let (_, y1) = at(p.x, clamp_y(hi));
                    let style = c.stroke_width(ctx.px(1.5).max(1) as u32);
                    root.draw(&PathElement::new(vec![(x, y0), (x, y1)], style)).map_err(err)?;
                    root.draw(&PathElement::new(vec![(x - cap, y0), (x + cap, y0)], style)).map_err(err)?;
                    root.draw(&PathElement::new(vec![(x - cap, y1), (x + cap, y1)], style)).map_err(err)?;
                }
            }
        }
        if pts.len() <= MAX_MARKED {
            for p in pts {
                let xy = at(p.x, p.y);
                if xy.0 >= pr.x0 - ctx.px(30.0) && xy.0 <= pr.x1 + ctx.px(30.0) {
                    draw_marker(root, xy, marker(i), ctx.s * 6.5, c, ctx)?;
                }
            }
        }
    }
    draw_legend(root, &items, PxRect { x0: body.x1 - lw, y0: pr.y0, x1: body.x1, y1: pr.y1 }, ctx)?;
    Ok(true)
}

/// `(lo, hi)` when both are finite, ordered.
fn interval(p: &super::Point) -> Option<(f64, f64)> {
    match (p.lo, p.hi) {
        (Some(a), Some(b)) if a.is_finite() && b.is_finite() => Some((a.min(b), a.max(b))),
        _ => None,
    }
}

/// Maximal runs of consecutive points satisfying `keep`.
fn runs<T>(items: &[T], keep: impl Fn(&T) -> bool) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, it) in items.iter().enumerate() {
        match (keep(it), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&items[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&items[s..]);
    }
    out
}
