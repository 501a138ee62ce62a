//! The documented generic JSONL format: one JSON object per line, one message per object.
//!
//! Required keys: `run_id`, `sender`, `content`. Optional: `turn`, `ts` (ISO 8601 or epoch), `recipients` (list or
//! string), `channel`, `kind` (message, thought, tool_call, tool_result, handoff, system), `sender_role`,
//! `tool_name`, `tool_args` (object or string), `model`, `is_final`, and run metadata that may appear on any line
//! of the run: `framework`, `backend`, `scenario_id`, `trust`, `defense`, `seed`, `repetition`. Unknown keys are
//! ignored. Blank lines are skipped; every other line is one record, ingested or rejected with its line number.

use std::path::Path;

use serde_json::{Map, Value};

use super::adapter::{Adapter, Input, sniff};
use super::record::{Message, Parsed, RunInfo, RunMeta};
use super::{for_each_line, json_error, json_text, json_type, time};
use crate::schema::kind;

pub struct GenericJsonl;

impl Adapter for GenericJsonl {
    fn name(&self) -> &'static str {
        "jsonl"
    }
    fn framework(&self) -> &'static str {
        "generic"
    }
    fn reads(&self) -> &'static str {
        "generic JSONL (.jsonl): one message per line with run_id, sender, recipients, channel, content (see README)"
    }
    fn lacks(&self) -> &'static str {
        "nothing: every canonical field has a key; absent optional keys stay null"
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        let first = text.lines().next().unwrap_or("");
        first.starts_with('{') && first.contains("\"run_id\"") && first.contains("\"sender\"")
    }
    fn line_oriented(&self) -> bool {
        true
    }

    fn parse(&self, input: &Input) -> Parsed {
        let mut parsed = Parsed::default();
        let mut last_run: Option<usize> = None;
        for_each_line(input, |line_no, offset, line| {
            parsed.read += 1;
            let object: Map<String, Value> = match serde_json::from_slice(line) {
                Ok(Value::Object(object)) => object,
                Ok(other) => {
                    let found = json_type(&other);
                    parsed.reject(Some(line_no), Some(offset), format!("expected a JSON object, found {found}"));
                    return;
                }
                Err(e) => {
                    parsed.reject(Some(line_no), Some(offset), json_error("line", &e));
                    return;
                }
            };
            match message_from(&object, offset) {
                Ok((message, meta)) => {
                    // Keep one RunInfo per run within this chunk; the ingester merges them across chunks.
                    let known = last_run.filter(|&i| parsed.runs[i].run_id == message.run_id);
                    let index = known.or_else(|| parsed.runs.iter().position(|r| r.run_id == message.run_id));
                    match index {
                        Some(i) => parsed.runs[i].meta.fill_from(&meta),
                        None => parsed.runs.push(RunInfo { run_id: message.run_id.clone(), meta }),
                    }
                    last_run = index.or(Some(parsed.runs.len() - 1));
                    parsed.messages.push(message);
                    parsed.ingested += 1;
                }
                Err(reason) => parsed.reject(Some(line_no), Some(offset), reason),
            }
        });
        parsed
    }
}

fn message_from(o: &Map<String, Value>, offset: i64) -> Result<(Message, RunMeta), String> {
    let required = |key: &str| match o.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.as_str()),
        Some(Value::Number(n)) if key == "run_id" => Err(format!("`{key}` must be a string, found the number {n}")),
        Some(Value::String(_)) => Err(format!("`{key}` is empty")),
        Some(other) => Err(format!("`{key}` must be a string, found {}", json_type(other))),
        None => Err(format!("missing required key `{key}`")),
    };
    let run_id = required("run_id")?;
    let sender = required("sender")?;
    let content = match o.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => return Err("missing required key `content`".into()),
        Some(other) => json_text(other),
    };
    let optional = |key: &str| -> Result<Option<String>, String> {
        match o.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(format!("`{key}` must be a string, found {}", json_type(other))),
        }
    };
    let number = |key: &str| -> Result<Option<f64>, String> {
        match o.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .map(Some)
                .map_err(|_| format!("`{key}` must be a number, found the string \"{s}\"")),
            Some(other) => Err(format!("`{key}` must be a number, found {}", json_type(other))),
        }
    };
    let integer = |key: &str| -> Result<Option<i64>, String> {
        // Exact when the JSON number is an integer (a 63-bit seed survives); a float must be whole.
        if let Some(exact) = o.get(key).and_then(Value::as_i64) {
            return Ok(Some(exact));
        }
        match number(key)? {
            Some(x) if x.fract() == 0.0 => Ok(Some(x as i64)),
            Some(x) => Err(format!("`{key}` must be a whole number, found {x}")),
            None => Ok(None),
        }
    };

    let mut message = Message::new(run_id, sender, content, offset as usize);
    message.recipients = match o.get("recipients").or_else(|| o.get("recipient")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or("`recipients` must hold strings only".to_string()))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("`recipients` must be a list of strings, found {}", json_type(other))),
    };
    if let Some(k) = optional("kind")? {
        message.kind = kind::ALL
            .iter()
            .copied()
            .find(|known| known.eq_ignore_ascii_case(&k))
            .ok_or_else(|| format!("`kind` is \"{k}\"; expected one of {}", kind::ALL.join(", ")))?;
    }
    message.turn = integer("turn")?.map_or(-1, |t| t as i32);
    message.ts = match o.get("ts").or_else(|| o.get("timestamp")) {
        None | Some(Value::Null) => None,
        Some(v) => Some(time::from_json(v).ok_or_else(|| format!("`ts` is not a timestamp: {v}"))?),
    };
    message.channel = optional("channel")?;
    message.sender_role = optional("sender_role")?;
    message.tool_name = optional("tool_name")?;
    message.tool_args = match o.get("tool_args") {
        None | Some(Value::Null) => None,
        Some(v) => Some(json_text(v)),
    };
    message.model = optional("model")?;
    message.is_final = o.get("is_final").and_then(Value::as_bool).unwrap_or(false);

    let trust = number("trust")?;
    if let Some(t) = trust
        && !(0.0..=1.0).contains(&t)
    {
        return Err(format!("`trust` must lie in [0, 1], found {t}"));
    }
    let meta = RunMeta {
        framework: optional("framework")?,
        backend: optional("backend")?.or_else(|| message.model.clone()),
        scenario_id: optional("scenario_id")?,
        trust,
        defense: optional("defense")?,
        seed: integer("seed")?,
        repetition: integer("repetition")?.map(|r| r as i32),
        synthetic: o.get("synthetic").and_then(Value::as_bool),
        started_at: None,
    };
    Ok((message, meta))
}
