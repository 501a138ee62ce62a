//! A deployment's ground truth, from its secrets policy (`--policy`): for every run the policy covers, the
//! listed items, the enabled detectors and the values learned from what the run's agents read (tool results,
//! system prompts), each with the recipients allowed to receive it.
//!
//! A learned value is allowed to the agents that read it (the recipients of the tool result or system prompt)
//! besides the recipients its rule allows.
//!
//! In: the partition's `runs` and `messages`, and a [`Policy`]. Out: the session table `policy_items` (the `items`
//! columns with scope `policy`, plus `truth_key`, `allowed`, `learned_turn` and `provenance`), which the rules
//! `22_policy_messages` and `32_policy_exposures` read, and whose rows also feed the matcher.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int32Array, ListBuilder, RecordBatch, StringArray, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::prelude::SessionContext;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::policy::{Policy, Step, parse_path};
use crate::schema::col;
use crate::sql::{named, query};

/// The `policy_items` session table.
pub fn schema() -> SchemaRef {
    let list = crate::schema::utf8_list_type();
    let mut fields: Vec<Field> = crate::schema::items().fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.extend([
        Field::new("truth_key", DataType::Utf8, false),
        Field::new("allowed", list, false),
        Field::new("learned_turn", DataType::Int32, true),
        Field::new("provenance", DataType::Utf8, false),
    ]);
    Arc::new(Schema::new(fields))
}

/// One row of `policy_items`.
struct Row {
    run_id: String,
    item_id: String,
    kind: String,
    value: String,
    forms: Vec<String>,
    patterns: Vec<String>,
    match_kinds: Vec<String>,
    partial: Option<i32>,
    allowed: Vec<String>,
    learned_turn: Option<i32>,
    provenance: String,
}

/// Build `policy_items` for the runs of this session that the policy covers.
pub async fn policy_items(ctx: &SessionContext, policy: &Policy) -> Result<RecordBatch> {
    let covered = covered_runs(ctx, policy).await?;
    let mut rows: Vec<Row> = Vec::new();
    let mut runs: Vec<&String> = covered.iter().collect();
    runs.sort();
    for run in &runs {
        for item in &policy.items {
            rows.push(Row {
                run_id: (*run).clone(),
                item_id: item.id.clone(),
                kind: item.kind.clone(),
                value: item.values[0].clone(),
                forms: item.values.iter().chain(&item.forms).cloned().collect(),
                patterns: item.patterns.clone(),
                match_kinds: Vec::new(),
                partial: item.partial.map(|p| p as i32),
                allowed: policy.allowed_for(&item.kind, item.allowed.as_ref()),
                learned_turn: None,
                provenance: "listed in the policy".into(),
            });
        }
        for name in policy.enabled_detectors() {
            let detector = super::detectors::by_name(name).expect("enabled detectors exist");
            rows.push(Row {
                run_id: (*run).clone(),
                item_id: format!("detector:{name}"),
                kind: detector.kind.into(),
                value: String::new(),
                forms: Vec::new(),
                patterns: Vec::new(),
                match_kinds: vec![detector.match_kind.into()],
                partial: None,
                allowed: policy.allowed_for_detector(name),
                learned_turn: None,
                provenance: format!("built-in detector {name}"),
            });
        }
    }
    if !policy.learn.is_empty() {
        rows.extend(learned(ctx, policy, &covered).await?);
    }
    Ok(batch(&rows))
}

/// The run ids of this session the policy's `applies_to` covers.
async fn covered_runs(ctx: &SessionContext, policy: &Policy) -> Result<HashSet<String>> {
    let scope = &policy.applies_to;
    let globs: GlobSet = {
        let mut builder = GlobSetBuilder::new();
        for glob in &scope.paths {
            builder.add(Glob::new(glob).map_err(|e| Error::Usage(format!("policy glob {glob}: {e}")))?);
        }
        builder.build().map_err(|e| Error::Usage(format!("policy globs: {e}")))?
    };
    let speakers: HashSet<String> = if scope.agents.is_empty() {
        HashSet::new()
    } else {
        let names: Vec<String> = scope.agents.iter().map(|a| format!("'{}'", a.replace('\'', "''"))).collect();
        let sql = format!("SELECT DISTINCT run_id FROM messages WHERE sender IN ({})", names.join(", "));
        strings(&query(ctx, &sql).await?, col::RUN_ID)?.into_iter().collect()
    };
    let mut covered = HashSet::new();
    for batch in query(ctx, "SELECT run_id, framework, backend, source_file FROM runs").await? {
        let text = |name: &str| -> Result<StringArray> {
            Ok(arrow::compute::cast(named(&batch, name)?, &DataType::Utf8)
                .map_err(|e| Error::Sql { message: e.to_string() })?
                .as_string::<i32>()
                .clone())
        };
        let (run, framework, backend, file) =
            (text("run_id")?, text("framework")?, text("backend")?, text("source_file")?);
        for row in 0..batch.num_rows() {
            let get = |a: &StringArray| if a.is_valid(row) { a.value(row).to_string() } else { String::new() };
            let within = |list: &[String], value: &str| list.is_empty() || list.iter().any(|x| x == value);
            let id = run.value(row).to_string();
            if within(&scope.frameworks, &get(&framework))
                && within(&scope.backends, &get(&backend))
                && (scope.paths.is_empty() || globs.is_match(get(&file)))
                && (scope.agents.is_empty() || speakers.contains(&id))
            {
                covered.insert(id);
            }
        }
    }
    Ok(covered)
}

