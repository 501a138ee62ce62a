//! The documented generic JSONL format: one JSON object per line, one message per object.
//!
//! Required keys: `run_id`, `sender`, `content`. Optional: `turn`, `ts` (ISO 8601 or epoch), `recipients` (list or
//! string), `channel`, `kind` (message, thought, tool_call, tool_result, handoff, system), `sender_role`,
//! `tool_name`, `tool_args` (object or string), `model`, `is_final`, and run metadata that may appear on any line
//! of the run: `framework`, `backend`, `scenario_id`, `trust`, `defense`, `seed`, `repetition`. Unknown keys are
//! ignored. Blank lines are skipped; every other line is one record, ingested or rejected with its line number.

use std::path::Path;

use std::borrow::Cow;
use std::collections::HashMap;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::sniff;
use crate::ingest::common::{for_each_line, json_error, json_text, json_type, time};
use crate::ingest::record::{Message, Parsed, RunInfo, RunMeta};
use crate::schema::kind;

pub struct GenericJsonl;

impl Adapter for GenericJsonl {
    fn format(&self) -> Format {
        Format::Jsonl
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
        // Run id → index into `parsed.runs`: one RunInfo per run within this chunk, found in constant time (a chunk
        // of one-message runs holds thousands).
        let mut runs: HashMap<String, usize> = HashMap::new();
        for_each_line(input, |line_no, offset, line| {
            parsed.read += 1;
            let fields = match serde_json::from_slice::<Line>(line) {
                Ok(fields) => fields,
                // The borrowing parse failed: the general one says why, in the words every other adapter uses.
                Err(_) => match serde_json::from_slice(line) {
                    Ok(Value::Object(object)) => Line::from_map(&object),
                    Ok(other) => {
                        let found = json_type(&other);
                        parsed.reject(Some(line_no), Some(offset), format!("expected a JSON object, found {found}"));
                        return;
                    }
                    Err(e) => {
                        parsed.reject(Some(line_no), Some(offset), json_error("line", &e));
                        return;
                    }
                },
            };
            match message_from(&fields, offset) {
                Ok((message, meta)) => {
                    // The ingester merges a run's RunInfos across chunks.
                    match runs.get(message.run_id.as_str()) {
                        Some(&i) => parsed.runs[i].meta.fill_from(&meta),
                        None => {
                            runs.insert(message.run_id.clone(), parsed.runs.len());
                            parsed.runs.push(RunInfo { run_id: message.run_id.clone(), meta });
                        }
                    }
                    parsed.messages.push(message);
                    parsed.ingested += 1;
                }
                Err(reason) => parsed.reject(Some(line_no), Some(offset), reason),
            }
        });
        parsed
    }
}

/// A JSON value of a line, borrowed from the line where it can be: strings without escapes are not copied, and
/// keys the format does not know are skipped without being built.
#[derive(Debug, Clone)]
enum Field<'a> {
    Null,
    Bool(bool),
    Number(Number),
    Str(Cow<'a, str>),
    /// Lists and objects, as serde_json builds them.
    Other(Value),
}

