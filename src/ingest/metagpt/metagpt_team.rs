//! MetaGPT team storage (`workspace/storage/team/team.json`, written by `Team.serialize()`): the whole team after a
//! run, `{env: {desc, roles: {<profile>: Role}, history}, investment, idea, context}`.
//!
//! One file is one run (team.json records no run id, so the file's default id is used). The roster comes from
//! `env.roles` (name, profile, `addresses`, class path). The messages come from the most complete source the file
//! has, in this order:
//! 1. `env.history` as a Memory (`{storage: [Message], index}`, MetaGPT ≥ 0.8.2 / 1.x): every published message,
//!    in publish order;
//! 2. otherwise the Roles' own memories (`rc.memory.storage`), merged without duplicates (by message `id`) keeping
//!    each memory's order: in releases whose `env.history` is only a debug string, these hold the structured
//!    messages;
//! 3. otherwise the flat `env.history` string ("\nHuman: …\nAlice(Product Manager): …"), split at lines that start
//!    with a known speaker label (Human, user, a team member's name, profile or `Name(Profile)`); its messages
//!    have no `cause_by` or `send_to`, so they are routed like MetaGPT's default (`<all>`: the rest of the team).
//!
//! Records: the team document (roster and metadata) plus each message taken from the chosen source. Messages map as
//! described in [`crate::ingest::common::metagpt`]. A team.json cut off mid-write (MetaGPT serializes as it goes and can die on an
//! unserializable field) is still recognized and is rejected whole with the line and column where it ends.

use std::path::Path;

use regex::Regex;
use serde_json::{Map, Value};

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::metagpt::{Roster, message_from, split_setting};
use crate::ingest::common::sniff;
use crate::ingest::common::{json_error, json_spans};
use crate::ingest::record::{Parsed, RunInfo, RunMeta};

pub struct MetagptTeam;

impl Adapter for MetagptTeam {
    fn format(&self) -> Format {
        Format::MetagptTeam
    }
    fn sniff(&self, path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        let Some(body) = text.strip_prefix('{') else {
            return false;
        };
        // Team.model_dump() starts with `env`, whose first field is `desc`; the head may be cut anywhere after.
        let env_first = body.trim_start().starts_with("\"env\"");
        let named = path.file_name().is_some_and(|n| n.eq_ignore_ascii_case("team.json"));
        (env_first || named)
            && text.contains("\"env\"")
            && (text.contains("\"roles\"") || text.contains("\"history\""))
            && (text.contains("\"desc\"") || text.contains("\"investment\""))
    }

    fn parse(&self, input: &Input) -> Parsed {
        let doc: Value = match serde_json::from_slice(input.bytes) {
            Ok(doc) => doc,
            Err(e) => return Parsed::rejected(json_error("MetaGPT team.json", &e), Some(e.line() as i64), None),
        };
        let Some(env) = doc.get("env").and_then(Value::as_object) else {
            return Parsed::rejected(
                "not a MetaGPT team.json: it has no `env` object (Team.serialize() writes env, investment, idea)",
                Some(1),
                Some(0),
            );
        };
        let run_id = input.default_run_id;
        let bytes = input.bytes;
        let roles = roles_in_file_order(env, bytes);
        let roster = roster_of(&roles);
        let offset_of = |start: usize| input.base_offset as usize + start;
        let line_of = |start: usize| input.first_line as i64 - 1 + json_spans::line_at(bytes, start);

        // (message, start in the file) from the most complete source.
        let mut flat_history = None;
        let entries: Vec<(Value, usize)> = match env.get("history") {
            Some(Value::Object(memory)) if memory.get("storage").is_some_and(Value::is_array) => {
                let storage = memory.get("storage").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                let starts = json_spans::member_path(bytes, 0, &["env", "history", "storage"])
                    .and_then(|at| json_spans::array_elements(bytes, at))
                    .filter(|s| s.len() == storage.len());
                storage.iter().enumerate().map(|(n, m)| (m.clone(), starts.as_ref().map_or(0, |s| s[n]))).collect()
            }
            other => {
                let merged = role_memories(&roles, bytes);
                if merged.is_empty() {
                    flat_history = other.and_then(Value::as_str);
                }
                merged
            }
        };

        let mut parsed = Parsed::default();
        // The team document itself: roster and run metadata.
        parsed.read += 1;
        parsed.ingested += 1;
        parsed.runs.push(RunInfo {
            run_id: run_id.to_string(),
            meta: RunMeta {
                framework: Some(Format::MetagptTeam.framework().into()),
                backend: backend_of(&roles),
                ..RunMeta::default()
            },
        });

        if let Some(history) = flat_history {
            let start = json_spans::member_path(bytes, 0, &["env", "history"]).unwrap_or(0);
            for segment in split_history(history, &roster) {
                parsed.read += 1;
                // The flat text keeps only "role: content"; a human line is the requirement, routed to all.
                let message = segment.and_then(|(label, content)| {
                    let mut value = serde_json::json!({"content": content, "role": label});
                    if matches!(label.as_str(), "Human" | "user") {
                        value["cause_by"] = "metagpt.actions.add_requirement.UserRequirement".into();
                    }
                    message_from(&value, &roster, run_id, offset_of(start))
                });
                match message {
                    Ok(message) => {
                        parsed.messages.push(message);
                        parsed.ingested += 1;
                    }
                    Err(reason) => parsed.reject(
                        Some(line_of(start)),
                        Some(offset_of(start) as i64),
                        format!("env.history: {reason}"),
                    ),
                }
            }
            return parsed;
        }

        for (n, (value, start)) in entries.iter().enumerate() {
            parsed.read += 1;
            match message_from(value, &roster, run_id, offset_of(*start)) {
                Ok(message) => {
                    parsed.messages.push(message);
                    parsed.ingested += 1;
                }
                Err(reason) => parsed.reject(
                    Some(line_of(*start)),
                    Some(offset_of(*start) as i64),
                    format!("message {n} (id {}): {reason}", value.get("id").and_then(Value::as_str).unwrap_or("?")),
                ),
            }
        }
        parsed
    }
}

