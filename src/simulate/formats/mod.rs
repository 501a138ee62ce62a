//! Format writers: a simulated [`Chain`] recorded the way each framework tvp reads would write it on disk, so that
//! ingesting the corpus gives back the chain (run id, speakers, kinds, texts, tool calls) through the very adapter
//! that reads real logs of that framework.
//!
//! [`encode`] is pure and deterministic (ids are hashes of the run id and the turn index, times come from the turns),
//! so callers run it in parallel; a [`Sink`] then writes the encoded chains in the order given: files of their own,
//! records appended to a shared line-oriented file (rotated at [`ROTATE_BYTES`]), or rows of a shared SQLite log.
//! Each writer's module header says which real file it imitates and what of the chain its format cannot carry.

mod agentleak;
mod agentscope;
mod autogen;
mod camel;
mod crewai;
mod inspect;
mod jsonl;
mod langfuse;
mod langgraph;
mod langsmith;
mod metagpt;
mod openai_agents;
mod otel;
mod sink;
mod taubench;

#[cfg(test)]
mod tests;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::chain::{Chain, Turn, TurnKind};
use crate::error::{Error, Result};
use crate::format::Format;
pub use sink::Sink;

/// A shared line-oriented file starts a new part (`part-001`, ...) once it holds this many bytes.
pub const ROTATE_BYTES: u64 = 256 * 1024 * 1024;

/// Every format the simulator writes (all that ingest reads), by name, in detection order.
pub fn names() -> Vec<&'static str> {
    Format::ALL.iter().map(|f| f.name()).collect()
}

/// The native format of a simulated framework (case-insensitive); generic JSONL for any other.
pub fn native(framework: &str) -> Format {
    match framework.to_ascii_lowercase().as_str() {
        "agentscope" => Format::AgentScope,
        "autogen" => Format::Autogen04,
        "langgraph" => Format::LangGraph,
        "crewai" => Format::CrewAiOutput,
        _ => Format::Jsonl,
    }
}

/// One chain encoded for one format: what to write where.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    pub format: Format,
    pub parts: Vec<Part>,
}

/// A piece of output, by where it goes under the output folder.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// A file of its own at this relative path (one chain per file); an existing file is replaced.
    File { path: String, bytes: Vec<u8> },
    /// Whole records appended to the shared file `<dir>/<prefix>-NNN.<ext>` (many chains per file). `header` opens
    /// each chain's records where the format needs one (a logging session header), and is part of `bytes` already.
    Append { dir: &'static str, prefix: &'static str, ext: &'static str, bytes: Vec<u8> },
    /// Rows of the shared AutoGen 0.2 SQLite log `autogen02-sqlite/logs-NNN.db` (rotated like the shared files).
    Sqlite(Vec<SqlRow>),
}

/// One row of AutoGen 0.2's `SqliteLogger` tables, as `autogen/logger/sqlite_logger.py` writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlRow {
    /// `agents`: one per agent and session (`log_new_agent`).
    Agent { agent_id: i64, session_id: String, name: String, class: String, init_args: String, timestamp: String },
    /// `events`: `log_event` (a `received_message`); its session is its agent's (`source_id` = `agents.agent_id`).
    Event { source_id: i64, source_name: String, event_name: String, json_state: String, timestamp: String },
}

