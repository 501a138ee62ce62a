//! CrewAI records → canonical messages, one run per file: the crew's `output_log_file` and TaskOutput/CrewOutput
//! dumps.
//!
//! `Crew(output_log_file=...)` logs each task twice through `FileHandler.log`: when it starts (`task_name`, `task` =
//! the description, `agent` = the agent's role, `status="started"`) and when it completes (the same plus `output` =
//! the raw result; releases before `output` existed put the result in `task`). A `.json` log is a list of those
//! entries with a `timestamp`; any other log is text, one `YYYY-MM-DD HH:MM:SS: key="value", ...` record per entry
//! (values are not escaped and may span lines). A TaskOutput / CrewOutput `model_dump` holds each task's
//! `description`, `agent` and `raw` result, and in recent releases the agent's LLM `messages`.
//!
//! A task start is a message from `crew` to the agent; a task result is the agent's message to the agents of the
//! later tasks (CrewAI passes earlier results on as context), or to `user` for the last task. An agent's own LLM
//! conversation, where a TaskOutput has it, is split in the ReAct form CrewAI prompts for: `Thought` text is a
//! THOUGHT, `Action`/`Action Input` a TOOL_CALL, `Observation` the TOOL_RESULT.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use super::adapter::{Adapter, Input, sniff};
use super::record::{Message, Parsed, RunInfo, RunMeta};
use super::{for_each_line, json_error, json_text, time};
use crate::schema::kind;

/// The crew's `output_log_file`, JSON or text.
pub struct CrewAiLog;

/// TaskOutput / CrewOutput `model_dump` (or `model_dump_json`) files.
pub struct CrewAiOutput;

impl Adapter for CrewAiLog {
    fn name(&self) -> &'static str {
        "crewai-log"
    }
    fn framework(&self) -> &'static str {
        "CrewAI"
    }
    fn reads(&self) -> &'static str {
        "CrewAI output_log_file logs: .json lists of {timestamp, task_name, task, agent, status, output} and text \
         lines `YYYY-MM-DD HH:MM:SS: task_name=\"...\", task=\"...\", agent=\"...\", status=\"...\"`"
    }
    fn lacks(&self) -> &'static str {
        "recipients (derived: a task start goes from `crew` to its agent; a task result goes to the agents of the \
         later tasks, which receive it as context, or to `user` after the last task); the agents' reasoning and tool \
         calls; run id (one run per file, named after it); model; time zone (local time, read as UTC); trust, \
         defense, scenario, seed"
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
                        let found = super::json_type(other);
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
                meta: RunMeta { framework: Some("CrewAI".into()), started_at, ..RunMeta::default() },
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
fn text_fields(body: &str) -> Result<Vec<(String, String)>, String> {
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

/// The agents of later tasks (each once, not the sender), or `user` when none follows.
fn downstream<'a>(sender: &str, later_agents: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut recipients: Vec<String> = Vec::new();
    for agent in later_agents {
        if agent != sender && !recipients.iter().any(|r| r == agent) {
            recipients.push(agent.to_string());
        }
    }
    if recipients.is_empty() {
        recipients.push("user".into());
    }
    recipients
}

