//! Ingest: transcripts of any supported framework → canonical Arrow batches → the Parquet store.
//!
//! Files are found recursively, decompressed (gzip, zstd) by their magic bytes, hashed (a file already in the store
//! is skipped, so re-ingesting adds nothing), detected by content, and parsed in parallel with rayon. Large
//! line-oriented files are streamed in newline-aligned chunks, parsed in parallel and written in order, so memory
//! stays bounded whatever the corpus size. One writer thread turns the parsed records into Parquet part files.
//! Every record read is ingested or rejected (`sources` keeps the per-file ledger, `rejects` the reasons).

pub mod adapter;
pub mod common;
pub mod manifest;
pub mod own;
mod read;
pub mod record;
pub mod registry;
mod writer;

// The adapters, by framework family (one adapter per file, named for its format); only `registry` lists them.
pub mod agentscope;
pub mod autogen;
pub mod camel;
pub mod crewai;
pub mod evals;
pub mod generic;
pub mod langchain;
pub mod metagpt;
pub mod spans;

use std::io::Read;
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
pub use read::{CHUNK_BYTES, MAX_LINE_BYTES};
use read::{Chunk, Chunker, Hashing, Meter, hash_file, looks_binary, open_decoded};
use record::Parsed;
use writer::{FileSource, Writer};

/// File name endings ingest picks up when it walks a folder (a file named on the command line is always read).
pub const EXTENSIONS: [&str; 9] = ["json", "jsonl", "ndjson", "log", "txt", "db", "sqlite", "eval", "chat"];
/// How many bytes of a file detection looks at.
const HEAD_BYTES: usize = 64 * 1024;
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
    /// tvp's own files found among the inputs (a simulated corpus's truth and manifest), not read: file and why.
    pub skipped: Vec<(String, &'static str)>,
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
    let (own, files): (Vec<PathBuf>, Vec<PathBuf>) = files.into_iter().partition(|f| own::own_file(f).is_some());
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
    summary.skipped = own.iter().filter_map(|f| Some((f.display().to_string(), own::own_file(f)?))).collect();
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
    let adapter = match options.format.or_else(|| registry::detect(path, &head)) {
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
        stream_chunks(full, stream, &mut report, sender, options.strict, &|| progress.advance(meter.unreported()));
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

#[cfg(test)]
mod tests {
    use super::*;

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
            format: Some(crate::format::Format::Jsonl.name().into()),
            hash: String::new(),
            framework: Some("generic".into()),
        };
        let hash = |_: &Option<String>| hashing.finish().unwrap();
        let stream = Stream {
            path: &path,
            display: &source.display.clone(),
            stem: "big",
            adapter: &generic::jsonl::GenericJsonl,
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
