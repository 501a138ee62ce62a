//! The audit part of a report, which needs neither trust levels nor scenarios: the summary, rates per system,
//! channel, recipient kind and item kind, the leak paths (table and sender × recipient figures), and the findings
//! view with its transcript views.
//!
//! In: [`Findings`] and the masked transcripts of the runs the page shows. Out: Markdown and HTML fragments and
//! figures for `report::write`. The HTML view is one page with no network access: the findings and transcripts
//! travel as a JSON island read by a small script that filters and paginates the findings and opens a run's
//! transcript (`#run=<id>&turn=<n>`) with the exposing turns highlighted. At most [`crate::pipeline::REPORT_RUNS`]
//! runs are in the page; the count of the rest and the command that lists them are printed beside it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::tables::{Table, escape};
use crate::figures::{Chart, Figure};
use crate::findings::{Findings, Group, Rate, TranscriptMessage};

/// Findings and the transcripts shown with them.
pub struct Audit {
    pub findings: Findings,
    pub transcripts: BTreeMap<String, Vec<TranscriptMessage>>,
    /// The runs with findings the page holds (see `Findings::sample`).
    pub shown: BTreeSet<String>,
    /// Whether the deployment policy the store was labeled with was given, so its values are masked too.
    pub policy_read: bool,
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{:.1} %", 100.0 * v))
}

/// `0.734 [0.705, 0.761]`, or `-` without runs.
pub fn rate(r: &Rate) -> String {
    match (r.value, r.low, r.high) {
        (Some(v), Some(l), Some(h)) => format!("{v:.3} [{l:.3}, {h:.3}]"),
        _ => "-".into(),
    }
}

/// The one-line summary of a store's findings.
pub fn summary_lines(f: &Findings, policy_read: bool) -> Vec<String> {
    let s = &f.summary;
    let mut lines = vec![
        format!(
            "{} runs, {} labeled (label scope `{}`); masked evidence: {}.",
            s.runs,
            s.labeled,
            f.label_scope.as_deref().unwrap_or("-"),
            if f.revealed { "no (--reveal)" } else { "yes" }
        ),
        format!(
            "Over-exposed runs: {} ({}), over-exposure rate {} (Wilson 95 %).",
            s.over_exposed,
            pct(s.over_exposure_rate.value),
            rate(&s.over_exposure_rate)
        ),
        format!(
            "Over-authorized runs: {} ({}), rate {}.",
            s.over_authorized,
            pct(s.over_authorization_rate.value),
            rate(&s.over_authorization_rate)
        ),
        format!(
            "Exposures: {} ({} first-hop by a custodian, {} second-hop: a recipient passing an item on).",
            s.exposures,
            s.exposures - s.second_hop_exposures,
            s.second_hop_exposures
        ),
    ];
    let by_policy = f.exposure_rows().any(|(_, e)| e.rule.contains("policy"));
    if by_policy && policy_read && !f.revealed {
        lines.push(
            "Labeled with the deployment policy given (`--policy`): its listed, detected and learned values are \
             masked in the transcripts too."
                .into(),
        );
    } else if by_policy && !f.revealed {
        lines.push(
            "This store was labeled with a deployment policy, which the report does not read: the transcripts mask \
             the catalog's values, the runs' own and every text an exposure matched, but may show other values the \
             policy protects (in tool results, for instance). Give the policy (`--policy`) to mask them, or share \
             the page with care."
                .into(),
        );
    }
    if let Some(n) = s.without_ground_truth.filter(|&n| n > 0) {
        lines.push(format!(
            "Runs without any ground truth: {} of {}. Neither their log nor a scenario of the catalog says what is \
             secret in them, so nothing could be found in them and their \"no finding\" means \"not checked\"; give \
             them a catalog scenario (`--manifest` with `scenario_id`) or a catalog of your own (`--catalog`).",
            n, s.runs
        ));
    }
    lines.push(format!(
        "Runs with a trust level and a scenario (usable for trust metrics): {}.",
        s.with_trust_and_scenario
    ));
    lines
}

