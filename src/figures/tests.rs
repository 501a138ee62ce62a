//! Figure tests: every chart type drawn from the paper's Table III, byte-identical SVG across renders and against
//! committed snapshots (`TVP_UPDATE_SNAPSHOTS=1` rewrites them), labels present as SVG text, PNG decoded and its
//! title area inked by the embedded font, and empty or NaN inputs drawn as figures instead of panics.
//! `TVP_FIGURES_OUT=DIR` also writes the sample figures to DIR for a person to look at.

use std::path::{Path, PathBuf};

use super::draw::{axis_decimals, fixed, wrap};
use super::*;

/// The paper's Table III, beside the repository (CI has `../shared`).
const TABLE3: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/paper/table3_oer_ad.csv");
const TAUS: [f64; 3] = [0.1, 0.5, 0.9];

struct Row {
    framework: String,
    model: String,
    sub_scene: String,
    oer: [f64; 3],
    ad: f64,
}

fn table3() -> Vec<Row> {
    std::fs::read_to_string(TABLE3)
        .expect("the paper's Table III in ../shared/paper")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let num = |i: usize| f[i].trim().parse::<f64>().expect("Table III holds numbers");
            Row {
                framework: f[0].to_string(),
                model: f[1].to_string(),
                sub_scene: f[3].to_string(),
                oer: [num(4), num(5), num(6)],
                ad: num(7),
            }
        })
        .collect()
}

fn mean_ci(v: &[f64]) -> (f64, f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let h = 1.96 * sd / n.sqrt();
    (m, (m - h).max(0.0), (m + h).min(1.0))
}

fn rows_of<'a>(rows: &'a [Row], framework: &'a str, model: &'a str) -> impl Iterator<Item = &'a Row> + 'a {
    rows.iter().filter(move |r| r.framework == framework && r.model == model)
}

fn oer_series(rows: &[Row], framework: &str, model: &str, label: &str, dashed: bool) -> Series {
    let points = (0..3)
        .map(|k| {
            let v: Vec<f64> = rows_of(rows, framework, model).map(|r| r.oer[k]).collect();
            let (m, lo, hi) = mean_ci(&v);
            Point::with_interval(TAUS[k], m, lo, hi)
        })
        .collect();
    Series { label: label.to_string(), points, dashed }
}

const MODELS: [&str; 4] = ["GPT", "DeepSeek", "Qwen", "Llama-3-8B"];
const FRAMEWORKS: [&str; 3] = ["AgentScope", "AutoGen", "LangGraph"];