impl Field<'_> {
    fn from_value(value: &Value) -> Field<'static> {
        match value {
            Value::Null => Field::Null,
            Value::Bool(b) => Field::Bool(*b),
            Value::Number(n) => Field::Number(n.clone()),
            Value::String(s) => Field::Str(Cow::Owned(s.clone())),
            other => Field::Other(other.clone()),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Field::Null => Value::Null,
            Field::Bool(b) => Value::Bool(*b),
            Field::Number(n) => Value::Number(n.clone()),
            Field::Str(s) => Value::String(s.to_string()),
            Field::Other(v) => v.clone(),
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Field::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Field::Str(_) => "a string",
            Field::Number(_) => "a number",
            other => json_type(&other.to_value()),
        }
    }

    /// As message text: strings as they are, anything else as compact JSON (`json_text`).
    fn text(&self) -> String {
        match self {
            Field::Str(s) => s.to_string(),
            Field::Null => String::new(),
            other => json_text(&other.to_value()),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl<'de> Visitor<'de> for FieldVisitor {
            type Value = Field<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Field<'de>, E> {
                Ok(Field::Null)
            }
            fn visit_none<E>(self) -> Result<Field<'de>, E> {
                Ok(Field::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Field<'de>, E> {
                Ok(Field::Bool(b))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Field<'de>, E> {
                Ok(Field::Number(n.into()))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Field<'de>, E> {
                Ok(Field::Number(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Field<'de>, E> {
                Ok(Number::from_f64(n).map_or(Field::Null, Field::Number))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Owned(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Field<'de>, A::Error> {
                Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(Field::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field<'de>, A::Error> {
                Value::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Field::Other)
            }
        }
        deserializer.deserialize_any(FieldVisitor)
    }
}

/// The keys of one line the format reads (`None`: absent; a later duplicate key wins, as in a JSON object).
#[derive(Debug, Default)]
struct Line<'a> {
    fields: [Option<Field<'a>>; KEYS.len()],
}

/// Every key the format reads.
const KEYS: [&str; 23] = [
    "run_id",
    "sender",
    "content",
    "turn",
    "ts",
    "timestamp",
    "recipients",
    "recipient",
    "channel",
    "kind",
    "sender_role",
    "tool_name",
    "tool_args",
    "model",
    "is_final",
    "framework",
    "backend",
    "scenario_id",
    "trust",
    "defense",
    "seed",
    "repetition",
    "synthetic",
];

impl<'a> Line<'a> {
    fn from_map(object: &Map<String, Value>) -> Line<'static> {
        let mut line = Line::default();
        for (slot, key) in line.fields.iter_mut().zip(KEYS) {
            *slot = object.get(key).map(Field::from_value);
        }
        line
    }

    fn get(&self, key: &str) -> Option<&Field<'a>> {
        let index = KEYS.iter().position(|k| *k == key).expect("a key the format reads");
        self.fields[index].as_ref()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Line<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LineVisitor;
        impl<'de> Visitor<'de> for LineVisitor {
            type Value = Line<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Line<'de>, A::Error> {
                let mut line = Line::default();
                while let Some(key) = map.next_key::<Field<'de>>()? {
                    let Field::Str(key) = key else { return Err(serde::de::Error::custom("a key is not a string")) };
                    match KEYS.iter().position(|k| *k == key) {
                        Some(i) => line.fields[i] = Some(map.next_value()?),
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(line)
            }
        }
        deserializer.deserialize_map(LineVisitor)
    }
}

