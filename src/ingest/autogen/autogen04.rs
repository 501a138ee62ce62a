//! AutoGen 0.4+ (AgentChat and autogen-core) transcripts saved as JSON: AgentChat message dumps (a `TaskResult`
//! with `messages`, or a bare list), team state from `team.save_state()` (`TeamState` → the group chat manager's
//! `message_thread`), an agent's state (`AssistantAgentState` → `llm_context.messages`), and autogen-core
//! `LLMMessage` histories (`{"messages": [UserMessage, AssistantMessage, FunctionExecutionResultMessage, ...]}`).
//!
//! Every entry carries a `type` discriminator. AgentChat messages (`TextMessage`, `MultiModalMessage`,
//! `StopMessage`, `ToolCallSummaryMessage`, structured messages) are team chat: each goes to all other
//! participants of the run; a `HandoffMessage` goes to its `target`; `ToolCallRequestEvent` gives one tool call per
//! function call (to the tool), `ToolCallExecutionEvent` one tool result per result (from the tool to the agent);
//! `ThoughtEvent` is a thought. An LLM context is one conversation seen by its agents: a `UserMessage` goes to the
//! agent that answers it, an `AssistantMessage` to the one it answers, its `thought` becomes a separate thought, and
//! its function calls tool calls; `FunctionExecutionResultMessage` results go back to the calling agent.
//! `created_at` gives the time. Streaming chunks and input requests repeat or announce other messages and are
//! counted as ingested without a message of their own. Each list entry is a record, rejected with its place when
//! it cannot be read.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::autogen::Group;
use crate::ingest::common::sniff;
use crate::ingest::common::{json_error, json_text, time};
use crate::ingest::record::{Message, Parsed, RunInfo, RunMeta};
use crate::schema::kind;

pub struct Autogen04;

/// The `type` tags AgentChat and autogen-core write (SystemMessage alone is too common a word to claim a file).
static TYPE_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#""type"\s*:\s*"(TextMessage|MultiModalMessage|StopMessage|HandoffMessage|ToolCallSummaryMessage|ToolCallRequestEvent|ToolCallExecutionEvent|ThoughtEvent|MemoryQueryEvent|UserInputRequestedEvent|ModelClientStreamingChunkEvent|CodeGenerationEvent|CodeExecutionEvent|SelectSpeakerEvent|UserMessage|AssistantMessage|FunctionExecutionResultMessage|TeamState|AssistantAgentState|ChatAgentContainerState|RoundRobinManagerState|SelectorManagerState|SwarmManagerState|MagenticOneOrchestratorState|SocietyOfMindAgentState)""#,
    )
    .expect("valid regex")
});

impl Adapter for Autogen04 {
    fn format(&self) -> Format {
        Format::Autogen04
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        (text.starts_with('{') || text.starts_with('[')) && TYPE_TAG.is_match(text)
    }

    fn parse(&self, input: &Input) -> Parsed {
        let doc: Value = match serde_json::from_slice(input.bytes) {
            Ok(doc) => doc,
            Err(e) => return Parsed::rejected(json_error("AutoGen 0.4 document", &e), Some(e.line() as i64), None),
        };
        let mut run_id = input.default_run_id.to_string();
        let lists: Vec<(String, &Vec<Value>)> = match &doc {
            Value::Array(list) => vec![(String::new(), list)],
            Value::Object(o) => {
                if let Some(Value::String(team_id)) = o.get("team_id")
                    && !team_id.is_empty()
                {
                    run_id = team_id.clone();
                }
                let lists = state_lists(o, "");
                if lists.is_empty() {
                    return Parsed::rejected(
                        "AutoGen 0.4 document: found no message list (`messages`, a team state's `message_thread`, \
                         or an agent's `llm_context.messages`)",
                        None,
                        None,
                    );
                }
                lists
            }
            _ => return Parsed::rejected("AutoGen 0.4 document: expected a JSON object or list", None, None),
        };
        let mut parsed = Parsed::default();
        for (at, list) in lists {
            read_list(&run_id, &at, list, &mut parsed);
        }
        parsed.runs.push(RunInfo {
            run_id,
            meta: RunMeta { framework: Some(Format::Autogen04.framework().into()), ..RunMeta::default() },
        });
        parsed
    }
}

