//! Messages from LLM-call traces: the half the span-based adapters share (OpenAI Agents SDK, OpenTelemetry GenAI,
//! Langfuse).
//!
//! Those formats record calls, not a transcript: every LLM call carries the whole chat history it was sent plus its
//! reply, and a tool execution is recorded again as its own span. [`Turn`] is one chat message parsed from any of
//! the shapes they use (OpenAI chat completions, OpenAI Responses items, OTel GenAI `parts`, Anthropic and
//! AgentScope content blocks). [`Conversation`] remembers what a run has already said, so a replayed history adds
//! nothing: a call's output is always new, an input message only when the run has not said it yet (counted, so a
//! line said twice is kept twice), and a tool execution adds its call only when no LLM output announced it.
//! [`Speaker`] turns the parts into canonical messages with sender, recipients and kind. [`documents`] and
//! [`items`] read the records of a trace file, one JSON document or JSONL.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::ingest::adapter::Input;
use crate::ingest::common::{for_each_line, json_error, json_text};
use crate::ingest::record::{Message, Parsed, RunMeta};
use crate::schema::kind;

/// Who wrote a chat message, as the message list says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

impl Role {
    /// The role names the supported formats use (`developer` is OpenAI's newer `system`, `human`/`ai` LangChain's).
    pub fn parse(name: &str) -> Option<Role> {
        match name.to_ascii_lowercase().as_str() {
            "system" | "developer" => Some(Role::System),
            "user" | "human" => Some(Role::User),
            "assistant" | "ai" | "model" | "bot" => Some(Role::Assistant),
            "tool" | "function" | "ipython" => Some(Role::Tool),
            _ => None,
        }
    }
}

/// A tool call: `args` is JSON text as the log wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub id: Option<String>,
    pub name: String,
    pub args: String,
}

/// What a tool returned, with the call it answers when the log says.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub id: Option<String>,
    pub name: Option<String>,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    /// Private reasoning: a THOUGHT message of its own.
    Thought(String),
    Call(Call),
    Result(ToolResult),
}

/// One chat message of an LLM call's input or output.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub role: Role,
    /// The speaker's name when the message names one (OpenAI `name`, AgentScope's agent name).
    pub name: Option<String>,
    pub parts: Vec<Part>,
}

impl Turn {
    pub fn text(role: Role, text: impl Into<String>) -> Turn {
        Turn { role, name: None, parts: vec![Part::Text(text.into())] }
    }
}

fn str_field<'a>(object: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| object.get(*k).and_then(Value::as_str))
}

/// Tool arguments as JSON text: a string is kept as written, anything else serialized; none is `{}`.
pub fn args_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "{}".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Text of a value that may be a string, a list of content blocks, or any JSON.
fn content_text(value: &Value) -> String {
    match value {
        Value::Array(blocks) if blocks.iter().all(|b| b.is_string() || b.get("text").is_some_and(Value::is_string)) => {
            let texts: Vec<&str> =
                blocks.iter().filter_map(|b| b.as_str().or_else(|| b.get("text").and_then(Value::as_str))).collect();
            texts.join("\n")
        }
        other => json_text(other),
    }
}

fn call_from(object: &Map<String, Value>) -> Option<Call> {
    // OpenAI chat completions nest name and arguments under `function`.
    let function = object.get("function").and_then(Value::as_object).unwrap_or(object);
    let name = str_field(function, &["name"])?.to_string();
    let args = function.get("arguments").or_else(|| function.get("args")).or_else(|| function.get("input"));
    // Responses items carry both an item `id` and the `call_id` their output answers.
    let id = str_field(object, &["call_id", "id", "tool_call_id"]).map(str::to_string);
    Some(Call { id, name, args: args_text(args) })
}

fn result_from(object: &Map<String, Value>) -> ToolResult {
    let content = ["response", "result", "output", "content"].iter().find_map(|k| object.get(*k));
    ToolResult {
        id: str_field(object, &["call_id", "tool_use_id", "id", "tool_call_id"]).map(str::to_string),
        name: str_field(object, &["name"]).map(str::to_string),
        content: content.map(content_text).unwrap_or_default(),
    }
}

