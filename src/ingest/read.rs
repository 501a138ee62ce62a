//! Reading a file: decompression (gzip, zstd, by magic bytes), hashing the raw bytes as they are decoded (so a file
//! is read from disk once), progress metering, and cutting line-oriented streams into newline-aligned chunks.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::Ordering;

/// Line-oriented files are cut into chunks of about this size for parallel parsing. What an ingest holds at once is
/// about 20 times this (a window of chunks per file being read, raw, parsed and as Arrow, the parts queued for the
/// writer): 4 MiB keeps that near 100 MiB, and a chunk is still thousands of lines (issue 10).
pub const CHUNK_BYTES: usize = 4 * 1024 * 1024;
/// A single line longer than this is rejected without being held in memory.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;
/// Raw bytes read from a file so far, and how many of them the progress display was told about.
#[derive(Default)]
pub(super) struct Meter {
    pub(super) read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    pub(super) reported: std::sync::atomic::AtomicU64,
}

impl Meter {
    /// The bytes read since the last call, for the progress display.
    pub(super) fn unreported(&self) -> u64 {
        let read = self.read.load(Ordering::Relaxed);
        let before = self.reported.swap(read, Ordering::Relaxed);
        read.saturating_sub(before)
    }
}

/// Counts and hashes the raw bytes read through it (beneath any decompressor), so a file is read once: its content
/// hash is ready when decoding reaches its end.
pub(super) struct Counting<R> {
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
pub(super) struct RawHash {
    hasher: xxhash_rust::xxh3::Xxh3,
    pub(super) bytes: u64,
}

/// A file's content hash, taken while it is read.
pub(super) struct Hashing {
    pub(super) raw: std::sync::Arc<Mutex<RawHash>>,
    path: PathBuf,
    /// The file's size when it was opened.
    size: u64,
}

impl Hashing {
    pub(super) fn new(path: &Path, size: u64) -> Hashing {
        let raw = RawHash { hasher: xxhash_rust::xxh3::Xxh3::new(), bytes: 0 };
        Hashing { raw: std::sync::Arc::new(Mutex::new(raw)), path: path.to_path_buf(), size }
    }

    /// The whole file's hash: from the bytes read when they were all of it, else from reading the file again (a
    /// read that stopped early, or a decompressor that did not read to the end of its input).
    pub(super) fn finish(&self) -> std::io::Result<String> {
        let raw = self.raw.lock().expect("raw hash lock");
        if raw.bytes == self.size { Ok(format!("{:032x}", raw.hasher.digest128())) } else { hash_file(&self.path) }
    }
}

/// A newline-aligned piece of a line-oriented file, or a line too long to hold.
pub(super) struct Chunk {
    pub(super) bytes: Vec<u8>,
    pub(super) first_line: u64,
    pub(super) offset: u64,
    pub(super) skipped: Option<String>,
}

impl Chunk {
    pub(super) fn failed(line: u64, offset: u64, reason: String) -> Chunk {
        Chunk { bytes: Vec::new(), first_line: line, offset, skipped: Some(reason) }
    }
}

/// Cuts a stream into chunks that end at a newline, with the line number and offset each starts at.
pub(super) struct Chunker {
    /// The size of a chunk (`CHUNK_BYTES`; smaller in tests).
    size: usize,
    carry: Vec<u8>,
    pub(super) line: u64,
    pub(super) offset: u64,
    pub(super) done: bool,
}

impl Chunker {
    pub(super) fn new(size: usize) -> Chunker {
        Chunker { size, carry: Vec::new(), line: 1, offset: 0, done: false }
    }

    pub(super) fn next_chunk(&mut self, reader: &mut impl Read) -> std::io::Result<Option<Chunk>> {
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

pub(super) fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    // No bigger than the file: a zeroed megabyte for each of many small files (AgentLeak's are 20 kB) cost more
    // than hashing them.
    let size = file.metadata().map_or(0, |m| m.len()).clamp(8 << 10, 1 << 20);
    let mut buf = vec![0u8; size as usize];
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
pub(super) fn open_decoded(
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

pub(super) fn looks_binary(head: &[u8]) -> bool {
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
}
