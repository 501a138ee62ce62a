//! CAMEL RolePlaying dumps, the ai_society / code dataset layout written by CAMEL's
//! `examples/ai_society/role_playing_multiprocess.py`: one JSON object per session with `role_1` (the AI assistant,
//! e.g. "Python Programmer_RoleType.ASSISTANT"), `role_2` (the AI user), `id`, `original_task`, `specified_task`,
//! `message_1` … `message_n` (`BaseMessage.to_dict()`: `{role_name, role_type: "USER"|"ASSISTANT", [role],
//! content}`), `termination_reason` and `num_messages`.
//!
//! The session is one run (`id`, else the file). It is a two-party chat: each message goes from its `role_name` to
//! the other role. The task the task-specifier agent wrote (`specified_task`, else `original_task`) is put into both
//! agents' system prompts, so it becomes one SYSTEM message to both roles. Records: the session header plus each
//! `message_k`, taken in numeric order (not the JSON key order, where message_10 sorts before message_2).

use std::path::Path;

use serde_json::{Map, Value};

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::sniff;
use crate::ingest::common::{json_error, json_spans};
use crate::ingest::record::{Message, Parsed, RunInfo, RunMeta};
use crate::schema::kind;

pub struct CamelRoleplay;

impl Adapter for CamelRoleplay {
    fn format(&self) -> Format {
        Format::CamelRoleplay
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        text.starts_with('{')
            && sniff::has_all(head, &["\"role_1\"", "\"role_2\""])
            && ["\"message_1\"", "\"original_task\"", "\"specified_task\""].iter().any(|k| text.contains(k))
    }

    fn parse(&self, input: &Input) -> Parsed {
        let doc: Value = match serde_json::from_slice(input.bytes) {
            Ok(doc) => doc,
            Err(e) => {
                return Parsed::rejected(json_error("CAMEL RolePlaying dump", &e), Some(e.line() as i64), None);
            }
        };
        let Value::Object(session) = doc else {
            return Parsed::rejected("CAMEL RolePlaying dump: expected a JSON object", Some(1), Some(0));
        };
        let run_id = match session.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => input.default_run_id.to_string(),
        };
        let mut numbered: Vec<(u64, &Value)> = session
            .iter()
            .filter_map(|(key, value)| Some((key.strip_prefix("message_")?.parse::<u64>().ok()?, value)))
            .collect();
        numbered.sort_by_key(|(n, _)| *n);

        let assistant_role = role_label(&session, "role_1", "ASSISTANT");
        let user_role = role_label(&session, "role_2", "USER");
        let mut parties = Parties { assistant: assistant_role, user: user_role };
        for (_, message) in &numbered {
            parties.learn(message);
        }

        let mut parsed = Parsed { read: 1 + numbered.len() as u64, ..Parsed::default() };
        let offset_of = |key: &str| json_spans::object_member(input.bytes, 0, key).unwrap_or(0);
        let text = |key: &str| session.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty());

        // The session header: the run and the task both agents were given.
        let task = text("specified_task").map(|t| ("task_specifier", t, "specified_task"));
        if let Some((sender, task, key)) = task.or_else(|| text("original_task").map(|t| ("user", t, "original_task")))
        {
            let mut message = Message::new(&run_id, sender, task, input.base_offset as usize + offset_of(key));
            message.kind = kind::SYSTEM;
            message.channel = Some(key.to_string());
            message.recipients = [&parties.assistant, &parties.user].into_iter().flatten().cloned().collect();
            parsed.messages.push(message);
        }
        parsed.ingested += 1;
        parsed.runs.push(RunInfo {
            run_id: run_id.clone(),
            meta: RunMeta { framework: Some(Format::CamelRoleplay.framework().into()), ..RunMeta::default() },
        });

        for (n, message) in numbered {
            let key = format!("message_{n}");
            let start = offset_of(&key);
            let offset = input.base_offset as usize + start;
            match chat_message(message, &parties, &run_id, offset) {
                Ok(message) => {
                    parsed.messages.push(message);
                    parsed.ingested += 1;
                }
                Err(reason) => {
                    let line = input.first_line as i64 - 1 + json_spans::line_at(input.bytes, start);
                    parsed.reject(Some(line), Some(offset as i64), format!("{key}: {reason}"));
                }
            }
        }
        parsed
    }
}

/// The two roles of the session, by their role names.
struct Parties {
    assistant: Option<String>,
    user: Option<String>,
}

impl Parties {
    /// Fill a role the header did not name from the first message of that type.
    fn learn(&mut self, message: &Value) {
        let (Some(name), Some(role_type)) = (
            message.get("role_name").and_then(Value::as_str),
            message.get("role_type").and_then(Value::as_str).and_then(role_type),
        ) else {
            return;
        };
        let slot = match role_type {
            "ASSISTANT" => &mut self.assistant,
            _ => &mut self.user,
        };
        if slot.is_none() {
            *slot = Some(name.to_string());
        }
    }
}

/// "USER", "RoleType.USER", "user" → "USER" (same for ASSISTANT); other role types (CRITIC, EMBODIMENT) → None.
fn role_type(text: &str) -> Option<&'static str> {
    let bare = text.rsplit('.').next().unwrap_or(text);
    if bare.eq_ignore_ascii_case("assistant") {
        Some("ASSISTANT")
    } else if bare.eq_ignore_ascii_case("user") {
        Some("USER")
    } else {
        None
    }
}