impl Adapter for CrewAiOutput {
    fn name(&self) -> &'static str {
        "crewai-output"
    }
    fn framework(&self) -> &'static str {
        "CrewAI"
    }
    fn reads(&self) -> &'static str {
        "CrewAI TaskOutput / CrewOutput dumps (.json: {description, agent, raw, ...} or {raw, tasks_output, \
         token_usage}, or a list of them)"
    }
    fn lacks(&self) -> &'static str {
        "timestamps; recipients (derived: a task's description goes from `crew` to its agent; a task result goes to \
         the agents of the later tasks, which receive it as context, or to `user` after the last task); model; \
         run id (one run per crew output, named after the file); trust, defense, scenario, seed"
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        let first_line = text.lines().next().unwrap_or("");
        if first_line.contains("\"run_id\"") && first_line.contains("\"sender\"") {
            return false; // the generic JSONL format
        }
        (text.starts_with('{') || text.starts_with('['))
            && (sniff::has_all(head, &["\"tasks_output\"", "\"raw\""])
                || sniff::has_all(head, &["\"description\"", "\"raw\"", "\"agent\"", "\"output_format\""]))
    }

    fn parse(&self, input: &Input) -> Parsed {
        let doc: Value = match serde_json::from_slice(input.bytes) {
            Ok(doc) => doc,
            Err(e) => return Parsed::rejected(json_error("CrewAI output", &e), Some(e.line() as i64), None),
        };
        let mut parsed = Parsed::default();
        // The crews in the file: a CrewOutput, a list of CrewOutputs (`kickoff_for_each`), or TaskOutputs.
        let crews: Vec<(String, Vec<&Value>, Option<&Value>)> = match &doc {
            Value::Object(o) if o.contains_key("tasks_output") => vec![crew_of(input.default_run_id, o)],
            Value::Array(list) if list.iter().any(|v| v.get("tasks_output").is_some()) => list
                .iter()
                .enumerate()
                .map(|(n, crew)| match crew.as_object() {
                    Some(o) => crew_of(&format!("{}-{n}", input.default_run_id), o),
                    None => (format!("{}-{n}", input.default_run_id), vec![crew], None),
                })
                .collect(),
            Value::Array(list) => vec![(input.default_run_id.to_string(), list.iter().collect(), None)],
            single => vec![(input.default_run_id.to_string(), vec![single], None)],
        };
        for (run_id, tasks, final_output) in crews {
            let before = parsed.messages.len();
            let mut outputs: Vec<TaskRecord> = Vec::new();
            for (n, task) in tasks.iter().enumerate() {
                parsed.read += 1;
                match TaskRecord::from_value(task) {
                    Ok(record) => {
                        parsed.ingested += 1;
                        outputs.push(record);
                    }
                    Err(reason) => parsed.reject(None, None, format!("crew {run_id}, task output {n}: {reason}")),
                }
            }
            if tasks.is_empty()
                && let Some(raw) = final_output
            {
                // A CrewOutput without its tasks: only the crew's final answer.
                parsed.read += 1;
                parsed.ingested += 1;
                let mut message = Message::new(&run_id, "crew", json_text(raw), 0);
                message.recipients = vec!["user".into()];
                parsed.messages.push(message);
            }
            parsed.messages.extend(task_messages(&run_id, &outputs));
            if parsed.messages.len() > before {
                let meta = RunMeta { framework: Some("CrewAI".into()), ..RunMeta::default() };
                parsed.runs.push(RunInfo { run_id, meta });
            }
        }
        parsed
    }
}

/// A CrewOutput object → (run id, its task outputs, its final raw answer).
fn crew_of<'a>(run_id: &str, crew: &'a Map<String, Value>) -> (String, Vec<&'a Value>, Option<&'a Value>) {
    let tasks = crew.get("tasks_output").and_then(Value::as_array).map(|t| t.iter().collect()).unwrap_or_default();
    (run_id.to_string(), tasks, crew.get("raw").filter(|r| !r.is_null()))
}

/// One TaskOutput.
struct TaskRecord {
    agent: String,
    description: String,
    result: String,
    /// The agent's LLM conversation (`messages`, recent releases): (role, content).
    conversation: Vec<(String, String)>,
}

