//! CrewAI: the `CrewOutput` dump (`crewai-output/<run_id>.json`, `crew_output.model_dump()` saved as JSON) and the
//! crew's `output_log_file` in its JSON form (`crewai-log/<run_id>.json`). Neither records a run id: the adapter
//! derives it from the file, `<run_id>-<content hash>` (the manifest can match the path).
//!
//! A crew runs tasks, so the chain is cut into tasks: each task is one agent's work ending in its message (the
//! task's `raw` result, read as the agent's message to the agents of later tasks); the agent's thoughts and tool
//! calls just before it are the task's LLM conversation (`messages`) in the ReAct form CrewAI prompts for: an
//! assistant turn `<thought>\nAction: <tool>\nAction Input: <args>\nObservation: <result>` (a THOUGHT, a TOOL_CALL
//! and the TOOL_RESULT), or a bare `<thought>`. Each task opens with its `user` prompt (the task description), which
//! the adapter reads as a message from `crew` to the agent: that one message per task is the documented addition.
//! Steps not followed by their agent's message end a task with an empty result (an empty message of the agent).
//!
//! Cannot carry: recipients (derived: later tasks' agents, else `user`); a tool call's note text (content is the
//! arguments); the tool result's speaker (the tool); a result not right after its call (left out); leading and
//! trailing whitespace of thoughts, arguments and results (the ReAct split trims them); thoughts that contain a line
//! starting `Action:`; times (a CrewOutput has none); the run's condition. The log keeps only each task's
//! assignment and result: thoughts and tool turns are left out of it.

use serde::Serialize;
use serde_json::json;

use super::Part;
use crate::error::Result;
use crate::simulate::chain::{Chain, TurnKind};

/// One ReAct step: a thought, a tool call, its result (turn indexes).
#[derive(Default, Clone)]
struct Step {
    thought: Option<usize>,
    call: Option<usize>,
    result: Option<usize>,
}

/// One task: its agent, its steps, the message turn that is its result (none: an empty result).
struct Task<'a> {
    agent: &'a str,
    steps: Vec<Step>,
    result: Option<usize>,
}

fn tasks(chain: &Chain) -> Vec<Task<'_>> {
    let mut out: Vec<Task> = Vec::new();
    let mut current: Option<Task> = None;
    for (n, turn) in chain.turns.iter().enumerate() {
        let agent = turn.speaker.as_str();
        match &turn.kind {
            TurnKind::ToolResult { .. } => {
                // The observation of the call just before it; any other result is left out.
                let step = current.as_mut().and_then(|t| t.steps.last_mut());
                if let Some(step) = step.filter(|s| s.call == Some(n.wrapping_sub(1)) && s.result.is_none()) {
                    step.result = Some(n);
                }
                continue;
            }
            _ => {
                if current.as_ref().is_some_and(|t| t.agent != agent) {
                    out.extend(current.take());
                }
            }
        }
        let task = current.get_or_insert_with(|| Task { agent, steps: Vec::new(), result: None });
        match &turn.kind {
            TurnKind::Thought => task.steps.push(Step { thought: Some(n), ..Step::default() }),
            TurnKind::ToolCall { .. } => match task.steps.last_mut() {
                Some(step) if step.thought == Some(n.wrapping_sub(1)) && step.call.is_none() => step.call = Some(n),
                _ => task.steps.push(Step { call: Some(n), ..Step::default() }),
            },
            TurnKind::Message => {
                task.result = Some(n);
                out.extend(current.take());
            }
            TurnKind::ToolResult { .. } => {}
        }
    }
    out.extend(current);
    out
}

fn react(chain: &Chain, step: &Step) -> String {
    let mut text = step.thought.map(|t| chain.turns[t].text.clone()).unwrap_or_default();
    if let Some(TurnKind::ToolCall { name, args }) = step.call.map(|c| &chain.turns[c].kind) {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!("Action: {name}\nAction Input: {args}"));
        if let Some(r) = step.result {
            text.push_str("\nObservation: ");
            text.push_str(&chain.turns[r].text);
        }
    }
    text
}

fn description(chain: &Chain, k: usize, agent: &str) -> String {
    format!("Task {} of {}: continue the conversation as {agent}.", k + 1, chain.meta.title())
}

