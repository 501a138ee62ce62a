//! CAMEL Workforce event logs (`WorkforceLogger.dump_to_json()`): a JSON array of orchestration events.
//!
//! Every event has `timestamp`, `workforce_id` (the run) and `event_type`. The agents' words appear only in a few
//! of them, and those become messages: the root `task_created` (no parent) is the user's request to the
//! coordinator; `task_assigned` is a HANDOFF from the coordinator to the worker, carrying the task's description;
//! `task_completed` is the worker's `result_summary` sent back to the coordinator (for the root task, whose
//! `worker_id` is "unknown", the coordinator's aggregated answer to the user); `task_failed` is the worker's
//! `error_message` to the coordinator. `worker_created` names the workers (the part of `role` before the first
//! colon, e.g. "Search Agent"). The other known events (`task_decomposed`, `task_started`, `worker_deleted`,
//! `queue_status`, `all_tasks_completed`, `log`) carry no message: they are read, used for the task and worker
//! tables where they help, and counted as ingested. An event of a type CAMEL does not define is rejected with its
//! line, so a newer log that adds events is never silently thinned. `channel` holds the event type.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::sniff;
use crate::ingest::common::{json_error, json_spans, json_text, time};
use crate::ingest::record::{Message, Parsed, RunInfo, RunMeta};
use crate::schema::kind;

pub struct CamelWorkforce;

/// The name the coordinating side of a Workforce gets (task planner and coordinator agent act as one).
const COORDINATOR: &str = "coordinator";
/// The name the requester of the root task gets.
const USER: &str = "user";
/// Events CAMEL's `WorkforceLogger` defines that carry no agent's words.
const SILENT_EVENTS: [&str; 6] =
    ["task_decomposed", "task_started", "worker_deleted", "queue_status", "all_tasks_completed", "log"];

impl Adapter for CamelWorkforce {
    fn format(&self) -> Format {
        Format::CamelWorkforce
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        sniff::text(head).starts_with('[') && sniff::has_all(head, &["\"workforce_id\"", "\"event_type\""])
    }

    fn parse(&self, input: &Input) -> Parsed {
        let doc: Value = match serde_json::from_slice(input.bytes) {
            Ok(doc) => doc,
            Err(e) => {
                return Parsed::rejected(json_error("CAMEL Workforce log", &e), Some(e.line() as i64), None);
            }
        };
        let Value::Array(events) = doc else {
            return Parsed::rejected("CAMEL Workforce log: expected a JSON array of events", Some(1), Some(0));
        };
        let starts = json_spans::array_elements(input.bytes, 0).filter(|s| s.len() == events.len());
        let mut state = Workforce::default();
        let mut parsed = Parsed { read: events.len() as u64, ..Parsed::default() };
        for (n, event) in events.iter().enumerate() {
            let start = starts.as_ref().map_or(0, |s| s[n]);
            let offset = input.base_offset as usize + start;
            let line = input.first_line as i64 - 1 + json_spans::line_at(input.bytes, start);
            match state.apply(event, offset, input.default_run_id) {
                Ok(message) => {
                    parsed.messages.extend(message);
                    parsed.ingested += 1;
                }
                Err(reason) => parsed.reject(Some(line), Some(offset as i64), format!("event {n}: {reason}")),
            }
        }
        parsed.runs = state
            .runs
            .into_iter()
            .map(|(run_id, started_at)| RunInfo {
                run_id,
                meta: RunMeta {
                    framework: Some(Format::CamelWorkforce.framework().into()),
                    started_at,
                    ..RunMeta::default()
                },
            })
            .collect();
        parsed
    }
}

/// What the events seen so far say about the workforce.
#[derive(Default)]
struct Workforce {
    /// Runs in order of first appearance, with the first event's time.
    runs: Vec<(String, Option<i64>)>,
    /// worker_id → display name.
    workers: HashMap<String, String>,
    /// task_id → (description, parent task).
    tasks: HashMap<String, (String, Option<String>)>,
}

