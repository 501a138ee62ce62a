//! AutoGen 0.2 / AG2 runtime logs written by `autogen.runtime_logging` with the SQLite logger (`logs.db`).
//!
//! The database holds the same records as the file log, in tables: `events` (agent events with `json_state`),
//! `chat_completions` (LLM calls with the request, hence the model, and `session_id`), `function_calls` (function
//! uses, with the function name), and the registrations `agents`, `oai_wrappers`, `oai_clients`. Events and
//! function calls carry no session: they belong to their agent's session (`source_id` = `agents.agent_id`), or to
//! the database's only session. All rows are merged into one timeline by timestamp and replayed per session
//! through the same conversation model as the file log ([`crate::ingest::common::autogen::Conversation`]), so a `received_message` row
//! becomes the message, tool calls and tool results it carries, sender → receiver. Older schemas (no
//! `source_name` in `chat_completions`, no `function_calls` table) read the same. Every row of those six tables
//! counts as a record; a row that cannot be used is rejected with its table and row id (SQLite rows have no line
//! or byte offset). The bytes are copied to a private temporary file that SQLite opens read-only.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::autogen::{Conversation, LogRecord, config_model};
use crate::ingest::common::time;
use crate::ingest::record::Parsed;

pub struct Autogen02Sqlite;

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

impl Adapter for Autogen02Sqlite {
    fn format(&self) -> Format {
        Format::Autogen02Sqlite
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        // The schema (sqlite_master, page 1 onwards) holds the CREATE TABLE text with the table names.
        head.starts_with(SQLITE_MAGIC)
            && contains(head, b"chat_completions")
            && (contains(head, b"oai_wrappers") || contains(head, b"function_calls"))
    }

