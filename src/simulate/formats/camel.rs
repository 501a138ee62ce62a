//! CAMEL RolePlaying session dumps (`camel-roleplay/<run_id>.json`), the ai_society layout CAMEL's
//! `role_playing_multiprocess.py` writes: `{role_1: "<assistant>_RoleType.ASSISTANT", role_2: "<user>_RoleType.USER",
//! id, original_task, message_1 … message_n ({role_name, role_type, role, content}), termination_reason,
//! num_messages}`; `id` is the run id. The custodian plays the AI assistant (role_1), the seeker the AI user
//! (role_2), a guardian the CRITIC of CAMEL's critic-in-the-loop (which speaks to both).
//!
//! Cannot carry: thoughts, tool calls and tool results (a RolePlaying dump holds only the two agents' chat messages:
//! they are left out); recipients (derived from the role types); times; the run's condition. `original_task` is
//! written empty, so the adapter adds no task message.

use serde::Serialize;
use serde_json::json;

use super::Part;
use crate::error::{Error, Result};
use crate::simulate::chain::{Chain, Role, TurnKind};

/// Append `"key":value` (with a leading comma unless first) to a JSON object being written in a fixed key order.
fn member(out: &mut Vec<u8>, key: &str, value: &impl Serialize) -> Result<()> {
    out.push(if out.len() > 1 { b',' } else { b'\n' });
    serde_json::to_writer(&mut *out, key)
        .and_then(|_| {
            out.extend_from_slice(b": ");
            serde_json::to_writer(&mut *out, value)
        })
        .map_err(|e| Error::Internal(format!("cannot serialize a simulated record: {e}")))
}

pub(super) fn encode_roleplay(chain: &Chain) -> Result<Vec<Part>> {
    let name_of = |role: Role, fallback: &str| {
        chain.turns.iter().find(|t| t.role == role).map_or(fallback.to_string(), |t| t.speaker.clone())
    };
    let assistant = name_of(Role::Custodian, "Assistant");
    let user = name_of(Role::Seeker, "User");
    let mut out = Vec::with_capacity(256 * chain.turns.len());
    out.push(b'{');
    member(&mut out, "role_1", &format!("{assistant}_RoleType.ASSISTANT"))?;
    member(&mut out, "role_2", &format!("{user}_RoleType.USER"))?;
    member(&mut out, "id", &chain.run_id)?;
    member(&mut out, "original_task", &"")?;
    let mut k = 0;
    for turn in chain.turns.iter().filter(|t| t.kind == TurnKind::Message) {
        k += 1;
        let (role_type, role) = match turn.role {
            Role::Custodian => ("RoleType.ASSISTANT", "assistant"),
            Role::Seeker => ("RoleType.USER", "user"),
            Role::Guardian => ("RoleType.CRITIC", "assistant"),
            Role::Tool => ("RoleType.DEFAULT", "tool"),
        };
        let message = json!({"role_name": turn.speaker, "role_type": role_type, "meta_dict": null, "role": role, "content": turn.text});
        member(&mut out, &format!("message_{k}"), &message)?;
    }
    member(&mut out, "termination_reason", &"max_num_messages")?;
    member(&mut out, "num_messages", &k)?;
    out.extend_from_slice(b"\n}\n");
    Ok(vec![Part::File { path: format!("camel-roleplay/{}.json", chain.run_id), bytes: out }])
}

/// CAMEL RolePlaying: only the messages.
#[cfg(test)]
pub(super) fn expected_roleplay(chain: &Chain) -> Vec<super::tests::Expected> {
    super::tests::messages_only(chain)
}

// ---- Workforce ----

