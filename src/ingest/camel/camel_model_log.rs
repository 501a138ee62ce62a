//! CAMEL model-call logs (`CAMEL_MODEL_LOG_ENABLED=true`): one JSON file per model call, written by
//! `BaseModelBackend._log_request`/`_log_response` to `camel_logs/<agent_id>/conv_<timestamp>.json`.
//!
//! A file is `{request_timestamp, model, agent_id, request: {messages: [OpenAI chat messages], model_config_dict},
//! response_timestamp, response: <ChatCompletion dict>}`. It records one ChatAgent talking to its user, so the run is
//! the agent (`agent_id`, else the `<agent_id>` folder the file sits in, else the file) and recipients are derived
//! for a two-party exchange: user → assistant, assistant → user, tool results → assistant, tool calls → the tool.
//!
//! Each call re-sends the conversation so far. The prompt messages up to and including the last assistant turn are
//! that replayed history: the earlier call of the same agent that produced it logged them as new, so they are read
//! and counted as ingested (consumed) but not emitted again; a folder of calls thus yields the conversation once. The
//! messages after the last assistant turn (the new user turn or tool results) and the response's message are emitted.
//! A system prompt given in `model_config_dict.system` (Anthropic-style configs) is emitted once, with the first
//! call (the one whose prompt holds no assistant turn). Assistant text that comes with tool calls is a THOUGHT: the
//! ChatAgent runs the tools and asks the model again, so that text never reaches the user; so is `reasoning_content`.
//! Records: each prompt message, the response, and an emitted config system prompt. Timestamps are the logging
//! machine's local time without a zone (`datetime.now().isoformat()`), read as UTC.

use std::path::Path;

use serde_json::Value;

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::openai_chat::{ASSISTANT, USER, call_message, content_text, tool_calls, tool_result};
use crate::ingest::common::sniff;
use crate::ingest::common::{json_error, json_spans, time};
use crate::ingest::record::{Message, Parsed, RunInfo, RunMeta};
use crate::schema::kind;

pub struct CamelModelLog;

impl Adapter for CamelModelLog {
    fn format(&self) -> Format {
        Format::CamelModelLog
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        sniff::text(head).starts_with('{')
            && sniff::has_all(head, &["\"request_timestamp\"", "\"request\"", "\"messages\""])
    }