impl TaskRecord {
    fn from_value(value: &Value) -> Result<TaskRecord, String> {
        let Some(task) = value.as_object() else {
            return Err(format!("expected a TaskOutput object, found {}", super::json_type(value)));
        };
        let agent = task
            .get("agent")
            .and_then(Value::as_str)
            .filter(|a| !a.trim().is_empty())
            .ok_or("the TaskOutput has no `agent`: CrewAI records the role of the agent that did the task there")?;
        let present = |key: &str| task.get(key).filter(|v| !v.is_null() && v.as_str() != Some(""));
        let result = present("raw").or_else(|| present("json_dict")).or_else(|| present("pydantic"));
        let conversation = task
            .get("messages")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|m| {
                        let role = m.get("role").and_then(Value::as_str)?;
                        let content = match m.get("content")? {
                            Value::Array(parts) => parts
                                .iter()
                                .map(|p| p.get("text").map(json_text).unwrap_or_else(|| json_text(p)))
                                .collect::<Vec<_>>()
                                .join("\n"),
                            other => json_text(other),
                        };
                        Some((role.to_string(), content))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(TaskRecord {
            agent: agent.to_string(),
            description: task.get("description").map(json_text).unwrap_or_default(),
            result: result.map(json_text).unwrap_or_default(),
            conversation,
        })
    }
}

/// Task outputs → per task: the assignment (or the agent's LLM conversation), then the result sent downstream.
fn task_messages(run_id: &str, tasks: &[TaskRecord]) -> Vec<Message> {
    let mut messages = Vec::new();
    for (n, task) in tasks.iter().enumerate() {
        let agent = task.agent.as_str();
        let to_agent = |sender: &str, content: &str, kind: &'static str| {
            let mut m = Message::new(run_id, sender, content, 0);
            m.recipients = vec![agent.to_string()];
            m.kind = kind;
            m
        };
        if task.conversation.is_empty() {
            messages.push(to_agent("crew", &task.description, kind::MESSAGE));
        }
        for (role, content) in &task.conversation {
            match role.as_str() {
                "system" => messages.push(to_agent("system", content, kind::SYSTEM)),
                "assistant" => messages.extend(react_steps(run_id, agent, content)),
                _ => messages.push(to_agent("crew", content, kind::MESSAGE)),
            }
        }
        let later = tasks[n + 1..].iter().map(|t| t.agent.as_str());
        let mut result = Message::new(run_id, agent, task.result.clone(), 0);
        result.recipients = downstream(agent, later);
        messages.push(result);
    }
    messages
}

