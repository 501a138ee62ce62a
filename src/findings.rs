//! Findings: which runs over-exposed which items, to whom, in which turn, along which path of agents, and which
//! actions went beyond the allowed ones, with the evidence masked unless revealed.
//!
//! In: a labeled store (`runs`, `messages`, `exposures`, `authorizations`, `outcomes`) and a label session (for
//! the `tvp_*` masking functions). Out: [`Findings`], the document `tvp findings --json` and `tvp audit --json`
//! print (schema [`SCHEMA`], documented in the README), with a summary and breakdowns that need neither a trust
//! level nor a scenario: per system, per channel, per recipient kind and per item kind, each a share of runs with
//! a Wilson 95 % interval. [`transcripts`] reads the masked transcripts of chosen runs for the report's views.
//! It exists so that an audit of deployed agents (no τ, no paper scenario) still says what leaked where.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use arrow::array::{Array, AsArray, BooleanArray, Float64Array, Int64Array, ListArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field};
use datafusion::prelude::SessionContext;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::mask::Reveal;
use crate::metrics::{Defense, SystemKey};
use crate::schema::kind;
use crate::sql::{named, query};
use crate::stats::rates::wilson;

/// The name and version of the findings document; bumped when a field changes meaning or goes away.
pub const SCHEMA: &str = "tvp-findings/1";

/// Each run's ground-truth key, computed as `queries/12_run_truth.sql` does (its own truth, else its scenario's).
const RUN_TRUTH: &str = "run_truth AS (SELECT r.run_id, CASE WHEN o.run_id IS NOT NULL THEN concat('run:', r.run_id) \
     WHEN r.scenario_id IS NOT NULL THEN concat('scenario:', r.scenario_id) END AS truth_key FROM runs r \
     LEFT JOIN (SELECT run_id FROM items WHERE scope = 'run' UNION SELECT run_id FROM actions WHERE scope = 'run') o \
     ON o.run_id = r.run_id)";

/// A rate over runs with its Wilson 95 % interval (null bounds when there are no runs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl Rate {
    pub fn of(k: u64, n: u64) -> Rate {
        let (low, high) = wilson(k, n).map_or((None, None), |(l, h)| (Some(l), Some(h)));
        Rate { value: (n > 0).then(|| k as f64 / n as f64), low, high }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Runs in the store.
    pub runs: u64,
    /// Runs with an outcome row (labeled).
    pub labeled: u64,
    pub over_exposed: u64,
    /// Over-exposed runs over labeled runs.
    pub over_exposure_rate: Rate,
    pub over_authorized: u64,
    pub over_authorization_rate: Rate,
    /// Exposure rows (every hop).
    pub exposures: u64,
    /// Exposure rows of hop 2 (a recipient passing an item on).
    pub second_hop_exposures: u64,
    /// Runs with both a trust level and a scenario: the ones trust metrics and fits can use.
    pub with_trust_and_scenario: u64,
    /// Runs with no ground truth to judge them against (no sensitive set of their own, no scenario the catalog
    /// knows): nothing can be found in them, so their "no finding" says nothing. `None` when a deployment
    /// policy was (or may have been) the ground truth: which runs it covers is not counted here.
    pub without_ground_truth: Option<u64>,
}

/// One row of a breakdown: runs in the group, those of them with a finding of the group, and the rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub key: String,
    /// The denominator: runs of the system, runs that used the channel, or all labeled runs (recipient and item
    /// kinds).
    pub runs: u64,
    /// Runs with an exposure in the group.
    pub over_exposed: u64,
    pub rate: Rate,
    pub exposures: u64,
    /// Systems only: over-authorized runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub over_authorized: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdowns {
    pub system: Vec<Group>,
    pub channel: Vec<Group>,
    pub recipient_kind: Vec<Group>,
    pub item_kind: Vec<Group>,
}