fn group_table(first: &str, groups: &[Group], denominator: &str, authorized: bool) -> Table {
    let mut header = vec![
        first.to_string(),
        format!("runs ({denominator})"),
        "over-exposed runs".into(),
        "rate [95 %]".into(),
        "exposures".into(),
    ];
    if authorized {
        header.push("over-authorized runs".into());
    }
    let rows = groups
        .iter()
        .map(|g| {
            let mut row = vec![
                g.key.clone(),
                g.runs.to_string(),
                g.over_exposed.to_string(),
                rate(&g.rate),
                g.exposures.to_string(),
            ];
            if authorized {
                row.push(g.over_authorized.unwrap_or(0).to_string());
            }
            row
        })
        .collect();
    Table { header, rows }
}

/// The breakdown tables, each with its title and what its denominator is.
pub fn tables(f: &Findings) -> Vec<(String, String, Table)> {
    let b = &f.breakdowns;
    let mut out = vec![(
        "Over-exposure by system".to_string(),
        "A system is framework × backend × defense; the rate is over-exposed runs over the system's runs.".to_string(),
        group_table("system", &b.system, "of the system", true),
    )];
    if !b.channel.is_empty() {
        out.push((
            "Over-exposure by channel".into(),
            "Runs with an exposure on the channel over runs that used it (AgentLeak's channels: C1 output to \
             the user, C2 inter-agent, C3 tool call, C5 memory write)."
                .into(),
            group_table("channel", &b.channel, "that used it", false),
        ));
    }
    if !b.recipient_kind.is_empty() {
        out.push((
            "Over-exposure by recipient kind".into(),
            "Runs that exposed an item to a recipient of the kind over all labeled runs.".into(),
            group_table("recipient kind", &b.recipient_kind, "all labeled", false),
        ));
    }
    if !b.item_kind.is_empty() {
        out.push((
            "Over-exposure by item kind".into(),
            "Runs that exposed an item of the kind over all labeled runs.".into(),
            group_table("item kind", &b.item_kind, "all labeled", false),
        ));
    }
    out
}

/// How many leak-path rows the report's table lists.
const PATH_ROWS: usize = 40;

/// Leak paths: who passed items of each kind to whom, most exposures first.
pub fn paths_table(f: &Findings) -> (Table, usize) {
    let mut paths: Vec<_> = f.leak_paths.iter().collect();
    paths.sort_by(|a, b| {
        b.exposures.cmp(&a.exposures).then_with(|| (&a.item_kind, &a.path).cmp(&(&b.item_kind, &b.path)))
    });
    let rows = paths
        .iter()
        .take(PATH_ROWS)
        .map(|p| {
            vec![
                p.item_kind.clone(),
                format!("{} → {}", p.path.join(" → "), p.recipient),
                if p.path.len() > 1 { format!("hop {}", p.path.len()) } else { "hop 1".into() },
                p.exposures.to_string(),
                p.runs.to_string(),
            ]
        })
        .collect();
    let header = ["item kind", "path (custodian first) → recipient", "hop", "exposures", "runs"];
    (Table { header: header.iter().map(|h| h.to_string()).collect(), rows }, paths.len())
}

/// Rows and columns each leak-flow heatmap keeps (the most frequent).
const FLOW_LABELS: usize = 16;
/// Item kinds that get a leak-flow figure (the most exposed).
const FLOW_KINDS: usize = 4;

