//! CrewAI TaskOutput / CrewOutput dumps (`crewai-output`) → canonical messages, one run per file: each task's
//! assignment (or the agent's LLM conversation, split in ReAct steps), then its result sent downstream; see the
//! family header in [`super`].

use std::path::Path;

use serde_json::{Map, Value};

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::crewai::downstream;
use crate::ingest::common::{json_error, json_text, sniff};
use crate::ingest::record::{Message, Parsed, RunInfo, RunMeta};
use crate::schema::kind;

/// TaskOutput / CrewOutput `model_dump` (or `model_dump_json`) files.
pub struct CrewAiOutput;

impl Adapter for CrewAiOutput {
    fn format(&self) -> Format {
        Format::CrewAiOutput
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        let first_line = text.lines().next().unwrap_or("");
        if first_line.contains("\"run_id\"") && first_line.contains("\"sender\"") {
            return false; // the generic JSONL format
        }
        (text.starts_with('{') || text.starts_with('['))
            && (sniff::has_all(head, &["\"tasks_output\"", "\"raw\""])
                || sniff::has_all(head, &["\"description\"", "\"raw\"", "\"agent\"", "\"output_format\""]))
    }

    fn parse(&self, input: &Input) -> Parsed {
        let doc: Value = match serde_json::from_slice(input.bytes) {
            Ok(doc) => doc,
            Err(e) => return Parsed::rejected(json_error("CrewAI output", &e), Some(e.line() as i64), None),
        };
        let mut parsed = Parsed::default();
        // The crews in the file: a CrewOutput, a list of CrewOutputs (`kickoff_for_each`), or TaskOutputs.
        let crews: Vec<(String, Vec<&Value>, Option<&Value>)> = match &doc {
            Value::Object(o) if o.contains_key("tasks_output") => vec![crew_of(input.default_run_id, o)],
            Value::Array(list) if list.iter().any(|v| v.get("tasks_output").is_some()) => list
                .iter()
                .enumerate()
                .map(|(n, crew)| match crew.as_object() {
                    Some(o) => crew_of(&format!("{}-{n}", input.default_run_id), o),
                    None => (format!("{}-{n}", input.default_run_id), vec![crew], None),
                })
                .collect(),
            Value::Array(list) => vec![(input.default_run_id.to_string(), list.iter().collect(), None)],
            single => vec![(input.default_run_id.to_string(), vec![single], None)],
        };
        for (run_id, tasks, final_output) in crews {
            let before = parsed.messages.len();
            let mut outputs: Vec<TaskRecord> = Vec::new();
            for (n, task) in tasks.iter().enumerate() {
                parsed.read += 1;
                match TaskRecord::from_value(task) {
                    Ok(record) => {
                        parsed.ingested += 1;
                        outputs.push(record);
                    }
                    Err(reason) => parsed.reject(None, None, format!("crew {run_id}, task output {n}: {reason}")),
                }
            }
            if tasks.is_empty()
                && let Some(raw) = final_output
            {
                // A CrewOutput without its tasks: only the crew's final answer.
                parsed.read += 1;
                parsed.ingested += 1;
                let mut message = Message::new(&run_id, "crew", json_text(raw), 0);
                message.recipients = vec!["user".into()];
                parsed.messages.push(message);
            }
            parsed.messages.extend(task_messages(&run_id, &outputs));
            if parsed.messages.len() > before {
                let meta = RunMeta { framework: Some(Format::CrewAiOutput.framework().into()), ..RunMeta::default() };
                parsed.runs.push(RunInfo { run_id, meta });
            }
        }
        parsed
    }
}

/// A CrewOutput object → (run id, its task outputs, its final raw answer).
fn crew_of<'a>(run_id: &str, crew: &'a Map<String, Value>) -> (String, Vec<&'a Value>, Option<&'a Value>) {
    let tasks = crew.get("tasks_output").and_then(Value::as_array).map(|t| t.iter().collect()).unwrap_or_default();
    (run_id.to_string(), tasks, crew.get("raw").filter(|r| !r.is_null()))
}

/// One TaskOutput.
struct TaskRecord {
    agent: String,
    description: String,
    result: String,
    /// The agent's LLM conversation (`messages`, recent releases): (role, content).
    conversation: Vec<(String, String)>,
}