/// Who passed items of a kind to whom: one row per (item kind, path of senders, recipient).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeakPath {
    pub item_kind: String,
    /// The senders the item went through, the custodian first.
    pub path: Vec<String>,
    pub recipient: String,
    pub exposures: u64,
    pub runs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exposure {
    pub turn: i64,
    pub sender: String,
    pub recipients: Vec<String>,
    /// `user`, `agent`, `tool`, `memory` or `unknown`, one per recipient.
    pub recipient_kinds: Vec<String>,
    pub channel: Option<String>,
    /// The exposing message's kind (`message`, `tool_call`, `handoff`).
    pub message_kind: Option<String>,
    pub item_id: String,
    pub item_kind: Option<String>,
    pub match_kind: String,
    /// 1: the custodian's own disclosure; 2: a recipient passing the item on.
    pub hop: i64,
    pub path: Vec<String>,
    pub rule: String,
    pub span_start: i64,
    pub span_end: i64,
    /// The matched text with context; the secret masked unless revealed.
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverAuthorization {
    pub turn: i64,
    pub sender: String,
    pub action: String,
    pub rule: String,
    pub evidence: Option<String>,
}

/// A run with at least one exposure or over-authorization.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunFindings {
    pub run_id: String,
    pub system: String,
    pub framework: Option<String>,
    pub backend: Option<String>,
    pub defense: Option<String>,
    pub scenario_id: Option<String>,
    pub trust: Option<f64>,
    pub source_file: Option<String>,
    /// The run's verdict under the label scope (scope `final` counts only the last outward message, while
    /// `exposures` lists every exposure).
    pub over_exposed: bool,
    pub over_authorized: bool,
    pub exposures: Vec<Exposure>,
    pub over_authorizations: Vec<OverAuthorization>,
}

/// The findings document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Findings {
    pub schema: &'static str,
    pub store: String,
    pub label_scope: Option<String>,
    pub revealed: bool,
    pub summary: Summary,
    pub breakdowns: Breakdowns,
    pub leak_paths: Vec<LeakPath>,
    /// Runs with findings, ordered by system then run id.
    pub runs: Vec<RunFindings>,
}

impl Findings {
    /// Keep only the run `run_id` in `runs` (the summary and breakdowns stay the store's).
    pub fn only_run(&mut self, run_id: &str) {
        self.runs.retain(|r| r.run_id == run_id);
    }

    /// At most `cap` run ids with findings, taken from every system in turn (each system's runs in id order), so
    /// a capped page still shows every system.
    pub fn sample(&self, cap: usize) -> BTreeSet<String> {
        let mut by_system: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in &self.runs {
            by_system.entry(&r.system).or_default().push(&r.run_id);
        }
        let mut out = BTreeSet::new();
        let mut round = 0;
        while out.len() < cap && by_system.values().any(|v| v.len() > round) {
            for runs in by_system.values() {
                if let Some(id) = runs.get(round)
                    && out.len() < cap
                {
                    out.insert(id.to_string());
                }
            }
            round += 1;
        }
        out
    }

    pub fn exposure_rows(&self) -> impl Iterator<Item = (&RunFindings, &Exposure)> {
        self.runs.iter().flat_map(|r| r.exposures.iter().map(move |e| (r, e)))
    }
}

fn column(batch: &RecordBatch, name: &str, to: &DataType) -> Result<arrow::array::ArrayRef> {
    let array = named(batch, name)?;
    if array.data_type() == to {
        return Ok(array.clone());
    }
    arrow::compute::cast(array, to).map_err(|e| Error::Internal(format!("column `{name}`: {e}")))
}

/// Typed column access by name, casting to the wanted type when the engine chose another (views, widths).
struct Columns<'a> {
    batch: &'a RecordBatch,
}

impl<'a> Columns<'a> {
    fn text(&self, name: &str) -> Result<StringArray> {
        Ok(column(self.batch, name, &DataType::Utf8)?.as_string::<i32>().clone())
    }
    fn int(&self, name: &str) -> Result<Int64Array> {
        Ok(column(self.batch, name, &DataType::Int64)?.as_primitive::<arrow::datatypes::Int64Type>().clone())
    }
    fn float(&self, name: &str) -> Result<Float64Array> {
        Ok(column(self.batch, name, &DataType::Float64)?.as_primitive::<arrow::datatypes::Float64Type>().clone())
    }
    fn boolean(&self, name: &str) -> Result<BooleanArray> {
        Ok(column(self.batch, name, &DataType::Boolean)?.as_boolean().clone())
    }
    fn list(&self, name: &str) -> Result<ListArray> {
        let to = DataType::List(std::sync::Arc::new(Field::new("item", DataType::Utf8, true)));
        Ok(column(self.batch, name, &to)?.as_list::<i32>().clone())
    }
}