/// One ReAct-formatted assistant turn → its thought, and the tool call and observation when it took an action.
fn react_steps(run_id: &str, agent: &str, text: &str) -> Vec<Message> {
    let mut steps = Vec::new();
    let action_at = if text.starts_with("Action:") { Some(0) } else { text.find("\nAction:").map(|i| i + 1) };
    let thought = action_at.map_or(text, |at| &text[..at]);
    if !thought.trim().is_empty() {
        let mut m = Message::new(run_id, agent, thought.trim_end(), 0);
        m.kind = kind::THOUGHT;
        steps.push(m);
    }
    let Some(at) = action_at else { return steps };
    let action = &text[at + "Action:".len()..];
    let (tool_part, observation) = match action.find("\nObservation:") {
        Some(i) => (&action[..i], Some(action[i + "\nObservation:".len()..].trim())),
        None => (action, None),
    };
    let (tool, args) = match tool_part.find("\nAction Input:") {
        Some(i) => (tool_part[..i].trim(), tool_part[i + "\nAction Input:".len()..].trim()),
        None => (tool_part.trim(), ""),
    };
    let mut call = Message::new(run_id, agent, args, 0);
    call.kind = kind::TOOL_CALL;
    call.tool_name = Some(tool.to_string());
    call.tool_args = Some(args.to_string());
    call.recipients = vec![tool.to_string()];
    steps.push(call);
    if let Some(observation) = observation {
        let mut result = Message::new(run_id, tool, observation, 0);
        result.kind = kind::TOOL_RESULT;
        result.tool_name = Some(tool.to_string());
        result.sender_role = Some("tool".into());
        result.recipients = vec![agent.to_string()];
        steps.push(result);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/crewai");
    const CUSTODIAN: &str = "Warehouse Custodian";
    const LIAISON: &str = "Front Desk Liaison";

    fn parse_with(adapter: &dyn Adapter, name: &str) -> Parsed {
        let path = Path::new(FIXTURES).join(name);
        let bytes = std::fs::read(&path).expect("fixture exists");
        let display = path.display().to_string();
        let parsed = adapter.parse(&Input {
            path: &path,
            display: &display,
            bytes: &bytes,
            first_line: 1,
            base_offset: 0,
            default_run_id: "crew-0000",
        });
        assert_eq!(parsed.unaccounted(), 0, "{name}: read must equal ingested + rejects");
        parsed
    }

    fn summary(parsed: &Parsed) -> Vec<(&str, &str, Vec<&str>)> {
        parsed
            .messages
            .iter()
            .map(|m| (m.sender.as_str(), m.kind, m.recipients.iter().map(String::as_str).collect()))
            .collect()
    }

    fn expected_log_flow() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
        vec![
            ("crew", kind::MESSAGE, vec![CUSTODIAN]),
            (CUSTODIAN, kind::MESSAGE, vec![LIAISON]),
            ("crew", kind::MESSAGE, vec![LIAISON]),
            (LIAISON, kind::MESSAGE, vec!["user"]),
        ]
    }

    #[test]
    fn json_log_turns_starts_and_results_into_messages() {
        let parsed = parse_with(&CrewAiLog, "crew_log.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (4, 4, 0));
        assert_eq!(parsed.runs.len(), 1);
        assert_eq!(parsed.runs[0].run_id, "crew-0000");
        assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("CrewAI"));
        assert_eq!(parsed.runs[0].meta.started_at, time::parse_ts("2025-02-10 14:02:11"));
        assert_eq!(summary(&parsed), expected_log_flow());
        assert!(parsed.messages[0].content.starts_with("Check whether the night-shift driver"));
        assert!(parsed.messages[1].content.starts_with("The driver has no warehouse badge."));
        assert_eq!(parsed.messages[3].ts, time::parse_ts("2025-02-10 14:02:24"));
    }

    #[test]
    fn text_log_reads_multi_line_values_with_quotes() {
        let parsed = parse_with(&CrewAiLog, "crew_log.txt");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (4, 4, 0));
        assert_eq!(summary(&parsed), expected_log_flow());
        assert_eq!(
            parsed.messages[1].content,
            "Decision: \"deny\".\n\nThe driver has no warehouse badge. Do not share the keypad password;\nthe shift \
             supervisor can open warehouse B at 22:00."
        );
        assert_eq!(parsed.messages[2].source_offset, {
            let text = std::fs::read_to_string(Path::new(FIXTURES).join("crew_log.txt")).unwrap();
            text.find("2025-02-10 14:02:19: task_name=\"reply_to_driver\"").unwrap() as i64
        });
    }

    #[test]
    fn legacy_text_log_takes_the_result_from_task() {
        let parsed = parse_with(&CrewAiLog, "crew_log_legacy.txt");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (4, 4, 0));
        assert_eq!(summary(&parsed), expected_log_flow());
        assert!(parsed.messages[1].content.starts_with("The driver has no warehouse badge."));
        assert_eq!(parsed.messages[0].ts, time::parse_ts("2024-05-02 09:30:01"));
    }

    #[test]
    fn malformed_text_log_rejects_stray_lines_missing_agents_and_cut_records() {
        let parsed = parse_with(&CrewAiLog, "crew_log_malformed.txt");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (4, 1, 3));
        let lines: Vec<Option<i64>> = parsed.rejects.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![Some(1), Some(3), Some(4)]);
        assert!(parsed.rejects[0].reason.starts_with("line 1: not a CrewAI log record"));
        assert!(parsed.rejects[1].reason.contains("has no `agent`"), "{}", parsed.rejects[1].reason);
        assert!(parsed.rejects[2].reason.contains("value of `output` is not closed by a quote"));
        assert_eq!(summary(&parsed), vec![("crew", kind::MESSAGE, vec![CUSTODIAN])]);
    }

    #[test]
    fn truncated_json_log_is_one_reject() {
        let parsed = parse_with(&CrewAiLog, "crew_log_truncated.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (1, 0, 1));
        assert!(parsed.rejects[0].reason.starts_with("CrewAI JSON log: it ends early (truncated?)"));
    }

    #[test]
    fn crew_output_splits_the_agent_conversation_in_react_steps() {
        let parsed = parse_with(&CrewAiOutput, "crew_output.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (2, 2, 0));
        assert_eq!(parsed.runs[0].run_id, "crew-0000");
        assert_eq!(
            summary(&parsed),
            vec![
                ("system", kind::SYSTEM, vec![CUSTODIAN]),
                ("crew", kind::MESSAGE, vec![CUSTODIAN]),
                (CUSTODIAN, kind::THOUGHT, vec![]),
                (CUSTODIAN, kind::TOOL_CALL, vec!["check_badge"]),
                ("check_badge", kind::TOOL_RESULT, vec![CUSTODIAN]),
                (CUSTODIAN, kind::THOUGHT, vec![]),
                (CUSTODIAN, kind::MESSAGE, vec![LIAISON]),
                ("crew", kind::MESSAGE, vec![LIAISON]),
                (LIAISON, kind::MESSAGE, vec!["user"]),
            ]
        );
        let m = &parsed.messages;
        assert_eq!(m[2].content, "Thought: I should check the driver's badge before deciding.");
        assert_eq!(m[3].tool_name.as_deref(), Some("check_badge"));
        assert_eq!(m[3].tool_args.as_deref(), Some(r#"{"person": "night-shift driver"}"#));
        assert_eq!(m[4].content, "No badge on file for 'night-shift driver'.");
        assert!(m[5].content.contains("Crate-7741-Delta"), "the secret stays in the thought");
        assert!(!m[6].content.contains("Crate-7741-Delta"));
        assert!(m[7].content.starts_with("Write the reply"));
    }

    #[test]
    fn single_task_output_uses_json_dict_when_raw_is_empty() {
        let parsed = parse_with(&CrewAiOutput, "task_output.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (1, 1, 0));
        assert_eq!(
            summary(&parsed),
            vec![("crew", kind::MESSAGE, vec![CUSTODIAN]), (CUSTODIAN, kind::MESSAGE, vec!["user"])]
        );
        assert_eq!(parsed.messages[1].content, r#"{"granted":false,"reason":"no badge on file"}"#);
    }

    #[test]
    fn bad_task_outputs_are_rejected_by_index() {
        let parsed = parse_with(&CrewAiOutput, "task_outputs_bad.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (3, 1, 2));
        assert!(parsed.rejects[0].reason.starts_with("crew crew-0000, task output 1: the TaskOutput has no `agent`"));
        assert_eq!(
            parsed.rejects[1].reason,
            "crew crew-0000, task output 2: expected a TaskOutput object, found a number"
        );
        assert_eq!(parsed.messages.len(), 2);
    }

    #[test]
    fn text_fields_end_where_the_next_known_key_begins() {
        let fields = text_fields(r#"agent="A, B", task="say "hi", then stop", status="completed""#).unwrap();
        assert_eq!(
            fields,
            vec![
                ("agent".to_string(), "A, B".to_string()),
                ("task".to_string(), "say \"hi\", then stop".to_string()),
                ("status".to_string(), "completed".to_string()),
            ]
        );
        assert!(text_fields("hello world").is_err());
    }

    #[test]
    fn sniffers_tell_logs_from_outputs_and_foreign_files() {
        let read = |name: &str| std::fs::read(Path::new(FIXTURES).join(name)).unwrap();
        for name in ["crew_log.json", "crew_log.txt", "crew_log_legacy.txt", "crew_log_malformed.txt"] {
            assert!(CrewAiLog.sniff(Path::new(name), &read(name)), "{name}");
            assert!(!CrewAiOutput.sniff(Path::new(name), &read(name)), "{name}");
        }
        for name in ["crew_output.json", "task_output.json", "task_outputs_bad.json"] {
            assert!(CrewAiOutput.sniff(Path::new(name), &read(name)), "{name}");
            assert!(!CrewAiLog.sniff(Path::new(name), &read(name)), "{name}");
        }
        let loguru = b"2025-03-01 09:12:40 | INFO     | agentscope.manager._model:load_model_configs:115 - Load";
        assert!(!CrewAiLog.sniff(Path::new("logging.log"), loguru));
        let generic = br#"{"run_id": "r", "sender": "a", "content": "x", "raw": "", "tasks_output": []}"#;
        assert!(!CrewAiOutput.sniff(Path::new("x.jsonl"), generic));
    }

    #[test]
    fn sniffers_claim_no_real_file_of_another_framework() {
        let heads = crate::ingest::adapter::real_heads();
        assert!(heads.len() > 20, "the real data beside the project is missing");
        for (path, head) in &heads {
            assert!(!CrewAiLog.sniff(path, head), "log sniffer claims {}", path.display());
            assert!(!CrewAiOutput.sniff(path, head), "output sniffer claims {}", path.display());
        }
    }
}
