//! Box plots (figure 6, OER at each τ): per category the quartiles (linear interpolation), whiskers to the
//! furthest value within 1.5 IQR of the box, the values beyond as hollow dots, and the count under the label.

use plotters::prelude::*;

use super::draw::*;

/// Tukey summary of a sample.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Summary {
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub low: f64,
    pub high: f64,
    pub outliers: Vec<f64>,
}

/// The summary of the finite values of `values`; `None` when there are none.
pub(super) fn summary(values: &[f64]) -> Option<Summary> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let pos = p * (v.len() - 1) as f64;
        let i = pos.floor() as usize;
        let j = (i + 1).min(v.len() - 1);
        v[i] + (v[j] - v[i]) * (pos - i as f64)
    };
    let (q1, median, q3) = (q(0.25), q(0.5), q(0.75));
    let iqr = q3 - q1;
    let (fence_lo, fence_hi) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
    let inside = || v.iter().copied().filter(|x| *x >= fence_lo && *x <= fence_hi);
    let low = inside().fold(f64::INFINITY, f64::min).min(q1);
    let high = inside().fold(f64::NEG_INFINITY, f64::max).max(q3);
    let outliers = v.iter().copied().filter(|x| *x < fence_lo || *x > fence_hi).collect();
    Some(Summary { q1, median, q3, low, high, outliers })
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &Area<DB>,
    body: PxRect,
    ctx: &Ctx,
    categories: &[(String, Vec<f64>)],
    y_label: &str,
) -> Res<bool> {
    let Some((lo, hi)) = min_max(categories.iter().flat_map(|(_, v)| v.iter().copied())) else {
        return Ok(false);
    };
    let yr = padded(lo, hi, 0.05);
    let n = categories.len();
    let labels: Vec<String> =
        categories.iter().map(|(l, v)| format!("{l}\n(n = {})", v.iter().filter(|x| x.is_finite()).count())).collect();
    let slot = ((body.w() - ctx.px(130.0)) / n as i32 - ctx.px(10.0)).max(ctx.px(30.0));
    // Wrap the name; the count is always its own last line.
    let names: Vec<String> = categories.iter().map(|(l, _)| l.clone()).collect();
    let (mut lines, style) = category_lines(root, &names, slot, ctx);
    for (ls, full) in lines.iter_mut().zip(&labels) {
        if let Some(count) = full.rsplit('\n').next() {
            ls.push(count.to_string());
        }
    }
    let area = sub(root, body);
    let chart = frame(
        root,
        &area,
        -0.5..(n as f64 - 0.5),
        yr.clone(),
        "",
        y_label,
        XAxis::Categories(&lines, Box::new(style)),
        ctx,
    )?;

    let c = color(0);
    let stroke = c.stroke_width(ctx.px(2.0).max(1) as u32);
    let half = 0.22f64.min(0.35);
    for (i, (_, values)) in categories.iter().enumerate() {
        let Some(s) = summary(values) else { continue };
        let x = i as f64;
        let a = chart.backend_coord(&(x - half, s.q1));
        let b = chart.backend_coord(&(x + half, s.q3));
        root.draw(&Rectangle::new([a, b], c.mix(0.25).filled())).map_err(err)?;
        root.draw(&Rectangle::new([a, b], stroke)).map_err(err)?;
        let m0 = chart.backend_coord(&(x - half, s.median));
        let m1 = chart.backend_coord(&(x + half, s.median));
        root.draw(&PathElement::new(vec![m0, m1], INK.stroke_width(ctx.px(3.0).max(1) as u32))).map_err(err)?;
        for (from, to) in [(s.q1, s.low), (s.q3, s.high)] {
            let p0 = chart.backend_coord(&(x, from));
            let p1 = chart.backend_coord(&(x, to));
            root.draw(&PathElement::new(vec![p0, p1], stroke)).map_err(err)?;
            let w0 = chart.backend_coord(&(x - half / 2.0, to));
            let w1 = chart.backend_coord(&(x + half / 2.0, to));
            root.draw(&PathElement::new(vec![w0, w1], stroke)).map_err(err)?;
        }
        for o in &s.outliers {
            let p = chart.backend_coord(&(x, *o));
            root.draw(&Circle::new(p, ctx.px(4.5), c.stroke_width(ctx.px(1.5).max(1) as u32))).map_err(err)?;
        }
    }
    Ok(true)
}
