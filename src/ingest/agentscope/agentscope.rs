//! AgentScope logs, all four on-disk generations, → canonical messages of one run per file.
//!
//! AgentScope records a conversation as `Msg` dicts whose `name` is the speaker. This adapter reads them as
//! - v0.0.x `runs/<run>/logging.chat`: one Msg per line, DictDialogAgent replies with their `thought` and `speak`
//!   keys flattened beside `content`;
//! - v0.1.x `logging.chat`: Msg lines tagged `"__module__": "agentscope.message.msg"`, content a string (often the
//!   raw ```json {"thought", "speak"}``` reply of a DictDialogAgent) or a list of text/tool_use/tool_result blocks;
//! - memory exports (`TemporaryMemory.export`, `serialize(list[Msg])`): a JSON list of Msg dicts;
//! - v1.x session state (`JSONSession`, `<session_id>.json`): `{<agent>: {memory: {content: [Msg...]}, name,
//!   _sys_prompt}}`, the agents' memories merged into one run ordered by timestamp, de-duplicated by Msg id;
//! - v2.x `sessions/<id>/context.jsonl`: one Msg `model_dump` per line, blocks with ids, tool_call inputs as JSON text.
//!
//! Private reasoning (`thought`, `thinking` blocks) becomes a THOUGHT message apart from the spoken text, so labeling
//! can tell what an agent said from what it only thought. AgentScope's msghub broadcasts, so recipients are derived:
//! a message goes to every other participant of the run, a tool call to its tool, a tool result back to the caller.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::sniff;
use crate::ingest::common::{for_each_line, json_error, json_text, json_type, time};
use crate::ingest::record::{Message, Parsed, RunInfo, RunMeta};
use crate::schema::kind;

pub struct AgentScope;

impl Adapter for AgentScope {
    fn format(&self) -> Format {
        Format::AgentScope
    }
    fn sniff(&self, path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        let first_line = text.lines().next().unwrap_or("");
        if first_line.starts_with('{') && first_line.contains("\"run_id\"") && first_line.contains("\"sender\"") {
            return false; // the generic JSONL format
        }
        if path.file_name().is_some_and(|n| n == "logging.chat") {
            return text.starts_with('{') || text.starts_with('"');
        }
        if !(text.starts_with('{') || text.starts_with('[')) {
            return false;
        }
        text.contains("\"agentscope.message.msg\"")
            || SESSION_MEMORY.is_match(text)
            || (first_line.starts_with('{')
                && sniff::has_all(
                    first_line.as_bytes(),
                    &["\"finished_reason\"", "\"structured_output\"", "\"created_at\""],
                ))
            || (MSG_ID.is_match(text)
                && MSG_TIMESTAMP.is_match(text)
                && MSG_ROLE.is_match(text)
                && sniff::has_all(head, &["\"name\"", "\"content\""]))
    }

    fn parse(&self, input: &Input) -> Parsed {
        let run_id = run_id_from_path(input.path).unwrap_or_else(|| input.default_run_id.to_string());
        let mut log = RunLog::default();
        let mut parsed = Parsed::default();
        match sniff::text(input.bytes).chars().next() {
            Some('[') => {
                let entries = match serde_json::from_slice::<Value>(input.bytes) {
                    Ok(Value::Array(entries)) => entries,
                    Ok(_) => {
                        return Parsed::rejected(
                            "AgentScope memory export: expected a JSON list of Msg dicts",
                            None,
                            None,
                        );
                    }
                    Err(e) => {
                        return Parsed::rejected(
                            json_error("AgentScope memory export", &e),
                            Some(e.line() as i64),
                            None,
                        );
                    }
                };
                for (n, entry) in entries.iter().enumerate() {
                    parsed.read += 1;
                    let result = match entry {
                        Value::Object(msg) => log.add_msg(&run_id, msg, 0),
                        other => Err(format!("expected a Msg object, found {}", json_type(other))),
                    };
                    match result {
                        Ok(()) => parsed.ingested += 1,
                        Err(reason) => parsed.reject(None, None, format!("memory export entry {n}: {reason}")),
                    }
                }
            }
            _ => match serde_json::from_slice::<Value>(input.bytes) {
                Ok(Value::Object(doc)) if is_session(&doc) => {
                    let session_id = input
                        .path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .filter(|s| !s.is_empty())
                        .unwrap_or(run_id.clone());
                    return parse_session(&doc, &session_id);
                }
                _ => for_each_line(input, |line_no, offset, line| {
                    parsed.read += 1;
                    let result = match serde_json::from_slice::<Value>(line) {
                        Ok(Value::Object(msg)) => log.add_msg(&run_id, &msg, offset as usize),
                        // `logger.chat` of a plain string (0.0.x): an announcement in the log, not a Msg.
                        Ok(Value::String(text)) => {
                            let mut message = Message::new(&run_id, "system", text, offset as usize);
                            message.kind = kind::SYSTEM;
                            log.drafts.push(Draft { message, route: Route::Broadcast });
                            Ok(())
                        }
                        Ok(other) => Err(format!("expected a Msg object, found {}", json_type(&other))),
                        Err(e) => Err(json_error("AgentScope record", &e)),
                    };
                    match result {
                        Ok(()) => parsed.ingested += 1,
                        Err(reason) => parsed.reject(Some(line_no), Some(offset), format!("line {line_no}: {reason}")),
                    }
                }),
            },
        }
        let started = run_started_from_path(input.path);
        log.finish(run_id, started, &mut parsed);
        parsed
    }
}

