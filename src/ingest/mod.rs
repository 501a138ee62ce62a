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
/// Line-oriented files are cut into chunks of about this size for parallel parsing. What an ingest holds at once is
/// about 20 times this (a window of chunks per file being read, raw, parsed and as Arrow, the parts queued for the
/// writer): 4 MiB keeps that near 100 MiB, and a chunk is still thousands of lines (issue 10).
pub const CHUNK_BYTES: usize = 4 * 1024 * 1024;
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
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
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
    let seen = Seen { hashes: Mutex::new(known), repeated_sizes: repeated_sizes(&files, store)? };
    let stop = AtomicBool::new(false);
    let (sender, receiver) = sync_channel::<writer::Part>(4);
    let manifest = options.manifest.as_ref();

    let (reports, written) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| Writer::new(store, manifest).run(receiver));
        for path in &missing {
            let source =
                FileSource { display: path.display().to_string(), format: None, hash: String::new(), framework: None };
            let reason = "the path does not exist or cannot be read; check the spelling and permissions";
            let _ = sender.send(writer::Part::new(source, Parsed::rejected(reason, None, None), true));
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
        let report = FileReport { file: path.display().to_string(), read: 1, rejected: 1, ..FileReport::default() };
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

/// The content hashes already in the store or earlier in this batch, and the file sizes that occur more than once
/// (in this batch or in the store's ledger): only a file of such a size can be a duplicate.
struct Seen {
    hashes: Mutex<std::collections::HashSet<String>>,
    repeated_sizes: std::collections::HashSet<u64>,
}

impl Seen {
    /// Record a file's hash; false when it was already seen (the file is a duplicate).
    fn insert(&self, hash: &str) -> bool {
        self.hashes.lock().expect("hash set lock").insert(hash.to_string())
    }
}

/// File sizes that occur twice among `files` or once among them and once in the store's `sources` ledger.
fn repeated_sizes(files: &[PathBuf], store: &Store) -> Result<std::collections::HashSet<u64>> {
    use arrow::array::{Array, Int64Array};
    let mut counts: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
    for file in files {
        *counts.entry(std::fs::metadata(file).map(|m| m.len()).unwrap_or(0)).or_default() += 1;
    }
    for batch in store.read_table(crate::schema::Table::Sources)? {
        let sizes =
            batch.column_by_name(crate::schema::col::BYTES).and_then(|c| c.as_any().downcast_ref::<Int64Array>());
        for size in sizes.into_iter().flat_map(|a| a.iter().flatten()) {
            if let Some(count) = counts.get_mut(&(size as u64)) {
                *count += 1;
            }
        }
    }
    Ok(counts.into_iter().filter(|&(_, n)| n > 1).map(|(size, _)| size).collect())
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
    seen: &Seen,
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

/// Counts and hashes the raw bytes read through it (beneath any decompressor), so a file is read once: its content
/// hash is ready when decoding reaches its end.
struct Counting<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
    hash: std::sync::Arc<Mutex<RawHash>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        let mut hash = self.hash.lock().expect("raw hash lock");
        hash.hasher.update(&buf[..n]);
        hash.bytes += n as u64;
        Ok(n)
    }
}

/// The hash of the raw bytes read so far, and how many there were.
struct RawHash {
    hasher: xxhash_rust::xxh3::Xxh3,
    bytes: u64,
}

/// A file's content hash, taken while it is read.
struct Hashing {
    raw: std::sync::Arc<Mutex<RawHash>>,
    path: PathBuf,
    /// The file's size when it was opened.
    size: u64,
}

impl Hashing {
    fn new(path: &Path, size: u64) -> Hashing {
        let raw = RawHash { hasher: xxhash_rust::xxh3::Xxh3::new(), bytes: 0 };
        Hashing { raw: std::sync::Arc::new(Mutex::new(raw)), path: path.to_path_buf(), size }
    }

    /// The whole file's hash: from the bytes read when they were all of it, else from reading the file again (a
    /// read that stopped early, or a decompressor that did not read to the end of its input).
    fn finish(&self) -> std::io::Result<String> {
        let raw = self.raw.lock().expect("raw hash lock");
        if raw.bytes == self.size { Ok(format!("{:032x}", raw.hasher.digest128())) } else { hash_file(&self.path) }
    }
}

