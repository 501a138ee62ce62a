//! Ingest: transcripts of any supported framework → canonical Arrow batches → the Parquet store.
//!
//! Files are found recursively, decompressed (gzip, zstd) by their magic bytes, hashed (a file already in the store
//! is skipped, so re-ingesting adds nothing), detected by content, and parsed in parallel with rayon. Large
//! line-oriented files are streamed in newline-aligned chunks, parsed in parallel and written in order, so memory
//! stays bounded whatever the corpus size. One writer thread turns the parsed records into Parquet part files.
//! Every record read is ingested or rejected (`sources` keeps the per-file ledger, `rejects` the reasons).

pub mod adapter;
pub mod agentleak;
pub mod agentscope;
pub mod autogen02_chat;
pub mod autogen02_log;
pub mod autogen02_sqlite;
pub mod autogen04;
pub mod camel_model_log;
pub mod camel_roleplay;
pub mod camel_workforce;
pub mod crewai;
pub mod generic_jsonl;
pub mod inspect;
pub mod json_spans;
pub mod langfuse;
pub mod langgraph;
pub mod langsmith;
pub mod llm_calls;
pub mod magentic_one;
pub mod manifest;
pub mod metagpt;
pub mod metagpt_log;
pub mod metagpt_team;
pub mod openai_agents;
pub mod openai_chat;
pub mod otel_genai;
pub mod record;
pub mod taubench;
pub mod time;

mod writer;

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::Store;
use adapter::{Adapter, Input};
use manifest::Manifest;
use record::Parsed;
use writer::{FileSource, Writer};

/// File name endings ingest picks up when it walks a folder (a file named on the command line is always read).
pub const EXTENSIONS: [&str; 9] = ["json", "jsonl", "ndjson", "log", "txt", "db", "sqlite", "eval", "chat"];
/// How many bytes of a file detection looks at.
const HEAD_BYTES: usize = 64 * 1024;
/// Line-oriented files are cut into chunks of about this size for parallel parsing.
pub const CHUNK_BYTES: usize = 16 * 1024 * 1024;
/// A single line longer than this is rejected without being held in memory.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;
/// A one-document file (JSON, SQLite, zip) larger than this is rejected: it would have to be held in memory whole.
pub const MAX_DOCUMENT_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// What the user asked for, validated before any work starts.
pub struct Options {
    /// Read every file as this format instead of detecting it.
    pub format: Option<&'static dyn Adapter>,
    pub manifest: Option<Manifest>,
    /// Stop at the first rejected record.
    pub strict: bool,
}

/// What happened to one input file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileReport {
    pub file: String,
    pub format: Option<String>,
    pub bytes: u64,
    pub read: u64,
    pub ingested: u64,
    pub rejected: u64,
    pub runs: u64,
    pub messages: u64,
    /// The same content is already in the store (or earlier in this batch): nothing was added.
    pub duplicate: bool,
}

/// The outcome of an ingest, per file and in total.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    pub files: Vec<FileReport>,
    pub read: u64,
    pub ingested: u64,
    pub rejected: u64,
    pub runs: u64,
    pub messages: u64,
    pub bytes: u64,
    pub duplicates: u64,
    /// `--strict` stopped the batch at the first reject.
    pub stopped_early: bool,
}

impl Summary {
    fn add(&mut self, report: FileReport) {
        self.read += report.read;
        self.ingested += report.ingested;
        self.rejected += report.rejected;
        self.runs += report.runs;
        self.messages += report.messages;
        self.bytes += report.bytes;
        self.duplicates += u64::from(report.duplicate);
        self.files.push(report);
    }
}

/// Told how far an ingest has come, for a progress display.
pub trait Progress: Sync {
    /// The files found and their total size on disk.
    fn begin(&self, files: usize, bytes: u64);
    /// This many more bytes (on disk, compressed or not) have been read.
    fn advance(&self, bytes: u64);
    /// One more file is done.
    fn file_done(&self);
}

/// No progress display.
pub struct Quiet;

impl Progress for Quiet {
    fn begin(&self, _: usize, _: u64) {}
    fn advance(&self, _: u64) {}
    fn file_done(&self) {}
}