/// One realistic figure per chart type (two line charts: error bars and fitted bands).
fn samples() -> Vec<Figure> {
    let rows = table3();
    let oer_axis = "Over-exposure rate (OER)".to_string();
    let tau_axis = "Trust level τ".to_string();

    let fig3 = Figure::new(
        "fig3_oer_by_framework",
        "OER vs trust by framework (DeepSeek backend)",
        Chart::Lines {
            series: FRAMEWORKS.iter().map(|f| oer_series(&rows, f, "DeepSeek", f, false)).collect(),
            band: false,
            x_label: tau_axis.clone(),
            y_label: oer_axis.clone(),
            y_range: (0.0, 1.0),
        },
    )
    .with_subtitle("Mean over 19 sub-scenes, 95 % normal intervals");

    // A fitted logistic trust-risk curve per model with a band, the last one dashed.
    let fit_series = MODELS
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (a, b) = (-3.0 + 0.3 * i as f64, 4.5 + 0.8 * i as f64);
            let points = (0..=60)
                .map(|k| {
                    let t = k as f64 / 60.0;
                    let y = 1.0 / (1.0 + (-(a + b * t)).exp());
                    let h = 0.05 + 0.06 * (t - 0.5).abs();
                    Point::with_interval(t, y, (y - h).max(0.0), (y + h).min(1.0))
                })
                .collect();
            Series { label: format!("{m} (logistic fit)"), points, dashed: i == 3 }
        })
        .collect();
    let fit = Figure::new(
        "fit_trust_risk",
        "Fitted trust-risk curves (AgentScope)",
        Chart::Lines {
            series: fit_series,
            band: true,
            x_label: tau_axis.clone(),
            y_label: oer_axis.clone(),
            y_range: (0.0, 1.0),
        },
    )
    .with_subtitle("Shaded: 95 % confidence band");

    let systems: Vec<(&str, &str)> =
        MODELS.iter().map(|m| ("AgentScope", *m)).chain([("AutoGen", "DeepSeek"), ("LangGraph", "DeepSeek")]).collect();
    let ad_var = |f: &str, m: &str| {
        let v: Vec<f64> = rows_of(&rows, f, m)
            .map(|r| {
                let mean = r.oer.iter().sum::<f64>() / 3.0;
                r.oer.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0
            })
            .collect();
        mean_ci(&v)
    };
    let ad_rep = |f: &str, m: &str| {
        let v: Vec<f64> = rows_of(&rows, f, m).map(|r| r.ad).collect();
        mean_ci(&v)
    };
    let fig4 = Figure::new(
        "fig4_ad_by_system",
        "Authorization drift by system",
        Chart::Bars {
            groups: systems.iter().map(|(f, m)| format!("{f}-{m}")).collect(),
            series: vec![
                (
                    "AD (population variance)".to_string(),
                    systems.iter().map(|(f, m)| ad_var(f, m)).map(|(v, lo, hi)| (v, Some((lo, hi)))).collect(),
                ),
                (
                    "AD (Table III)".to_string(),
                    systems.iter().map(|(f, m)| ad_rep(f, m)).map(|(v, lo, hi)| (v, Some((lo, hi)))).collect(),
                ),
            ],
            y_label: "Mean AD over sub-scenes".to_string(),
        },
    );

    let fig6 = Figure::new(
        "fig6_oer_boxes",
        "OER at each trust level over all systems and sub-scenes",
        Chart::Boxes {
            categories: (0..3).map(|k| (format!("τ = {}", TAUS[k]), rows.iter().map(|r| r.oer[k]).collect())).collect(),
            y_label: oer_axis.clone(),
        },
    );

    let fig7 = Figure::new(
        "fig7_radar",
        "OER vs trust per backend model (AgentScope)",
        Chart::Radar {
            axes: TAUS.iter().map(|t| format!("τ = {t}")).collect(),
            series: MODELS
                .iter()
                .map(|m| {
                    (m.to_string(), oer_series(&rows, "AgentScope", m, m, false).points.iter().map(|p| p.y).collect())
                })
                .collect(),
        },
    );

    let fig8 = Figure::new(
        "fig8_scatter3d",
        "Per-sub-scene OER at three trust levels (DeepSeek)",
        Chart::Scatter3d {
            groups: FRAMEWORKS
                .iter()
                .map(|f| {
                    (f.to_string(), rows_of(&rows, f, "DeepSeek").map(|r| (r.oer[0], r.oer[1], r.oer[2])).collect())
                })
                .collect(),
            axis_labels: ["OER(τ=0.1)".to_string(), "OER(τ=0.5)".to_string(), "OER(τ=0.9)".to_string()],
        },
    );

    let tradeoff = Figure::new(
        "tradeoff_success_oer",
        "Task success vs over-exposure (AgentScope)",
        Chart::Tradeoff {
            series: MODELS
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let pts = oer_series(&rows, "AgentScope", m, m, false).points;
                    let s = pts
                        .iter()
                        .map(|p| (p.y, (0.35 + 0.05 * i as f64 + 0.5 * p.x).min(1.0), format!("τ={}", p.x)))
                        .collect();
                    (m.to_string(), s)
                })
                .collect(),
            x_label: oer_axis.clone(),
            y_label: "Task success rate".to_string(),
        },
    )
    .with_subtitle("Illustrative success rates");

    let qwen: Vec<&Row> = rows_of(&rows, "AgentScope", "Qwen").collect();
    let mut values: Vec<Vec<Option<f64>>> = qwen.iter().map(|r| r.oer.iter().map(|v| Some(*v)).collect()).collect();
    values[3][1] = None;
    let heat = Figure::new(
        "heatmap_qwen",
        "OER by sub-scene and trust level (AgentScope-Qwen)",
        Chart::Heatmap {
            rows: qwen.iter().map(|r| r.sub_scene.clone()).collect(),
            columns: TAUS.iter().map(|t| format!("τ = {t}")).collect(),
            values,
            value_label: "OER".to_string(),
        },
    );

    vec![fig3, fit, fig4, fig6, fig7, fig8, tradeoff, heat]
}

