//! AgentLeak benchmark traces (`agentleak/<run_id>.json`), one JSON document per trace as the benchmark's harness
//! saves them: `{trace_id, scenario_id, timestamp, model, vertical, attack_family, input: {vault, request,
//! allowed_set}, channel_messages: [{channel, source, target, content, has_leak, leaked_fields}], results}`.
//! `trace_id` is the run id.
//!
//! AgentLeak's agents all hold the vault and its requests come from the user, so the seeker is written as the
//! `user` (its name is lost) and every other speaker under its own name. A message is channel C1 when it is to or
//! from the user (the seeker), else C2 (inter-agent) to its first recipient; a tool call is channel C3 from the
//! caller to the tool. Cannot carry: thoughts and tool results (AgentLeak's channels have no
//! reasoning or tool-output channel: they are left out); the tool name and arguments of a call (C3 records only
//! `content`, the note text, and the tool as `target`: the adapter reads a TOOL_CALL with no tool name); further
//! recipients; per-turn times; ground truth (the vault is empty: the simulator's truth file holds it); trust,
//! defense, seed.

use serde::Serialize;
use serde_json::{Value, json};

use super::{Part, to_vec_pretty, ts_iso_micros};
use crate::error::Result;
use crate::simulate::chain::{Chain, Role, TurnKind};

#[derive(Serialize)]
struct Trace<'a> {
    trace_id: &'a str,
    scenario_id: &'a str,
    timestamp: String,
    model: &'a str,
    vertical: &'static str,
    attack_family: Option<()>,
    input: Value,
    channel_messages: Vec<Value>,
    results: Value,
}

pub(super) fn encode(chain: &Chain) -> Result<Vec<Part>> {
    let mut messages = Vec::with_capacity(chain.turns.len());
    let seekers: Vec<&str> =
        chain.turns.iter().filter(|t| t.role == Role::Seeker).map(|t| t.speaker.as_str()).collect();
    let as_user = |name: &str| if seekers.contains(&name) { "user" } else { name }.to_string();
    for turn in &chain.turns {
        let source = as_user(&turn.speaker);
        let target = as_user(turn.recipients.first().map_or("", String::as_str));
        let channel = match &turn.kind {
            TurnKind::Message if target == "user" || source == "user" => "C1",
            TurnKind::Message => "C2",
            TurnKind::ToolCall { .. } => "C3",
            TurnKind::Thought | TurnKind::ToolResult { .. } => continue,
        };
        let target = super::tool_of(turn).map_or(target, str::to_string);
        messages.push(json!({
            "channel": channel, "source": source, "target": target, "content": turn.text,
            "has_leak": false, "leaked_fields": [],
        }));
    }
    // The harness's key order: the sniffer needs `trace_id`, `vault` and `allowed_set` in the file's head.
    let trace = Trace {
        trace_id: &chain.run_id,
        scenario_id: chain.meta.title(),
        timestamp: ts_iso_micros(chain.started_at_us()),
        model: &chain.model,
        vertical: "simulated",
        attack_family: None,
        input: json!({"vault": {}, "request": "", "allowed_set": {"fields": [], "forbidden_fields": []}}),
        channel_messages: messages,
        results: json!({"single_leaked": false, "multi_leaked": false}),
    };
    Ok(vec![Part::File { path: format!("agentleak/{}.json", chain.run_id), bytes: to_vec_pretty(&trace)? }])
}

/// AgentLeak: thoughts and tool results left out; a tool call has no tool name or arguments; the seeker is `user`.
#[cfg(test)]
pub(super) fn expected(chain: &Chain) -> Vec<super::tests::Expected> {
    super::tests::identity(chain)
        .into_iter()
        .zip(&chain.turns)
        .filter(|(_, t)| matches!(t.kind, TurnKind::Message | TurnKind::ToolCall { .. }))
        .map(|(mut e, t)| {
            e.3 = None;
            e.4 = None;
            if t.role == Role::Seeker {
                e.0 = "user".into();
            }
            e
        })
        .collect()
}
