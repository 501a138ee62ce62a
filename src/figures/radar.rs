//! Radar chart (figure 7): one spoke per axis from the top, clockwise, rings at 0.25 steps of the [0, 1] scale, one
//! translucent polygon with markers per series. Missing values leave their vertex out of the polygon.

use std::f64::consts::PI;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::*;

const SPOKE: RGBColor = RGBColor(0xB0, 0xB0, 0xB0);

pub(super) fn draw<DB: DrawingBackend>(
    root: &Area<DB>,
    body: PxRect,
    ctx: &Ctx,
    axes: &[String],
    series: &[(String, Vec<f64>)],
) -> Res<bool> {
    if axes.is_empty() || !series.iter().any(|(_, vs)| vs.iter().take(axes.len()).any(|v| v.is_finite())) {
        return Ok(false);
    }
    let items = LegendItem::all(series, |it| LegendItem { line: Some(false), ..it });
    let lw = legend_width(root, &items, body, ctx);
    let plot = PxRect { x1: body.x1 - lw, ..body };
    let label_style = ctx.font(AXIS);
    let n = axes.len();
    let labels: Vec<String> = axes.iter().map(|a| fit(root, a, &label_style, plot.w() / 4)).collect();
    let label_w = labels.iter().map(|l| measure(root, l, &label_style).0).max().unwrap_or(0);
    let label_h = measure(root, "Ag", &label_style).1;
    let angle = |k: usize| -PI / 2.0 + 2.0 * PI * k as f64 / n as f64;
    // The spokes' extent on the unit circle (a full circle for fewer than three axes), to center and size the web.
    let (min_c, max_c) =
        if n >= 3 { min_max((0..n).map(|k| angle(k).cos())).unwrap_or((-1.0, 1.0)) } else { (-1.0, 1.0) };
    let (min_s, max_s) =
        if n >= 3 { min_max((0..n).map(|k| angle(k).sin())).unwrap_or((-1.0, 1.0)) } else { (-1.0, 1.0) };
    let room_w = (plot.w() - 2 * (label_w + ctx.px(24.0))) as f64;
    let room_h = (plot.h() - 2 * (label_h + ctx.px(24.0))) as f64;
    let radius = (room_w / (max_c - min_c)).min(room_h / (max_s - min_s)).max(ctx.px(40.0) as f64).round() as i32;
    let cx = (plot.x0 + plot.x1) / 2 - ((min_c + max_c) / 2.0 * radius as f64).round() as i32;
    let cy = (plot.y0 + plot.y1) / 2 - ((min_s + max_s) / 2.0 * radius as f64).round() as i32;
    let at = |k: usize, v: f64| {
        let r = radius as f64 * v;
        (cx + (r * angle(k).cos()).round() as i32, cy + (r * angle(k).sin()).round() as i32)
    };

    // Grid: rings, spokes, ring values along the first spoke.
    let grid = GRID.stroke_width(ctx.px(1.0).max(1) as u32);
    let tick_style = ctx.font(16.0).color(&MUTED);
    for ring in [0.25, 0.5, 0.75, 1.0] {
        if n >= 3 {
            let mut pts: Vec<(i32, i32)> = (0..n).map(|k| at(k, ring)).collect();
            pts.push(pts[0]);
            root.draw(&PathElement::new(pts, grid)).map_err(err)?;
        } else {
            root.draw(&Circle::new((cx, cy), (radius as f64 * ring).round() as i32, grid)).map_err(err)?;
        }
    }
    for (k, label) in labels.iter().enumerate() {
        root.draw(&PathElement::new(vec![(cx, cy), at(k, 1.0)], SPOKE.stroke_width(ctx.px(1.5).max(1) as u32)))
            .map_err(err)?;
        let (x, y) = at(k, 1.0);
        let (c, s) = (angle(k).cos(), angle(k).sin());
        let gap = ctx.px(12.0);
        let pos = (x + (gap as f64 * c).round() as i32, y + (gap as f64 * s).round() as i32);
        let hp = if c > 0.3 {
            HPos::Left
        } else if c < -0.3 {
            HPos::Right
        } else {
            HPos::Center
        };
        let vp = if s > 0.3 {
            VPos::Top
        } else if s < -0.3 {
            VPos::Bottom
        } else {
            VPos::Center
        };
        text(root, label, &label_style, pos, hp, vp)?;
    }
    for ring in [0.25, 0.5, 0.75, 1.0] {
        let (x, y) = at(0, ring);
        text(root, &fixed(ring, 2), &tick_style, (x + ctx.px(6.0), y), HPos::Left, VPos::Center)?;
    }

    for (i, (_, values)) in series.iter().enumerate() {
        let c = color(i);
        let pts: Vec<(i32, i32)> = values
            .iter()
            .take(n)
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(k, v)| at(k, v.clamp(0.0, 1.0)))
            .collect();
        if pts.is_empty() {
            continue;
        }
        if pts.len() >= 3 {
            root.draw(&Polygon::new(pts.clone(), c.mix(0.12).filled())).map_err(err)?;
        }
        let mut closed = pts.clone();
        if pts.len() >= 3 {
            closed.push(pts[0]);
        }
        draw_path(root, &closed, c.to_rgba(), 2.5, false, ctx)?;
        for p in &pts {
            draw_marker(root, *p, marker(i), ctx.s * 6.0, c.to_rgba(), ctx)?;
        }
    }
    draw_legend(root, &items, PxRect { x0: body.x1 - lw, y0: body.y0 + ctx.px(10.0), x1: body.x1, y1: body.y1 }, ctx)?;
    Ok(true)
}