/// The message lists in a document: `messages` (TaskResult, LLMMessage history), `message_thread` (a group chat
/// manager's state), `llm_context.messages` (an agent's state), searched through team states (`agent_states`),
/// agent containers (`agent_state`) and society-of-mind agents (`inner_team_state`). In a team, the managers'
/// threads are the conversation; the agents' own contexts repeat it and are read only when no thread exists.
fn state_lists<'a>(o: &'a Map<String, Value>, at: &str) -> Vec<(String, &'a Vec<Value>)> {
    let path = |key: &str| if at.is_empty() { key.to_string() } else { format!("{at}.{key}") };
    for key in ["messages", "message_thread"] {
        if let Some(Value::Array(list)) = o.get(key) {
            return vec![(path(key), list)];
        }
    }
    if let Some(Value::Array(list)) = o.get("llm_context").and_then(|c| c.get("messages")) {
        return vec![(path("llm_context.messages"), list)];
    }
    let mut threads = Vec::new();
    let mut contexts = Vec::new();
    for key in ["agent_state", "inner_team_state"] {
        if let Some(Value::Object(inner)) = o.get(key) {
            contexts.extend(state_lists(inner, &path(key)));
        }
    }
    if let Some(Value::Object(agents)) = o.get("agent_states") {
        for (name, state) in agents {
            let Value::Object(state) = state else { continue };
            let found = state_lists(state, &path(&format!("agent_states.{name}")));
            let is_thread = |(p, _): &(String, &Vec<Value>)| p.ends_with("message_thread");
            let (t, c): (Vec<_>, Vec<_>) = found.into_iter().partition(is_thread);
            threads.extend(t);
            contexts.extend(c);
        }
    }
    if threads.is_empty() { contexts } else { threads }
}

/// What a list needs to know across its entries to address messages.
struct Context<'a> {
    run_id: &'a str,
    /// Every `source` (and handoff target) in the list.
    participants: Group,
    /// For each entry, the source of the next AssistantMessage after it (who answers a UserMessage).
    next_assistant: Vec<Option<String>>,
    /// The source of the last UserMessage so far (whom an AssistantMessage answers).
    last_user: Option<String>,
    /// Function call id → (calling agent, function name).
    calls: HashMap<String, (String, String)>,
}

fn read_list(run_id: &str, at: &str, list: &[Value], parsed: &mut Parsed) {
    let names = list.iter().flat_map(|entry| [entry.get("source"), entry.get("target")]).flatten();
    let participants = Group::new(names.filter_map(Value::as_str).filter(|n| !n.is_empty()));
    let mut next_assistant = vec![None; list.len()];
    let mut upcoming: Option<String> = None;
    for (n, entry) in list.iter().enumerate().rev() {
        next_assistant[n] = upcoming.clone();
        if entry.get("type").and_then(Value::as_str) == Some("AssistantMessage") {
            upcoming = entry.get("source").and_then(Value::as_str).map(str::to_string);
        }
    }
    let mut context = Context { run_id, participants, next_assistant, last_user: None, calls: HashMap::new() };
    for (n, entry) in list.iter().enumerate() {
        parsed.read += 1;
        let place = if at.is_empty() { format!("[{n}]") } else { format!("{at}[{n}]") };
        match entry_messages(entry, n, &mut context) {
            Ok(messages) => {
                parsed.messages.extend(messages);
                parsed.ingested += 1;
            }
            Err(reason) => parsed.reject(None, None, format!("{place}: {reason}")),
        }
    }
}