/// `env.roles` as (profile key, Role) in the order the file lists them (the order the team hired them).
fn roles_in_file_order<'a>(env: &'a Map<String, Value>, bytes: &[u8]) -> Vec<(&'a str, &'a Value)> {
    let Some(roles) = env.get("roles").and_then(Value::as_object) else {
        return Vec::new();
    };
    let order = json_spans::member_path(bytes, 0, &["env", "roles"]).and_then(|at| json_spans::object_keys(bytes, at));
    let mut listed: Vec<(&str, &Value)> = Vec::new();
    for key in order.iter().flatten() {
        if let Some((key, role)) = roles.get_key_value(key.as_str())
            && !listed.iter().any(|(k, _)| *k == key.as_str())
        {
            listed.push((key.as_str(), role));
        }
    }
    for (key, role) in roles {
        if !listed.iter().any(|(k, _)| *k == key.as_str()) {
            listed.push((key.as_str(), role));
        }
    }
    listed
}

/// The team from `env.roles`: each Role's name, profile, addresses, class path and `Name(Profile)` label.
fn roster_of(roles: &[(&str, &Value)]) -> Roster {
    let mut roster = Roster::default();
    for &(key, role) in roles {
        let text = |k: &str| role.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let profile = Some(text("profile")).filter(|p| !p.is_empty()).unwrap_or_else(|| key.to_string());
        let name = Some(text("name")).filter(|n| !n.is_empty()).unwrap_or_else(|| profile.clone());
        let mut aliases: Vec<String> = role
            .get("addresses")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        aliases.push(text("__module_class_name"));
        aliases.push(format!("{name}({profile})"));
        roster.add(&name, &profile, aliases);
    }
    roster
}

/// The model an action of the team was configured with (`llm_name_or_type`), if any names one.
fn backend_of(roles: &[(&str, &Value)]) -> Option<String> {
    roles
        .iter()
        .filter_map(|(_, role)| role.get("actions").and_then(Value::as_array))
        .flatten()
        .find_map(|action| action.get("llm_name_or_type").and_then(Value::as_str).filter(|s| !s.is_empty()))
        .map(str::to_string)
}