/// The audit figures: over-exposure and over-authorization rates per system, and per item kind a sender-path ×
/// recipient matrix of the share of that kind's exposures.
pub fn figures(f: &Findings) -> Vec<Figure> {
    let mut figs = Vec::new();
    let systems = &f.breakdowns.system;
    if !systems.is_empty() {
        let bar = |r: &Rate| (r.value.unwrap_or(f64::NAN), r.low.zip(r.high));
        let authorized: Vec<_> =
            systems.iter().map(|g| bar(&Rate::of(g.over_authorized.unwrap_or(0), g.runs))).collect();
        figs.push(
            Figure::new(
                "audit_rates_by_system",
                "Over-exposed and over-authorized runs, by system",
                Chart::Bars {
                    groups: systems.iter().map(|g| g.key.clone()).collect(),
                    series: vec![
                        ("over-exposed runs".into(), systems.iter().map(|g| bar(&g.rate)).collect()),
                        ("over-authorized runs".into(), authorized),
                    ],
                    y_label: "share of runs".into(),
                },
            )
            .with_subtitle("Wilson 95 % intervals; no trust level or scenario needed"),
        );
    }
    let mut by_kind: BTreeMap<&str, u64> = BTreeMap::new();
    for p in &f.leak_paths {
        *by_kind.entry(&p.item_kind).or_default() += p.exposures;
    }
    let mut kinds: Vec<(&str, u64)> = by_kind.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (n, (item_kind, total)) in kinds.into_iter().take(FLOW_KINDS).enumerate() {
        let paths: Vec<_> = f.leak_paths.iter().filter(|p| p.item_kind == item_kind).collect();
        let top = |key: &dyn Fn(&crate::findings::LeakPath) -> String| -> Vec<String> {
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            for p in &paths {
                *counts.entry(key(p)).or_default() += p.exposures;
            }
            let mut v: Vec<(String, u64)> = counts.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v.into_iter().take(FLOW_LABELS).map(|(k, _)| k).collect()
        };
        let rows = top(&|p| p.path.join(" → "));
        let columns = top(&|p| p.recipient.clone());
        let values = rows
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .map(|c| {
                        let k: u64 = paths
                            .iter()
                            .filter(|p| p.path.join(" → ") == *r && p.recipient == *c)
                            .map(|p| p.exposures)
                            .sum();
                        (k > 0).then(|| k as f64 / total as f64)
                    })
                    .collect()
            })
            .collect();
        let stem = format!("audit_leak_flow_{}", n + 1);
        figs.push(
            Figure::new(
                stem,
                format!("Who passed `{item_kind}` items to whom"),
                Chart::Heatmap { rows, columns, values, value_label: "share of exposures".into() },
            )
            .with_subtitle(format!(
                "rows: senders, the custodian first (\"A → B\": B passed on what A disclosed); columns: recipients; \
                 gray: none; {total} exposures"
            )),
        );
    }
    figs
}

/// The Markdown findings: the first runs' exposures, one line each.
pub fn markdown(audit: &Audit, limit: usize) -> String {
    let f = &audit.findings;
    let mut md = String::new();
    let total: usize = f.runs.iter().map(|r| r.exposures.len() + r.over_authorizations.len()).sum();
    if total == 0 {
        md.push_str("No run exposed an item outside the MNI or performed an action outside the allowed ones.\n\n");
        return md;
    }
    let _ = writeln!(
        md,
        "{} runs with findings, {} findings. The first {} are listed; all of them: `tvp findings --store {} --json`.\n",
        f.runs.len(),
        total,
        limit.min(total),
        f.store
    );
    let mut n = 0;
    'runs: for r in &f.runs {
        for e in &r.exposures {
            if n == limit {
                break 'runs;
            }
            n += 1;
            let _ = writeln!(
                md,
                "- `{}` ({}) turn {}: {} → {}{}: `{}` ({}, {}, path {}): {}",
                r.run_id,
                r.system,
                e.turn,
                e.sender,
                if e.recipients.is_empty() { "(unknown)".into() } else { e.recipients.join(", ") },
                e.channel.as_ref().map_or(String::new(), |c| format!(" on {c}")),
                e.item_id,
                e.item_kind.as_deref().unwrap_or("-"),
                e.match_kind,
                e.path.join(" → "),
                e.evidence.replace('\n', " ")
            );
        }
        for a in &r.over_authorizations {
            if n == limit {
                break 'runs;
            }
            n += 1;
            let _ = writeln!(
                md,
                "- `{}` ({}) turn {}: {} performed `{}` (not allowed)",
                r.run_id, r.system, a.turn, a.sender, a.action
            );
        }
    }
    md.push('\n');
    md
}