/// Text of a `content` that may be a list (multimodal: strings and images; images are left out).
fn text_of(content: &Value) -> String {
    match content {
        Value::Array(parts) => parts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"),
        other => json_text(other),
    }
}

/// One entry as canonical messages.
fn entry_messages(entry: &Value, n: usize, cx: &mut Context) -> Result<Vec<Message>, String> {
    let Value::Object(o) = entry else {
        return Err("not a message object".into());
    };
    let Some(tag) = o.get("type").and_then(Value::as_str) else {
        return Err("the message has no `type`".into());
    };
    let source = match o.get("source") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.as_str()),
        None | Some(Value::Null) => None,
        Some(other) => return Err(format!("`source` must be a string, found {other}")),
    };
    let need_source = || source.ok_or(format!("the {tag} has no `source`"));
    let content = o.get("content");
    let need_list = || match content {
        Some(Value::Array(list)) => Ok(list),
        _ => Err(format!("the {tag}'s `content` must be a list")),
    };
    let ts = o.get("created_at").and_then(time::from_json);
    let run_id = cx.run_id;
    let new = |sender: &str, text: String, kind: &'static str, recipients: Vec<String>| {
        let mut m = Message::new(run_id, sender, text, 0);
        m.kind = kind;
        m.recipients = recipients;
        m.ts = ts;
        m
    };
    let mut out = Vec::new();
    match tag {
        "TextMessage" | "StopMessage" | "ToolCallSummaryMessage" | "MultiModalMessage" => {
            let sender = need_source()?;
            let text = content.map(text_of).ok_or(format!("the {tag} has no `content`"))?;
            out.push(new(sender, text, kind::MESSAGE, cx.participants.others(sender)));
        }
        "HandoffMessage" => {
            let sender = need_source()?;
            let target = o.get("target").and_then(Value::as_str).ok_or("the HandoffMessage has no string `target`")?;
            let text = content.map(text_of).unwrap_or_default();
            out.push(new(sender, text, kind::HANDOFF, vec![target.to_string()]));
        }
        "ThoughtEvent" => {
            let sender = need_source()?;
            out.push(new(sender, content.map(text_of).unwrap_or_default(), kind::THOUGHT, Vec::new()));
        }
        "ToolCallRequestEvent" => {
            let sender = need_source()?;
            for (k, call) in need_list()?.iter().enumerate() {
                out.push(tool_call(call, k, sender, cx, &new)?);
            }
        }
        "ToolCallExecutionEvent" => {
            let agent = need_source()?;
            for (k, result) in need_list()?.iter().enumerate() {
                out.push(tool_result(result, k, Some(agent), cx, &new)?);
            }
        }
        "CodeGenerationEvent" => {
            let sender = need_source()?;
            let code = content.map(text_of).unwrap_or_default();
            let mut m = new(sender, code.clone(), kind::TOOL_CALL, vec!["code_execution".into()]);
            m.tool_name = Some("code_execution".into());
            m.tool_args = Some(serde_json::json!({ "code": code }).to_string());
            out.push(m);
        }
        "CodeExecutionEvent" => {
            let agent = need_source()?;
            let result = match o.get("result") {
                Some(Value::Object(r)) => r.get("output").map(json_text).unwrap_or_default(),
                Some(other) => json_text(other),
                None => return Err("the CodeExecutionEvent has no `result`".into()),
            };
            let mut m = new("code_execution", result, kind::TOOL_RESULT, vec![agent.to_string()]);
            m.tool_name = Some("code_execution".into());
            out.push(m);
        }
        "MemoryQueryEvent" => {
            let agent = need_source()?;
            let text = need_list()?
                .iter()
                .map(|item| item.get("content").map(json_text).unwrap_or_else(|| json_text(item)))
                .collect::<Vec<_>>()
                .join("\n");
            let mut m = new("memory", text, kind::SYSTEM, vec![agent.to_string()]);
            m.channel = Some("memory".into());
            out.push(m);
        }
        "SelectSpeakerEvent" => {
            let sender = need_source()?;
            out.push(new(sender, content.map(text_of).unwrap_or_default(), kind::SYSTEM, Vec::new()));
        }
        // Announcements and partial chunks of messages recorded in full elsewhere.
        "UserInputRequestedEvent" | "ModelClientStreamingChunkEvent" => {}
        "SystemMessage" => {
            out.push(new("system", content.map(text_of).unwrap_or_default(), kind::SYSTEM, Vec::new()));
        }
        "UserMessage" => {
            let sender = need_source()?;
            let text = content.map(text_of).ok_or("the UserMessage has no `content`")?;
            let answerer = cx.next_assistant[n].clone().filter(|a| a != sender);
            let recipients = answerer.map_or_else(|| cx.participants.others(sender), |a| vec![a]);
            out.push(new(sender, text, kind::MESSAGE, recipients));
            cx.last_user = Some(sender.to_string());
        }
        "AssistantMessage" => {
            let sender = need_source()?;
            if let Some(Value::String(thought)) = o.get("thought")
                && !thought.is_empty()
            {
                out.push(new(sender, thought.clone(), kind::THOUGHT, Vec::new()));
            }
            match content {
                Some(Value::Array(calls)) => {
                    for (k, call) in calls.iter().enumerate() {
                        out.push(tool_call(call, k, sender, cx, &new)?);
                    }
                }
                Some(Value::String(text)) => {
                    let asker = cx.last_user.clone().filter(|u| u != sender);
                    let recipients = asker.map_or_else(|| cx.participants.others(sender), |u| vec![u]);
                    out.push(new(sender, text.clone(), kind::MESSAGE, recipients));
                }
                _ => return Err("the AssistantMessage's `content` must be text or a list of function calls".into()),
            }
        }
        "FunctionExecutionResultMessage" => {
            for (k, result) in need_list()?.iter().enumerate() {
                out.push(tool_result(result, k, None, cx, &new)?);
            }
        }
        other => {
            // Structured messages and custom message types carry their class name as `type`.
            let (Some(sender), Some(content)) = (source, content) else {
                return Err(format!("unknown message type `{other}` with no `source` and `content`"));
            };
            out.push(new(sender, json_text(content), kind::MESSAGE, cx.participants.others(sender)));
        }
    }
    Ok(out)
}