/// v1 session memory state: `"memory": {"content": [`.
static SESSION_MEMORY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""memory"\s*:\s*\{\s*"content"\s*:\s*\["#).expect("valid regex"));
/// A Msg id: uuid4 hex (0.x) or a 22-character shortuuid (1.x).
static MSG_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""id"\s*:\s*"([0-9a-f]{32}|[0-9A-Za-z]{22})""#).expect("valid regex"));
/// A Msg timestamp: `%Y-%m-%d %H:%M:%S`, 1.x with milliseconds.
static MSG_TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""timestamp"\s*:\s*"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{3})?""#).expect("valid regex")
});
static MSG_ROLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""role"\s*:\s*"(system|user|assistant)""#).expect("valid regex"));
/// `agentscope.init` run directories: `run_YYYYmmdd-HHMMSS_<6 chars>`.
static RUN_DIR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^run_(\d{8}-\d{6})_[0-9A-Za-z]+$").expect("valid regex"));

/// The run id a path carries: the `runs/<run_id>/` folder of 0.x logs, the `sessions/<id>/` folder of 2.x contexts.
fn run_id_from_path(path: &Path) -> Option<String> {
    let parent = path.parent()?;
    let dir = parent.file_name()?.to_string_lossy().into_owned();
    let grandparent = parent.parent().and_then(|g| g.file_name()).map(|g| g.to_string_lossy().into_owned());
    let in_runs = grandparent.as_deref() == Some("runs") && path.file_name().is_some_and(|n| n == "logging.chat");
    let in_sessions =
        grandparent.as_deref() == Some("sessions") && path.file_name().is_some_and(|n| n == "context.jsonl");
    (RUN_DIR.is_match(&dir) || in_runs || in_sessions).then_some(dir)
}

/// The start time written into a `run_YYYYmmdd-HHMMSS_xxxxxx` folder name.
fn run_started_from_path(path: &Path) -> Option<i64> {
    let dir = path.parent()?.file_name()?.to_string_lossy().into_owned();
    let stamp = RUN_DIR.captures(&dir)?.get(1)?.as_str().to_string();
    time::parse_ts(&stamp)
}

fn is_session(doc: &Map<String, Value>) -> bool {
    !doc.is_empty() && doc.values().any(|state| state.pointer("/memory/content").is_some_and(Value::is_array))
}

/// Where a message goes, resolved once the whole run has been read.
enum Route {
    /// Every other participant of the run (msghub broadcast).
    Broadcast,
    /// Private reasoning: nobody.
    Private,
    /// A tool call: to the tool; `id` lets the result find its way back.
    Tool { name: String, id: Option<String> },
    /// A tool result: back to whoever made the call with this id.
    Caller(Option<String>),
    /// Known recipients (a system prompt to its agent).
    To(Vec<String>),
}

struct Draft {
    message: Message,
    route: Route,
}