fn opt(a: &StringArray, i: usize) -> Option<String> {
    (!a.is_null(i)).then(|| a.value(i).to_string())
}

fn strings_at(a: &ListArray, i: usize) -> Vec<String> {
    if a.is_null(i) {
        return Vec::new();
    }
    let values = a.value(i);
    let values = values.as_string::<i32>();
    (0..values.len()).filter(|&j| !values.is_null(j)).map(|j| values.value(j).to_string()).collect()
}

/// What kind of principal a recipient is: a tool (a tool call's target, or a name the log gives the `tool`
/// role), the user, a memory, an agent (anyone else who speaks in the run or is named), `unknown` when the log
/// names no recipient.
pub fn recipient_kind(name: &str, message_kind: Option<&str>, role: Option<&str>) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if message_kind == Some(kind::TOOL_CALL) || role == Some("tool") || lower == "tool" {
        return "tool";
    }
    if role == Some("user") || lower == "user" || lower == "human" {
        return "user";
    }
    if lower.contains("memory") {
        return "memory";
    }
    "agent"
}

#[derive(Default)]
struct Counter {
    runs: BTreeSet<String>,
    exposures: u64,
}

/// Read the findings of a labeled store through a label session (`tvp::label::session`), whose `tvp_*`
/// functions mask (or, opened with `Reveal::Shown`, show) the evidence.
pub async fn read(ctx: &SessionContext, store: &str, reveal: Reveal) -> Result<Findings> {
    // Runs and their verdicts.
    let sql = "SELECT r.run_id, r.framework, r.backend, r.defense, r.scenario_id, r.trust, r.source_file, \
               o.run_id IS NOT NULL AS labeled, o.over_exposed, o.over_authorized, o.label_scope \
               FROM runs r LEFT JOIN outcomes o ON o.run_id = r.run_id ORDER BY r.run_id";
    struct RunRow {
        system: SystemKey,
        framework: Option<String>,
        backend: Option<String>,
        defense: Option<String>,
        scenario_id: Option<String>,
        trust: Option<f64>,
        source_file: Option<String>,
        over_exposed: bool,
        over_authorized: bool,
    }
    let mut runs: BTreeMap<String, RunRow> = BTreeMap::new();
    let (mut labeled, mut with_both) = (0u64, 0u64);
    let mut scope = None;
    for batch in query(ctx, sql).await? {
        let c = Columns { batch: &batch };
        let (run, framework, backend, defense, scenario, source) = (
            c.text("run_id")?,
            c.text("framework")?,
            c.text("backend")?,
            c.text("defense")?,
            c.text("scenario_id")?,
            c.text("source_file")?,
        );
        let trust = c.float("trust")?;
        let (is_labeled, exposed, authorized) =
            (c.boolean("labeled")?, c.boolean("over_exposed")?, c.boolean("over_authorized")?);
        let label_scope = c.text("label_scope")?;
        for i in 0..batch.num_rows() {
            let row_labeled = is_labeled.value(i);
            labeled += row_labeled as u64;
            if row_labeled && scope.is_none() {
                scope = opt(&label_scope, i);
            }
            let (scenario_id, trust) = (opt(&scenario, i), (!trust.is_null(i)).then(|| trust.value(i)));
            with_both += (scenario_id.is_some() && trust.is_some()) as u64;
            let or_unknown = |a: &StringArray, what: &str| opt(a, i).unwrap_or_else(|| format!("unknown {what}"));
            runs.insert(
                run.value(i).to_string(),
                RunRow {
                    system: SystemKey {
                        framework: or_unknown(&framework, "framework"),
                        backend: or_unknown(&backend, "backend"),
                        defense: opt(&defense, i).map_or(Defense::None, |d| Defense::from_label(&d)),
                    },
                    framework: opt(&framework, i),
                    backend: opt(&backend, i),
                    defense: opt(&defense, i),
                    scenario_id,
                    trust,
                    source_file: opt(&source, i),
                    over_exposed: row_labeled && !exposed.is_null(i) && exposed.value(i),
                    over_authorized: row_labeled && !authorized.is_null(i) && authorized.value(i),
                },
            );
        }
    }

    // The roles each exposure run's agents speak in, to tell users and tools from agents.
    let mut roles: HashMap<(String, String), String> = HashMap::new();
    let sql = "SELECT DISTINCT m.run_id, m.sender, m.sender_role FROM messages m \
               JOIN (SELECT DISTINCT run_id FROM exposures) e ON e.run_id = m.run_id WHERE m.sender_role IS NOT NULL";
    for batch in query(ctx, sql).await? {
        let c = Columns { batch: &batch };
        let (run, sender, role) = (c.text("run_id")?, c.text("sender")?, c.text("sender_role")?);
        for i in 0..batch.num_rows() {
            roles.insert((run.value(i).to_string(), sender.value(i).to_string()), role.value(i).to_string());
        }
    }

    // Exposures, with evidence masked by the run's truth and every known value, or recomputed from the message
    // when revealed (the span is in the tool arguments for a tool call that has them, else in the content).
    let evidence = match reveal {
        Reveal::Masked => "tvp_mask(tvp_mask(t.truth_key, e.evidence))".to_string(),
        Reveal::Shown => "CASE WHEN e.match_kind = 'external' OR m.run_id IS NULL THEN e.evidence \
             WHEN m.kind = 'tool_call' AND m.tool_args IS NOT NULL AND e.span_end <= length(m.tool_args) \
             THEN tvp_evidence(m.tool_args, e.span_start, e.span_end) \
             ELSE tvp_evidence(m.content, e.span_start, e.span_end) END"
            .to_string(),
    };
    let sql = format!(
        "WITH {RUN_TRUTH} SELECT e.run_id, e.turn, e.sender, e.recipients, e.item_id, e.item_kind, e.match_kind, \
         e.channel, e.hop, e.path, e.rule, e.span_start, e.span_end, {evidence} AS evidence, m.kind AS message_kind \
         FROM exposures e LEFT JOIN messages m ON m.run_id = e.run_id AND m.turn = e.turn \
         LEFT JOIN run_truth t ON t.run_id = e.run_id \
         ORDER BY e.run_id, e.turn, e.hop, e.span_start, e.item_id"
    );
    let mut exposures: BTreeMap<String, Vec<Exposure>> = BTreeMap::new();
    for batch in query(ctx, &sql).await? {
        let c = Columns { batch: &batch };
        let (run, sender, item, item_kind, match_kind, channel, rule, evidence, message_kind) = (
            c.text("run_id")?,
            c.text("sender")?,
            c.text("item_id")?,
            c.text("item_kind")?,
            c.text("match_kind")?,
            c.text("channel")?,
            c.text("rule")?,
            c.text("evidence")?,
            c.text("message_kind")?,
        );
        let (turn, hop, start, end) = (c.int("turn")?, c.int("hop")?, c.int("span_start")?, c.int("span_end")?);
        let (recipients, path) = (c.list("recipients")?, c.list("path")?);
        for i in 0..batch.num_rows() {
            let run_id = run.value(i).to_string();
            let recipients = strings_at(&recipients, i);
            let message_kind = opt(&message_kind, i);
            let recipient_kinds = recipients
                .iter()
                .map(|r| {
                    let role = roles.get(&(run_id.clone(), r.clone())).map(String::as_str);
                    recipient_kind(r, message_kind.as_deref(), role).to_string()
                })
                .collect();
            let sender = sender.value(i).to_string();
            let mut path = strings_at(&path, i);
            if path.is_empty() {
                path.push(sender.clone());
            }
            exposures.entry(run_id).or_default().push(Exposure {
                turn: turn.value(i),
                sender,
                recipients,
                recipient_kinds,
                channel: opt(&channel, i),
                message_kind,
                item_id: item.value(i).to_string(),
                item_kind: opt(&item_kind, i),
                match_kind: match_kind.value(i).to_string(),
                hop: if hop.is_null(i) { 1 } else { hop.value(i) },
                path,
                rule: rule.value(i).to_string(),
                span_start: start.value(i),
                span_end: end.value(i),
                evidence: opt(&evidence, i).unwrap_or_default(),
            });
        }
    }

    let evidence = match reveal {
        Reveal::Masked => "tvp_mask(tvp_mask(t.truth_key, a.evidence))",
        Reveal::Shown => "a.evidence",
    };
    let sql = format!(
        "WITH {RUN_TRUTH} SELECT a.run_id, a.turn, a.sender, a.action, a.rule, {evidence} AS evidence \
         FROM authorizations a LEFT JOIN run_truth t ON t.run_id = a.run_id WHERE NOT a.allowed \
         ORDER BY a.run_id, a.turn, a.action"
    );
    let mut authorizations: BTreeMap<String, Vec<OverAuthorization>> = BTreeMap::new();
    for batch in query(ctx, &sql).await? {
        let c = Columns { batch: &batch };
        let (run, sender, action, rule, evidence) =
            (c.text("run_id")?, c.text("sender")?, c.text("action")?, c.text("rule")?, c.text("evidence")?);
        let turn = c.int("turn")?;
        for i in 0..batch.num_rows() {
            authorizations.entry(run.value(i).to_string()).or_default().push(OverAuthorization {
                turn: turn.value(i),
                sender: opt(&sender, i).unwrap_or_default(),
                action: action.value(i).to_string(),
                rule: rule.value(i).to_string(),
                evidence: opt(&evidence, i),
            });
        }
    }

    // Runs that no ground truth covers.
    let sql = format!(
        "WITH {RUN_TRUTH}, known AS (SELECT DISTINCT concat('scenario:', scenario_id) AS k FROM catalog_items \
         UNION SELECT DISTINCT concat('run:', run_id) AS k FROM items WHERE scope = 'run') \
         SELECT count(*) AS n FROM run_truth t LEFT JOIN known g ON g.k = t.truth_key WHERE g.k IS NULL"
    );
    let mut without_truth = 0u64;
    for batch in query(ctx, &sql).await? {
        let n = Columns { batch: &batch }.int("n")?;
        without_truth += (0..batch.num_rows()).map(|i| n.value(i) as u64).sum::<u64>();
    }

    // Runs that used each channel: the denominator of the channel rates.
    let mut channel_runs: BTreeMap<String, u64> = BTreeMap::new();
    let sql = "SELECT coalesce(channel, '(none)') AS channel, count(DISTINCT run_id) AS runs FROM messages \
               GROUP BY coalesce(channel, '(none)')";
    for batch in query(ctx, sql).await? {
        let c = Columns { batch: &batch };
        let (channel, n) = (c.text("channel")?, c.int("runs")?);
        for i in 0..batch.num_rows() {
            channel_runs.insert(channel.value(i).to_string(), n.value(i) as u64);
        }
    }

    // Breakdowns and leak paths.
    let mut systems: BTreeMap<String, (u64, u64, u64, u64)> = BTreeMap::new();
    for row in runs.values() {
        let e = systems.entry(row.system.name()).or_default();
        e.0 += 1;
        e.1 += row.over_exposed as u64;
        e.3 += row.over_authorized as u64;
    }
    let (mut by_channel, mut by_recipient, mut by_item) =
        (BTreeMap::<String, Counter>::new(), BTreeMap::<String, Counter>::new(), BTreeMap::<String, Counter>::new());
    // (item kind, path, recipient) → (exposures, runs)
    type PathKey = (String, Vec<String>, String);
    let mut paths: BTreeMap<PathKey, (u64, BTreeSet<String>)> = BTreeMap::new();
    let (mut n_exposures, mut second_hop) = (0u64, 0u64);
    for (run_id, list) in &exposures {
        if let Some(row) = runs.get(run_id) {
            systems.entry(row.system.name()).or_default().2 += list.len() as u64;
        }
        for e in list {
            n_exposures += 1;
            second_hop += (e.hop >= 2) as u64;
            let count = |map: &mut BTreeMap<String, Counter>, key: String| {
                let c = map.entry(key).or_default();
                c.runs.insert(run_id.clone());
                c.exposures += 1;
            };
            count(&mut by_channel, e.channel.clone().unwrap_or_else(|| "(none)".into()));
            let item_kind = e.item_kind.clone().unwrap_or_else(|| "(unknown)".into());
            count(&mut by_item, item_kind.clone());
            let kinds: BTreeSet<&String> = e.recipient_kinds.iter().collect();
            if kinds.is_empty() {
                count(&mut by_recipient, "unknown".into());
            }
            for k in kinds {
                count(&mut by_recipient, k.clone());
            }
            let recipients = if e.recipients.is_empty() { vec!["(unknown)".to_string()] } else { e.recipients.clone() };
            for r in recipients {
                let entry = paths.entry((item_kind.clone(), e.path.clone(), r)).or_default();
                entry.0 += 1;
                entry.1.insert(run_id.clone());
            }
        }
    }
    let group = |key: String, runs: u64, c: &Counter| Group {
        key,
        runs,
        over_exposed: c.runs.len() as u64,
        rate: Rate::of(c.runs.len() as u64, runs),
        exposures: c.exposures,
        over_authorized: None,
    };
    let breakdowns = Breakdowns {
        system: systems
            .into_iter()
            .map(|(key, (n, k, exposures, authorized))| Group {
                key,
                runs: n,
                over_exposed: k,
                rate: Rate::of(k, n),
                exposures,
                over_authorized: Some(authorized),
            })
            .collect(),
        // A log that records no channel has nothing to break down.
        channel: by_channel
            .iter()
            .filter(|(k, _)| by_channel.len() > 1 || k.as_str() != "(none)")
            .map(|(k, c)| group(k.clone(), channel_runs.get(k).copied().unwrap_or(c.runs.len() as u64), c))
            .collect(),
        recipient_kind: by_recipient.iter().map(|(k, c)| group(k.clone(), labeled, c)).collect(),
        item_kind: by_item.iter().map(|(k, c)| group(k.clone(), labeled, c)).collect(),
    };
    let leak_paths = paths
        .into_iter()
        .map(|((item_kind, path, recipient), (exposures, runs))| LeakPath {
            item_kind,
            path,
            recipient,
            exposures,
            runs: runs.len() as u64,
        })
        .collect();

    let over_exposed = runs.values().filter(|r| r.over_exposed).count() as u64;
    let over_authorized = runs.values().filter(|r| r.over_authorized).count() as u64;
    let summary = Summary {
        runs: runs.len() as u64,
        labeled,
        over_exposed,
        over_exposure_rate: Rate::of(over_exposed, labeled),
        over_authorized,
        over_authorization_rate: Rate::of(over_authorized, labeled),
        exposures: n_exposures,
        second_hop_exposures: second_hop,
        with_trust_and_scenario: with_both,
        without_ground_truth: Some(without_truth),
    };

    let flagged: BTreeSet<&String> = exposures.keys().chain(authorizations.keys()).collect();
    let mut listed: Vec<RunFindings> = flagged
        .into_iter()
        .filter_map(|run_id| {
            let row = runs.get(run_id)?;
            Some(RunFindings {
                run_id: run_id.clone(),
                system: row.system.name(),
                framework: row.framework.clone(),
                backend: row.backend.clone(),
                defense: row.defense.clone(),
                scenario_id: row.scenario_id.clone(),
                trust: row.trust,
                source_file: row.source_file.clone(),
                over_exposed: row.over_exposed,
                over_authorized: row.over_authorized,
                exposures: exposures.get(run_id).cloned().unwrap_or_default(),
                over_authorizations: authorizations.get(run_id).cloned().unwrap_or_default(),
            })
        })
        .collect();
    listed.sort_by(|a, b| (&a.system, &a.run_id).cmp(&(&b.system, &b.run_id)));
    let mut summary = summary;
    if exposures.values().flatten().any(|e| e.rule.contains("policy")) {
        summary.without_ground_truth = None;
    }
    Ok(Findings {
        schema: SCHEMA,
        store: store.to_string(),
        label_scope: scope,
        revealed: reveal == Reveal::Shown,
        summary,
        breakdowns,
        leak_paths,
        runs: listed,
    })
}