/// CAMEL Workforce event log (`camel-workforce/<run_id>.json`, `WorkforceLogger.dump_to_json()`): a JSON array of
/// events with `workforce_id` = the run id. Each agent is a `worker_created` worker whose `role` opens with its name
/// (`"Chen: custodian"`); each message turn is a subtask of the run's task (`task_created` with a parent, silent)
/// completed by its speaker (`task_completed`, `result_summary` = the text): the worker's reply to the coordinator.
/// Cannot carry: thoughts, tool calls and results (the Workforce log records only task descriptions and results:
/// left out); recipients (always the coordinator); names with a colon (the adapter keeps what precedes it) or longer
/// than 60 characters (cut); the run's condition.
pub(super) fn encode_workforce(chain: &Chain) -> Result<Vec<Part>> {
    use super::{hash, ts_iso_micros};
    let run = &chain.run_id;
    let worker_id = |name: &str| super::uuid(run, hash(run, 0, name), "worker");
    let mut events = Vec::new();
    let mut workers: Vec<&str> = Vec::new();
    let start = ts_iso_micros(chain.started_at_us());
    let root = format!("{}", hash(run, 0, "root-task"));
    for turn in chain.turns.iter().filter(|t| t.kind == TurnKind::Message) {
        if !workers.contains(&turn.speaker.as_str()) {
            workers.push(&turn.speaker);
            events.push(json!({
                "timestamp": start, "workforce_id": run, "event_type": "worker_created",
                "worker_id": worker_id(&turn.speaker), "worker_type": "SingleAgentWorker",
                "role": format!("{}: {}", turn.speaker, turn.role.as_str()), "metadata": {},
            }));
        }
    }
    for (n, turn) in chain.turns.iter().enumerate().filter(|(_, t)| t.kind == TurnKind::Message) {
        let at = ts_iso_micros(turn.ts_us);
        let task = format!("{root}.{n}");
        events.push(json!({
            "timestamp": at, "workforce_id": run, "event_type": "task_created", "task_id": task,
            "description": format!("turn {n} of {}", chain.meta.title()), "parent_task_id": root,
            "task_type": null, "metadata": {},
        }));
        events.push(json!({
            "timestamp": at, "workforce_id": run, "event_type": "task_completed", "task_id": task,
            "worker_id": worker_id(&turn.speaker), "result_summary": turn.text, "processing_time_seconds": 0.0,
            "token_usage": null, "metadata": {},
        }));
    }
    events.push(json!({
        "timestamp": chain.turns.last().map_or(start.clone(), |t| ts_iso_micros(t.ts_us)), "workforce_id": run,
        "event_type": "all_tasks_completed", "metadata": {},
    }));
    let mut out = b"[\n".to_vec();
    for (k, event) in events.iter().enumerate() {
        if k > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend(super::to_vec(event)?);
    }
    out.extend_from_slice(b"\n]\n");
    Ok(vec![Part::File { path: format!("camel-workforce/{run}.json"), bytes: out }])
}

// ---- model-call logs ----

/// One model call as `BaseModelBackend._log_request`/`_log_response` write it, in their key order.
#[derive(Serialize)]
struct ModelCall<'a> {
    request_timestamp: String,
    model: &'a str,
    agent_id: &'a str,
    request: serde_json::Value,
    response_timestamp: Option<String>,
    response: Option<serde_json::Value>,
}

/// The turns a model-call log records: the custodian is the ChatAgent (`assistant`), the seeker its `user`; a
/// custodian thought is kept only as the `reasoning_content` of the custodian's reply directly after it.
fn model_log_plan(chain: &Chain) -> Vec<(usize, Option<usize>)> {
    let mut out = Vec::new();
    for (n, turn) in chain.turns.iter().enumerate() {
        match (turn.role, &turn.kind) {
            (Role::Seeker, TurnKind::Message) | (_, TurnKind::ToolResult { .. }) => out.push((n, None)),
            (Role::Custodian, TurnKind::Message | TurnKind::ToolCall { .. }) => {
                let thought = n
                    .checked_sub(1)
                    .filter(|&p| chain.turns[p].role == Role::Custodian && chain.turns[p].kind == TurnKind::Thought);
                out.push((n, thought));
            }
            _ => {}
        }
    }
    out
}