/// Detect, parse and hand one file to the writer, hashing it as it is read; returns its accounting.
///
/// A file is read once: its content hash is taken from the raw bytes as they are decoded. Only a file whose size
/// occurs twice (in this batch or in the store) can be a duplicate; such a file is hashed first and skipped when
/// its hash is known, before anything of it is parsed.
fn read_file(
    path: &Path,
    options: &Options,
    seen: &Seen,
    sender: &mut std::sync::mpsc::SyncSender<writer::Part>,
    meter: &Meter,
    progress: &dyn Progress,
) -> FileReport {
    let display = path.display().to_string();
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut report = FileReport { file: display.clone(), bytes, ..FileReport::default() };
    let whole_file_reject = |report: &mut FileReport, format: Option<&str>, reason: String, hash: String| {
        report.read = 1;
        report.rejected = 1;
        let parsed = Parsed::rejected(reason, None, None);
        let source = FileSource { display: display.clone(), format: format.map(str::to_string), hash, framework: None };
        let _ = sender.send(writer::Part::new(source, parsed, true));
    };

    let hashing = Hashing::new(path, bytes);
    let mut known = None;
    if seen.repeated_sizes.contains(&bytes) {
        match hash_file(path) {
            Ok(hash) if !seen.insert(&hash) => {
                report.duplicate = true;
                return report;
            }
            Ok(hash) => known = Some(hash),
            Err(e) => {
                whole_file_reject(&mut report, None, format!("cannot read the file: {e}"), String::new());
                return report;
            }
        }
    }
    // The file's hash once it has been read (or when reading stopped early, from reading it again).
    let hash_now = |known: &Option<String>| -> std::io::Result<String> {
        let hash = match known {
            Some(hash) => hash.clone(),
            None => hashing.finish()?,
        };
        seen.insert(&hash);
        Ok(hash)
    };
    // A reject before the content is read keeps the file's hash (so re-ingesting it adds nothing), as long as the
    // file can be read at all.
    let early_reject = |report: &mut FileReport, reason: String| match hash_now(&known) {
        Ok(hash) => whole_file_reject(report, None, reason, hash),
        Err(e) => whole_file_reject(report, None, format!("cannot read the file: {e}"), String::new()),
    };

    let mut reader = match open_decoded(path, meter.read.clone(), hashing.raw.clone()) {
        Ok(reader) => reader,
        Err(e) => {
            early_reject(&mut report, e);
            return report;
        }
    };
    let mut head = Vec::with_capacity(HEAD_BYTES);
    if let Err(e) = reader.by_ref().take(HEAD_BYTES as u64).read_to_end(&mut head) {
        early_reject(&mut report, format!("cannot decompress or read the file: {e}"));
        return report;
    }
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        early_reject(&mut report, "the file is empty".into());
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
            early_reject(&mut report, reason.into());
            return report;
        }
    };
    report.format = Some(adapter.name().to_string());
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = stem.trim_end_matches(".json").trim_end_matches(".jsonl").to_string();
    let mut source = FileSource {
        display: display.clone(),
        format: Some(adapter.name().to_string()),
        hash: String::new(),
        framework: Some(adapter.framework().to_string()),
    };
    let full = std::io::Cursor::new(head).chain(reader);

    if adapter.line_oriented() {
        let hash = |known: &Option<String>| hash_now(known).unwrap_or_default();
        let chunk_bytes = CHUNK_BYTES;
        let stream = Stream { path, display: &display, stem: &stem, adapter, source, known, hash: &hash, chunk_bytes };
        stream_chunks(full, stream, &mut report, sender, options.strict, &|| meter.tick(progress));
    } else if bytes > MAX_DOCUMENT_BYTES {
        let reason = format!(
            "the file is {bytes} bytes, more than a one-document {} file may be ({MAX_DOCUMENT_BYTES} bytes)",
            adapter.name()
        );
        whole_file_reject(&mut report, Some(adapter.name()), reason, hash_now(&known).unwrap_or_default());
    } else {
        let mut data = Vec::new();
        let mut full = full;
        let read = full.read_to_end(&mut data);
        source.hash = hash_now(&known).unwrap_or_default();
        let parsed = match read {
            Ok(_) => {
                let default_run_id = format!("{stem}-{}", source.hash.get(..8).unwrap_or_default());
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
        let _ = sender.send(writer::Part::new(source, parsed, true));
    }
    report
}

/// The file a stream of chunks comes from.
struct Stream<'a> {
    path: &'a Path,
    display: &'a str,
    /// The file name without its endings, for the default run id.
    stem: &'a str,
    adapter: &'a dyn Adapter,
    /// The file; its hash is filled in once known.
    source: FileSource,
    /// The hash when the file was hashed before reading.
    known: Option<String>,
    /// The whole file's hash, once it has been read to the end (or reading stopped).
    hash: &'a dyn Fn(&Option<String>) -> String,
    /// `CHUNK_BYTES`, smaller in tests.
    chunk_bytes: usize,
}