/// One content block (OTel part, OpenAI content part, Responses item, Anthropic/AgentScope block) into `parts`.
/// Media blocks (images, audio, files) carry no text and are skipped.
pub fn push_block(block: &Value, parts: &mut Vec<Part>) {
    let object = match block {
        Value::String(s) => return parts.push(Part::Text(s.clone())),
        Value::Object(object) => object,
        _ => return,
    };
    let text = |keys: &[&str]| str_field(object, keys).map(str::to_string);
    match object.get("type").and_then(Value::as_str) {
        Some("text" | "input_text" | "output_text" | "summary_text") | None => {
            if let Some(t) = text(&["text", "content"]) {
                parts.push(Part::Text(t));
            }
        }
        Some("refusal") => {
            if let Some(t) = text(&["refusal", "text", "content"]) {
                parts.push(Part::Text(t));
            }
        }
        Some("reasoning" | "thinking" | "reasoning_text") => {
            let mut thought = text(&["content", "thinking", "reasoning", "text"]).unwrap_or_default();
            if thought.is_empty()
                && let Some(summary) = object.get("summary").and_then(Value::as_array)
            {
                thought =
                    summary.iter().filter_map(|s| s.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n");
            }
            if !thought.is_empty() {
                parts.push(Part::Thought(thought));
            }
        }
        Some("tool_call" | "tool_use" | "function_call" | "server_tool_call") => {
            if let Some(call) = call_from(object) {
                parts.push(Part::Call(call));
            }
        }
        Some("tool_call_response" | "tool_result" | "function_call_output" | "server_tool_call_response") => {
            parts.push(Part::Result(result_from(object)));
        }
        Some(_) => {}
    }
}

/// Merge neighbouring text parts into one (content lists are joined with "\n") and drop empty ones.
fn merge_text(parts: Vec<Part>) -> Vec<Part> {
    let mut merged: Vec<Part> = Vec::with_capacity(parts.len());
    for part in parts {
        match (merged.last_mut(), part) {
            (_, Part::Text(t)) if t.trim().is_empty() => {}
            (Some(Part::Text(previous)), Part::Text(t)) => {
                previous.push('\n');
                previous.push_str(&t);
            }
            (_, part) => merged.push(part),
        }
    }
    merged
}

/// Parse one chat message of any supported shape; `None` when the value is not a message.
pub fn turn_from(value: &Value) -> Option<Turn> {
    let object = value.as_object()?;
    // OpenAI Responses items that carry no role.
    match object.get("type").and_then(Value::as_str) {
        Some("function_call") => {
            return call_from(object).map(|c| Turn { role: Role::Assistant, name: None, parts: vec![Part::Call(c)] });
        }
        Some("function_call_output") => {
            return Some(Turn { role: Role::Tool, name: None, parts: vec![Part::Result(result_from(object))] });
        }
        Some("reasoning") if object.get("role").is_none() => {
            let mut parts = Vec::new();
            push_block(value, &mut parts);
            return Some(Turn { role: Role::Assistant, name: None, parts });
        }
        _ => {}
    }
    let role = Role::parse(str_field(object, &["role", "type"])?)?;
    let mut parts = Vec::new();
    for key in ["reasoning_content", "reasoning"] {
        if let Some(thought) = object.get(key).and_then(Value::as_str).filter(|t| !t.trim().is_empty()) {
            parts.push(Part::Thought(thought.to_string()));
        }
    }
    match object.get("content") {
        Some(Value::Array(blocks)) => blocks.iter().for_each(|b| push_block(b, &mut parts)),
        Some(Value::String(s)) => parts.push(Part::Text(s.clone())),
        Some(Value::Null) | None => {}
        Some(other) => parts.push(Part::Text(other.to_string())),
    }
    if let Some(blocks) = object.get("parts").and_then(Value::as_array) {
        blocks.iter().for_each(|b| push_block(b, &mut parts));
    }
    if let Some(calls) = object.get("tool_calls").and_then(Value::as_array) {
        parts.extend(calls.iter().filter_map(Value::as_object).filter_map(call_from).map(Part::Call));
    }
    if let Some(call) = object.get("function_call").and_then(Value::as_object).and_then(call_from) {
        parts.push(Part::Call(call));
    }
    let name = str_field(object, &["name"]).filter(|n| !n.trim().is_empty()).map(str::to_string);
    if role == Role::Tool {
        // A tool message's text is the result; its `name` is the tool's, not a speaker's.
        let id = str_field(object, &["tool_call_id", "id", "call_id"]).map(str::to_string);
        let mut texts = Vec::new();
        let mut kept = Vec::new();
        for part in parts {
            match part {
                Part::Text(t) => texts.push(t),
                Part::Result(mut r) => {
                    r.name = r.name.or_else(|| name.clone());
                    kept.push(Part::Result(r));
                }
                other => kept.push(other),
            }
        }
        if !texts.is_empty() || kept.is_empty() {
            kept.insert(0, Part::Result(ToolResult { id, name, content: texts.join("\n") }));
        }
        return Some(Turn { role, name: None, parts: kept });
    }
    Some(Turn { role, name, parts })
}

/// Chat messages held by a value: a list of messages, `{messages: [...]}`, one message, or (with `fallback`) a
/// plain string or any other JSON as one message of that role.
pub fn turns_from(value: &Value, fallback: Option<Role>) -> Vec<Turn> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(items) => {
            let turns: Vec<Turn> = items.iter().filter_map(turn_from).collect();
            match (turns.is_empty() && !items.is_empty(), fallback) {
                (true, Some(role)) => vec![Turn::text(role, content_text(value))],
                _ => turns,
            }
        }
        Value::Object(object) => {
            if let Some(messages) = object.get("messages").and_then(Value::as_array) {
                return messages.iter().filter_map(turn_from).collect();
            }
            match (turn_from(value), fallback) {
                (Some(turn), _) => vec![turn],
                (None, Some(role)) => vec![Turn::text(role, value.to_string())],
                (None, None) => Vec::new(),
            }
        }
        Value::String(s) if s.trim().is_empty() => Vec::new(),
        other => fallback.map(|role| vec![Turn::text(role, json_text(other))]).unwrap_or_default(),
    }
}