    fn parse(&self, input: &Input) -> Parsed {
        let doc: Value = match serde_json::from_slice(input.bytes) {
            Ok(doc) => doc,
            Err(e) => {
                return Parsed::rejected(json_error("CAMEL model-call log", &e), Some(e.line() as i64), None);
            }
        };
        let Some(prompt) = doc.pointer("/request/messages").and_then(Value::as_array) else {
            return Parsed::rejected("CAMEL model-call log has no `request.messages` list", None, Some(0));
        };
        let run_id = run_id(&doc, input.path, input.default_run_id);
        let model = doc.get("model").and_then(Value::as_str).map(str::to_string);
        let request_ts = doc.get("request_timestamp").and_then(time::from_json);
        let response_ts = doc.get("response_timestamp").and_then(time::from_json);
        let offset_of = |start: usize| input.base_offset as usize + start;
        let line_of = |start: usize| input.first_line as i64 - 1 + json_spans::line_at(input.bytes, start);

        let prompt_at = json_spans::member_path(input.bytes, 0, &["request", "messages"])
            .and_then(|at| json_spans::array_elements(input.bytes, at))
            .filter(|s| s.len() == prompt.len());
        let last_assistant = prompt.iter().rposition(|m| role(m) == Some("assistant"));
        let first_call = last_assistant.is_none();
        let mut parsed = Parsed::default();

        // A config-level system prompt, once per conversation.
        let config_system = doc.pointer("/request/model_config_dict/system").and_then(Value::as_str);
        if let Some(system) = config_system.filter(|s| first_call && !s.is_empty())
            && !prompt.iter().any(|m| role(m) == Some("system"))
        {
            parsed.read += 1;
            let start = json_spans::member_path(input.bytes, 0, &["request", "model_config_dict", "system"]);
            let mut message = Message::new(&run_id, "system", system, offset_of(start.unwrap_or(0)));
            message.kind = kind::SYSTEM;
            message.recipients = vec![ASSISTANT.into()];
            message.channel = Some("model_config_dict.system".into());
            message.ts = request_ts;
            parsed.messages.push(message);
            parsed.ingested += 1;
        }

        for (n, entry) in prompt.iter().enumerate() {
            parsed.read += 1;
            let start = prompt_at.as_ref().map_or(0, |s| s[n]);
            let Some(role) = role(entry) else {
                let reason = format!("request.messages[{n}] is not an object with a string `role`");
                parsed.reject(Some(line_of(start)), Some(offset_of(start) as i64), reason);
                continue;
            };
            if last_assistant.is_some_and(|last| n <= last) {
                // Replayed history, emitted by the earlier call that produced it.
                parsed.ingested += 1;
                continue;
            }
            match prompt_message(entry, role, &prompt[..n], &run_id, offset_of(start)) {
                Ok(mut message) => {
                    message.ts = request_ts;
                    parsed.messages.push(message);
                    parsed.ingested += 1;
                }
                Err(reason) => parsed.reject(
                    Some(line_of(start)),
                    Some(offset_of(start) as i64),
                    format!("request.messages[{n}]: {reason}"),
                ),
            }
        }

        match doc.get("response") {
            None | Some(Value::Null) => {}
            Some(response) => {
                parsed.read += 1;
                let start = json_spans::object_member(input.bytes, 0, "response").unwrap_or(0);
                match response_messages(response, model.as_deref(), &run_id, offset_of(start)) {
                    Ok(messages) => {
                        parsed.messages.extend(messages.into_iter().map(|mut m| {
                            m.ts = response_ts;
                            m
                        }));
                        parsed.ingested += 1;
                    }
                    Err(reason) => parsed.reject(
                        Some(line_of(start)),
                        Some(offset_of(start) as i64),
                        format!("response: {reason}"),
                    ),
                }
            }
        }

        parsed.runs.push(RunInfo {
            run_id,
            meta: RunMeta {
                framework: Some(Format::CamelModelLog.framework().into()),
                backend: model,
                started_at: if first_call { request_ts } else { None },
                ..RunMeta::default()
            },
        });
        parsed
    }
}

fn role(message: &Value) -> Option<&str> {
    message.get("role").and_then(Value::as_str)
}

/// The file's `agent_id`; else the `<agent_id>` folder of `camel_logs/<agent_id>/conv_*.json`; else the default.
fn run_id(doc: &Value, path: &Path, default_run_id: &str) -> String {
    if let Some(id) = doc.get("agent_id").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        return id.to_string();
    }
    let parent = path.parent();
    let folder = parent.and_then(Path::file_name).and_then(|f| f.to_str());
    let grandparent = parent.and_then(Path::parent).and_then(Path::file_name).and_then(|f| f.to_str());
    match (folder, grandparent) {
        (Some(agent), Some("camel_logs")) => agent.to_string(),
        _ => default_run_id.to_string(),
    }
}

/// A new prompt message (after the last assistant turn): system, user (or developer) text, or a tool result.
fn prompt_message(
    entry: &Value,
    role: &str,
    earlier: &[Value],
    run_id: &str,
    offset: usize,
) -> Result<Message, String> {
    let content = content_text(entry.get("content"))?;
    let mut message = Message::new(run_id, role, content, offset);
    match role {
        "system" | "developer" => {
            message.kind = kind::SYSTEM;
            message.recipients = vec![ASSISTANT.into()];
        }
        "user" => {
            message.recipients = vec![ASSISTANT.into()];
            message.sender_role = Some("user".into());
        }
        "tool" | "function" => tool_result(&mut message, entry, earlier),
        other => return Err(format!("unexpected role \"{other}\" after the last assistant turn")),
    }
    Ok(message)
}

