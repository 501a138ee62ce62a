//! LangChain message lists and LangGraph state dumps → canonical messages of one run (the thread).
//!
//! LangChain serializes a message three ways, all read here: `messages_to_dict` (`{type: human|ai|tool|system,
//! data: {content, name, tool_calls, tool_call_id, additional_kwargs, response_metadata, id}}`), the `lc`
//! constructor form of `dumpd`/`to_json` (`{lc: 1, type: "constructor", id: [..., "AIMessage"], kwargs: {...}}`), and
//! the flat `model_dump` the LangGraph API returns (`{type: "ai", content, ...}`); OpenAI-style `{role, content}`
//! dicts are accepted too. The list may stand alone or sit in a LangGraph state: `{"values": {"messages": [...]}}`
//! (`get_state`, the API's thread state), a checkpoint's `channel_values`, a `{"messages": [...]}` dict, or a thread
//! history (a list of states, of which the one with the most messages is read).
//!
//! The speaker is the message `name` (multi-agent supervisor and swarm graphs set it), else `user` / `assistant`.
//! Reasoning blocks are THOUGHT messages; each tool call is its own TOOL_CALL, except `transfer_to_<agent>` calls,
//! which are HANDOFFs to that agent. The decoder and the recipient derivation are shared with the LangSmith adapter.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::langchain::{Thread, decode_message};
use crate::ingest::common::sniff;
use crate::ingest::common::{json_error, json_text};
use crate::ingest::record::{Parsed, RunInfo, RunMeta};

pub struct LangGraph;

impl Adapter for LangGraph {
    fn format(&self) -> Format {
        Format::LangGraph
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        let first_line = text.lines().next().unwrap_or("");
        if first_line.contains("\"run_id\"") && first_line.contains("\"sender\"") {
            return false; // the generic JSONL format
        }
        if text.contains("\"run_type\"") {
            return false; // LangSmith runs carry LangChain messages too
        }
        // LangChain's own marks: an lc message constructor, or `human`/`ai` types beside `data` or
        // `additional_kwargs` (`tool`/`system` alone are too common to tell).
        let lc_messages = LC_CONSTRUCTOR.is_match(text) && LC_MESSAGE_CLASS.is_match(text);
        let dict_messages =
            MESSAGE_TYPE.is_match(text) && (text.contains("\"additional_kwargs\"") || DATA_OBJECT.is_match(text));
        if !(lc_messages || dict_messages) {
            return false;
        }
        // And the document's shape: a list of messages or states, or an object with a list of messages.
        if text.starts_with('[') { LIST_OF_MESSAGES.is_match(text) } else { MESSAGES_KEY.is_match(text) }
    }

    fn parse(&self, input: &Input) -> Parsed {
        let doc: Value = match serde_json::from_slice(input.bytes) {
            Ok(doc) => doc,
            Err(e) => {
                return Parsed::rejected(
                    json_error("LangChain/LangGraph message file", &e),
                    Some(e.line() as i64),
                    None,
                );
            }
        };
        let mut parsed = Parsed::default();
        let (state, framework) = match &doc {
            Value::Array(entries) if entries.first().is_some_and(is_state) => {
                // A thread history: every snapshot is a prefix of the newest, which holds the most messages.
                let newest = entries
                    .iter()
                    .enumerate()
                    .max_by_key(|(n, s)| (messages_of(s).map_or(0, Vec::len), usize::MAX - n))
                    .map(|(n, _)| n)
                    .unwrap_or(0);
                for (n, snapshot) in entries.iter().enumerate() {
                    if n == newest {
                        continue;
                    }
                    parsed.read += 1;
                    if is_state(snapshot) {
                        parsed.ingested += 1; // an older snapshot of the same thread, subsumed by the newest
                    } else {
                        parsed.reject(None, None, format!("history entry {n}: not a LangGraph state (no `values`)"));
                    }
                }
                (&entries[newest], "LangGraph")
            }
            Value::Array(_) => (&doc, "LangChain"),
            Value::Object(_) if is_state(&doc) => (&doc, "LangGraph"),
            Value::Object(_) => (&doc, "LangChain"),
            _ => {
                return Parsed::rejected(
                    "LangChain/LangGraph message file: expected a JSON object or list",
                    None,
                    None,
                );
            }
        };
        let Some(list) = messages_of(state) else {
            parsed.read += 1;
            parsed.reject(
                None,
                None,
                "no message list found: expected a list of messages, `values.messages`, `channel_values.messages` \
                 or `messages`",
            );
            return parsed;
        };
        let run_id = thread_id(state).unwrap_or_else(|| input.default_run_id.to_string());
        let mut thread = Thread::new(&run_id);
        for (n, entry) in list.iter().enumerate() {
            parsed.read += 1;
            match decode_message(entry) {
                Ok(message) => {
                    thread.push(&message, None, 0);
                    parsed.ingested += 1;
                }
                Err(reason) => parsed.reject(None, None, format!("messages[{n}]: {reason}")),
            }
        }
        let backend = thread.first_model();
        let messages = thread.finish();
        if !messages.is_empty() {
            parsed.messages.extend(messages);
            parsed.runs.push(RunInfo {
                run_id,
                meta: RunMeta { framework: Some(framework.into()), backend, ..RunMeta::default() },
            });
        }
        parsed
    }
}