fn options(id: &str, label: &str, values: &BTreeSet<String>) -> String {
    let mut out = format!("<label>{label} <select id=\"{id}\"><option value=\"\">all</option>");
    for v in values {
        let _ = write!(out, "<option>{}</option>", escape(v));
    }
    out.push_str("</select></label>\n");
    out
}

/// JSON that can sit inside a `<script>` element: `<` is written as its escape, so no `</script>` can end it.
fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

/// The HTML findings view (inside the report's main part).
pub fn findings_html(audit: &Audit) -> String {
    let f = &audit.findings;
    let shown: Vec<&crate::findings::RunFindings> = f.runs.iter().filter(|r| audit.shown.contains(&r.run_id)).collect();
    let (mut systems, mut items, mut recipients, mut kinds) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for r in &shown {
        systems.insert(r.system.clone());
        for e in &r.exposures {
            items.insert(e.item_id.clone());
            recipients.extend(e.recipients.iter().cloned());
            kinds.insert(e.match_kind.clone());
        }
        for a in &r.over_authorizations {
            items.insert(a.action.clone());
            kinds.insert("over-authorization".into());
        }
    }
    let mut html = String::from("<section id=\"findings\">\n<h2 id=\"sec-findings\">Findings</h2>\n");
    let total: usize = f.runs.iter().map(|r| r.exposures.len() + r.over_authorizations.len()).sum();
    let in_page: usize = shown.iter().map(|r| r.exposures.len() + r.over_authorizations.len()).sum();
    let _ = writeln!(
        html,
        "<p id=\"f-about\">{} runs with findings ({} findings). {} Click a run to read its transcript with the \
         exposing turns highlighted. Every finding, for scripts: <code>tvp findings --store {} --json</code>.</p>",
        f.runs.len(),
        total,
        if shown.len() < f.runs.len() {
            format!(
                "This page holds {} of them ({} findings), taken from every system in turn; the other {} runs are \
                 not in the page.",
                shown.len(),
                in_page,
                f.runs.len() - shown.len()
            )
        } else {
            "All of them are in this page.".into()
        },
        escape(&f.store)
    );
    if f.runs.is_empty() {
        html.push_str("<p>No run exposed an item outside the MNI or performed an action outside the allowed ones.</p>\n</section>\n");
        return html;
    }
    html.push_str(
        "<noscript><p>The findings view needs JavaScript; report.md lists the first findings.</p></noscript>\n",
    );
    html.push_str("<div class=\"filters\">\n");
    html.push_str(&options("f-system", "system", &systems));
    html.push_str(&options("f-item", "item or action", &items));
    html.push_str(&options("f-recipient", "recipient", &recipients));
    html.push_str(&options("f-match", "match kind", &kinds));
    html.push_str("<label>run <input id=\"f-run\" size=\"16\" placeholder=\"run id contains\"></label>\n</div>\n");
    html.push_str(
        "<p id=\"f-count\"></p>\n<table id=\"f-table\" class=\"findings\"><thead><tr><th>run</th><th>system</th>\
         <th>turn</th><th>finding</th><th>match</th><th>sender → recipients</th><th>channel</th><th>path</th>\
         <th>evidence</th></tr></thead><tbody></tbody></table>\n<p class=\"pager\"><button id=\"f-prev\">← previous\
         </button> <span id=\"f-page\"></span> <button id=\"f-next\">next →</button></p>\n</section>\n",
    );
    html
}

