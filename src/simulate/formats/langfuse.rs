//! Langfuse trace exports (`langfuse/<run_id>.json`), the shape of `GET /api/public/traces/{id}`: one trace
//! `{id, sessionId, name, timestamp, metadata, input, output, observations: [...]}`. `sessionId` is the run id and
//! `metadata` carries the run's condition (scenario_id, trust, defense, seed, repetition), which the adapter reads.
//!
//! A message, a thought or a tool call is a GENERATION observation of the speaker (`metadata.agent_name`) whose
//! output is one OpenAI-style assistant message: `content` text; `reasoning_content` (a THOUGHT, no recipient);
//! or `tool_calls` with one function call. A tool result is a TOOL observation named for the tool, of the calling
//! agent, with the call's arguments as `input` and the result text as `output` (the adapter matches it to the
//! announced call, so the call is not repeated). Observations start and end at the turn's time.
//!
//! Cannot carry: recipients (derived: a generation answers `user`, as no input is recorded; a call goes to its
//! tool, a result to the agent); a tool call's note text (content is empty); the tool result's speaker (the tool);
//! a message whose text is only whitespace (the adapter drops empty text parts).

use serde_json::{Value, json};

use super::{Part, args_value, call_id, to_vec_pretty, ts_iso_micros, uuid};
use crate::error::Result;
use crate::simulate::chain::{Chain, TurnKind};

pub(super) fn encode(chain: &Chain) -> Result<Vec<Part>> {
    let run = &chain.run_id;
    let trace_id = uuid(run, 0, "langfuse-trace");
    let mut observations = Vec::with_capacity(chain.turns.len());
    for (n, turn) in chain.turns.iter().enumerate() {
        let at = ts_iso_micros(turn.ts_us);
        let id = uuid(run, n as u64, "langfuse-observation");
        let observation = match &turn.kind {
            TurnKind::ToolResult { name } => {
                let caller = turn.recipients.first().unwrap_or(&turn.speaker);
                let args = chain.turns[..n].iter().rev().find_map(|t| match &t.kind {
                    TurnKind::ToolCall { name: called, args } if called == name => Some(args_value(args)),
                    _ => None,
                });
                json!({
                    "id": id, "traceId": trace_id, "type": "TOOL", "name": name, "startTime": at, "endTime": at,
                    "parentObservationId": null, "input": args.unwrap_or(Value::Null), "output": turn.text,
                    "metadata": {"agent_name": caller}, "level": "DEFAULT", "model": null,
                })
            }
            kind => {
                let message = match kind {
                    TurnKind::Thought => {
                        json!({"role": "assistant", "name": turn.speaker, "content": null, "reasoning_content": turn.text})
                    }
                    TurnKind::ToolCall { name, args } => json!({
                        "role": "assistant", "name": turn.speaker, "content": null,
                        "tool_calls": [{"id": call_id(chain, n, "call_"), "type": "function", "function": {"name": name, "arguments": args}}],
                    }),
                    _ => json!({"role": "assistant", "name": turn.speaker, "content": turn.text}),
                };
                json!({
                    "id": id, "traceId": trace_id, "type": "GENERATION", "name": "ChatOpenAI", "startTime": at,
                    "endTime": at, "parentObservationId": null, "input": null, "output": message,
                    "metadata": {"agent_name": turn.speaker}, "level": "DEFAULT", "model": chain.model,
                })
            }
        };
        observations.push(observation);
    }
    let m = &chain.meta;
    let trace = json!({
        "id": trace_id,
        "sessionId": run,
        "name": m.title(),
        "timestamp": ts_iso_micros(chain.started_at_us()),
        "metadata": super::without_nulls(json!({
            "scenario_id": m.scenario_id, "trust": m.trust, "defense": m.defense, "seed": m.seed,
            "repetition": m.repetition, "framework": m.framework, "backend": m.backend,
        })),
        "input": null,
        "output": null,
        "observations": observations,
    });
    Ok(vec![Part::File { path: format!("langfuse/{run}.json"), bytes: to_vec_pretty(&trace)? }])
}