/// A key that says "the same utterance", whatever ids or speaker names the replay attached to it.
fn fingerprint(part: &Part) -> u128 {
    fn canonical(text: &str) -> String {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => value.to_string(),
            Err(_) => text.trim().to_string(),
        }
    }
    let key = match part {
        Part::Text(t) => format!("t\u{1}{}", t.trim()),
        Part::Thought(t) => format!("r\u{1}{}", t.trim()),
        Part::Call(c) => format!("c\u{1}{}\u{1}{}", c.name, canonical(&c.args)),
        Part::Result(r) => format!("o\u{1}{}", canonical(&r.content)),
    };
    xxhash_rust::xxh3::xxh3_128(key.as_bytes())
}

/// What one run has said so far, so replayed histories and re-recorded tool calls add nothing.
#[derive(Debug, Default)]
pub struct Conversation {
    said: HashMap<u128, usize>,
    /// Tool calls an LLM output announced whose execution has not been seen yet.
    pending: Vec<(Option<String>, u128)>,
    tool_names: HashMap<String, String>,
}

impl Conversation {
    fn note(&mut self, part: &Part) {
        if let Part::Call(Call { id: Some(id), name, .. }) = part {
            self.tool_names.insert(id.clone(), name.clone());
        }
    }

    /// The parts of an LLM call's input the run has not said yet (the rest is replayed history); they now count as
    /// said.
    pub fn unseen(&mut self, turns: Vec<Turn>) -> Vec<Turn> {
        let mut here: HashMap<u128, usize> = HashMap::new();
        let mut fresh = Vec::new();
        for turn in turns {
            let mut kept = Vec::new();
            for part in merge_text(turn.parts) {
                let key = fingerprint(&part);
                let seen_here = here.entry(key).or_insert(0);
                *seen_here += 1;
                let said = self.said.entry(key).or_insert(0);
                if *seen_here > *said {
                    *said = *seen_here;
                    self.note(&part);
                    kept.push(part);
                }
            }
            if !kept.is_empty() {
                fresh.push(Turn { role: turn.role, name: turn.name, parts: kept });
            }
        }
        fresh
    }

    /// An LLM call's output: always new; its tool calls wait for their execution.
    pub fn output(&mut self, turn: Turn) -> Turn {
        let parts = merge_text(turn.parts);
        for part in &parts {
            let key = fingerprint(part);
            *self.said.entry(key).or_insert(0) += 1;
            self.note(part);
            if let Part::Call(call) = part {
                self.pending.push((call.id.clone(), key));
            }
        }
        Turn { role: turn.role, name: turn.name, parts }
    }