/// One message of a transcript view, its text masked unless revealed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranscriptMessage {
    pub turn: i64,
    pub sender: String,
    pub sender_role: Option<String>,
    pub recipients: Vec<String>,
    pub kind: String,
    pub channel: Option<String>,
    pub tool_name: Option<String>,
    pub text: String,
    /// Characters cut from the end of a long message.
    pub cut: u64,
}

/// The transcripts of `run_ids` (messages in turn order), each message's content and tool arguments masked by the
/// run's ground truth in every form the matcher finds and by every known value, and, in case the run was labeled
/// against a truth this session does not hold (a deployment policy), by every text its exposures matched; unless
/// `reveal`. Texts longer than `max_chars` are cut.
pub async fn transcripts(
    ctx: &SessionContext,
    run_ids: &[String],
    max_chars: usize,
    reveal: Reveal,
) -> Result<BTreeMap<String, Vec<TranscriptMessage>>> {
    let mut out: BTreeMap<String, Vec<TranscriptMessage>> = BTreeMap::new();
    if run_ids.is_empty() {
        return Ok(out);
    }
    let batch = RecordBatch::try_new(
        std::sync::Arc::new(arrow::datatypes::Schema::new(vec![Field::new("run_id", DataType::Utf8, false)])),
        vec![std::sync::Arc::new(StringArray::from_iter_values(run_ids.iter()))],
    )
    .map_err(|e| Error::Internal(e.to_string()))?;
    let table =
        datafusion::datasource::MemTable::try_new(batch.schema(), vec![vec![batch]]).map_err(crate::sql::sql_error)?;
    let _ = ctx.deregister_table("tvp_shown_runs");
    ctx.register_table("tvp_shown_runs", std::sync::Arc::new(table)).map_err(crate::sql::sql_error)?;
    let exposed = match reveal {
        Reveal::Masked => Some(exposed_texts(ctx).await?),
        Reveal::Shown => None,
    };
    let sql = format!(
        "WITH {RUN_TRUTH} SELECT m.run_id, m.turn, m.sender, m.sender_role, m.recipients, m.kind, m.channel, \
         m.tool_name, tvp_mask(tvp_mask(t.truth_key, m.content)) AS content, \
         tvp_mask(tvp_mask(t.truth_key, m.tool_args)) AS tool_args \
         FROM messages m JOIN tvp_shown_runs s ON s.run_id = m.run_id LEFT JOIN run_truth t ON t.run_id = m.run_id \
         ORDER BY m.run_id, m.turn"
    );
    for batch in query(ctx, &sql).await? {
        let c = Columns { batch: &batch };
        let (run, sender, role, kind, channel, tool, content, args) = (
            c.text("run_id")?,
            c.text("sender")?,
            c.text("sender_role")?,
            c.text("kind")?,
            c.text("channel")?,
            c.text("tool_name")?,
            c.text("content")?,
            c.text("tool_args")?,
        );
        let (turn, recipients) = (c.int("turn")?, c.list("recipients")?);
        for i in 0..batch.num_rows() {
            let mut text = opt(&content, i).unwrap_or_default();
            if let Some(args) = opt(&args, i).filter(|a| !a.is_empty()) {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str("arguments: ");
                text.push_str(&args);
            }
            if let Some(masker) = &exposed {
                text = masker.mask_text(&text).into_owned();
            }
            let total = text.chars().count();
            let cut = total.saturating_sub(max_chars) as u64;
            if cut > 0 {
                text = text.chars().take(max_chars).collect();
            }
            out.entry(run.value(i).to_string()).or_default().push(TranscriptMessage {
                turn: turn.value(i),
                sender: opt(&sender, i).unwrap_or_default(),
                sender_role: opt(&role, i),
                recipients: strings_at(&recipients, i),
                kind: opt(&kind, i).unwrap_or_else(|| kind::MESSAGE.into()),
                channel: opt(&channel, i),
                tool_name: opt(&tool, i),
                text,
                cut,
            });
        }
    }
    let _ = ctx.deregister_table("tvp_shown_runs");
    Ok(out)
}

