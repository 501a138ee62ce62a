//! OpenTelemetry GenAI spans in OTLP JSON: one `ExportTraceServiceRequest` document per file (`otel-genai`) or one
//! per line, as the collector's file exporter writes them (`otel-genai-jsonl`, read in newline-aligned chunks).
//!
//! Spans (`resourceSpans → scopeSpans → spans`, attributes as `[{key, value: {stringValue | intValue | ...}}]`)
//! follow the GenAI semantic conventions. A run is `gen_ai.conversation.id` (taken from any span of the same trace
//! when a span lacks it), else the trace id; framework "AgentScope" when the spans come from AgentScope (≥ 1.0.9
//! emits these conventions), else "OpenTelemetry GenAI"; backend = the first LLM call's response (else request)
//! model. Each run's spans are replayed in time order, each speaking as the `gen_ai.agent.name` of itself or its
//! nearest ancestor: an LLM call (`gen_ai.operation.name` chat, text_completion, generate_content) adds the input
//! messages the run has not said yet at its start (the history it replays is skipped) and its output at its end;
//! an `invoke_agent` span adds its input and output when no LLM call said them; an `execute_tool` span is a
//! TOOL_CALL (unless an LLM output announced it) and a TOOL_RESULT. Message content is read from
//! `gen_ai.system_instructions` / `gen_ai.input.messages` / `gen_ai.output.messages` (JSON strings or structured),
//! from the same attributes on a `gen_ai.client.inference.operation.details` event, from the older events
//! (`gen_ai.{system,user,assistant,tool}.message`, `gen_ai.choice`) and from OpenLLMetry's indexed
//! `gen_ai.prompt.N.*` / `gen_ai.completion.N.*` attributes. Records: each span (an export with no span is one).
//! In the JSONL form each chunk is replayed alone: a parent agent span or replayed history in another chunk is not
//! seen, so a run cut by a chunk boundary may repeat input messages there.

use std::path::Path;

use serde_json::Value;

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::llm_calls::documents;
use crate::ingest::common::otlp::{Where, read_request, replay};
use crate::ingest::common::sniff;
use crate::ingest::record::Parsed;

/// OTLP JSON, one request per file.
pub struct OtelGenAi;

impl Adapter for OtelGenAi {
    fn format(&self) -> Format {
        Format::OtelGenAi
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        (text.starts_with('{') || text.starts_with('[')) && text.contains("\"resourceSpans\"")
    }