/// Read a line-oriented file in newline-aligned chunks, parse a window of chunks in parallel, send them in order;
/// `tick` is called after each chunk read.
///
/// The file's hash is known when its first window holds the whole file (it was hashed as it was read); a longer file
/// is sent while it is read, and its hash goes with its last part. The default run id of a streamed file (no
/// line-oriented format uses one) is then made from its first chunk's hash instead of the whole file's.
fn stream_chunks(
    mut reader: impl Read,
    stream: Stream,
    report: &mut FileReport,
    sender: &mut std::sync::mpsc::SyncSender<writer::Part>,
    strict: bool,
    tick: &dyn Fn(),
) {
    let Stream { path, display, stem, adapter, mut source, known, hash, chunk_bytes } = stream;
    let window = rayon::current_num_threads().max(1) * 2;
    let mut chunker = Chunker::new(chunk_bytes);
    let mut default_run_id = None;
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
        let finished = chunker.done;
        if finished {
            source.hash = hash(&known);
        }
        if batch.is_empty() {
            // The file ended at a window's boundary: its last part is empty.
            let _ = sender.send(writer::Part::new(source.clone(), Parsed::default(), true));
            break;
        }
        let default_run_id: &str = default_run_id.get_or_insert_with(|| {
            let hash = match (&known, finished) {
                (Some(hash), _) => hash.clone(),
                (None, true) => source.hash.clone(),
                (None, false) => format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&batch[0].bytes)),
            };
            format!("{stem}-{}", hash.get(..8).unwrap_or_default())
        });
        // Parsed and turned into Arrow batches in parallel; sent in order.
        let parts: Vec<writer::Part> = batch
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
            .map(|parsed| writer::Part::new(source.clone(), parsed, false))
            .collect();
        drop(batch);
        let count = parts.len();
        for (n, mut part) in parts.into_iter().enumerate() {
            report.read += part.parsed.read;
            report.ingested += part.parsed.ingested;
            report.rejected += part.parsed.rejects.len() as u64;
            part.last = finished && n + 1 == count;
            let _ = sender.send(part);
        }
        if finished || (strict && report.rejected > 0) {
            if !finished {
                // Tell the writer the file ends here.
                source.hash = hash(&known);
                let _ = sender.send(writer::Part::new(source.clone(), Parsed::default(), true));
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
    /// The size of a chunk (`CHUNK_BYTES`; smaller in tests).
    size: usize,
    carry: Vec<u8>,
    line: u64,
    offset: u64,
    done: bool,
}

impl Chunker {
    fn new(size: usize) -> Chunker {
        Chunker { size, carry: Vec::new(), line: 1, offset: 0, done: false }
    }

    fn next_chunk(&mut self, reader: &mut impl Read) -> std::io::Result<Option<Chunk>> {
        if self.done {
            return Ok(None);
        }
        let mut buf = std::mem::take(&mut self.carry);
        let start = buf.len();
        // A carried-over long line grows the buffer by a chunk at a time until its end is found.
        buf.resize(if start < self.size { self.size } else { start + self.size }, 0);
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
    hash: std::sync::Arc<Mutex<RawHash>>,
) -> std::result::Result<Box<dyn Read + Send>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open the file: {e}"))?;
    let mut file = Counting { inner: file, count, hash };
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
        let mut chunker = Chunker::new(CHUNK_BYTES);
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

    /// Issue 10: a file longer than a window is sent while it is read and hashed on the way; its hash arrives with
    /// its last part and is the same as hashing the file apart, so runs and the ledger carry it as before.
    #[test]
    fn a_streamed_file_is_hashed_once_as_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jsonl");
        let lines: String = (0..3000)
            .map(|i| format!("{{\"run_id\": \"r{}\", \"sender\": \"a\", \"content\": \"message {i}\"}}\n", i % 7))
            .collect();
        std::fs::write(&path, &lines).unwrap();
        let size = lines.len() as u64;
        let hashing = Hashing::new(&path, size);
        let reader = open_decoded(&path, Default::default(), hashing.raw.clone()).unwrap();
        let source = FileSource {
            display: path.display().to_string(),
            format: Some("jsonl".into()),
            hash: String::new(),
            framework: Some("generic".into()),
        };
        let hash = |_: &Option<String>| hashing.finish().unwrap();
        let stream = Stream {
            path: &path,
            display: &source.display.clone(),
            stem: "big",
            adapter: &generic_jsonl::GenericJsonl,
            source,
            known: None,
            hash: &hash,
            // A few KiB per chunk: dozens of windows.
            chunk_bytes: 4096,
        };
        let (sender, receiver) = sync_channel(1024);
        let mut sender = sender;
        let mut report = FileReport { bytes: size, ..FileReport::default() };
        stream_chunks(reader, stream, &mut report, &mut sender, false, &|| {});
        drop(sender);
        let parts: Vec<writer::Part> = receiver.iter().collect();
        assert!(parts.len() > 8, "{} parts", parts.len());
        let expected = hash_file(&path).unwrap();
        let (last, before) = parts.split_last().unwrap();
        assert!(last.last && last.source.hash == expected);
        assert!(before.iter().all(|p| !p.last && (p.source.hash.is_empty() || p.source.hash == expected)));
        assert!(before[0].source.hash.is_empty(), "the first window is sent before the file is read to its end");
        assert_eq!(hashing.raw.lock().unwrap().bytes, size, "the file was read once, through the hasher");
        assert_eq!((report.read, report.ingested, report.rejected), (3000, 3000, 0));

        // The writer gives every run of the file the hash that came last.
        let store = Store::create(&dir.path().join("store")).unwrap();
        let (sender, receiver) = sync_channel(1024);
        for part in parts {
            sender.send(part).unwrap();
        }
        drop(sender);
        Writer::new(&store, None).run(receiver).unwrap();
        let hashes = store.distinct_strings("runs", crate::schema::col::SOURCE_HASH).unwrap();
        assert_eq!(hashes, [expected.clone()].into());
        assert_eq!(store.distinct_strings("sources", crate::schema::col::SOURCE_HASH).unwrap(), [expected].into());
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