/// Ingest `paths` (files and folders) into `store`. Per-file problems are rejects, not errors; an error means the
/// store itself failed.
pub fn ingest(paths: &[PathBuf], store: &Store, options: &Options, progress: &dyn Progress) -> Result<Summary> {
    let (files, missing) = discover(paths);
    let total: u64 = files.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum();
    progress.begin(files.len(), total);
    let known = store.distinct_strings(crate::schema::Table::Sources.name(), crate::schema::col::SOURCE_HASH)?;
    let seen = Mutex::new(known);
    let stop = AtomicBool::new(false);
    let (sender, receiver) = sync_channel::<writer::Part>(4);
    let manifest = options.manifest.as_ref();

    let (reports, written) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| Writer::new(store, manifest).run(receiver));
        for path in &missing {
            let source =
                FileSource { display: path.display().to_string(), format: None, hash: String::new(), framework: None };
            let reason = "the path does not exist or cannot be read; check the spelling and permissions";
            let _ = sender.send(writer::Part { source, parsed: Parsed::rejected(reason, None, None), last: true });
        }
        let reports: Vec<FileReport> = files
            .par_iter()
            .map_with(sender, |sender, path| {
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
                let report = ingest_file(path, options, &seen, sender, progress);
                if options.strict && report.rejected > 0 {
                    stop.store(true, Ordering::Relaxed);
                }
                Some(report)
            })
            .flatten()
            .collect();
        (reports, writer.join())
    });
    let written = written.map_err(|_| Error::Internal("the store writer thread panicked".into()))??;

    let mut summary = Summary::default();
    for path in missing {
        // Not found or unreadable: one rejected record (already sent to the writer).
        let report = FileReport {
            file: path.display().to_string(),
            format: None,
            bytes: 0,
            read: 1,
            ingested: 0,
            rejected: 1,
            runs: 0,
            messages: 0,
            duplicate: false,
        };
        summary.add(report);
    }
    for mut report in reports {
        if let Some(counts) = written.counts.get(&report.file) {
            report.runs = counts.runs;
            report.messages = counts.messages;
        }
        summary.add(report);
    }
    summary.files.sort_by(|a, b| a.file.cmp(&b.file));
    summary.stopped_early = stop.load(Ordering::Relaxed);
    Ok(summary)
}

/// Expand folders recursively (sorted, by known endings); paths that do not exist are returned apart.
fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut files = Vec::new();
    let mut missing = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            missing.push(path.clone());
        }
    }
    (files, missing)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, out);
        } else if has_known_ending(&path) {
            out.push(path);
        }
    }
}

fn has_known_ending(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    let name = name.strip_suffix(".gz").or_else(|| name.strip_suffix(".zst")).unwrap_or(&name);
    EXTENSIONS.iter().any(|ext| name.ends_with(&format!(".{ext}")))
}

/// Ingest one file and keep the progress display up to date while it is read.
fn ingest_file(
    path: &Path,
    options: &Options,
    seen: &Mutex<std::collections::HashSet<String>>,
    sender: &mut std::sync::mpsc::SyncSender<writer::Part>,
    progress: &dyn Progress,
) -> FileReport {
    let meter = Meter::default();
    let report = read_file(path, options, seen, sender, &meter, progress);
    // Whatever was not read (a duplicate, a reject) is done all the same.
    progress.advance(report.bytes.saturating_sub(meter.reported.load(Ordering::Relaxed)));
    progress.file_done();
    report
}

/// Raw bytes read from a file so far, and how many of them the progress display was told about.
#[derive(Default)]
struct Meter {
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    reported: std::sync::atomic::AtomicU64,
}

impl Meter {
    fn tick(&self, progress: &dyn Progress) {
        let read = self.read.load(Ordering::Relaxed);
        let before = self.reported.swap(read, Ordering::Relaxed);
        progress.advance(read.saturating_sub(before));
    }
}