/// CAMEL model-call logs (`camel-model-log/camel_logs/<run_id>/conv_<%Y%m%d_%H%M%S_%f>.json`, one file per model
/// call, `CAMEL_MODEL_LOG_ENABLED=true`): `{request_timestamp, model, agent_id, request: {messages,
/// model_config_dict}, response_timestamp, response: <ChatCompletion>}`, `agent_id` = the run id. The custodian is
/// the ChatAgent: each of its replies (a message, or a tool call with `tool_calls`) is a call's response, the
/// request holding the conversation so far (the seeker's messages as `user`, tool results as `tool`); turns after
/// the last reply are a last call without a response. Cannot carry: names (roles only); the guardian and the
/// seeker's non-messages (left out); thoughts other than one directly before the custodian's reply (that one is the
/// reply's `reasoning_content`; others are left out); a tool call's note text (content is the arguments).
pub(super) fn encode_model_log(chain: &Chain) -> Result<Vec<Part>> {
    use super::{call_id, utc};
    let run = &chain.run_id;
    let local = |ts: i64| utc(ts).format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
    let mut parts = Vec::new();
    let mut history: Vec<serde_json::Value> = Vec::new();
    let mut pending_since: Option<i64> = None;
    let write = |history: &[serde_json::Value], request_ts: i64, response: Option<(i64, serde_json::Value)>| {
        let call = ModelCall {
            request_timestamp: local(request_ts),
            model: &chain.model,
            agent_id: run,
            request: json!({"messages": history, "model_config_dict": {"temperature": 0.2}}),
            response_timestamp: response.as_ref().map(|(ts, _)| local(*ts)),
            response: response.map(|(_, r)| r),
        };
        let name = utc(request_ts).format("%Y%m%d_%H%M%S_%6f");
        super::to_vec_pretty(&call)
            .map(|bytes| Part::File { path: format!("camel-model-log/camel_logs/{run}/conv_{name}.json"), bytes })
    };
    for (n, thought) in model_log_plan(chain) {
        let turn = &chain.turns[n];
        let message = match &turn.kind {
            TurnKind::ToolResult { name } => {
                json!({"role": "tool", "content": turn.text, "tool_call_id": call_id(chain, n, "call_"), "name": name})
            }
            TurnKind::Message if turn.role == Role::Seeker => json!({"role": "user", "content": turn.text}),
            kind => {
                let mut reply = match kind {
                    TurnKind::ToolCall { name, args } => json!({
                        "role": "assistant", "content": null,
                        "tool_calls": [{"id": call_id(chain, n, "call_"), "type": "function", "function": {"name": name, "arguments": args}}],
                    }),
                    _ => json!({"role": "assistant", "content": turn.text}),
                };
                if let Some(t) = thought {
                    reply["reasoning_content"] = json!(chain.turns[t].text);
                }
                let request_ts = pending_since.take().unwrap_or(turn.ts_us - 1);
                let completion = json!({
                    "id": format!("chatcmpl-{}", super::uuid(run, n as u64, "camel")), "object": "chat.completion",
                    "created": turn.ts_us / 1_000_000, "model": chain.model,
                    "choices": [{"index": 0, "message": reply, "finish_reason": "stop"}],
                });
                parts.push(write(&history, request_ts, Some((turn.ts_us, completion)))?);
                history.push(reply);
                continue;
            }
        };
        pending_since.get_or_insert(turn.ts_us);
        history.push(message);
    }
    if let Some(since) = pending_since {
        parts.push(write(&history, since, None)?);
    }
    Ok(parts)
}

/// CAMEL model-call logs: roles for names, tool call content = arguments, the kept thought before its reply.
#[cfg(test)]
pub(super) fn expected_model_log(chain: &Chain) -> Vec<super::tests::Expected> {
    let all = super::tests::identity(chain);
    let mut out = Vec::new();
    for (n, thought) in model_log_plan(chain) {
        let turn = &chain.turns[n];
        if let Some(t) = thought {
            let mut e = all[t].clone();
            e.0 = "assistant".into();
            out.push(e);
        }
        let mut e = all[n].clone();
        match &turn.kind {
            TurnKind::ToolResult { .. } => {}
            TurnKind::ToolCall { args, .. } => {
                e.0 = "assistant".into();
                e.2 = args.clone();
            }
            _ => e.0 = if turn.role == Role::Seeker { "user" } else { "assistant" }.into(),
        }
        out.push(e);
    }
    out
}
