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
    super::tests::identity(chain)
        .into_iter()
        .zip(&chain.turns)
        .filter(|(_, t)| t.kind == TurnKind::Message)
        .map(|(e, _)| e)
        .collect()
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
            "description": format!("turn {n} of {}", chain.meta.scenario_id), "parent_task_id": root,
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
