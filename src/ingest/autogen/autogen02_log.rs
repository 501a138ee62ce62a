//! AutoGen 0.2 / AG2 runtime logs written by `autogen.runtime_logging` with the file logger (`runtime.log`). The
//! conversation model it shares with the SQLite logger ([`super::autogen02_sqlite`]) is in
//! [`crate::ingest::common::autogen`].
//!
//! The file logger writes a plain-text line `Started new session with Session ID: <uuid>` each time logging
//! starts (sessions are appended to one file), then one JSON object per line: agent events (`event_name`,
//! `source_name`, and `json_state`, a JSON document encoded as a string), LLM calls (`invocation_id`, `request`
//! with the model, `response`), function uses (`input_args`, `returns`) and agent/wrapper/client registrations.
//! Each session is a run; a record belongs to the session whose header precedes it, so the file is parsed whole.
//!
//! Messages come from `received_message` events: `json_state.sender` sent `json_state.message` to the agent
//! `source_name`. The OpenAI-style message becomes a message, one `tool_call` per `tool_calls` entry, or one
//! `tool_result` per `tool_responses` entry. In a group chat the manager relays each message to every other member
//! (the relay keeps the speaker's `name`): a relay adds its receiver to the speaker's message instead of making a
//! message of the manager's. An LLM call sets `model` on the calling agent's next message and names the run's
//! backend. A function use (which records no function name) is matched to the tool call it executes. Reply-function
//! traces and registrations carry no message and are counted as ingested; a line that is neither the session
//! header nor a logger record is rejected with its line number.

use std::path::Path;

use serde_json::Value;

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::autogen::{Conversation, LogRecord, config_model};
use crate::ingest::common::sniff;
use crate::ingest::common::{for_each_line, json_error, json_text, time};
use crate::ingest::record::Parsed;

pub struct Autogen02Log;

/// The text the file logger writes when a logging session starts.
const SESSION_HEADER: &str = "Started new session with Session ID:";

impl Adapter for Autogen02Log {
    fn format(&self) -> Format {
        Format::Autogen02Log
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        if text.starts_with(SESSION_HEADER) {
            return true;
        }
        let first = text.lines().next().unwrap_or("");
        let has = |keys: &[&str]| keys.iter().all(|k| first.contains(&format!("\"{k}\"")));
        first.starts_with('{')
            && (has(&["source_id", "source_name", "event_name", "json_state"])
                || has(&["invocation_id", "client_id", "wrapper_id", "request", "response"])
                || has(&["source_id", "source_name", "input_args", "returns"]))
    }

    fn parse(&self, input: &Input) -> Parsed {
        let mut parsed = Parsed::default();
        let mut session: Option<Conversation> = None;
        for_each_line(input, |line_no, offset, line| {
            parsed.read += 1;
            let text = String::from_utf8_lossy(line);
            let trimmed = text.trim();
            if let Some(id) = trimmed.strip_prefix(SESSION_HEADER) {
                let id = id.trim();
                if id.is_empty() {
                    parsed.reject(Some(line_no), Some(offset), "the session header names no session id");
                    return;
                }
                if let Some(done) = session.take() {
                    parsed.runs.push(done.finish());
                }
                session = Some(Conversation::new(id));
                parsed.ingested += 1;
                return;
            }
            let object = match serde_json::from_str::<Value>(trimmed) {
                Ok(Value::Object(object)) => object,
                Ok(_) => {
                    parsed.reject(Some(line_no), Some(offset), "expected a logger record (a JSON object)");
                    return;
                }
                Err(_) if trimmed.starts_with("[file_logger]") => {
                    let reason = format!("the file logger wrote an error here instead of a record: {trimmed}");
                    parsed.reject(Some(line_no), Some(offset), reason);
                    return;
                }
                Err(e) => {
                    parsed.reject(Some(line_no), Some(offset), json_error("line", &e));
                    return;
                }
            };
            let conversation = session.get_or_insert_with(|| Conversation::new(input.default_run_id));
            let outcome = file_record(&object).and_then(|record| conversation.add(record, offset, &mut parsed));
            match outcome {
                Ok(()) => parsed.ingested += 1,
                Err(reason) => parsed.reject(Some(line_no), Some(offset), reason),
            }
        });
        if let Some(done) = session.take() {
            parsed.runs.push(done.finish());
        }
        parsed
    }
}

