//! Pieces of OpenAI chat-completions messages (`{role, content, tool_calls, tool_call_id, name}`), shared by the
//! adapters whose logs hold such lists: tau-bench trajectories and CAMEL model-call logs.
//!
//! `content` is a string, null, or a list of parts (`{"type": "text", "text": ...}`; other part kinds such as
//! images have no text and are left out); the text parts are joined with "\n". A tool call is
//! `{id, type: "function", function: {name, arguments}}` where `arguments` is JSON text (an object is accepted too
//! and written back as compact JSON).

use serde_json::Value;

use super::json_text;

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
