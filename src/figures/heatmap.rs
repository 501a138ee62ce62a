//! Heatmap (OER by scenario × τ per system): one viridis cell per value with the value printed in it (white on dark
//! cells, black on light ones), row labels on the left, column labels under the grid, and a color bar with the value
//! label on the right. Missing cells stay light gray, explained by a swatch under the color bar.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::*;

pub(super) fn draw<DB: DrawingBackend>(
    root: &Area<DB>,
    body: PxRect,
    ctx: &Ctx,
    rows: &[String],
    columns: &[String],
    values: &[Vec<Option<f64>>],
    value_label: &str,
) -> Res<bool> {
    let n_rows = rows.len().max(values.len());
    let n_cols = columns.len().max(values.iter().map(Vec::len).max().unwrap_or(0));
    let any = values.iter().flatten().any(|v| v.is_some_and(f64::is_finite));
    if n_rows == 0 || n_cols == 0 || !any {
        return Ok(false);
    }
    let label_style = ctx.font(TICK);
    let row_labels: Vec<String> =
        (0..n_rows).map(|r| fit(root, rows.get(r).map_or("", String::as_str), &label_style, body.w() / 4)).collect();
    let row_w = row_labels.iter().map(|l| measure(root, l, &label_style).0).max().unwrap_or(0);

    // Color bar column: bar, ticks, and the value label above it.
    let bar_title_style = ctx.font(AXIS);
    let bar_title = fit(root, value_label, &bar_title_style, body.w() / 4);
    let bar_col = (ctx.px(24.0 + 8.0 + 10.0) + measure(root, "0.75", &label_style).0)
        .max(measure(root, &bar_title, &bar_title_style).0)
        .max(measure(root, "missing", &label_style).0 + ctx.px(34.0))
        + ctx.px(30.0);

    let line_h = measure(root, "Ag", &label_style).1 + ctx.px(3.0);
    let grid_w_max = body.w() - row_w - ctx.px(16.0) - bar_col;
    let cell_w = (grid_w_max / n_cols as i32).min(ctx.px(150.0)).max(1);
    let slot = cell_w - ctx.px(6.0);
    let (col_lines, col_style) = category_lines(
        root,
        &(0..n_cols).map(|c| columns.get(c).cloned().unwrap_or_default()).collect::<Vec<_>>(),
        slot,
        ctx,
    );
    let col_line_h = measure(root, "Ag", &col_style).1 + ctx.px(3.0);
    let col_h = col_lines.iter().map(Vec::len).max().unwrap_or(1) as i32 * col_line_h + ctx.px(10.0);
    let cell_h = ((body.h() - col_h - ctx.px(10.0)) / n_rows as i32).min(ctx.px(64.0)).max(1);
    let grid_w = cell_w * n_cols as i32;
    let grid_h = cell_h * n_rows as i32;
    let total_w = row_w + ctx.px(12.0) + grid_w + bar_col;
    let gx0 = body.x0 + (body.w() - total_w).max(0) / 2 + row_w + ctx.px(12.0);
    let gy0 = body.y0 + ctx.px(6.0);
    let _ = line_h;

    // Cells and values.
    let mut cell_font = 20.0;
    while cell_font > 9.0
        && (ctx.px(cell_font * 1.3) > cell_h || measure(root, "0.000", &ctx.font(cell_font)).0 > cell_w - ctx.px(6.0))
    {
        cell_font -= 1.0;
    }
    let sep = WHITE.stroke_width(ctx.px(1.0).max(1) as u32);
    for (r, row_label) in row_labels.iter().enumerate() {
        let y0 = gy0 + r as i32 * cell_h;
        text(root, row_label, &label_style, (gx0 - ctx.px(10.0), y0 + cell_h / 2), HPos::Right, VPos::Center)?;
        for c in 0..n_cols {
            let x0 = gx0 + c as i32 * cell_w;
            let v = values.get(r).and_then(|row| row.get(c)).copied().flatten().filter(|v| v.is_finite());
            let fill = v.map_or(MISSING, viridis);
            root.draw(&Rectangle::new([(x0, y0), (x0 + cell_w, y0 + cell_h)], fill.filled())).map_err(err)?;
            root.draw(&Rectangle::new([(x0, y0), (x0 + cell_w, y0 + cell_h)], sep)).map_err(err)?;
            if let Some(v) = v {
                let ink = if v.clamp(0.0, 1.0) < 0.5 { WHITE } else { INK };
                let style = ctx.font(cell_font).color(&ink);
                text(root, &value_text(v), &style, (x0 + cell_w / 2, y0 + cell_h / 2), HPos::Center, VPos::Center)?;
            }
        }
    }
    for (c, ls) in col_lines.iter().enumerate() {
        let x = gx0 + c as i32 * cell_w + cell_w / 2;
        for (k, l) in ls.iter().enumerate() {
            text(
                root,
                l,
                &col_style,
                (x, gy0 + grid_h + ctx.px(8.0) + k as i32 * col_line_h),
                HPos::Center,
                VPos::Top,
            )?;
        }
    }

    // Color bar.
    let bx0 = gx0 + grid_w + ctx.px(30.0);
    let title_h = measure(root, "Ag", &bar_title_style).1;
    text(root, &bar_title, &bar_title_style, (bx0, gy0), HPos::Left, VPos::Top)?;
    let by0 = gy0 + title_h + ctx.px(12.0);
    let bar_h = (grid_h - title_h - ctx.px(60.0)).clamp(ctx.px(80.0), ctx.px(420.0));
    let bw = ctx.px(24.0);
    let steps = 100;
    for i in 0..steps {
        let t0 = i as f64 / steps as f64;
        let ya = by0 + ((1.0 - t0) * bar_h as f64).round() as i32;
        let yb = by0 + ((1.0 - (i + 1) as f64 / steps as f64) * bar_h as f64).round() as i32;
        root.draw(&Rectangle::new([(bx0, yb), (bx0 + bw, ya)], viridis(t0 + 0.5 / steps as f64).filled()))
            .map_err(err)?;
    }
    root.draw(&Rectangle::new([(bx0, by0), (bx0 + bw, by0 + bar_h)], MUTED.stroke_width(ctx.px(1.0).max(1) as u32)))
        .map_err(err)?;
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let y = by0 + ((1.0 - t) * bar_h as f64).round() as i32;
        root.draw(&PathElement::new(
            vec![(bx0 + bw, y), (bx0 + bw + ctx.px(6.0), y)],
            MUTED.stroke_width(ctx.px(1.0).max(1) as u32),
        ))
        .map_err(err)?;
        text(root, &fixed(t, 2), &label_style, (bx0 + bw + ctx.px(10.0), y), HPos::Left, VPos::Center)?;
    }
    if values
        .iter()
        .take(n_rows)
        .any(|row| (0..n_cols).any(|c| row.get(c).copied().flatten().is_none_or(|v| !v.is_finite())))
        || values.len() < n_rows
    {
        let y = by0 + bar_h + ctx.px(28.0);
        root.draw(&Rectangle::new([(bx0, y), (bx0 + bw, y + ctx.px(18.0))], MISSING.filled())).map_err(err)?;
        text(root, "missing", &label_style, (bx0 + bw + ctx.px(10.0), y + ctx.px(9.0)), HPos::Left, VPos::Center)?;
    }
    Ok(true)
}