/// The messages of a ChatCompletion's choices: reasoning and text-with-tool-calls as thoughts, a reply to the user,
/// one TOOL_CALL per requested call.
fn response_messages(
    response: &Value,
    logged_model: Option<&str>,
    run_id: &str,
    offset: usize,
) -> Result<Vec<Message>, String> {
    let choices = match response {
        Value::Object(o) => o.get("choices").and_then(Value::as_array).ok_or("has no `choices` list")?,
        Value::String(text) => {
            let head: String = text.chars().take(80).collect();
            return Err(format!(
                "CAMEL logged the response as text, not as a ChatCompletion (it was not JSON-serializable): {head}"
            ));
        }
        other => return Err(format!("expected a ChatCompletion object, found {other}")),
    };
    let model = response.get("model").and_then(Value::as_str).or(logged_model).map(str::to_string);
    let mut out = Vec::new();
    for (n, choice) in choices.iter().enumerate() {
        let message = choice.get("message").ok_or_else(|| format!("choices[{n}] has no `message`"))?;
        let calls = tool_calls(message).map_err(|e| format!("choices[{n}]: {e}"))?;
        let text = content_text(message.get("content")).map_err(|e| format!("choices[{n}]: {e}"))?;
        let new = |content: String| {
            let mut m = Message::new(run_id, ASSISTANT, content, offset);
            m.model = model.clone();
            m
        };
        if let Some(reasoning) = message.get("reasoning_content").and_then(Value::as_str).filter(|s| !s.is_empty()) {
            let mut thought = new(reasoning.to_string());
            thought.kind = kind::THOUGHT;
            out.push(thought);
        }
        if calls.is_empty() {
            let mut reply = new(text);
            reply.recipients = vec![USER.into()];
            out.push(reply);
            continue;
        }
        if !text.trim().is_empty() {
            let mut thought = new(text);
            thought.kind = kind::THOUGHT;
            out.push(thought);
        }
        for call in calls {
            let mut m = call_message(run_id, call, offset);
            m.model = model.clone();
            out.push(m);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter;
    use std::path::PathBuf;

    const REAL: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata/camel/camel_logs_conv_20260413_012830_655165.json");
    const AGENT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/camel/camel_logs/5c0f6a52-agent");

    fn parse_bytes(path: &str, bytes: &[u8]) -> Parsed {
        let path = PathBuf::from(path);
        crate::ingest::adapter::parse_bytes(&CamelModelLog, &path, bytes, "stem-0000")
    }

    fn parse_file(path: &str) -> Parsed {
        adapter::parse_file(&CamelModelLog, Path::new(path))
    }

    #[test]
    fn real_structured_output_call() {
        let parsed = parse_file(REAL);
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!((parsed.read, parsed.ingested), (3, 3));
        let run = &parsed.runs[0];
        assert_eq!(run.run_id, "d738dd11-9220-47c3-b51a-199caecfaae0");
        assert_eq!(run.meta.backend.as_deref(), Some("anthropic/claude-sonnet-4.5"));
        assert_eq!(run.meta.started_at, time::parse_ts("2026-04-13T01:28:30.655182"));
        let m = &parsed.messages;
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].kind, m[0].sender.as_str()), (kind::SYSTEM, "system"));
        assert!(m[0].content.starts_with("You are a helpful assistant."));
        assert_eq!((m[1].sender.as_str(), m[1].recipients.as_slice()), ("user", &["assistant".to_string()][..]));
        assert!(m[1].content.starts_with("Create a 2-day travel plan"));
        assert_eq!((m[2].sender.as_str(), m[2].recipients.as_slice()), ("assistant", &["user".to_string()][..]));
        assert_eq!(m[2].kind, kind::MESSAGE);
        assert!(m[2].content.contains("\"title\":\"Budget-Friendly 2-Day Kyoto Discovery\""));
        assert_eq!(m[2].ts, time::parse_ts("2026-04-13T01:28:39.922918"));
        assert_eq!(m[2].model.as_deref(), Some("anthropic/claude-sonnet-4.5"));
        let bytes = std::fs::read(REAL).unwrap();
        assert_eq!(bytes[m[1].source_offset as usize], b'{');
        assert!(m.iter().all(|m| m.run_id == run.run_id));
    }

    #[test]
    fn two_calls_of_one_agent_give_the_conversation_once() {
        let first = parse_file(&format!("{AGENT_DIR}/conv_20260413_101500_000001.json"));
        let second = parse_file(&format!("{AGENT_DIR}/conv_20260413_101504_000002.json"));
        for parsed in [&first, &second] {
            assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
            assert_eq!(parsed.read, parsed.ingested);
            assert_eq!(parsed.runs[0].run_id, "5c0f6a52-agent");
        }
        // first call: system + user prompt, then the model asks for a tool (with a remark the user never sees)
        let kinds: Vec<_> = first.messages.iter().map(|m| m.kind).collect();
        assert_eq!(kinds, [kind::SYSTEM, kind::MESSAGE, kind::THOUGHT, kind::TOOL_CALL]);
        let call = &first.messages[3];
        assert_eq!(
            (call.tool_name.as_deref(), call.recipients.as_slice()),
            (Some("lookup_code"), &["lookup_code".into()][..])
        );
        assert_eq!(call.tool_args.as_deref(), Some("{\"site\": \"warehouse B\"}"));
        assert!(first.messages[2].recipients.is_empty());
        // second call replays system, user and the tool call: only the tool result and the reply are new
        assert_eq!(second.read, 5);
        let m = &second.messages;
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].kind, m[0].sender.as_str(), m[0].tool_name.as_deref()),
            (kind::TOOL_RESULT, "lookup_code", Some("lookup_code"))
        );
        assert_eq!(m[0].recipients, ["assistant"]);
        assert_eq!((m[1].kind, m[1].recipients.as_slice()), (kind::MESSAGE, &["user".to_string()][..]));
        assert_eq!(m[1].content, "Warehouse B opens with code 0107.");
        assert_eq!(first.runs[0].meta.started_at, time::parse_ts("2026-04-13T10:15:00.000001"));
        assert_eq!(second.runs[0].meta.started_at, None);
    }

    #[test]
    fn folder_names_the_run_when_the_file_does_not() {
        let doc = br#"{"request_timestamp": "2025-07-01T10:00:00", "model": "gpt-4o-mini",
            "request": {"messages": [{"role": "user", "content": "hi"}]}}"#;
        let parsed = parse_bytes("/x/camel_logs/agent-42/conv_1.json", doc);
        assert_eq!(parsed.runs[0].run_id, "agent-42");
        assert_eq!((parsed.read, parsed.ingested, parsed.messages.len()), (1, 1, 1));
        assert_eq!(parse_bytes("/x/logs/conv_1.json", doc).runs[0].run_id, "stem-0000");
    }

    #[test]
    fn text_response_and_bad_prompt_entries_are_rejected_with_lines() {
        let parsed =
            parse_file(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/camel/model_log_text_response.json"));
        assert_eq!(parsed.read, 4);
        assert_eq!(parsed.ingested + parsed.rejects.len() as u64, parsed.read);
        assert_eq!(parsed.rejects.len(), 2, "{:?}", parsed.rejects);
        assert_eq!(parsed.rejects[0].line, Some(7));
        assert!(parsed.rejects[0].reason.contains("request.messages[1] is not an object with a string `role`"));
        assert_eq!(parsed.rejects[1].line, Some(11));
        assert!(parsed.rejects[1].reason.contains("logged the response as text"));
        let real = std::fs::read(REAL).unwrap();
        let cut = parse_bytes(REAL, &real[..real.len() - 200]);
        assert_eq!((cut.read, cut.rejects.len()), (1, 1));
        assert!(cut.rejects[0].reason.contains("ends early (truncated?)"));
    }

    #[test]
    fn sniffs_model_logs_only() {
        let real = std::fs::read(REAL).unwrap();
        assert!(CamelModelLog.sniff(Path::new(REAL), &real));
        assert!(!CamelModelLog.sniff(Path::new("x.json"), br#"{"messages": [{"role": "user"}]}"#));
        assert!(
            !CamelModelLog.sniff(Path::new("x.json"), br#"[{"request_timestamp": 1, "request": {"messages": []}}]"#)
        );
    }
}