/// The messages of one run as they are read, before recipients are derived.
#[derive(Default)]
struct RunLog {
    drafts: Vec<Draft>,
    /// The AgentScope generation the records were written by, from the first record that tells.
    generation: Option<&'static str>,
}

impl RunLog {
    /// Turn one Msg dict into draft messages; the error says what is wrong with it.
    fn add_msg(&mut self, run_id: &str, msg: &Map<String, Value>, offset: usize) -> Result<(), String> {
        let drafts = decode_msg(run_id, msg, offset)?;
        if self.generation.is_none() {
            self.generation = generation_of(msg);
        }
        self.drafts.extend(drafts);
        Ok(())
    }

    /// Derive recipients and emit the run with its messages (no run when no record was readable).
    fn finish(self, run_id: String, started: Option<i64>, parsed: &mut Parsed) {
        if self.drafts.is_empty() {
            return;
        }
        let first_ts = self.drafts.iter().filter_map(|d| d.message.ts).min();
        parsed.messages.extend(resolve_routes(self.drafts));
        parsed.runs.push(RunInfo {
            run_id,
            meta: RunMeta {
                framework: Some(self.generation.unwrap_or("AgentScope 0.0").to_string()),
                started_at: started.or(first_ts),
                ..RunMeta::default()
            },
        });
    }
}

/// The generation a Msg dict was written by, when its shape says so.
fn generation_of(msg: &Map<String, Value>) -> Option<&'static str> {
    if msg.contains_key("__module__") {
        Some("AgentScope 0.1")
    } else if msg.contains_key("created_at") {
        Some("AgentScope 2.x")
    } else {
        let id = msg.get("id").and_then(Value::as_str).unwrap_or("");
        let stamp = msg.get("timestamp").and_then(Value::as_str).unwrap_or("");
        if id.len() == 22 || stamp.len() == 23 {
            Some("AgentScope 1.x")
        } else if id.len() == 32 {
            Some("AgentScope 0.0")
        } else {
            None
        }
    }
}

/// Recipients from routes: broadcasts go to every other participant (everyone who spoke, bar `system`).
fn resolve_routes(drafts: Vec<Draft>) -> Vec<Message> {
    let mut participants: Vec<String> = Vec::new();
    let mut callers: HashMap<String, String> = HashMap::new();
    for draft in &drafts {
        let sender = &draft.message.sender;
        match &draft.route {
            Route::Broadcast if draft.message.kind == kind::MESSAGE && !participants.contains(sender) => {
                participants.push(sender.clone());
            }
            Route::Tool { id: Some(id), .. } => {
                callers.entry(id.clone()).or_insert_with(|| sender.clone());
            }
            _ => {}
        }
    }
    drafts
        .into_iter()
        .map(|Draft { mut message, route }| {
            message.recipients = match route {
                Route::Broadcast => participants.iter().filter(|p| **p != message.sender).cloned().collect(),
                Route::Private => Vec::new(),
                Route::Tool { name, .. } => vec![name],
                Route::Caller(id) => id.and_then(|id| callers.get(&id).cloned()).into_iter().collect(),
                Route::To(recipients) => recipients,
            };
            message
        })
        .collect()
}