/// Counts the raw bytes read through it (beneath any decompressor).
struct Counting<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Hash, detect, parse and hand one file to the writer; returns its accounting.
fn read_file(
    path: &Path,
    options: &Options,
    seen: &Mutex<std::collections::HashSet<String>>,
    sender: &mut std::sync::mpsc::SyncSender<writer::Part>,
    meter: &Meter,
    progress: &dyn Progress,
) -> FileReport {
    let display = path.display().to_string();
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut report = FileReport {
        file: display.clone(),
        format: None,
        bytes,
        read: 0,
        ingested: 0,
        rejected: 0,
        runs: 0,
        messages: 0,
        duplicate: false,
    };
    let whole_file_reject = |report: &mut FileReport, format: Option<&str>, reason: String, hash: String| {
        report.read = 1;
        report.rejected = 1;
        let parsed = Parsed::rejected(reason, None, None);
        let source = FileSource { display: display.clone(), format: format.map(str::to_string), hash, framework: None };
        let _ = sender.send(writer::Part { source, parsed, last: true });
    };

    let hash = match hash_file(path) {
        Ok(hash) => hash,
        Err(e) => {
            whole_file_reject(&mut report, None, format!("cannot read the file: {e}"), String::new());
            return report;
        }
    };
    if !seen.lock().expect("hash set lock").insert(hash.clone()) {
        report.duplicate = true;
        return report;
    }

    let mut reader = match open_decoded(path, meter.read.clone()) {
        Ok(reader) => reader,
        Err(e) => {
            whole_file_reject(&mut report, None, e, hash);
            return report;
        }
    };
    let mut head = Vec::with_capacity(HEAD_BYTES);
    if let Err(e) = reader.by_ref().take(HEAD_BYTES as u64).read_to_end(&mut head) {
        whole_file_reject(&mut report, None, format!("cannot decompress or read the file: {e}"), hash);
        return report;
    }
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        whole_file_reject(&mut report, None, "the file is empty".into(), hash);
        return report;
    }
    let adapter = match options.format.or_else(|| adapter::detect(path, &head)) {
        Some(adapter) => adapter,
        None => {
            let reason = if looks_binary(&head) {
                "unknown format: the file is binary and no adapter recognizes it; if it is a transcript, name its \
                 format with `--format` (see `tvp formats`)"
            } else {
                "unknown format: no adapter recognizes the content; name the format with `--format` (see `tvp formats`)"
            };
            whole_file_reject(&mut report, None, reason.into(), hash);
            return report;
        }
    };
    report.format = Some(adapter.name().to_string());
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let default_run_id = format!("{}-{}", stem.trim_end_matches(".json").trim_end_matches(".jsonl"), &hash[..8]);
    let source = FileSource {
        display: display.clone(),
        format: Some(adapter.name().to_string()),
        hash,
        framework: Some(adapter.framework().to_string()),
    };
    let full = std::io::Cursor::new(head).chain(reader);

    if adapter.line_oriented() {
        let stream = Stream { path, display: &display, default_run_id: &default_run_id, adapter, source: &source };
        stream_chunks(full, &stream, &mut report, sender, options.strict, &|| meter.tick(progress));
    } else if bytes > MAX_DOCUMENT_BYTES {
        let reason = format!(
            "the file is {bytes} bytes, more than a one-document {} file may be ({MAX_DOCUMENT_BYTES} bytes)",
            adapter.name()
        );
        whole_file_reject(&mut report, Some(adapter.name()), reason, source.hash.clone());
    } else {
        let mut data = Vec::new();
        let mut full = full;
        let parsed = match full.read_to_end(&mut data) {
            Ok(_) => {
                let input = Input {
                    path,
                    display: &display,
                    bytes: &data,
                    first_line: 1,
                    base_offset: 0,
                    default_run_id: &default_run_id,
                };
                let mut parsed = adapter.parse(&input);
                mark_final_messages(&mut parsed);
                parsed
            }
            Err(e) => Parsed::rejected(format!("cannot decompress or read the file: {e}"), None, None),
        };
        report.read = parsed.read;
        report.ingested = parsed.ingested;
        report.rejected = parsed.rejects.len() as u64;
        let _ = sender.send(writer::Part { source, parsed, last: true });
    }
    report
}

/// The file a stream of chunks comes from.
struct Stream<'a> {
    path: &'a Path,
    display: &'a str,
    default_run_id: &'a str,
    adapter: &'a dyn Adapter,
    source: &'a FileSource,
}