/// The transcript view (outside the main part, shown instead of it) and the data and script behind both views.
pub fn transcript_html(audit: &Audit) -> String {
    let f = &audit.findings;
    if f.runs.is_empty() {
        return String::new();
    }
    let runs: Vec<&crate::findings::RunFindings> = f.runs.iter().filter(|r| audit.shown.contains(&r.run_id)).collect();
    let data = serde_json::json!({
        "store": f.store,
        "revealed": f.revealed,
        "runs": runs,
        "transcripts": audit.transcripts,
    });
    format!(
        "<section id=\"transcript\" hidden>\n<p><a href=\"#findings\">← back to the findings</a></p>\n\
         <h2 id=\"t-title\"></h2>\n<p id=\"t-meta\"></p>\n<ol id=\"t-messages\" class=\"transcript\"></ol>\n</section>\n\
         <script type=\"application/json\" id=\"tvp-data\">{}</script>\n<script>\n{SCRIPT}</script>\n",
        script_json(&data)
    )
}

/// CSS for the findings and transcript views.
pub const STYLE: &str = "\
.filters label { margin-right: 1em; font-size: 0.9em; }\n\
table.findings td, table.findings th { text-align: left; vertical-align: top; }\n\
table.findings td.evidence { font-family: monospace; white-space: pre-wrap; max-width: 22em; }\n\
ol.transcript { list-style: none; padding: 0; }\n\
ol.transcript > li { border: 1px solid #ddd; border-left: 6px solid #ddd; margin: 0.6em 0; padding: 0.4em 0.8em; }\n\
ol.transcript > li.exposed { border-left-color: #d55e00; background: #fff4ec; }\n\
ol.transcript > li.selected { outline: 3px solid #0072b2; }\n\
ol.transcript li.kind-thought { color: #666; font-style: italic; background: #f6f6f6; }\n\
ol.transcript li.kind-tool_call, ol.transcript li.kind-tool_result { background: #f1f7fb; }\n\
ol.transcript .head { font-size: 0.85em; color: #444; }\n\
ol.transcript .badge { display: inline-block; padding: 0 0.4em; margin-left: 0.5em; border-radius: 3px; \
background: #eee; font-size: 0.85em; }\n\
ol.transcript li.exposed .badge.leak { background: #d55e00; color: #fff; }\n\
ol.transcript pre { white-space: pre-wrap; word-break: break-word; margin: 0.3em 0; font-size: 0.9em; }\n\
ol.transcript ul.hits { margin: 0.2em 0 0.2em 1em; font-size: 0.85em; color: #a03c00; }\n";

