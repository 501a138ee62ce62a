//! The AutoGen family: AgentChat 0.4 team state, AutoGen 0.2 / AG2 runtime logs (file and SQLite) and saved chat
//! histories, and Magentic-One histories.
//!
//! - `autogen04/<run_id>.json`: `team.save_state()` of a RoundRobinGroupChat, `{type: TeamState, team_id, agent_states:
//!   {group_chat_manager: {type: RoundRobinManagerState, message_thread: [...]}}}`; `team_id` is the run id. A message
//!   is a `TextMessage`, a thought a `ThoughtEvent`, a tool call a `ToolCallRequestEvent` (one `FunctionCall`), a tool
//!   result a `ToolCallExecutionEvent` (one `FunctionExecutionResult`) of the calling agent. Cannot carry: recipients
//!   (team chat: the adapter derives every other participant); the result's speaker (read as the tool); a tool
//!   call's note text (content is the arguments); the run's condition.
//! - `autogen02-log/runtime-NNN.log` (many chains per file): the `FileLogger`'s `Started new session with Session ID:
//!   <run_id>` line, then one `received_message` event per receiver (`json_state` = `{message, sender, valid}`, the
//!   message OpenAI-style with the speaker's `name`). The first recipient receives from the speaker; each further one
//!   receives the group chat manager's relay (`sender` chat_manager, `name` the speaker), which the adapter folds into
//!   the same message. A tool call is a message with `tool_calls` (content null), a result a `tool_responses`
//!   message. Cannot carry: thoughts (AutoGen 0.2 logs no reasoning: they are left out); a tool call's note text
//!   (content is the arguments); a call with no recipient (it is sent to the tool); the run's condition.
//! - `autogen02-sqlite/logs-NNN.db` (many chains per database, rotated at 256 MiB as the adapter reads it whole): the same `received_message` events as rows of `SqliteLogger`'s
//!   `events`, each agent registered in `agents` with the session id = run id and its `llm_config` model (the
//!   adapter's backend). Same limits as the file log.
//! - `autogen02-chat/<run_id>.json`: a `ChatResult` (`chat_id`, `chat_history`, `summary`, `cost`, `human_input`)
//!   as `json.dump(chat_result.__dict__)` saves it. Cannot carry: the run id (the adapter derives it from the file:
//!   `<run_id>-<content hash>`); recipients (broadcast); thoughts (left out); a tool call's note text; times.
//! - `magentic-one/<run_id>.json`: a Who&When-style history `{history: [{content, role}]}` with Magentic-One's labels:
//!   `Name` (a reply to the team), `Name (-> X)` (to one addressee), `Name (thought)`. Magentic-One's history always
//!   opens with the Orchestrator's plan (`Orchestrator (thought)`), which is also how the adapter recognizes the file:
//!   that one THOUGHT of `Orchestrator` (text: the scenario id) precedes the turns. Cannot carry: the run id (file
//!   name and hash, as above); tool calls and results (Magentic-One agents report actions as text; they are left out,
//!   never written as messages to the tool); several named recipients (broadcast); times; the run's condition.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Value, json};

use super::{Part, SqlRow, call_id, hash, to_vec, to_vec_pretty, ts_iso_micros, ts_space_micros, uuid};
use crate::error::Result;
use crate::format::Format;
use crate::simulate::chain::{Chain, Turn, TurnKind};

// ---- AgentChat 0.4 ----

