//! Trade-off scatter (task success vs OER): one line per system through its points in the given order, each point
//! annotated. Annotations try eight places around their point and take the first that overlaps no other
//! annotation, marker or the frame, so labels of nearby points stay readable.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::*;

use super::TradeoffSeries;

pub(super) fn draw<DB: DrawingBackend>(
    root: &Area<DB>,
    body: PxRect,
    ctx: &Ctx,
    series: &[TradeoffSeries],
    x_label: &str,
    y_label: &str,
) -> Res<bool> {
    let ok = |p: &&(f64, f64, String)| p.0.is_finite() && p.1.is_finite();
    let Some((x_lo, x_hi)) = min_max(series.iter().flat_map(|(_, ps)| ps.iter().filter(ok).map(|p| p.0))) else {
        return Ok(false);
    };
    let (y_lo, y_hi) =
        min_max(series.iter().flat_map(|(_, ps)| ps.iter().filter(ok).map(|p| p.1))).unwrap_or((0.0, 1.0));
    let xr = padded(x_lo, x_hi, 0.1);
    let yr = padded(y_lo, y_hi, 0.1);

    let items = LegendItem::all(series, |it| LegendItem { line: Some(false), ..it });
    let lw = legend_width(root, &items, body, ctx);
    let plot = PxRect { x1: body.x1 - lw, ..body };
    let area = sub(root, plot);
    let chart = frame(root, &area, xr, yr, x_label, y_label, XAxis::Numeric, ctx)?;
    let pr = plot_rect(&chart);

    let pixels: Vec<Vec<((i32, i32), &str)>> = series
        .iter()
        .map(|(_, ps)| ps.iter().filter(ok).map(|p| (chart.backend_coord(&(p.0, p.1)), p.2.as_str())).collect())
        .collect();
    for (i, pts) in pixels.iter().enumerate() {
        let path: Vec<(i32, i32)> = pts.iter().map(|p| p.0).collect();
        draw_path(root, &path, color(i).to_rgba(), 2.0, false, ctx)?;
    }
    let r = ctx.s * 6.5;
    for (i, pts) in pixels.iter().enumerate() {
        for (at, _) in pts {
            draw_marker(root, *at, marker(i), r, color(i).to_rgba(), ctx)?;
        }
    }

    // Annotations, avoiding markers, each other and the frame.
    let style = ctx.font(17.0).color(&INK);
    let ri = r.ceil() as i32;
    let mut taken: Vec<PxRect> =
        pixels.iter().flatten().map(|((x, y), _)| PxRect { x0: x - ri, y0: y - ri, x1: x + ri, y1: y + ri }).collect();
    // The connecting lines, as small boxes every few pixels.
    let lw_px = ctx.px(2.0).max(1);
    let step = ctx.px(4.0).max(1) as f64;
    for pts in &pixels {
        for pair in pts.windows(2) {
            let ((ax, ay), (bx, by)) = (pair[0].0, pair[1].0);
            let len = (((bx - ax) as f64).powi(2) + ((by - ay) as f64).powi(2)).sqrt();
            let k = (len / step).ceil().max(1.0) as i32;
            for i in 0..=k {
                let t = i as f64 / k as f64;
                let x = ax + ((bx - ax) as f64 * t).round() as i32;
                let y = ay + ((by - ay) as f64 * t).round() as i32;
                taken.push(PxRect { x0: x - lw_px, y0: y - lw_px, x1: x + lw_px, y1: y + lw_px });
            }
        }
    }
    let d = ctx.px(9.0);
    for pts in &pixels {
        for ((x, y), label) in pts {
            if label.is_empty() {
                continue;
            }
            let (w, h) = measure(root, label, &style);
            // (anchor offset, box) for NE, NW, SE, SW, E, W, N, S.
            let candidates = [
                ((x + d, y - d), HPos::Left, VPos::Bottom),
                ((x - d, y - d), HPos::Right, VPos::Bottom),
                ((x + d, y + d), HPos::Left, VPos::Top),
                ((x - d, y + d), HPos::Right, VPos::Top),
                ((x + d + ctx.px(2.0), *y), HPos::Left, VPos::Center),
                ((x - d - ctx.px(2.0), *y), HPos::Right, VPos::Center),
                ((*x, y - d - ctx.px(2.0)), HPos::Center, VPos::Bottom),
                ((*x, y + d + ctx.px(2.0)), HPos::Center, VPos::Top),
            ];
            let boxed = |(ax, ay): (i32, i32), hp: HPos, vp: VPos| {
                let x0 = match hp {
                    HPos::Left => ax,
                    HPos::Right => ax - w,
                    HPos::Center => ax - w / 2,
                };
                let y0 = match vp {
                    VPos::Top => ay,
                    VPos::Bottom => ay - h,
                    VPos::Center => ay - h / 2,
                };
                PxRect { x0, y0, x1: x0 + w, y1: y0 + h }
            };
            let cost = |b: &PxRect| -> i64 {
                let clash: i64 = taken.iter().map(|t| t.overlap(b)).sum();
                clash + if pr.contains(b) { 0 } else { 1_000_000 }
            };
            let best =
                candidates.iter().map(|(a, hp, vp)| (boxed(*a, *hp, *vp), *a, *hp, *vp)).min_by_key(|(b, ..)| cost(b));
            if let Some((b, a, hp, vp)) = best {
                let pad = ctx.px(2.0);
                root.draw(&Rectangle::new(
                    [(b.x0 - pad, b.y0 - pad), (b.x1 + pad, b.y1 + pad)],
                    WHITE.mix(0.85).filled(),
                ))
                .map_err(err)?;
                text(root, label, &style, a, hp, vp)?;
                taken.push(b);
            }
        }
    }
    draw_legend(root, &items, PxRect { x0: body.x1 - lw, y0: pr.y0, x1: body.x1, y1: pr.y1 }, ctx)?;
    Ok(true)
}
