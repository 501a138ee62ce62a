//! OpenTelemetry GenAI spans in OTLP JSON, one `ExportTraceServiceRequest` per chain: `otel-genai/<run_id>.json`
//! (one export per file, as `OTLPSpanExporter` payloads are saved) and `otel-genai-jsonl/part-NNN.jsonl` (one export
//! per line, as the collector's `file` exporter appends them). Spans follow the GenAI semantic conventions as
//! AgentScope ≥ 1.0.9 emits them (scope `agentscope` when the chain's framework is AgentScope, so the adapter names
//! that framework): `gen_ai.conversation.id` = the run id, `gen_ai.agent.name` = the speaker.
//!
//! A message is a `chat <model>` span whose `gen_ai.output.messages` holds one assistant message with a `text`
//! part; a thought the same with a `reasoning` part (a THOUGHT, no recipient); a tool call the same with a
//! `tool_call` part `{id, name, arguments}`; a tool result an `execute_tool <tool>` span of the calling agent with
//! the same `gen_ai.tool.call.id` (so the adapter does not repeat the call) and `gen_ai.tool.call.result` (the text,
//! JSON-encoded as a string). Each span starts and ends at the turn's time.
//!
//! Cannot carry: recipients (derived: an LLM output goes to whom the call answers, `user` here as the spans record
//! no input; a call to its tool; a result to the agent); a tool call's note text (a `tool_call` part has none: the
//! adapter's content is empty); the tool result's speaker (the adapter names the tool); the run's condition.

use serde_json::{Value, json};

use super::{Part, hash, to_vec, tool_of};
use crate::error::Result;
use crate::format::Format;
use crate::simulate::chain::{Chain, TurnKind};

fn attr(key: &str, value: impl Into<String>) -> Value {
    json!({"key": key, "value": {"stringValue": value.into()}})
}

/// The export request holding one chain's spans.
fn request(chain: &Chain) -> Result<Value> {
    let run = &chain.run_id;
    let trace_id = format!("{:016x}{:016x}", hash(run, 0, "trace"), hash(run, 1, "trace"));
    let mut spans = Vec::with_capacity(chain.turns.len());
    for (n, turn) in chain.turns.iter().enumerate() {
        let at = (turn.ts_us.max(0) as u64 * 1000).to_string();
        let span_id = format!("{:016x}", hash(run, n as u64, "span"));
        let call_id = super::call_id(chain, n, "call_");
        let (name, attributes) = match &turn.kind {
            TurnKind::ToolResult { name } => {
                let caller = turn.recipients.first().unwrap_or(&turn.speaker);
                let result = String::from_utf8(to_vec(&turn.text)?).unwrap_or_default();
                (
                    format!("execute_tool {name}"),
                    vec![
                        attr("gen_ai.operation.name", "execute_tool"),
                        attr("gen_ai.conversation.id", run),
                        attr("gen_ai.agent.name", caller),
                        attr("gen_ai.tool.name", name),
                        attr("gen_ai.tool.call.id", call_id),
                        attr("gen_ai.tool.call.result", result),
                    ],
                )
            }
            kind => {
                let part = match kind {
                    TurnKind::Thought => json!({"type": "reasoning", "content": turn.text}),
                    TurnKind::ToolCall { name, args } => {
                        json!({"type": "tool_call", "id": call_id, "name": name, "arguments": args})
                    }
                    _ => json!({"type": "text", "content": turn.text}),
                };
                let finish = if tool_of(turn).is_some() { "tool_call" } else { "stop" };
                let output =
                    json!([{"role": "assistant", "parts": [part], "name": turn.speaker, "finish_reason": finish}]);
                (
                    format!("chat {}", chain.model),
                    vec![
                        attr("gen_ai.operation.name", "chat"),
                        attr("gen_ai.conversation.id", run),
                        attr("gen_ai.agent.name", &turn.speaker),
                        attr("gen_ai.request.model", &chain.model),
                        attr("gen_ai.response.model", &chain.model),
                        attr("gen_ai.output.messages", output.to_string()),
                    ],
                )
            }
        };
        spans.push(json!({
            "traceId": trace_id, "spanId": span_id, "name": name, "kind": 1,
            "startTimeUnixNano": at, "endTimeUnixNano": at, "attributes": attributes, "status": {},
        }));
    }
    let scope = if chain.meta.framework.eq_ignore_ascii_case("agentscope") { "agentscope" } else { "tvp.simulate" };
    Ok(json!({
        "resourceSpans": [{
            "resource": {"attributes": [attr("service.name", chain.meta.framework.as_str())]},
            "scopeSpans": [{"scope": {"name": scope}, "spans": spans}],
        }]
    }))
}

pub(super) fn encode_file(chain: &Chain) -> Result<Vec<Part>> {
    let bytes = to_vec(&request(chain)?)?;
    Ok(vec![Part::File { path: format!("otel-genai/{}.json", chain.run_id), bytes }])
}

pub(super) fn encode_lines(chain: &Chain) -> Result<Vec<Part>> {
    let mut bytes = to_vec(&request(chain)?)?;
    bytes.push(b'\n');
    Ok(vec![Part::Append { dir: Format::OtelGenAiJsonl.name(), prefix: "part", ext: "jsonl", bytes }])
}

/// OTel GenAI: a tool call's content is empty, a tool result's sender is the tool.
#[cfg(test)]
pub(super) fn expected(chain: &Chain) -> Vec<super::tests::Expected> {
    let mut out = super::tests::identity(chain);
    for (e, turn) in out.iter_mut().zip(&chain.turns) {
        match &turn.kind {
            TurnKind::ToolCall { .. } => e.2 = String::new(),
            TurnKind::ToolResult { name } => e.0 = name.clone(),
            _ => {}
        }
    }
    out
}