/// The texts a reader must find in the SVG: title, axis labels and legend labels.
fn expected_texts(fig: &Figure) -> Vec<String> {
    let mut out = vec![fig.title.clone()];
    out.extend(fig.subtitle.clone());
    match &fig.chart {
        Chart::Lines { series, x_label, y_label, .. } => {
            out.extend([x_label.clone(), y_label.clone()]);
            out.extend(series.iter().map(|s| s.label.clone()));
        }
        Chart::Bars { groups, series, y_label } => {
            out.push(y_label.clone());
            out.extend(series.iter().map(|s| s.0.clone()));
            // Group names may wrap at '-', so look for their parts.
            out.extend(groups.iter().flat_map(|g| g.split('-').map(str::to_string)));
        }
        Chart::Boxes { categories, y_label } => {
            out.push(y_label.clone());
            out.extend(categories.iter().map(|c| c.0.clone()));
        }
        Chart::Radar { axes, series } => {
            out.extend(axes.iter().cloned());
            out.extend(series.iter().map(|s| s.0.clone()));
        }
        Chart::Scatter3d { groups, axis_labels } => {
            out.extend(axis_labels.iter().cloned());
            out.extend(groups.iter().map(|g| g.0.clone()));
        }
        Chart::Tradeoff { series, x_label, y_label } => {
            out.extend([x_label.clone(), y_label.clone()]);
            out.extend(series.iter().map(|s| s.0.clone()));
            out.extend(series.iter().flat_map(|s| s.1.iter().map(|p| p.2.clone())));
        }
        Chart::Heatmap { rows, columns, value_label, .. } => {
            out.push(value_label.clone());
            out.extend(rows.iter().cloned());
            out.extend(columns.iter().cloned());
        }
    }
    out
}

