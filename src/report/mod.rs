//! Report: the audit (summary, rates per system, channel, recipient and item kind, leak paths, findings with
//! their transcripts), then, where runs carry a trust level and a scenario, figures, tables, fits, defense
//! comparison, trust budgets, exclusions and the exact definitions used, as `report.md` and a self-contained
//! `index.html` (no network; figures beside it).
//!
//! In: the store's findings, metrics and fits (`pipeline::report_data`), or a pre-aggregated OER table shaped like
//! the paper's Table III (`--from-oer`). Out: `<out>/report.md`, `<out>/index.html`, `<out>/figures/*.{svg,png}`.
//! Evidence and transcripts arrive masked unless the user asked for `--reveal`; the rest is rates and counts.

pub mod audit;
pub mod figures;
pub mod from_oer;
pub mod tables;
pub mod validity;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub use self::audit::Audit;
use self::from_oer::AdCheck;
use self::tables::{Table, escape};
use crate::error::{Error, Result};
use crate::figures::{Figure, render};
use crate::fit::Fits;
use crate::metrics::{Metric, Metrics, SystemKey, Weights};

/// OER of one (system, sub-scene, τ), with the chains behind it when they were counted.
#[derive(Debug, Clone, PartialEq)]
pub struct OerRow {
    pub system: SystemKey,
    pub scenario_id: String,
    pub trust: f64,
    pub oer: f64,
    pub chains: Option<u64>,
    pub success: Option<f64>,
}

/// Everything a report is made of.
pub struct ReportData {
    /// What the numbers come from, in words.
    pub source: String,
    pub scope: Option<String>,
    pub rows: Vec<OerRow>,
    pub metrics: Option<Metrics>,
    pub fits: Option<Fits>,
    /// `--from-oer`: the AD check of every row.
    pub ad_checks: Vec<AdCheck>,
    pub excluded: BTreeMap<String, u64>,
    /// Findings and transcripts (reports of a labeled store).
    pub audit: Option<Audit>,
    /// Agreement with a judge and corrected rates (reports of a labeled store).
    pub validity: Option<validity::Validity>,
}

impl ReportData {
    pub fn from_metrics(source: String, metrics: Metrics, fits: Fits) -> ReportData {
        let rows = metrics
            .cells
            .iter()
            .map(|c| OerRow {
                system: c.system.clone(),
                scenario_id: c.scenario_id.clone(),
                trust: c.trust,
                oer: c.oer(),
                chains: Some(c.chains),
                success: (c.success_known > 0).then(|| c.succeeded as f64 / c.success_known as f64),
            })
            .collect();
        ReportData {
            source,
            scope: Some(metrics.scope.clone()),
            rows,
            excluded: metrics.excluded.clone(),
            metrics: Some(metrics),
            fits: Some(fits),
            ad_checks: Vec::new(),
            audit: None,
            validity: None,
        }
    }

    pub fn from_oer(path: &Path) -> Result<ReportData> {
        let table = from_oer::load(path)?;
        Ok(ReportData {
            source: format!("the pre-aggregated OER table {}", path.display()),
            scope: None,
            rows: table.rows,
            metrics: None,
            fits: None,
            ad_checks: table.checks,
            excluded: BTreeMap::new(),
            audit: None,
            validity: None,
        })
    }

    pub fn trust_levels(&self) -> Vec<f64> {
        let mut levels: Vec<f64> = self.rows.iter().map(|r| r.trust).collect();
        levels.sort_by(f64::total_cmp);
        levels.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        levels
    }

    /// AD per (system, sub-scene), equal weights: from the metrics when there are any, else from the rows.
    pub fn drift_by_scenario(&self) -> BTreeMap<(SystemKey, String), f64> {
        match &self.metrics {
            Some(m) => m
                .drift
                .iter()
                .filter(|d| d.weights == Weights::Equal)
                .map(|d| ((d.system.clone(), d.scenario_id.clone()), d.ad))
                .collect(),
            None => self::figures::drift_from_rows(&self.rows),
        }
    }
}

/// What `write` produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    pub index: PathBuf,
    pub markdown: PathBuf,
    pub figures: Vec<PathBuf>,
    pub ad_disagreements: usize,
}

/// One section of the report, kept as Markdown and HTML side by side.
#[derive(Default)]
struct Doc {
    md: String,
    html: String,
    /// HTML after the main part (the transcript view and the script).
    after: String,
    /// The level-2 sections: anchor and title.
    contents: Vec<(String, String)>,
}