/// Classify one JSON line of the file log by the keys each `FileLogger.log_*` method writes.
fn file_record(o: &serde_json::Map<String, Value>) -> Result<LogRecord, String> {
    let string = |key: &str| o.get(key).and_then(Value::as_str);
    let ts = |key: &str| o.get(key).and_then(time::from_json);
    if o.contains_key("event_name") {
        let event_name = string("event_name").ok_or("agent event: `event_name` is not a string")?;
        let source_name = o.get("source_name").map(json_text).unwrap_or_default();
        let json_state = match o.get("json_state") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => return Err(format!("agent event `{event_name}` has no `json_state`")),
        };
        return Ok(LogRecord::Event {
            source_name,
            event_name: event_name.to_string(),
            json_state,
            ts: ts("timestamp"),
        });
    }
    if o.contains_key("invocation_id") && o.contains_key("request") {
        let request = o.get("request");
        let model = request
            .and_then(|r| r.get("model"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| string("response").and_then(model_in_response_text));
        return Ok(LogRecord::LlmCall {
            source_name: string("source_name").map(str::to_string),
            model,
            ts: ts("end_time").or_else(|| ts("start_time")),
        });
    }
    if o.contains_key("input_args") || o.contains_key("returns") {
        let source_name = string("source_name").ok_or("function use: `source_name` is not a string")?;
        return Ok(LogRecord::FunctionUse {
            source_name: source_name.to_string(),
            function_name: None,
            args: o.get("input_args").map(json_text).unwrap_or_default(),
            returns: o.get("returns").map(json_text).unwrap_or_default(),
            ts: ts("timestamp"),
        });
    }
    if o.contains_key("session_id") && (o.contains_key("agent_name") || o.contains_key("wrapper_id")) {
        let model =
            string("json_state").and_then(|s| serde_json::from_str::<Value>(s).ok()).and_then(|v| config_model(&v));
        return Ok(LogRecord::Registration { model, ts: ts("timestamp").or_else(|| ts("current_time")) });
    }
    let keys: Vec<&str> = o.keys().map(String::as_str).take(6).collect();
    Err(format!(
        "not a record the AutoGen file logger writes (keys: {}); expected an agent event, LLM call, function use \
         or registration",
        keys.join(", ")
    ))
}