pub(super) fn encode_04(chain: &Chain) -> Result<Vec<Part>> {
    let run = &chain.run_id;
    let mut thread: Vec<Value> = Vec::with_capacity(chain.turns.len());
    for (n, turn) in chain.turns.iter().enumerate() {
        let id = uuid(run, n as u64, "autogen04");
        let at = ts_iso_micros(turn.ts_us);
        let usage = json!({"prompt_tokens": 0, "completion_tokens": 0});
        thread.push(match &turn.kind {
            TurnKind::Message => json!({
                "id": id, "source": turn.speaker, "models_usage": usage, "metadata": {}, "created_at": at,
                "content": turn.text, "type": "TextMessage",
            }),
            TurnKind::Thought => json!({
                "id": id, "source": turn.speaker, "models_usage": null, "metadata": {}, "created_at": at,
                "content": turn.text, "type": "ThoughtEvent",
            }),
            TurnKind::ToolCall { name, args } => json!({
                "id": id, "source": turn.speaker, "models_usage": usage, "metadata": {}, "created_at": at,
                "content": [{"id": call_id(chain, n, "call_"), "arguments": args, "name": name}],
                "type": "ToolCallRequestEvent",
            }),
            TurnKind::ToolResult { name } => json!({
                "id": id, "source": turn.recipients.first().unwrap_or(&turn.speaker), "models_usage": null,
                "metadata": {}, "created_at": at,
                "content": [{"content": turn.text, "name": name, "call_id": call_id(chain, n, "call_"), "is_error": false}],
                "type": "ToolCallExecutionEvent",
            }),
        });
    }
    let state = json!({
        "type": "TeamState",
        "version": "1.0.0",
        "team_id": run,
        "agent_states": {
            "group_chat_manager": {
                "type": "RoundRobinManagerState",
                "version": "1.0.0",
                "message_thread": thread,
                "current_turn": chain.turns.len(),
                "next_speaker_index": 0,
            }
        },
    });
    Ok(vec![Part::File { path: format!("autogen04/{run}.json"), bytes: to_vec_pretty(&state)? }])
}

/// AgentChat 0.4: tool call content = arguments, tool result sender = the tool.
#[cfg(test)]
pub(super) fn expected_04(chain: &Chain) -> Vec<super::tests::Expected> {
    super::tests::args_as_content(chain)
}

// ---- AutoGen 0.2 ----

/// A turn as the OpenAI-style message AutoGen 0.2 sends (`None` for a thought: 0.2 records no reasoning).
fn oai_message(chain: &Chain, n: usize, turn: &Turn) -> Option<Value> {
    Some(match &turn.kind {
        TurnKind::Message => json!({"content": turn.text, "role": "assistant", "name": turn.speaker}),
        TurnKind::Thought => return None,
        TurnKind::ToolCall { name, args } => json!({
            "content": null, "role": "assistant", "name": turn.speaker,
            "tool_calls": [{"id": call_id(chain, n, "call_"), "function": {"arguments": args, "name": name}, "type": "function"}],
        }),
        TurnKind::ToolResult { .. } => json!({
            "content": turn.text, "role": "tool", "name": turn.speaker,
            "tool_responses": [{"tool_call_id": call_id(chain, n, "call_"), "role": "tool", "content": turn.text}],
        }),
    })
}

/// The group chat manager that relays a message to its further recipients.
const MANAGER: &str = "chat_manager";

/// Each `received_message` event of a chain: (receiver, json_state, timestamp).
fn received_events(chain: &Chain) -> Result<Vec<(String, String, String)>> {
    let mut events = Vec::new();
    for (n, turn) in chain.turns.iter().enumerate() {
        let Some(message) = oai_message(chain, n, turn) else { continue };
        let ts = ts_space_micros(turn.ts_us);
        let tool = super::tool_of(turn).unwrap_or(MANAGER);
        let receivers: Vec<&str> =
            if turn.recipients.is_empty() { vec![tool] } else { turn.recipients.iter().map(String::as_str).collect() };
        for (k, receiver) in receivers.iter().enumerate() {
            let sender = if k == 0 { turn.speaker.as_str() } else { MANAGER };
            let state = json!({"message": message, "sender": sender, "valid": true});
            events.push((receiver.to_string(), String::from_utf8(to_vec(&state)?).unwrap_or_default(), ts.clone()));
        }
    }
    Ok(events)
}

pub(super) fn encode_log(chain: &Chain) -> Result<Vec<Part>> {
    let run = &chain.run_id;
    let mut bytes = format!("Started new session with Session ID: {run}\n").into_bytes();
    for (receiver, json_state, ts) in received_events(chain)? {
        let record = json!({
            "source_id": agent_id(run, &receiver), "source_name": receiver, "event_name": "received_message",
            "agent_module": "autogen.agentchat.conversable_agent", "agent_class": "ConversableAgent",
            "json_state": json_state, "timestamp": ts, "thread_id": 0,
        });
        bytes.extend(to_vec(&record)?);
        bytes.push(b'\n');
    }
    Ok(vec![Part::Append { dir: Format::Autogen02Log.name(), prefix: "runtime", ext: "log", bytes }])
}

/// An agent's id (Python's `id(agent)`), unique per run and name.
fn agent_id(run_id: &str, name: &str) -> i64 {
    (hash(run_id, 0, name) >> 2) as i64
}