/// The findings and transcript views' behavior: filters, pages of 50, and `#run=<id>&turn=<n>` routes.
const SCRIPT: &str = r#"(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('tvp-data').textContent);
  var PAGE = 50;
  var rows = [];
  data.runs.forEach(function (r) {
    r.exposures.forEach(function (e) { rows.push({ r: r, e: e, item: e.item_id, match: e.match_kind }); });
    r.over_authorizations.forEach(function (a) {
      rows.push({ r: r, a: a, item: a.action, match: 'over-authorization' });
    });
  });
  var page = 0;
  var $ = function (id) { return document.getElementById(id); };
  var el = function (tag, text, cls) {
    var n = document.createElement(tag);
    if (text !== undefined && text !== null) { n.textContent = String(text); }
    if (cls) { n.className = cls; }
    return n;
  };
  var link = function (r, turn) { return '#run=' + encodeURIComponent(r.run_id) + '&turn=' + turn; };
  function filtered() {
    var s = $('f-system').value, i = $('f-item').value, rc = $('f-recipient').value, m = $('f-match').value;
    var q = $('f-run').value.trim();
    return rows.filter(function (x) {
      return (!s || x.r.system === s) && (!i || x.item === i) && (!m || x.match === m) &&
        (!rc || (x.e && x.e.recipients.indexOf(rc) >= 0)) && (!q || x.r.run_id.indexOf(q) >= 0);
    });
  }
  function draw() {
    var list = filtered();
    var pages = Math.max(1, Math.ceil(list.length / PAGE));
    page = Math.min(page, pages - 1);
    $('f-count').textContent = list.length + ' of ' + rows.length + ' findings in this page match the filters';
    $('f-page').textContent = 'page ' + (page + 1) + ' of ' + pages;
    $('f-prev').disabled = page === 0;
    $('f-next').disabled = page >= pages - 1;
    var body = document.querySelector('#f-table tbody');
    body.textContent = '';
    list.slice(page * PAGE, (page + 1) * PAGE).forEach(function (x) {
      var tr = el('tr');
      var turn = x.e ? x.e.turn : x.a.turn;
      var td = el('td');
      var a = el('a', x.r.run_id, 'run-link');
      a.href = link(x.r, turn);
      a.dataset.run = x.r.run_id;
      a.dataset.turn = turn;
      td.appendChild(a);
      tr.appendChild(td);
      tr.appendChild(el('td', x.r.system));
      tr.appendChild(el('td', turn));
      if (x.e) {
        tr.appendChild(el('td', x.e.item_id + (x.e.item_kind ? ' (' + x.e.item_kind + ')' : '')));
        tr.appendChild(el('td', x.e.match_kind));
        tr.appendChild(el('td', x.e.sender + ' → ' + (x.e.recipients.join(', ') || '(unknown)')));
        tr.appendChild(el('td', x.e.channel || '-'));
        tr.appendChild(el('td', x.e.path.join(' → ') + (x.e.hop > 1 ? ' (hop ' + x.e.hop + ')' : '')));
        tr.appendChild(el('td', x.e.evidence, 'evidence'));
      } else {
        tr.appendChild(el('td', 'action ' + x.a.action + ' (not allowed)'));
        tr.appendChild(el('td', 'over-authorization'));
        tr.appendChild(el('td', x.a.sender));
        tr.appendChild(el('td', '-'));
        tr.appendChild(el('td', '-'));
        tr.appendChild(el('td', x.a.evidence || '', 'evidence'));
      }
      body.appendChild(tr);
    });
  }
  function kindText(m) {
    switch (m.kind) {
      case 'thought': return 'private reasoning (not outward)';
      case 'tool_call': return 'tool call' + (m.tool_name ? ' to ' + m.tool_name : '');
      case 'tool_result': return 'tool result' + (m.tool_name ? ' from ' + m.tool_name : '');
      case 'system': return 'system prompt';
      case 'handoff': return 'handoff';
      default: return 'message';
    }
  }
  function showRun(id, turn) {
    var run = data.runs.filter(function (r) { return r.run_id === id; })[0];
    var msgs = data.transcripts[id];
    $('main').hidden = true;
    $('transcript').hidden = false;
    var title = $('t-title');
    title.textContent = 'Transcript of run ' + id;
    title.dataset.run = id;
    var meta = [];
    if (run) {
      meta.push('system ' + run.system);
      meta.push('scenario ' + (run.scenario_id || '-'));
      meta.push('τ ' + (run.trust === null ? '-' : run.trust));
      if (run.source_file) { meta.push('file ' + run.source_file); }
      meta.push(run.exposures.length + ' exposures');
    }
    $('t-meta').textContent = meta.join(' · ');
    var ol = $('t-messages');
    ol.textContent = '';
    if (!msgs) {
      ol.appendChild(el('li', 'This run\'s transcript is not in the page: tvp findings --store ' + data.store +
        ' --run ' + id));
      return;
    }
    var hits = {};
    (run ? run.exposures : []).forEach(function (e) { (hits[e.turn] = hits[e.turn] || []).push(e); });
    var selected = null;
    msgs.forEach(function (m) {
      var li = el('li', null, 'msg kind-' + m.kind);
      li.id = 'turn-' + m.turn;
      li.dataset.turn = m.turn;
      if (hits[m.turn]) { li.classList.add('exposed'); }
      if (String(m.turn) === String(turn)) { li.classList.add('selected'); selected = li; }
      var head = el('div', null, 'head');
      head.appendChild(el('span', 'turn ' + m.turn + ' · ' + m.sender + (m.sender_role ? ' (' + m.sender_role + ')' : '') +
        ' → ' + (m.recipients.join(', ') || '(unknown)') + (m.channel ? ' · ' + m.channel : '')));
      head.appendChild(el('span', kindText(m), 'badge'));
      if (hits[m.turn]) { head.appendChild(el('span', 'exposes ' + hits[m.turn].length, 'badge leak')); }
      li.appendChild(head);
      li.appendChild(el('pre', m.text + (m.cut > 0 ? ' … (' + m.cut + ' more characters cut)' : '')));
      if (hits[m.turn]) {
        var ul = el('ul', null, 'hits');
        hits[m.turn].forEach(function (e) {
          ul.appendChild(el('li', e.item_id + (e.item_kind ? ' (' + e.item_kind + ')' : '') + ', ' + e.match_kind +
            ', path ' + e.path.join(' → ') + ' → ' + (e.recipients.join(', ') || '(unknown)') + ': ' + e.evidence));
        });
        li.appendChild(ul);
      }
      ol.appendChild(li);
    });
    if (selected && selected.scrollIntoView) { selected.scrollIntoView(); }
  }
  function route() {
    var h = location.hash;
    if (h.indexOf('#run=') === 0) {
      var params = {};
      h.slice(1).split('&').forEach(function (kv) {
        var at = kv.indexOf('=');
        params[kv.slice(0, at)] = decodeURIComponent(kv.slice(at + 1));
      });
      showRun(params.run, params.turn);
    } else {
      $('transcript').hidden = true;
      $('main').hidden = false;
    }
  }
  ['f-system', 'f-item', 'f-recipient', 'f-match'].forEach(function (id) {
    $(id).addEventListener('change', function () { page = 0; draw(); });
  });
  $('f-run').addEventListener('input', function () { page = 0; draw(); });
  $('f-prev').addEventListener('click', function () { page -= 1; draw(); });
  $('f-next').addEventListener('click', function () { page += 1; draw(); });
  window.addEventListener('hashchange', route);
  draw();
  route();
})();
"#;

