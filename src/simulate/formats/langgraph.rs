//! LangGraph thread state (`langgraph/<run_id>.json`), as the LangGraph API returns `GET /threads/{id}/state` (and
//! `graph.get_state(config)` dumps): `{values: {messages: [...]}, next, config: {configurable: {thread_id}},
//! metadata, created_at, parent_config, tasks}`, messages in LangChain's flat `model_dump` form (`type` ai / tool,
//! `name` = the agent, as multi-agent supervisor and swarm graphs set it). The thread id is the run id.
//!
//! A message is an `ai` message with string content; a thought is a `thinking` content block of an `ai` message
//! (Anthropic-style reasoning, a THOUGHT with no recipient); a tool call is an `ai` message with empty content and
//! one `tool_calls` entry `{name, args, id}`; a tool result a `tool` message `{name, tool_call_id}`. A thought is
//! written in the same `ai` message as the speaker's next message or tool call when that directly follows it (as a
//! model reply holds both); a thought that nothing of its speaker follows is written alone, and the adapter then
//! also reads an empty message beside it (LangChain always has a text part for an AI message without tool calls):
//! that empty message is the one documented addition.
//!
//! Cannot carry: recipients (the state is shared: the adapter derives every other speaker, the tool, the caller);
//! the tool result's speaker (the adapter names the tool); a tool call's note text (content is the arguments);
//! argument formatting (`args` is an object, read back as compact JSON with sorted keys); times and the run's
//! condition (use the manifest).

use serde::Serialize;
use serde_json::{Value, json};

use super::{Part, args_value, call_id, to_vec_pretty, ts_iso_micros, uuid};
use crate::error::Result;
use crate::simulate::chain::{Chain, TurnKind};

#[derive(Serialize)]
struct Values<'a> {
    messages: Vec<LcMessage<'a>>,
}

#[derive(Serialize)]
struct State<'a> {
    values: Values<'a>,
    next: Vec<Value>,
    tasks: Vec<Value>,
    metadata: Value,
    created_at: String,
    checkpoint: Value,
    parent_checkpoint: Option<Value>,
}

/// A LangChain message in `model_dump` field order (`content` first, as the sniffer and real dumps have it).
#[derive(Serialize)]
pub(super) struct LcMessage<'a> {
    content: Value,
    additional_kwargs: Value,
    response_metadata: Value,
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    example: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invalid_tool_calls: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage_metadata: Option<Option<()>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_call_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact: Option<Option<()>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
}

impl<'a> LcMessage<'a> {
    fn ai(name: &'a str, id: String, content: Value, model: &Value, tool_calls: Vec<Value>) -> LcMessage<'a> {
        LcMessage {
            content,
            additional_kwargs: json!({}),
            response_metadata: model.clone(),
            kind: "ai",
            name,
            id,
            example: Some(false),
            tool_calls: Some(tool_calls),
            invalid_tool_calls: Some(Vec::new()),
            usage_metadata: Some(None),
            tool_call_id: None,
            artifact: None,
            status: None,
        }
    }
}

/// The chain as LangChain messages, each with the index of the turn it records (a thought joined to the speaker's
/// next message or tool call is recorded with that turn).
pub(super) fn lc_messages(chain: &Chain) -> Vec<(usize, LcMessage<'_>)> {
    let mut messages = Vec::with_capacity(chain.turns.len());
    let mut pending: Option<&str> = None; // a thought waiting for its speaker's next message
    let model = json!({"model_name": chain.model});
    for (n, turn) in chain.turns.iter().enumerate() {
        let id = format!("run-{}", uuid(&chain.run_id, n as u64, "langgraph"));
        let thinking = pending.take().map(|t| json!({"type": "thinking", "thinking": t}));
        let speaker = turn.speaker.as_str();
        let message = match &turn.kind {
            TurnKind::Thought => {
                if joins_next(chain, n) {
                    pending = Some(&turn.text);
                    continue;
                }
                let content = json!([{"type": "thinking", "thinking": turn.text}]);
                LcMessage::ai(speaker, id, content, &model, Vec::new())
            }
            TurnKind::Message => {
                let content = match thinking {
                    Some(t) => json!([t, {"type": "text", "text": turn.text}]),
                    None => json!(turn.text),
                };
                LcMessage::ai(speaker, id, content, &model, Vec::new())
            }
            TurnKind::ToolCall { name, args } => {
                let content = match thinking {
                    Some(t) => json!([t]),
                    None => json!(""),
                };
                let call = json!({"name": name, "args": args_value(args), "id": call_id(chain, n, "call_"), "type": "tool_call"});
                LcMessage::ai(speaker, id, content, &model, vec![call])
            }
            TurnKind::ToolResult { name } => LcMessage {
                content: json!(turn.text),
                additional_kwargs: json!({}),
                response_metadata: json!({}),
                kind: "tool",
                name,
                id,
                example: None,
                tool_calls: None,
                invalid_tool_calls: None,
                usage_metadata: None,
                tool_call_id: Some(call_id(chain, n, "call_")),
                artifact: Some(None),
                status: Some("success"),
            },
        };
        messages.push((n, message));
    }
    messages
}

/// Whether thought `n` is written inside its speaker's next message or tool call (which directly follows it).
fn joins_next(chain: &Chain, n: usize) -> bool {
    chain.turns.get(n + 1).is_some_and(|next| {
        next.speaker == chain.turns[n].speaker && matches!(next.kind, TurnKind::Message | TurnKind::ToolCall { .. })
    })
}

pub(super) fn encode(chain: &Chain) -> Result<Vec<Part>> {
    let messages: Vec<LcMessage> = lc_messages(chain).into_iter().map(|(_, m)| m).collect();
    let thread = &chain.run_id;
    let last = chain.turns.last().map_or(0, |t| t.ts_us);
    // The API's field order: `values` first, so the sniffer sees the messages in the head.
    let state = State {
        values: Values { messages },
        next: Vec::new(),
        tasks: Vec::new(),
        metadata: json!({"thread_id": thread, "source": "loop", "step": chain.turns.len()}),
        created_at: ts_iso_micros(last),
        checkpoint: json!({"thread_id": thread, "checkpoint_ns": "", "checkpoint_id": uuid(thread, u64::MAX, "checkpoint")}),
        parent_checkpoint: None,
    };
    Ok(vec![Part::File { path: format!("langgraph/{thread}.json"), bytes: to_vec_pretty(&state)? }])
}

/// The documented mapping: tool call content = arguments, tool result sender = the tool, a lone thought adds an
/// empty message of its speaker.
#[cfg(test)]
pub(super) fn expected(chain: &Chain) -> Vec<super::tests::Expected> {
    let mut out = Vec::new();
    for (n, (e, turn)) in super::tests::identity(chain).into_iter().zip(&chain.turns).enumerate() {
        let mut e = e;
        match &turn.kind {
            TurnKind::ToolCall { args, .. } => e.2 = args.clone(),
            TurnKind::ToolResult { name } => e.0 = name.clone(),
            TurnKind::Thought if !joins_next(chain, n) => {
                out.push(e.clone());
                e = (turn.speaker.clone(), crate::schema::kind::MESSAGE, String::new(), None, None);
            }
            _ => {}
        }
        out.push(e);
    }
    out
}