fn message_from(o: &Line, offset: i64) -> Result<(Message, RunMeta), String> {
    let required = |key: &str| match o.get(key) {
        Some(Field::Str(s)) if !s.is_empty() => Ok(s.as_ref()),
        Some(Field::Number(n)) if key == "run_id" => Err(format!("`{key}` must be a string, found the number {n}")),
        Some(Field::Str(_)) => Err(format!("`{key}` is empty")),
        Some(other) => Err(format!("`{key}` must be a string, found {}", other.type_name())),
        None => Err(format!("missing required key `{key}`")),
    };
    let run_id = required("run_id")?;
    let sender = required("sender")?;
    let content = match o.get("content") {
        Some(Field::Null) | None => return Err("missing required key `content`".into()),
        Some(other) => other.text(),
    };
    let optional = |key: &str| -> Result<Option<String>, String> {
        match o.get(key) {
            None | Some(Field::Null) => Ok(None),
            Some(Field::Str(s)) => Ok(Some(s.to_string())),
            Some(Field::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(format!("`{key}` must be a string, found {}", other.type_name())),
        }
    };
    let number = |key: &str| -> Result<Option<f64>, String> {
        match o.get(key) {
            None | Some(Field::Null) => Ok(None),
            Some(Field::Number(n)) => Ok(n.as_f64()),
            Some(Field::Str(s)) => s
                .trim()
                .parse::<f64>()
                .map(Some)
                .map_err(|_| format!("`{key}` must be a number, found the string \"{s}\"")),
            Some(other) => Err(format!("`{key}` must be a number, found {}", other.type_name())),
        }
    };
    let integer = |key: &str| -> Result<Option<i64>, String> {
        // Exact when the JSON number is an integer (a 63-bit seed survives); a float must be whole.
        if let Some(Field::Number(n)) = o.get(key)
            && let Some(exact) = n.as_i64()
        {
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
        None | Some(Field::Null) => Vec::new(),
        Some(Field::Str(s)) => vec![s.to_string()],
        Some(Field::Other(Value::Array(list))) => list
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or("`recipients` must hold strings only".to_string()))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("`recipients` must be a list of strings, found {}", other.type_name())),
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
        None | Some(Field::Null) => None,
        Some(Field::Str(s)) => {
            Some(time::parse_ts(s).ok_or_else(|| format!("`ts` is not a timestamp: {}", Value::from(s.as_ref())))?)
        }
        Some(v) => {
            let v = v.to_value();
            Some(time::from_json(&v).ok_or_else(|| format!("`ts` is not a timestamp: {v}"))?)
        }
    };
    message.channel = optional("channel")?;
    message.sender_role = optional("sender_role")?;
    message.tool_name = optional("tool_name")?;
    message.tool_args = match o.get("tool_args") {
        None | Some(Field::Null) => None,
        Some(v) => Some(v.text()),
    };
    message.model = optional("model")?;
    message.is_final = o.get("is_final").and_then(Field::as_bool).unwrap_or(false);

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
        synthetic: o.get("synthetic").and_then(Field::as_bool),
        started_at: None,
    };
    Ok((message, meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The borrowing parse (issue 10: ingest speed) reads every line as the general serde_json one did.
    #[test]
    fn the_borrowing_parse_agrees_with_the_general_one() {
        let lines = [
            r#"{"run_id": "r1", "sender": "Chen", "content": "The code is \"0107\"\n\u00e9", "turn": 3}"#,
            r#"{"run_id": "r1", "sender": "Chen", "content": {"b": 1, "a": [true, null]}, "extra": {"x": [1, 2]}}"#,
            r#"{"run_id": "r1", "sender": "A", "content": "x", "recipients": "B", "trust": "0.5", "seed": 9007199254740993}"#,
            r#"{"run_id": "r1", "sender": "A", "content": 12.5, "recipient": ["B", "C"], "kind": "Tool_Call", "tool_args": {"z": 1, "y": "2"}}"#,
            r#"{"run_id": "r1", "sender": "A", "content": "x", "recipients": null, "recipient": ["B"], "ts": "2025-01-15T10:00:00Z"}"#,
            r#"{"run_id": "r1", "sender": "A", "content": "x", "ts": 1736935200, "is_final": true, "synthetic": false}"#,
            r#"{"run_id": "r1", "run_id": "r2", "sender": "A", "content": "dup keys: the last wins", "model": "m"}"#,
            r#"{"r\u0075n_id": "r3", "sender": "A", "content": "an escaped key", "backend": 7}"#,
            r#"{"run_id": 5, "sender": "A", "content": "x"}"#,
            r#"{"run_id": "r1", "sender": "", "content": "x"}"#,
            r#"{"run_id": "r1", "sender": "A", "content": null}"#,
            r#"{"run_id": "r1", "sender": "A", "content": "x", "recipients": [1]}"#,
            r#"{"run_id": "r1", "sender": "A", "content": "x", "trust": 2}"#,
            r#"{"run_id": "r1", "sender": "A", "content": "x", "turn": 1.5}"#,
            r#"{"run_id": "r1", "sender": "A", "content": "x", "ts": "yesterday"}"#,
            r#"{"run_id": "r1", "sender": "A", "content": "x", "kind": "shout"}"#,
            r#"{"run_id": "r1", "sender": ["A"], "content": "x"}"#,
        ];
        for line in lines {
            let general: Map<String, Value> = serde_json::from_slice(line.as_bytes()).unwrap();
            let fast: Line = serde_json::from_slice(line.as_bytes()).unwrap();
            assert_eq!(message_from(&fast, 7), message_from(&Line::from_map(&general), 7), "{line}");
        }
        // Lines the borrowing parse refuses are reported as before.
        let input = "[1, 2]\n{\"run_id\": \"r1\", \"sender\": \"A\"\n\"text\"\n";
        let parsed = GenericJsonl.parse(&Input {
            path: Path::new("x.jsonl"),
            display: "x.jsonl",
            bytes: input.as_bytes(),
            first_line: 1,
            base_offset: 0,
            default_run_id: "x",
        });
        let reasons: Vec<&str> = parsed.rejects.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(reasons[0], "expected a JSON object, found an array");
        assert!(
            reasons[1].starts_with("line: it ends early (truncated?): EOF while parsing an object"),
            "{}",
            reasons[1]
        );
        assert_eq!(reasons[2], "expected a JSON object, found a string");
    }
}