/// The text contents of the SVG's `<text>` elements, unescaped.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            t.split_once('>').and_then(|(_, rest)| rest.split_once("</text>")).map(|(s, _)| s.trim().to_string())
        })
        .map(|s| {
            s.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn every_chart_type_renders_its_labels_as_text() {
    for fig in samples() {
        let svg = svg(&fig).unwrap();
        let texts = svg_texts(&svg);
        for want in expected_texts(&fig) {
            assert!(texts.iter().any(|t| t.contains(&want)), "{}: no text `{want}` in {texts:?}", fig.stem);
        }
        assert!(!texts.iter().any(|t| t.contains('…')), "{}: a label was cut: {texts:?}", fig.stem);
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{}: non-finite coordinates", fig.stem);
    }
}

#[test]
fn same_input_gives_byte_identical_svg() {
    for fig in samples() {
        let a = svg(&fig).unwrap();
        let b = svg(&fig.clone()).unwrap();
        assert!(a == b, "{}: two renders differ", fig.stem);
    }
}

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/figures")
}

#[test]
fn svg_matches_committed_snapshots() {
    let update = std::env::var("TVP_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    for fig in samples()
        .into_iter()
        .filter(|f| ["fig3_oer_by_framework", "fig4_ad_by_system", "heatmap_qwen"].contains(&f.stem.as_str()))
    {
        let path = snapshot_dir().join(format!("{}.svg", fig.stem));
        let fresh = svg(&fig).unwrap();
        if update {
            std::fs::write(&path, &fresh).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run with TVP_UPDATE_SNAPSHOTS=1 to create it", path.display()));
        assert!(
            committed == fresh,
            "{} differs from the fresh render; TVP_UPDATE_SNAPSHOTS=1 rewrites it",
            path.display()
        );
    }
}

/// A minimal PNG decoder for 8-bit RGB/RGBA, non-interlaced: (width, height, channels, pixels).
fn decode_png(bytes: &[u8]) -> (usize, usize, usize, Vec<u8>) {
    use std::io::Read;
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let (mut pos, mut w, mut h, mut channels, mut idat) = (8, 0, 0, 0, Vec::new());
    while pos + 8 <= bytes.len() {
        let len = be(&bytes[pos..]);
        let kind = &bytes[pos + 4..pos + 8];
        let data = &bytes[pos + 8..pos + 8 + len];
        match kind {
            b"IHDR" => {
                w = be(data);
                h = be(&data[4..]);
                assert_eq!(data[8], 8, "bit depth");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    t => panic!("color type {t}"),
                };
                assert_eq!(data[12], 0, "interlace");
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        pos += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..]).read_to_end(&mut raw).unwrap();
    let stride = w * channels;
    assert_eq!(raw.len(), h * (stride + 1), "inflated size");
    let mut out = vec![0u8; h * stride];
    for y in 0..h {
        let filter = raw[y * (stride + 1)];
        for x in 0..stride {
            let v = raw[y * (stride + 1) + 1 + x];
            let a = if x >= channels { out[y * stride + x - channels] } else { 0 } as i32;
            let b = if y > 0 { out[(y - 1) * stride + x] } else { 0 } as i32;
            let c = if x >= channels && y > 0 { out[(y - 1) * stride + x - channels] } else { 0 } as i32;
            let pred = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                f => panic!("filter {f}"),
            };
            out[y * stride + x] = (v as i32 + pred) as u8;
        }
    }
    (w, h, channels, out)
}

#[test]
fn png_decodes_and_its_title_is_inked() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::env::var_os("TVP_FIGURES_OUT").map(PathBuf::from);
    for fig in samples() {
        let (svg_path, png_path) = render(&fig, dir.path()).unwrap();
        assert!(std::fs::read_to_string(&svg_path).unwrap().starts_with("<svg"));
        let (w, h, ch, px) = decode_png(&std::fs::read(&png_path).unwrap());
        let (sw, sh) = fig.size();
        assert_eq!((w, h), ((sw as f64 * PNG_SCALE) as usize, (sh as f64 * PNG_SCALE) as usize));
        // The title band (top 60 SVG pixels, middle half of the width) must hold dark pixels: glyphs drawn.
        let dark = (0..(60.0 * PNG_SCALE) as usize)
            .flat_map(|y| (w / 4..3 * w / 4).map(move |x| (y, x)))
            .filter(|(y, x)| px[(y * w + x) * ch..(y * w + x) * ch + 3].iter().all(|c| *c < 100))
            .count();
        assert!(dark > 500, "{}: only {dark} dark pixels in the title area", fig.stem);
        // The corner below the title is background.
        assert!(px[..3].iter().all(|c| *c == 255), "{}: background is not white", fig.stem);
        if let Some(out) = &out {
            render(&fig, out).unwrap();
        }
    }
}

fn empty_figures() -> Vec<Figure> {
    let s = String::new;
    vec![
        Chart::Lines { series: vec![], band: false, x_label: s(), y_label: s(), y_range: (0.0, 1.0) },
        Chart::Lines {
            series: vec![Series { label: "a".into(), points: vec![], dashed: true }],
            band: true,
            x_label: s(),
            y_label: s(),
            y_range: (f64::NAN, f64::NAN),
        },
        Chart::Bars { groups: vec![], series: vec![], y_label: s() },
        Chart::Bars { groups: vec!["g".into()], series: vec![("a".into(), vec![])], y_label: s() },
        Chart::Boxes { categories: vec![], y_label: s() },
        Chart::Boxes { categories: vec![("τ = 0.1".into(), vec![])], y_label: s() },
        Chart::Radar { axes: vec![], series: vec![] },
        Chart::Radar { axes: vec!["x".into()], series: vec![("a".into(), vec![])] },
        Chart::Scatter3d { groups: vec![], axis_labels: [s(), s(), s()] },
        Chart::Tradeoff { series: vec![], x_label: s(), y_label: s() },
        Chart::Heatmap { rows: vec![], columns: vec![], values: vec![], value_label: s() },
        Chart::Heatmap {
            rows: vec!["r".into()],
            columns: vec!["c".into()],
            values: vec![vec![None]],
            value_label: s(),
        },
    ]
    .into_iter()
    .enumerate()
    .map(|(i, c)| Figure::new(format!("empty{i}"), "Empty", c))
    .collect()
}

#[test]
fn empty_inputs_say_no_data() {
    for fig in empty_figures() {
        let svg = svg(&fig).unwrap_or_else(|e| panic!("{}: {e}", fig.stem));
        assert!(svg_texts(&svg).iter().any(|t| t == "no data"), "{}: no `no data` notice", fig.stem);
    }
}

#[test]
fn nan_and_missing_values_are_skipped() {
    let n = f64::NAN;
    let inf = f64::INFINITY;
    let charts = vec![
        Chart::Lines {
            series: vec![Series {
                label: "a".into(),
                points: vec![
                    Point::new(0.1, 0.2),
                    Point::new(n, 0.3),
                    Point { x: 0.5, y: n, lo: Some(0.1), hi: None },
                    Point { x: 0.9, y: 0.7, lo: Some(n), hi: Some(0.9) },
                    Point::with_interval(0.95, 0.8, 0.7, inf),
                ],
                dashed: false,
            }],
            band: true,
            x_label: "x".into(),
            y_label: "y".into(),
            y_range: (1.0, 0.0),
        },
        Chart::Bars {
            groups: vec!["a".into(), "b".into()],
            series: vec![("s".into(), vec![(n, None), (0.3, Some((n, 0.4))), (0.9, None)])],
            y_label: "y".into(),
        },
        Chart::Boxes {
            categories: vec![("a".into(), vec![n, 0.1, 0.2, inf, 0.9]), ("b".into(), vec![n])],
            y_label: "y".into(),
        },
        Chart::Radar {
            axes: vec!["a".into(), "b".into(), "c".into()],
            series: vec![("s".into(), vec![0.5, n, 2.0, 0.3])],
        },
        Chart::Scatter3d {
            groups: vec![("g".into(), vec![(n, 0.1, 0.2), (0.3, 0.4, 0.5)])],
            axis_labels: ["a".into(), "b".into(), "c".into()],
        },
        Chart::Tradeoff {
            series: vec![("s".into(), vec![(n, 0.1, "τ=0.1".into()), (0.2, 0.3, "τ=0.5".into())])],
            x_label: "x".into(),
            y_label: "y".into(),
        },
        Chart::Heatmap {
            rows: vec!["r1".into()],
            columns: vec!["c1".into(), "c2".into(), "c3".into()],
            values: vec![vec![Some(n), Some(0.4)], vec![Some(0.2)]],
            value_label: "v".into(),
        },
    ];
    for (i, chart) in charts.into_iter().enumerate() {
        let fig = Figure::new(format!("nan{i}"), "Missing values", chart);
        let svg = svg(&fig).unwrap_or_else(|e| panic!("{}: {e}", fig.stem));
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{}: a non-finite value was drawn", fig.stem);
        assert!(!svg_texts(&svg).iter().any(|t| t == "no data"), "{}: finite values were not drawn", fig.stem);
    }
}

#[test]
fn box_summary_uses_tukey_fences() {
    let s = super::boxes::summary(&[1.0, 2.0, 3.0, 4.0, 5.0, 100.0, f64::NAN]).unwrap();
    assert_eq!((s.q1, s.median, s.q3), (2.25, 3.5, 4.75));
    assert_eq!((s.low, s.high), (1.0, 5.0));
    assert_eq!(s.outliers, vec![100.0]);
    assert!(super::boxes::summary(&[f64::NAN]).is_none());
}

#[test]
fn tick_labels_of_one_axis_share_their_decimals() {
    assert_eq!(axis_decimals(&(0.0..1.0), 8), 1);
    assert_eq!(axis_decimals(&(0.0..0.23), 8), 2);
    assert_eq!(axis_decimals(&(0.0..100.0), 8), 0);
    assert_eq!(fixed(-0.0001, 2), "0.00");
    assert_eq!(fixed(0.30000000000000004, 1), "0.3");
}

#[test]
fn long_labels_wrap_at_separators() {
    let mut out = String::new();
    let root = plotters::prelude::SVGBackend::with_string(&mut out, (100, 100)).into_drawing_area();
    register_fonts().unwrap();
    let style = super::draw::Ctx { s: 1.0 }.font(17.0);
    let lines = wrap(&root, "AgentScope-DeepSeek", &style, 110);
    assert_eq!(lines, vec!["AgentScope-".to_string(), "DeepSeek".to_string()]);
    assert_eq!(wrap(&root, "GPT", &style, 110), vec!["GPT".to_string()]);
}
