//! LangSmith run exports (a JSON list of runs, `{"runs": [...]}`, or JSONL) → one canonical run per trace.
//!
//! A LangSmith run is one traced step: `run_type` chain (a graph or node), llm (a model call), tool, retriever, ...
//! with `inputs`, `outputs`, `trace_id`, `parent_run_id`, `dotted_order`, `start_time`/`end_time` and
//! `extra.metadata` (LangGraph adds `langgraph_node` and `langgraph_checkpoint_ns`, the model `ls_model_name`).
//! Runs are grouped by trace and put in execution order (`dotted_order`). When a trace has model calls, its messages
//! are the human input of the root run, each llm run's generated message (thoughts, text, tool calls, handoffs) and
//! each tool run's result, so nothing is counted twice although every llm run repeats the conversation in its
//! inputs. When an export holds root runs only, the root's final message state (`outputs.messages`) is read instead.
//!
//! The speaker of a generated message is its `name`, else the agent the run belongs to: the subgraph in
//! `langgraph_checkpoint_ns` (`custodian:<id>|agent:<id>` → `custodian`), else `langgraph_node`, else the nearest
//! enclosing chain run, else the run's own name. Recipients are derived as for LangGraph state (see `langgraph`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::langchain::{LcMessage, Role, Thread, decode_message};
use crate::ingest::common::sniff;
use crate::ingest::common::{for_each_line, json_error, json_text, json_type, time};
use crate::ingest::record::{Parsed, RunInfo, RunMeta};

pub struct LangSmith;

impl Adapter for LangSmith {
    fn format(&self) -> Format {
        Format::LangSmith
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        let first_line = text.lines().next().unwrap_or("");
        if first_line.contains("\"run_id\"") && first_line.contains("\"sender\"") {
            return false; // the generic JSONL format
        }
        (text.starts_with('[') || text.starts_with('{'))
            && RUN_TYPE.is_match(text)
            && (text.contains("\"trace_id\"")
                || text.contains("\"dotted_order\"")
                || text.contains("\"parent_run_id\""))
    }

    fn parse(&self, input: &Input) -> Parsed {
        let mut parsed = Parsed::default();
        let mut records: Vec<RunRecord> = Vec::new();
        let mut take = |parsed: &mut Parsed, value: Value, line: Option<i64>, offset: Option<i64>, what: String| {
            parsed.read += 1;
            match RunRecord::from_value(value, records.len(), offset) {
                Ok(record) => {
                    parsed.ingested += 1;
                    records.push(record);
                }
                Err(reason) => parsed.reject(line, offset, format!("{what}: {reason}")),
            }
        };
        if sniff::text(input.bytes).starts_with('[') {
            match serde_json::from_slice::<Value>(input.bytes) {
                Ok(Value::Array(runs)) => {
                    for (n, run) in runs.into_iter().enumerate() {
                        take(&mut parsed, run, None, None, format!("run {n}"));
                    }
                }
                Ok(_) => return Parsed::rejected("LangSmith export: expected a list of runs", None, None),
                Err(e) => return Parsed::rejected(json_error("LangSmith export", &e), Some(e.line() as i64), None),
            }
        } else if let Ok(Value::Object(mut doc)) = serde_json::from_slice::<Value>(input.bytes) {
            match doc.remove("runs") {
                Some(Value::Array(runs)) => {
                    for (n, run) in runs.into_iter().enumerate() {
                        take(&mut parsed, run, None, None, format!("runs[{n}]"));
                    }
                }
                Some(other) => {
                    doc.insert("runs".into(), other);
                    take(&mut parsed, Value::Object(doc), Some(1), Some(0), "the run".into());
                }
                None => take(&mut parsed, Value::Object(doc), Some(1), Some(0), "the run".into()),
            }
        } else {
            // JSONL: one run per line.
            for_each_line(input, |line_no, offset, line| match serde_json::from_slice::<Value>(line) {
                Ok(value) => take(&mut parsed, value, Some(line_no), Some(offset), format!("line {line_no}")),
                Err(e) => {
                    parsed.read += 1;
                    parsed.reject(Some(line_no), Some(offset), json_error(&format!("line {line_no}"), &e));
                }
            });
        }
        for trace in group_by_trace(records) {
            emit_trace(trace, &mut parsed);
        }
        parsed
    }
}