    /// A tool execution's call: whether it still needs a message (an LLM output may have announced it already).
    pub fn executed(&mut self, call: &Call) -> bool {
        let key = fingerprint(&Part::Call(call.clone()));
        let announced = self.pending.iter().position(|(id, k)| (call.id.is_some() && *id == call.id) || *k == key);
        match announced {
            Some(i) => {
                self.pending.remove(i);
                false
            }
            None => {
                *self.said.entry(key).or_insert(0) += 1;
                self.note(&Part::Call(call.clone()));
                true
            }
        }
    }

    /// A tool execution's result: now said, so the next call's input does not repeat it.
    pub fn returned(&mut self, result: &ToolResult) {
        *self.said.entry(fingerprint(&Part::Result(result.clone()))).or_insert(0) += 1;
    }

    /// Whether a tool result is new (not replayed from an earlier execution or call input); it counts as said if so.
    pub fn new_result(&mut self, result: &ToolResult) -> bool {
        let said = self.said.entry(fingerprint(&Part::Result(result.clone()))).or_insert(0);
        if *said == 0 {
            *said = 1;
            true
        } else {
            false
        }
    }

    /// The tool a call id belongs to, when a call with that id was seen.
    pub fn tool_name(&self, call_id: &str) -> Option<&str> {
        self.tool_names.get(call_id).map(String::as_str)
    }
}

/// The sender of a user-role turn: its name, else "user".
pub fn user_name(turn: &Turn) -> String {
    turn.name.clone().unwrap_or_else(|| "user".to_string())
}

/// Whom an LLM call answers: the last user-role speaker of its input, else "user".
pub fn counterpart(input: &[Turn]) -> String {
    input.iter().rev().find(|t| t.role == Role::User).map(user_name).unwrap_or_else(|| "user".to_string())
}

/// Turns parts into canonical messages for one agent of one run.
pub struct Speaker<'a> {
    pub run_id: &'a str,
    /// The agent whose LLM call (or tool use) this is: assistant turns speak as it, inputs go to it.
    pub agent: &'a str,
    pub model: Option<&'a str>,
    pub offset: usize,
}

impl Speaker<'_> {
    fn message(&self, sender: &str, recipients: Vec<String>, kind: &'static str, content: String) -> Message {
        let mut message = Message::new(self.run_id, sender, content, self.offset);
        message.recipients = recipients;
        message.kind = kind;
        message
    }

    /// A tool call made by `sender`.
    pub fn call(&self, sender: &str, call: &Call, ts: Option<i64>) -> Message {
        let mut message = self.message(sender, vec![call.name.clone()], kind::TOOL_CALL, String::new());
        message.tool_name = Some(call.name.clone());
        message.tool_args = Some(call.args.clone());
        message.model = self.model.map(str::to_string);
        message.ts = ts;
        message
    }

    /// A tool result delivered to the agent.
    pub fn result(&self, result: &ToolResult, conversation: &Conversation, ts: Option<i64>) -> Message {
        let tool = result
            .name
            .clone()
            .or_else(|| result.id.as_deref().and_then(|id| conversation.tool_name(id)).map(str::to_string))
            .unwrap_or_else(|| "tool".to_string());
        let mut message = self.message(&tool, vec![self.agent.to_string()], kind::TOOL_RESULT, result.content.clone());
        message.tool_name = Some(tool);
        message.sender_role = Some("tool".into());
        message.ts = ts;
        message
    }

    /// The messages of the turns the run has not said yet ([`Conversation::unseen`]): an input's new part, or an
    /// agent's reply that no LLM output said already; text goes to `to` as in [`Speaker::turn`].
    pub fn unseen(&self, turns: Vec<Turn>, to: &str, conversation: &mut Conversation, ts: Option<i64>) -> Vec<Message> {
        let fresh = conversation.unseen(turns);
        fresh.iter().flat_map(|turn| self.turn(turn, to, conversation, ts)).collect()
    }

    /// The messages of an LLM call's output, always new ([`Conversation::output`]); text goes to `to`.
    pub fn output(&self, turns: Vec<Turn>, to: &str, conversation: &mut Conversation, ts: Option<i64>) -> Vec<Message> {
        let output: Vec<Turn> = turns.into_iter().map(|turn| conversation.output(turn)).collect();
        output.iter().flat_map(|turn| self.turn(turn, to, conversation, ts)).collect()
    }

    /// A tool execution's call by this agent, unless an LLM output announced it ([`Conversation::executed`]).
    pub fn executed(&self, call: &Call, conversation: &mut Conversation, ts: Option<i64>) -> Option<Message> {
        conversation.executed(call).then(|| self.call(self.agent, call, ts))
    }

    /// A tool execution's result, which now counts as said ([`Conversation::returned`]).
    pub fn returned(&self, result: &ToolResult, conversation: &mut Conversation, ts: Option<i64>) -> Message {
        conversation.returned(result);
        self.result(result, conversation, ts)
    }

    /// The messages of one turn; an assistant's text goes to `counterpart` (whom the call answers).
    pub fn turn(&self, turn: &Turn, counterpart: &str, conversation: &Conversation, ts: Option<i64>) -> Vec<Message> {
        // Assistant turns speak as the named agent or this one; user turns as their name or "user".
        let speaker = match turn.role {
            Role::Assistant => turn.name.clone().unwrap_or_else(|| self.agent.to_string()),
            Role::User => user_name(turn),
            Role::System => "system".to_string(),
            Role::Tool => self.agent.to_string(),
        };
        let mut out = Vec::with_capacity(turn.parts.len());
        for part in &turn.parts {
            let mut message = match part {
                Part::Result(result) => self.result(result, conversation, ts),
                Part::Call(call) => self.call(&speaker, call, ts),
                Part::Thought(text) => self.message(&speaker, Vec::new(), kind::THOUGHT, text.clone()),
                Part::Text(text) => match turn.role {
                    Role::System => self.message(&speaker, vec![self.agent.to_string()], kind::SYSTEM, text.clone()),
                    Role::User => {
                        let mut m = self.message(&speaker, vec![self.agent.to_string()], kind::MESSAGE, text.clone());
                        m.sender_role = turn.name.is_none().then(|| "user".to_string());
                        m
                    }
                    Role::Assistant | Role::Tool => {
                        // Another agent's line replayed in this agent's input was heard by this agent.
                        let to = if speaker == self.agent { counterpart } else { self.agent };
                        self.message(&speaker, vec![to.to_string()], kind::MESSAGE, text.clone())
                    }
                },
            };
            if turn.role == Role::Assistant && !matches!(part, Part::Result(_)) {
                message.model = self.model.map(str::to_string);
            }
            message.ts = ts;
            out.push(message);
        }
        out
    }
}