    fn parse(&self, input: &Input) -> Parsed {
        if !input.bytes.starts_with(SQLITE_MAGIC) {
            return Parsed::rejected(
                "not an SQLite database (the file does not start with `SQLite format 3`)",
                None,
                None,
            );
        }
        let copy = match PrivateCopy::write(input.bytes) {
            Ok(copy) => copy,
            Err(e) => {
                return Parsed::rejected(format!("cannot copy the database to a temporary file: {e}"), None, None);
            }
        };
        let connection = match Connection::open_with_flags(&copy.path, OpenFlags::SQLITE_OPEN_READ_ONLY) {
            Ok(c) => c,
            Err(e) => return Parsed::rejected(format!("SQLite cannot open the database: {e}"), None, None),
        };
        match read_database(&connection, input.default_run_id) {
            Ok(parsed) => parsed,
            Err(e) => Parsed::rejected(
                format!("cannot read the AutoGen SQLite log: {e}; is the file truncated or not an AutoGen logs.db?"),
                None,
                None,
            ),
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The database bytes in a temporary file of this process, removed when dropped.
struct PrivateCopy {
    path: PathBuf,
}

impl PrivateCopy {
    fn write(bytes: &[u8]) -> std::io::Result<PrivateCopy> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("tvp-autogen02-{}-{n}.db", std::process::id()));
        let mut bytes = bytes.to_vec();
        // A WAL-mode header (bytes 18 and 19 = 2) makes a read-only open look for a -shm file; the copy holds
        // everything there is, so mark it as a rollback-journal database.
        if bytes.len() > 19 && (bytes[18] == 2 || bytes[19] == 2) {
            bytes[18] = 1;
            bytes[19] = 1;
        }
        std::fs::write(&path, bytes)?;
        Ok(PrivateCopy { path })
    }
}

impl Drop for PrivateCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// One row as a log record, with where it sits in the timeline and whose session it is.
struct Row {
    ts: Option<i64>,
    /// Table order for rows with the same timestamp: registrations, LLM calls, function uses, events.
    rank: u8,
    row_id: i64,
    table: &'static str,
    session: Session,
    record: Result<LogRecord, String>,
}

enum Session {
    Known(String),
    /// Through the agent that wrote it (`source_id`).
    Agent(i64),
    Unknown,
}

fn read_database(db: &Connection, default_run_id: &str) -> rusqlite::Result<Parsed> {
    let tables: HashSet<String> = {
        let mut statement = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
        statement.query_map([], |row| row.get::<_, String>(0))?.collect::<rusqlite::Result<_>>()?
    };
    if !tables.contains("events") && !tables.contains("chat_completions") {
        let mut names: Vec<&str> = tables.iter().map(String::as_str).collect();
        names.sort();
        return Ok(Parsed::rejected(
            format!(
                "an SQLite database without AutoGen's `events` and `chat_completions` tables (it has: {})",
                names.join(", ")
            ),
            None,
            None,
        ));
    }
    let mut rows = Vec::new();
    let mut agent_sessions: HashMap<i64, String> = HashMap::new();

    let agents = select(db, &tables, "agents", &["id", "agent_id", "session_id", "init_args", "timestamp"])?;
    for r in agents {
        if let (Some(agent), Some(session)) = (r[1].as_deref().and_then(|a| a.parse().ok()), r[2].clone()) {
            agent_sessions.insert(agent, session);
        }
        let model = r[3].as_deref().and_then(|a| serde_json::from_str::<Value>(a).ok()).and_then(|v| config_model(&v));
        rows.push(registration(&r, "agents", model));
    }
    for table in ["oai_wrappers", "oai_clients"] {
        for r in select(db, &tables, table, &["id", "wrapper_id", "session_id", "init_args", "timestamp"])? {
            let model =
                r[3].as_deref().and_then(|a| serde_json::from_str::<Value>(a).ok()).and_then(|v| config_model(&v));
            rows.push(registration(&r, table, model));
        }
    }
    let columns = ["id", "session_id", "source_name", "request", "response", "start_time", "end_time"];
    for r in select(db, &tables, "chat_completions", &columns)? {
        let ts = r[6].as_deref().and_then(time::parse_ts).or_else(|| r[5].as_deref().and_then(time::parse_ts));
        let record = llm_call(&r);
        rows.push(Row {
            ts,
            rank: 1,
            row_id: row_id(&r),
            table: "chat_completions",
            session: r[1].clone().map_or(Session::Unknown, Session::Known),
            record,
        });
    }
    let columns = ["rowid", "source_id", "source_name", "function_name", "args", "returns", "timestamp"];
    for r in select(db, &tables, "function_calls", &columns)? {
        let record = match r[2].clone() {
            Some(source_name) => Ok(LogRecord::FunctionUse {
                source_name,
                function_name: r[3].clone(),
                args: r[4].clone().unwrap_or_default(),
                returns: r[5].clone().unwrap_or_default(),
                ts: r[6].as_deref().and_then(time::parse_ts),
            }),
            None => Err("the function call names no agent (`source_name` is null)".to_string()),
        };
        rows.push(Row {
            ts: r[6].as_deref().and_then(time::parse_ts),
            rank: 2,
            row_id: row_id(&r),
            table: "function_calls",
            session: agent_session(&r[1]),
            record,
        });
    }
    let columns = ["id", "source_id", "source_name", "event_name", "json_state", "timestamp"];
    for r in select(db, &tables, "events", &columns)? {
        let ts = r[5].as_deref().and_then(time::parse_ts);
        let record = match (r[3].clone(), r[4].clone()) {
            (Some(event_name), Some(json_state)) => {
                Ok(LogRecord::Event { source_name: r[2].clone().unwrap_or_default(), event_name, json_state, ts })
            }
            (None, _) => Err("the event has no `event_name`".to_string()),
            (Some(name), None) => Err(format!("the `{name}` event has no `json_state`")),
        };
        rows.push(Row { ts, rank: 3, row_id: row_id(&r), table: "events", session: agent_session(&r[1]), record });
    }

    // One timeline, in the order things happened.
    rows.sort_by_key(|r| (r.ts.unwrap_or(i64::MAX), r.rank, r.row_id));
    let mut known: Vec<String> = Vec::new();
    for r in &rows {
        if let Session::Known(s) = &r.session
            && !known.contains(s)
        {
            known.push(s.clone());
        }
    }
    for session in agent_sessions.values() {
        if !known.contains(session) {
            known.push(session.clone());
        }
    }
    let only_session = if known.len() == 1 { known.first().cloned() } else { None };

    let mut parsed = Parsed::default();
    let mut order: Vec<String> = Vec::new();
    let mut conversations: HashMap<String, Conversation> = HashMap::new();
    for r in rows {
        parsed.read += 1;
        let session = match r.session {
            Session::Known(s) => s,
            Session::Agent(agent) => agent_sessions
                .get(&agent)
                .cloned()
                .or_else(|| only_session.clone())
                .unwrap_or_else(|| default_run_id.to_string()),
            Session::Unknown => only_session.clone().unwrap_or_else(|| default_run_id.to_string()),
        };
        let conversation = conversations.entry(session.clone()).or_insert_with(|| {
            order.push(session.clone());
            Conversation::new(&session)
        });
        match r.record.and_then(|record| conversation.add(record, 0, &mut parsed)) {
            Ok(()) => parsed.ingested += 1,
            Err(reason) => parsed.reject(None, None, format!("table `{}`, row {}: {reason}", r.table, r.row_id)),
        }
    }
    for session in order {
        if let Some(conversation) = conversations.remove(&session) {
            parsed.runs.push(conversation.finish());
        }
    }
    Ok(parsed)
}

/// The rows of `table` with the wanted columns as text (a column the table lacks reads as null); no rows when
/// the table is missing.
fn select(
    db: &Connection,
    tables: &HashSet<String>,
    table: &str,
    wanted: &[&str],
) -> rusqlite::Result<Vec<Vec<Option<String>>>> {
    if !tables.contains(table) {
        return Ok(Vec::new());
    }
    let present: HashSet<String> = {
        let mut statement = db.prepare(&format!("PRAGMA table_info(\"{table}\")"))?;
        statement.query_map([], |row| row.get::<_, String>(1))?.collect::<rusqlite::Result<_>>()?
    };
    let list: Vec<String> = wanted
        .iter()
        .map(|c| if *c == "rowid" || present.contains(*c) { format!("\"{c}\"") } else { "NULL".to_string() })
        .collect();
    let sql = format!("SELECT {} FROM \"{table}\" ORDER BY rowid", list.join(", "));
    let mut statement = db.prepare(&sql)?;
    let rows = statement.query_map([], |row| {
        (0..wanted.len()).map(|i| row.get_ref(i).map(value_text)).collect::<rusqlite::Result<Vec<_>>>()
    })?;
    rows.collect()
}

fn value_text(value: ValueRef) -> Option<String> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

fn row_id(row: &[Option<String>]) -> i64 {
    row.first().and_then(|id| id.as_deref()).and_then(|id| id.parse().ok()).unwrap_or(0)
}

fn agent_session(source_id: &Option<String>) -> Session {
    source_id.as_deref().and_then(|id| id.parse().ok()).map_or(Session::Unknown, Session::Agent)
}

/// A registration row: [id, _, session_id, init_args, timestamp].
fn registration(r: &[Option<String>], table: &'static str, model: Option<String>) -> Row {
    let ts = r[4].as_deref().and_then(time::parse_ts);
    Row {
        ts,
        rank: 0,
        row_id: row_id(r),
        table,
        session: r[2].clone().map_or(Session::Unknown, Session::Known),
        record: Ok(LogRecord::Registration { model, ts }),
    }
}

/// A chat_completions row: [id, session_id, source_name, request, response, start_time, end_time].
fn llm_call(r: &[Option<String>]) -> Result<LogRecord, String> {
    let request: Value = match r[3].as_deref() {
        Some(text) => serde_json::from_str(text).map_err(|e| crate::ingest::common::json_error("`request`", &e))?,
        None => Value::Null,
    };
    let response: Value = r[4].as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null);
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .or_else(|| response.get("model").and_then(Value::as_str))
        .map(str::to_string);
    let ts = r[6].as_deref().and_then(time::parse_ts).or_else(|| r[5].as_deref().and_then(time::parse_ts));
    Ok(LogRecord::LlmCall { source_name: r[2].clone(), model, ts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapter::assert_accounted;
    use crate::ingest::adapter::parse_file;
    use crate::ingest::record::Message;
    use crate::schema::kind;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/autogen02_sqlite");

    fn parse_bytes(bytes: &[u8]) -> Parsed {
        crate::ingest::adapter::parse_bytes(&Autogen02Sqlite, Path::new("logs.db"), bytes, "logs-default")
    }

    fn parse_fixture(name: &str) -> Parsed {
        parse_file(&Autogen02Sqlite, &Path::new(FIXTURES).join(name))
    }

    const S1: &str = "7f3c9a10-0000-4000-8000-000000000001";
    const S2: &str = "7f3c9a10-0000-4000-8000-000000000002";

    #[test]
    fn two_sessions_replay_through_their_agents() {
        let parsed = parse_fixture("logs.db");
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        // 4 agents, 2 wrappers, 1 client, 1 chat completion, 1 function call, 6 events.
        assert_eq!(parsed.read, 15);
        let runs: Vec<&str> = parsed.runs.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(runs, [S1, S2]);
        assert_eq!(parsed.runs[0].meta.backend.as_deref(), Some("deepseek-chat"));
        assert_eq!(parsed.runs[1].meta.backend.as_deref(), Some("llama-3-8b"));
        assert_eq!(parsed.runs[0].meta.started_at, time::parse_ts("2025-02-01 09:00:00.000001"));
        assert_eq!(parsed.runs[1].meta.started_at, time::parse_ts("2025-02-02 09:59:59.000000"));

        let first: Vec<&Message> = parsed.messages.iter().filter(|m| m.run_id == S1).collect();
        let shape: Vec<(&str, &str, &str)> =
            first.iter().map(|m| (m.sender.as_str(), m.recipients[0].as_str(), m.kind)).collect();
        assert_eq!(
            shape,
            [
                ("Seeker", "Custodian", kind::MESSAGE),
                ("Custodian", "Seeker", kind::MESSAGE),
                ("Custodian", "Seeker", kind::TOOL_CALL),
                ("Seeker", "Custodian", kind::TOOL_RESULT),
            ]
        );
        assert!(first[0].content.contains("8848"));
        assert_eq!(first[1].model.as_deref(), Some("deepseek-chat"));
        assert_eq!(first[2].tool_name.as_deref(), Some("change_password"));
        assert_eq!(first[2].tool_args.as_deref(), Some("{\"new_password\": \"8848\"}"));
        assert_eq!(first[3].tool_name.as_deref(), Some("change_password"));
        assert_eq!(first[3].content, "changed");
        assert_eq!(first[0].ts, time::parse_ts("2025-02-01 09:00:01.000000"));

        let second: Vec<&Message> = parsed.messages.iter().filter(|m| m.run_id == S2).collect();
        assert_eq!(second.len(), 2);
        assert_eq!((second[1].sender.as_str(), second[1].recipients[0].as_str()), ("Guardian", "Employee"));
    }

    #[test]
    fn legacy_schema_without_function_calls_or_source_name() {
        let parsed = parse_fixture("legacy.db");
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!(parsed.runs.len(), 1);
        assert_eq!(parsed.runs[0].run_id, "7f3c9a10-0000-4000-8000-000000000003");
        // The LLM call names no agent: the model is the run's backend but no message's.
        assert_eq!(parsed.runs[0].meta.backend.as_deref(), Some("gpt-4o-mini"));
        assert_eq!(parsed.messages.len(), 2);
        assert_eq!(parsed.messages[1].content, "4");
        assert_eq!(parsed.messages[1].model, None);
    }

    #[test]
    fn bad_rows_are_rejected_by_table_and_row() {
        let parsed = parse_fixture("bad_rows.db");
        let reasons: Vec<&str> = parsed.rejects.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].starts_with("table `events`, row 2: received_message: `json_state`"), "{}", reasons[0]);
        assert!(reasons[1].starts_with("table `events`, row 3:") && reasons[1].contains("no string `sender`"));
        assert!(reasons[2].starts_with("table `chat_completions`, row 1: `request`"), "{}", reasons[2]);
        assert_eq!(parsed.messages.len(), 1);
        assert_eq!(parsed.messages[0].content, "hello");
    }

