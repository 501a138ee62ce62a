//! OTLP JSON export requests of OpenTelemetry GenAI spans, shared by `otel-genai` and `otel-genai-jsonl`: spans
//! decoded from a request ([`read_request`]) and replayed in time order into canonical messages ([`replay`]).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::format::Format;
use crate::ingest::common::llm_calls::{
    Call, Conversation, Part, Role, Speaker, ToolResult, Turn, counterpart, turns_from,
};
use crate::ingest::common::{json_text, json_type};
use crate::ingest::record::{Message, Parsed, RunInfo, RunMeta};

/// Where a request sits in the file, for rejects and source offsets.
pub(crate) struct Where {
    pub(crate) place: String,
    pub(crate) line: Option<i64>,
    pub(crate) offset: usize,
}

/// A span with its attributes decoded from OTLP `AnyValue`s.
pub(crate) struct Span {
    trace_id: String,
    span_id: Option<String>,
    parent_id: Option<String>,
    name: String,
    start: Option<i64>,
    end: Option<i64>,
    attrs: Map<String, Value>,
    events: Vec<(String, Map<String, Value>)>,
    error: Option<String>,
    from_agentscope: bool,
    offset: usize,
}

impl Span {
    fn text(&self, key: &str) -> Option<&str> {
        self.attrs.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
    }
}

/// An OTLP JSON `AnyValue` as plain JSON (64-bit integers arrive as strings).
pub(crate) fn any_value(value: &Value) -> Value {
    let Some(object) = value.as_object() else { return value.clone() };
    if let Some(s) = object.get("stringValue") {
        return s.clone();
    }
    if let Some(i) = object.get("intValue") {
        return match i {
            Value::String(s) => s.parse::<i64>().map(Value::from).unwrap_or_else(|_| i.clone()),
            other => other.clone(),
        };
    }
    for key in ["doubleValue", "boolValue", "bytesValue"] {
        if let Some(v) = object.get(key) {
            return v.clone();
        }
    }
    if let Some(values) = object.get("arrayValue").and_then(|a| a.get("values")).and_then(Value::as_array) {
        return Value::Array(values.iter().map(any_value).collect());
    }
    if let Some(values) = object.get("kvlistValue").and_then(|a| a.get("values")) {
        return Value::Object(attributes(Some(values)));
    }
    if object.contains_key("arrayValue") {
        return Value::Array(Vec::new());
    }
    Value::Null
}

/// `[{key, value: AnyValue}]` (or an already plain object) as a map.
fn attributes(list: Option<&Value>) -> Map<String, Value> {
    match list {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|kv| Some((kv.get("key")?.as_str()?.to_string(), kv.get("value").map(any_value)?)))
            .collect(),
        Some(Value::Object(plain)) => plain.clone(),
        _ => Map::new(),
    }
}

/// Nanoseconds since the epoch (a string or a number) as microseconds.
pub(crate) fn nanos(value: Option<&Value>) -> Option<i64> {
    let nanos = match value? {
        Value::String(s) => s.trim().parse::<u64>().ok()?,
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f as u64))?,
        _ => return None,
    };
    (nanos > 0).then_some((nanos / 1000) as i64)
}