impl Encoded {
    /// Bytes this chain adds to the output (SQLite rows: the text they hold).
    pub fn len(&self) -> u64 {
        self.parts
            .iter()
            .map(|p| match p {
                Part::File { bytes, .. } | Part::Append { bytes, .. } => bytes.len() as u64,
                Part::Sqlite(rows) => rows
                    .iter()
                    .map(|r| match r {
                        SqlRow::Agent { session_id, name, class, init_args, timestamp, .. } => {
                            8 + session_id.len() + name.len() + class.len() + init_args.len() + timestamp.len()
                        }
                        SqlRow::Event { source_name, event_name, json_state, timestamp, .. } => {
                            8 + source_name.len() + event_name.len() + json_state.len() + timestamp.len()
                        }
                    } as u64)
                    .sum(),
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Encode one chain for `format`.
pub fn encode(format: Format, chain: &Chain) -> Result<Encoded> {
    let parts = match format {
        Format::AgentLeak => agentleak::encode(chain)?,
        Format::Autogen02Log => autogen::encode_log(chain)?,
        Format::Autogen02Sqlite => autogen::encode_sqlite(chain)?,
        Format::MagenticOne => autogen::encode_magentic_one(chain)?,
        Format::Autogen02Chat => autogen::encode_chat(chain)?,
        Format::Autogen04 => autogen::encode_04(chain)?,
        Format::AgentScope => agentscope::encode(chain)?,
        Format::CrewAiLog => crewai::encode_log(chain)?,
        Format::CrewAiOutput => crewai::encode_output(chain)?,
        Format::LangSmith => langsmith::encode(chain)?,
        Format::LangGraph => langgraph::encode(chain)?,
        Format::Inspect => inspect::encode(chain)?,
        Format::OpenAiAgents => openai_agents::encode(chain)?,
        Format::OtelGenAiJsonl => otel::encode_lines(chain)?,
        Format::OtelGenAi => otel::encode_file(chain)?,
        Format::Langfuse => langfuse::encode(chain)?,
        Format::MetagptTeam => metagpt::encode_team(chain)?,
        Format::MetagptLog => metagpt::encode_log(chain)?,
        Format::TauBench => taubench::encode(chain)?,
        Format::CamelWorkforce => camel::encode_workforce(chain)?,
        Format::CamelModelLog => camel::encode_model_log(chain)?,
        Format::CamelRoleplay => camel::encode_roleplay(chain)?,
        Format::Jsonl => jsonl::encode(chain)?,
    };
    Ok(Encoded { format, parts })
}

// ---- helpers the writers share ----

/// A 64-bit hash of the run id, a turn index and a salt: the seed of every id a writer makes up.
fn hash(run_id: &str, n: u64, salt: &str) -> u64 {
    let seed = xxh3_64_with_seed(salt.as_bytes(), n);
    xxh3_64_with_seed(run_id.as_bytes(), seed)
}

/// A uuid4-shaped id (`8-4-4-4-12` lowercase hex) derived from the run id, a turn index and a salt.
fn uuid(run_id: &str, n: u64, salt: &str) -> String {
    let a = hash(run_id, n, salt);
    let b = hash(run_id, n, &format!("{salt}/2"));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// 32 lowercase hex digits (`uuid4().hex`) derived like [`uuid`].
fn hex32(run_id: &str, n: u64, salt: &str) -> String {
    uuid(run_id, n, salt).replace('-', "")
}

/// Microseconds since the epoch as `chrono`'s UTC time (the epoch itself when out of range).
fn utc(ts_us: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(ts_us).unwrap_or_default()
}

/// `2025-02-01 09:00:00.000001` (Python `str(datetime)` / AutoGen's `get_current_ts()`).
fn ts_space_micros(ts_us: i64) -> String {
    utc(ts_us).format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// `2025-02-01T09:00:00.000001Z` (ISO 8601, UTC).
fn ts_iso_micros(ts_us: i64) -> String {
    utc(ts_us).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The tool name and JSON arguments of a tool call, the tool name of a result.
fn tool_of(turn: &Turn) -> Option<&str> {
    match &turn.kind {
        TurnKind::ToolCall { name, .. } | TurnKind::ToolResult { name } => Some(name),
        _ => None,
    }
}

/// A tool call's arguments as a JSON value (a string when they are not JSON).
fn args_value(args: &str) -> serde_json::Value {
    serde_json::from_str(args).unwrap_or_else(|_| serde_json::Value::String(args.to_string()))
}

/// An object without its null members: a run's condition leaves out what the run does not have (a simulated
/// deployment has no scenario and no trust level).
fn without_nulls(mut value: serde_json::Value) -> serde_json::Value {
    if let serde_json::Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    value
}

/// Serialize a value the writer built itself (cannot fail for `Value`s and plain structs).
fn to_vec<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| Error::Internal(format!("cannot serialize a simulated record: {e}")))
}

fn to_vec_pretty<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| Error::Internal(format!("cannot serialize a simulated record: {e}")))
}

/// The call id of tool call `n` of a chain, and for a result the id of the latest call of the same tool before it.
fn call_id(chain: &Chain, n: usize, prefix: &str) -> String {
    let call = match &chain.turns[n].kind {
        TurnKind::ToolResult { name } => chain.turns[..n]
            .iter()
            .rposition(|t| matches!(&t.kind, TurnKind::ToolCall { name: called, .. } if called == name))
            .unwrap_or(n),
        _ => n,
    };
    format!("{prefix}{:016x}", hash(&chain.run_id, call as u64, "call"))
}