/// A masker of the texts the shown runs' exposures matched (read from the message at each exposure's byte span).
async fn exposed_texts(ctx: &SessionContext) -> Result<crate::mask::Masker> {
    let sql = "SELECT e.span_start, e.span_end, m.content, m.tool_args FROM exposures e \
               JOIN tvp_shown_runs s ON s.run_id = e.run_id \
               JOIN messages m ON m.run_id = e.run_id AND m.turn = e.turn WHERE e.span_end > e.span_start";
    let mut texts: BTreeSet<String> = BTreeSet::new();
    for batch in query(ctx, sql).await? {
        let c = Columns { batch: &batch };
        let (content, args) = (c.text("content")?, c.text("tool_args")?);
        let (start, end) = (c.int("span_start")?, c.int("span_end")?);
        for i in 0..batch.num_rows() {
            let (a, b) = (start.value(i).max(0) as usize, end.value(i).max(0) as usize);
            for field in [opt(&content, i), opt(&args, i)].into_iter().flatten() {
                if let Some(found) = field.get(a..b).map(str::trim).filter(|t| t.chars().count() >= 3) {
                    texts.insert(found.to_string());
                }
            }
        }
    }
    Ok(crate::mask::Masker::new(texts.iter().map(String::as_str)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_tools_users_memories_or_agents() {
        assert_eq!(recipient_kind("search", Some("tool_call"), None), "tool");
        assert_eq!(recipient_kind("user", Some("message"), None), "user");
        assert_eq!(recipient_kind("Alice", Some("message"), Some("user")), "user");
        assert_eq!(recipient_kind("memory", Some("message"), None), "memory");
        assert_eq!(recipient_kind("coordinator", Some("message"), Some("custodian")), "agent");
    }

    fn run(system: &str, id: &str) -> RunFindings {
        RunFindings {
            run_id: id.into(),
            system: system.into(),
            framework: None,
            backend: None,
            defense: None,
            scenario_id: None,
            trust: None,
            source_file: None,
            over_exposed: true,
            over_authorized: false,
            exposures: Vec::new(),
            over_authorizations: Vec::new(),
        }
    }

    #[test]
    fn a_capped_sample_takes_every_system_in_turn() {
        let findings = Findings {
            schema: SCHEMA,
            store: String::new(),
            label_scope: None,
            revealed: false,
            summary: Summary {
                runs: 0,
                labeled: 0,
                over_exposed: 0,
                over_exposure_rate: Rate::of(0, 0),
                over_authorized: 0,
                over_authorization_rate: Rate::of(0, 0),
                exposures: 0,
                second_hop_exposures: 0,
                with_trust_and_scenario: 0,
                without_ground_truth: Some(0),
            },
            breakdowns: Breakdowns { system: vec![], channel: vec![], recipient_kind: vec![], item_kind: vec![] },
            leak_paths: vec![],
            runs: vec![run("A", "a1"), run("A", "a2"), run("A", "a3"), run("B", "b1")],
        };
        let ids = |cap| findings.sample(cap).into_iter().collect::<Vec<_>>();
        assert_eq!(ids(2), vec!["a1", "b1"]);
        assert_eq!(ids(3), vec!["a1", "a2", "b1"]);
        assert_eq!(ids(10).len(), 4);
    }

    #[test]
    fn a_rate_of_no_runs_has_no_value() {
        assert_eq!(Rate::of(0, 0), Rate { value: None, low: None, high: None });
        let r = Rate::of(1, 4);
        assert_eq!(r.value, Some(0.25));
        assert!(r.low.unwrap() < 0.25 && r.high.unwrap() > 0.25);
    }
}