/// Every span of one export request into `spans`; each span is a record.
pub(crate) fn read_request(request: &Value, at: &Where, spans: &mut Vec<Span>, parsed: &mut Parsed) {
    let offset = at.line.map(|_| at.offset as i64);
    let Some(resources) = request.get("resourceSpans").or_else(|| request.get("batches")).and_then(Value::as_array)
    else {
        parsed.read += 1;
        let found = json_type(request);
        let reason = format!(
            "{}: not an OTLP export request (expected an object with `resourceSpans`, found {found})",
            at.place
        );
        parsed.reject(at.line, offset, reason);
        return;
    };
    let before = parsed.read;
    for (r, resource) in resources.iter().enumerate() {
        let scopes = resource.get("scopeSpans").or_else(|| resource.get("instrumentationLibrarySpans"));
        for (s, scope) in scopes.and_then(Value::as_array).into_iter().flatten().enumerate() {
            let scope_name = scope
                .get("scope")
                .or_else(|| scope.get("instrumentationLibrary"))
                .and_then(|s| s.get("name"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            for (k, span) in scope.get("spans").and_then(Value::as_array).into_iter().flatten().enumerate() {
                parsed.read += 1;
                match read_span(span, scope_name, at.offset) {
                    Ok(span) => {
                        spans.push(span);
                        parsed.ingested += 1;
                    }
                    Err(why) => {
                        let reason = format!("{}: resourceSpans[{r}].scopeSpans[{s}].spans[{k}]: {why}", at.place);
                        parsed.reject(at.line, offset, reason);
                    }
                }
            }
        }
    }
    if parsed.read == before {
        // An export that holds no span: the request itself is the record.
        parsed.read += 1;
        parsed.ingested += 1;
    }
}

fn read_span(span: &Value, scope_name: &str, offset: usize) -> Result<Span, String> {
    let object = span.as_object().ok_or_else(|| format!("a span must be an object, found {}", json_type(span)))?;
    let id = |key: &str| object.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let trace_id = id("traceId").ok_or("the span has no `traceId`")?;
    let attrs = attributes(object.get("attributes"));
    let events = object
        .get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| {
            let name = e.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
            (name, attributes(e.get("attributes")))
        })
        .collect();
    let status = object.get("status");
    let failed = status.and_then(|s| s.get("code")).is_some_and(|c| c == 2 || c == "STATUS_CODE_ERROR");
    let error = failed.then(|| {
        status.and_then(|s| s.get("message")).and_then(Value::as_str).unwrap_or("the tool failed").to_string()
    });
    let from_agentscope =
        scope_name.to_ascii_lowercase().starts_with("agentscope") || attrs.keys().any(|k| k.starts_with("agentscope."));
    Ok(Span {
        trace_id,
        span_id: id("spanId"),
        parent_id: id("parentSpanId"),
        name: object.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
        start: nanos(object.get("startTimeUnixNano")),
        end: nanos(object.get("endTimeUnixNano")),
        attrs,
        events,
        error,
        from_agentscope,
        offset,
    })
}

/// What a span does, from `gen_ai.operation.name` or, failing that, its name and content.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Operation {
    Llm,
    Agent,
    Tool,
    Other,
}

fn operation(span: &Span) -> Operation {
    let name = span.text("gen_ai.operation.name").unwrap_or_else(|| span.name.split(' ').next().unwrap_or_default());
    match name {
        "chat" | "text_completion" | "generate_content" | "completion" => Operation::Llm,
        "invoke_agent" | "create_agent" => Operation::Agent,
        "execute_tool" => Operation::Tool,
        _ if has_llm_content(span) => Operation::Llm,
        _ => Operation::Other,
    }
}

fn has_llm_content(span: &Span) -> bool {
    span.attrs
        .keys()
        .any(|k| k == "gen_ai.input.messages" || k == "gen_ai.output.messages" || k.starts_with("gen_ai.prompt."))
        || span.events.iter().any(|(name, _)| name.starts_with("gen_ai."))
}