/// An HTML id for a section title: lowercase letters and digits, words joined by `-` (`sec-` in front).
fn anchor(text: &str) -> String {
    let words: Vec<String> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    format!("sec-{}", words.join("-"))
}

impl Doc {
    fn heading(&mut self, level: usize, text: &str) {
        let _ = writeln!(self.md, "\n{} {text}\n", "#".repeat(level));
        let id = anchor(text);
        let _ = writeln!(self.html, "<h{level} id=\"{id}\">{}</h{level}>", escape(text));
        if level == 2 {
            self.contents.push((id, text.to_string()));
        }
    }

    /// A link to each section (HTML only; the Markdown renders its own outline).
    fn contents_html(&self) -> String {
        let links: Vec<String> =
            self.contents.iter().map(|(id, text)| format!("<a href=\"#{id}\">{}</a>", escape(text))).collect();
        format!("<nav class=\"contents\">Contents: {}</nav>\n", links.join(" · "))
    }

    fn para(&mut self, text: &str) {
        let _ = writeln!(self.md, "{text}\n");
        let _ = writeln!(self.html, "<p>{}</p>", escape(text));
    }

    fn list(&mut self, items: &[String]) {
        for item in items {
            let _ = writeln!(self.md, "- {item}");
        }
        self.md.push('\n');
        self.html.push_str("<ul>\n");
        for item in items {
            let _ = writeln!(self.html, "<li>{}</li>", escape(item));
        }
        self.html.push_str("</ul>\n");
    }

    fn table(&mut self, table: &Table) {
        self.md.push_str(&table.markdown());
        self.md.push('\n');
        self.html.push_str(&table.html());
    }

    fn figure(&mut self, stem: &str, title: &str) {
        let _ = writeln!(self.md, "![{title}](figures/{stem}.svg)\n");
        let _ = writeln!(
            self.html,
            "<figure><img src=\"figures/{stem}.svg\" alt=\"{t}\" width=\"900\"><figcaption>{t} \
             (<a href=\"figures/{stem}.png\">PNG</a>)</figcaption></figure>",
            t = escape(title)
        );
    }
}

fn num(x: f64) -> String {
    if x.is_finite() { format!("{x:.3}") } else { "-".into() }
}

fn interval(x: (f64, f64, f64)) -> String {
    format!("{} [{}, {}]", num(x.0), num(x.1), num(x.2))
}

const DEFINITIONS: &[&str] = &[
    "Outward message: sent by a custodian to any other principal (agent, user, tool, memory); private reasoning \
     (thoughts) is never outward, tool-call arguments are.",
    "Exposure: an item outside the MNI (Minimum Necessary Information) found in an outward message, as written, with \
     separators or spacing removed, with digits spelled out, by an item's own pattern, or from merged external labels; \
     decoys never count.",
    "Over-exposure of a chain (scope `chain`): any outward custodian message of the chain exposes an item; scope \
     `final`: the final outward message does.",
    "OER(S, τ) = share of the chains of sub-scene S at trust τ that over-exposed; Wilson 95 % intervals.",
    "AD(S) = Σ_τ w_τ (OER(S, τ) − Σ_τ w_τ OER(S, τ))², with w_τ = 1/|T| (equal weights, used in the tables) or ∝ \
     chains at τ (size weights, in the store's metrics_drift).",
    "System-level values say how they were aggregated: `pooled` (all chains of the system at τ together), \
     `mean_of_scenarios` (the plain mean of per-sub-scene values, as the paper's Table III rows are averaged).",
    "Trust-risk fit: binomial GLM logit p = b0 + b1 τ (+ b2 τ²) by IRLS on chains pooled over sub-scenes, Wald 95 % \
     intervals; AIC chooses the shape; τ*(ε) is the largest τ whose upper 95 % band stays ≤ ε.",
    "Curvature: (OER(τ2) − OER(τ1)) − (OER(τ3) − OER(τ2)) at the lowest, middle and highest trust levels; positive \
     means the risk rises faster at low trust.",
    "Defense effect: ΔOER = defended − undefended at each τ (Newcombe 95 % interval), relative change (log-adjusted \
     ratio interval), exact McNemar on chains paired by (sub-scene, τ, seed); ΔAD of the mean per-sub-scene AD with \
     a 95 % bootstrap interval over sub-scenes.",
];

/// How many findings `report.md` lists.
const MARKDOWN_FINDINGS: usize = 50;

