//! The adapter contract (the registry of formats is apart, in [`super::registry`]), and test support for adapters.
//!
//! An adapter sniffs a file's first bytes to say whether it reads the format, and turns an [`Input`] (a whole file,
//! or a newline-aligned chunk of a large line-oriented file) into [`Parsed`] records of the canonical shape.

use std::path::Path;

use super::record::Parsed;
use crate::format::Format;

/// The bytes an adapter parses, with where they sit in the source file.
pub struct Input<'a> {
    pub path: &'a Path,
    /// The path as the user should see it in messages.
    pub display: &'a str,
    pub bytes: &'a [u8],
    /// 1-based line number of `bytes[0]` in the (decompressed) file.
    pub first_line: u64,
    /// Byte offset of `bytes[0]` in the (decompressed) file.
    pub base_offset: u64,
    /// A run id for formats that record none: the file stem and a short content hash, stable across re-ingests.
    pub default_run_id: &'a str,
}

pub trait Adapter: Send + Sync {
    /// The format it reads (its name, framework, description and what it lacks).
    fn format(&self) -> Format;
    /// The `--format` name, e.g. `agentleak`.
    fn name(&self) -> &'static str {
        self.format().name()
    }
    /// The framework that writes it, as stored in `runs.framework`.
    fn framework(&self) -> &'static str {
        self.format().framework()
    }
    /// Whether a file whose path and first bytes are given is in this format.
    fn sniff(&self, path: &Path, head: &[u8]) -> bool;
    /// Whether the format is one record per line, so large files may be split into chunks at newlines.
    fn line_oriented(&self) -> bool {
        false
    }
    fn parse(&self, input: &Input) -> Parsed;
}

/// Test support: parse `bytes` as the whole file at `path`, with `default_run_id` for formats that record none.
#[cfg(test)]
pub fn parse_bytes(adapter: &dyn Adapter, path: &Path, bytes: &[u8], default_run_id: &str) -> Parsed {
    let display = path.display().to_string();
    adapter.parse(&Input { path, display: &display, bytes, first_line: 1, base_offset: 0, default_run_id })
}

/// Test support: parse a whole file with an adapter, as ingest would, and check its record accounting.
#[cfg(test)]
pub fn parse_file(adapter: &dyn Adapter, path: &Path) -> Parsed {
    parse_file_with_run_id(adapter, path, "fixture-0000")
}

/// Test support: [`parse_file`] with the run id ingest would derive for a format that records none.
#[cfg(test)]
pub fn parse_file_with_run_id(adapter: &dyn Adapter, path: &Path, default_run_id: &str) -> Parsed {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let parsed = parse_bytes(adapter, path, &bytes, default_run_id);
    assert_accounted(&parsed, &path.display().to_string());
    parsed
}

/// Test support: every record read was ingested or rejected.
#[cfg(test)]
pub fn assert_accounted(parsed: &Parsed, what: &str) {
    assert_eq!(
        parsed.unaccounted(),
        0,
        "{what}: read must equal ingested + rejects (read {}, ingested {}, rejects {:?})",
        parsed.read,
        parsed.ingested,
        parsed.rejects
    );
}

/// The first 64 KiB of every real transcript beside the project (of AgentLeak only the first 20 traces of `dev`; its
/// evaluation split is never entered), for tests that check a sniffer claims no other framework's file.
#[cfg(test)]
pub fn real_heads() -> Vec<(std::path::PathBuf, Vec<u8>)> {
    use std::io::Read;
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        let mut agentleak_traces = 0;
        for path in paths {
            if path.ends_with("agentleak") {
                walk(&path.join("dev"), out); // the other AgentLeak folder is the evaluation split
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else if !path.ends_with("SOURCE.md") && !path.ends_with("LICENSE") {
                if path.parent().is_some_and(|p| p.ends_with("agentleak/dev")) {
                    agentleak_traces += 1;
                    if agentleak_traces > 20 {
                        continue;
                    }
                }
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata")), &mut paths);
    paths
        .into_iter()
        .filter_map(|path| {
            let mut head = Vec::new();
            std::fs::File::open(&path).ok()?.take(64 * 1024).read_to_end(&mut head).ok()?;
            Some((path, head))
        })
        .collect()
}
