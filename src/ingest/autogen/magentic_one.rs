//! Magentic-One histories (Microsoft's AutoGen-based team: Orchestrator, WebSurfer, FileSurfer, Coder,
//! ComputerTerminal) as exported in the Who&When dataset: `history` is a list of `{content, role}` where `role` is
//! Magentic-One's log label, carrying the speaker and the direction of the message.
//!
//! `"Orchestrator (thought)"` is the orchestrator's private reasoning (plans, ledgers, next-speaker notes): a
//! thought with no recipient. `"Orchestrator (-> WebSurfer)"` is an instruction addressed to WebSurfer.
//! `"Orchestrator (final answer)"` is the team's answer (marked final). Any other label in parentheses is a note of
//! the orchestrator's (a system message). A bare name (`"WebSurfer"`, `"human"`) is that participant speaking to
//! the team: Magentic-One broadcasts every agent's reply, so it goes to all other participants of the run (every
//! speaker and addressee). Entries are records, ingested or rejected with their index. The dataset's annotation
//! keys (`question`, `mistake_agent`, ...) are not transcript and are left alone.

use std::path::Path;

use serde_json::Value;

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::autogen::Group;
use crate::ingest::common::autogen::has_magentic_roles;
use crate::ingest::common::sniff;
use crate::ingest::common::{json_error, json_text};
use crate::ingest::record::{Message, Parsed, RunInfo, RunMeta};
use crate::schema::kind;

pub struct MagenticOne;

impl Adapter for MagenticOne {
    fn format(&self) -> Format {
        Format::MagenticOne
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        let shaped = (text.starts_with('{') && text.contains("\"history\"")) || text.starts_with('[');
        shaped && has_magentic_roles(text)
    }

    fn parse(&self, input: &Input) -> Parsed {
        let doc: Value = match serde_json::from_slice(input.bytes) {
            Ok(doc) => doc,
            Err(e) => return Parsed::rejected(json_error("Magentic-One history", &e), Some(e.line() as i64), None),
        };
        let history = match &doc {
            Value::Object(o) => match o.get("history") {
                Some(Value::Array(history)) => history,
                _ => return Parsed::rejected("Magentic-One history: the object has no `history` list", None, None),
            },
            Value::Array(history) => history,
            _ => return Parsed::rejected("Magentic-One history: expected an object with a `history` list", None, None),
        };
        let run_id = input.default_run_id;
        let labels: Vec<Option<Label>> =
            history.iter().map(|e| e.get("role").and_then(Value::as_str).map(label)).collect();
        let group = Group::new(labels.iter().flatten().flat_map(|l| std::iter::once(&l.speaker).chain(&l.addressee)));

        let mut parsed = Parsed { read: history.len() as u64, ..Parsed::default() };
        for (n, (entry, label)) in history.iter().zip(labels).enumerate() {
            let Some(label) = label else {
                let reason = if entry.is_object() {
                    format!("history[{n}] has no string `role` (the speaker label)")
                } else {
                    format!("history[{n}] is not a message object")
                };
                parsed.reject(None, None, reason);
                continue;
            };
            let content = match entry.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => {
                    parsed.reject(None, None, format!("history[{n}] from {} has no `content`", label.role));
                    continue;
                }
                Some(other) => json_text(other),
            };
            let mut message = Message::new(run_id, &label.speaker, content, 0);
            let others = || group.others(&label.speaker);
            match (label.annotation.as_deref(), &label.addressee) {
                (_, Some(target)) => message.recipients = vec![target.clone()],
                (None, None) => message.recipients = others(),
                (Some("thought"), None) => message.kind = kind::THOUGHT,
                (Some("final answer"), None) => {
                    message.recipients = others();
                    message.is_final = true;
                }
                (Some(note), None) => {
                    message.kind = kind::SYSTEM;
                    message.channel = Some(note.to_string());
                }
            }
            if label.speaker == "human" {
                message.sender_role = Some("user".into());
            }
            parsed.messages.push(message);
            parsed.ingested += 1;
        }
        parsed.runs.push(RunInfo {
            run_id: run_id.to_string(),
            meta: RunMeta { framework: Some(Format::MagenticOne.framework().into()), ..RunMeta::default() },
        });
        parsed
    }
}

/// A Magentic-One role label: `Speaker` or `Speaker (annotation)`, where an annotation `-> X` addresses X.
struct Label {
    role: String,
    speaker: String,
    annotation: Option<String>,
    addressee: Option<String>,
}