impl TaskRecord {
    fn from_value(value: &Value) -> Result<TaskRecord, String> {
        let Some(task) = value.as_object() else {
            return Err(format!("expected a TaskOutput object, found {}", crate::ingest::common::json_type(value)));
        };
        let agent = task
            .get("agent")
            .and_then(Value::as_str)
            .filter(|a| !a.trim().is_empty())
            .ok_or("the TaskOutput has no `agent`: CrewAI records the role of the agent that did the task there")?;
        let present = |key: &str| task.get(key).filter(|v| !v.is_null() && v.as_str() != Some(""));
        let result = present("raw").or_else(|| present("json_dict")).or_else(|| present("pydantic"));
        let conversation = task
            .get("messages")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|m| {
                        let role = m.get("role").and_then(Value::as_str)?;
                        let content = match m.get("content")? {
                            Value::Array(parts) => parts
                                .iter()
                                .map(|p| p.get("text").map(json_text).unwrap_or_else(|| json_text(p)))
                                .collect::<Vec<_>>()
                                .join("\n"),
                            other => json_text(other),
                        };
                        Some((role.to_string(), content))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(TaskRecord {
            agent: agent.to_string(),
            description: task.get("description").map(json_text).unwrap_or_default(),
            result: result.map(json_text).unwrap_or_default(),
            conversation,
        })
    }
}

/// Task outputs → per task: the assignment (or the agent's LLM conversation), then the result sent downstream.
fn task_messages(run_id: &str, tasks: &[TaskRecord]) -> Vec<Message> {
    let mut messages = Vec::new();
    for (n, task) in tasks.iter().enumerate() {
        let agent = task.agent.as_str();
        let to_agent = |sender: &str, content: &str, kind: &'static str| {
            let mut m = Message::new(run_id, sender, content, 0);
            m.recipients = vec![agent.to_string()];
            m.kind = kind;
            m
        };
        if task.conversation.is_empty() {
            messages.push(to_agent("crew", &task.description, kind::MESSAGE));
        }
        for (role, content) in &task.conversation {
            match role.as_str() {
                "system" => messages.push(to_agent("system", content, kind::SYSTEM)),
                "assistant" => messages.extend(react_steps(run_id, agent, content)),
                _ => messages.push(to_agent("crew", content, kind::MESSAGE)),
            }
        }
        let later = tasks[n + 1..].iter().map(|t| t.agent.as_str());
        let mut result = Message::new(run_id, agent, task.result.clone(), 0);
        result.recipients = downstream(agent, later);
        messages.push(result);
    }
    messages
}

/// One ReAct-formatted assistant turn → its thought, and the tool call and observation when it took an action.
fn react_steps(run_id: &str, agent: &str, text: &str) -> Vec<Message> {
    let mut steps = Vec::new();
    let action_at = if text.starts_with("Action:") { Some(0) } else { text.find("\nAction:").map(|i| i + 1) };
    let thought = action_at.map_or(text, |at| &text[..at]);
    if !thought.trim().is_empty() {
        let mut m = Message::new(run_id, agent, thought.trim_end(), 0);
        m.kind = kind::THOUGHT;
        steps.push(m);
    }
    let Some(at) = action_at else { return steps };
    let action = &text[at + "Action:".len()..];
    let (tool_part, observation) = match action.find("\nObservation:") {
        Some(i) => (&action[..i], Some(action[i + "\nObservation:".len()..].trim())),
        None => (action, None),
    };
    let (tool, args) = match tool_part.find("\nAction Input:") {
        Some(i) => (tool_part[..i].trim(), tool_part[i + "\nAction Input:".len()..].trim()),
        None => (tool_part.trim(), ""),
    };
    let mut call = Message::new(run_id, agent, args, 0);
    call.kind = kind::TOOL_CALL;
    call.tool_name = Some(tool.to_string());
    call.tool_args = Some(args.to_string());
    call.recipients = vec![tool.to_string()];
    steps.push(call);
    if let Some(observation) = observation {
        let mut result = Message::new(run_id, tool, observation, 0);
        result.kind = kind::TOOL_RESULT;
        result.tool_name = Some(tool.to_string());
        result.sender_role = Some("tool".into());
        result.recipients = vec![agent.to_string()];
        steps.push(result);
    }
    steps
}