/// The audit part: summary, breakdowns, leak paths, findings; returns its figures.
fn audit_section(doc: &mut Doc, a: &Audit) -> Vec<Figure> {
    let f = &a.findings;
    doc.heading(2, "Audit summary");
    doc.list(&audit::summary_lines(f, a.policy_read));
    for (title, note, table) in audit::tables(f) {
        doc.heading(3, &title);
        doc.para(&note);
        doc.table(&table);
    }
    if !f.leak_paths.is_empty() {
        doc.heading(3, "Leak paths");
        let (table, total) = audit::paths_table(f);
        doc.para(&format!(
            "Who passed items of each kind to whom: the senders an item went through (the custodian first), then the \
             recipient; a path of two senders is a second hop, attributed to the agent who passed the item on. {} of \
             {} paths, most exposures first; the figures below draw them as sender × recipient matrices.",
            table.rows.len(),
            total
        ));
        doc.table(&table);
    }
    let _ = writeln!(doc.md, "\n## Findings\n");
    doc.md.push_str(&audit::markdown(a, MARKDOWN_FINDINGS));
    doc.contents.push(("sec-findings".into(), "Findings".into()));
    doc.html.push_str(&audit::findings_html(a));
    doc.after.push_str(&audit::transcript_html(a));
    audit::figures(f)
}

/// The labeling-validity part: judge agreement, review queue, labeler error and corrected rates, or what each needs.
fn validity_section(doc: &mut Doc, v: &validity::Validity) {
    doc.heading(2, "Labeling validity");
    doc.heading(3, "Agreement with a judge");
    if v.agreement.rows.is_empty() {
        doc.para(
            "No external labels were merged, so there is no agreement to report: label with `tvp label --labels \
             judge.jsonl` (run_id, turn, item_id: an LLM judge's or a human's) and run `tvp validity`.",
        );
    } else {
        doc.para(
            "Per item kind, run × item units cross-classified by the rules and the judge; Cohen's κ with a Wald 95 % \
             interval (the standard error of Fleiss, Cohen and Everitt, as statsmodels' cohens_kappa).",
        );
        doc.table(&v.agreement);
        doc.heading(3, "Review queue");
        doc.para(&format!(
            "The run × item units the rules and the judge disagree on, for a human to decide: {} of {} (all in the \
             store's `review_queue` table).",
            v.review.rows.len(),
            v.review_total
        ));
        doc.table(&v.review);
    }
    doc.heading(3, "Rates corrected for labeling error");
    if v.labeler.rows.is_empty() {
        doc.para(
            "No validation set was given, so the rates above are not corrected for the labeler's error: run `tvp \
             validity --truth truth.jsonl` (a simulator's truth file) or `--validation human.csv` (run_id, \
             over_exposed for a sample of runs).",
        );
    } else {
        doc.para("The labeler's chain-level sensitivity and specificity on the validation set, Wilson 95 % intervals:");
        doc.table(&v.labeler);
        doc.para(
            "Next to each pooled OER, the Rogan-Gladen rate (OER + specificity − 1) / (sensitivity + specificity − \
             1), clamped to [0, 1], with a seeded bootstrap 95 % interval that redraws the sensitivity, the \
             specificity and the observed rate (per-cell rows are in the store's `validity_corrected`).",
        );
        doc.table(&v.corrected);
    }
}

