//! CrewAI's `output_log_file` (`crewai-log`), JSON or text → canonical messages, one run per file: task starts from
//! `crew` to the agent, results to the agents of later tasks; see the family header in [`super`].

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::crewai::downstream;
use crate::ingest::common::sniff;
use crate::ingest::common::{for_each_line, json_error, json_text, time};
use crate::ingest::record::{Message, Parsed, RunInfo, RunMeta};

/// The crew's `output_log_file`, JSON or text.
pub struct CrewAiLog;

impl Adapter for CrewAiLog {
    fn format(&self) -> Format {
        Format::CrewAiLog
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        // A text log may open with a stray line or two (a banner, a cut record).
        JSON_LOG_HEAD.is_match(text) || text.lines().take(5).any(|line| TEXT_RECORD.is_match(line))
    }

    fn parse(&self, input: &Input) -> Parsed {
        let mut parsed = Parsed::default();
        let mut entries: Vec<LogEntry> = Vec::new();
        if sniff::text(input.bytes).starts_with('[') {
            let list = match serde_json::from_slice::<Value>(input.bytes) {
                Ok(Value::Array(list)) => list,
                Ok(_) => return Parsed::rejected("CrewAI JSON log: expected a list of log entries", None, None),
                Err(e) => return Parsed::rejected(json_error("CrewAI JSON log", &e), Some(e.line() as i64), None),
            };
            for (n, entry) in list.iter().enumerate() {
                parsed.read += 1;
                let fields = match entry {
                    Value::Object(object) => {
                        object.iter().map(|(k, v)| (k.clone(), json_text(v))).collect::<Vec<(String, String)>>()
                    }
                    other => {
                        let found = crate::ingest::common::json_type(other);
                        parsed.reject(None, None, format!("log entry {n}: expected an object, found {found}"));
                        continue;
                    }
                };
                match LogEntry::from_fields(fields, 0) {
                    Ok(entry) => {
                        parsed.ingested += 1;
                        entries.push(entry);
                    }
                    Err(reason) => parsed.reject(None, None, format!("log entry {n}: {reason}")),
                }
            }
        } else {
            for record in text_records(input) {
                parsed.read += 1;
                let result = match record.body {
                    None => Err(format!(
                        "line {}: not a CrewAI log record: expected `YYYY-MM-DD HH:MM:SS: key=\"value\", ...`",
                        record.line
                    )),
                    Some(body) => text_fields(&body)
                        .and_then(|mut fields| {
                            fields.insert(0, ("timestamp".into(), record.stamp.clone()));
                            LogEntry::from_fields(fields, record.offset)
                        })
                        .map_err(|reason| format!("record at line {}: {reason}", record.line)),
                };
                match result {
                    Ok(entry) => {
                        parsed.ingested += 1;
                        entries.push(entry);
                    }
                    Err(reason) => parsed.reject(Some(record.line), Some(record.offset as i64), reason),
                }
            }
        }
        let run_id = input.default_run_id;
        let started_at = entries.iter().filter_map(|e| e.ts).min();
        if !entries.is_empty() {
            parsed.messages = log_messages(run_id, &entries);
            parsed.runs.push(RunInfo {
                run_id: run_id.to_string(),
                meta: RunMeta {
                    framework: Some(Format::CrewAiLog.framework().into()),
                    started_at,
                    ..RunMeta::default()
                },
            });
        }
        parsed
    }
}

/// A JSON log: `[{"timestamp": "YYYY-MM-DD HH:MM:SS", "task_name"|"task"|"agent": ...`.
static JSON_LOG_HEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^\[\s*\{\s*"timestamp"\s*:\s*"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"\s*,\s*"(task_name|task|agent)"\s*:"#,
    )
    .expect("valid regex")
});
/// The first line of a text log record.
static TEXT_RECORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}): (task_name|task|agent|status|output|message)=""#)
        .expect("valid regex")
});
/// Where a field starts inside a text record: `key="`, at the start or after `", "`.
static TEXT_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:^|", )(task_name|task|agent|status|output|input|message|level|crew|flow|tool|error|duration|metadata)=""#,
    )
    .expect("valid regex")
});

/// One record of a text log: the lines from a timestamped line up to the next one. `body` is `None` for stray
/// lines before the first record.
struct TextRecord {
    line: i64,
    offset: usize,
    stamp: String,
    body: Option<String>,
}

