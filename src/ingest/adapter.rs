//! The adapter contract and the registry of formats, in detection order (most specific first, generic JSONL last).
//!
//! An adapter sniffs a file's first bytes to say whether it reads the format, and turns an [`Input`] (a whole file,
//! or a newline-aligned chunk of a large line-oriented file) into [`Parsed`] records of the canonical shape.

use std::path::Path;

use super::record::Parsed;
use super::{agentleak, generic_jsonl};

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
    /// The `--format` name, e.g. `agentleak`.
    fn name(&self) -> &'static str;
    /// The framework that writes it, as stored in `runs.framework`.
    fn framework(&self) -> &'static str;
    /// One line for `tvp formats`: what files it reads.
    fn reads(&self) -> &'static str;
    /// Canonical fields the format does not record (`tvp formats` and the README say so).
    fn lacks(&self) -> &'static str;
    /// Whether a file whose path and first bytes are given is in this format.
    fn sniff(&self, path: &Path, head: &[u8]) -> bool;
    /// Whether the format is one record per line, so large files may be split into chunks at newlines.
    fn line_oriented(&self) -> bool {
        false
    }
    fn parse(&self, input: &Input) -> Parsed;
}

/// Every format tvp reads, in the order detection tries them.
pub fn adapters() -> &'static [&'static dyn Adapter] {
    &[
        &agentleak::AgentLeak,
        &super::autogen02_log::Autogen02Log,
        &super::autogen02_sqlite::Autogen02Sqlite,
        &super::magentic_one::MagenticOne,
        &super::autogen02_chat::Autogen02Chat,
        &super::autogen04::Autogen04,
        &super::agentscope::AgentScope,
        &super::crewai::CrewAiLog,
        &super::crewai::CrewAiOutput,
        &super::langsmith::LangSmith,
        &super::langgraph::LangGraph,
        &super::inspect::Inspect,
        &super::openai_agents::OpenAiAgents,
        &super::otel_genai::OtelGenAiJsonl,
        &super::otel_genai::OtelGenAi,
        &super::langfuse::Langfuse,
        &super::camel_workforce::CamelWorkforce,
        &super::camel_model_log::CamelModelLog,
        &super::camel_roleplay::CamelRoleplay,
        &super::metagpt_team::MetagptTeam,
        &super::metagpt_log::MetagptLog,
        &super::taubench::TauBench,
        &generic_jsonl::GenericJsonl,
    ]
}

pub fn by_name(name: &str) -> Option<&'static dyn Adapter> {
    adapters().iter().copied().find(|a| a.name().eq_ignore_ascii_case(name))
}

/// The first adapter that recognizes the file.
pub fn detect(path: &Path, head: &[u8]) -> Option<&'static dyn Adapter> {
    adapters().iter().copied().find(|a| a.sniff(path, head))
}

/// Helpers adapters share for reading JSON-ish heads.
pub mod sniff {
    /// The head as text with leading whitespace (and a UTF-8 BOM) skipped.
    pub fn text(head: &[u8]) -> &str {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let text = match std::str::from_utf8(head) {
            Ok(t) => t,
            // The head may end inside a multi-byte character.
            Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
        };
        text.trim_start()
    }

    /// Whether every needle occurs in the head.
    pub fn has_all(head: &[u8], needles: &[&str]) -> bool {
        let text = text(head);
        needles.iter().all(|n| text.contains(n))
    }
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
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let display = path.display().to_string();
    let parsed = parse_bytes(adapter, path, &bytes, "fixture-0000");
    assert_eq!(
        parsed.unaccounted(),
        0,
        "{display}: read must equal ingested + rejects (read {}, ingested {}, rejects {:?})",
        parsed.read,
        parsed.ingested,
        parsed.rejects
    );
    parsed
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
