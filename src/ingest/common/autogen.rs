//! What the AutoGen adapters share: the conversation model of the 0.2 runtime logs (file and SQLite), the reader
//! of OpenAI-style messages ([`oai_messages`], also for saved chat histories), the broadcast [`Group`] of chat
//! histories, AgentChat 0.4 lists and Magentic-One histories, and the Magentic-One role test the 0.2 chat sniffer uses.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::format::Format;
use crate::ingest::common::{json_error, json_text};
use crate::ingest::record::{Message, Parsed, RunInfo, RunMeta};
use crate::schema::kind;

/// One record of an AutoGen 0.2 runtime log (file or SQLite), reduced to what the conversation needs.
pub(crate) enum LogRecord {
    /// `log_event`: `received_message`, `reply_func_executed`, ...
    Event { source_name: String, event_name: String, json_state: String, ts: Option<i64> },
    /// `log_chat_completion`: an LLM call made for agent `source_name` (absent in old SQLite schemas).
    LlmCall { source_name: Option<String>, model: Option<String>, ts: Option<i64> },
    /// `log_function_use`: agent `source_name` executed a registered function.
    FunctionUse { source_name: String, function_name: Option<String>, args: String, returns: String, ts: Option<i64> },
    /// A registration (agent, wrapper, client): nothing for the transcript; `model` when its config names one.
    Registration { model: Option<String>, ts: Option<i64> },
}

/// The first `model` in a wrapper or client configuration (`config_list[*].model` or `model`).
pub(crate) fn config_model(config: &Value) -> Option<String> {
    match config {
        Value::Object(o) => {
            o.get("model").and_then(Value::as_str).map(str::to_string).or_else(|| o.values().find_map(config_model))
        }
        Value::Array(list) => list.iter().find_map(config_model),
        _ => None,
    }
}

/// A tool call waiting for its function-use record.
struct PendingCall {
    name: String,
    /// Index of the tool-call message in `Parsed::messages`: its recipients are the agents that may execute it.
    message: usize,
    args: Value,
    executed: bool,
}

/// The messages made from an agent's last `received_message` record, to recognize a manager's relay of it.
struct Said {
    messages: Vec<usize>,
    signature: Vec<(&'static str, String)>,
}

/// One run being rebuilt from its log records, in the order they were written.
pub(crate) struct Conversation {
    run_id: String,
    /// An agent's last LLM call, waiting for the message it produced.
    pending_model: HashMap<String, String>,
    /// tool_call id → function name, for the results that quote only the id.
    tool_names: HashMap<String, String>,
    calls: Vec<PendingCall>,
    last_said: HashMap<String, Said>,
    models: Vec<String>,
    config_models: Vec<String>,
    started_at: Option<i64>,
}

impl Conversation {
    pub(crate) fn new(run_id: &str) -> Conversation {
        Conversation {
            run_id: run_id.to_string(),
            pending_model: HashMap::new(),
            tool_names: HashMap::new(),
            calls: Vec::new(),
            last_said: HashMap::new(),
            models: Vec::new(),
            config_models: Vec::new(),
            started_at: None,
        }
    }

    /// Take in one record; push the messages it holds. An `Err` says why the record cannot be used.
    pub(crate) fn add(&mut self, record: LogRecord, offset: i64, parsed: &mut Parsed) -> Result<(), String> {
        let ts = match &record {
            LogRecord::Event { ts, .. }
            | LogRecord::LlmCall { ts, .. }
            | LogRecord::FunctionUse { ts, .. }
            | LogRecord::Registration { ts, .. } => *ts,
        };
        if let Some(ts) = ts {
            self.started_at = Some(self.started_at.map_or(ts, |t| t.min(ts)));
        }
        match record {
            LogRecord::Event { source_name, event_name, json_state, ts } => {
                if event_name == "received_message" {
                    self.received(&source_name, &json_state, ts, offset, parsed)?;
                }
                Ok(())
            }
            LogRecord::LlmCall { source_name, model, .. } => {
                if let Some(model) = model {
                    if !self.models.contains(&model) {
                        self.models.push(model.clone());
                    }
                    if let Some(agent) = source_name {
                        self.pending_model.insert(agent, model);
                    }
                }
                Ok(())
            }
            LogRecord::FunctionUse { source_name, function_name, args, returns, ts } => {
                self.function_use(&source_name, function_name, &args, &returns, ts, offset, parsed);
                Ok(())
            }
            LogRecord::Registration { model, .. } => {
                if let Some(model) = model
                    && !self.config_models.contains(&model)
                {
                    self.config_models.push(model);
                }
                Ok(())
            }
        }
    }