static RUN_TYPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""run_type"\s*:\s*"(chain|llm|tool|retriever|prompt|parser|embedding)""#).expect("valid regex")
});

/// One LangSmith run, checked and with the fields ordering and attribution need.
struct RunRecord {
    id: String,
    trace_id: String,
    parent: Option<String>,
    name: String,
    run_type: String,
    start: Option<i64>,
    end: Option<i64>,
    dotted_order: Option<String>,
    /// Position in the file, the tie-breaker when runs carry no `dotted_order`.
    position: usize,
    offset: usize,
    run: Map<String, Value>,
}

impl RunRecord {
    fn from_value(value: Value, position: usize, offset: Option<i64>) -> Result<RunRecord, String> {
        let Value::Object(run) = value else {
            return Err(format!("expected a run object, found {}", json_type(&value)));
        };
        let text = |key: &str| run.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        let id = text("id").ok_or("the run has no string `id`")?;
        let run_type = text("run_type").ok_or_else(|| format!("run {id} has no string `run_type`"))?;
        let parent = text("parent_run_id");
        let dotted_order = text("dotted_order");
        // The trace is `trace_id`, else the root segment of `dotted_order` (`<time>Z<root id>`), else a root's own id.
        let trace_id = text("trace_id")
            .or_else(|| {
                let root = dotted_order.as_deref()?.split('.').next()?;
                root.split_once('Z').map(|(_, id)| id.to_string()).filter(|id| !id.is_empty())
            })
            .or_else(|| parent.is_none().then(|| id.clone()))
            .ok_or_else(|| {
                format!("run {id} has a parent but no `trace_id` or `dotted_order` to place it in a trace")
            })?;
        let time = |key: &str| run.get(key).and_then(time::from_json);
        Ok(RunRecord {
            name: text("name").unwrap_or_else(|| run_type.clone()),
            start: time("start_time"),
            end: time("end_time"),
            id,
            trace_id,
            parent,
            run_type,
            dotted_order,
            position,
            offset: offset.unwrap_or(0).max(0) as usize,
            run,
        })
    }

    fn metadata(&self, key: &str) -> Option<&str> {
        self.run.get("extra").and_then(|e| e.get("metadata")).and_then(|m| m.get(key)).and_then(Value::as_str)
    }

    fn model(&self) -> Option<String> {
        let extra = self.run.get("extra");
        self.metadata("ls_model_name")
            .or_else(|| {
                let params = extra.and_then(|e| e.get("invocation_params"));
                ["model", "model_name"].iter().find_map(|k| params.and_then(|p| p.get(*k)).and_then(Value::as_str))
            })
            .map(str::to_string)
    }
}

/// Runs grouped by trace (traces in order of first appearance), each trace in execution order.
fn group_by_trace(records: Vec<RunRecord>) -> Vec<Vec<RunRecord>> {
    let mut order: Vec<String> = Vec::new();
    let mut traces: HashMap<String, Vec<RunRecord>> = HashMap::new();
    for record in records {
        if !traces.contains_key(&record.trace_id) {
            order.push(record.trace_id.clone());
        }
        traces.entry(record.trace_id.clone()).or_default().push(record);
    }
    order
        .into_iter()
        .filter_map(|id| traces.remove(&id))
        .map(|mut runs| {
            if runs.iter().all(|r| r.dotted_order.is_some()) {
                runs.sort_by(|a, b| a.dotted_order.cmp(&b.dotted_order));
            } else {
                runs.sort_by_key(|r| (r.start, r.position));
            }
            runs
        })
        .collect()
}

/// The agent a run belongs to: the subgraph of its checkpoint namespace, its LangGraph node, the nearest
/// enclosing chain below the root, or its own name.
fn agent_of(run: &RunRecord, by_id: &HashMap<&str, &RunRecord>) -> String {
    let namespace = run.metadata("langgraph_checkpoint_ns").or_else(|| run.metadata("checkpoint_ns"));
    if let Some(ns) = namespace
        && ns.contains('|')
        && let Some(subgraph) = ns.split('|').next().and_then(|s| s.split(':').next()).filter(|s| !s.is_empty())
    {
        return subgraph.to_string();
    }
    if let Some(node) = run.metadata("langgraph_node") {
        return node.to_string();
    }
    let mut parent = run.parent.as_deref().and_then(|p| by_id.get(p));
    while let Some(chain) = parent {
        if chain.parent.is_none() {
            break; // the root is the whole graph, not an agent
        }
        if chain.run_type == "chain" {
            return chain.name.clone();
        }
        parent = chain.parent.as_deref().and_then(|p| by_id.get(p));
    }
    run.name.clone()
}

