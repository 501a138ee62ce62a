//! AgentLeak traces (one JSON document per trace): the run's own ground truth and its channel messages.
//!
//! `input.vault` becomes the run's items (one per field), `input.allowed_set.fields` its MNI, and
//! `channel_messages` its messages with channel C1 (to the user), C2 (inter-agent), C3 (tool call) or C5 (memory
//! write), sender = `source`, recipients = [`target`], model = the trace's `model`. A trace holds the multi-agent
//! run and the single-agent baseline together; `sender` (`single_agent` vs `coordinator`/`worker`) tells them apart.
//! Items count only as exact matches (`match_kinds = [exact]`): that is how the benchmark labels its own leaks, so
//! tvp's labels of these traces reproduce its `has_leak`.

use std::path::Path;

use serde_json::Value;

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::sniff;
use crate::ingest::common::{json_error, json_text, time};
use crate::ingest::record::{Message, Parsed, RunInfo, RunItem, RunMeta};
use crate::schema::kind;

pub struct AgentLeak;

impl Adapter for AgentLeak {
    fn format(&self) -> Format {
        Format::AgentLeak
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        sniff::text(head).starts_with('{') && sniff::has_all(head, &["\"trace_id\"", "\"vault\"", "\"allowed_set\""])
    }

    fn parse(&self, input: &Input) -> Parsed {
        let doc: Value = match serde_json::from_slice(input.bytes) {
            Ok(doc) => doc,
            Err(e) => return Parsed::rejected(json_error("AgentLeak trace", &e), Some(e.line() as i64), None),
        };
        let Some(run_id) = doc.get("trace_id").and_then(Value::as_str) else {
            return Parsed::rejected("AgentLeak trace has no string `trace_id`", None, None);
        };
        let Some(messages) = doc.get("channel_messages").and_then(Value::as_array) else {
            return Parsed::rejected("AgentLeak trace has no `channel_messages` list", None, None);
        };
        let model = doc.get("model").and_then(Value::as_str).map(str::to_string);
        let mut parsed = Parsed { read: 1 + messages.len() as u64, ..Parsed::default() };

        // The trace header: run metadata and the per-run ground truth.
        let vault = doc.pointer("/input/vault").and_then(Value::as_object);
        let allowed: Vec<&str> = doc
            .pointer("/input/allowed_set/fields")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match vault {
            Some(vault) => {
                for (field, value) in vault {
                    let value = json_text(value);
                    if value.trim().is_empty() {
                        continue;
                    }
                    parsed.items.push(RunItem {
                        run_id: run_id.to_string(),
                        item_id: field.clone(),
                        kind: "field".into(),
                        match_forms: vec![value.clone()],
                        // The benchmark's own labels are exact (case-insensitive) matches of the vault value.
                        match_kinds: vec![crate::schema::match_kind::EXACT.to_string()],
                        value,
                        in_mni: allowed.contains(&field.as_str()),
                        is_decoy: false,
                    });
                }
                parsed.ingested += 1;
            }
            None => parsed.reject(None, None, format!("trace {run_id}: `input.vault` is missing or not an object")),
        }
        parsed.runs.push(RunInfo {
            run_id: run_id.to_string(),
            meta: RunMeta {
                framework: Some(Format::AgentLeak.framework().into()),
                backend: model.clone(),
                scenario_id: doc.get("scenario_id").and_then(Value::as_str).map(str::to_string),
                started_at: doc.get("timestamp").and_then(time::from_json),
                ..RunMeta::default()
            },
        });

        for (n, entry) in messages.iter().enumerate() {
            let field = |name: &str| entry.get(name).and_then(Value::as_str);
            let (Some(source), Some(content)) = (field("source"), field("content")) else {
                parsed.reject(
                    None,
                    None,
                    format!("trace {run_id}: channel_messages[{n}] lacks a string `source` or `content`"),
                );
                continue;
            };
            let channel = field("channel").map(str::to_string);
            let mut message = Message::new(run_id, source, content, 0);
            message.recipients = field("target").map(|t| vec![t.to_string()]).unwrap_or_default();
            message.kind = if channel.as_deref() == Some("C3") { kind::TOOL_CALL } else { kind::MESSAGE };
            message.sender_role = Some(if source == "user" { "user" } else { "custodian" }.into());
            message.channel = channel;
            message.model = model.clone();
            parsed.messages.push(message);
            parsed.ingested += 1;
        }
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter::parse_file;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agentleak").join(name)
    }