/// The role name in a header value like "Python Programmer_RoleType.ASSISTANT", if its type is the expected one.
fn role_label(session: &Map<String, Value>, key: &str, expected: &str) -> Option<String> {
    let value = session.get(key)?.as_str()?;
    let (name, kind) = value.rsplit_once('_')?;
    (role_type(kind) == Some(expected) && !name.trim().is_empty()).then(|| name.trim().to_string())
}

fn chat_message(message: &Value, parties: &Parties, run_id: &str, offset: usize) -> Result<Message, String> {
    let Value::Object(fields) = message else {
        return Err(format!("expected a message object, found {message}"));
    };
    let sender = match fields.get("role_name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim(),
        Some(other) => return Err(format!("`role_name` must be a non-empty string, found {other}")),
        None => return Err("has no `role_name`".into()),
    };
    let content = match fields.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(format!("`content` must be a string, found {other}")),
        None => return Err("has no `content`".into()),
    };
    let kind_text = fields.get("role_type").and_then(Value::as_str).ok_or("has no string `role_type`")?;
    let mut out = Message::new(run_id, sender, content, offset);
    out.recipients = match role_type(kind_text) {
        Some("USER") => parties.assistant.iter().cloned().collect(),
        Some(_) => parties.user.iter().cloned().collect(),
        // A critic or other third role speaks to both players.
        None => [&parties.assistant, &parties.user].into_iter().flatten().filter(|p| *p != sender).cloned().collect(),
    };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/camel");

    fn parse_bytes(bytes: &[u8]) -> Parsed {
        let path = PathBuf::from("session.json");
        crate::ingest::adapter::parse_bytes(&CamelRoleplay, &path, bytes, "stem-0000")
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
    }

    #[test]
    fn ai_society_session_is_a_two_party_chat() {
        let bytes = fixture("roleplay_ai_society_001_002_003.json");
        let parsed = parse_bytes(&bytes);
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!((parsed.read, parsed.ingested), (12, 12));
        assert_eq!(parsed.runs[0].run_id, "001_002_003");
        let m = &parsed.messages;
        assert_eq!(m.len(), 12);
        assert_eq!((m[0].kind, m[0].sender.as_str()), (kind::SYSTEM, "task_specifier"));
        assert_eq!(m[0].recipients, ["Warehouse Manager", "Logistics Coordinator"]);
        assert!(m[0].content.starts_with("As the Warehouse Manager, help"));
        // message_1 .. message_11 in numeric order, alternating user → assistant
        assert_eq!(m[1].sender, "Logistics Coordinator");
        assert_eq!(m[1].recipients, ["Warehouse Manager"]);
        assert!(m[1].content.starts_with("Instruction: List the doors"));
        assert_eq!(m[2].sender, "Warehouse Manager");
        assert_eq!(m[2].recipients, ["Logistics Coordinator"]);
        assert!(m[9].content.starts_with("Instruction: Confirm"), "{}", m[9].content);
        assert_eq!(m[10].sender, "Warehouse Manager");
        assert!(m[10].content.starts_with("Solution: The warehouse manager and the on-duty guard"));
        assert_eq!((m[11].sender.as_str(), m[11].content.as_str()), ("Logistics Coordinator", "<CAMEL_TASK_DONE>"));
        assert!(m.iter().all(|m| m.ts.is_none() && m.kind != kind::THOUGHT && m.run_id == "001_002_003"));
        // each message points at its value in the (one-line) file
        assert_eq!(m[11].source_offset, 2612);
        assert_eq!(bytes[2612], b'{');
    }

    #[test]
    fn current_to_dict_layout_without_header_roles() {
        let parsed = parse_bytes(&fixture("roleplay_current_layout.json"));
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(parsed.runs[0].run_id, "stem-0000");
        let m = &parsed.messages;
        assert_eq!(m.len(), 4);
        assert_eq!((m[0].sender.as_str(), m[0].channel.as_deref()), ("user", Some("original_task")));
        assert_eq!(m[1].recipients, ["Submarine Pilot"]);
        assert_eq!(m[2].recipients, ["Deep-Sea Geologist"]);
        assert_eq!(m[3].sender, "Safety Critic");
        assert_eq!(m[3].recipients, ["Submarine Pilot", "Deep-Sea Geologist"]);
    }

    #[test]
    fn malformed_messages_are_rejected_with_their_line() {
        let parsed = parse_bytes(&fixture("roleplay_bad_messages.json"));
        assert_eq!(parsed.read, 5);
        assert_eq!(parsed.ingested + parsed.rejects.len() as u64, parsed.read);
        let reasons: Vec<_> = parsed.rejects.iter().map(|r| (r.line, r.reason.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (Some(9), "message_2: `content` must be a string, found 42"),
                (Some(10), "message_3: has no string `role_type`"),
            ]
        );
        let cut = parse_bytes(&fixture("roleplay_ai_society_001_002_003.json")[..900]);
        assert_eq!((cut.read, cut.rejects.len()), (1, 1));
        assert!(cut.rejects[0].reason.contains("ends early (truncated?)"));
    }

    #[test]
    fn sniffs_roleplay_dumps_only() {
        assert!(CamelRoleplay.sniff(Path::new("a.json"), &fixture("roleplay_ai_society_001_002_003.json")));
        assert!(CamelRoleplay.sniff(Path::new("a.json"), &fixture("roleplay_current_layout.json")));
        assert!(!CamelRoleplay.sniff(Path::new("a.json"), br#"{"role": "user", "content": "role_1 role_2"}"#));
        assert!(!CamelRoleplay.sniff(Path::new("a.json"), br#"[{"role_1": "a", "role_2": "b", "message_1": {}}]"#));
    }
}