/// A top-level JSON value of a file, with where it starts when known.
pub struct Document {
    pub value: Value,
    pub line: Option<i64>,
    pub offset: usize,
}

/// The records a top-level value holds: the `data` list of a page or payload (`{"data": [...]}`), the entries of a
/// list, or the value itself.
pub fn items(document: Value) -> Vec<Value> {
    match document {
        Value::Object(mut page) if page.get("data").is_some_and(Value::is_array) => match page.remove("data") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        Value::Array(items) => items,
        other => vec![other],
    }
}

/// The top-level values of a file that is either one JSON document or JSONL: the whole document when it parses;
/// otherwise, if its first line is a JSON value by itself, one value per line, each bad line a reject with its line
/// number. A document that is neither is one reject (`what` names the format in the reason).
pub fn documents(input: &Input, what: &str, parsed: &mut Parsed) -> Vec<Document> {
    let whole = match serde_json::from_slice::<Value>(input.bytes) {
        Ok(value) => return vec![Document { value, line: None, offset: input.base_offset as usize }],
        Err(e) => e,
    };
    let first_line = input.bytes.split(|&b| b == b'\n').find(|l| !l.iter().all(u8::is_ascii_whitespace));
    let line_oriented = first_line.is_some_and(|l| serde_json::from_slice::<Value>(l).is_ok());
    if !line_oriented {
        parsed.read += 1;
        parsed.reject(Some(whole.line() as i64 + input.first_line as i64 - 1), None, json_error(what, &whole));
        return Vec::new();
    }
    let mut values = Vec::new();
    for_each_line(input, |line, offset, text| match serde_json::from_slice::<Value>(text) {
        Ok(value) => values.push(Document { value, line: Some(line), offset: offset as usize }),
        Err(e) => {
            parsed.read += 1;
            parsed.reject(Some(line), Some(offset), json_error(&format!("{what} line"), &e));
        }
    });
    values
}

