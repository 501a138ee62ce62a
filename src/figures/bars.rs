//! Grouped bar charts (figure 4, AD by model and by framework): one group of bars per x category, one color per
//! series, optional error bars, and the value printed over each bar when it fits.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::*;

use super::BarSeries;

pub(super) fn draw<DB: DrawingBackend>(
    root: &Area<DB>,
    body: PxRect,
    ctx: &Ctx,
    groups: &[String],
    series: &[BarSeries],
    y_label: &str,
) -> Res<bool> {
    let n_groups = groups.len().max(series.iter().map(|s| s.1.len()).max().unwrap_or(0));
    let values = || {
        series.iter().flat_map(|(_, vs)| {
            vs.iter().filter(|(v, _)| v.is_finite()).flat_map(|(v, ci)| [Some(*v), ci.map(|c| c.0), ci.map(|c| c.1)])
        })
    };
    let Some((lo, hi)) = min_max(values().flatten()) else {
        return Ok(false);
    };
    if n_groups == 0 {
        return Ok(false);
    }
    let lo = lo.min(0.0);
    let hi = hi.max(0.0);
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    // Room above the tallest bar for its value label.
    let yr = (if lo < 0.0 { lo - span * 0.08 } else { 0.0 })..(hi + span * 0.14);

    let items = LegendItem::all(series, |it| LegendItem { marker: None, patch: true, ..it });
    let lw = legend_width(root, &items, body, ctx);
    let plot = PxRect { x1: body.x1 - lw, ..body };
    let labels: Vec<String> = (0..n_groups).map(|i| groups.get(i).cloned().unwrap_or_default()).collect();
    // The plot width minus the y label area, estimated before the frame exists.
    let slot = ((plot.w() - ctx.px(130.0)) / n_groups as i32 - ctx.px(10.0)).max(ctx.px(30.0));
    let (lines, style) = category_lines(root, &labels, slot, ctx);
    let area = sub(root, plot);
    let xr = -0.5..(n_groups as f64 - 0.5);
    let chart = frame(root, &area, xr, yr.clone(), "", y_label, XAxis::Categories(&lines, Box::new(style)), ctx)?;

    let n_series = series.len().max(1) as f64;
    let group_w = 0.8;
    let bar_w = group_w / n_series;
    let value_style = ctx.font(16.0).color(&MUTED);
    let decimals = value_decimals(lo.abs().max(hi.abs()));
    let err_style = INK.stroke_width(ctx.px(1.5).max(1) as u32);
    let cap = ctx.px(4.0);
    for (j, (_, vs)) in series.iter().enumerate() {
        let c = color(j);
        for (g, (v, ci)) in vs.iter().enumerate().take(n_groups) {
            if !v.is_finite() {
                continue;
            }
            let x0 = g as f64 - group_w / 2.0 + j as f64 * bar_w;
            let x1 = x0 + bar_w;
            let a = chart.backend_coord(&(x0, 0.0f64.clamp(yr.start, yr.end)));
            let b = chart.backend_coord(&(x1, v.clamp(yr.start, yr.end)));
            let gap = ctx.px(1.5);
            root.draw(&Rectangle::new([(a.0 + gap, a.1), (b.0 - gap, b.1)], c.filled())).map_err(err)?;
            let xm = (a.0 + b.0) / 2;
            let mut top = b.1.min(a.1);
            if let Some((l, h)) = ci.filter(|(l, h)| l.is_finite() && h.is_finite()) {
                let (_, y0) = chart.backend_coord(&(0.0, l.min(h).clamp(yr.start, yr.end)));
                let (_, y1) = chart.backend_coord(&(0.0, l.max(h).clamp(yr.start, yr.end)));
                root.draw(&PathElement::new(vec![(xm, y0), (xm, y1)], err_style)).map_err(err)?;
                root.draw(&PathElement::new(vec![(xm - cap, y0), (xm + cap, y0)], err_style)).map_err(err)?;
                root.draw(&PathElement::new(vec![(xm - cap, y1), (xm + cap, y1)], err_style)).map_err(err)?;
                top = top.min(y1);
            }
            let label = fixed(*v, decimals);
            if measure(root, &label, &value_style).0 <= (b.0 - a.0) + ctx.px(2.0) {
                text(root, &label, &value_style, (xm, top - ctx.px(3.0)), HPos::Center, VPos::Bottom)?;
            }
        }
    }
    let pr = plot_rect(&chart);
    draw_legend(root, &items, PxRect { x0: body.x1 - lw, y0: pr.y0, x1: body.x1, y1: pr.y1 }, ctx)?;
    Ok(true)
}