fn label(role: &str) -> Label {
    let role = role.trim();
    let split = role.strip_suffix(')').and_then(|inner| inner.split_once(" ("));
    match split {
        Some((speaker, annotation)) if !speaker.trim().is_empty() => {
            let annotation = annotation.trim();
            let addressee = annotation.strip_prefix("->").map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
            Label {
                role: role.to_string(),
                speaker: speaker.trim().to_string(),
                annotation: Some(annotation.to_string()),
                addressee,
            }
        }
        _ => Label { role: role.to_string(), speaker: role.to_string(), annotation: None, addressee: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter;

    const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata/autogen04/whowhen_magentic_one");
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/magentic_one");

    fn parse_file(path: &str) -> Parsed {
        adapter::parse_file(&MagenticOne, Path::new(path))
    }

    fn count(parsed: &Parsed, sender: &str, kind: &str) -> usize {
        parsed.messages.iter().filter(|m| m.sender == sender && m.kind == kind).count()
    }

    #[test]
    fn real_who_and_when_histories() {
        let parsed = parse_file(&format!("{REAL}/23.json"));
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(parsed.read, 74);
        assert_eq!(parsed.messages.len(), 74);
        assert_eq!(parsed.runs.len(), 1);
        assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("Magentic-One (AutoGen)"));
        assert_eq!(count(&parsed, "Orchestrator", kind::THOUGHT), 40);
        assert_eq!(count(&parsed, "Orchestrator", kind::MESSAGE), 17);
        assert_eq!(count(&parsed, "WebSurfer", kind::MESSAGE), 15);
        assert_eq!(count(&parsed, "Assistant", kind::MESSAGE), 1);
        assert_eq!(count(&parsed, "human", kind::MESSAGE), 1);

        let human = &parsed.messages[0];
        assert_eq!(human.sender_role.as_deref(), Some("user"));
        assert!(human.content.starts_with("What is the cheapest option to mail a DVD to Colombia"));
        assert_eq!(human.recipients, ["Orchestrator", "WebSurfer", "Assistant"]);
        let thought = &parsed.messages[1];
        assert_eq!((thought.sender.as_str(), thought.kind), ("Orchestrator", kind::THOUGHT));
        assert!(thought.recipients.is_empty());
        let instruction = &parsed.messages[3];
        assert_eq!(instruction.recipients, ["WebSurfer"]);
        assert_eq!(parsed.messages[13].recipients, ["Assistant"]);
        // An agent's reply is broadcast to the team.
        assert_eq!(parsed.messages[4].recipients, ["human", "Orchestrator", "Assistant"]);

        let parsed = parse_file(&format!("{REAL}/40.json"));
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(parsed.messages.len(), 17);
        assert_eq!(count(&parsed, "Orchestrator", kind::THOUGHT), 8);
        assert_eq!(count(&parsed, "WebSurfer", kind::MESSAGE), 4);
        assert_eq!(parsed.messages[16].recipients, ["human", "Orchestrator"]);
    }

    #[test]
    fn final_answer_and_orchestrator_notes() {
        let parsed = parse_file(&format!("{FIXTURES}/final_answer.json"));
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        let shape: Vec<(&str, &str, bool)> =
            parsed.messages.iter().map(|m| (m.sender.as_str(), m.kind, m.is_final)).collect();
        assert_eq!(
            shape,
            [
                ("human", kind::MESSAGE, false),
                ("Orchestrator", kind::THOUGHT, false),
                ("Orchestrator", kind::MESSAGE, false),
                ("Coder", kind::MESSAGE, false),
                ("Orchestrator", kind::MESSAGE, false),
                ("ComputerTerminal", kind::MESSAGE, false),
                ("Orchestrator", kind::SYSTEM, false),
                ("Orchestrator", kind::MESSAGE, true),
            ]
        );
        assert_eq!(parsed.messages[2].recipients, ["Coder"]);
        assert_eq!(parsed.messages[4].recipients, ["ComputerTerminal"]);
        assert_eq!(parsed.messages[6].channel.as_deref(), Some("termination condition"));
        assert_eq!(parsed.messages[7].recipients, ["human", "Coder", "ComputerTerminal"]);
    }

    #[test]
    fn malformed_entries_and_documents_are_rejected() {
        let parsed = parse_file(&format!("{FIXTURES}/wrong_types.json"));
        let reasons: Vec<&str> = parsed.rejects.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "history[1] has no string `role` (the speaker label)",
                "history[2] is not a message object",
                "history[3] from WebSurfer has no `content`",
            ]
        );
        assert_eq!(parsed.ingested, 2);

        let parsed = parse_file(&format!("{FIXTURES}/truncated.json"));
        assert_eq!(parsed.rejects.len(), 1);
        assert!(parsed.rejects[0].reason.starts_with("Magentic-One history: it ends early"));
    }

    #[test]
    fn sniffs_magentic_one_not_captainagent() {
        for file in ["23.json", "40.json"] {
            let head = std::fs::read(format!("{REAL}/{file}")).unwrap();
            assert!(MagenticOne.sniff(Path::new(file), &head[..head.len().min(65536)]), "{file}");
        }
        for file in ["final_answer.json", "truncated.json"] {
            assert!(
                MagenticOne.sniff(Path::new(file), &std::fs::read(format!("{FIXTURES}/{file}")).unwrap()),
                "{file}"
            );
        }
        let captain = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata/autogen02/whowhen_captainagent/3.json");
        assert!(!MagenticOne.sniff(Path::new("3.json"), &std::fs::read(captain).unwrap()));
        assert!(!MagenticOne.sniff(Path::new("x.json"), br#"{"messages": [{"role": "user", "content": "hi"}]}"#));
    }
}