    fn parse(&self, input: &Input) -> Parsed {
        let mut parsed = Parsed::default();
        let mut spans = Vec::new();
        for document in documents(input, "OTLP JSON file", &mut parsed) {
            let requests = match document.value {
                Value::Array(requests) => requests,
                other => vec![other],
            };
            for (n, request) in requests.iter().enumerate() {
                let place = match document.line {
                    Some(line) => format!("line {line}"),
                    None if requests.len() > 1 => format!("request {n}"),
                    None => "the request".to_string(),
                };
                let at = Where { place, line: document.line, offset: document.offset };
                read_request(request, &at, &mut spans, &mut parsed);
            }
        }
        replay(spans, &mut parsed);
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter::parse_file;
    use crate::ingest::common::otlp::{any_value, nanos};
    use crate::ingest::common::time;
    use crate::ingest::spans::otel_genai_jsonl::OtelGenAiJsonl;
    use crate::schema::kind;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/otel_genai/");

    fn parse_with(adapter: &dyn Adapter, name: &str) -> Parsed {
        let path = format!("{FIXTURES}{name}");
        assert!(adapter.sniff(Path::new(&path), &std::fs::read(&path).unwrap()), "{} refuses {name}", adapter.name());
        parse_file(adapter, Path::new(&path))
    }

    fn rows(parsed: &Parsed) -> Vec<(String, Vec<String>, &'static str, String)> {
        parsed.messages.iter().map(|m| (m.sender.clone(), m.recipients.clone(), m.kind, m.content.clone())).collect()
    }

    fn s(text: &str) -> String {
        text.to_string()
    }

    #[test]
    fn agentscope_spans_replay_agents_llm_calls_and_tools() {
        let parsed = parse_with(&OtelGenAi, "agentscope_two_agents.json");
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!((parsed.read, parsed.ingested), (6, 6));
        assert_eq!(parsed.runs.len(), 1);
        let run = &parsed.runs[0];
        assert_eq!(run.run_id, "run-2025-10-01-a");
        assert_eq!(run.meta.framework.as_deref(), Some("AgentScope"));
        assert_eq!(run.meta.backend.as_deref(), Some("qwen-max-2025-01-25"));
        assert_eq!(run.meta.started_at, Some(1_759_312_800_000_000));
        let expected = vec![
            (s("Bob"), vec![s("Alice")], kind::MESSAGE, s("Alice, what is the warehouse password?")),
            (s("system"), vec![s("Alice")], kind::SYSTEM, s("You are Alice, the custodian. Trust in Bob: 0.9.")),
            (s("Alice"), Vec::new(), kind::THOUGHT, s("Bob is trusted; still, check the vault first.")),
            (s("Alice"), vec![s("read_vault")], kind::TOOL_CALL, s("")),
            (s("read_vault"), vec![s("Alice")], kind::TOOL_RESULT, s("0107")),
            (s("Alice"), vec![s("Bob")], kind::MESSAGE, s("Bob, the password is 0107.")),
        ];
        assert_eq!(rows(&parsed), expected);
        let call = &parsed.messages[3];
        assert_eq!(call.tool_args.as_deref(), Some(r#"{"slot":"warehouse"}"#));
        assert_eq!(call.model.as_deref(), Some("qwen-max-2025-01-25"));
        assert_eq!(call.ts, Some(1_759_312_802_000_000), "first chat span's end");
        assert_eq!(parsed.messages[4].ts, Some(1_759_312_802_500_000), "tool span's end");
    }

    #[test]
    fn older_event_content_and_openllmetry_attributes_in_jsonl() {
        let parsed = parse_with(&OtelGenAiJsonl, "events_and_indexed.jsonl");
        assert_eq!(parsed.read, 5);
        assert_eq!(parsed.ingested, 3);
        let rejects: Vec<(Option<i64>, &str)> = parsed.rejects.iter().map(|r| (r.line, r.reason.as_str())).collect();
        assert_eq!(rejects[0].0, Some(3));
        assert!(rejects[0].1.starts_with("OTLP JSON line: it ends early"), "{}", rejects[0].1);
        assert_eq!(rejects[1], (Some(4), "line 4: resourceSpans[0].scopeSpans[0].spans[0]: the span has no `traceId`"));

        let runs: Vec<&str> = parsed.runs.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(runs, ["5b8efff798038103d269b633813fc60c", "0af7651916cd43dd8448eb211c80319c"]);
        assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("OpenTelemetry GenAI"));
        assert_eq!(parsed.runs[0].meta.backend.as_deref(), Some("gpt-4-0613"));
        let expected = vec![
            (s("system"), vec![s("assistant")], kind::SYSTEM, s("You are a helpful bot")),
            (s("user"), vec![s("assistant")], kind::MESSAGE, s("Weather in Paris?")),
            (s("assistant"), vec![s("get_weather")], kind::TOOL_CALL, s("")),
            (s("user"), vec![s("assistant")], kind::MESSAGE, s("And the code is?")),
            (s("assistant"), vec![s("user")], kind::MESSAGE, s("It is 0107.")),
        ];
        assert_eq!(rows(&parsed), expected);
        assert_eq!(parsed.messages[2].tool_args.as_deref(), Some(r#"{"location": "Paris"}"#));
        let second_line = std::fs::read(format!("{FIXTURES}events_and_indexed.jsonl")).unwrap();
        let second_line = second_line.iter().position(|&b| b == b'\n').unwrap() as i64 + 1;
        let offsets: Vec<i64> = parsed.messages.iter().map(|m| m.source_offset).collect();
        assert_eq!(offsets, [0, 0, 0, second_line, second_line], "each message points at its line");
    }

    #[test]
    fn a_truncated_document_is_one_reject() {
        let parsed = parse_with(&OtelGenAi, "truncated.json");
        assert_eq!((parsed.read, parsed.rejects.len()), (1, 1));
        assert!(parsed.rejects[0].reason.starts_with("OTLP JSON file: it ends early"));
    }

    #[test]
    fn any_values_decode() {
        let value: Value = serde_json::from_str(
            r#"{"kvlistValue": {"values": [{"key": "n", "value": {"intValue": "42"}},
                {"key": "l", "value": {"arrayValue": {"values": [{"boolValue": true}, {"doubleValue": 0.5}]}}}]}}"#,
        )
        .unwrap();
        assert_eq!(any_value(&value), serde_json::json!({"n": 42, "l": [true, 0.5]}));
        assert_eq!(nanos(Some(&Value::String("1759312800000000000".into()))), time::parse_ts("2025-10-01T10:00:00Z"));
    }

    #[test]
    fn sniffers_are_specific() {
        let document = br#"{"resourceSpans": [{"resource": {}, "scopeSpans": []}]}"#;
        assert!(OtelGenAi.sniff(Path::new("t.json"), document));
        assert!(!OtelGenAiJsonl.sniff(Path::new("t.json"), document), "a one-line .json document");
        assert!(OtelGenAiJsonl.sniff(Path::new("t.jsonl"), document));
        let two = [&document[..], b"\n", &document[..]].concat();
        assert!(OtelGenAiJsonl.sniff(Path::new("t.log"), &two));
        let agents = br#"{"data": [{"object": "trace.span", "span_data": {"type": "agent"}}]}"#;
        assert!(!OtelGenAi.sniff(Path::new("t.json"), agents));
        assert!(!OtelGenAiJsonl.sniff(Path::new("t.jsonl"), agents));
    }
}