pub(super) fn encode_output(chain: &Chain) -> Result<Vec<Part>> {
    let tasks = tasks(chain);
    let mut outputs = Vec::with_capacity(tasks.len());
    for (k, task) in tasks.iter().enumerate() {
        let prompt = description(chain, k, task.agent);
        let mut messages = vec![json!({"role": "user", "content": prompt})];
        messages.extend(task.steps.iter().map(|s| json!({"role": "assistant", "content": react(chain, s)})));
        let raw = task.result.map_or("", |r| chain.turns[r].text.as_str());
        outputs.push(json!({
            "description": prompt, "name": format!("task_{}", k + 1), "expected_output": "A reply.",
            "summary": prompt.chars().take(40).collect::<String>(), "raw": raw, "pydantic": null,
            "json_dict": null, "agent": task.agent, "output_format": "raw", "messages": messages,
        }));
    }
    let last = tasks.last().and_then(|t| t.result).map_or("", |r| chain.turns[r].text.as_str());
    let crew = json!({
        "raw": last, "pydantic": null, "json_dict": null, "tasks_output": outputs,
        "token_usage": {"total_tokens": 0, "prompt_tokens": 0, "cached_prompt_tokens": 0, "completion_tokens": 0, "successful_requests": 0},
    });
    let bytes = super::to_vec_pretty(&crew)?;
    Ok(vec![Part::File { path: format!("crewai-output/{}.json", chain.run_id), bytes }])
}

/// A `FileHandler.log` entry in CrewAI's JSON log, in its field order.
#[derive(Serialize)]
struct LogEntry<'a> {
    timestamp: String,
    task_name: String,
    task: &'a str,
    agent: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<&'a str>,
}

pub(super) fn encode_log(chain: &Chain) -> Result<Vec<Part>> {
    let ts = |n: usize| super::utc(chain.turns[n].ts_us).format("%Y-%m-%d %H:%M:%S").to_string();
    let mut entries = Vec::new();
    let tasks = tasks(chain);
    let prompts: Vec<String> = tasks.iter().enumerate().map(|(k, t)| description(chain, k, t.agent)).collect();
    for (k, task) in tasks.iter().enumerate() {
        let Some(result) = task.result else { continue };
        let first = task.steps.first().and_then(|s| s.thought.or(s.call)).unwrap_or(result);
        let name = format!("task_{}", k + 1);
        entries.push(LogEntry {
            timestamp: ts(first),
            task_name: name.clone(),
            task: &prompts[k],
            agent: task.agent,
            status: "started",
            output: None,
        });
        entries.push(LogEntry {
            timestamp: ts(result),
            task_name: name,
            task: &prompts[k],
            agent: task.agent,
            status: "completed",
            output: Some(&chain.turns[result].text),
        });
    }
    let bytes = super::to_vec_pretty(&entries)?;
    Ok(vec![Part::File { path: format!("crewai-log/{}.json", chain.run_id), bytes }])
}

/// CrewAI output: per task the crew's prompt, the ReAct steps, the result.
#[cfg(test)]
pub(super) fn expected_output(chain: &Chain) -> Vec<super::tests::Expected> {
    use crate::schema::kind;
    let mut out: Vec<super::tests::Expected> = Vec::new();
    for (k, task) in tasks(chain).iter().enumerate() {
        out.push(("crew".into(), kind::MESSAGE, description(chain, k, task.agent), None, None));
        for step in &task.steps {
            if let Some(t) = step.thought {
                out.push((task.agent.into(), kind::THOUGHT, chain.turns[t].text.trim_end().into(), None, None));
            }
            if let Some(TurnKind::ToolCall { name, args }) = step.call.map(|c| &chain.turns[c].kind) {
                let args = args.trim().to_string();
                out.push((task.agent.into(), kind::TOOL_CALL, args.clone(), Some(name.clone()), Some(args)));
                if let Some(r) = step.result {
                    let text = chain.turns[r].text.trim().to_string();
                    out.push((name.clone(), kind::TOOL_RESULT, text, Some(name.clone()), None));
                }
            }
        }
        let raw = task.result.map_or(String::new(), |r| chain.turns[r].text.clone());
        out.push((task.agent.into(), kind::MESSAGE, raw, None, None));
    }
    out
}

/// CrewAI log: per task with a result, the crew's assignment and the result.
#[cfg(test)]
pub(super) fn expected_log(chain: &Chain) -> Vec<super::tests::Expected> {
    use crate::schema::kind;
    let mut out: Vec<super::tests::Expected> = Vec::new();
    for (k, task) in tasks(chain).iter().enumerate() {
        let Some(r) = task.result else { continue };
        out.push(("crew".into(), kind::MESSAGE, description(chain, k, task.agent), None, None));
        out.push((task.agent.into(), kind::MESSAGE, chain.turns[r].text.clone(), None, None));
    }
    out
}
