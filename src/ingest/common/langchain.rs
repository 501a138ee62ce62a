//! LangChain messages, shared by the LangGraph and LangSmith adapters: the decoder of every serialized form
//! ([`decode_message`]) and the [`Thread`] that turns decoded messages into canonical ones with their recipients.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::ingest::common::{json_text, json_type};
use crate::ingest::record::Message;
use crate::schema::kind;

/// Who speaks a LangChain message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Role {
    Human,
    Ai,
    Tool,
    System,
}

/// One tool call of an AI message; `args` is JSON text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ToolCall {
    pub name: String,
    pub args: String,
    pub id: Option<String>,
}

/// A LangChain message, whatever shape it was serialized in.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LcMessage {
    pub role: Role,
    pub name: Option<String>,
    /// Text content, parts joined with "\n".
    pub text: String,
    /// Reasoning / thinking blocks, each its own THOUGHT.
    pub reasoning: Vec<String>,
    pub tool_calls: Vec<ToolCall>,
    pub tool_call_id: Option<String>,
    pub model: Option<String>,
}

/// Decode one serialized LangChain message; the error says what the value is instead.
pub(crate) fn decode_message(value: &Value) -> Result<LcMessage, String> {
    // LangGraph also accepts `("user", "text")` tuples.
    if let Value::Array(pair) = value
        && let [Value::String(role), content] = pair.as_slice()
    {
        let role = role_of(role, None).ok_or_else(|| format!("unknown message role `{role}`"))?;
        let mut fields = Map::new();
        fields.insert("content".into(), content.clone());
        return Ok(from_fields(role, &fields));
    }
    let Some(object) = value.as_object() else {
        return Err(format!("expected a message object, found {}", json_type(value)));
    };
    let type_name = object.get("type").and_then(Value::as_str);
    if object.contains_key("lc") {
        return match type_name {
            Some("constructor") => {
                let class = object
                    .get("id")
                    .and_then(Value::as_array)
                    .and_then(|id| id.last())
                    .and_then(Value::as_str)
                    .ok_or("lc constructor without a class path in `id`")?;
                let fields =
                    object.get("kwargs").and_then(Value::as_object).ok_or("lc constructor without `kwargs`")?;
                let role = role_of(class, fields.get("role").and_then(Value::as_str))
                    .ok_or_else(|| format!("lc constructor of `{class}`, not a LangChain message"))?;
                Ok(from_fields(role, fields))
            }
            Some("not_implemented") => Err("an lc `not_implemented` object: LangChain could not serialize it".into()),
            other => Err(format!("an lc object of type {other:?}, not a message constructor")),
        };
    }
    if let (Some(type_name), Some(Value::Object(data))) = (type_name, object.get("data")) {
        let role = role_of(type_name, data.get("role").and_then(Value::as_str))
            .ok_or_else(|| format!("unknown message type `{type_name}`"))?;
        return Ok(from_fields(role, data));
    }
    if let Some(type_name) = type_name {
        let role = role_of(type_name, object.get("role").and_then(Value::as_str))
            .ok_or_else(|| format!("unknown message type `{type_name}`"))?;
        return Ok(from_fields(role, object));
    }
    if let Some(role_name) = object.get("role").and_then(Value::as_str) {
        let role = role_of(role_name, None).ok_or_else(|| format!("unknown message role `{role_name}`"))?;
        return Ok(from_fields(role, object));
    }
    Err("not a LangChain message: expected `type` and `data`, an lc constructor, or `type`/`role` with `content`"
        .into())
}

/// A message type, class or role name → its role (`ChatMessage` defers to its own `role`).
fn role_of(name: &str, chat_role: Option<&str>) -> Option<Role> {
    let base = name.strip_suffix("Chunk").unwrap_or(name);
    Some(match base {
        "human" | "user" | "HumanMessage" => Role::Human,
        "ai" | "assistant" | "AIMessage" => Role::Ai,
        "tool" | "function" | "ToolMessage" | "FunctionMessage" => Role::Tool,
        "system" | "developer" | "SystemMessage" => Role::System,
        "chat" | "ChatMessage" => match chat_role {
            Some(role) if role != "chat" && role != "ChatMessage" => role_of(role, None).unwrap_or(Role::Human),
            _ => Role::Human,
        },
        _ => return None,
    })
}

