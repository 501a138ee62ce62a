//! MetaGPT: the loguru log (`metagpt-log/<run_id>.txt`, what `metagpt.logs` writes at DEBUG level) and the team
//! storage (`metagpt-team/<run_id>/team.json`, `Team.serialize()`). Both carry MetaGPT `Message`s `{id, content,
//! instruct_content, role, cause_by, sent_from, send_to}`: `sent_from` is the speaker's name, `send_to` the
//! recipients' names, `cause_by` the action (`metagpt.actions.talk.Talk` for the simulator's turns).
//!
//! - Log: one `metagpt.team:invest` entry opens the run, then one `metagpt.environment.base_env:publish_message`
//!   entry per message, `publish_message: <Message JSON>` on one line.
//! - team.json: `{env: {desc, roles: {<name>: Role}, history: {storage: [Message...], index: {}}}, investment,
//!   idea, context}`, the roster giving each Role's name, profile (its role in the scenario) and addresses.
//!
//! Cannot carry: the run id (neither file records one: the adapter derives it from the file, `<stem>-<hash>/run001`
//! for the log, `team-<hash>` for team.json; the manifest can match the path, which holds the run id); thoughts,
//! tool calls and tool results (MetaGPT publishes only messages between Roles: left out); names that MetaGPT's labels
//! would rewrite (`Name(Profile)` forms, dotted names without a space); times in team.json; the run's condition.

use serde_json::{Value, json};

use super::{Part, hex32, to_vec};
use crate::error::Result;
use crate::simulate::chain::{Chain, TurnKind};

const CAUSE: &str = "metagpt.actions.talk.Talk";

/// The chain's messages as MetaGPT `Message` dicts.
fn messages(chain: &Chain) -> Vec<(i64, Value)> {
    chain
        .turns
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind == TurnKind::Message)
        .map(|(n, t)| {
            let message = json!({
                "id": hex32(&chain.run_id, n as u64, "metagpt"), "content": t.text, "instruct_content": null,
                "role": t.speaker, "cause_by": CAUSE, "sent_from": t.speaker, "send_to": t.recipients,
            });
            (t.ts_us, message)
        })
        .collect()
}

fn loguru_ts(ts_us: i64) -> String {
    super::utc(ts_us).format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

pub(super) fn encode_log(chain: &Chain) -> Result<Vec<Part>> {
    let mut out = Vec::with_capacity(512 * chain.turns.len());
    let start = loguru_ts(chain.started_at_us());
    out.extend(format!("{start} | INFO     | metagpt.team:invest:90 - Investment: $3.0.\n").into_bytes());
    for (ts, message) in messages(chain) {
        let head = format!(
            "{} | DEBUG    | metagpt.environment.base_env:publish_message:144 - publish_message: ",
            loguru_ts(ts)
        );
        out.extend(head.into_bytes());
        out.extend(to_vec(&message)?);
        out.push(b'\n');
    }
    Ok(vec![Part::File { path: format!("metagpt-log/{}.txt", chain.run_id), bytes: out }])
}

pub(super) fn encode_team(chain: &Chain) -> Result<Vec<Part>> {
    let mut roles = serde_json::Map::new();
    for turn in chain.turns.iter().filter(|t| t.kind == TurnKind::Message) {
        if !roles.contains_key(&turn.speaker) {
            let role = json!({
                "name": turn.speaker, "profile": turn.role.as_str(), "goal": "", "constraints": "", "desc": "",
                "addresses": [turn.speaker], "actions": [{"name": "Talk", "llm_name_or_type": chain.model}],
            });
            roles.insert(turn.speaker.clone(), role);
        }
    }
    let storage: Vec<Value> = messages(chain).into_iter().map(|(_, m)| m).collect();
    // `Team.model_dump()` order: `env` first, its `desc` first (the sniffer relies on it); serde_json sorts keys
    // alphabetically, which keeps `env` first and puts `desc` ahead of `history` and `roles`.
    let team = json!({
        "env": {"desc": chain.meta.title(), "history": {"storage": storage, "index": {}}, "roles": roles},
        "investment": 3.0,
        "idea": chain.meta.title(),
        "context": {"kwargs": {}, "cost_manager": {}},
    });
    let bytes = super::to_vec_pretty(&team)?;
    Ok(vec![Part::File { path: format!("metagpt-team/{}/team.json", chain.run_id), bytes }])
}

/// MetaGPT: only the messages.
#[cfg(test)]
pub(super) fn expected(chain: &Chain) -> Vec<super::tests::Expected> {
    super::tests::messages_only(chain)
}
