//! AgentScope 1.x session state (`agentscope/sessions/<run_id>.json`), as `JSONSession(session_id,
//! save_dir).save_session_state(**agents)` writes it: `{<agent>: {"memory": {"content": [Msg.to_dict(), ...]},
//! "name": <agent>}}`, each Msg `{id (22-char shortuuid), name, role, content: [blocks], metadata, timestamp
//! (millisecond)}`. The session id (the file stem) is the run id.
//!
//! Each turn is one Msg in its speaker's memory (a tool result in its caller's): a message is a `text` block, a
//! thought a `thinking` block (the reasoning block of 1.x replies, so it ingests as a THOUGHT with no recipient), a
//! tool call a `tool_use` block, a tool result a `tool_result` block in a `system` Msg, as ReActAgent records them.
//! We use 1.x rather than the 0.x `logging.chat` because a 0.x DictDialogAgent `thought` always comes with a `speak`
//! (the adapter would add an empty message for a thought spoken alone); a 1.x `thinking` block stands alone.
//!
//! Cannot carry: recipients (AgentScope's msghub broadcasts; the adapter derives them: every other speaker, the
//! tool, the caller); the tool result's speaker (the adapter names the tool); a tool call's note text (the adapter's
//! content is the arguments); argument formatting (`input` is a JSON object, read back as compact JSON with sorted
//! keys); microseconds (timestamps are milliseconds; the adapter orders a session by timestamp, so a turn whose
//! millisecond equals its predecessor's is written 1 ms later); the run's condition (use the manifest).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::{Part, args_value, call_id, hash, to_vec, utc};
use crate::error::Result;
use crate::simulate::chain::{Chain, TurnKind};

#[derive(Serialize)]
struct Msg<'a> {
    id: String,
    name: &'a str,
    role: &'static str,
    content: [Value; 1],
    metadata: Option<()>,
    timestamp: String,
}

#[derive(Serialize)]
struct Memory<'a> {
    content: Vec<Msg<'a>>,
}

#[derive(Serialize)]
struct AgentState<'a> {
    memory: Memory<'a>,
    name: &'a str,
}

/// A shortuuid-shaped id: 22 characters of shortuuid's 57-letter alphabet.
fn short_uuid(run_id: &str, n: u64) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut value = (u128::from(hash(run_id, n, "agentscope-id")) << 64) | u128::from(hash(run_id, n, "as2"));
    (0..22)
        .map(|_| {
            let c = ALPHABET[(value % 57) as usize] as char;
            value /= 57;
            c
        })
        .collect()
}

pub(super) fn encode(chain: &Chain) -> Result<Vec<Part>> {
    let mut states: BTreeMap<&str, AgentState> = BTreeMap::new();
    let mut last_ms = i64::MIN;
    for (n, turn) in chain.turns.iter().enumerate() {
        let ms = (turn.ts_us.div_euclid(1000)).max(last_ms.saturating_add(1));
        last_ms = ms;
        let (owner, name, role, block) = match &turn.kind {
            TurnKind::Message => {
                (turn.speaker.as_str(), turn.speaker.as_str(), "assistant", json!({"type": "text", "text": turn.text}))
            }
            TurnKind::Thought => (
                turn.speaker.as_str(),
                turn.speaker.as_str(),
                "assistant",
                json!({"type": "thinking", "thinking": turn.text}),
            ),
            TurnKind::ToolCall { name, args } => (
                turn.speaker.as_str(),
                turn.speaker.as_str(),
                "assistant",
                json!({"type": "tool_use", "id": call_id(chain, n, "call_"), "name": name, "input": args_value(args)}),
            ),
            TurnKind::ToolResult { name } => (
                turn.recipients.first().map_or(turn.speaker.as_str(), String::as_str),
                "system",
                "system",
                json!({"type": "tool_result", "id": call_id(chain, n, "call_"), "name": name, "output": turn.text}),
            ),
        };
        let msg = Msg {
            id: short_uuid(&chain.run_id, n as u64),
            name,
            role,
            content: [block],
            metadata: None,
            timestamp: utc(ms * 1000).format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        };
        states
            .entry(owner)
            .or_insert_with(|| AgentState { memory: Memory { content: Vec::new() }, name: owner })
            .memory
            .content
            .push(msg);
    }
    let bytes = to_vec(&states)?;
    Ok(vec![Part::File { path: format!("agentscope/sessions/{}.json", chain.run_id), bytes }])
}

/// The documented mapping: a tool call's content is its arguments, a tool result's sender its tool.
#[cfg(test)]
pub(super) fn expected(chain: &Chain) -> Vec<super::tests::Expected> {
    super::tests::args_as_content(chain)
}
