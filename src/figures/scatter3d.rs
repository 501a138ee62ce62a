//! 3-D scatter (figure 8): points (a, b, c) in a box seen from the front right and above, with the three back
//! panels gridded, ticks and titles on the front edges, a faint drop line from each point to the floor, and points
//! drawn from the farthest to the nearest. The projection is our own (orthographic), so that the axis titles can be
//! placed: plotters' 3-D charts draw ticks but no axis titles.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::*;

use super::Group3d as Group;

/// A point on a cube edge at parameter t in [0, 1].
type Edge<'a> = Box<dyn Fn(f64) -> (i32, i32) + 'a>;

/// Orthographic view: azimuth and elevation in radians.
const AZIMUTH: f64 = 0.75;
const ELEVATION: f64 = 0.42;

/// Unit-cube coordinates in [-0.5, 0.5]³ → (screen x, screen up, depth; larger depth is farther).
fn view(u: f64, v: f64, w: f64) -> (f64, f64, f64) {
    let (sa, ca) = AZIMUTH.sin_cos();
    let (se, ce) = ELEVATION.sin_cos();
    let x = u * ca - v * sa;
    let y = u * sa + v * ca;
    (x, w * ce + y * se, y * ce - w * se)
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &Area<DB>,
    body: PxRect,
    ctx: &Ctx,
    groups: &[Group],
    axis_labels: &[String; 3],
) -> Res<bool> {
    let ok = |p: &&(f64, f64, f64)| p.0.is_finite() && p.1.is_finite() && p.2.is_finite();
    let all: Vec<(usize, (f64, f64, f64))> =
        groups.iter().enumerate().flat_map(|(g, (_, ps))| ps.iter().filter(ok).map(move |p| (g, *p))).collect();
    if all.is_empty() {
        return Ok(false);
    }
    // Axis ranges: [0, 1] unless the data leave it.
    let range = |f: fn(&(f64, f64, f64)) -> f64| {
        let (lo, hi) = min_max(all.iter().map(|(_, p)| f(p))).unwrap_or((0.0, 1.0));
        if lo >= 0.0 && hi <= 1.0 {
            (0.0, 1.0)
        } else {
            let r = padded(lo, hi, 0.05);
            (r.start, r.end)
        }
    };
    let ranges = [range(|p| p.0), range(|p| p.1), range(|p| p.2)];
    let norm = |k: usize, v: f64| (v - ranges[k].0) / (ranges[k].1 - ranges[k].0) - 0.5;

    let items = LegendItem::all(groups, |it| it);
    let lw = legend_width(root, &items, body, ctx);
    let plot = PxRect { x1: body.x1 - lw, ..body };

    // Fit the projected cube into the plot, leaving room for ticks and titles.
    let corners: Vec<(f64, f64, f64)> = (0..8)
        .map(|i| {
            view(
                if i & 1 == 0 { -0.5 } else { 0.5 },
                if i & 2 == 0 { -0.5 } else { 0.5 },
                if i & 4 == 0 { -0.5 } else { 0.5 },
            )
        })
        .collect();
    let (min_x, max_x) = min_max(corners.iter().map(|c| c.0)).unwrap_or((-1.0, 1.0));
    let (min_y, max_y) = min_max(corners.iter().map(|c| c.1)).unwrap_or((-1.0, 1.0));
    // Room: tick labels and titles at the sides and bottom, the vertical axis title on top.
    let (side, top, bottom) = (ctx.px(150.0) as f64, ctx.px(50.0) as f64, ctx.px(100.0) as f64);
    let scale =
        ((plot.w() as f64 - 2.0 * side) / (max_x - min_x)).min((plot.h() as f64 - top - bottom) / (max_y - min_y));
    let ox = (plot.x0 + plot.x1) as f64 / 2.0 - (min_x + max_x) / 2.0 * scale;
    let oy = plot.y0 as f64 + top + (plot.h() as f64 - top - bottom) / 2.0 + (min_y + max_y) / 2.0 * scale;
    let px = |u: f64, v: f64, w: f64| {
        let (x, y, _) = view(u, v, w);
        ((ox + x * scale).round() as i32, (oy - y * scale).round() as i32)
    };
    let center = px(0.0, 0.0, 0.0);

    // Back panels: the floor and the two walls farther from the viewer.
    let u_back = if view(0.5, 0.0, 0.0).2 > view(-0.5, 0.0, 0.0).2 { 0.5 } else { -0.5 };
    let v_back = if view(0.0, 0.5, 0.0).2 > view(0.0, -0.5, 0.0).2 { 0.5 } else { -0.5 };
    let panel = RGBColor(0xF4, 0xF4, 0xF4).filled();
    let grid = GRID.stroke_width(ctx.px(1.0).max(1) as u32);
    let edge = MUTED.stroke_width(ctx.px(1.0).max(1) as u32);
    let quads = [
        [px(-0.5, -0.5, -0.5), px(0.5, -0.5, -0.5), px(0.5, 0.5, -0.5), px(-0.5, 0.5, -0.5)],
        [px(u_back, -0.5, -0.5), px(u_back, 0.5, -0.5), px(u_back, 0.5, 0.5), px(u_back, -0.5, 0.5)],
        [px(-0.5, v_back, -0.5), px(0.5, v_back, -0.5), px(0.5, v_back, 0.5), px(-0.5, v_back, 0.5)],
    ];
    for q in &quads {
        root.draw(&Polygon::new(q.to_vec(), panel)).map_err(err)?;
    }
    let steps = [0.0, 0.25, 0.5, 0.75, 1.0];
    for t in steps {
        let a = t - 0.5;
        // Lines of constant u on the floor and the v wall, of constant v on the floor and the u wall, of constant w
        // on both walls.
        for seg in [
            [px(a, -0.5, -0.5), px(a, 0.5, -0.5)],
            [px(a, v_back, -0.5), px(a, v_back, 0.5)],
            [px(-0.5, a, -0.5), px(0.5, a, -0.5)],
            [px(u_back, a, -0.5), px(u_back, a, 0.5)],
            [px(u_back, -0.5, a), px(u_back, 0.5, a)],
            [px(-0.5, v_back, a), px(0.5, v_back, a)],
        ] {
            root.draw(&PathElement::new(seg.to_vec(), grid)).map_err(err)?;
        }
    }
    for q in &quads {
        let mut c = q.to_vec();
        c.push(q[0]);
        root.draw(&PathElement::new(c, edge)).map_err(err)?;
    }

    // Ticks and titles on the front floor edges and the left vertical back edge.
    let tick_style = ctx.font(17.0).color(&MUTED);
    let title_style = ctx.font(AXIS);
    let u_front = -u_back;
    let v_front = -v_back;
    let fmt = |k: usize, t: f64| fixed(ranges[k].0 + t * (ranges[k].1 - ranges[k].0), 2);
    let outward = |p: (i32, i32)| {
        let (dx, dy) = ((p.0 - center.0) as f64, (p.1 - center.1) as f64);
        let n = (dx * dx + dy * dy).sqrt().max(1.0);
        (dx / n, dy / n)
    };
    let anchor = |d: (f64, f64)| {
        (
            if d.0 > 0.35 {
                HPos::Left
            } else if d.0 < -0.35 {
                HPos::Right
            } else {
                HPos::Center
            },
            if d.1 > 0.35 {
                VPos::Top
            } else if d.1 < -0.35 {
                VPos::Bottom
            } else {
                VPos::Center
            },
        )
    };
    let shift =
        |p: (i32, i32), d: (f64, f64), by: f64| (p.0 + (d.0 * by).round() as i32, p.1 + (d.1 * by).round() as i32);
    // (axis, edge point at parameter t)
    let floor_edges: [(usize, Edge<'_>); 2] =
        [(0, Box::new(|t| px(t - 0.5, v_front, -0.5))), (1, Box::new(|t| px(u_front, t - 0.5, -0.5)))];
    for (k, at) in &floor_edges {
        let mid = at(0.5);
        let d = outward(mid);
        let (hp, vp) = anchor(d);
        let mut reach = 0;
        for t in steps {
            let p = at(t);
            root.draw(&PathElement::new(vec![p, shift(p, d, ctx.px(6.0) as f64)], edge)).map_err(err)?;
            // Both floor axes start at the front corner: one label there is enough.
            if *k == 1 && t == 0.0 {
                continue;
            }
            let label = fmt(*k, t);
            let (w, h) = measure(root, &label, &tick_style);
            reach = reach.max((d.0.abs() * w as f64 + d.1.abs() * h as f64) as i32);
            text(root, &label, &tick_style, shift(p, d, ctx.px(10.0) as f64), hp, vp)?;
        }
        let title = fit(root, &axis_labels[*k], &title_style, plot.w() / 3);
        text(root, &title, &title_style, shift(mid, d, (ctx.px(22.0) + reach) as f64), hp, vp)?;
    }
    // Vertical axis on the back corner edge that appears leftmost.
    let candidates = [(u_back, v_front), (u_front, v_back)];
    let (zu, zv) = candidates.into_iter().min_by_key(|(u, v)| px(*u, *v, 0.0).0).unwrap_or((u_back, v_front));
    let mut z_reach = 0;
    for t in steps {
        let p = px(zu, zv, t - 0.5);
        let d = (-1.0, 0.0);
        root.draw(&PathElement::new(vec![p, shift(p, d, ctx.px(6.0) as f64)], edge)).map_err(err)?;
        let label = fmt(2, t);
        z_reach = z_reach.max(measure(root, &label, &tick_style).0);
        text(root, &label, &tick_style, shift(p, d, ctx.px(10.0) as f64), HPos::Right, VPos::Center)?;
    }
    let top = px(zu, zv, 0.5);
    let title = fit(root, &axis_labels[2], &title_style, plot.w() / 3);
    text(root, &title, &title_style, (top.0, top.1 - ctx.px(16.0)), HPos::Center, VPos::Bottom)?;

    // Points, farthest first, each with a drop line to the floor.
    let mut pts: Vec<(f64, usize, (f64, f64, f64))> = all
        .iter()
        .map(|(g, p)| {
            let (u, v, w) = (norm(0, p.0), norm(1, p.1), norm(2, p.2));
            (view(u, v, w).2, *g, (u, v, w))
        })
        .collect();
    pts.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, g, (u, v, w)) in &pts {
        let c = color(*g);
        root.draw(&PathElement::new(
            vec![px(*u, *v, *w), px(*u, *v, -0.5)],
            c.mix(0.35).stroke_width(ctx.px(1.0).max(1) as u32),
        ))
        .map_err(err)?;
    }
    for (_, g, (u, v, w)) in &pts {
        draw_marker(root, px(*u, *v, *w), marker(*g), ctx.s * 6.5, color(*g).mix(0.9), ctx)?;
    }
    draw_legend(root, &items, PxRect { x0: body.x1 - lw, y0: body.y0 + ctx.px(10.0), x1: body.x1, y1: body.y1 }, ctx)?;
    Ok(true)
}