    /// `received_message`: `json_state` = {message, sender, valid}; `receiver` got `message` from `sender`.
    ///
    /// A group chat manager relays each speaker's message to every other member: the relay's sender is the
    /// manager, but the message keeps the speaker's `name`. A relay of what the speaker last said adds the
    /// receiver to the recipients of the speaker's message instead of making a new one.
    fn received(
        &mut self,
        receiver: &str,
        json_state: &str,
        ts: Option<i64>,
        offset: i64,
        parsed: &mut Parsed,
    ) -> Result<(), String> {
        let state: Value = serde_json::from_str(json_state)
            .map_err(|e| json_error("received_message: `json_state` (a JSON document in a string)", &e))?;
        let sender = match state.get("sender") {
            Some(Value::String(s)) if !s.is_empty() => s.as_str(),
            _ => return Err("received_message: `json_state` has no string `sender`".into()),
        };
        let message = state.get("message").ok_or("received_message: `json_state` has no `message`")?;
        let recipients = [receiver.to_string()];
        let mut messages = oai_messages(&self.run_id, sender, &recipients, message, offset, &mut self.tool_names)
            .map_err(|e| format!("received_message from {sender} to {receiver}: {e}"))?;
        let signature: Vec<(&'static str, String)> = messages.iter().map(|m| (m.kind, m.content.clone())).collect();

        let speaker = message.get("name").and_then(Value::as_str).filter(|n| !n.is_empty() && *n != sender);
        if let Some(said) = speaker.and_then(|speaker| self.last_said.get(speaker))
            && said.signature == signature
        {
            for &i in &said.messages {
                if let Some(original) = parsed.messages.get_mut(i)
                    && !original.recipients.iter().any(|r| r == receiver)
                {
                    original.recipients.push(receiver.to_string());
                }
            }
            return Ok(());
        }

        let model = self.pending_model.remove(sender);
        let first = parsed.messages.len();
        for (n, m) in messages.iter_mut().enumerate() {
            m.ts = ts;
            if m.kind != kind::TOOL_RESULT {
                m.model = model.clone();
            }
            if m.kind == kind::TOOL_CALL
                && let Some(name) = &m.tool_name
            {
                let args = m.tool_args.as_deref().unwrap_or("");
                self.calls.push(PendingCall {
                    name: name.clone(),
                    message: first + n,
                    args: serde_json::from_str(args).unwrap_or_else(|_| Value::String(args.to_string())),
                    executed: false,
                });
            }
        }
        let count = messages.len();
        parsed.messages.extend(messages);
        self.last_said.insert(sender.to_string(), Said { messages: (first..first + count).collect(), signature });
        Ok(())
    }

    /// A function use is the execution of a tool call already recorded as a message: match it (the executor
    /// received the call, same name when known, same arguments) and add nothing. One that matches no call (a function an agent ran on its
    /// own) becomes a tool call and its result.
    #[allow(clippy::too_many_arguments)]
    fn function_use(
        &mut self,
        executor: &str,
        function_name: Option<String>,
        args: &str,
        returns: &str,
        ts: Option<i64>,
        offset: i64,
        parsed: &mut Parsed,
    ) {
        let args_value: Value = serde_json::from_str(args).unwrap_or_else(|_| Value::String(args.to_string()));
        let messages = &parsed.messages;
        let matched = self.calls.iter_mut().find(|c| {
            !c.executed
                && messages.get(c.message).is_some_and(|m| m.recipients.iter().any(|r| r == executor))
                && function_name.as_ref().is_none_or(|n| *n == c.name)
                && c.args == args_value
        });
        if let Some(call) = matched {
            call.executed = true;
            return;
        }
        let tool = function_name.unwrap_or_else(|| "function".to_string());
        let mut call = Message::new(&self.run_id, executor, args, offset as usize);
        call.kind = kind::TOOL_CALL;
        call.recipients = vec![tool.clone()];
        call.tool_name = Some(tool.clone());
        call.tool_args = Some(args.to_string());
        call.ts = ts;
        let mut result = Message::new(&self.run_id, &tool, returns_text(returns), offset as usize);
        result.kind = kind::TOOL_RESULT;
        result.recipients = vec![executor.to_string()];
        result.tool_name = Some(tool);
        result.ts = ts;
        parsed.messages.push(call);
        parsed.messages.push(result);
    }

    /// The run with what the log said about it.
    pub(crate) fn finish(self) -> RunInfo {
        let models = if self.models.is_empty() { self.config_models } else { self.models };
        RunInfo {
            run_id: self.run_id,
            meta: RunMeta {
                framework: Some(Format::Autogen02Log.framework().into()),
                backend: (!models.is_empty()).then(|| models.join(", ")),
                started_at: self.started_at,
                ..RunMeta::default()
            },
        }
    }
}

/// A function's serialized return value as text: a JSON string unquoted, anything else as it is.
fn returns_text(returns: &str) -> String {
    match serde_json::from_str::<Value>(returns) {
        Ok(Value::String(s)) => s,
        _ => returns.to_string(),
    }
}

/// The members of an AutoGen group chat, in order of first appearance. The chat broadcasts every message, so a
/// message goes to all members but its sender.
pub(crate) struct Group(Vec<String>);

impl Group {
    /// The distinct names, in order of first appearance.
    pub(crate) fn new<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Group {
        let mut members: Vec<String> = Vec::new();
        for name in names {
            let name = name.as_ref();
            if !members.iter().any(|m| m == name) {
                members.push(name.to_string());
            }
        }
        Group(members)
    }