/// Read a line-oriented file in newline-aligned chunks, parse a window of chunks in parallel, send them in order;
/// `tick` is called after each chunk read.
fn stream_chunks(
    mut reader: impl Read,
    stream: &Stream,
    report: &mut FileReport,
    sender: &mut std::sync::mpsc::SyncSender<writer::Part>,
    strict: bool,
    tick: &dyn Fn(),
) {
    let Stream { path, display, default_run_id, adapter, source } = *stream;
    let window = rayon::current_num_threads().max(1) * 2;
    let mut chunker = Chunker::new();
    loop {
        let mut batch = Vec::with_capacity(window);
        while batch.len() < window {
            match chunker.next_chunk(&mut reader) {
                Ok(Some(chunk)) => {
                    batch.push(chunk);
                    tick();
                }
                Ok(None) => break,
                Err(e) => {
                    batch.push(Chunk::failed(chunker.line, chunker.offset, format!("cannot read or decompress: {e}")));
                    chunker.done = true;
                    break;
                }
            }
        }
        if batch.is_empty() {
            break;
        }
        let parts: Vec<Parsed> = batch
            .par_iter()
            .map(|chunk| match &chunk.skipped {
                Some(reason) => {
                    Parsed::rejected(reason.clone(), Some(chunk.first_line as i64), Some(chunk.offset as i64))
                }
                None => adapter.parse(&Input {
                    path,
                    display,
                    bytes: &chunk.bytes,
                    first_line: chunk.first_line,
                    base_offset: chunk.offset,
                    default_run_id,
                }),
            })
            .collect();
        let finished = chunker.done;
        let count = parts.len();
        for (n, parsed) in parts.into_iter().enumerate() {
            report.read += parsed.read;
            report.ingested += parsed.ingested;
            report.rejected += parsed.rejects.len() as u64;
            let last = finished && n + 1 == count;
            let _ = sender.send(writer::Part { source: source.clone(), parsed, last });
        }
        if finished || (strict && report.rejected > 0) {
            if !finished {
                // Tell the writer the file ends here.
                let _ = sender.send(writer::Part { source: source.clone(), parsed: Parsed::default(), last: true });
            }
            break;
        }
    }
}

/// A newline-aligned piece of a line-oriented file, or a line too long to hold.
struct Chunk {
    bytes: Vec<u8>,
    first_line: u64,
    offset: u64,
    skipped: Option<String>,
}

impl Chunk {
    fn failed(line: u64, offset: u64, reason: String) -> Chunk {
        Chunk { bytes: Vec::new(), first_line: line, offset, skipped: Some(reason) }
    }
}

/// Cuts a stream into chunks that end at a newline, with the line number and offset each starts at.
struct Chunker {
    carry: Vec<u8>,
    line: u64,
    offset: u64,
    done: bool,
}

impl Chunker {
    fn new() -> Chunker {
        Chunker { carry: Vec::new(), line: 1, offset: 0, done: false }
    }

    fn next_chunk(&mut self, reader: &mut impl Read) -> std::io::Result<Option<Chunk>> {
        if self.done {
            return Ok(None);
        }
        let mut buf = std::mem::take(&mut self.carry);
        let start = buf.len();
        // A carried-over long line grows the buffer by a chunk at a time until its end is found.
        buf.resize(if start < CHUNK_BYTES { CHUNK_BYTES } else { start + CHUNK_BYTES }, 0);
        let mut filled = start;
        // Fill the buffer; stop at end of input.
        while filled < buf.len() {
            let n = reader.read(&mut buf[filled..])?;
            if n == 0 {
                self.done = true;
                break;
            }
            filled += n;
        }
        buf.truncate(filled);
        if buf.is_empty() {
            return Ok(None);
        }
        let cut = if self.done { Some(buf.len()) } else { memchr_last(&buf).map(|i| i + 1) };
        match cut {
            Some(cut) => {
                self.carry = buf.split_off(cut);
                let chunk = Chunk { first_line: self.line, offset: self.offset, bytes: buf, skipped: None };
                self.line += chunk.bytes.iter().filter(|&&b| b == b'\n').count() as u64;
                self.offset += chunk.bytes.len() as u64;
                Ok(Some(chunk))
            }
            None if buf.len() < MAX_LINE_BYTES => {
                // One line longer than a chunk: keep reading until its end.
                self.carry = buf;
                self.next_chunk(reader)
            }
            None => {
                // A line too long to hold: skip to its end without keeping it.
                let (line, offset) = (self.line, self.offset);
                let mut skipped = buf.len() as u64;
                let mut byte = [0u8; 64 * 1024];
                loop {
                    let n = reader.read(&mut byte)?;
                    if n == 0 {
                        self.done = true;
                        break;
                    }
                    if let Some(i) = byte[..n].iter().position(|&b| b == b'\n') {
                        skipped += i as u64 + 1;
                        self.carry = byte[i + 1..n].to_vec();
                        break;
                    }
                    skipped += n as u64;
                }
                self.line += 1;
                self.offset += skipped;
                let reason = format!(
                    "line {line} is {skipped} bytes long, over the {MAX_LINE_BYTES}-byte limit for one record; skipped"
                );
                Ok(Some(Chunk::failed(line, offset, reason)))
            }
        }
    }
}