/// A `FunctionCall` {id, name, arguments} as a tool call from `sender` to the tool.
fn tool_call(
    call: &Value,
    k: usize,
    sender: &str,
    cx: &mut Context,
    new: &impl Fn(&str, String, &'static str, Vec<String>) -> Message,
) -> Result<Message, String> {
    let name = call.get("name").and_then(Value::as_str).ok_or(format!("function call {k} has no string `name`"))?;
    let args = call.get("arguments").map(json_text).unwrap_or_default();
    if let Some(id) = call.get("id").and_then(Value::as_str) {
        cx.calls.insert(id.to_string(), (sender.to_string(), name.to_string()));
    }
    let mut m = new(sender, args.clone(), kind::TOOL_CALL, vec![name.to_string()]);
    m.tool_name = Some(name.to_string());
    m.tool_args = Some(args);
    Ok(m)
}

/// A `FunctionExecutionResult` {content, name, call_id, is_error} as a tool result from the tool to the agent that
/// called it (`agent` when the event names it, else the caller recorded for `call_id`).
fn tool_result(
    result: &Value,
    k: usize,
    agent: Option<&str>,
    cx: &Context,
    new: &impl Fn(&str, String, &'static str, Vec<String>) -> Message,
) -> Result<Message, String> {
    if !result.is_object() {
        return Err(format!("function result {k} is not an object"));
    }
    let call = result.get("call_id").and_then(Value::as_str).and_then(|id| cx.calls.get(id));
    let name =
        result.get("name").and_then(Value::as_str).map(str::to_string).or_else(|| call.map(|(_, name)| name.clone()));
    let caller = agent.map(str::to_string).or_else(|| call.map(|(caller, _)| caller.clone()));
    let text = result.get("content").map(json_text).unwrap_or_default();
    let mut m = new(name.as_deref().unwrap_or("tool"), text, kind::TOOL_RESULT, caller.into_iter().collect());
    m.tool_name = name;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter::assert_accounted;

    const REAL: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/realdata/autogen04/autogen_core_handoffs_history-wile_e_coyote_1.json"
    );
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/autogen04");

    fn parse_file(path: &str) -> Parsed {
        crate::ingest::adapter::parse_file_with_run_id(&Autogen04, Path::new(path), "ag04-default")
    }

    fn shape(parsed: &Parsed) -> Vec<(&str, &str, Vec<&str>)> {
        parsed
            .messages
            .iter()
            .map(|m| (m.sender.as_str(), m.kind, m.recipients.iter().map(String::as_str).collect()))
            .collect()
    }

    #[test]
    fn real_core_handoff_history() {
        let parsed = parse_file(REAL);
        assert_accounted(&parsed, "parsed");
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(parsed.read, 6);
        assert_eq!(parsed.runs.len(), 1);
        assert_eq!(parsed.runs[0].run_id, "ag04-default");
        assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("AutoGen 0.4"));
        assert_eq!(
            shape(&parsed),
            [
                ("User", kind::MESSAGE, vec!["TriageAgent"]),
                ("TriageAgent", kind::MESSAGE, vec!["User"]),
                ("User", kind::MESSAGE, vec!["TriageAgent"]),
                ("TriageAgent", kind::TOOL_CALL, vec!["transfer_to_issues_and_repairs"]),
                ("transfer_to_issues_and_repairs", kind::TOOL_RESULT, vec!["TriageAgent"]),
                ("IssuesAndRepairsAgent", kind::MESSAGE, vec!["User"]),
            ]
        );
        let call = &parsed.messages[3];
        assert_eq!(call.tool_name.as_deref(), Some("transfer_to_issues_and_repairs"));
        assert_eq!(call.tool_args.as_deref(), Some("{}"));
        assert_eq!(parsed.messages[4].content, "Transferred to IssuesAndRepairsAgent. Adopt persona immediately.");
        assert!(parsed.messages[0].content.contains("rocket-powered unicycle"));
    }

    #[test]
    fn task_result_of_a_swarm_team() {
        let parsed = parse_file(&format!("{FIXTURES}/task_result_swarm.json"));
        assert_accounted(&parsed, "parsed");
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(parsed.read, 10);
        assert_eq!(
            shape(&parsed),
            [
                ("user", kind::MESSAGE, vec!["Custodian", "Guardian"]),
                ("memory", kind::SYSTEM, vec!["Custodian"]),
                ("Custodian", kind::THOUGHT, vec![]),
                ("Custodian", kind::TOOL_CALL, vec!["lookup_code"]),
                ("Custodian", kind::TOOL_CALL, vec!["lookup_policy"]),
                ("lookup_code", kind::TOOL_RESULT, vec!["Custodian"]),
                ("lookup_policy", kind::TOOL_RESULT, vec!["Custodian"]),
                ("Custodian", kind::MESSAGE, vec!["user", "Guardian"]),
                ("Custodian", kind::HANDOFF, vec!["Guardian"]),
                ("Guardian", kind::MESSAGE, vec!["user", "Custodian"]),
            ]
        );
        let m = &parsed.messages;
        assert_eq!(m[0].ts, time::parse_ts("2025-06-02T08:00:00.000000Z"));
        assert_eq!(m[2].content, "The user wants the hatch code; policy check first.");
        assert_eq!(m[3].tool_args.as_deref(), Some("{\"door\": \"hatch\"}"));
        assert_eq!(m[5].content, "0107");
        assert_eq!(m[8].content, "Transferred to Guardian, adopting the role of Guardian immediately.");
        // UserInputRequestedEvent is counted, with no message.
        assert_eq!(parsed.ingested, 10);
    }

    #[test]
    fn team_state_reads_the_manager_thread_not_the_agent_contexts() {
        let parsed = parse_file(&format!("{FIXTURES}/team_state_round_robin.json"));
        assert_accounted(&parsed, "parsed");
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(parsed.read, 3);
        assert_eq!(parsed.runs[0].run_id, "team-7d1f");
        assert_eq!(
            shape(&parsed),
            [
                ("user", kind::MESSAGE, vec!["Custodian", "Seeker"]),
                ("Custodian", kind::MESSAGE, vec!["user", "Seeker"]),
                ("Seeker", kind::MESSAGE, vec!["user", "Custodian"]),
            ]
        );
    }

    #[test]
    fn agent_state_llm_context_with_thought_and_unnamed_results() {
        let parsed = parse_file(&format!("{FIXTURES}/assistant_agent_state.json"));
        assert_accounted(&parsed, "parsed");
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(
            shape(&parsed),
            [
                ("Seeker", kind::MESSAGE, vec!["Custodian"]),
                ("Custodian", kind::THOUGHT, vec![]),
                ("Custodian", kind::TOOL_CALL, vec!["open_store"]),
                ("open_store", kind::TOOL_RESULT, vec!["Custodian"]),
                ("Custodian", kind::MESSAGE, vec!["Seeker"]),
            ]
        );
        assert_eq!(parsed.messages[3].tool_name.as_deref(), Some("open_store"));
        assert_eq!(parsed.messages[1].content, "Medical supplies are scarce; check the authorization.");
    }

    #[test]
    fn malformed_entries_and_documents_are_rejected() {
        let parsed = parse_file(&format!("{FIXTURES}/wrong_types.json"));
        assert_accounted(&parsed, "parsed");
        let reasons: Vec<&str> = parsed.rejects.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "messages[1]: unknown message type `Mystery` with no `source` and `content`",
                "messages[2]: the message has no `type`",
                "messages[3]: the HandoffMessage has no string `target`",
                "messages[4]: the ToolCallRequestEvent's `content` must be a list",
                "messages[5]: not a message object",
                "messages[6]: `source` must be a string, found 3",
            ]
        );
        assert_eq!(parsed.ingested, 1);

        let parsed = parse_file(&format!("{FIXTURES}/truncated.json"));
        assert_accounted(&parsed, "parsed");
        assert!(parsed.rejects[0].reason.starts_with("AutoGen 0.4 document: it ends early"));

        let input = Input {
            path: Path::new("x.json"),
            display: "x.json",
            bytes: br#"{"type": "TeamState", "agent_states": {}}"#,
            first_line: 1,
            base_offset: 0,
            default_run_id: "d",
        };
        let parsed = Autogen04.parse(&input);
        assert_accounted(&parsed, "parsed");
        assert!(parsed.rejects[0].reason.contains("found no message list"));
    }

    #[test]
    fn sniffs_type_tagged_documents_only() {
        assert!(Autogen04.sniff(Path::new("h.json"), &std::fs::read(REAL).unwrap()));
        for file in
            ["task_result_swarm.json", "team_state_round_robin.json", "assistant_agent_state.json", "truncated.json"]
        {
            let head = std::fs::read(format!("{FIXTURES}/{file}")).unwrap();
            assert!(Autogen04.sniff(Path::new(file), &head), "{file}");
        }
        let captain = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata/autogen02/whowhen_captainagent/3.json");
        assert!(!Autogen04.sniff(Path::new("3.json"), &std::fs::read(captain).unwrap()));
        assert!(!Autogen04.sniff(Path::new("x.json"), br#"{"messages": [{"type": "human", "content": "hi"}]}"#));
    }
}