fn strings(batches: &[RecordBatch], column: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for batch in batches {
        let values = named(batch, column)?.as_string::<i32>();
        out.extend(values.iter().flatten().map(str::to_string));
    }
    Ok(out)
}

/// Values learned from tool results and system prompts of covered runs, once per run and value (the first time
/// an agent read it), only values of four characters or more (shorter ones are never matched).
async fn learned(ctx: &SessionContext, policy: &Policy, covered: &HashSet<String>) -> Result<Vec<Row>> {
    let sql = "SELECT run_id, turn, kind, tool_name, sender, recipients, content FROM messages \
               WHERE kind IN ('tool_result', 'system') ORDER BY run_id, turn";
    let mut rows = Vec::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let prompts: Vec<Option<regex::Regex>> =
        policy.learn.iter().map(|l| l.system_prompt.as_ref().and_then(|p| regex::Regex::new(p).ok())).collect();
    for batch in query(ctx, sql).await? {
        let (run, turn) = (
            named(&batch, "run_id")?.as_string::<i32>(),
            named(&batch, "turn")?.as_primitive::<arrow::datatypes::Int32Type>(),
        );
        let (kind, tool, sender) = (
            named(&batch, "kind")?.as_string::<i32>(),
            named(&batch, "tool_name")?.as_string::<i32>(),
            named(&batch, "sender")?.as_string::<i32>(),
        );
        let content = named(&batch, "content")?.as_string::<i32>();
        let readers = named(&batch, "recipients")?.as_list::<i32>();
        for row in 0..batch.num_rows() {
            let run_id = run.value(row);
            if !covered.contains(run_id) {
                continue;
            }
            let tool_name = if tool.is_valid(row) { tool.value(row) } else { sender.value(row) };
            let text = content.value(row);
            let json: Option<Value> =
                (kind.value(row) == "tool_result").then(|| serde_json::from_str(text).ok()).flatten();
            for (rule, prompt) in policy.learn.iter().zip(&prompts) {
                let mut values: Vec<(String, String)> = Vec::new();
                if kind.value(row) == "system" {
                    if let Some(prompt) = prompt {
                        for caps in prompt.captures_iter(text) {
                            if let Some(m) = caps.get(1) {
                                values.push((m.as_str().to_string(), "system prompt".into()));
                            }
                        }
                    }
                } else if rule.tool.as_ref().is_none_or(|t| t == tool_name)
                    && let Some(json) = &json
                {
                    if let Some(field) = &rule.field {
                        by_key(json, field, &mut values);
                    }
                    if let Some(path) = rule.path.as_ref().and_then(|p| parse_path(p)) {
                        by_path(json, &path, &mut values, rule.path.as_deref().unwrap_or(""));
                    }
                }
                for (value, field) in values {
                    let value = value.trim().to_string();
                    if value.chars().count() < super::matcher::MIN_FORM_CHARS
                        || !seen.insert((run_id.to_string(), value.to_lowercase()))
                    {
                        continue;
                    }
                    let at = turn.value(row);
                    let source =
                        if kind.value(row) == "system" { "system prompt".to_string() } else { tool_name.to_string() };
                    rows.push(Row {
                        run_id: run_id.to_string(),
                        item_id: format!("{}@{at}", rule.kind),
                        kind: rule.kind.clone(),
                        value: value.clone(),
                        forms: vec![value],
                        patterns: Vec::new(),
                        match_kinds: Vec::new(),
                        partial: None,
                        // The agents that read the value hold it: passing it among them is no exposure.
                        allowed: {
                            let mut allowed = policy.allowed_for(&rule.kind, rule.allowed.as_ref());
                            let who = readers.value(row);
                            allowed.extend(who.as_string::<i32>().iter().flatten().map(str::to_string));
                            allowed
                        },
                        learned_turn: Some(at),
                        provenance: format!("learned in turn {at} from {source} {field}"),
                    });
                }
            }
        }
    }
    // Several values of one kind read in the same turn get distinct ids.
    let mut counts: HashMap<(String, String), usize> = HashMap::new();
    for row in &mut rows {
        let n = counts.entry((row.run_id.clone(), row.item_id.clone())).or_default();
        *n += 1;
        if *n > 1 {
            row.item_id = format!("{}#{n}", row.item_id);
        }
    }
    Ok(rows)
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Every value under `key` anywhere in the document (arrays of scalars too).
fn by_key(json: &Value, key: &str, out: &mut Vec<(String, String)>) {
    match json {
        Value::Object(map) => {
            for (k, v) in map {
                if k == key {
                    match v {
                        Value::Array(list) => {
                            out.extend(list.iter().filter_map(scalar).map(|s| (s, format!("field {key}"))))
                        }
                        other => out.extend(scalar(other).map(|s| (s, format!("field {key}")))),
                    }
                }
                by_key(v, key, out);
            }
        }
        Value::Array(list) => list.iter().for_each(|v| by_key(v, key, out)),
        _ => {}
    }
}

/// Every scalar the path reaches (`*` goes into every element of an array or every value of an object).
fn by_path(json: &Value, path: &[Step], out: &mut Vec<(String, String)>, shown: &str) {
    let Some((step, rest)) = path.split_first() else {
        out.extend(scalar(json).map(|s| (s, format!("path {shown}"))));
        return;
    };
    match (step, json) {
        (Step::Key(k), Value::Object(map)) => {
            if let Some(v) = map.get(k) {
                by_path(v, rest, out, shown);
            }
        }
        (Step::Index(i), Value::Array(list)) => {
            if let Some(v) = list.get(*i) {
                by_path(v, rest, out, shown);
            }
        }
        (Step::Every, Value::Array(list)) => list.iter().for_each(|v| by_path(v, rest, out, shown)),
        (Step::Every, Value::Object(map)) => map.values().for_each(|v| by_path(v, rest, out, shown)),
        _ => {}
    }
}

fn batch(rows: &[Row]) -> RecordBatch {
    let list = |get: &dyn Fn(&Row) -> &Vec<String>| -> ArrayRef {
        let field = match crate::schema::utf8_list_type() {
            DataType::List(f) => f,
            _ => unreachable!("a list type"),
        };
        let mut builder = ListBuilder::new(StringBuilder::new()).with_field(field);
        for row in rows {
            for v in get(row) {
                builder.values().append_value(v);
            }
            builder.append(true);
        }
        Arc::new(builder.finish())
    };
    let text =
        |get: &dyn Fn(&Row) -> Option<&str>| -> ArrayRef { Arc::new(rows.iter().map(get).collect::<StringArray>()) };
    let columns: Vec<ArrayRef> = vec![
        text(&|_| Some("policy")),
        text(&|_| None),
        text(&|r| Some(&r.run_id)),
        text(&|r| Some(&r.item_id)),
        text(&|r| Some(&r.kind)),
        text(&|r| Some(&r.value)),
        list(&|r| &r.forms),
        list(&|r| &r.patterns),
        list(&|r| &r.match_kinds),
        Arc::new(BooleanArray::from(vec![false; rows.len()])),
        Arc::new(BooleanArray::from(vec![false; rows.len()])),
        Arc::new(rows.iter().map(|r| r.partial).collect::<Int32Array>()),
        Arc::new(rows.iter().map(|r| Some(format!("policy:{}", r.run_id))).collect::<StringArray>()),
        list(&|r| &r.allowed),
        Arc::new(rows.iter().map(|r| r.learned_turn).collect::<Int32Array>()),
        text(&|r| Some(&r.provenance)),
    ];
    RecordBatch::try_new(schema(), columns).expect("policy items match their schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_by_key_and_by_path() {
        let json: Value = serde_json::json!({
            "email": "jane@example.com",
            "payment_methods": {"credit_card_1": {"last_four": "7815", "brand": "visa"}, "gift_card_2": {"id": "gift_card_2"}},
            "passengers": [{"name": "Ann", "dob": "1990-01-01"}, {"name": "Bo", "dob": "1985-12-31"}]
        });
        let mut out = Vec::new();
        by_key(&json, "dob", &mut out);
        assert_eq!(out.iter().map(|v| v.0.as_str()).collect::<Vec<_>>(), ["1990-01-01", "1985-12-31"]);
        let mut out = Vec::new();
        by_path(&json, &parse_path("$.payment_methods.*.last_four").unwrap(), &mut out, "p");
        assert_eq!(out, [("7815".to_string(), "path p".to_string())]);
        let mut out = Vec::new();
        by_path(&json, &parse_path("$.passengers[1].name").unwrap(), &mut out, "p");
        assert_eq!(out[0].0, "Bo");
    }
}