    #[test]
    fn truncated_or_foreign_databases_are_refused_whole() {
        let bytes = std::fs::read(format!("{FIXTURES}/logs.db")).unwrap();
        let parsed = parse_bytes(&bytes[..3000]);
        assert_accounted(&parsed, "parsed");
        assert_eq!(parsed.rejects.len(), 1);
        assert!(parsed.rejects[0].reason.contains("truncated"), "{}", parsed.rejects[0].reason);

        let parsed = parse_bytes(b"{\"not\": \"sqlite\"}");
        assert!(parsed.rejects[0].reason.contains("not an SQLite database"));

        // A real SQLite database of something else.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let db = Connection::open(&path).unwrap();
        db.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)").unwrap();
        drop(db);
        let other = std::fs::read(&path).unwrap();
        let parsed = parse_bytes(&other);
        assert!(parsed.rejects[0].reason.contains("without AutoGen's `events`"), "{}", parsed.rejects[0].reason);
        assert!(!Autogen02Sqlite.sniff(&path, &other));
    }

    #[test]
    fn sniffs_autogen_databases_only() {
        let bytes = std::fs::read(format!("{FIXTURES}/logs.db")).unwrap();
        assert!(Autogen02Sqlite.sniff(Path::new("logs.db"), &bytes));
        let legacy = std::fs::read(format!("{FIXTURES}/legacy.db")).unwrap();
        assert!(Autogen02Sqlite.sniff(Path::new("legacy.db"), &legacy));
        assert!(!Autogen02Sqlite.sniff(Path::new("x.json"), b"{\"chat_completions\": [], \"oai_wrappers\": []}"));
    }
}