impl Workforce {
    /// Read one event; return the message it carries, if any, or why it cannot be read.
    fn apply(&mut self, event: &Value, offset: usize, default_run_id: &str) -> Result<Option<Message>, String> {
        let Value::Object(fields) = event else {
            return Err("expected a JSON object".into());
        };
        let text = |key: &str| fields.get(key).and_then(id_text);
        let event_type = fields.get("event_type").and_then(Value::as_str).ok_or("has no string `event_type`")?;
        let run_id = text("workforce_id").unwrap_or_else(|| default_run_id.to_string());
        let ts = match fields.get("timestamp") {
            None | Some(Value::Null) => None,
            Some(v) => Some(time::from_json(v).ok_or_else(|| format!("`timestamp` is not a timestamp: {v}"))?),
        };
        if !self.runs.iter().any(|(id, _)| *id == run_id) {
            self.runs.push((run_id.clone(), ts));
        }
        let required = |key: &str| text(key).ok_or_else(|| format!("`{event_type}` event has no `{key}`"));
        let message = |sender: &str, recipient: &str, content: String| {
            let mut message = Message::new(&run_id, sender, content, offset);
            message.recipients = vec![recipient.to_string()];
            message.channel = Some(event_type.to_string());
            message.ts = ts;
            message
        };

        match event_type {
            "worker_created" => {
                let worker_id = required("worker_id")?;
                let role = text("role").unwrap_or_default();
                let name = self.unique_worker_name(&worker_id, &role);
                self.workers.insert(worker_id, name);
                Ok(None)
            }
            "task_created" => {
                let task_id = required("task_id")?;
                let description = fields.get("description").map(json_text).unwrap_or_default();
                let parent = text("parent_task_id");
                let is_root = parent.is_none();
                self.tasks.insert(task_id, (description.clone(), parent));
                // A subtask's description reaches its worker with the assignment; only the root task is spoken.
                if is_root {
                    let mut request = message(USER, COORDINATOR, description);
                    request.sender_role = Some("user".into());
                    return Ok(Some(request));
                }
                Ok(None)
            }
            "task_assigned" => {
                let task_id = required("task_id")?;
                let worker = self.worker_name(&required("worker_id")?);
                let description = self.tasks.get(&task_id).map(|(d, _)| d.clone()).unwrap_or_default();
                let mut handoff = message(COORDINATOR, &worker, description);
                handoff.kind = kind::HANDOFF;
                Ok(Some(handoff))
            }
            "task_completed" | "task_failed" => {
                let task_id = required("task_id")?;
                let content_key = if event_type == "task_completed" { "result_summary" } else { "error_message" };
                let content = match fields.get(content_key) {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => return Err(format!("`{content_key}` must be a string, found {other}")),
                };
                let worker_id = text("worker_id");
                let known_worker = worker_id.as_ref().filter(|id| self.workers.contains_key(*id));
                let is_root = self.tasks.get(&task_id).is_some_and(|(_, parent)| parent.is_none());
                Ok(Some(match known_worker {
                    Some(id) => message(&self.worker_name(id), COORDINATOR, content),
                    // The root task is finished by the workforce itself ("unknown" worker): its answer is for the user.
                    None if is_root => message(COORDINATOR, USER, content),
                    None => message(&worker_id.unwrap_or_else(|| COORDINATOR.into()), COORDINATOR, content),
                }))
            }
            known if SILENT_EVENTS.contains(&known) => Ok(None),
            other => Err(format!(
                "unknown event_type \"{other}\" (CAMEL's WorkforceLogger writes worker_created, task_created, \
                 task_decomposed, task_assigned, task_started, task_completed, task_failed, worker_deleted, \
                 queue_status, all_tasks_completed); skipped"
            )),
        }
    }

    fn worker_name(&self, worker_id: &str) -> String {
        self.workers.get(worker_id).cloned().unwrap_or_else(|| worker_id.to_string())
    }

    /// "Search Agent: Can search the web, ..." → "Search Agent"; an empty role → the worker id; a name another
    /// worker already has gets the first eight characters of the id appended.
    fn unique_worker_name(&self, worker_id: &str, role: &str) -> String {
        let head = role.split(':').next().unwrap_or("").trim();
        let name = if head.is_empty() {
            worker_id.to_string()
        } else if head.chars().count() > 60 {
            head.chars().take(60).collect::<String>().trim_end().to_string()
        } else {
            head.to_string()
        };
        let taken = self.workers.iter().any(|(id, n)| *n == name && id != worker_id);
        if taken { format!("{name} ({})", worker_id.chars().take(8).collect::<String>()) } else { name }
    }
}