fn text_records(input: &Input) -> Vec<TextRecord> {
    let mut records: Vec<TextRecord> = Vec::new();
    let mut last_line = 0;
    for_each_line(input, |line_no, offset, line| {
        let text = String::from_utf8_lossy(line);
        if let Some(start) = TEXT_RECORD.captures(&text) {
            let stamp = start.get(1).map_or("", |m| m.as_str()).to_string();
            let body = text[stamp.len() + 2..].to_string();
            records.push(TextRecord { line: line_no, offset: offset as usize, stamp, body: Some(body) });
        } else if let Some(TextRecord { body: Some(body), .. }) = records.last_mut() {
            // A value that spans lines; blank lines inside it were skipped by `for_each_line`, keep them.
            for _ in last_line + 1..line_no {
                body.push('\n');
            }
            body.push('\n');
            body.push_str(&text);
        } else {
            records.push(TextRecord { line: line_no, offset: offset as usize, stamp: String::new(), body: None });
        }
        last_line = line_no;
    });
    for record in &mut records {
        if let Some(body) = &mut record.body {
            body.truncate(body.trim_end().len());
        }
    }
    records
}

/// `key="value", key="value"` → the fields in order. Values are unescaped in the log, so a field ends where the
/// next known key begins.
pub(super) fn text_fields(body: &str) -> Result<Vec<(String, String)>, String> {
    let starts: Vec<(usize, usize, String)> = TEXT_FIELD
        .captures_iter(body)
        .filter_map(|c| Some((c.get(0)?.start(), c.get(0)?.end(), c.get(1)?.as_str().to_string())))
        .collect();
    if starts.first().is_none_or(|(start, _, _)| *start != 0) {
        return Err("it does not open with a `key=\"value\"` field".into());
    }
    let mut fields = Vec::new();
    for (n, (_, value_start, key)) in starts.iter().enumerate() {
        // The next field's match begins with the closing quote of this one (`", key="`).
        let value_end = starts.get(n + 1).map_or(body.len(), |(next, _, _)| next + 1);
        let Some(value) = body.get(*value_start..value_end).and_then(|v| v.strip_suffix('"')) else {
            return Err(format!("the value of `{key}` is not closed by a quote (record cut short?)"));
        };
        fields.push((key.clone(), value.to_string()));
    }
    Ok(fields)
}

/// One `FileHandler.log` call.
struct LogEntry {
    ts: Option<i64>,
    agent: String,
    status: String,
    task: Option<String>,
    output: Option<String>,
    other: Option<String>,
    offset: usize,
}

impl LogEntry {
    fn from_fields(fields: Vec<(String, String)>, offset: usize) -> Result<LogEntry, String> {
        let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let agent = get("agent")
            .filter(|a| !a.trim().is_empty())
            .ok_or("the entry has no `agent`: CrewAI logs the role of the agent that worked on the task there")?;
        let ts = match get("timestamp") {
            Some(stamp) => Some(time::parse_ts(&stamp).ok_or_else(|| format!("`timestamp` is not a time: {stamp}"))?),
            None => None,
        };
        Ok(LogEntry {
            ts,
            agent,
            status: get("status").unwrap_or_default().to_lowercase(),
            task: get("task").or_else(|| get("task_name")),
            output: get("output"),
            other: get("error").or_else(|| get("message")),
            offset,
        })
    }
}

/// Log entries → messages: starts from `crew` to the agent, results from the agent downstream.
fn log_messages(run_id: &str, entries: &[LogEntry]) -> Vec<Message> {
    let mut messages = Vec::new();
    for (n, entry) in entries.iter().enumerate() {
        let mut message = if entry.status == "started" {
            let mut m = Message::new(run_id, "crew", entry.task.clone().unwrap_or_default(), entry.offset);
            m.recipients = vec![entry.agent.clone()];
            m
        } else {
            // Completed (or failed): the result; older releases logged it in `task`.
            let content = entry.output.clone().or_else(|| entry.other.clone()).or_else(|| entry.task.clone());
            let mut m = Message::new(run_id, &entry.agent, content.unwrap_or_default(), entry.offset);
            let later = entries[n + 1..].iter().filter(|e| e.status == "started").map(|e| e.agent.as_str());
            m.recipients = downstream(&entry.agent, later);
            m
        };
        message.ts = entry.ts;
        messages.push(message);
    }
    messages
}
