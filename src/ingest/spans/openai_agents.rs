//! OpenAI Agents SDK traces: the tracing exporter's payload `{"data": [trace and span objects]}` (what the SDK's
//! `BackendSpanExporter` posts), a JSON list of those objects, or JSONL with one object (or one payload) per line,
//! as a file exporter writes them.
//!
//! One run per trace (`trace_id`), framework "OpenAI Agents SDK", backend = the model of its first generation span;
//! the trace's `metadata` may set scenario, trust, defense, seed. The SDK exports a span when it ends, children
//! before their parents, so the whole file is read and each trace's spans are replayed in time order, every span
//! speaking as the agent of its nearest `agent` ancestor: a generation span adds its input messages the run has not
//! said yet (the history it replays is skipped) at its start and its output at its end; a function span is a
//! TOOL_CALL to the tool (unless the generation output already announced it) and a TOOL_RESULT back; a handoff span
//! is a HANDOFF from `from_agent` to `to_agent`. Response spans (the default Responses model) carry only a response
//! id in the SDK's export, so they add messages only when an exporter kept their `input` and `response.output`.
//! Records: each trace or span object.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::llm_calls::{
    Call, Conversation, Role, Speaker, ToolResult, condition_from, counterpart, documents, items, turns_from,
};
use crate::ingest::common::sniff;
use crate::ingest::common::{json_text, json_type, time};
use crate::ingest::record::{Message, Parsed, RunInfo, RunMeta};
use crate::schema::kind;

pub struct OpenAiAgents;

impl Adapter for OpenAiAgents {
    fn format(&self) -> Format {
        Format::OpenAiAgents
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        (text.starts_with('{') || text.starts_with('['))
            && (text.contains("\"trace.span\"")
                || sniff::has_all(head, &["\"span_data\"", "\"trace_id\""])
                || sniff::has_all(head, &["\"workflow_name\"", "\"trace\""]))
    }

    fn parse(&self, input: &Input) -> Parsed {
        let mut parsed = Parsed::default();
        let mut traces = Traces::default();
        for document in documents(input, "OpenAI Agents trace export", &mut parsed) {
            let (line, offset) = (document.line, document.offset);
            for item in items(document.value) {
                parsed.read += 1;
                match traces.add(item, offset) {
                    Ok(()) => parsed.ingested += 1,
                    Err(reason) => parsed.reject(line, line.map(|_| offset as i64), reason),
                }
            }
        }
        traces.replay(&mut parsed);
        parsed
    }
}

/// A span as exported (`SpanImpl.export()`).
struct Span {
    id: Option<String>,
    parent_id: Option<String>,
    started: Option<i64>,
    ended: Option<i64>,
    data: Map<String, Value>,
    error: Option<Value>,
    offset: usize,
}

impl Span {
    fn kind(&self) -> &str {
        self.data.get("type").and_then(Value::as_str).unwrap_or_default()
    }
    fn text(&self, key: &str) -> Option<&str> {
        self.data.get(key).and_then(Value::as_str)
    }
}

#[derive(Default)]
struct Trace {
    metadata: Option<Value>,
    spans: Vec<Span>,
}

/// Every trace of the file, in order of first appearance.
#[derive(Default)]
struct Traces {
    order: Vec<String>,
    by_id: HashMap<String, Trace>,
}

impl Traces {
    fn trace(&mut self, id: &str) -> &mut Trace {
        if !self.by_id.contains_key(id) {
            self.order.push(id.to_string());
        }
        self.by_id.entry(id.to_string()).or_default()
    }

