//! Which figures the report draws ([`Figure`]s of plain data for [`crate::figures`] to render), built from its rows
//! (and from fits when chains were counted): the paper's figures 3-9 and the trust-risk curves with bands, the
//! success/OER trade-off and per-system heatmaps.
//!
//! Curves over several sub-scenes or systems are means of sub-scene OER (as the paper's Table III aggregates);
//! per-system fits use the chains themselves.

use std::collections::BTreeMap;

use super::{OerRow, ReportData};
use crate::figures::{Chart, Figure, Group3d, Point, Series, TradeoffSeries};
use crate::metrics::{Defense, SystemKey, trust_key as key};
use crate::stats::ad;

fn tau_label(t: f64) -> String {
    format!("τ = {t}")
}

/// Mean OER per τ over the rows `keep` selects.
fn mean_curve(rows: &[OerRow], keep: impl Fn(&OerRow) -> bool) -> Vec<(f64, f64)> {
    let mut sums: BTreeMap<i64, (f64, f64, usize)> = BTreeMap::new();
    for r in rows.iter().filter(|r| keep(r)) {
        let e = sums.entry(key(r.trust)).or_insert((r.trust, 0.0, 0));
        e.1 += r.oer;
        e.2 += 1;
    }
    sums.into_values().map(|(t, s, n)| (t, s / n as f64)).collect()
}

fn mean_success(rows: &[OerRow], keep: impl Fn(&OerRow) -> bool) -> Vec<(f64, f64)> {
    let mut sums: BTreeMap<i64, (f64, f64, usize)> = BTreeMap::new();
    for r in rows.iter().filter(|r| keep(r)) {
        if let Some(s) = r.success {
            let e = sums.entry(key(r.trust)).or_insert((r.trust, 0.0, 0));
            e.1 += s;
            e.2 += 1;
        }
    }
    sums.into_values().map(|(t, s, n)| (t, s / n as f64)).collect()
}

fn series(label: impl Into<String>, points: &[(f64, f64)]) -> Series {
    Series { label: label.into(), points: points.iter().map(|&(x, y)| Point::new(x, y)).collect(), dashed: false }
}

fn lines(series: Vec<Series>, y_label: &str) -> Chart {
    Chart::Lines { series, band: false, x_label: "trust τ".into(), y_label: y_label.into(), y_range: (0.0, 1.0) }
}

/// Per (system, sub-scene): the OER values at each τ, in τ order.
fn triplets(rows: &[OerRow]) -> BTreeMap<(SystemKey, String), Vec<(f64, f64)>> {
    let mut out: BTreeMap<(SystemKey, String), Vec<(f64, f64)>> = BTreeMap::new();
    for r in rows {
        out.entry((r.system.clone(), r.scenario_id.clone())).or_default().push((r.trust, r.oer));
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    out
}

fn distinct<T: Ord + Clone>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = items.collect();
    v.sort();
    v.dedup();
    v
}

