//! What adapters share: line iteration and JSON helpers here; head sniffing, time parsing, JSON with byte spans,
//! LLM-call turns, OpenAI chat messages, OTLP spans, and the helpers of families whose adapters share a model
//! (AutoGen, CrewAI, LangChain, MetaGPT) in the modules below. Nothing here is an adapter: adapters import from here, never
//! from each other.

pub mod autogen;
pub mod crewai;
pub mod json_spans;
pub mod langchain;
pub mod llm_calls;
pub mod metagpt;
pub mod openai_chat;
pub mod otlp;
pub mod sniff;
pub mod time;

use crate::ingest::adapter::Input;

/// Call `f(line_no, byte_offset, line)` for every non-blank line of the input (without its line ending).
pub fn for_each_line(input: &Input, mut f: impl FnMut(i64, i64, &[u8])) {
    let mut offset = 0usize;
    for (line_no, raw) in (input.first_line as i64..).zip(input.bytes.split_inclusive(|&b| b == b'\n')) {
        let line = raw.strip_suffix(b"\n").unwrap_or(raw);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.iter().all(|b| b.is_ascii_whitespace()) {
            f(line_no, (input.base_offset as usize + offset) as i64, line);
        }
        offset += raw.len();
    }
}

/// A JSON value as message text: strings as they are, anything else as compact JSON.
pub fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A JSON value's type in words, for reject reasons.
pub fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A serde_json error as a sentence that says where and why the document breaks.
pub fn json_error(what: &str, e: &serde_json::Error) -> String {
    let why = match e.classify() {
        serde_json::error::Category::Eof => "it ends early (truncated?)",
        serde_json::error::Category::Syntax => "it is not valid JSON",
        serde_json::error::Category::Data => "a value has the wrong type",
        serde_json::error::Category::Io => "it could not be read",
    };
    format!("{what}: {why}: {e}")
}