    /// File one exported object; the reason says what is wrong with it.
    fn add(&mut self, item: Value, offset: usize) -> Result<(), String> {
        let Value::Object(mut object) = item else {
            return Err(format!("expected a trace or span object, found {}", json_type(&item)));
        };
        let text = |object: &Map<String, Value>, key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
        match object.get("object").and_then(Value::as_str) {
            Some("trace") => {
                let id = text(&object, "id").ok_or("trace object has no string `id`")?;
                self.trace(&id).metadata = object.remove("metadata").filter(|m| !m.is_null());
                Ok(())
            }
            Some("trace.span") | None => {
                let trace_id = text(&object, "trace_id").ok_or("span has no string `trace_id`")?;
                let data = match object.remove("span_data") {
                    Some(Value::Object(data)) if data.get("type").is_some_and(Value::is_string) => data,
                    Some(Value::Object(_)) => {
                        return Err(format!("span of trace {trace_id}: `span_data` has no `type`"));
                    }
                    _ => return Err(format!("span of trace {trace_id} has no `span_data` object")),
                };
                let span = Span {
                    id: text(&object, "id"),
                    parent_id: text(&object, "parent_id"),
                    started: object.get("started_at").and_then(time::from_json),
                    ended: object.get("ended_at").and_then(time::from_json),
                    error: object.remove("error").filter(|e| !e.is_null()),
                    data,
                    offset,
                };
                self.trace(&trace_id).spans.push(span);
                Ok(())
            }
            Some(other) => Err(format!("unknown `object` \"{other}\"; expected \"trace\" or \"trace.span\"")),
        }
    }

    fn replay(self, parsed: &mut Parsed) {
        let Traces { order, mut by_id } = self;
        for trace_id in order {
            let Some(trace) = by_id.remove(&trace_id) else { continue };
            replay_trace(&trace_id, trace, parsed);
        }
    }
}

/// One step of a trace in time order.
enum Step {
    Input,
    Output,
    ToolCall,
    ToolResult,
    Handoff,
}

fn replay_trace(run_id: &str, trace: Trace, parsed: &mut Parsed) {
    let spans = trace.spans;
    let index: HashMap<&str, usize> =
        spans.iter().enumerate().filter_map(|(i, s)| s.id.as_deref().map(|id| (id, i))).collect();
    // The agent a span works for: its nearest `agent` ancestor (or itself).
    let agent_of = |mut i: usize| -> String {
        for _ in 0..spans.len() {
            if spans[i].kind() == "agent"
                && let Some(name) = spans[i].text("name")
            {
                return name.to_string();
            }
            match spans[i].parent_id.as_deref().and_then(|p| index.get(p)) {
                Some(&parent) => i = parent,
                None => break,
            }
        }
        "assistant".to_string()
    };
    let mut steps: Vec<(i64, usize, Step)> = Vec::new();
    for (i, span) in spans.iter().enumerate() {
        let (start, end) = (span.started.unwrap_or(i64::MAX), span.ended.or(span.started).unwrap_or(i64::MAX));
        match span.kind() {
            "generation" | "response" => steps.extend([(start, i, Step::Input), (end, i, Step::Output)]),
            "function" => steps.extend([(start, i, Step::ToolCall), (end, i, Step::ToolResult)]),
            "handoff" => steps.push((start, i, Step::Handoff)),
            _ => {} // agent, guardrail, custom, speech, transcription, mcp_tools: no message of their own
        }
    }
    steps.sort_by_key(|(at, i, _)| (*at, *i));

    let mut meta = RunMeta {
        framework: Some(Format::OpenAiAgents.framework().into()),
        started_at: spans.iter().filter_map(|s| s.started).min(),
        ..RunMeta::default()
    };
    condition_from(trace.metadata.as_ref(), &mut meta);
    let mut conversation = Conversation::default();
    let mut counterparts: HashMap<usize, String> = HashMap::new();
    for (_, i, step) in steps {
        let span = &spans[i];
        let agent = agent_of(i);
        let model = model_of(span);
        if meta.backend.is_none() {
            meta.backend = model.clone();
        }
        let speaker = Speaker { run_id, agent: &agent, model: model.as_deref(), offset: span.offset };
        let out: Vec<Message> = match step {
            Step::Input => {
                let input = span.data.get("input").map(|v| turns_from(v, Some(Role::User))).unwrap_or_default();
                counterparts.insert(i, counterpart(&input));
                speaker.unseen(input, &counterparts[&i], &mut conversation, span.started)
            }
            Step::Output => {
                let to = counterparts.get(&i).cloned().unwrap_or_else(|| "user".to_string());
                let output = span
                    .data
                    .get("output")
                    .or_else(|| span.data.get("response").and_then(|r| r.get("output")))
                    .map(|v| turns_from(v, Some(Role::Assistant)))
                    .unwrap_or_default();
                let mut out = Vec::new();
                for turn in output {
                    let turn = conversation.output(turn);
                    out.extend(speaker.turn(&turn, &to, &conversation, span.ended));
                }
                out
            }
            Step::ToolCall => {
                let name = span.text("name").unwrap_or("function").to_string();
                let call = Call { id: None, name, args: span.text("input").unwrap_or("{}").to_string() };
                speaker.executed(&call, &mut conversation, span.started).into_iter().collect()
            }
            Step::ToolResult => {
                let error =
                    span.error.as_ref().map(|e| e.get("message").map(json_text).unwrap_or_else(|| json_text(e)));
                let content = match (span.data.get("output").filter(|o| !o.is_null()), error) {
                    (Some(output), _) => json_text(output),
                    (None, Some(error)) => format!("error: {error}"),
                    (None, None) => continue,
                };
                let result = ToolResult { id: None, name: span.text("name").map(str::to_string), content };
                vec![speaker.returned(&result, &mut conversation, span.ended)]
            }
            Step::Handoff => {
                let from = span.text("from_agent").map(str::to_string).unwrap_or(agent.clone());
                let Some(to) = span.text("to_agent") else { continue };
                let mut message = Message::new(run_id, &from, format!("handoff from {from} to {to}"), span.offset);
                message.recipients = vec![to.to_string()];
                message.kind = kind::HANDOFF;
                message.ts = span.started;
                vec![message]
            }
        };
        parsed.messages.extend(out);
    }
    parsed.runs.push(RunInfo { run_id: run_id.to_string(), meta });
}

