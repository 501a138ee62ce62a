//! AutoGen 0.2 / AG2 chat histories saved as JSON: `ChatResult.chat_history`, `GroupChat.messages`, a list of
//! `ChatResult`s (from `initiate_chats`), and the Who&When dataset's CaptainAgent exports (`history` beside the
//! dataset's annotation keys and the agents' `system_prompt`s).
//!
//! Each history entry is an OpenAI-style message with the speaking agent in `name` (the first entry, the task, may
//! have none: its `role` stands in): its text becomes a message, each `tool_calls` entry a `tool_call`, each
//! `tool_responses` entry a `tool_result`. A history records no recipients: it is the record of one chat, and in
//! an AutoGen group chat every message is broadcast, so each message goes to all other participants of the run
//! (every named speaker, plus the agents listed in `system_prompt`); in a two-agent chat that is the other agent.
//! Every entry is one record, ingested or rejected with its index.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::autogen::{Group, oai_messages};
use crate::ingest::common::json_error;
use crate::ingest::common::sniff;
use crate::ingest::record::{Parsed, RunInfo, RunMeta};

pub struct Autogen02Chat;

/// A `role` key whose value is an OpenAI chat role, as AutoGen 0.2 writes in its histories.
static OPENAI_ROLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""role"\s*:\s*"(user|assistant|tool|function|system)""#).expect("valid regex"));
/// A `name` key with a string value (inside a JSON string the quotes would be escaped, so this is a real key).
static NAME_KEY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#""name"\s*:\s*""#).expect("valid regex"));
/// The first entry of a bare message list opens with one of the OpenAI message keys.
static MESSAGE_LIST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\[\s*\{\s*"(content|role|name)"\s*:"#).expect("valid regex"));

impl Adapter for Autogen02Chat {
    fn format(&self) -> Format {
        Format::Autogen02Chat
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        if crate::ingest::common::autogen::has_magentic_roles(text) || !OPENAI_ROLE.is_match(text) {
            return false;
        }
        if text.starts_with('{') {
            let who_and_when = text.contains("\"history\"")
                && ["\"mistake_agent\"", "\"question_ID\"", "\"system_prompt\""].iter().any(|k| text.contains(k))
                && NAME_KEY.is_match(text);
            let chat_result = text.contains("\"chat_history\"")
                && ["\"summary\"", "\"chat_id\"", "\"human_input\""].iter().any(|k| text.contains(k));
            return who_and_when || chat_result;
        }
        text.starts_with('[')
            && ((MESSAGE_LIST.is_match(text) && NAME_KEY.is_match(text))
                || (text.contains("\"chat_history\"") && text.contains("\"summary\"")))
    }

    fn parse(&self, input: &Input) -> Parsed {
        let doc: Value = match serde_json::from_slice(input.bytes) {
            Ok(doc) => doc,
            Err(e) => return Parsed::rejected(json_error("AutoGen 0.2 chat history", &e), Some(e.line() as i64), None),
        };
        let mut parsed = Parsed::default();
        match &doc {
            Value::Object(o) => {
                let (key, history) = match (o.get("history"), o.get("chat_history")) {
                    (Some(Value::Array(h)), _) => ("history", h),
                    (_, Some(Value::Array(h))) => ("chat_history", h),
                    _ => {
                        return Parsed::rejected(
                            "AutoGen 0.2 chat history: the object has no `history` or `chat_history` list",
                            None,
                            None,
                        );
                    }
                };
                let members: Vec<String> = o
                    .get("system_prompt")
                    .and_then(Value::as_object)
                    .map(|prompts| prompts.keys().cloned().collect())
                    .unwrap_or_default();
                read_chat(input.default_run_id, key, history, &members, &mut parsed);
            }
            Value::Array(list) if !list.is_empty() && list.iter().all(|c| c.get("chat_history").is_some()) => {
                // initiate_chats: one ChatResult per chat, each its own run.
                for (n, chat) in list.iter().enumerate() {
                    let id = match chat.get("chat_id") {
                        Some(Value::Number(id)) => id.to_string(),
                        Some(Value::String(id)) if !id.is_empty() => id.clone(),
                        _ => n.to_string(),
                    };
                    let run_id = format!("{}-chat{id}", input.default_run_id);
                    match chat.get("chat_history") {
                        Some(Value::Array(history)) => {
                            read_chat(&run_id, &format!("[{n}].chat_history"), history, &[], &mut parsed)
                        }
                        _ => {
                            parsed.read += 1;
                            parsed.reject(None, None, format!("[{n}].chat_history must be a list of messages"));
                        }
                    }
                }
            }
            Value::Array(history) => read_chat(input.default_run_id, "", history, &[], &mut parsed),
            _ => {
                return Parsed::rejected(
                    "AutoGen 0.2 chat history: expected a list of messages or an object with `history` or \
                     `chat_history`",
                    None,
                    None,
                );
            }
        }
        parsed
    }
}

/// The speaker of a history entry: `name`, else `role` (the task that opens a chat may have no name).
fn speaker(entry: &Value) -> Result<String, String> {
    match (entry.get("name"), entry.get("role")) {
        (Some(Value::String(name)), _) if !name.is_empty() => Ok(name.clone()),
        (Some(Value::String(_)) | Some(Value::Null) | None, Some(Value::String(role))) if !role.is_empty() => {
            Ok(role.clone())
        }
        (Some(other), _) if !other.is_null() && !other.is_string() => {
            Err(format!("`name` must be a string, found {other}"))
        }
        _ => Err("the message has neither a `name` nor a `role`".into()),
    }
}

/// One chat's messages as one run; `key` names the list in reject reasons.
fn read_chat(run_id: &str, key: &str, history: &[Value], members: &[String], parsed: &mut Parsed) {
    let group = Group::new(history.iter().filter_map(|e| speaker(e).ok()).chain(members.iter().cloned()));
    let mut tool_names = HashMap::new();
    for (n, entry) in history.iter().enumerate() {
        parsed.read += 1;
        let at = format!("{key}[{n}]");
        if !entry.is_object() {
            parsed.reject(None, None, format!("{at} is not a message object"));
            continue;
        }
        let sender = match speaker(entry) {
            Ok(sender) => sender,
            Err(reason) => {
                parsed.reject(None, None, format!("{at}: {reason}"));
                continue;
            }
        };
        let says_something =
            ["content", "tool_calls", "function_call", "tool_responses"].iter().any(|k| entry.get(k).is_some());
        if !says_something {
            parsed.reject(None, None, format!("{at} from {sender} has no `content`"));
            continue;
        }
        let recipients = group.others(&sender);
        match oai_messages(run_id, &sender, &recipients, entry, 0, &mut tool_names) {
            Ok(messages) => {
                parsed.messages.extend(messages);
                parsed.ingested += 1;
            }
            Err(reason) => parsed.reject(None, None, format!("{at} from {sender}: {reason}")),
        }
    }
    parsed.runs.push(RunInfo {
        run_id: run_id.to_string(),
        meta: RunMeta { framework: Some(Format::Autogen02Chat.framework().into()), ..RunMeta::default() },
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter::assert_accounted;
    use crate::schema::kind;

    const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata/autogen02/whowhen_captainagent");
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/autogen02_chat");

    fn parse_file(path: &str) -> Parsed {
        crate::ingest::adapter::parse_file_with_run_id(&Autogen02Chat, Path::new(path), "chat-default")
    }

    fn names(list: &[String]) -> Vec<&str> {
        list.iter().map(String::as_str).collect()
    }

    #[test]
    fn real_captainagent_histories_broadcast_to_the_group() {
        for (file, entries) in [("3.json", 8), ("64.json", 10), ("73.json", 7)] {
            let parsed = parse_file(&format!("{REAL}/{file}"));
            assert_accounted(&parsed, "parsed");
            assert!(parsed.rejects.is_empty(), "{file}: {:?}", parsed.rejects);
            assert_eq!(parsed.read, entries, "{file}");
            assert_eq!(parsed.messages.len(), entries as usize, "{file}");
            assert_eq!(parsed.runs.len(), 1);
            assert_eq!(parsed.runs[0].run_id, "chat-default");
            assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("AutoGen 0.2"));
            assert!(parsed.messages.iter().all(|m| m.kind == kind::MESSAGE && m.ts.is_none()));
        }
        let parsed = parse_file(&format!("{REAL}/3.json"));
        let senders: Vec<&str> = parsed.messages.iter().map(|m| m.sender.as_str()).collect();
        assert_eq!(
            senders,
            [
                "Python_Expert",
                "Computer_terminal",
                "Statistics_Expert",
                "Computer_terminal",
                "Verification_Expert",
                "Computer_terminal",
                "Verification_Expert",
                "Verification_Expert"
            ]
        );
        // Everyone who spoke, in order of first appearance; the system prompts add no one new here.
        assert_eq!(
            names(&parsed.messages[0].recipients),
            ["Computer_terminal", "Statistics_Expert", "Verification_Expert"]
        );
        assert_eq!(
            names(&parsed.messages[1].recipients),
            ["Python_Expert", "Statistics_Expert", "Verification_Expert"]
        );
        assert_eq!(parsed.messages[7].content, "TERMINATE");

        // 64.json: Verification_Expert speaks once, late; it still received every earlier message.
        let parsed = parse_file(&format!("{REAL}/64.json"));
        assert!(parsed.messages[0].recipients.contains(&"Verification_Expert".to_string()));
        assert_eq!(parsed.messages[0].recipients.len(), 3);
    }

    #[test]
    fn chat_result_with_tool_calls_and_a_nameless_task() {
        let parsed = parse_file(&format!("{FIXTURES}/chat_result_tools.json"));
        assert_accounted(&parsed, "parsed");
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        let shape: Vec<(&str, &str)> = parsed.messages.iter().map(|m| (m.sender.as_str(), m.kind)).collect();
        assert_eq!(
            shape,
            [
                ("user", kind::MESSAGE),
                ("Custodian", kind::MESSAGE),
                ("Custodian", kind::TOOL_CALL),
                ("Custodian", kind::TOOL_CALL),
                ("Seeker", kind::TOOL_RESULT),
                ("Seeker", kind::TOOL_RESULT),
                ("Custodian", kind::MESSAGE),
            ]
        );
        // A two-agent chat plus the nameless task prompt: each message goes to the other speakers.
        assert_eq!(names(&parsed.messages[1].recipients), ["user", "Seeker"]);
        assert_eq!(parsed.messages[2].tool_name.as_deref(), Some("lookup_schedule"));
        assert_eq!(parsed.messages[2].tool_args.as_deref(), Some("{\"person\": \"Ann\"}"));
        assert_eq!(parsed.messages[3].tool_name.as_deref(), Some("lookup_schedule"));
        assert_eq!(parsed.messages[4].tool_name.as_deref(), Some("lookup_schedule"));
        assert_eq!(parsed.messages[5].content, "every 7 days");
        // Multimodal content parts: the text parts joined with a newline.
        assert_eq!(parsed.messages[6].content, "Ann: every 3 days.\nBen: every 7 days.");
    }

    #[test]
    fn a_list_of_chat_results_is_one_run_per_chat() {
        let parsed = parse_file(&format!("{FIXTURES}/initiate_chats.json"));
        assert_accounted(&parsed, "parsed");
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        let runs: Vec<&str> = parsed.runs.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(runs, ["chat-default-chat1", "chat-default-chat2"]);
        assert_eq!(parsed.messages.iter().filter(|m| m.run_id == "chat-default-chat2").count(), 2);
        // groupchat.messages as a bare list.
        let parsed = parse_file(&format!("{FIXTURES}/groupchat_messages.json"));
        assert_accounted(&parsed, "parsed");
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(parsed.messages.len(), 3);
        assert_eq!(names(&parsed.messages[2].recipients), ["Boss", "Employee"]);
    }

    #[test]
    fn malformed_entries_and_documents_are_rejected() {
        let parsed = parse_file(&format!("{FIXTURES}/wrong_types.json"));
        assert_accounted(&parsed, "parsed");
        let reasons: Vec<&str> = parsed.rejects.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "history[1] is not a message object",
                "history[2]: `name` must be a string, found 7",
                "history[3] from Guard has no `content`",
                "history[4] from Guard: `tool_calls` must be a list",
            ]
        );
        assert_eq!(parsed.ingested, 2);

        let parsed = parse_file(&format!("{FIXTURES}/truncated.json"));
        assert_accounted(&parsed, "parsed");
        assert_eq!(parsed.rejects.len(), 1);
        assert!(parsed.rejects[0].reason.contains("ends early"), "{}", parsed.rejects[0].reason);
        assert!(parsed.rejects[0].line.is_some());
    }

    #[test]
    fn sniffs_histories_but_not_magentic_one_or_other_lists() {
        for file in ["3.json", "64.json", "73.json"] {
            let head = std::fs::read(format!("{REAL}/{file}")).unwrap();
            assert!(Autogen02Chat.sniff(Path::new(file), &head), "{file}");
        }
        for file in ["chat_result_tools.json", "initiate_chats.json", "groupchat_messages.json", "truncated.json"] {
            let head = std::fs::read(format!("{FIXTURES}/{file}")).unwrap();
            assert!(Autogen02Chat.sniff(Path::new(file), &head), "{file}");
        }
        let magentic =
            concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata/autogen04/whowhen_magentic_one/23.json");
        assert!(!Autogen02Chat.sniff(Path::new("23.json"), &std::fs::read(magentic).unwrap()));
        assert!(!Autogen02Chat.sniff(Path::new("x.json"), br#"[{"task_id": 1, "traj": [{"role": "user"}]}]"#));
        assert!(!Autogen02Chat.sniff(Path::new("x.jsonl"), br#"{"run_id": "r", "sender": "a", "content": "b"}"#));
    }
}
