//! Writes encoded chains under an output folder, in the order given: files of their own, records appended to
//! shared line-oriented files (rotated at [`super::ROTATE_BYTES`]), rows inserted into the shared AutoGen SQLite log
//! in one transaction. Every writer is buffered; [`Sink::finish`] flushes and closes them and lists the files.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::{Encoded, Part, ROTATE_BYTES, SqlRow};
use crate::error::{Error, Result};

/// AutoGen 0.2's `SqliteLogger.start()` schema (the tables the adapter reads, as `sqlite_logger.py` creates them).
const SQLITE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS chat_completions(
    id INTEGER PRIMARY KEY, invocation_id TEXT, client_id INTEGER, wrapper_id INTEGER, session_id TEXT,
    source_name TEXT, request TEXT, response TEXT, is_cached INEGER, cost REAL,
    start_time DATETIME DEFAULT CURRENT_TIMESTAMP, end_time DATETIME DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS agents (
    id INTEGER PRIMARY KEY, agent_id INTEGER, wrapper_id INTEGER, session_id TEXT, name TEXT, class TEXT,
    init_args TEXT, timestamp DATETIME DEFAULT CURRENT_TIMESTAMP, UNIQUE(agent_id, session_id));
CREATE TABLE IF NOT EXISTS oai_wrappers (
    id INTEGER PRIMARY KEY, wrapper_id INTEGER, session_id TEXT, init_args TEXT,
    timestamp DATETIME DEFAULT CURRENT_TIMESTAMP, UNIQUE(wrapper_id, session_id));
CREATE TABLE IF NOT EXISTS oai_clients (
    id INTEGER PRIMARY KEY, client_id INTEGER, wrapper_id INTEGER, session_id TEXT, class TEXT, init_args TEXT,
    timestamp DATETIME DEFAULT CURRENT_TIMESTAMP, UNIQUE(client_id, session_id));
CREATE TABLE IF NOT EXISTS version (id INTEGER PRIMARY KEY CHECK (id = 1), version_number INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    event_name TEXT, source_id INTEGER, source_name TEXT, agent_module TEXT DEFAULT NULL,
    agent_class_name TEXT DEFAULT NULL, id INTEGER PRIMARY KEY, json_state TEXT,
    timestamp DATETIME DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS function_calls (
    source_id INTEGER, source_name TEXT, function_name TEXT, args TEXT DEFAULT NULL, returns TEXT DEFAULT NULL,
    timestamp DATETIME DEFAULT CURRENT_TIMESTAMP);
INSERT OR IGNORE INTO version (id, version_number) VALUES (1, 1);
";

/// A shared line-oriented file being appended to.
struct Shared {
    writer: BufWriter<File>,
    path: PathBuf,
    part: u32,
    bytes: u64,
}

pub struct Sink {
    out_dir: PathBuf,
    /// `<dir>/<prefix>.<ext>` → its current part file (a BTreeMap: closed in a fixed order).
    shared: BTreeMap<String, Shared>,
    sqlite: Option<(Connection, PathBuf)>,
    /// The SQLite part being filled (`logs-NNN.db`) and the bytes put into it.
    sqlite_part: u32,
    sqlite_bytes: u64,
    files: Vec<PathBuf>,
    /// Where shared files rotate ([`ROTATE_BYTES`]; tests make it small).
    pub(super) rotate_at: u64,
}

impl Sink {
    pub fn new(out_dir: &Path) -> Result<Sink> {
        std::fs::create_dir_all(out_dir).map_err(|source| Error::Write { path: out_dir.to_path_buf(), source })?;
        Ok(Sink {
            out_dir: out_dir.to_path_buf(),
            shared: BTreeMap::new(),
            sqlite: None,
            sqlite_part: 0,
            sqlite_bytes: 0,
            files: Vec::new(),
            rotate_at: ROTATE_BYTES,
        })
    }

    /// Write one encoded chain; the bytes it added.
    pub fn put(&mut self, encoded: Encoded) -> Result<u64> {
        let added = encoded.len();
        for part in encoded.parts {
            match part {
                Part::File { path, bytes } => self.file(&path, &bytes)?,
                Part::Append { dir, prefix, ext, bytes } => self.append(dir, prefix, ext, &bytes)?,
                Part::Sqlite(rows) => {
                    // A database is read whole by the adapter: rotate it like the shared text files.
                    if self.sqlite.is_some() && self.sqlite_bytes > 0 && self.sqlite_bytes + added > self.rotate_at {
                        self.close_sqlite()?;
                        self.sqlite_part += 1;
                        self.sqlite_bytes = 0;
                    }
                    self.sqlite_bytes += added;
                    self.rows(rows)?
                }
            }
        }
        Ok(added)
    }

    /// Flush and close everything; the files written, sorted.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        for (_, mut shared) in std::mem::take(&mut self.shared) {
            shared.writer.flush().map_err(|source| Error::Write { path: shared.path.clone(), source })?;
        }
        self.close_sqlite()?;
        let mut files = self.files;
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// Commit and close the SQLite part being filled, if any.
    fn close_sqlite(&mut self) -> Result<()> {
        if let Some((connection, path)) = self.sqlite.take() {
            connection
                .execute_batch("COMMIT")
                .map_err(|e| Error::Write { path: path.clone(), source: std::io::Error::other(e) })?;
            connection.close().map_err(|(_, e)| Error::Write { path, source: std::io::Error::other(e) })?;
        }
        Ok(())
    }

    fn create(&mut self, relative: &str) -> Result<(File, PathBuf)> {
        let path = self.out_dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Write { path: parent.to_path_buf(), source })?;
        }
        let file = File::create(&path).map_err(|source| Error::Write { path: path.clone(), source })?;
        self.files.push(path.clone());
        Ok((file, path))
    }

    fn file(&mut self, relative: &str, bytes: &[u8]) -> Result<()> {
        let (file, path) = self.create(relative)?;
        let mut writer = BufWriter::new(file);
        writer.write_all(bytes).and_then(|_| writer.flush()).map_err(|source| Error::Write { path, source })
    }

    fn append(&mut self, dir: &str, prefix: &str, ext: &str, bytes: &[u8]) -> Result<()> {
        let key = format!("{dir}/{prefix}.{ext}");
        let rotate = self.shared.get(&key).map(|s| s.bytes > 0 && s.bytes + bytes.len() as u64 > self.rotate_at);
        let part = match rotate {
            None => Some(0),
            Some(true) => {
                let old = self.shared.remove(&key).map(|mut s| {
                    let flushed = s.writer.flush().map_err(|source| Error::Write { path: s.path.clone(), source });
                    (s.part, flushed)
                });
                match old {
                    Some((part, flushed)) => {
                        flushed?;
                        Some(part + 1)
                    }
                    None => Some(0),
                }
            }
            Some(false) => None,
        };
        if let Some(part) = part {
            let (file, path) = self.create(&format!("{dir}/{prefix}-{part:03}.{ext}"))?;
            self.shared
                .insert(key.clone(), Shared { writer: BufWriter::with_capacity(1 << 20, file), path, part, bytes: 0 });
        }
        let shared = self.shared.get_mut(&key).ok_or_else(|| Error::Internal(format!("no open file for {key}")))?;
        shared.writer.write_all(bytes).map_err(|source| Error::Write { path: shared.path.clone(), source })?;
        shared.bytes += bytes.len() as u64;
        Ok(())
    }

    fn rows(&mut self, rows: Vec<SqlRow>) -> Result<()> {
        if self.sqlite.is_none() {
            let relative = format!("autogen02-sqlite/logs-{:03}.db", self.sqlite_part);
            let path = self.out_dir.join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|source| Error::Write { path: parent.to_path_buf(), source })?;
            }
            let _ = std::fs::remove_file(&path);
            let sql_error = |path: &Path, e: rusqlite::Error| Error::Write {
                path: path.to_path_buf(),
                source: std::io::Error::other(e),
            };
            let connection = Connection::open(&path).map_err(|e| sql_error(&path, e))?;
            connection
                .execute_batch(&format!("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; {SQLITE_SCHEMA} BEGIN"))
                .map_err(|e| sql_error(&path, e))?;
            self.files.push(path.clone());
            self.sqlite = Some((connection, path));
        }
        let Some((connection, path)) = &self.sqlite else { return Ok(()) };
        let sql_error = |e: rusqlite::Error| Error::Write { path: path.clone(), source: std::io::Error::other(e) };
        for row in rows {
            match row {
                SqlRow::Agent { agent_id, session_id, name, class, init_args, timestamp } => {
                    let mut statement = connection
                        .prepare_cached(
                            "INSERT INTO agents (agent_id, wrapper_id, session_id, name, class, init_args, timestamp) \
                             VALUES (?1, '', ?2, ?3, ?4, ?5, ?6)",
                        )
                        .map_err(sql_error)?;
                    statement
                        .execute(rusqlite::params![agent_id, session_id, name, class, init_args, timestamp])
                        .map_err(sql_error)?;
                }
                SqlRow::Event { source_id, source_name, event_name, json_state, timestamp } => {
                    let mut statement = connection
                        .prepare_cached(
                            "INSERT INTO events (source_id, source_name, event_name, agent_module, \
                             agent_class_name, json_state, timestamp) \
                             VALUES (?1, ?2, ?3, 'autogen.agentchat.conversable_agent', 'ConversableAgent', ?4, ?5)",
                        )
                        .map_err(sql_error)?;
                    statement
                        .execute(rusqlite::params![source_id, source_name, event_name, json_state, timestamp])
                        .map_err(sql_error)?;
                }
            }
        }
        Ok(())
    }
}