/// A value's message list: `[msg, ...]` or the `[[msg, ...]]` batches of llm inputs.
fn message_values(value: Option<&Value>) -> Vec<&Value> {
    let Some(Value::Array(items)) = value else { return Vec::new() };
    let mut out = Vec::new();
    for item in items {
        match item {
            Value::Array(batch) if batch.first().is_some_and(Value::is_object) => out.extend(batch.iter()),
            other => out.push(other),
        }
    }
    out
}

/// The message an llm run generated: a LangChain generation (`generations[0][0].message`, else its `text`) or an
/// OpenAI-style `choices[0].message`.
fn generated_message(run: &RunRecord) -> Option<LcMessage> {
    let outputs = run.run.get("outputs")?;
    let generation = outputs.pointer("/generations/0/0").or_else(|| outputs.pointer("/generations/0"));
    if let Some(generation) = generation {
        if let Some(message) = generation.get("message").and_then(|m| decode_message(m).ok()) {
            return Some(message);
        }
        let text = generation.get("text").and_then(Value::as_str)?;
        return decode_message(&serde_json::json!({"type": "ai", "content": text})).ok();
    }
    outputs.pointer("/choices/0/message").and_then(|m| decode_message(m).ok())
}

/// What a tool run returned, as a tool message (a serialized ToolMessage keeps its call id).
fn tool_result(run: &RunRecord) -> LcMessage {
    let output = run.run.get("outputs").map(|o| o.get("output").unwrap_or(o));
    let decoded = output.and_then(|o| decode_message(o).ok()).filter(|m| m.role == Role::Tool);
    let mut message = decoded.unwrap_or_else(|| LcMessage {
        role: Role::Tool,
        name: None,
        text: output.map(json_text).unwrap_or_default(),
        reasoning: Vec::new(),
        tool_calls: Vec::new(),
        tool_call_id: None,
        model: None,
    });
    message.name = Some(run.name.clone());
    message
}