/// `"lc": 1 ... "type": "constructor"`: LangChain's `dumpd` form.
static LC_CONSTRUCTOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""lc"\s*:\s*1\s*,\s*"type"\s*:\s*"constructor""#).expect("valid regex"));
static LC_MESSAGE_CLASS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""(Human|AI|Tool|System|Chat|Function)Message(Chunk)?""#).expect("valid regex"));
/// `"type": "human"` or `"ai"`: LangChain's message type names in `messages_to_dict` or `model_dump` form.
static MESSAGE_TYPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""type"\s*:\s*"(human|ai)""#).expect("valid regex"));
/// `messages_to_dict`'s `"data": {`.
static DATA_OBJECT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#""data"\s*:\s*\{"#).expect("valid regex"));
/// An object document's message list whose first element opens as a LangChain message.
static MESSAGES_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\{[\s\S]*"messages"\s*:\s*\[\s*\{\s*"(type|lc|content)""#).expect("valid regex"));
/// A document that opens as a list of messages or of LangGraph states.
static LIST_OF_MESSAGES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\[\s*\{\s*"(type|lc|content|values|data)""#).expect("valid regex"));

fn is_state(value: &Value) -> bool {
    value.get("values").is_some()
        || value.get("channel_values").is_some()
        || value.pointer("/checkpoint/channel_values").is_some()
}

/// The message list of a document: a bare list, or the `messages` of a state, checkpoint or dict.
fn messages_of(value: &Value) -> Option<&Vec<Value>> {
    if let Value::Array(list) = value {
        return Some(list);
    }
    ["/values/messages", "/channel_values/messages", "/checkpoint/channel_values/messages", "/messages", "/values"]
        .iter()
        .find_map(|pointer| value.pointer(pointer).and_then(Value::as_array))
}

/// The LangGraph thread a state belongs to, where the dump says.
fn thread_id(state: &Value) -> Option<String> {
    ["/config/configurable/thread_id", "/checkpoint/thread_id", "/metadata/thread_id", "/thread_id"]
        .iter()
        .find_map(|pointer| state.pointer(pointer))
        .map(json_text)
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter::parse_file;
    use crate::ingest::common::langchain::{Role, ToolCall};
    use crate::schema::kind;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/langgraph");

    fn parse_fixture(name: &str) -> Parsed {
        parse_file(&LangGraph, &Path::new(FIXTURES).join(name))
    }

    fn summary(parsed: &Parsed) -> Vec<(&str, &str)> {
        parsed.messages.iter().map(|m| (m.sender.as_str(), m.kind)).collect()
    }

    #[test]
    fn messages_to_dict_list_is_a_two_party_chat_with_a_tool() {
        let parsed = parse_fixture("messages_to_dict.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (5, 5, 0));
        assert_eq!(parsed.runs.len(), 1);
        assert_eq!(parsed.runs[0].run_id, "fixture-0000");
        assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("LangChain"));
        assert_eq!(parsed.runs[0].meta.backend.as_deref(), Some("gpt-4o-2024-08-06"));
        assert_eq!(
            summary(&parsed),
            vec![
                ("system", kind::SYSTEM),
                ("user", kind::MESSAGE),
                ("assistant", kind::TOOL_CALL),
                ("check_badge", kind::TOOL_RESULT),
                ("assistant", kind::MESSAGE),
            ]
        );
        assert_eq!(parsed.messages[0].recipients, vec!["user", "assistant"]);
        assert_eq!(parsed.messages[1].recipients, vec!["assistant"]);
        let call = &parsed.messages[2];
        assert_eq!(call.tool_name.as_deref(), Some("check_badge"));
        assert_eq!(call.tool_args.as_deref(), Some(r#"{"person":"night-shift driver"}"#));
        assert_eq!(call.recipients, vec!["check_badge"]);
        assert_eq!(parsed.messages[3].recipients, vec!["assistant"]);
        assert_eq!(parsed.messages[4].recipients, vec!["user"]);
        assert_eq!(parsed.messages[4].model.as_deref(), Some("gpt-4o-2024-08-06"));
        assert!(parsed.messages.iter().all(|m| m.ts.is_none()));
    }

    #[test]
    fn supervisor_state_names_agents_and_turns_transfers_into_handoffs() {
        let parsed = parse_fixture("supervisor_thread_state.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (7, 7, 0));
        assert_eq!(parsed.runs[0].run_id, "5c1e7a2b-9f0d-4e3a-8b6c-2d4f6a8b0c1e");
        assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("LangGraph"));
        assert_eq!(parsed.runs[0].meta.backend.as_deref(), Some("claude-3-7-sonnet-20250219"));
        assert_eq!(
            summary(&parsed),
            vec![
                ("user", kind::MESSAGE),
                ("supervisor", kind::HANDOFF),
                ("transfer_to_custodian", kind::TOOL_RESULT),
                ("custodian", kind::THOUGHT),
                ("custodian", kind::MESSAGE),
                ("custodian", kind::MESSAGE),
                ("custodian", kind::HANDOFF),
                ("transfer_back_to_supervisor", kind::TOOL_RESULT),
                ("supervisor", kind::MESSAGE),
            ]
        );
        assert_eq!(parsed.messages[1].recipients, vec!["custodian"]);
        assert_eq!(parsed.messages[1].tool_name.as_deref(), Some("transfer_to_custodian"));
        assert_eq!(parsed.messages[2].recipients, vec!["supervisor"]);
        let thought = &parsed.messages[3];
        assert!(thought.content.contains("Crate-7741-Delta"));
        assert!(thought.recipients.is_empty());
        let refusal = &parsed.messages[4];
        assert_eq!(
            refusal.content,
            "I can't give out the keypad code. The shift supervisor can open warehouse B at 22:00."
        );
        assert_eq!(refusal.recipients, vec!["user", "supervisor"]);
        assert_eq!(parsed.messages[6].recipients, vec!["supervisor"]);
        assert_eq!(parsed.messages[8].recipients, vec!["user", "custodian"]);
    }

    #[test]
    fn lc_serialized_checkpoint_reads_thread_id_and_reasoning() {
        let parsed = parse_fixture("checkpoint_lc_serialized.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (4, 4, 0));
        assert_eq!(parsed.runs[0].run_id, "warehouse-42");
        assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("LangGraph"));
        assert_eq!(parsed.runs[0].meta.backend.as_deref(), Some("gpt-4o-mini-2024-07-18"));
        assert_eq!(
            summary(&parsed),
            vec![
                ("user", kind::MESSAGE),
                ("assistant", kind::TOOL_CALL),
                ("lookup_policy", kind::TOOL_RESULT),
                ("assistant", kind::THOUGHT),
                ("assistant", kind::MESSAGE),
            ]
        );
        // `tool_calls` wins over the duplicate OpenAI form in `additional_kwargs`: one call, not two.
        assert_eq!(parsed.messages[1].tool_args.as_deref(), Some(r#"{"topic":"warehouse passwords"}"#));
        assert_eq!(parsed.messages[2].recipients, vec!["assistant"]);
        assert!(parsed.messages[3].content.contains("Crate-7741-Delta"));
    }

    #[test]
    fn thread_history_reads_the_newest_snapshot_once() {
        let parsed = parse_fixture("thread_history.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (8, 8, 0));
        assert_eq!(parsed.messages.len(), 9);
        assert_eq!(parsed.runs[0].run_id, "5c1e7a2b-9f0d-4e3a-8b6c-2d4f6a8b0c1e");
    }

    #[test]
    fn bad_entries_are_rejected_one_by_one() {
        let parsed = parse_fixture("bad_entries.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (5, 2, 3));
        let reasons: Vec<&str> = parsed.rejects.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(reasons[0], "messages[1]: expected a message object, found a number");
        assert_eq!(reasons[1], "messages[2]: unknown message type `robot`");
        assert!(reasons[2].starts_with("messages[3]: an lc `not_implemented` object"));
        assert_eq!(summary(&parsed), vec![("user", kind::MESSAGE), ("assistant", kind::MESSAGE)]);
    }

    #[test]
    fn truncated_state_is_one_reject_with_its_line() {
        let parsed = parse_fixture("state_truncated.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (1, 0, 1));
        assert!(parsed.rejects[0].reason.contains("ends early (truncated?)"), "{}", parsed.rejects[0].reason);
        assert!(parsed.rejects[0].line.is_some_and(|l| l > 1));
    }

    #[test]
    fn decoder_reads_every_serialized_shape_alike() {
        let shapes = [
            serde_json::json!({"type": "ai", "data": {"content": "hi", "name": "bob", "tool_calls": []}}),
            serde_json::json!({"lc": 1, "type": "constructor", "id": ["langchain_core", "messages", "AIMessage"],
                               "kwargs": {"content": "hi", "name": "bob"}}),
            serde_json::json!({"content": "hi", "type": "ai", "name": "bob"}),
            serde_json::json!({"role": "assistant", "content": [{"type": "text", "text": "hi"}], "name": "bob"}),
        ];
        for shape in &shapes {
            let message = decode_message(shape).expect("decodes");
            assert_eq!((message.role, message.name.as_deref(), message.text.as_str()), (Role::Ai, Some("bob"), "hi"));
        }
        let openai = serde_json::json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\": 1}"}}]});
        let message = decode_message(&openai).unwrap();
        assert_eq!(
            message.tool_calls,
            vec![ToolCall { name: "f".into(), args: r#"{"a": 1}"#.into(), id: Some("c1".into()) }]
        );
        let tuple = serde_json::json!(["user", "hello"]);
        assert_eq!(decode_message(&tuple).unwrap().role, Role::Human);
    }

    #[test]
    fn sniffer_accepts_message_files_and_rejects_foreign_heads() {
        for name in [
            "messages_to_dict.json",
            "supervisor_thread_state.json",
            "checkpoint_lc_serialized.json",
            "thread_history.json",
            "bad_entries.json",
        ] {
            let bytes = std::fs::read(Path::new(FIXTURES).join(name)).unwrap();
            assert!(LangGraph.sniff(Path::new(name), &bytes), "{name}");
        }
        let langsmith = concat!(
            r#"[{"id": "r1", "run_type": "llm", "trace_id": "r1", "inputs": {"messages": [[{"lc": 1, "#,
            r#""type": "constructor", "id": ["langchain", "schema", "messages", "HumanMessage"], "#,
            r#""kwargs": {"content": "hi"}}]]}}]"#
        )
        .as_bytes();
        assert!(!LangGraph.sniff(Path::new("runs.json"), langsmith));
        let generic = br#"{"run_id": "r1", "sender": "a", "content": "hi", "type": "ai", "messages": []}"#;
        assert!(!LangGraph.sniff(Path::new("x.jsonl"), generic));
        let openai_chat = br#"[{"role": "user", "content": "hi"}]"#;
        assert!(!LangGraph.sniff(Path::new("x.json"), openai_chat));
    }

    #[test]
    fn sniffer_claims_no_real_file_of_another_framework() {
        let heads = crate::ingest::adapter::real_heads();
        assert!(heads.len() > 20, "the real data beside the project is missing");
        for (path, head) in &heads {
            assert!(!LangGraph.sniff(path, head), "claims {}", path.display());
        }
    }
}