/// The messages held in the Roles' memories, merged without duplicates, each memory's order kept: a message not
/// seen yet goes right after the previous message of the same memory.
fn role_memories(roles: &[(&str, &Value)], bytes: &[u8]) -> Vec<(Value, usize)> {
    let mut merged: Vec<(Value, usize)> = Vec::new();
    for &(key, role) in roles {
        let Some(storage) = role.pointer("/rc/memory/storage").and_then(Value::as_array) else {
            continue;
        };
        let starts = json_spans::member_path(bytes, 0, &["env", "roles", key, "rc", "memory", "storage"])
            .and_then(|at| json_spans::array_elements(bytes, at))
            .filter(|s| s.len() == storage.len());
        let mut anchor: Option<usize> = None;
        for (n, message) in storage.iter().enumerate() {
            let known = merged.iter().position(|(m, _)| same_message(m, message));
            anchor = Some(match known {
                Some(i) => i,
                None => {
                    let at = anchor.map_or(0, |a| a + 1);
                    merged.insert(at, (message.clone(), starts.as_ref().map_or(0, |s| s[n])));
                    at
                }
            });
        }
    }
    merged
}

/// Messages are the same when their ids match; id-less ones when role, cause and content match.
fn same_message(a: &Value, b: &Value) -> bool {
    let id = |m: &Value| m.get("id").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    match (id(a), id(b)) {
        (Some(x), Some(y)) => x == y,
        _ => ["role", "cause_by", "content"].iter().all(|k| a.get(k) == b.get(k)),
    }
}