/// The experimental condition a log's own metadata may carry: `scenario_id` (or `scenario`), `trust` (or `tau`),
/// `defense`, `seed`, `repetition`. Fills only fields still unset; values of the wrong type are ignored.
pub fn condition_from(metadata: Option<&Value>, meta: &mut RunMeta) {
    let Some(object) = metadata.and_then(Value::as_object) else {
        return;
    };
    let text = |keys: &[&str]| {
        keys.iter().find_map(|k| match object.get(*k) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
    };
    let number = |keys: &[&str]| text(keys).and_then(|s| s.trim().parse::<f64>().ok());
    if meta.scenario_id.is_none() {
        meta.scenario_id = text(&["scenario_id", "scenario"]);
    }
    if meta.trust.is_none() {
        meta.trust = number(&["trust", "tau"]).filter(|t| (0.0..=1.0).contains(t));
    }
    if meta.defense.is_none() {
        meta.defense = text(&["defense"]);
    }
    if meta.seed.is_none() {
        meta.seed = number(&["seed"]).filter(|s| s.fract() == 0.0).map(|s| s as i64);
    }
    if meta.repetition.is_none() {
        meta.repetition = number(&["repetition"]).filter(|r| r.fract() == 0.0).map(|r| r as i32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_message_shape_parses_to_the_same_parts() {
        let openai = json!({"role": "assistant", "content": "hi", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{\"k\":1}"}}]});
        let otel = json!({"role": "assistant", "parts": [{"type": "text", "content": "hi"},
            {"type": "tool_call", "id": "c1", "name": "lookup", "arguments": {"k": 1}}]});
        let anthropic = json!({"role": "assistant", "content": [{"type": "text", "text": "hi"},
            {"type": "tool_use", "id": "c1", "name": "lookup", "input": {"k": 1}}]});
        for value in [openai, otel, anthropic] {
            let turn = turn_from(&value).unwrap();
            assert_eq!(turn.role, Role::Assistant);
            assert_eq!(turn.parts[0], Part::Text("hi".into()));
            let Part::Call(call) = &turn.parts[1] else { panic!("{value}") };
            assert_eq!((call.id.as_deref(), call.name.as_str()), (Some("c1"), "lookup"));
            assert_eq!(serde_json::from_str::<Value>(&call.args).unwrap(), json!({"k": 1}));
        }
        let tool = turn_from(&json!({"role": "tool", "tool_call_id": "c1", "content": "42"})).unwrap();
        assert_eq!(
            tool.parts,
            vec![Part::Result(ToolResult { id: Some("c1".into()), name: None, content: "42".into() })]
        );
        let responses = turn_from(&json!({"type": "function_call_output", "call_id": "c1", "output": "42"})).unwrap();
        assert_eq!(responses.role, Role::Tool);
    }

    #[test]
    fn replayed_history_is_skipped_but_a_repeated_line_is_kept() {
        let mut conversation = Conversation::default();
        let first = vec![Turn::text(Role::System, "be nice"), Turn::text(Role::User, "yes")];
        assert_eq!(conversation.unseen(first.clone()).len(), 2);
        conversation.output(Turn::text(Role::Assistant, "ok"));
        let mut second = first;
        second.push(Turn::text(Role::Assistant, "ok"));
        second.push(Turn::text(Role::User, "yes"));
        let fresh = conversation.unseen(second);
        assert_eq!(fresh, vec![Turn::text(Role::User, "yes")]);
    }

    #[test]
    fn an_announced_call_is_not_repeated_by_its_execution() {
        let mut conversation = Conversation::default();
        let call = Call { id: Some("c1".into()), name: "lookup".into(), args: "{\"k\": 1}".into() };
        conversation.output(Turn { role: Role::Assistant, name: None, parts: vec![Part::Call(call.clone())] });
        assert!(!conversation.executed(&Call { id: None, args: "{\"k\":1}".into(), ..call.clone() }));
        assert!(conversation.executed(&call), "a second execution is a new call");
        assert_eq!(conversation.tool_name("c1"), Some("lookup"));
    }

    #[test]
    fn condition_comes_from_metadata_leniently() {
        let mut meta = RunMeta::default();
        condition_from(Some(&json!({"scenario": "S1-1", "trust": "0.9", "seed": 3, "defense": 7})), &mut meta);
        assert_eq!(meta.scenario_id.as_deref(), Some("S1-1"));
        assert_eq!(meta.trust, Some(0.9));
        assert_eq!(meta.seed, Some(3));
        assert_eq!(meta.defense.as_deref(), Some("7"));
    }
}