/// A message attribute: JSON text is decoded, structured values taken as they are.
fn json_attr(attrs: &Map<String, Value>, key: &str) -> Option<Value> {
    match attrs.get(key)? {
        Value::String(s) => Some(serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

/// Input turns of an LLM call (or agent invocation), from whichever representation the instrumentation used.
/// AgentScope records no `gen_ai.input.messages` on its chat spans: their input is the formatted message list, the
/// first argument in `agentscope.function.input`.
fn inputs(span: &Span, llm: bool) -> Vec<Turn> {
    fn from_attrs(attrs: &Map<String, Value>, turns: &mut Vec<Turn>) {
        if let Some(instructions) = json_attr(attrs, "gen_ai.system_instructions") {
            let mut parts = Vec::new();
            match &instructions {
                Value::Array(blocks) => {
                    blocks.iter().for_each(|b| crate::ingest::common::llm_calls::push_block(b, &mut parts))
                }
                other => parts.push(Part::Text(json_text(other))),
            }
            turns.push(Turn { role: Role::System, name: None, parts });
        }
        if let Some(messages) = json_attr(attrs, "gen_ai.input.messages") {
            turns.extend(turns_from(&messages, Some(Role::User)));
        }
    }
    let mut turns = Vec::new();
    from_attrs(&span.attrs, &mut turns);
    for (name, attrs) in &span.events {
        match name.as_str() {
            "gen_ai.client.inference.operation.details" => from_attrs(attrs, &mut turns),
            "gen_ai.system.message" => turns.extend(event_turn(attrs, "system")),
            "gen_ai.user.message" => turns.extend(event_turn(attrs, "user")),
            "gen_ai.assistant.message" => turns.extend(event_turn(attrs, "assistant")),
            "gen_ai.tool.message" => turns.extend(event_turn(attrs, "tool")),
            _ => {}
        }
    }
    turns.extend(indexed(&span.attrs, "gen_ai.prompt"));
    if llm
        && turns.iter().all(|t| t.role == Role::System)
        && let Some(call) = json_attr(&span.attrs, "agentscope.function.input")
    {
        let messages = call.pointer("/args/0").or_else(|| call.pointer("/kwargs/messages"));
        turns.extend(messages.map(|m| turns_from(m, None)).unwrap_or_default());
    }
    turns
}

/// A tool's result as text: AgentScope's `ToolResponse` (`{content: [text blocks], ...}`) by its text blocks.
fn result_text(value: &Value) -> String {
    let blocks = value.get("content").and_then(Value::as_array);
    let texts: Option<Vec<&str>> =
        blocks.map(|b| b.iter().filter_map(|x| x.get("text").and_then(Value::as_str)).collect());
    match texts {
        Some(texts) if !texts.is_empty() => texts.join("\n"),
        _ => json_text(value),
    }
}

/// Output turns of an LLM call (or agent invocation).
fn outputs(span: &Span) -> Vec<Turn> {
    let mut turns = Vec::new();
    if let Some(messages) = json_attr(&span.attrs, "gen_ai.output.messages") {
        turns.extend(turns_from(&messages, Some(Role::Assistant)));
    }
    for (name, attrs) in &span.events {
        match name.as_str() {
            "gen_ai.client.inference.operation.details" => {
                if let Some(messages) = json_attr(attrs, "gen_ai.output.messages") {
                    turns.extend(turns_from(&messages, Some(Role::Assistant)));
                }
            }
            "gen_ai.choice" => {
                let body = event_body(attrs);
                let message = body.get("message").cloned().unwrap_or(Value::Object(body));
                turns.extend(event_turn_value(message, "assistant"));
            }
            _ => {}
        }
    }
    turns.extend(indexed(&span.attrs, "gen_ai.completion"));
    turns
}

/// The body of an older GenAI event: `gen_ai.event.content` JSON when present, else the attributes themselves.
fn event_body(attrs: &Map<String, Value>) -> Map<String, Value> {
    match json_attr(attrs, "gen_ai.event.content") {
        Some(Value::Object(body)) => body,
        Some(other) => Map::from_iter([("content".to_string(), other)]),
        None => attrs.clone(),
    }
}

fn event_turn(attrs: &Map<String, Value>, role: &str) -> Option<Turn> {
    event_turn_value(Value::Object(event_body(attrs)), role)
}

fn event_turn_value(body: Value, role: &str) -> Option<Turn> {
    let mut body = match body {
        Value::Object(body) => body,
        other => Map::from_iter([("content".to_string(), other)]),
    };
    body.entry("role").or_insert_with(|| Value::String(role.to_string()));
    if let Some(Value::String(content)) = body.get("content")
        && let Ok(parsed @ (Value::Array(_) | Value::Object(_))) = serde_json::from_str::<Value>(content)
    {
        body.insert("content".into(), parsed);
    }
    crate::ingest::common::llm_calls::turn_from(&Value::Object(body))
}

/// OpenLLMetry's flattened messages: `<prefix>.<i>.role`, `.content`, `.tool_call_id`, `.tool_calls.<j>.{id,name,arguments}`.
fn indexed(attrs: &Map<String, Value>, prefix: &str) -> Vec<Turn> {
    let mut turns = Vec::new();
    for i in 0.. {
        let key = |field: &str| format!("{prefix}.{i}.{field}");
        if !attrs.contains_key(&key("role")) && !attrs.contains_key(&key("content")) {
            break;
        }
        let mut message = Map::new();
        let role = attrs.get(&key("role")).cloned().unwrap_or_else(|| Value::String("user".into()));
        message.insert("role".into(), role);
        if let Some(content) = attrs.get(&key("content")) {
            message.insert("content".into(), content.clone());
        }
        if let Some(id) = attrs.get(&key("tool_call_id")) {
            message.insert("tool_call_id".into(), id.clone());
        }
        let mut calls = Vec::new();
        for j in 0.. {
            let call_key = |field: &str| format!("{prefix}.{i}.tool_calls.{j}.{field}");
            let Some(name) = attrs.get(&call_key("name")) else { break };
            let mut call = Map::from_iter([("name".to_string(), name.clone())]);
            for field in ["id", "arguments"] {
                if let Some(v) = attrs.get(&call_key(field)) {
                    call.insert(field.into(), v.clone());
                }
            }
            calls.push(Value::Object(call));
        }
        if !calls.is_empty() {
            message.insert("tool_calls".into(), Value::Array(calls));
        }
        turns.extend(crate::ingest::common::llm_calls::turn_from(&Value::Object(message)));
    }
    turns
}

/// A run's steps: (time, span index, what happens).
type Steps = Vec<(i64, usize, Step)>;

/// One step of a run in time order.
enum Step {
    Input,
    Output,
    ToolCall,
    ToolResult,
}

pub(crate) fn replay(spans: Vec<Span>, parsed: &mut Parsed) {
    let by_id: HashMap<&str, usize> =
        spans.iter().enumerate().filter_map(|(i, s)| s.span_id.as_deref().map(|id| (id, i))).collect();
    // A span's agent: its own or its nearest ancestor's `gen_ai.agent.name`.
    let agent_of = |mut i: usize| -> String {
        for _ in 0..spans.len() {
            if let Some(name) = spans[i].text("gen_ai.agent.name") {
                return name.to_string();
            }
            match spans[i].parent_id.as_deref().and_then(|p| by_id.get(p)) {
                Some(&parent) => i = parent,
                None => break,
            }
        }
        "assistant".to_string()
    };
    let mut conversation_of_trace: HashMap<&str, &str> = HashMap::new();
    for span in &spans {
        if let Some(id) = span.text("gen_ai.conversation.id") {
            conversation_of_trace.entry(span.trace_id.as_str()).or_insert(id);
        }
    }
    let run_of = |span: &Span| -> String {
        span.text("gen_ai.conversation.id")
            .or_else(|| conversation_of_trace.get(span.trace_id.as_str()).copied())
            .unwrap_or(&span.trace_id)
            .to_string()
    };

    // Runs in order of first appearance, each with its metadata and steps.
    let mut runs: Vec<(String, RunMeta, Steps)> = Vec::new();
    let mut run_index: HashMap<String, usize> = HashMap::new();
    for (i, span) in spans.iter().enumerate() {
        let run_id = run_of(span);
        let r = *run_index.entry(run_id.clone()).or_insert_with(|| {
            let meta = RunMeta { framework: Some(Format::OtelGenAi.framework().into()), ..RunMeta::default() };
            runs.push((run_id, meta, Vec::new()));
            runs.len() - 1
        });
        let (_, meta, steps) = &mut runs[r];
        if span.from_agentscope {
            meta.framework = Some("AgentScope".into());
        }
        meta.started_at = match (meta.started_at, span.start) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let (start, end) = (span.start.unwrap_or(i64::MAX), span.end.or(span.start).unwrap_or(i64::MAX));
        match operation(span) {
            Operation::Llm | Operation::Agent => steps.extend([(start, i, Step::Input), (end, i, Step::Output)]),
            Operation::Tool => steps.extend([(start, i, Step::ToolCall), (end, i, Step::ToolResult)]),
            Operation::Other => {}
        }
    }

    for (run_id, mut meta, mut steps) in runs {
        steps.sort_by_key(|(at, i, _)| (*at, *i));
        let mut conversation = Conversation::default();
        let mut counterparts: HashMap<usize, String> = HashMap::new();
        for (_, i, step) in steps {
            let span = &spans[i];
            let agent = agent_of(i);
            let llm = operation(span) == Operation::Llm;
            let model = span.text("gen_ai.response.model").or_else(|| span.text("gen_ai.request.model"));
            if llm && meta.backend.is_none() {
                meta.backend = model.map(str::to_string);
            }
            let speaker = Speaker { run_id: &run_id, agent: &agent, model, offset: span.offset };
            let out: Vec<Message> = match step {
                Step::Input => {
                    let input = inputs(span, llm);
                    counterparts.insert(i, counterpart(&input));
                    speaker.unseen(input, &counterparts[&i], &mut conversation, span.start)
                }
                Step::Output => {
                    let to = counterparts.get(&i).map_or("user", String::as_str);
                    if llm {
                        speaker.output(outputs(span), to, &mut conversation, span.end)
                    } else {
                        // An agent's reply is usually its last LLM call's output, said already.
                        speaker.unseen(outputs(span), to, &mut conversation, span.end)
                    }
                }
                Step::ToolCall => {
                    let name = span
                        .text("gen_ai.tool.name")
                        .or_else(|| span.name.strip_prefix("execute_tool "))
                        .unwrap_or("tool")
                        .to_string();
                    let args = match span.attrs.get("gen_ai.tool.call.arguments") {
                        None | Some(Value::Null) => "{}".to_string(),
                        Some(v) => json_text(v),
                    };
                    let call = Call { id: span.text("gen_ai.tool.call.id").map(str::to_string), name, args };
                    speaker.executed(&call, &mut conversation, span.start).into_iter().collect()
                }
                Step::ToolResult => {
                    let content = match (json_attr(&span.attrs, "gen_ai.tool.call.result"), &span.error) {
                        (Some(result), _) => result_text(&result),
                        (None, Some(error)) => format!("error: {error}"),
                        (None, None) => continue,
                    };
                    let name = span.text("gen_ai.tool.name").or_else(|| span.name.strip_prefix("execute_tool "));
                    let result = ToolResult {
                        id: span.text("gen_ai.tool.call.id").map(str::to_string),
                        name: name.map(str::to_string),
                        content,
                    };
                    vec![speaker.returned(&result, &mut conversation, span.end)]
                }
            };
            parsed.messages.extend(out);
        }
        parsed.runs.push(RunInfo { run_id, meta });
    }
}