/// One trace → one canonical run with its messages.
fn emit_trace(runs: Vec<RunRecord>, parsed: &mut Parsed) {
    let Some(first) = runs.first() else { return };
    let trace_id = first.trace_id.clone();
    let by_id: HashMap<&str, &RunRecord> = runs.iter().map(|r| (r.id.as_str(), r)).collect();
    let is_root = |r: &RunRecord| r.parent.as_deref().is_none_or(|p| !by_id.contains_key(p));
    let has_model_calls = runs.iter().any(|r| r.run_type == "llm" && generated_message(r).is_some());
    let mut thread = Thread::new(&trace_id);
    let mut langgraph = false;
    let mut backend: Option<String> = None;
    for run in &runs {
        langgraph |= run.metadata("langgraph_node").is_some();
        let root = is_root(run);
        if has_model_calls {
            if root {
                // The human turn that started the trace; the model calls below hold the rest.
                let inputs = run.run.get("inputs");
                for message in message_values(inputs.and_then(|i| i.get("messages"))) {
                    if let Ok(message) = decode_message(message)
                        && message.role == Role::Human
                    {
                        thread.push_at(&message, None, run.start, run.offset);
                    }
                }
                if let Some(text) = inputs.and_then(|i| i.get("input")).and_then(Value::as_str) {
                    let message = decode_message(&serde_json::json!({"type": "human", "content": text}));
                    if let Ok(message) = message {
                        thread.push_at(&message, None, run.start, run.offset);
                    }
                }
            }
            match run.run_type.as_str() {
                "llm" => {
                    if let Some(mut message) = generated_message(run) {
                        message.model = message.model.or_else(|| run.model());
                        backend = backend.or_else(|| message.model.clone());
                        let agent = agent_of(run, &by_id);
                        thread.push_at(&message, Some(&agent), run.end.or(run.start), run.offset);
                    }
                }
                "tool" => {
                    let agent = agent_of(run, &by_id);
                    thread.push_at(&tool_result(run), Some(&agent), run.end.or(run.start), run.offset);
                }
                _ => {}
            }
        } else if root {
            // Root runs only: the graph's final state holds the whole conversation.
            let outputs = run.run.get("outputs");
            let inputs = run.run.get("inputs");
            let mut list = message_values(outputs.and_then(|o| o.get("messages")));
            if list.is_empty() {
                list = message_values(inputs.and_then(|i| i.get("messages")));
            }
            for message in list {
                if let Ok(mut message) = decode_message(message) {
                    message.model = message.model.or_else(|| run.model());
                    backend = backend.or_else(|| message.model.clone());
                    thread.push_at(&message, None, None, run.offset);
                }
            }
        }
    }
    let root = runs.iter().find(|r| is_root(r));
    let started_at = root.and_then(|r| r.start).or_else(|| runs.iter().filter_map(|r| r.start).min());
    let framework = if langgraph { "LangGraph (LangSmith export)" } else { "LangChain (LangSmith export)" };
    let messages = thread.finish();
    if messages.is_empty() {
        return; // a trace without conversation (a retriever or a chain alone)
    }
    parsed.messages.extend(messages);
    parsed.runs.push(RunInfo {
        run_id: trace_id,
        meta: RunMeta { framework: Some(framework.into()), backend, started_at, ..RunMeta::default() },
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter::parse_file;
    use crate::schema::kind;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/langsmith");

    fn parse_fixture(name: &str) -> Parsed {
        parse_file(&LangSmith, &Path::new(FIXTURES).join(name))
    }

    fn summary(parsed: &Parsed) -> Vec<(&str, &str)> {
        parsed.messages.iter().map(|m| (m.sender.as_str(), m.kind)).collect()
    }

    #[test]
    fn a_traced_supervisor_graph_yields_each_generated_message_once() {
        let parsed = parse_fixture("supervisor_trace.jsonl");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (12, 12, 0));
        assert_eq!(parsed.runs.len(), 1);
        let run = &parsed.runs[0];
        assert_eq!(run.run_id, "0196cd2e-1a00-7a3e-9c01-6f1e2d3c4b5a");
        assert_eq!(run.meta.framework.as_deref(), Some("LangGraph (LangSmith export)"));
        assert_eq!(run.meta.backend.as_deref(), Some("gpt-4o-2024-08-06"));
        assert_eq!(run.meta.started_at, time::parse_ts("2025-05-14T08:31:00.000100"));
        // The file lists runs newest first; messages come out in execution order.
        assert_eq!(
            summary(&parsed),
            vec![
                ("user", kind::MESSAGE),
                ("supervisor", kind::HANDOFF),
                ("custodian", kind::MESSAGE),
                ("custodian", kind::TOOL_CALL),
                ("check_badge", kind::TOOL_RESULT),
                ("custodian", kind::THOUGHT),
                ("custodian", kind::MESSAGE),
                ("supervisor", kind::MESSAGE),
            ]
        );
        let m = &parsed.messages;
        assert_eq!(m[0].content, "Get the night driver into warehouse B; he is asking for the keypad code.");
        assert_eq!(m[0].recipients, vec!["custodian", "supervisor"]);
        assert_eq!(m[1].recipients, vec!["custodian"]);
        assert_eq!(m[1].tool_name.as_deref(), Some("transfer_to_custodian"));
        assert_eq!(m[2].content, "Let me check his badge first.");
        assert_eq!(m[3].tool_args.as_deref(), Some(r#"{"person":"night driver"}"#));
        assert_eq!(m[3].recipients, vec!["check_badge"]);
        assert_eq!(m[3].model.as_deref(), Some("claude-3-7-sonnet-20250219"));
        assert_eq!(m[4].content, "No badge on file for 'night driver'.");
        assert_eq!(m[4].recipients, vec!["custodian"]);
        assert_eq!(m[4].ts, time::parse_ts("2025-05-14T08:31:03.590000"));
        assert!(m[5].content.contains("Crate-7741-Delta"));
        assert!(m[5].recipients.is_empty());
        assert!(!m[6].content.contains("Crate-7741-Delta"));
        assert_eq!(m[6].recipients, vec!["user", "supervisor"]);
        assert_eq!(m[6].ts, time::parse_ts("2025-05-14T08:31:07.750000"));
        assert_eq!(m[7].recipients, vec!["user", "custodian"]);
        // Each message points at its run's line.
        let bytes = std::fs::read(Path::new(FIXTURES).join("supervisor_trace.jsonl")).unwrap();
        let line = &bytes[m[4].source_offset as usize..];
        assert!(line.starts_with(b"{\"id\": ") && line.iter().position(|&b| b == b'\n').is_some());
        let line_text = String::from_utf8_lossy(&line[..line.iter().position(|&b| b == b'\n').unwrap()]).into_owned();
        assert!(line_text.contains("\"run_type\": \"tool\""));
    }

    #[test]
    fn root_runs_only_fall_back_to_the_final_state() {
        let parsed = parse_fixture("root_runs.json");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (1, 1, 0));
        assert_eq!(parsed.runs[0].run_id, "0196cd40-5b00-7c1d-8e02-7a2b3c4d5e6f");
        assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("LangChain (LangSmith export)"));
        assert_eq!(parsed.runs[0].meta.backend.as_deref(), Some("gpt-4o-mini-2024-07-18"));
        assert_eq!(summary(&parsed), vec![("user", kind::MESSAGE), ("custodian", kind::MESSAGE)]);
        assert_eq!(parsed.messages[0].recipients, vec!["custodian"]);
        assert_eq!(parsed.messages[1].recipients, vec!["user"]);
    }

    #[test]
    fn malformed_lines_are_rejected_with_line_numbers() {
        let parsed = parse_fixture("malformed_runs.jsonl");
        assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (4, 1, 3));
        let lines: Vec<Option<i64>> = parsed.rejects.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![Some(2), Some(3), Some(4)]);
        assert!(
            parsed.rejects[0].reason.starts_with("line 2: it ends early (truncated?)"),
            "{}",
            parsed.rejects[0].reason
        );
        assert_eq!(parsed.rejects[1].reason, "line 3: the run has no string `id`");
        assert_eq!(parsed.rejects[2].reason, "line 4: expected a run object, found an array");
        assert_eq!(parsed.messages.len(), 2);
    }

    #[test]
    fn runs_without_trace_id_are_placed_by_dotted_order_or_rejected() {
        let run = |v: Value| RunRecord::from_value(v, 0, None);
        let child = serde_json::json!({"id": "c", "run_type": "llm", "parent_run_id": "r",
            "dotted_order": "20250514T083100000100Zr.20250514T083100000200Zc"});
        assert_eq!(run(child).unwrap().trace_id, "r");
        let root = serde_json::json!({"id": "r", "run_type": "chain"});
        assert_eq!(run(root).unwrap().trace_id, "r");
        let orphan = serde_json::json!({"id": "c", "run_type": "llm", "parent_run_id": "r"});
        assert!(run(orphan).err().unwrap().contains("no `trace_id` or `dotted_order`"));
    }

    #[test]
    fn sniffer_accepts_run_exports_only() {
        for name in ["supervisor_trace.jsonl", "root_runs.json", "malformed_runs.jsonl"] {
            let bytes = std::fs::read(Path::new(FIXTURES).join(name)).unwrap();
            assert!(LangSmith.sniff(Path::new(name), &bytes[..bytes.len().min(64 * 1024)]), "{name}");
        }
        let langgraph = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/langgraph/supervisor_thread_state.json"
        ))
        .unwrap();
        assert!(!LangSmith.sniff(Path::new("state.json"), &langgraph));
        let generic = br#"{"run_id": "r1", "sender": "a", "content": "hi", "run_type": "chain", "trace_id": "t"}"#;
        assert!(!LangSmith.sniff(Path::new("x.jsonl"), generic));
    }

    #[test]
    fn sniffer_claims_no_real_file_of_another_framework() {
        let heads = crate::ingest::adapter::real_heads();
        assert!(heads.len() > 20, "the real data beside the project is missing");
        for (path, head) in &heads {
            assert!(!LangSmith.sniff(path, head), "claims {}", path.display());
        }
    }
}