/// The model named in `str(ChatCompletion)` (`model='gpt-4o-2024-08-06'`).
fn model_in_response_text(response: &str) -> Option<String> {
    let start = response.find("model='")? + "model='".len();
    let end = response[start..].find('\'')?;
    let model = &response[start..start + end];
    (!model.is_empty()).then(|| model.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter;
    use crate::ingest::adapter::assert_accounted;
    use crate::ingest::record::Message;
    use crate::schema::kind;

    const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata/autogen02/phenoassistant_runtime.log");
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/autogen02_log");

    fn parse_bytes(name: &str, bytes: &[u8]) -> Parsed {
        crate::ingest::adapter::parse_bytes(&Autogen02Log, Path::new(name), bytes, "default-run")
    }

    fn parse_file(path: &str) -> Parsed {
        adapter::parse_file(&Autogen02Log, Path::new(path))
    }

    #[test]
    fn real_phenoassistant_log_ingests_every_line() {
        let parsed = parse_file(REAL);
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        // 106 lines: the session header and 105 logger records.
        assert_eq!(parsed.read, 106);
        assert_eq!(parsed.runs.len(), 1);
        let run = &parsed.runs[0];
        assert_eq!(run.run_id, "531d602b-a772-44c6-a7bd-3bbba50515f2");
        assert_eq!(run.meta.framework.as_deref(), Some("AutoGen 0.2"));
        assert_eq!(run.meta.backend.as_deref(), Some("gpt-4o-new"));
        assert_eq!(run.meta.started_at, time::parse_ts("2025-04-07 16:34:30.677961"));

        let by_kind = |k: &str| parsed.messages.iter().filter(|m| m.kind == k).count();
        // 20 received_message events; 4 of them carry tool calls (one per call, one with text too) and 4 carry
        // tool responses.
        assert_eq!(by_kind(kind::TOOL_CALL), 4);
        assert_eq!(by_kind(kind::TOOL_RESULT), 4);
        assert_eq!(by_kind(kind::MESSAGE), 14);
        assert_eq!(parsed.messages.len(), 22);
        assert!(parsed.messages.iter().all(|m| m.run_id == run.run_id && m.ts.is_some()));

        let first = &parsed.messages[0];
        assert_eq!((first.sender.as_str(), first.recipients.as_slice()), ("Admin", &["manager".to_string()][..]));
        assert!(first.content.contains("24 Arabidopsis plants"));
        assert_eq!(first.ts, time::parse_ts("2025-04-07 16:34:30.677961"));
        assert_eq!(first.model, None);

        // The manager's first reply: its plan, then the tool call, both from the gpt-4o-new call before it.
        let plan = &parsed.messages[1];
        assert_eq!((plan.sender.as_str(), plan.kind), ("manager", kind::MESSAGE));
        assert_eq!(plan.recipients, vec!["Admin".to_string()]);
        assert_eq!(plan.model.as_deref(), Some("gpt-4o-new"));
        let call = &parsed.messages[2];
        assert_eq!((call.sender.as_str(), call.kind), ("manager", kind::TOOL_CALL));
        assert_eq!(call.recipients, vec!["Admin".to_string()]);
        assert_eq!(call.model.as_deref(), Some("gpt-4o-new"));

        let calls: Vec<&Message> = parsed.messages.iter().filter(|m| m.kind == kind::TOOL_CALL).collect();
        let phenotypes = calls.iter().find(|m| m.tool_name.as_deref() == Some("compute_phenotypes_from_ins_seg"));
        let phenotypes = phenotypes.expect("the phenotype tool call");
        let args: Value = serde_json::from_str(phenotypes.tool_args.as_deref().unwrap()).unwrap();
        assert_eq!(args["pixel_to_cm"], 0.03);
        assert_eq!(args["save_path"], "./results/Case1/phenotypes.csv");

        // Tool results go from the executing Admin back to the manager and carry the function name by call id.
        let results: Vec<&Message> = parsed.messages.iter().filter(|m| m.kind == kind::TOOL_RESULT).collect();
        assert!(results.iter().all(|m| m.sender == "Admin" && m.recipients == vec!["manager".to_string()]));
        assert_eq!(results[2].tool_name.as_deref(), Some("compute_phenotypes_from_ins_seg"));
        assert!(results[1].content.contains("ins_seg_results.json"));

        // The nested chat: code_executor hands the task to code_writer, which ends with TERMINATE.
        let terminate = parsed.messages.iter().find(|m| m.content == "TERMINATE").unwrap();
        assert_eq!(terminate.sender, "code_writer");
        assert_eq!(terminate.recipients, vec!["code_executor".to_string()]);
        // The function-use records match their tool calls: no extra tool messages from them.
        assert!(parsed.messages.iter().all(|m| m.sender != "function"));
    }

    #[test]
    fn appended_sessions_become_runs_and_registrations_count() {
        let parsed = parse_file(&format!("{FIXTURES}/two_sessions.log"));
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(parsed.read, 15);
        let runs: Vec<&str> = parsed.runs.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(runs, ["0b6c1a7e-1111-4f00-9a00-000000000001", "0b6c1a7e-2222-4f00-9a00-000000000002"]);
        // The first session names its model in an LLM call; the second only in its wrapper configuration.
        assert_eq!(parsed.runs[0].meta.backend.as_deref(), Some("deepseek-chat"));
        assert_eq!(parsed.runs[1].meta.backend.as_deref(), Some("qwen-max"));

        let first: Vec<&Message> = parsed.messages.iter().filter(|m| m.run_id == runs[0]).collect();
        assert_eq!(first.len(), 4);
        assert_eq!(first[0].sender, "Seeker");
        assert_eq!(first[0].recipients, vec!["Custodian".to_string()]);
        assert_eq!(first[1].kind, kind::TOOL_CALL);
        assert_eq!(first[1].tool_name.as_deref(), Some("change_password"));
        assert_eq!(first[1].tool_args.as_deref(), Some("{\"warehouse\": \"A\", \"new_password\": \"0107\"}"));
        assert_eq!(first[1].model.as_deref(), Some("deepseek-chat"));
        assert_eq!(first[2].kind, kind::TOOL_RESULT);
        assert_eq!(first[2].tool_name.as_deref(), Some("change_password"));
        assert_eq!(first[2].content, "done");

        // A function the agent ran with no tool call before it: a call and a result of its own.
        let second: Vec<&Message> = parsed.messages.iter().filter(|m| m.run_id == runs[1]).collect();
        assert_eq!(second.len(), 3);
        assert_eq!(second[1].kind, kind::TOOL_CALL);
        assert_eq!((second[1].sender.as_str(), second[1].tool_name.as_deref()), ("Custodian", Some("function")));
        assert_eq!(second[2].kind, kind::TOOL_RESULT);
        assert_eq!(second[2].recipients, vec!["Custodian".to_string()]);
        assert_eq!(second[2].content, "vault opened");
    }

    #[test]
    fn group_chat_relays_fold_into_the_speakers_message() {
        let parsed = parse_file(&format!("{FIXTURES}/group_chat.log"));
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(parsed.read, 14);
        let shape: Vec<(&str, &str, Vec<&str>)> = parsed
            .messages
            .iter()
            .map(|m| (m.sender.as_str(), m.kind, m.recipients.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            shape,
            [
                ("Boss", kind::MESSAGE, vec!["chat_manager", "Custodian", "Seeker"]),
                ("Custodian", kind::MESSAGE, vec!["chat_manager", "Boss", "Seeker"]),
                ("Custodian", kind::TOOL_CALL, vec!["chat_manager", "Boss", "Seeker"]),
                ("Boss", kind::TOOL_RESULT, vec!["chat_manager", "Custodian", "Seeker"]),
                ("Seeker", kind::MESSAGE, vec!["chat_manager"]),
                ("chat_manager", kind::MESSAGE, vec!["Custodian"]),
            ]
        );
        assert_eq!(parsed.messages[2].model.as_deref(), Some("gpt-4o"));
        assert_eq!(parsed.messages[3].tool_name.as_deref(), Some("set_code"));
        assert_eq!(parsed.messages[5].content, "Thanks, what is it?");
    }

    #[test]
    fn malformed_lines_are_rejected_with_line_and_reason() {
        let parsed = parse_file(&format!("{FIXTURES}/malformed.log"));
        let reasons: Vec<(Option<i64>, &str)> = parsed.rejects.iter().map(|r| (r.line, r.reason.as_str())).collect();
        assert_eq!(reasons.len(), 6, "{reasons:?}");
        assert_eq!(reasons[0].0, Some(3));
        assert!(reasons[0].1.contains("ends early"), "{}", reasons[0].1);
        assert_eq!(reasons[1].0, Some(4));
        assert!(reasons[1].1.contains("`json_state`") && reasons[1].1.contains("not valid JSON"), "{}", reasons[1].1);
        assert_eq!(reasons[2].0, Some(5));
        assert!(reasons[2].1.contains("no string `sender`"), "{}", reasons[2].1);
        assert_eq!(reasons[3].0, Some(6));
        assert!(reasons[3].1.contains("expected a logger record"), "{}", reasons[3].1);
        assert_eq!(reasons[4].0, Some(7));
        assert!(reasons[4].1.contains("file logger wrote an error"), "{}", reasons[4].1);
        assert_eq!(reasons[5].0, Some(8));
        assert!(reasons[5].1.contains("not a record the AutoGen file logger writes"), "{}", reasons[5].1);
        // The good lines around them still make their messages.
        assert_eq!(parsed.messages.len(), 2);
        assert_eq!(parsed.ingested, 3);
    }

    #[test]
    fn records_before_any_session_header_use_the_default_run() {
        let line = r#"{"source_id": 1, "source_name": "B", "event_name": "received_message", "json_state": "{\"message\": \"hi\", \"sender\": \"A\", \"valid\": true}", "timestamp": "2025-01-15 10:00:00.000000", "thread_id": 1}"#;
        let parsed = parse_bytes("chunk.log", line.as_bytes());
        assert_accounted(&parsed, "parsed");
        assert_eq!(parsed.runs.len(), 1);
        assert_eq!(parsed.runs[0].run_id, "default-run");
        assert_eq!(parsed.messages[0].ts, Some(1_736_935_200_000_000));
    }

    #[test]
    fn sniffs_the_header_and_logger_records_only() {
        let head = std::fs::read(REAL).unwrap();
        assert!(Autogen02Log.sniff(Path::new("runtime.log"), &head[..4096]));
        let event = br#"{"source_id": 1, "source_name": "B", "event_name": "received_message", "json_state": "{}"}"#;
        assert!(Autogen02Log.sniff(Path::new("x.log"), event));
        assert!(!Autogen02Log.sniff(Path::new("x.jsonl"), br#"{"run_id": "r", "sender": "a", "content": "b"}"#));
        assert!(!Autogen02Log.sniff(Path::new("x.log"), b"2025-01-01 INFO started"));
    }
}