/// One Msg dict → its thought, spoken text, tool calls and tool results, in that order.
fn decode_msg(run_id: &str, msg: &Map<String, Value>, offset: usize) -> Result<Vec<Draft>, String> {
    let name = match msg.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() => name.as_str(),
        Some(Value::String(_)) => return Err("the Msg's `name` is empty; AgentScope records the speaker there".into()),
        None | Some(Value::Null) => {
            return Err(
                "the Msg has no `name`: AgentScope records the speaker there, so it cannot be attributed".into()
            );
        }
        Some(other) => return Err(format!("the Msg's `name` must be a string, found {}", json_type(other))),
    };
    let role = msg.get("role").and_then(Value::as_str);
    let ts = msg.get("timestamp").or_else(|| msg.get("created_at")).and_then(time::from_json);
    let is_system = role == Some("system") || name.eq_ignore_ascii_case("system");
    let text_kind = if is_system { kind::SYSTEM } else { kind::MESSAGE };
    let new = |kind: &'static str, sender: &str, content: String, route: Route| {
        let mut message = Message::new(run_id, sender, content, offset);
        message.ts = ts;
        message.kind = kind;
        Draft { message, route }
    };

    let mut drafts = Vec::new();
    let mut thoughts: Vec<String> = Vec::new();
    // 0.0.x DictDialogAgent: the parsed reply's keys sit beside `content`.
    if let Some(thought) = msg.get("thought").filter(|v| !v.is_null()) {
        thoughts.push(json_text(thought));
    }
    let mut spoken: Option<String> = None;
    let mut calls: Vec<Draft> = Vec::new();
    let mut results: Vec<Draft> = Vec::new();
    let content = match msg.get("content") {
        None | Some(Value::Null) => msg.get("speak").or_else(|| msg.get("url")).cloned().unwrap_or(Value::Null),
        Some(content) => content.clone(),
    };
    match &content {
        Value::Null => spoken = Some(String::new()),
        Value::String(text) => spoken = Some(text.clone()),
        Value::Object(reply) if reply.contains_key("speak") || reply.contains_key("thought") => {
            let (thought, speak) = split_reply(reply);
            thoughts.extend(thought);
            spoken = Some(speak);
        }
        Value::Array(blocks) => {
            let mut texts: Vec<String> = Vec::new();
            for block in blocks {
                let Some(block_type) = block.get("type").and_then(Value::as_str) else {
                    match block {
                        Value::String(text) => texts.push(text.clone()),
                        other => texts.push(json_text(other)),
                    }
                    continue;
                };
                let field = |key: &str| block.get(key).map(json_text).unwrap_or_default();
                match block_type {
                    "text" => texts.push(field("text")),
                    "thinking" => thoughts.push(field("thinking")),
                    "hint" => drafts.push(new(kind::SYSTEM, name, field("text"), Route::Private)),
                    "tool_use" | "tool_call" => {
                        let tool = block.get("name").and_then(Value::as_str).unwrap_or("tool").to_string();
                        let args = match block.get("input") {
                            Some(Value::String(args)) => args.clone(),
                            Some(Value::Null) | None => "{}".to_string(),
                            Some(args) => args.to_string(),
                        };
                        let id = block.get("id").and_then(Value::as_str).map(str::to_string);
                        let mut draft =
                            new(kind::TOOL_CALL, name, args.clone(), Route::Tool { name: tool.clone(), id });
                        draft.message.tool_name = Some(tool);
                        draft.message.tool_args = Some(args);
                        calls.push(draft);
                    }
                    "tool_result" => {
                        let tool = block.get("name").and_then(Value::as_str).unwrap_or("tool").to_string();
                        let output = block.get("output").map(block_text).unwrap_or_default();
                        let id = block.get("id").and_then(Value::as_str).map(str::to_string);
                        let mut draft = new(kind::TOOL_RESULT, &tool, output, Route::Caller(id));
                        draft.message.tool_name = Some(tool);
                        draft.message.sender_role = Some("tool".into());
                        results.push(draft);
                    }
                    media => {
                        let url = block
                            .get("url")
                            .or_else(|| block.pointer("/source/url"))
                            .and_then(Value::as_str)
                            .unwrap_or("inline data");
                        texts.push(format!("[{media}: {url}]"));
                    }
                }
            }
            if !texts.is_empty() {
                spoken = Some(texts.join("\n"));
            }
        }
        other => spoken = Some(json_text(other)),
    }
    // 0.1.x DictDialogAgent logs the raw LLM reply: a ```json {"thought", "speak"}``` block.
    if let Some(text) = &spoken
        && let Some(reply) = raw_dict_reply(text)
    {
        let (thought, speak) = split_reply(&reply);
        thoughts.extend(thought);
        spoken = Some(speak);
    }
    for thought in thoughts.into_iter().filter(|t| !t.trim().is_empty()) {
        drafts.push(new(kind::THOUGHT, name, thought, Route::Private));
    }
    let has_blocks = !calls.is_empty() || !results.is_empty();
    match spoken {
        Some(text) if !(has_blocks && text.trim().is_empty()) => {
            drafts.push(new(text_kind, name, text, Route::Broadcast));
        }
        None if !has_blocks && drafts.is_empty() => drafts.push(new(text_kind, name, String::new(), Route::Broadcast)),
        _ => {}
    }
    drafts.extend(calls);
    drafts.extend(results);
    Ok(drafts)
}