pub fn figures(data: &ReportData) -> Vec<Figure> {
    let rows = &data.rows;
    let undefended = |r: &OerRow| r.system.is_undefended();
    let frameworks = distinct(rows.iter().filter(|r| undefended(r)).map(|r| r.system.framework.clone()));
    let backends = distinct(rows.iter().filter(|r| undefended(r)).map(|r| r.system.backend.clone()));
    let levels = data.trust_levels();
    let mut figs = Vec::new();
    let sub = "mean over sub-scenes".to_string();

    // Fig. 3: OER vs τ per framework.
    let s: Vec<Series> = frameworks
        .iter()
        .map(|f| series(f, &mean_curve(rows, |r| undefended(r) && r.system.framework == *f)))
        .collect();
    figs.push(
        Figure::new("fig3_oer_vs_trust_by_framework", "Over-exposure rate vs trust, by framework", lines(s, "OER"))
            .with_subtitle(format!("{sub} and backends; no defense")),
    );

    // Fig. 4: AD by model and by framework (mean of per-sub-scene AD).
    let drift = data.drift_by_scenario();
    let ad_bars = |group: &dyn Fn(&SystemKey) -> String, groups: &[String]| -> Chart {
        let values: Vec<(f64, Option<(f64, f64)>)> = groups
            .iter()
            .map(|g| {
                let v: Vec<f64> =
                    drift.iter().filter(|((s, _), _)| s.is_undefended() && group(s) == *g).map(|(_, a)| *a).collect();
                (if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }, None)
            })
            .collect();
        Chart::Bars {
            groups: groups.to_vec(),
            series: vec![("AD (mean over sub-scenes)".into(), values)],
            y_label: "AD".into(),
        }
    };
    figs.push(
        Figure::new("fig4a_ad_by_model", "Authorization drift by model", ad_bars(&|s| s.backend.clone(), &backends))
            .with_subtitle("AD = population variance of OER over τ, per sub-scene; no defense"),
    );
    figs.push(
        Figure::new(
            "fig4b_ad_by_framework",
            "Authorization drift by framework",
            ad_bars(&|s| s.framework.clone(), &frameworks),
        )
        .with_subtitle("AD = population variance of OER over τ, per sub-scene; no defense"),
    );

    // Fig. 5: task success vs τ per model (only with counted chains).
    if rows.iter().any(|r| r.success.is_some()) {
        let s: Vec<Series> = backends
            .iter()
            .map(|b| series(b, &mean_success(rows, |r| undefended(r) && r.system.backend == *b)))
            .filter(|s| !s.points.is_empty())
            .collect();
        figs.push(
            Figure::new(
                "fig5_success_vs_trust_by_model",
                "Task success vs trust, by model",
                lines(s, "task success rate"),
            )
            .with_subtitle(format!("{sub} and frameworks; no defense")),
        );
    }

    // Fig. 6: box plots of OER at each τ over (system, sub-scene) cells.
    let boxes: Vec<(String, Vec<f64>)> = levels
        .iter()
        .map(|&t| {
            (tau_label(t), rows.iter().filter(|r| undefended(r) && key(r.trust) == key(t)).map(|r| r.oer).collect())
        })
        .collect();
    figs.push(Figure::new(
        "fig6_oer_boxes_by_trust",
        "Distribution of OER at each trust level",
        Chart::Boxes { categories: boxes, y_label: "OER per sub-scene and system".into() },
    ));

    // Fig. 7: radar of OER vs τ per model.
    let radar: Vec<(String, Vec<f64>)> = backends
        .iter()
        .map(|b| {
            (b.clone(), mean_curve(rows, |r| undefended(r) && r.system.backend == *b).iter().map(|p| p.1).collect())
        })
        .collect();
    figs.push(Figure::new(
        "fig7_radar_oer_by_model",
        "OER at each trust level, by model",
        Chart::Radar { axes: levels.iter().map(|&t| tau_label(t)).collect(), series: radar },
    ));

    // Fig. 8: 3-D scatter of (OER(τ1), OER(τ2), OER(τ3)) per sub-scene by framework, with three levels.
    if levels.len() == 3 {
        let t = triplets(rows);
        let groups: Vec<Group3d> = frameworks
            .iter()
            .map(|f| {
                let pts = t
                    .iter()
                    .filter(|((s, _), v)| s.framework == *f && s.is_undefended() && v.len() == 3)
                    .map(|(_, v)| (v[0].1, v[1].1, v[2].1))
                    .collect();
                (f.clone(), pts)
            })
            .collect();
        figs.push(Figure::new(
            "fig8_oer_triplets_3d",
            "OER triplets per sub-scene, by framework",
            Chart::Scatter3d { groups, axis_labels: [0, 1, 2].map(|i| format!("OER({})", levels[i])) },
        ));
    }

    // Fig. 9: OER vs τ per defense, for the systems that were run with a defense.
    let defended: Vec<SystemKey> = distinct(rows.iter().filter(|r| !undefended(r)).map(|r| r.system.undefended()));
    if !defended.is_empty() {
        let defenses = distinct(
            rows.iter().filter(|r| defended.contains(&r.system.undefended())).map(|r| r.system.defense.clone()),
        );
        let s: Vec<Series> = defenses
            .iter()
            .map(|d| {
                let label = match d {
                    Defense::None => "no defense".to_string(),
                    Defense::Named(name) => name.clone(),
                };
                series(
                    label,
                    &mean_curve(rows, |r| r.system.defense == *d && defended.contains(&r.system.undefended())),
                )
            })
            .collect();
        let names: Vec<String> = defended.iter().map(SystemKey::name).collect();
        figs.push(
            Figure::new("fig9_oer_vs_trust_by_defense", "Over-exposure rate vs trust, by defense", lines(s, "OER"))
                .with_subtitle(format!("{sub}; {}", names.join(", "))),
        );
    }

    // Beyond the paper: fitted trust-risk curves with 95 % bands.
    if let Some(fits) = &data.fits {
        let mut s = Vec::new();
        for fit in fits.systems.iter().filter(|f| f.system.is_undefended()) {
            let Some(chosen) = fit.chosen() else { continue };
            let points = (0..=50)
                .map(|i| {
                    let tau = i as f64 / 50.0;
                    let p = chosen.fit.predict(tau);
                    Point::with_interval(tau, p.p, p.lo, p.hi)
                })
                .collect();
            s.push(Series { label: format!("{} ({})", fit.system.name(), chosen.shape), points, dashed: false });
        }
        figs.push(
            Figure::new(
                "fit_trust_risk_curves",
                "Fitted trust-risk curves with 95 % bands",
                Chart::Lines {
                    series: s,
                    band: true,
                    x_label: "trust τ".into(),
                    y_label: "P(over-exposure)".into(),
                    y_range: (0.0, 1.0),
                },
            )
            .with_subtitle("binomial GLM by IRLS on chains pooled over sub-scenes; shape chosen by AIC"),
        );
    }

    // Beyond the paper: task success against OER, one line per system through its trust levels.
    if rows.iter().any(|r| r.success.is_some()) {
        let systems = distinct(rows.iter().map(|r| r.system.clone()));
        let s: Vec<TradeoffSeries> = systems
            .iter()
            .map(|sys| {
                let oer = mean_curve(rows, |r| r.system == *sys);
                let success = mean_success(rows, |r| r.system == *sys);
                let pts = oer
                    .iter()
                    .filter_map(|&(t, o)| success.iter().find(|s| key(s.0) == key(t)).map(|s| (o, s.1, tau_label(t))))
                    .collect();
                (sys.name(), pts)
            })
            .collect();
        figs.push(Figure::new(
            "tradeoff_success_vs_oer",
            "What each trust level buys: task success against over-exposure",
            Chart::Tradeoff {
                series: s,
                x_label: "OER (mean over sub-scenes)".into(),
                y_label: "task success rate".into(),
            },
        ));
    }

    // Beyond the paper: OER by sub-scene × τ, one heatmap per system.
    for sys in distinct(rows.iter().map(|r| r.system.clone())) {
        let scenarios = distinct(rows.iter().filter(|r| r.system == sys).map(|r| r.scenario_id.clone()));
        let scenarios = sort_scenarios(scenarios);
        let values = scenarios
            .iter()
            .map(|s| {
                levels
                    .iter()
                    .map(|&t| {
                        rows.iter()
                            .find(|r| r.system == sys && r.scenario_id == *s && key(r.trust) == key(t))
                            .map(|r| r.oer)
                    })
                    .collect()
            })
            .collect();
        figs.push(Figure::new(
            format!("heatmap_{}", slug(&sys.name())),
            format!("OER by sub-scene and trust: {}", sys.name()),
            Chart::Heatmap {
                rows: scenarios,
                columns: levels.iter().map(|&t| tau_label(t)).collect(),
                values,
                value_label: "OER".into(),
            },
        ));
    }
    figs
}

/// `S1-2` before `S1-10`.
pub fn sort_scenarios(mut ids: Vec<String>) -> Vec<String> {
    ids.sort_by_key(|id| {
        let (head, tail) = id.rsplit_once('-').unwrap_or((id.as_str(), ""));
        (head.to_string(), tail.parse::<u32>().unwrap_or(u32::MAX), id.clone())
    });
    ids
}

pub fn slug(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

/// AD per (system, sub-scene) from the rows (equal weights over the levels present).
pub fn drift_from_rows(rows: &[OerRow]) -> BTreeMap<(SystemKey, String), f64> {
    triplets(rows).into_iter().map(|(k, v)| (k, ad(&v.iter().map(|p| p.1).collect::<Vec<_>>(), None))).collect()
}