fn memchr_last(buf: &[u8]) -> Option<usize> {
    buf.iter().rposition(|&b| b == b'\n')
}

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

/// Where a whole file was parsed at once, mark each run's last message as final unless the log marked one.
fn mark_final_messages(parsed: &mut Parsed) {
    use std::collections::HashMap;
    let mut last: HashMap<&str, usize> = HashMap::new();
    let mut marked: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (i, m) in parsed.messages.iter().enumerate() {
        if m.is_final {
            marked.insert(m.run_id.as_str());
        }
        if m.kind == crate::schema::kind::MESSAGE || m.kind == crate::schema::kind::HANDOFF {
            last.insert(m.run_id.as_str(), i);
        }
    }
    let to_mark: Vec<usize> = last.iter().filter(|(run, _)| !marked.contains(*run)).map(|(_, &i)| i).collect();
    for i in to_mark {
        parsed.messages[i].is_final = true;
    }
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:032x}", hasher.digest128()))
}

/// Open a file, decompressing gzip or zstd when its magic bytes say so.
fn open_decoded(
    path: &Path,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> std::result::Result<Box<dyn Read + Send>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open the file: {e}"))?;
    let mut file = Counting { inner: file, count };
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic).map_err(|e| format!("cannot read the file: {e}"))?;
    let file = std::io::Cursor::new(magic[..n].to_vec()).chain(file);
    Ok(match &magic[..n] {
        [0x1f, 0x8b, ..] => Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file))),
        [0x28, 0xb5, 0x2f, 0xfd] => Box::new(
            zstd::stream::read::Decoder::new(file).map_err(|e| format!("cannot start zstd decompression: {e}"))?,
        ),
        _ => Box::new(BufReader::new(file)),
    })
}

fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(4096)];
    let controls = sample.iter().filter(|&&b| b == 0 || (b < 0x09) || (0x0e..0x20).contains(&b)).count();
    controls * 20 > sample.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunker_cuts_at_newlines_and_counts_lines() {
        let text: String = (0..100_000).map(|i| format!("{{\"n\":{i}}}\n")).collect();
        let mut reader = std::io::Cursor::new(text.as_bytes().to_vec());
        let mut chunker = Chunker::new();
        let mut lines = 0;
        let mut next_line = 1;
        let mut next_offset = 0;
        while let Some(chunk) = chunker.next_chunk(&mut reader).unwrap() {
            assert_eq!(chunk.first_line, next_line);
            assert_eq!(chunk.offset, next_offset);
            assert!(chunk.bytes.ends_with(b"\n"));
            let n = chunk.bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            lines += n;
            next_line += n;
            next_offset += chunk.bytes.len() as u64;
        }
        assert_eq!(lines, 100_000);
        assert_eq!(next_offset, text.len() as u64);
    }

    #[test]
    fn known_endings_include_compressed_variants() {
        for name in ["a.json", "b.JSONL", "c.jsonl.gz", "d.log.zst", "e.eval", "f.db"] {
            assert!(has_known_ending(Path::new(name)), "{name}");
        }
        for name in ["a.png", "b.parquet", "c.gz"] {
            assert!(!has_known_ending(Path::new(name)), "{name}");
        }
    }
}