/// Render the report into `out`.
pub fn write(data: &ReportData, out: &Path) -> Result<Written> {
    let figures_dir = out.join("figures");
    std::fs::create_dir_all(&figures_dir).map_err(|source| Error::Write { path: figures_dir.clone(), source })?;
    let mut doc = Doc::default();
    let title = "tvp report: trust-induced over-exposure";
    let _ = writeln!(doc.md, "# {title}\n");
    let levels = data.trust_levels();
    let systems: Vec<SystemKey> = {
        let mut s: Vec<SystemKey> = data.rows.iter().map(|r| r.system.clone()).collect();
        s.sort();
        s.dedup();
        s
    };
    let chains: u64 = data.rows.iter().filter_map(|r| r.chains).sum();
    let mut about = vec![format!("Source: {}.", data.source)];
    if !data.rows.is_empty() {
        about.push(format!(
            "{} systems, {} rows (system × sub-scene × τ), trust levels {}{}.",
            systems.len(),
            data.rows.len(),
            levels.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", "),
            if chains > 0 { format!(", {chains} chains") } else { String::new() }
        ));
    }
    let scope = data
        .scope
        .clone()
        .filter(|s| !s.is_empty())
        .or_else(|| data.audit.as_ref().and_then(|a| a.findings.label_scope.clone()));
    if let Some(scope) = scope {
        about.push(format!("Label scope: `{scope}` (see Definitions)."));
    }
    let excluded: u64 = data.excluded.values().sum();
    if data.metrics.is_some() {
        if excluded == 0 {
            about.push("Runs excluded from the metrics: none.".into());
        } else {
            let why: Vec<String> = data.excluded.iter().map(|(r, n)| format!("{n} ({r})")).collect();
            about.push(format!("Runs excluded from the metrics and fits: {excluded}: {}.", why.join(", ")));
        }
    }
    doc.list(&about);

    let disagreements: Vec<&AdCheck> = data.ad_checks.iter().filter(|c| c.disagrees).collect();
    let mut audit_figures = Vec::new();
    if let Some(audit) = &data.audit {
        audit_figures = audit_section(&mut doc, audit);
    }
    if let Some(validity) = &data.validity {
        validity_section(&mut doc, validity);
    }
    let has_trust = !data.rows.is_empty();
    if !has_trust {
        doc.heading(2, "Trust levels");
        doc.para(&format!(
            "The trust sections (OER by τ and sub-scene, authorization drift, trust-risk fits and τ*, defense \
             comparison, trust figures) need runs with a trust level and a scenario; {}. Give them with `--manifest \
             runs.csv` (columns `run_id` or `path`, `trust`, `scenario_id`).",
            if excluded == 0 { "there are none".to_string() } else { format!("none of the {excluded} runs has both") }
        ));
    }
    if has_trust {
        doc.heading(2, "Over-exposure by system and trust level");
        doc.para("Mean OER over sub-scenes at each trust level (the aggregation of the paper's Table III).");
        doc.table(&tables::oer_by_system(&data.rows)?);
        if data.rows.iter().any(|r| r.success.is_some()) {
            doc.heading(2, "Task success by system");
            doc.table(&tables::success_by_system(&data.rows)?);
        }

        if let Some(metrics) = &data.metrics {
            doc.heading(2, "System-level OER and AD, with how each is aggregated");
            let mut t = Table {
                header: vec![
                    "system".into(),
                    "metric".into(),
                    "τ".into(),
                    "aggregation".into(),
                    "value [95 %]".into(),
                    "interval".into(),
                ],
                rows: vec![],
            };
            for a in metrics.aggregates.iter().filter(|a| a.metric == Metric::Oer || a.metric == Metric::Ad) {
                t.rows.push(vec![
                    a.system.name(),
                    a.metric.as_str().into(),
                    a.trust.map_or("-".into(), |t| t.to_string()),
                    a.aggregation.as_str().into(),
                    match (a.low, a.high) {
                        (Some(l), Some(h)) => interval((a.value, l, h)),
                        _ => num(a.value),
                    },
                    a.interval.unwrap_or("-").into(),
                ]);
            }
            doc.table(&t);
        } else {
            doc.heading(2, "Authorization drift per system");
            let drift = data.drift_by_scenario();
            let mut t = Table {
                header: vec!["system".into(), "mean AD over sub-scenes".into(), "sub-scenes".into()],
                rows: vec![],
            };
            for s in &systems {
                let v: Vec<f64> = drift.iter().filter(|((k, _), _)| k == s).map(|(_, a)| *a).collect();
                t.rows.push(vec![
                    s.name(),
                    format!("{:.4}", v.iter().sum::<f64>() / v.len().max(1) as f64),
                    v.len().to_string(),
                ]);
            }
            doc.table(&t);
        }

        if !data.ad_checks.is_empty() {
            doc.heading(2, "Reported AD against recomputed AD");
            let with_reported = data.ad_checks.iter().filter(|c| c.reported.is_some()).count();
            doc.para(&format!(
                "AD recomputed as the population variance of each row's OER values. {} of {} rows with a reported AD agree \
                 within the rounding of the reported value; {} disagree:",
                with_reported - disagreements.len(),
                with_reported,
                disagreements.len()
            ));
            let mut t = Table {
                header: vec![
                    "system".into(),
                    "sub-scene".into(),
                    "OER".into(),
                    "reported AD".into(),
                    "computed AD".into(),
                ],
                rows: vec![],
            };
            for c in &disagreements {
                t.rows.push(vec![
                    c.system.clone(),
                    c.scenario_id.clone(),
                    c.oer.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(" / "),
                    c.reported.clone().unwrap_or_default(),
                    format!("{:.4}", c.computed),
                ]);
            }
            doc.table(&t);
        }

        if let Some(fits) = &data.fits {
            doc.heading(2, "Trust-risk fits and trust budgets");
            let mut t = Table {
                header: vec![
                    "system".into(),
                    "shape".into(),
                    "b0 [95 %]".into(),
                    "b1 [95 %]".into(),
                    "b2 [95 %]".into(),
                    "AIC".into(),
                    "curvature (fit / observed)".into(),
                    format!("τ*(ε={})", fits.epsilon),
                ],
                rows: vec![],
            };
            for f in &fits.systems {
                for s in &f.shapes {
                    t.rows.push(vec![
                        f.system.name(),
                        format!("{}{}", s.shape, if s.chosen { " (chosen)" } else { "" }),
                        s.coefficients.first().map_or("-".into(), |c| interval(*c)),
                        s.coefficients.get(1).map_or("-".into(), |c| interval(*c)),
                        s.coefficients.get(2).map_or("-".into(), |c| interval(*c)),
                        format!("{:.2}", s.aic),
                        format!(
                            "{} / {}",
                            s.curvature.map_or("-".into(), num),
                            f.observed_curvature.map_or("-".into(), num)
                        ),
                        s.tau_star.map_or("none (bound above ε at τ = 0)".into(), |t| format!("{t:.3}")),
                    ]);
                }
                if let Some(note) = &f.note {
                    t.rows.push(vec![
                        f.system.name(),
                        note.clone(),
                        "".into(),
                        "".into(),
                        "".into(),
                        "".into(),
                        "".into(),
                        "".into(),
                    ]);
                }
            }
            doc.table(&t);
            if let Some(d) = &fits.systems_differ {
                doc.para(&format!(
                    "Do the systems differ? Likelihood-ratio test of one shared curve against a system × τ model: χ² = {:.2}, \
                     df = {}, p = {:.3e}.",
                    d.statistic, d.df, d.p
                ));
            }
            if !fits.defenses.is_empty() {
                doc.heading(2, "Defense comparison");
                let mut t = Table {
                    header: vec![
                        "defended system".into(),
                        "τ".into(),
                        "OER baseline".into(),
                        "OER defended".into(),
                        "ΔOER [95 %]".into(),
                        "relative change [95 %]".into(),
                        "paired chains".into(),
                        "McNemar p".into(),
                    ],
                    rows: vec![],
                };
                for d in &fits.defenses {
                    for p in &d.per_trust {
                        t.rows.push(vec![
                            d.defended.name(),
                            p.trust.to_string(),
                            p.baseline.map_or("-".into(), num),
                            p.defended.map_or("-".into(), num),
                            p.diff.map_or("-".into(), interval),
                            p.relative.map_or("-".into(), interval),
                            p.pairs.to_string(),
                            p.mcnemar_p.map_or("-".into(), |v| format!("{v:.3e}")),
                        ]);
                    }
                }
                doc.table(&t);
                let ad: Vec<String> = fits
                    .defenses
                    .iter()
                    .map(|d| {
                        format!(
                            "{}: mean AD {:.4} → {:.4}, ΔAD {}, relative {}",
                            d.defended.name(),
                            d.ad_baseline,
                            d.ad_defended,
                            interval(d.ad_diff),
                            interval(d.ad_relative)
                        )
                    })
                    .collect();
                doc.list(&ad);
            }
        }
    }

    doc.heading(2, "Figures");
    let mut written = Vec::new();
    let trust_figures = if has_trust { self::figures::figures(data) } else { Vec::new() };
    for fig in audit_figures.iter().chain(&trust_figures) {
        let (svg, png) = render(fig, &figures_dir)?;
        doc.figure(&fig.stem, &fig.title);
        written.push(svg);
        written.push(png);
    }

    doc.heading(2, "Definitions");
    doc.list(&DEFINITIONS.iter().map(|d| d.to_string()).collect::<Vec<_>>());

    let markdown = out.join("report.md");
    std::fs::write(&markdown, &doc.md).map_err(|source| Error::Write { path: markdown.clone(), source })?;
    let index = out.join("index.html");
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>\n\
         body {{ font-family: sans-serif; max-width: 1000px; margin: 2em auto; color: #222; }}\n\
         table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}\n\
         th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}\n\
         th:first-child, td:first-child {{ text-align: left; }}\n\
         figure {{ margin: 1.5em 0; }} img {{ max-width: 100%; height: auto; border: 1px solid #eee; }}\n\
         {}</style>\n</head>\n<body>\n<div id=\"main\">\n<h1>{title}</h1>\n{}{}\n</div>\n{}</body>\n</html>\n",
        audit::STYLE,
        doc.contents_html(),
        doc.html,
        doc.after
    );
    std::fs::write(&index, html).map_err(|source| Error::Write { path: index.clone(), source })?;
    Ok(Written { index, markdown, figures: written, ad_disagreements: disagreements.len() })
}