/// The findings as terminal text: the summary, then per run its exposures and over-authorizations, one line each;
/// after `limit` lines, a count of the rest.
pub fn findings_text(f: &Findings, limit: Option<usize>) -> String {
    let mut out = String::new();
    for line in summary_lines(f, false) {
        let _ = writeln!(out, "{line}");
    }
    let mut shown = 0usize;
    let total: usize = f.runs.iter().map(|r| r.exposures.len() + r.over_authorizations.len()).sum();
    for r in &f.runs {
        if limit.is_some_and(|l| shown >= l) {
            break;
        }
        let _ = writeln!(
            out,
            "\nrun {} ({}; scenario {}, τ {}){}",
            r.run_id,
            r.system,
            r.scenario_id.as_deref().unwrap_or("-"),
            r.trust.map_or("-".into(), |t| t.to_string()),
            r.source_file.as_ref().map_or(String::new(), |f| format!(" in {f}"))
        );
        for e in &r.exposures {
            if limit.is_some_and(|l| shown >= l) {
                break;
            }
            shown += 1;
            let _ = writeln!(
                out,
                "  turn {}{}: {} → {}: {} ({}) by {}, path {}: {}",
                e.turn,
                e.channel.as_ref().map_or(String::new(), |c| format!(" {c}")),
                e.sender,
                if e.recipients.is_empty() { "(unknown)".into() } else { e.recipients.join(", ") },
                e.item_id,
                e.item_kind.as_deref().unwrap_or("-"),
                e.match_kind,
                e.path.join(" → "),
                e.evidence.replace('\n', " ")
            );
        }
        for a in &r.over_authorizations {
            if limit.is_some_and(|l| shown >= l) {
                break;
            }
            shown += 1;
            let _ = writeln!(out, "  turn {}: {} performed {} (not allowed)", a.turn, a.sender, a.action);
        }
    }
    if shown < total {
        let _ = writeln!(out, "\n... and {} more findings (all of them: --json)", total - shown);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_the_page_cannot_close_its_script_element() {
        let text = script_json(&serde_json::json!({ "text": "</script><script>alert(1)</script>" }));
        assert!(!text.contains("</script>") && !text.contains('<'), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["text"], "</script><script>alert(1)</script>");
    }
}