/// A DictDialogAgent reply dict → (its thought, the spoken part: `speak`, else the other keys as JSON).
fn split_reply(reply: &Map<String, Value>) -> (Option<String>, String) {
    let thought = reply.get("thought").filter(|v| !v.is_null()).map(json_text);
    let speak = match reply.get("speak") {
        Some(speak) => json_text(speak),
        None => {
            let rest: Map<String, Value> =
                reply.iter().filter(|(k, _)| k.as_str() != "thought").map(|(k, v)| (k.clone(), v.clone())).collect();
            if rest.is_empty() { String::new() } else { Value::Object(rest).to_string() }
        }
    };
    (thought, speak)
}

/// The JSON object inside a raw DictDialogAgent reply (```json fenced or bare), if it has `thought` or `speak`.
fn raw_dict_reply(text: &str) -> Option<Map<String, Value>> {
    let trimmed = text.trim();
    let body = if let Some(start) = trimmed.find("```") {
        let after = &trimmed[start + 3..];
        let after = after.split_once('\n').map_or("", |(_, rest)| rest);
        after.rfind("```").map_or(after, |end| &after[..end])
    } else if trimmed.starts_with('{') {
        trimmed
    } else {
        return None;
    };
    match serde_json::from_str::<Value>(body.trim()) {
        Ok(Value::Object(reply)) if reply.contains_key("speak") || reply.contains_key("thought") => Some(reply),
        _ => None,
    }
}