pub(super) fn encode_sqlite(chain: &Chain) -> Result<Vec<Part>> {
    let run = &chain.run_id;
    let events = received_events(chain)?;
    let names: BTreeSet<&str> = events.iter().map(|(receiver, _, _)| receiver.as_str()).collect();
    let registered = ts_space_micros(chain.started_at_us() - 1_000);
    let mut rows: Vec<SqlRow> = names
        .iter()
        .map(|name| SqlRow::Agent {
            agent_id: agent_id(run, name),
            session_id: run.clone(),
            name: name.to_string(),
            class: "ConversableAgent".into(),
            init_args: json!({"name": name, "llm_config": {"config_list": [{"model": chain.model}]}}).to_string(),
            timestamp: registered.clone(),
        })
        .collect();
    rows.extend(events.into_iter().map(|(receiver, json_state, timestamp)| SqlRow::Event {
        source_id: agent_id(run, &receiver),
        source_name: receiver,
        event_name: "received_message".into(),
        json_state,
        timestamp,
    }));
    Ok(vec![Part::Sqlite(rows)])
}

#[derive(Serialize)]
struct ChatResult<'a> {
    chat_id: u64,
    chat_history: Vec<Value>,
    summary: &'a str,
    cost: Value,
    human_input: Vec<Value>,
}

pub(super) fn encode_chat(chain: &Chain) -> Result<Vec<Part>> {
    let history: Vec<Value> =
        chain.turns.iter().enumerate().filter_map(|(n, turn)| oai_message(chain, n, turn)).collect();
    let summary = chain.turns.iter().rev().find(|t| t.kind == TurnKind::Message).map_or("", |t| t.text.as_str());
    // `ChatResult` field order: `chat_id` ahead of the history, so the sniffer sees it in the head.
    let result = ChatResult {
        chat_id: chain.index,
        chat_history: history,
        summary,
        cost: json!({
            "usage_including_cached_inference": {"total_cost": 0},
            "usage_excluding_cached_inference": {"total_cost": 0},
        }),
        human_input: Vec::new(),
    };
    Ok(vec![Part::File { path: format!("autogen02-chat/{}.json", chain.run_id), bytes: to_vec_pretty(&result)? }])
}

/// AutoGen 0.2: thoughts left out, tool call content = arguments.
#[cfg(test)]
pub(super) fn expected_02(chain: &Chain) -> Vec<super::tests::Expected> {
    super::tests::identity(chain)
        .into_iter()
        .zip(&chain.turns)
        .filter(|(_, t)| t.kind != TurnKind::Thought)
        .map(|(mut e, t)| {
            if let TurnKind::ToolCall { args, .. } = &t.kind {
                e.2 = args.clone();
            }
            e
        })
        .collect()
}

// ---- Magentic-One ----

pub(super) fn encode_magentic_one(chain: &Chain) -> Result<Vec<Part>> {
    let mut history = vec![json!({"content": chain.meta.title(), "role": "Orchestrator (thought)"})];
    for turn in &chain.turns {
        let role = match &turn.kind {
            TurnKind::Message => match turn.recipients.as_slice() {
                [one] => format!("{} (-> {one})", turn.speaker),
                _ => turn.speaker.clone(),
            },
            TurnKind::Thought => format!("{} (thought)", turn.speaker),
            TurnKind::ToolCall { .. } | TurnKind::ToolResult { .. } => continue,
        };
        history.push(json!({"content": turn.text, "role": role}));
    }
    let doc = json!({
        "history": history,
        "question": chain.meta.title(),
        "ground_truth": "",
        "is_corrected": false,
        "question_ID": chain.run_id,
        "mistake_agent": "",
        "mistake_step": "",
        "mistake_reason": "",
    });
    Ok(vec![Part::File { path: format!("magentic-one/{}.json", chain.run_id), bytes: to_vec_pretty(&doc)? }])
}

/// Magentic-One: the Orchestrator's opening thought, then messages and thoughts; tool turns left out.
#[cfg(test)]
pub(super) fn expected_magentic_one(chain: &Chain) -> Vec<super::tests::Expected> {
    let open = ("Orchestrator".to_string(), crate::schema::kind::THOUGHT, chain.meta.title().to_string(), None, None);
    std::iter::once(open)
        .chain(
            super::tests::identity(chain)
                .into_iter()
                .zip(&chain.turns)
                .filter(|(_, t)| matches!(t.kind, TurnKind::Message | TurnKind::Thought))
                .map(|(e, _)| e),
        )
        .collect()
}