    #[test]
    fn a_trace_becomes_one_run_with_its_ground_truth_and_channel_messages() {
        let parsed = parse_file(&AgentLeak, &fixture("small_trace.json"));
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (5, 5, 0));
        let run = &parsed.runs[0];
        assert_eq!(run.run_id, "trace_fixture_0001");
        assert_eq!(run.meta.backend.as_deref(), Some("openai/gpt-4o-mini"));
        assert_eq!(run.meta.started_at, time::parse_ts("2026-01-29T20:33:00"));
        // Empty vault values are not items; numbers are stringified; only `name` is in the MNI (fields come sorted).
        let items: Vec<(&str, &str, bool)> =
            parsed.items.iter().map(|i| (i.item_id.as_str(), i.value.as_str(), i.in_mni)).collect();
        assert_eq!(
            items,
            [
                ("account_number", "ACC-55120", false),
                ("balance", "10432.5", false),
                ("credit_score", "712", false),
                ("name", "Dana Whitfield", true)
            ]
        );
        assert!(parsed.items.iter().all(|i| i.match_kinds == ["exact"]));
        let messages: Vec<(&str, &str, Option<&str>, &str)> = parsed
            .messages
            .iter()
            .map(|m| (m.sender.as_str(), m.recipients[0].as_str(), m.channel.as_deref(), m.kind))
            .collect();
        assert_eq!(
            messages,
            [
                ("coordinator", "worker", Some("C2"), kind::MESSAGE),
                ("worker", "crm_lookup", Some("C3"), kind::TOOL_CALL),
                ("worker", "coordinator", Some("C2"), kind::MESSAGE),
                ("coordinator", "user", Some("C1"), kind::MESSAGE),
            ]
        );
        assert!(parsed.messages.iter().all(|m| m.sender_role.as_deref() == Some("custodian")));
    }

    #[test]
    fn broken_traces_are_rejected_with_where_and_why() {
        let truncated = parse_file(&AgentLeak, &fixture("truncated.json"));
        assert_eq!((truncated.read, truncated.rejects.len()), (1, 1));
        let reject = &truncated.rejects[0];
        assert!(reject.reason.starts_with("AgentLeak trace: it ends early (truncated?)"), "{}", reject.reason);
        assert_eq!(reject.line, Some(15), "the file breaks off in its 15th line");

        let missing = parse_file(&AgentLeak, &fixture("no_channel_messages.json"));
        assert_eq!(missing.rejects[0].reason, "AgentLeak trace has no `channel_messages` list");

        let bad = parse_file(&AgentLeak, &fixture("bad_message.json"));
        assert_eq!((bad.read, bad.ingested, bad.rejects.len()), (5, 4, 1));
        assert_eq!(
            bad.rejects[0].reason,
            "trace trace_fixture_0001: channel_messages[2] lacks a string `source` or `content`"
        );
    }

    #[test]
    fn sniffs_traces_and_nothing_else() {
        let head = std::fs::read(fixture("small_trace.json")).unwrap();
        assert!(AgentLeak.sniff(Path::new("x.json"), &head));
        assert!(AgentLeak.sniff(Path::new("x.json"), &std::fs::read(fixture("truncated.json")).unwrap()));
        assert!(!AgentLeak.sniff(Path::new("x.jsonl"), br#"{"run_id": "r", "sender": "a", "content": "vault"}"#));
    }
}