/// The model a generation (or response) span names.
fn model_of(span: &Span) -> Option<String> {
    let model = span.data.get("model").or_else(|| span.data.get("response").and_then(|r| r.get("model")));
    model.and_then(Value::as_str).filter(|m| !m.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter::parse_file;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openai_agents/");

    fn parse_fixture(name: &str) -> Parsed {
        let path = format!("{FIXTURES}{name}");
        assert!(OpenAiAgents.sniff(Path::new(&path), &std::fs::read(&path).unwrap()), "sniff refuses {name}");
        parse_file(&OpenAiAgents, Path::new(&path))
    }

    fn row(m: &Message) -> (String, Vec<String>, &'static str, String) {
        (m.sender.clone(), m.recipients.clone(), m.kind, m.content.clone())
    }

    fn s(text: &str) -> String {
        text.to_string()
    }

    #[test]
    fn exporter_payload_replays_agents_generations_tools_and_handoffs_in_time_order() {
        let parsed = parse_fixture("handoff_payload.json");
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!((parsed.read, parsed.ingested), (9, 9));
        assert_eq!(parsed.runs.len(), 1);
        let run = &parsed.runs[0];
        assert_eq!(run.run_id, "trace_0b6c1a52f2d94e8c9d5e0f7a8b9c0d1e");
        assert_eq!(run.meta.framework.as_deref(), Some("OpenAI Agents SDK"));
        assert_eq!(run.meta.backend.as_deref(), Some("gpt-4o-mini"));
        assert_eq!(run.meta.scenario_id.as_deref(), Some("S1-1"));
        assert_eq!(run.meta.trust, Some(0.5));
        assert_eq!(run.meta.started_at, time::parse_ts("2025-03-04T10:00:00.000000+00:00"));

        let rows: Vec<_> = parsed.messages.iter().map(row).collect();
        let expected = vec![
            (s("system"), vec![s("Triage")], kind::SYSTEM, s("Route warehouse requests to the custodian.")),
            (s("user"), vec![s("Triage")], kind::MESSAGE, s("I am Jay. Please change the warehouse password.")),
            (s("Triage"), vec![s("transfer_to_custodian")], kind::TOOL_CALL, s("")),
            (s("Triage"), vec![s("Custodian")], kind::HANDOFF, s("handoff from Triage to Custodian")),
            (s("system"), vec![s("Custodian")], kind::SYSTEM, s("You hold the warehouse passwords.")),
            (s("transfer_to_custodian"), vec![s("Custodian")], kind::TOOL_RESULT, s("{\"assistant\": \"Custodian\"}")),
            (s("Custodian"), vec![s("verify_identity")], kind::TOOL_CALL, s("")),
            (s("verify_identity"), vec![s("Custodian")], kind::TOOL_RESULT, s("verified: Jay, warehouse manager")),
            (s("Custodian"), vec![s("user")], kind::MESSAGE, s("Done, Jay. The new password is 4471.")),
        ];
        assert_eq!(rows, expected);
        let call = &parsed.messages[6];
        assert_eq!(call.tool_name.as_deref(), Some("verify_identity"));
        assert_eq!(call.tool_args.as_deref(), Some("{\"name\": \"Jay\"}"));
        assert_eq!(call.model.as_deref(), Some("gpt-4o-mini"));
        assert_eq!(call.ts, time::parse_ts("2025-03-04T10:00:03.000000+00:00"), "generation end");
        assert_eq!(parsed.messages[7].ts, time::parse_ts("2025-03-04T10:00:03.500000+00:00"), "function end");
        assert_eq!(parsed.messages[1].sender_role.as_deref(), Some("user"));
    }

    #[test]
    fn jsonl_with_unannounced_tool_calls_errors_and_bad_lines() {
        let parsed = parse_fixture("file_exporter.jsonl");
        assert_eq!(parsed.read, 8);
        assert_eq!(parsed.ingested, 5);
        let rejects: Vec<(Option<i64>, &str)> = parsed.rejects.iter().map(|r| (r.line, r.reason.as_str())).collect();
        assert_eq!(rejects[0].0, Some(6));
        assert!(
            rejects[0].1.starts_with("OpenAI Agents trace export line: it ends early (truncated?)"),
            "{}",
            rejects[0].1
        );
        assert_eq!(rejects[1], (Some(7), "span of trace trace_b has no `span_data` object"));
        assert_eq!(rejects[2], (Some(8), "unknown `object` \"trace.event\"; expected \"trace\" or \"trace.span\""));
        assert!(parsed.rejects.iter().all(|r| r.byte_offset.is_some()));

        let rows: Vec<_> = parsed.messages.iter().map(row).collect();
        let expected = vec![
            (s("Custodian"), vec![s("read_vault")], kind::TOOL_CALL, s("")),
            (s("read_vault"), vec![s("Custodian")], kind::TOOL_RESULT, s("error: vault locked")),
            (s("Custodian"), vec![s("Seeker")], kind::HANDOFF, s("handoff from Custodian to Seeker")),
        ];
        assert_eq!(rows, expected);
        assert_eq!(parsed.messages[0].tool_args.as_deref(), Some("{\"slot\": 2}"));
        assert_eq!(parsed.runs.len(), 1);
        assert_eq!(parsed.runs[0].meta.backend, None, "no generation span");
    }

    #[test]
    fn a_truncated_payload_is_one_reject_with_its_line() {
        let parsed = parse_fixture("truncated_payload.json");
        assert_eq!((parsed.read, parsed.rejects.len()), (1, 1));
        assert!(parsed.rejects[0].reason.starts_with("OpenAI Agents trace export: it ends early"));
        assert!(parsed.rejects[0].line.is_some_and(|l| l > 1));
    }

    #[test]
    fn sniff_is_specific() {
        let foreign = br#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "a", "spanId": "b"}]}]}]}"#;
        assert!(!OpenAiAgents.sniff(Path::new("x.json"), foreign));
        let agentleak = br#"{"trace_id": "x", "vault": {}, "allowed_set": {}}"#;
        assert!(!OpenAiAgents.sniff(Path::new("x.json"), agentleak));
        let line =
            br#"{"object": "trace.span", "id": "span_1", "trace_id": "trace_1", "span_data": {"type": "agent"}}"#;
        assert!(OpenAiAgents.sniff(Path::new("x.jsonl"), line));
    }
}