/// A string id, or a number id written as text.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter;
    use std::path::PathBuf;

    const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata/camel/eigent_workforce_logs.json");
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/camel");

    fn parse_bytes(path: &str, bytes: &[u8]) -> Parsed {
        let path = PathBuf::from(path);
        crate::ingest::adapter::parse_bytes(&CamelWorkforce, &path, bytes, "stem-0000")
    }

    fn parse_file(path: &str) -> Parsed {
        adapter::parse_file(&CamelWorkforce, Path::new(path))
    }

    #[test]
    fn real_eigent_log_gives_request_handoffs_and_replies() {
        let parsed = parse_file(REAL);
        assert_eq!(parsed.read, 15);
        assert_eq!(parsed.ingested, 15);
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(parsed.runs.len(), 1);
        assert_eq!(parsed.runs[0].run_id, "4954642496");
        assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("CAMEL"));
        assert_eq!(parsed.runs[0].meta.started_at, time::parse_ts("2025-07-13T04:01:05.154927+00:00"));

        let m = &parsed.messages;
        // root request, 2 handoffs, 2 worker replies, the final aggregated answer
        assert_eq!(m.len(), 6);
        assert_eq!((m[0].sender.as_str(), m[0].recipients.as_slice()), ("user", &["coordinator".to_string()][..]));
        assert!(m[0].content.contains("kimi k2 model for the developers"));
        for handoff in &m[1..3] {
            assert_eq!(handoff.kind, kind::HANDOFF);
            assert_eq!(handoff.sender, "coordinator");
            assert_eq!(handoff.recipients, ["Search Agent"]);
        }
        assert!(m[1].content.starts_with("Research and gather comprehensive information about the Kimi K2"));
        assert!(m[2].content.starts_with("Open the Kimi web application"));
        for reply in &m[3..5] {
            assert_eq!(reply.kind, kind::MESSAGE);
            assert_eq!(
                (reply.sender.as_str(), reply.recipients.as_slice()),
                ("Search Agent", &["coordinator".into()][..])
            );
            assert_eq!(reply.channel.as_deref(), Some("task_completed"));
        }
        assert!(m[3].content.starts_with("I have successfully researched"));
        assert_eq!((m[5].sender.as_str(), m[5].recipients.as_slice()), ("coordinator", &["user".to_string()][..]));
        assert!(m[5].content.starts_with("--- Subtask 0.1 Result ---"));
        assert_eq!(m[5].ts, time::parse_ts("2025-07-13T04:02:25.346455+00:00"));
        // offsets point at the event's opening brace
        let bytes = std::fs::read(REAL).unwrap();
        for message in m {
            assert_eq!(bytes[message.source_offset as usize], b'{');
        }
        assert!(parsed.messages.iter().all(|m| m.run_id == "4954642496"));
    }

    #[test]
    fn same_named_workers_and_unknown_events_and_bad_types() {
        let parsed = parse_file(&format!("{FIXTURES}/workforce_odd_events.json"));
        assert_eq!(parsed.read, 9);
        assert_eq!(parsed.ingested + parsed.rejects.len() as u64, parsed.read);
        assert_eq!(parsed.rejects.len(), 3, "{:?}", parsed.rejects);
        assert_eq!(parsed.rejects[0].line, Some(5));
        assert!(parsed.rejects[0].reason.contains("unknown event_type \"worker_paused\""));
        assert!(parsed.rejects[1].reason.contains("`task_assigned` event has no `worker_id`"));
        assert!(parsed.rejects[2].reason.contains("`result_summary` must be a string"));
        let m = &parsed.messages;
        assert_eq!(m.len(), 3);
        assert_eq!(m[1].recipients, ["Vault Keeper (bbbbbbbb)"]);
        assert_eq!(m[2].kind, kind::MESSAGE);
        assert_eq!(m[2].channel.as_deref(), Some("task_failed"));
        assert_eq!(m[2].sender, "Vault Keeper (bbbbbbbb)");
        assert_eq!(m[2].content, "refused: the code 0107 is confidential");
    }

    #[test]
    fn truncated_and_non_array_documents_are_rejected_whole() {
        let real = std::fs::read(REAL).unwrap();
        let parsed = parse_bytes(REAL, &real[..real.len() / 2]);
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (1, 0, 1));
        assert!(parsed.rejects[0].reason.contains("ends early (truncated?)"), "{}", parsed.rejects[0].reason);
        let parsed = parse_bytes(REAL, br#"{"workforce_id": "1", "event_type": "log"}"#);
        assert!(parsed.rejects[0].reason.contains("expected a JSON array"));
    }

    #[test]
    fn sniffs_workforce_logs_only() {
        let real = std::fs::read(REAL).unwrap();
        assert!(CamelWorkforce.sniff(Path::new(REAL), &real));
        assert!(!CamelWorkforce.sniff(Path::new("x.json"), br#"[{"role": "user", "content": "hi"}]"#));
        assert!(!CamelWorkforce.sniff(Path::new("x.json"), br#"{"workforce_id": "1", "event_type": "log"}"#));
    }
}