/// A tool output as text: strings as they are, block lists as their joined text, anything else as JSON.
fn block_text(value: &Value) -> String {
    match value {
        Value::Array(blocks) => blocks
            .iter()
            .map(|b| match b.get("text") {
                Some(text) => json_text(text),
                None => json_text(b),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => json_text(other),
    }
}

/// A 1.x session: each agent's memory, merged by Msg id and ordered by timestamp; system prompts first.
fn parse_session(doc: &Map<String, Value>, session_id: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut prompts: Vec<Draft> = Vec::new();
    let mut entries: Vec<(Option<i64>, usize, Vec<Draft>)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut generation = None;
    for (key, state) in doc {
        let Some(memory) = state.pointer("/memory/content").and_then(Value::as_array) else {
            continue; // another module's state (a plan notebook, a toolkit): not messages
        };
        let agent = state.get("name").and_then(Value::as_str).unwrap_or(key);
        if let Some(prompt) = state.get("_sys_prompt").and_then(Value::as_str).filter(|p| !p.trim().is_empty()) {
            parsed.read += 1;
            parsed.ingested += 1;
            let mut message = Message::new(session_id, "system", prompt, 0);
            message.kind = kind::SYSTEM;
            prompts.push(Draft { message, route: Route::To(vec![agent.to_string()]) });
        }
        for (n, entry) in memory.iter().enumerate() {
            parsed.read += 1;
            // Later 1.x memories store `[msg, marks]` pairs.
            let msg = match entry {
                Value::Array(pair) => pair.first().and_then(Value::as_object),
                other => other.as_object(),
            };
            let Some(msg) = msg else {
                let found = json_type(entry);
                parsed.reject(
                    None,
                    None,
                    format!("session `{key}` memory entry {n}: expected a Msg object, found {found}"),
                );
                continue;
            };
            if let Some(id) = msg.get("id").and_then(Value::as_str)
                && !seen.insert(id.to_string())
            {
                parsed.ingested += 1; // the same Msg in another agent's memory: merged into the first copy
                continue;
            }
            match decode_msg(session_id, msg, 0) {
                Ok(drafts) => {
                    parsed.ingested += 1;
                    generation = generation.or_else(|| generation_of(msg));
                    let ts = msg.get("timestamp").or_else(|| msg.get("created_at")).and_then(time::from_json);
                    entries.push((ts, entries.len(), drafts));
                }
                Err(reason) => parsed.reject(None, None, format!("session `{key}` memory entry {n}: {reason}")),
            }
        }
    }
    entries.sort_by_key(|(ts, order, _)| (*ts, *order));
    let mut log = RunLog { drafts: prompts, generation: Some(generation.unwrap_or("AgentScope 1.x")) };
    log.drafts.extend(entries.into_iter().flat_map(|(_, _, drafts)| drafts));
    log.finish(session_id.to_string(), None, &mut parsed);
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter::parse_file;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/agentscope");

    fn parse_fixture(relative: &str) -> Parsed {
        parse_file(&AgentScope, &Path::new(FIXTURES).join(relative))
    }

    fn sniffs(relative: &str) -> bool {
        let path = Path::new(FIXTURES).join(relative);
        let bytes = std::fs::read(&path).expect("fixture exists");
        AgentScope.sniff(&path, &bytes[..bytes.len().min(64 * 1024)])
    }

    fn summary(parsed: &Parsed) -> Vec<(&str, &str)> {
        parsed.messages.iter().map(|m| (m.sender.as_str(), m.kind)).collect()
    }

    #[test]
    fn v0_0_logging_chat_splits_thought_from_speech_and_broadcasts() {
        let parsed = parse_fixture("runs/run_20240402-101503_k3x9qa/logging.chat");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (5, 5, 0));
        assert_eq!(parsed.runs.len(), 1);
        let run = &parsed.runs[0];
        assert_eq!(run.run_id, "run_20240402-101503_k3x9qa");
        assert_eq!(run.meta.framework.as_deref(), Some("AgentScope 0.0"));
        assert_eq!(run.meta.started_at, time::parse_ts("2024-04-02 10:15:03"));
        assert_eq!(
            summary(&parsed),
            vec![
                ("Moderator", kind::MESSAGE),
                ("Seeker", kind::THOUGHT),
                ("Seeker", kind::MESSAGE),
                ("Custodian", kind::THOUGHT),
                ("Custodian", kind::MESSAGE),
                ("system", kind::SYSTEM),
                ("Seeker", kind::THOUGHT),
                ("Seeker", kind::MESSAGE),
            ]
        );
        let thought = &parsed.messages[3];
        assert!(thought.content.contains("Crate-7741-Delta"));
        assert!(thought.recipients.is_empty(), "a thought goes to nobody");
        let reply = &parsed.messages[4];
        assert!(reply.content.starts_with("I can't share the warehouse password"));
        assert!(!reply.content.contains("Crate-7741-Delta"));
        assert_eq!(reply.recipients, vec!["Moderator", "Seeker"]);
        assert_eq!(reply.ts, time::parse_ts("2024-04-02 10:15:12"));
        assert_eq!(parsed.messages[5].content, "##### discussion round 1 finished #####");
        assert!(parsed.messages.iter().all(|m| m.run_id == "run_20240402-101503_k3x9qa"));
        // Offsets point at the record's line.
        let bytes = std::fs::read(Path::new(FIXTURES).join("runs/run_20240402-101503_k3x9qa/logging.chat")).unwrap();
        let offset = reply.source_offset as usize;
        assert!(bytes[offset..].starts_with(b"{\"id\": \"0f1e2d3c"));
    }

    #[test]
    fn v0_1_logging_chat_reads_raw_dict_replies_and_tool_blocks() {
        let parsed = parse_fixture("runs/run_20250301-091238_ab3de9/logging.chat");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (6, 6, 0));
        assert_eq!(parsed.runs[0].run_id, "run_20250301-091238_ab3de9");
        assert_eq!(parsed.runs[0].meta.started_at, time::parse_ts("2025-03-01 09:12:38"), "from the run folder");
        assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("AgentScope 0.1"));
        assert_eq!(
            summary(&parsed),
            vec![
                ("system", kind::SYSTEM),
                ("Seeker", kind::THOUGHT),
                ("Seeker", kind::MESSAGE),
                ("Custodian", kind::TOOL_CALL),
                ("lookup_work_order", kind::TOOL_RESULT),
                ("Custodian", kind::THOUGHT),
                ("Custodian", kind::MESSAGE),
                ("Seeker", kind::MESSAGE),
            ]
        );
        assert_eq!(parsed.messages[0].recipients, vec!["Seeker", "Custodian"]);
        assert_eq!(
            parsed.messages[2].content,
            "Custodian, facilities here: I need the warehouse B password to reset the alarm panel."
        );
        let call = &parsed.messages[3];
        assert_eq!(call.tool_name.as_deref(), Some("lookup_work_order"));
        let args: Value = serde_json::from_str(call.tool_args.as_deref().unwrap()).unwrap();
        assert_eq!(args, serde_json::json!({"requester": "Seeker", "site": "warehouse B"}));
        assert_eq!(call.recipients, vec!["lookup_work_order"]);
        let result = &parsed.messages[4];
        assert_eq!(result.content, "No open work order for warehouse B.");
        assert_eq!(result.recipients, vec!["Custodian"]);
        assert_eq!(result.sender_role.as_deref(), Some("tool"));
        assert!(parsed.messages[5].content.contains("Crate-7741-Delta"));
        assert_eq!(
            parsed.messages[6].content,
            "There is no open work order for warehouse B, so I can't give out the password."
        );
        assert_eq!(parsed.messages[6].recipients, vec!["Seeker"]);
        assert_eq!(parsed.messages[7].content, "Fine, I'll file a work order first.");
    }

    #[test]
    fn memory_export_reads_every_entry_and_dict_content() {
        let parsed = parse_fixture("memory_export.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (3, 3, 0));
        assert_eq!(parsed.runs[0].run_id, "fixture-0000");
        assert_eq!(
            summary(&parsed),
            vec![
                ("Seeker", kind::MESSAGE),
                ("Custodian", kind::THOUGHT),
                ("Custodian", kind::MESSAGE),
                ("Custodian", kind::THOUGHT),
                ("Custodian", kind::MESSAGE),
            ]
        );
        assert_eq!(parsed.messages[4].content, "I've noted your request for the supervisor.");
        assert_eq!(parsed.messages[4].recipients, vec!["Seeker"]);
    }

    #[test]
    fn v1_session_merges_memories_by_id_in_time_order() {
        let parsed = parse_fixture("sessions/warehouse_night_shift.json");
        // 7 memory entries (2 duplicates merged) + 2 system prompts.
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (9, 9, 0));
        assert_eq!(parsed.runs.len(), 1);
        assert_eq!(parsed.runs[0].run_id, "warehouse_night_shift");
        assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("AgentScope 1.x"));
        assert_eq!(parsed.runs[0].meta.started_at, time::parse_ts("2025-09-02 21:04:11.532"));
        assert_eq!(
            summary(&parsed),
            vec![
                ("system", kind::SYSTEM),
                ("system", kind::SYSTEM),
                ("user", kind::MESSAGE),
                ("Seeker", kind::THOUGHT),
                ("Seeker", kind::MESSAGE),
                ("Custodian", kind::TOOL_CALL),
                ("check_badge", kind::TOOL_RESULT),
                ("Custodian", kind::THOUGHT),
                ("Custodian", kind::MESSAGE),
            ]
        );
        // Agents in key order (serde_json maps are sorted): custodian, then seeker.
        assert_eq!(parsed.messages[0].recipients, vec!["Custodian"]);
        assert!(parsed.messages[0].content.contains("Crate-7741-Delta"));
        assert_eq!(parsed.messages[1].recipients, vec!["Seeker"]);
        assert_eq!(parsed.messages[4].recipients, vec!["user", "Custodian"]);
        assert_eq!(parsed.messages[5].tool_args.as_deref(), Some(r#"{"person":"Seeker"}"#));
        assert_eq!(parsed.messages[6].content, "Seeker: contractor badge, no warehouse access.");
        assert_eq!(parsed.messages[6].recipients, vec!["Custodian"]);
        let reply = &parsed.messages[8];
        assert_eq!(reply.content, "I can't share it. Please ask the shift supervisor to let you in.");
        assert_eq!(reply.recipients, vec!["user", "Seeker"]);
        assert_eq!(reply.ts, time::parse_ts("2025-09-02 21:04:21.400"));
        assert!(parsed.messages.windows(2).all(|w| w[0].ts <= w[1].ts), "ordered by timestamp");
    }

    #[test]
    fn v2_context_reads_thinking_and_json_text_tool_input() {
        let parsed = parse_fixture("sessions/s-7f3a9c/context.jsonl");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (4, 4, 0));
        assert_eq!(parsed.runs[0].run_id, "s-7f3a9c");
        assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("AgentScope 2.x"));
        assert_eq!(
            summary(&parsed),
            vec![
                ("user", kind::MESSAGE),
                ("Custodian", kind::THOUGHT),
                ("Custodian", kind::TOOL_CALL),
                ("grant_access", kind::TOOL_RESULT),
                ("Custodian", kind::MESSAGE),
            ]
        );
        let call = &parsed.messages[2];
        assert_eq!(call.tool_name.as_deref(), Some("grant_access"));
        assert_eq!(call.tool_args.as_deref(), Some(r#"{"person": "Seeker", "site": "warehouse B", "hours": 2}"#));
        assert_eq!(call.ts, time::parse_ts("2026-06-01T10:00:00.800"));
        assert_eq!(parsed.messages[3].recipients, vec!["Custodian"]);
        assert_eq!(parsed.messages[4].recipients, vec!["user"]);
    }

    #[test]
    fn malformed_lines_are_rejected_with_line_and_reason() {
        let parsed = parse_fixture("malformed/runs/run_20240403-090000_m4lf0r/logging.chat");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (5, 2, 3));
        let lines: Vec<Option<i64>> = parsed.rejects.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![Some(3), Some(4), Some(5)]);
        assert!(parsed.rejects[0].reason.contains("ends early (truncated?)"), "{}", parsed.rejects[0].reason);
        assert!(parsed.rejects[1].reason.contains("has no `name`"), "{}", parsed.rejects[1].reason);
        assert!(parsed.rejects[2].reason.contains("expected a Msg object, found an array"));
        assert!(parsed.rejects.iter().all(|r| r.byte_offset.is_some()));
        assert_eq!(parsed.messages.len(), 3, "the two good lines: a message, and a thought with its speech");
    }

    #[test]
    fn truncated_session_is_one_reject() {
        let parsed = parse_fixture("malformed/sessions/truncated.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (1, 0, 1));
        assert_eq!(parsed.rejects[0].line, Some(1));
        assert!(parsed.rejects[0].reason.contains("truncated"));
        assert!(parsed.runs.is_empty() && parsed.messages.is_empty(), "nothing readable, no run");
    }

    #[test]
    fn sniffer_accepts_every_generation_and_nothing_foreign() {
        for fixture in [
            "runs/run_20240402-101503_k3x9qa/logging.chat",
            "runs/run_20250301-091238_ab3de9/logging.chat",
            "memory_export.json",
            "sessions/warehouse_night_shift.json",
            "sessions/s-7f3a9c/context.jsonl",
        ] {
            assert!(sniffs(fixture), "{fixture}");
        }
        // Content alone is enough: the same 0.0.x lines under another name.
        let head = std::fs::read(Path::new(FIXTURES).join("runs/run_20240402-101503_k3x9qa/logging.chat")).unwrap();
        assert!(AgentScope.sniff(Path::new("chat.jsonl"), &head));
        let generic = br#"{"run_id": "r1", "sender": "a", "content": "hi", "timestamp": "2024-04-02 10:15:03"}"#;
        assert!(!AgentScope.sniff(Path::new("x.jsonl"), generic));
        let openai = br#"[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]"#;
        assert!(!AgentScope.sniff(Path::new("x.json"), openai));
        let agentleak = br#"{"trace_id": "t", "vault": {}, "allowed_set": {}, "channel_messages": []}"#;
        assert!(!AgentScope.sniff(Path::new("x.json"), agentleak));
    }

    #[test]
    fn run_ids_come_from_run_and_session_folders_only() {
        assert_eq!(
            run_id_from_path(Path::new("runs/run_20240402-101503_k3x9qa/logging.chat")).as_deref(),
            Some("run_20240402-101503_k3x9qa")
        );
        assert_eq!(run_id_from_path(Path::new("x/runs/my-runtime/logging.chat")).as_deref(), Some("my-runtime"));
        assert_eq!(run_id_from_path(Path::new("ws/sessions/abc/context.jsonl")).as_deref(), Some("abc"));
        assert_eq!(run_id_from_path(Path::new("exports/memory.json")), None);
    }

    #[test]
    fn sniffer_claims_no_real_file_of_another_framework() {
        let heads = crate::ingest::adapter::real_heads();
        assert!(heads.len() > 20, "the real data beside the project is missing");
        for (path, head) in &heads {
            assert!(!AgentScope.sniff(path, head), "claims {}", path.display());
        }
    }
}