fn from_fields(role: Role, fields: &Map<String, Value>) -> LcMessage {
    let mut texts: Vec<String> = Vec::new();
    let mut reasoning: Vec<String> = Vec::new();
    let mut block_calls: Vec<ToolCall> = Vec::new();
    match fields.get("content") {
        Some(Value::String(text)) => texts.push(text.clone()),
        Some(Value::Array(blocks)) => {
            for block in blocks {
                let block_type = block.get("type").and_then(Value::as_str).unwrap_or("");
                match (block, block_type) {
                    (Value::String(text), _) => texts.push(text.clone()),
                    (_, "text" | "output_text" | "input_text") => {
                        texts.push(block.get("text").map(json_text).unwrap_or_default());
                    }
                    (_, "thinking") => reasoning.push(block.get("thinking").map(json_text).unwrap_or_default()),
                    (_, "reasoning") => reasoning.push(reasoning_text(block)),
                    (_, "tool_use" | "tool_call") => block_calls.extend(tool_call(block)),
                    _ => {}
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(other) => texts.push(json_text(other)),
    }
    let kwargs = fields.get("additional_kwargs");
    if let Some(text) = kwargs.and_then(|k| k.get("reasoning_content")).and_then(Value::as_str) {
        reasoning.push(text.to_string());
    }
    if let Some(summary) = kwargs.and_then(|k| k.get("reasoning")).filter(|r| r.is_object()) {
        reasoning.push(reasoning_text(summary));
    }
    reasoning.retain(|r| !r.trim().is_empty());

    let list = |value: Option<&Value>| value.and_then(Value::as_array).cloned().unwrap_or_default();
    let mut tool_calls: Vec<ToolCall> = list(fields.get("tool_calls")).iter().filter_map(tool_call).collect();
    if tool_calls.is_empty() {
        tool_calls = list(kwargs.and_then(|k| k.get("tool_calls"))).iter().filter_map(tool_call).collect();
    }
    if tool_calls.is_empty()
        && let Some(call) = kwargs.and_then(|k| k.get("function_call")).and_then(tool_call)
    {
        tool_calls.push(call);
    }
    if tool_calls.is_empty() {
        tool_calls = block_calls;
    }
    let metadata = fields.get("response_metadata");
    let model = ["model_name", "model"]
        .iter()
        .find_map(|key| metadata.and_then(|m| m.get(*key)).and_then(Value::as_str))
        .map(str::to_string);
    LcMessage {
        role,
        name: fields.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()).map(str::to_string),
        text: texts.join("\n"),
        reasoning,
        tool_calls,
        tool_call_id: fields.get("tool_call_id").and_then(Value::as_str).map(str::to_string),
        model,
    }
}

/// The text of a reasoning block: `reasoning`, `text`, or its `summary` parts.
fn reasoning_text(block: &Value) -> String {
    if let Some(text) = block.get("reasoning").or_else(|| block.get("text")).and_then(Value::as_str) {
        return text.to_string();
    }
    block
        .get("summary")
        .and_then(Value::as_array)
        .map(|parts| parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}

/// A tool call in LangChain (`{name, args, id}`), OpenAI (`{id, function: {name, arguments}}`) or content-block
/// (`{type: "tool_use", name, input, id}`) form.
fn tool_call(value: &Value) -> Option<ToolCall> {
    let function = value.get("function");
    let name = value.get("name").or_else(|| function.and_then(|f| f.get("name"))).and_then(Value::as_str)?;
    let args = value
        .get("args")
        .or_else(|| value.get("input"))
        .or_else(|| value.get("arguments"))
        .or_else(|| function.and_then(|f| f.get("arguments")));
    let args = match args {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => "{}".to_string(),
        Some(other) => other.to_string(),
    };
    let id = value.get("id").and_then(Value::as_str).map(str::to_string);
    Some(ToolCall { name: name.to_string(), args, id })
}

/// The agent a `transfer_to_<agent>` / `transfer_back_to_<agent>` tool hands off to (langgraph-supervisor, swarm).
pub(crate) fn handoff_target(tool: &str) -> Option<&str> {
    tool.strip_prefix("transfer_to_").or_else(|| tool.strip_prefix("transfer_back_to_")).filter(|t| !t.is_empty())
}

/// Where a message goes, resolved once the whole thread has been read.
enum Route {
    /// Every other participant of the thread: they all read the shared message state.
    Broadcast,
    Private,
    /// A tool call (or handoff) with the id its result will cite.
    Call {
        to: String,
        id: Option<String>,
    },
    /// A tool result: back to whoever made the call with this id, else to `fallback`.
    Caller {
        id: Option<String>,
        fallback: Option<String>,
    },
}

/// The messages of one run in order, recipients derived when it is finished.
pub(crate) struct Thread {
    run_id: String,
    drafts: Vec<(Message, Route)>,
}

impl Thread {
    pub(crate) fn new(run_id: &str) -> Thread {
        Thread { run_id: run_id.to_string(), drafts: Vec::new() }
    }

    /// The model of the first message that names one.
    pub(crate) fn first_model(&self) -> Option<String> {
        self.drafts.iter().find_map(|(m, _)| m.model.clone())
    }

    /// Add one message: its thoughts, text and tool calls. `agent` is the agent the message was recorded for (a
    /// LangSmith run's node): the speaker of an AI message that names none, the caller of a tool result whose call
    /// id is unknown. `ts` is when it was recorded, where known.
    pub(crate) fn push_at(&mut self, message: &LcMessage, agent: Option<&str>, ts: Option<i64>, offset: usize) {
        let sender = match message.role {
            Role::Human => message.name.clone().unwrap_or_else(|| "user".into()),
            Role::System => "system".to_string(),
            Role::Ai => {
                message.name.clone().or_else(|| agent.map(str::to_string)).unwrap_or_else(|| "assistant".into())
            }
            Role::Tool => message.name.clone().unwrap_or_else(|| "tool".into()),
        };
        let run_id = self.run_id.clone();
        let new = |kind: &'static str, content: String| {
            let mut m = Message::new(&run_id, &sender, content, offset);
            m.kind = kind;
            m.ts = ts;
            m.model = message.model.clone();
            m
        };
        match message.role {
            Role::Human => {
                let mut m = new(kind::MESSAGE, message.text.clone());
                m.sender_role = Some("user".into());
                self.drafts.push((m, Route::Broadcast));
            }
            Role::System => self.drafts.push((new(kind::SYSTEM, message.text.clone()), Route::Broadcast)),
            Role::Tool => {
                let mut m = new(kind::TOOL_RESULT, message.text.clone());
                m.tool_name = message.name.clone();
                m.sender_role = Some("tool".into());
                let fallback = agent.map(str::to_string);
                self.drafts.push((m, Route::Caller { id: message.tool_call_id.clone(), fallback }));
            }
            Role::Ai => {
                for thought in &message.reasoning {
                    self.drafts.push((new(kind::THOUGHT, thought.clone()), Route::Private));
                }
                if !message.text.trim().is_empty() || message.tool_calls.is_empty() {
                    self.drafts.push((new(kind::MESSAGE, message.text.clone()), Route::Broadcast));
                }
                for call in &message.tool_calls {
                    let (call_kind, to) = match handoff_target(&call.name) {
                        Some(target) => (kind::HANDOFF, target.to_string()),
                        None => (kind::TOOL_CALL, call.name.clone()),
                    };
                    let mut m = new(call_kind, call.args.clone());
                    m.tool_name = Some(call.name.clone());
                    m.tool_args = Some(call.args.clone());
                    self.drafts.push((m, Route::Call { to, id: call.id.clone() }));
                }
            }
        }
    }

    pub(crate) fn push(&mut self, message: &LcMessage, agent: Option<&str>, offset: usize) {
        self.push_at(message, agent, None, offset);
    }

    /// Derive recipients: broadcasts go to every other participant (whoever sent a message), calls to their tool
    /// or handoff target, results back to the caller.
    pub(crate) fn finish(self) -> Vec<Message> {
        let mut participants: Vec<String> = Vec::new();
        let mut callers: HashMap<String, String> = HashMap::new();
        for (message, route) in &self.drafts {
            match route {
                Route::Broadcast if message.kind == kind::MESSAGE && !participants.contains(&message.sender) => {
                    participants.push(message.sender.clone());
                }
                Route::Call { id: Some(id), .. } => {
                    callers.entry(id.clone()).or_insert_with(|| message.sender.clone());
                }
                _ => {}
            }
        }
        self.drafts
            .into_iter()
            .map(|(mut message, route)| {
                message.recipients = match route {
                    Route::Broadcast => participants.iter().filter(|p| **p != message.sender).cloned().collect(),
                    Route::Private => Vec::new(),
                    Route::Call { to, .. } => vec![to],
                    Route::Caller { id, fallback } => {
                        id.and_then(|id| callers.get(&id).cloned()).or(fallback).into_iter().collect()
                    }
                };
                message
            })
            .collect()
    }
}