    /// Everyone but the sender.
    pub(crate) fn others(&self, sender: &str) -> Vec<String> {
        self.0.iter().filter(|m| *m != sender).cloned().collect()
    }
}

/// Message text from an OpenAI-style `content`: a string, null, or a list of parts whose text parts are joined
/// with newlines (images and other parts are left out).
pub(crate) fn content_text(content: Option<&Value>) -> String {
    match content {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| match p {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get("text").and_then(Value::as_str).map(str::to_string),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Some(other) => json_text(other),
    }
}

/// One AutoGen 0.2 message (a plain string, or an OpenAI-style dict with `content`, `tool_calls`,
/// `function_call`, `tool_responses`, `role`, `name`) as canonical messages from `sender` to `recipients`:
/// text → a message; each tool call → a `tool_call`; each tool response (or a `function` role message) → a
/// `tool_result`. `tool_names` maps tool_call ids to function names across the run.
pub(crate) fn oai_messages(
    run_id: &str,
    sender: &str,
    recipients: &[String],
    message: &Value,
    offset: i64,
    tool_names: &mut HashMap<String, String>,
) -> Result<Vec<Message>, String> {
    let offset = offset.max(0) as usize;
    let base = |content: String, kind: &'static str| {
        let mut m = Message::new(run_id, sender, content, offset);
        m.recipients = recipients.to_vec();
        m.kind = kind;
        m
    };
    let o = match message {
        Value::String(s) => return Ok(vec![base(s.clone(), kind::MESSAGE)]),
        Value::Object(o) => o,
        Value::Null => return Err("the message is null".into()),
        other => return Err(format!("the message must be a string or an object, found {other}")),
    };
    let role = o.get("role").and_then(Value::as_str).unwrap_or("");
    let mut out = Vec::new();

    if let Some(responses) = o.get("tool_responses").filter(|v| !v.is_null()) {
        let responses = responses.as_array().ok_or("`tool_responses` must be a list")?;
        for (n, response) in responses.iter().enumerate() {
            let id = response.get("tool_call_id").and_then(Value::as_str);
            let mut m = base(content_text(response.get("content")), kind::TOOL_RESULT);
            m.tool_name = id.and_then(|id| tool_names.get(id).cloned());
            if !response.is_object() {
                return Err(format!("`tool_responses[{n}]` must be an object"));
            }
            out.push(m);
        }
        return Ok(out);
    }
    if role == "tool" || role == "function" {
        let mut m = base(content_text(o.get("content")), kind::TOOL_RESULT);
        m.tool_name = o
            .get("tool_call_id")
            .and_then(Value::as_str)
            .and_then(|id| tool_names.get(id).cloned())
            .or_else(|| o.get("name").and_then(Value::as_str).map(str::to_string));
        out.push(m);
        return Ok(out);
    }

    let text = content_text(o.get("content"));
    let calls = match o.get("tool_calls") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(calls)) => calls.as_slice(),
        Some(_) => return Err("`tool_calls` must be a list".into()),
    };
    let function_call = o.get("function_call").filter(|v| !v.is_null());
    if !text.is_empty() || (calls.is_empty() && function_call.is_none()) {
        out.push(base(text, kind::MESSAGE));
    }
    for (n, call) in calls.iter().enumerate() {
        let function = call.get("function").ok_or(format!("`tool_calls[{n}]` has no `function`"))?;
        let name =
            function.get("name").and_then(Value::as_str).ok_or(format!("`tool_calls[{n}]` names no function"))?;
        let args = function.get("arguments").map(json_text).unwrap_or_default();
        if let Some(id) = call.get("id").and_then(Value::as_str) {
            tool_names.insert(id.to_string(), name.to_string());
        }
        let mut m = base(args.clone(), kind::TOOL_CALL);
        m.tool_name = Some(name.to_string());
        m.tool_args = Some(args);
        out.push(m);
    }
    if let Some(call) = function_call {
        let name = call.get("name").and_then(Value::as_str).ok_or("`function_call` names no function")?;
        let args = call.get("arguments").map(json_text).unwrap_or_default();
        let mut m = base(args.clone(), kind::TOOL_CALL);
        m.tool_name = Some(name.to_string());
        m.tool_args = Some(args);
        out.push(m);
    }
    Ok(out)
}

/// A `role` value only Magentic-One labels carry: the human's task, or an orchestrator label.
static MAGENTIC_ROLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""role"\s*:\s*"(human|Orchestrator \([^"]*\))""#).expect("valid regex"));

/// Whether a head holds Magentic-One role labels (the AutoGen 0.2 chat sniffer stays away from such files).
pub(crate) fn has_magentic_roles(text: &str) -> bool {
    MAGENTIC_ROLE.is_match(text)
}
