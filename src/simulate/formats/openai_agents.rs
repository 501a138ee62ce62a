//! OpenAI Agents SDK traces (`openai-agents/part-NNN.jsonl`, many chains per file), one trace or span object per
//! line as a file exporter of the SDK's `BackendSpanExporter` items writes them: the trace `{object: "trace", id,
//! workflow_name, group_id, metadata}` then its spans `{object: "trace.span", id, trace_id, parent_id, started_at,
//! ended_at, span_data, error}`. The trace id is the run id (the SDK's own ids read `trace_<32 hex>`; the adapter
//! takes any string), and `metadata` carries the run's condition, which the adapter reads.
//!
//! Each agent of the chain has an `agent` span; a message, thought or tool call is a `generation` span under its
//! speaker's agent span whose `output` is one chat message: `content` text, `reasoning_content` (a THOUGHT, no
//! recipient) or one `tool_calls` entry; a tool result is a `function` span under the caller's agent span with the
//! call's arguments as `input` and the result text as `output` (the adapter matches it to the announced call). Spans
//! start and end at the turn's time.
//!
//! Cannot carry: recipients (derived: a generation answers `user`, as no input is recorded; a call goes to its tool,
//! a result to the agent); a tool call's note text (content is empty); the tool result's speaker (the tool).

use std::collections::BTreeMap;

use serde_json::json;

use super::{Part, call_id, hash, to_vec};
use crate::error::Result;
use crate::format::Format;
use crate::simulate::chain::{Chain, TurnKind};

fn at(ts_us: i64) -> String {
    super::utc(ts_us).format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

pub(super) fn encode(chain: &Chain) -> Result<Vec<Part>> {
    let run = &chain.run_id;
    let m = &chain.meta;
    let span_id = |n: u64, salt: &str| format!("span_{:024x}", u128::from(hash(run, n, salt)) << 32 | 0x5eed);
    let mut lines = vec![json!({
        "object": "trace", "id": run, "workflow_name": m.title(), "group_id": null,
        "metadata": super::without_nulls(json!({
            "scenario_id": m.scenario_id, "trust": m.trust.map(|t| t.to_string()), "defense": m.defense,
            "seed": m.seed.to_string(), "repetition": m.repetition.to_string(),
        })),
    })];
    let (first, last) = (chain.started_at_us(), chain.turns.last().map_or(0, |t| t.ts_us));
    // One agent span per agent, in order of first appearance (a BTreeMap only to look them up).
    let mut agents: BTreeMap<&str, String> = BTreeMap::new();
    for (n, turn) in chain.turns.iter().enumerate() {
        let agent = match &turn.kind {
            TurnKind::ToolResult { .. } => turn.recipients.first().unwrap_or(&turn.speaker),
            _ => &turn.speaker,
        };
        if !agents.contains_key(agent.as_str()) {
            let id = span_id(n as u64, "agent");
            lines.push(json!({
                "object": "trace.span", "id": id, "trace_id": run, "parent_id": null, "started_at": at(first),
                "ended_at": at(last), "span_data": {"type": "agent", "name": agent, "handoffs": [], "tools": [], "output_type": "str"},
                "error": null,
            }));
            agents.insert(agent, id);
        }
        let parent = &agents[agent.as_str()];
        let span_data = match &turn.kind {
            TurnKind::ToolResult { name } => {
                let args = chain.turns[..n].iter().rev().find_map(|t| match &t.kind {
                    TurnKind::ToolCall { name: called, args } if called == name => Some(args.as_str()),
                    _ => None,
                });
                json!({"type": "function", "name": name, "input": args.unwrap_or("{}"), "output": turn.text, "mcp_data": null})
            }
            kind => {
                let message = match kind {
                    TurnKind::Thought => json!({"role": "assistant", "content": null, "reasoning_content": turn.text}),
                    TurnKind::ToolCall { name, args } => json!({
                        "role": "assistant", "content": null,
                        "tool_calls": [{"id": call_id(chain, n, "call_"), "type": "function", "function": {"name": name, "arguments": args}}],
                    }),
                    _ => json!({"role": "assistant", "content": turn.text}),
                };
                json!({"type": "generation", "input": [], "output": [message], "model": chain.model, "model_config": {}, "usage": null})
            }
        };
        lines.push(json!({
            "object": "trace.span", "id": span_id(n as u64, "span"), "trace_id": run, "parent_id": parent,
            "started_at": at(turn.ts_us), "ended_at": at(turn.ts_us), "span_data": span_data, "error": null,
        }));
    }
    let mut bytes = Vec::with_capacity(512 * lines.len());
    for line in &lines {
        bytes.extend(to_vec(line)?);
        bytes.push(b'\n');
    }
    Ok(vec![Part::Append { dir: Format::OpenAiAgents.name(), prefix: "part", ext: "jsonl", bytes }])
}
