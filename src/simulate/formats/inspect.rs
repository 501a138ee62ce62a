//! Inspect AI eval logs in the JSON form (`inspect/<run_id>.json`, `inspect eval --log-format json`): an EvalLog
//! `{version: 2, status, eval: {run_id, task, task_id, model, metadata, ...}, samples: [{id, epoch, input, target,
//! messages, metadata}]}` with one sample. The adapter names the run `<eval.run_id>/<sample id>/epoch<n>`, so the
//! run id is `<run_id>/<scenario_id>/epoch<repetition + 1>` (Inspect numbers epochs from 1). The sample's
//! `metadata` carries the run's condition, which the adapter reads.
//!
//! Inspect records a two-party chat with tools, so names do not survive: the custodian is `assistant`, the seeker
//! `user`. A thought is an assistant message with empty content and `reasoning` (a THOUGHT); a tool call an
//! assistant message with one `tool_calls` entry `{id, function, arguments}` (content empty); a tool result a `tool`
//! message `{tool_call_id, function}` (its sender is the tool).
//!
//! Cannot carry: agent names (roles only); the guardian (no third role: its turns are left out); turns of the seeker
//! other than messages (left out); a tool call's note text; argument formatting (an object, read back as compact JSON
//! with sorted keys); recipients (user ↔ assistant); per-message times.

use serde::Serialize;
use serde_json::{Value, json};

use super::{Part, args_value, call_id, ts_iso_micros, uuid};
use crate::error::Result;
use crate::simulate::chain::{Chain, Role, Turn, TurnKind};

#[derive(Serialize)]
struct EvalLog {
    version: u32,
    status: &'static str,
    eval: Value,
    samples: Vec<Value>,
}

/// Whether a turn is written (the guardian has no role; the seeker only speaks).
fn written(turn: &Turn) -> bool {
    match turn.role {
        Role::Guardian => false,
        Role::Seeker => turn.kind == TurnKind::Message,
        Role::Custodian | Role::Tool => true,
    }
}

pub(super) fn encode(chain: &Chain) -> Result<Vec<Part>> {
    let m = &chain.meta;
    let mut messages = Vec::with_capacity(chain.turns.len());
    for (n, turn) in chain.turns.iter().enumerate().filter(|(_, t)| written(t)) {
        let id = uuid(&chain.run_id, n as u64, "inspect");
        messages.push(match (&turn.kind, turn.role) {
            (TurnKind::Message, Role::Seeker) => json!({"id": id, "content": turn.text, "source": "input", "role": "user"}),
            (TurnKind::Message, _) => {
                json!({"id": id, "content": turn.text, "source": "generate", "role": "assistant", "model": chain.model})
            }
            (TurnKind::Thought, _) => json!({
                "id": id, "content": "", "source": "generate", "role": "assistant", "reasoning": turn.text,
                "model": chain.model,
            }),
            (TurnKind::ToolCall { name, args }, _) => json!({
                "id": id, "content": "", "source": "generate", "role": "assistant", "model": chain.model,
                "tool_calls": [{"id": call_id(chain, n, "call_"), "function": name, "arguments": args_value(args), "type": "function"}],
            }),
            (TurnKind::ToolResult { name }, _) => json!({
                "id": id, "content": turn.text, "role": "tool", "tool_call_id": call_id(chain, n, "call_"), "function": name,
            }),
        });
    }
    let condition = super::without_nulls(json!({
        "scenario_id": m.scenario_id, "trust": m.trust, "defense": m.defense, "seed": m.seed, "repetition": m.repetition,
    }));
    let started = ts_iso_micros(chain.started_at_us());
    let log = EvalLog {
        version: 2,
        status: "success",
        eval: json!({
            "run_id": chain.run_id, "created": started, "task": m.title(), "task_id": uuid(&chain.run_id, 0, "task"),
            "task_version": 0, "model": chain.model, "metadata": {"framework": m.framework, "backend": m.backend},
        }),
        samples: vec![json!({
            "id": m.title(), "epoch": m.repetition + 1, "input": "", "target": "", "messages": messages,
            "metadata": condition, "started_at": started,
        })],
    };
    Ok(vec![Part::File { path: format!("inspect/{}.json", chain.run_id), bytes: super::to_vec_pretty(&log)? }])
}

#[cfg(test)]
pub(super) fn run_id(chain: &Chain) -> String {
    format!("{}/{}/epoch{}", chain.run_id, chain.meta.title(), chain.meta.repetition + 1)
}

/// Inspect: roles for names, guardian and the seeker's non-messages left out, tool call content empty.
#[cfg(test)]
pub(super) fn expected(chain: &Chain) -> Vec<super::tests::Expected> {
    super::tests::identity(chain)
        .into_iter()
        .zip(&chain.turns)
        .filter(|(_, t)| written(t))
        .map(|(mut e, t)| {
            match &t.kind {
                TurnKind::ToolResult { .. } => {}
                TurnKind::ToolCall { .. } => {
                    e.0 = "assistant".into();
                    e.2 = String::new();
                }
                _ => e.0 = if t.role == Role::Seeker { "user" } else { "assistant" }.into(),
            }
            e
        })
        .collect()
}
