//! tau-bench results (`run.py` checkpoints, e.g. `historical_trajectories/gpt-4o-airline.json`): a JSON array of
//! `{task_id, trial, reward, info: {task, source, user_cost, reward_info}, traj: [OpenAI chat messages]}`.
//!
//! Each result is one run, `<file stem>/task<task_id>-trial<trial>`. The trajectory is the tool-calling agent's
//! message list: the system message (the domain policy, kind SYSTEM, to the assistant), the simulated user's turns
//! (user → assistant), the agent's replies (assistant → user), its tool calls (one TOOL_CALL per call, assistant →
//! the tool, with `tool_name` and the JSON `tool_args`; content is the arguments too) and the tool results (the tool
//! → assistant, TOOL_RESULT). Text the model wrote next to a tool call is a THOUGHT with no recipient: tau-bench's
//! agent executes the call and never shows that text to the user. The backend is taken from `info` when a run
//! records it (`model` / `agent_model`); the historical files do not, so it stays null unless a manifest sets it.
//! Records: each result (its header) and each trajectory entry.

use std::path::Path;

use serde_json::Value;

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::openai_chat::{ASSISTANT, USER, call_message, content_text, tool_calls, tool_result};
use crate::ingest::common::sniff;
use crate::ingest::common::{json_error, json_spans};
use crate::ingest::record::{Message, Parsed, RunInfo, RunMeta};
use crate::schema::kind;

pub struct TauBench;

impl Adapter for TauBench {
    fn format(&self) -> Format {
        Format::TauBench
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        sniff::text(head).starts_with('[') && sniff::has_all(head, &["\"task_id\"", "\"traj\"", "\"reward\""])
    }

    fn parse(&self, input: &Input) -> Parsed {
        let doc: Value = match serde_json::from_slice(input.bytes) {
            Ok(doc) => doc,
            Err(e) => return Parsed::rejected(json_error("tau-bench results", &e), Some(e.line() as i64), None),
        };
        let Value::Array(results) = doc else {
            return Parsed::rejected("tau-bench results: expected a JSON array of task results", Some(1), Some(0));
        };
        let bytes = input.bytes;
        let stem = file_stem(input.path);
        let result_starts = json_spans::array_elements(bytes, 0).filter(|s| s.len() == results.len());
        let offset_of = |start: usize| input.base_offset as usize + start;
        let line_of = |start: usize| input.first_line as i64 - 1 + json_spans::line_at(bytes, start);
        let mut parsed = Parsed::default();

        for (n, result) in results.iter().enumerate() {
            parsed.read += 1;
            let start = result_starts.as_ref().map_or(0, |s| s[n]);
            let (task_id, traj) = match (result.get("task_id").and_then(id_text), result.get("traj")) {
                (Some(task_id), Some(Value::Array(traj))) => (task_id, traj),
                (None, _) => {
                    let reason = format!("result {n} has no `task_id` (a number or string)");
                    parsed.reject(Some(line_of(start)), Some(offset_of(start) as i64), reason);
                    continue;
                }
                (Some(task_id), _) => {
                    let reason = format!("result {n} (task {task_id}) has no `traj` list");
                    parsed.reject(Some(line_of(start)), Some(offset_of(start) as i64), reason);
                    continue;
                }
            };
            let run_id = match result.get("trial").and_then(id_text) {
                Some(trial) => format!("{stem}/task{task_id}-trial{trial}"),
                None => format!("{stem}/task{task_id}-result{n}"),
            };
            let info = result.get("info");
            let backend = ["model", "agent_model"]
                .iter()
                .find_map(|k| info.and_then(|i| i.get(*k)).and_then(Value::as_str))
                .map(str::to_string);
            parsed.runs.push(RunInfo {
                run_id: run_id.clone(),
                meta: RunMeta {
                    framework: Some(Format::TauBench.framework().into()),
                    backend: backend.clone(),
                    ..RunMeta::default()
                },
            });
            parsed.ingested += 1;

            let traj_starts = json_spans::object_member(bytes, start, "traj")
                .and_then(|at| json_spans::array_elements(bytes, at))
                .filter(|s| s.len() == traj.len());
            for (k, entry) in traj.iter().enumerate() {
                parsed.read += 1;
                let at = traj_starts.as_ref().map_or(start, |s| s[k]);
                match traj_messages(entry, &traj[..k], &run_id, offset_of(at)) {
                    Ok(messages) => {
                        parsed.messages.extend(messages.into_iter().map(|mut m| {
                            if m.sender == ASSISTANT {
                                m.model = backend.clone();
                            }
                            m
                        }));
                        parsed.ingested += 1;
                    }
                    Err(reason) => parsed.reject(
                        Some(line_of(at)),
                        Some(offset_of(at) as i64),
                        format!("{run_id}: traj[{k}]: {reason}"),
                    ),
                }
            }
        }
        parsed
    }
}

