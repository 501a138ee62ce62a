//! tau-bench results (`taubench/<run_id>.json`), the `run.py` checkpoint layout (`historical_trajectories/*.json`):
//! a JSON array with one result `{task_id, reward, info, traj, trial}` whose `traj` is the tool-calling agent's
//! OpenAI chat message list. The adapter names the run `<file stem>/task<task_id>-trial<trial>`, so the run id is
//! `<run_id>/task<index>-trial<repetition>` (the chain's run id, then the chain's index and repetition).
//!
//! tau-bench is a two-party exchange, so names do not survive: the custodian is `assistant`, the seeker `user`. A
//! tool call is an assistant message with `tool_calls` (content null; the adapter's content is the arguments); a
//! custodian thought directly followed by the custodian's tool call is that message's content (tau-bench's agent
//! writes its reasoning there; the adapter reads it as a THOUGHT); a tool result is a `tool` message with `name`.
//!
//! Cannot carry: agent names (roles only); the guardian (a third party has no role: its turns are left out);
//! thoughts not followed by a tool call of the custodian (left out); recipients (user ↔ assistant); times; the
//! run's condition.

use serde_json::{Value, json};

use super::{Part, call_id, to_vec_pretty};
use crate::error::Result;
use crate::simulate::chain::{Chain, Role, TurnKind};

/// The turn indexes written, with how: `Some(thought)` marks a tool call carrying a thought's text.
fn plan(chain: &Chain) -> Vec<(usize, Option<usize>)> {
    let mut out = Vec::new();
    let mut pending = None;
    for (n, turn) in chain.turns.iter().enumerate() {
        let thought = pending.take();
        match (&turn.kind, turn.role) {
            (_, Role::Guardian) => {}
            (TurnKind::Thought, Role::Custodian) => {
                let next = chain.turns.get(n + 1);
                if next.is_some_and(|t| t.role == Role::Custodian && matches!(t.kind, TurnKind::ToolCall { .. })) {
                    pending = Some(n);
                }
            }
            (TurnKind::Thought, _) => {}
            (TurnKind::ToolCall { .. }, Role::Custodian) => out.push((n, thought)),
            (TurnKind::ToolCall { .. }, _) => {}
            _ => out.push((n, None)),
        }
    }
    out
}

pub(super) fn encode(chain: &Chain) -> Result<Vec<Part>> {
    let mut traj: Vec<Value> = Vec::with_capacity(chain.turns.len());
    for (n, thought) in plan(chain) {
        let turn = &chain.turns[n];
        let role = if turn.role == Role::Seeker { "user" } else { "assistant" };
        traj.push(match &turn.kind {
            TurnKind::ToolCall { name, args } => json!({
                "role": "assistant",
                "content": thought.map(|t| chain.turns[t].text.as_str()),
                "tool_calls": [{"id": call_id(chain, n, "call_"), "type": "function", "function": {"name": name, "arguments": args}}],
            }),
            TurnKind::ToolResult { name } => json!({
                "role": "tool", "tool_call_id": call_id(chain, n, "call_"), "name": name, "content": turn.text,
            }),
            _ => json!({"role": role, "content": turn.text}),
        });
    }
    let result = json!([{
        "task_id": chain.index,
        "reward": 0.0,
        "info": {"task": {"user_id": chain.meta.title()}, "source": "user"},
        "traj": traj,
        "trial": chain.meta.repetition,
    }]);
    Ok(vec![Part::File { path: format!("taubench/{}.json", chain.run_id), bytes: to_vec_pretty(&result)? }])
}

#[cfg(test)]
pub(super) fn run_id(chain: &Chain) -> String {
    format!("{}/task{}-trial{}", chain.run_id, chain.index, chain.meta.repetition)
}

/// tau-bench: roles for names, the guardian and lone thoughts left out, a thought before a call kept as a THOUGHT.
#[cfg(test)]
pub(super) fn expected(chain: &Chain) -> Vec<super::tests::Expected> {
    let all = super::tests::identity(chain);
    let mut out = Vec::new();
    for (n, thought) in plan(chain) {
        let turn = &chain.turns[n];
        let mut e = all[n].clone();
        if let Some(t) = thought {
            let mut t = all[t].clone();
            t.0 = "assistant".into();
            out.push(t);
        }
        match &turn.kind {
            TurnKind::ToolCall { args, .. } => {
                e.0 = "assistant".into();
                e.2 = args.clone();
            }
            TurnKind::ToolResult { .. } => {}
            _ => e.0 = if turn.role == Role::Seeker { "user" } else { "assistant" }.into(),
        }
        out.push(e);
    }
    out
}
