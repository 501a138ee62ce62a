//! Pieces of OpenAI chat-completions messages (`{role, content, tool_calls, tool_call_id, name}`), shared by the
//! adapters whose logs hold such lists: tau-bench trajectories and CAMEL model-call logs. Both logs are one
//! exchange between "user" and "assistant" (plus the tools), so the tool calls and tool results are built here too.
//!
//! `content` is a string, null, or a list of parts (`{"type": "text", "text": ...}`; other part kinds such as
//! images have no text and are left out); the text parts are joined with "\n". A tool call is
//! `{id, type: "function", function: {name, arguments}}` where `arguments` is JSON text (an object is accepted too
//! and written back as compact JSON).

use serde_json::Value;

use crate::ingest::common::json_text;
use crate::ingest::record::Message;
use crate::schema::kind;

/// The model's side of the exchange: it answers the user and calls the tools.
pub const ASSISTANT: &str = "assistant";
/// The other side.
pub const USER: &str = "user";

/// The text of a message's `content`, or why it cannot be read.
pub fn content_text(content: Option<&Value>) -> Result<String, String> {
    match content {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(parts)) => {
            let mut texts = Vec::new();
            for (n, part) in parts.iter().enumerate() {
                match part {
                    Value::String(s) => texts.push(s.as_str()),
                    Value::Object(o) => {
                        if let Some(text) = o.get("text").and_then(Value::as_str) {
                            texts.push(text);
                        }
                    }
                    other => return Err(format!("content part {n} is neither text nor an object: {other}")),
                }
            }
            Ok(texts.join("\n"))
        }
        Some(other) => Err(format!("`content` must be a string or a list of parts, found {other}")),
    }
}

/// One requested tool call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: Option<String>,
    pub name: String,
    /// The arguments as JSON text.
    pub arguments: String,
}

/// The `tool_calls` of an assistant message (empty when absent or null), or why they cannot be read.
pub fn tool_calls(message: &Value) -> Result<Vec<ToolCall>, String> {
    let list = match message.get("tool_calls") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(other) => return Err(format!("`tool_calls` must be a list, found {other}")),
    };
    list.iter()
        .enumerate()
        .map(|(n, call)| {
            let function = call.get("function").ok_or_else(|| format!("tool_calls[{n}] has no `function`"))?;
            let name = function
                .get("name")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| format!("tool_calls[{n}].function has no string `name`"))?;
            let arguments = function.get("arguments").map(json_text).unwrap_or_default();
            Ok(ToolCall {
                id: call.get("id").and_then(Value::as_str).map(str::to_string),
                name: name.to_string(),
                arguments,
            })
        })
        .collect()
}

/// A requested tool call as a TOOL_CALL from the assistant to the tool; the arguments are the content too.
pub fn call_message(run_id: &str, call: ToolCall, offset: usize) -> Message {
    let mut message = Message::new(run_id, ASSISTANT, call.arguments.clone(), offset);
    message.kind = kind::TOOL_CALL;
    message.recipients = vec![call.name.clone()];
    message.tool_name = Some(call.name);
    message.tool_args = Some(call.arguments);
    message
}

/// Make `message` (the text of a tool message `entry`) a TOOL_RESULT from the tool to the assistant: the tool is
/// the entry's `name`, else the one the `earlier` call its `tool_call_id` answers named, else "tool".
pub fn tool_result(message: &mut Message, entry: &Value, earlier: &[Value]) {
    let call_id = entry.get("tool_call_id").and_then(Value::as_str);
    let called = call_id.and_then(|id| {
        earlier
            .iter()
            .rev()
            .find_map(|m| tool_calls(m).ok()?.into_iter().find(|c| c.id.as_deref() == Some(id)).map(|c| c.name))
    });
    let name = entry.get("name").and_then(Value::as_str).map(str::to_string).or(called);
    message.sender = name.clone().unwrap_or_else(|| "tool".into());
    message.kind = kind::TOOL_RESULT;
    message.tool_name = name;
    message.recipients = vec![ASSISTANT.into()];
    message.sender_role = Some("tool".into());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_parts_join_and_tool_calls_read() {
        let parts = json!([{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {}}, "b"]);
        assert_eq!(content_text(Some(&parts)).unwrap(), "a\nb");
        assert_eq!(content_text(None).unwrap(), "");
        assert!(content_text(Some(&json!(3))).is_err());
        let message = json!({"tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"x\":1}"}},
            {"type": "function", "function": {"name": "g", "arguments": {"y": 2}}}]});
        let calls = tool_calls(&message).unwrap();
        assert_eq!(calls[0], ToolCall { id: Some("c1".into()), name: "f".into(), arguments: "{\"x\":1}".into() });
        assert_eq!(calls[1].arguments, "{\"y\":2}");
        assert!(tool_calls(&json!({"tool_calls": [{"function": {}}]})).unwrap_err().contains("no string `name`"));
    }
}