/// "gpt-4o-airline.json" (or ".json.gz") → "gpt-4o-airline".
fn file_stem(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("taubench");
    let name = [".gz", ".zst"].iter().fold(name, |n, ext| n.strip_suffix(ext).unwrap_or(n));
    name.strip_suffix(".json").unwrap_or(name).to_string()
}

fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// The canonical messages of one trajectory entry (an assistant entry with tool calls gives one per call).
fn traj_messages(entry: &Value, earlier: &[Value], run_id: &str, offset: usize) -> Result<Vec<Message>, String> {
    let role = entry.get("role").and_then(Value::as_str).ok_or("has no string `role`")?;
    let content = content_text(entry.get("content"))?;
    let mut message = Message::new(run_id, role, content, offset);
    match role {
        "system" => {
            message.kind = kind::SYSTEM;
            message.recipients = vec![ASSISTANT.into()];
            Ok(vec![message])
        }
        "user" => {
            message.recipients = vec![ASSISTANT.into()];
            message.sender_role = Some("user".into());
            Ok(vec![message])
        }
        "assistant" => {
            let calls = tool_calls(entry)?;
            if calls.is_empty() {
                message.recipients = vec![USER.into()];
                return Ok(vec![message]);
            }
            let mut out = Vec::new();
            if !message.content.trim().is_empty() {
                message.kind = kind::THOUGHT;
                out.push(message);
            }
            out.extend(calls.into_iter().map(|call| call_message(run_id, call, offset)));
            Ok(out)
        }
        "tool" => {
            tool_result(&mut message, entry, earlier);
            Ok(vec![message])
        }
        other => Err(format!("role \"{other}\" is not one of system, user, assistant, tool")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter;
    use std::collections::HashMap;

    const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata/taubench/gpt-4o-airline.json");
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/taubench");

    fn parse_file(path: &str) -> Parsed {
        adapter::parse_file(&TauBench, Path::new(path))
    }

    #[test]
    fn real_airline_trajectories_match_the_source_counts() {
        let parsed = parse_file(REAL);
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects.first());
        // 200 results + 200 system + 1490 user + 2454 assistant + 1164 tool entries
        assert_eq!(parsed.read, 200 + 200 + 1490 + 2454 + 1164);
        assert_eq!(parsed.ingested, parsed.read);
        assert_eq!(parsed.runs.len(), 200);
        assert_eq!(parsed.runs[0].run_id, "gpt-4o-airline/task0-trial0");
        assert!(
            parsed.runs.iter().all(|r| r.meta.backend.is_none() && r.meta.framework.as_deref() == Some("tau-bench"))
        );
        let unique: std::collections::HashSet<_> = parsed.runs.iter().map(|r| &r.run_id).collect();
        assert_eq!(unique.len(), 200);

        let mut by_kind: HashMap<(&str, &str), usize> = HashMap::new();
        for m in &parsed.messages {
            let sender = if m.kind == kind::TOOL_RESULT { "<tool>" } else { m.sender.as_str() };
            *by_kind.entry((sender, m.kind)).or_default() += 1;
        }
        assert_eq!(by_kind[&("system", kind::SYSTEM)], 200);
        assert_eq!(by_kind[&("user", kind::MESSAGE)], 1490);
        // 2454 assistant entries: 1290 replies, 1164 with one tool call each, 90 of those with text beside the call
        assert_eq!(by_kind[&("assistant", kind::MESSAGE)], 1290);
        assert_eq!(by_kind[&("assistant", kind::TOOL_CALL)], 1164);
        assert_eq!(by_kind[&("assistant", kind::THOUGHT)], 90);
        assert_eq!(by_kind[&("<tool>", kind::TOOL_RESULT)], 1164);
        assert_eq!(parsed.messages.len(), 200 + 1490 + 1290 + 1164 + 90 + 1164);

        let run0: Vec<_> = parsed.messages.iter().filter(|m| m.run_id == "gpt-4o-airline/task0-trial0").collect();
        assert_eq!(run0[1].recipients, ["assistant"]);
        assert_eq!(run0[1].content, "Hi! I'm looking to book a flight from New York to Seattle on May 20th.");
        assert_eq!(run0[2].recipients, ["user"]);
        let call = run0.iter().find(|m| m.kind == kind::TOOL_CALL).unwrap();
        assert_eq!(call.tool_name.as_deref(), Some("get_user_details"));
        assert_eq!(call.tool_args.as_deref(), Some("{\"user_id\":\"mia_li_3668\"}"));
        assert_eq!(call.recipients, ["get_user_details"]);
        let result = run0.iter().find(|m| m.kind == kind::TOOL_RESULT).unwrap();
        assert_eq!(
            (result.sender.as_str(), result.recipients.as_slice()),
            ("get_user_details", &["assistant".into()][..])
        );
        assert!(result.content.contains("975 Sunset Drive"));
        assert!(parsed.messages.iter().filter(|m| m.kind == kind::THOUGHT).all(|m| m.recipients.is_empty()));
        let bytes = std::fs::read(REAL).unwrap();
        assert!(parsed.messages.iter().all(|m| bytes[m.source_offset as usize] == b'{'));
    }

    #[test]
    fn malformed_results_and_entries_are_rejected_with_lines() {
        let parsed = parse_file(&format!("{FIXTURES}/results_malformed.json"));
        assert_eq!(parsed.ingested + parsed.rejects.len() as u64, parsed.read);
        let rejects: Vec<_> = parsed.rejects.iter().map(|r| (r.line, r.reason.as_str())).collect();
        assert_eq!(
            rejects,
            [
                (
                    Some(8),
                    concat!(
                        "results_malformed/task7-trial0: traj[3]: ",
                        "role \"narrator\" is not one of system, user, assistant, tool"
                    )
                ),
                (Some(9), "results_malformed/task7-trial0: traj[4]: tool_calls[0].function has no string `name`"),
                (Some(12), "result 1 has no `task_id` (a number or string)"),
                (Some(14), "result 2 (task 9) has no `traj` list"),
            ]
        );
        assert_eq!(parsed.read, 3 + 5);
        assert_eq!(parsed.runs.len(), 1);
        assert_eq!(parsed.runs[0].meta.backend.as_deref(), Some("gpt-4o-2024-08-06"));
        let m = &parsed.messages;
        assert_eq!(m.len(), 3);
        assert_eq!(m[2].kind, kind::TOOL_RESULT);
        assert_eq!(m[2].sender, "lookup_code", "name found from the tool_call_id of an earlier call");
        assert_eq!(m[0].model, None, "only the agent's messages carry the model");
        assert_eq!(m[1].model.as_deref(), Some("gpt-4o-2024-08-06"));
    }

    #[test]
    fn sniffs_result_arrays_only() {
        let head = std::fs::read(REAL).unwrap();
        assert!(TauBench.sniff(Path::new(REAL), &head[..64 * 1024]));
        assert!(!TauBench.sniff(Path::new("x.json"), br#"{"task_id": 1, "traj": [], "reward": 1}"#));
        assert!(!TauBench.sniff(Path::new("x.json"), br#"[{"workforce_id": "1", "event_type": "log"}]"#));
    }
}