/// Split the flat debug history into (speaker label, content) at lines that start with a known label; text before
/// the first label cannot be attributed and comes back as an error.
fn split_history(history: &str, roster: &Roster) -> Vec<Result<(String, String), String>> {
    let setting = Regex::new(r"^([^\n:()]{1,80}\([^\n:()]{1,80}\)): ").expect("valid regex");
    let mut labels: Vec<String> = ["Human", "user", "assistant", "system"].map(String::from).to_vec();
    for member in &roster.members {
        labels.push(member.name.clone());
        labels.push(member.profile.clone());
        labels.extend(member.aliases.iter().cloned());
    }
    labels.retain(|l| !l.is_empty() && !l.contains('\n'));
    let label_at = |line: &str| -> Option<String> {
        if let Some(c) = setting.captures(line)
            && split_setting(&c[1]).1.is_some()
        {
            return Some(c[1].to_string());
        }
        labels
            .iter()
            .filter(|l| line.strip_prefix(l.as_str()).is_some_and(|rest| rest.starts_with(": ")))
            .max_by_key(|l| l.len())
            .cloned()
    };

    // (label, start of content) for every line that opens a message.
    let mut opens: Vec<(usize, String, usize)> = Vec::new();
    let mut line_start = 0;
    for line in history.split_inclusive('\n') {
        if let Some(label) = label_at(line) {
            opens.push((line_start, label.clone(), line_start + label.len() + 2));
        }
        line_start += line.len();
    }
    let mut out = Vec::new();
    let first = opens.first().map_or(history.len(), |(start, _, _)| *start);
    let before = history[..first].trim();
    if !before.is_empty() {
        let head: String = before.chars().take(60).collect();
        out.push(Err(format!("text before the first speaker label cannot be attributed to anyone: \"{head}\"")));
    }
    for (i, (_, label, content_start)) in opens.iter().enumerate() {
        let end = opens.get(i + 1).map_or(history.len(), |(next, _, _)| *next);
        let content = history[*content_start..end].strip_suffix('\n').unwrap_or(&history[*content_start..end]);
        out.push(Ok((label.clone(), content.to_string())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::kind;

    const REAL: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata/metagpt/iridium-soda_metagpt_tool_demo_team.json");
    const TRUNCATED: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata-malformed/metagpt_team_truncated.json");
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metagpt");

    fn parse_file(path: &str) -> Parsed {
        crate::ingest::adapter::parse_file_with_run_id(&MetagptTeam, Path::new(path), "team-1234")
    }

    #[test]
    fn real_old_layout_flat_history() {
        let parsed = parse_file(REAL);
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!((parsed.read, parsed.ingested), (2, 2));
        assert_eq!(parsed.runs.len(), 1);
        assert_eq!(parsed.runs[0].run_id, "team-1234");
        assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("MetaGPT"));
        let m = &parsed.messages;
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].sender.as_str(), m[0].sender_role.as_deref()), ("Human", Some("user")));
        assert_eq!(
            m[0].content,
            "write a report about the trands of Laptop sales. you can access the data using tools."
        );
        assert!(m[0].recipients.is_empty(), "no roles in this team: nobody to route to");
        assert_eq!(m[0].channel.as_deref(), Some("metagpt.actions.add_requirement.UserRequirement"));
    }

    #[test]
    fn real_truncated_team_is_recognized_and_rejected_with_where_it_ends() {
        let bytes = std::fs::read(TRUNCATED).unwrap();
        assert!(MetagptTeam.sniff(Path::new(TRUNCATED), &bytes));
        let parsed = parse_file(TRUNCATED);
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (1, 0, 1));
        let reject = &parsed.rejects[0];
        let last_line = bytes.iter().filter(|&&b| b == b'\n').count() as i64 + 1;
        assert_eq!(reject.line, Some(last_line));
        assert!(reject.reason.starts_with("MetaGPT team.json: it ends early (truncated?)"), "{}", reject.reason);
        assert!(reject.reason.contains(&format!("line {last_line} column")), "{}", reject.reason);
        assert!(parsed.messages.is_empty() && parsed.runs.is_empty());
    }

    #[test]
    fn current_layout_memory_history() {
        let parsed = parse_file(&format!("{FIXTURES}/team_memory_history.json"));
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!((parsed.read, parsed.ingested), (5, 5));
        assert_eq!(parsed.runs[0].meta.backend.as_deref(), Some("gpt-4o-mini"));
        let m = &parsed.messages;
        let route: Vec<(&str, Vec<&str>)> =
            m.iter().map(|m| (m.sender.as_str(), m.recipients.iter().map(String::as_str).collect())).collect();
        assert_eq!(
            route,
            [
                ("user", vec!["Alice", "Bob", "Carol"]),
                ("Alice", vec!["Bob", "Carol"]),
                ("Bob", vec!["Carol"]),
                ("Carol", vec!["Alice", "Bob"]),
            ]
        );
        assert_eq!(m[0].sender_role.as_deref(), Some("user"));
        assert_eq!(m[1].channel.as_deref(), Some("metagpt.actions.write_prd.WritePRD"));
        assert!(m[2].content.contains("door code 0107"));
        assert!(m.iter().all(|m| m.kind == kind::MESSAGE && m.ts.is_none()));
        let bytes = std::fs::read(format!("{FIXTURES}/team_memory_history.json")).unwrap();
        assert!(m.iter().all(|m| bytes[m.source_offset as usize] == b'{'));
    }

    #[test]
    fn role_memories_merge_in_order_and_bad_messages_are_rejected() {
        let parsed = parse_file(&format!("{FIXTURES}/team_role_memories.json"));
        assert_eq!(parsed.read, 5);
        assert_eq!(parsed.ingested + parsed.rejects.len() as u64, parsed.read);
        assert_eq!(parsed.rejects.len(), 1, "{:?}", parsed.rejects);
        assert!(
            parsed.rejects[0].reason.contains("(id m3): `content` must be a string"),
            "{}",
            parsed.rejects[0].reason
        );
        assert_eq!(parsed.rejects[0].line, Some(140));
        let senders: Vec<&str> = parsed.messages.iter().map(|m| m.sender.as_str()).collect();
        assert_eq!(senders, ["Human", "Alice", "Bob"]);
        assert_eq!(parsed.messages[1].recipients, ["Bob"]);
    }

    #[test]
    fn flat_history_splits_at_known_speakers_only() {
        let mut roster = Roster::default();
        roster.add("Alice", "Product Manager", []);
        let history =
            "\nHuman: build it\nnote: keep it safe\nAlice(Product Manager): PRD\nline two\nBob(Architect): design";
        let parts: Vec<_> = split_history(history, &roster).into_iter().map(Result::unwrap).collect();
        assert_eq!(
            parts,
            [
                ("Human".to_string(), "build it\nnote: keep it safe".to_string()),
                ("Alice(Product Manager)".to_string(), "PRD\nline two".to_string()),
                ("Bob(Architect)".to_string(), "design".to_string()),
            ]
        );
        assert!(split_history("stray\nHuman: x", &roster)[0].is_err());
    }

    #[test]
    fn sniffs_team_storage_only() {
        let real = std::fs::read(REAL).unwrap();
        assert!(MetagptTeam.sniff(Path::new("x.json"), &real));
        assert!(!MetagptTeam.sniff(Path::new("x.json"), br#"{"environment": {"desc": "", "roles": {}}}"#));
        assert!(!MetagptTeam.sniff(Path::new("x.json"), br#"[{"env": {"desc": "", "roles": {}}}]"#));
    }
}
