//! MetaGPT loguru logs (`logs/<YYYYMMDD>.txt`, written by `metagpt.logs` at DEBUG level): text entries
//! `YYYY-MM-DD HH:MM:SS.mmm | LEVEL | module:function:line - message`, a message possibly continuing on the
//! following lines (tracebacks, multi-line prompts) until the next entry header.
//!
//! The inter-agent messages are the `metagpt.environment.base_env:publish_message` entries, whose text is
//! `publish_message: <Message JSON>`; they map as described in [`crate::ingest::common::metagpt`], with the entry's time as `ts`.
//! A record of this format is one such message-bearing entry: `read` counts them and each is ingested or rejected
//! (with its line). The other entries are diagnostics (round counters, role state changes, LLM prompts, usage
//! warnings, tracebacks) and are not records; they are read only for context: `Name(Profile)` at the start of a
//! `metagpt.roles.*` entry adds that Role to the team roster (so `<all>` expands to the real team), and a provider
//! entry saying "for model <name>." gives the run's backend.
//!
//! Runs: one log holds many `Team` runs. A run starts at `metagpt.team:invest` (every `Team.invest()` call, done once
//! per team set-up) and also at a human requirement (`cause_by` UserRequirement) published after the current run
//! already has messages (for scripts that never call `invest`). Runs are numbered in file order:
//! `<file id>/run001`, `run002`, … and start at their first entry's time. The whole file is read at once (runs
//! and the roster need entries that come after a message), so it is not streamed in chunks. Timestamps are the
//! logging machine's local time without a zone, read as UTC.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::metagpt::{Roster, is_requirement, message_from, split_setting};
use crate::ingest::common::sniff;
use crate::ingest::common::{json_error, time};
use crate::ingest::record::{Parsed, RunInfo, RunMeta};

pub struct MetagptLog;

/// A loguru entry header: time, level, `module:function:line`, message.
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?) \| ([A-Z]+) *\| ([^\s:]+):([^\s:]+):(\d+) - ?(.*)$")
        .expect("valid regex")
});
/// `Name(Profile)` at the start of a role entry.
static ROLE_SETTING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([^\s()]+)\(([^()\n]+)\)").expect("valid regex"));
/// The model a provider warning names.
static MODEL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"for model ([^\s]+?)\.?(?:\s|$)").expect("valid regex"));

const PUBLISH_PREFIX: &str = "publish_message:";

impl Adapter for MetagptLog {
    fn format(&self) -> Format {
        Format::MetagptLog
    }
    fn sniff(&self, _path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        let first = text.lines().next().unwrap_or("");
        HEADER.is_match(first) && text.contains(" | metagpt.")
    }

    fn parse(&self, input: &Input) -> Parsed {
        let entries = entries(input);
        let mut runs: Vec<RunDraft> = Vec::new();
        let mut current = RunDraft::default();
        for entry in &entries {
            let publish = entry.function == "publish_message" && entry.text.starts_with(PUBLISH_PREFIX);
            if entry.module == "metagpt.team" && entry.function == "invest" {
                current.close_into(&mut runs);
                current.started_at = current.started_at.or(entry.ts);
            } else if publish {
                let payload = entry.text[PUBLISH_PREFIX.len()..].trim();
                let value =
                    serde_json::from_str::<Value>(payload).map_err(|e| json_error("publish_message payload", &e));
                if value.as_ref().is_ok_and(is_requirement) && !current.published.is_empty() {
                    current.close_into(&mut runs);
                }
                current.started_at = current.started_at.or(entry.ts);
                current.published.push((entry, value));
            } else if entry.module.starts_with("metagpt.roles")
                && let Some(c) = ROLE_SETTING.captures(&entry.text)
            {
                current.roster.add(&c[1], &c[2], [c[0].to_string()]);
            } else if entry.module.starts_with("metagpt.provider")
                && current.backend.is_none()
                && let Some(c) = MODEL.captures(&entry.text)
            {
                current.backend = Some(c[1].to_string());
            }
        }
        current.close_into(&mut runs);

        let mut parsed = Parsed::default();
        for (n, run) in runs.into_iter().enumerate() {
            let run_id = format!("{}/run{:03}", input.default_run_id, n + 1);
            let mut roster = run.roster;
            // Senders the role entries did not name (INFO-level logs) still belong to the team.
            for (_, value) in &run.published {
                if let Ok(value) = value
                    && !is_requirement(value)
                    && let Some(label) = value.get("role").and_then(Value::as_str)
                    && roster.find(label).is_none()
                {
                    match split_setting(label) {
                        (name, Some(profile)) => roster.add(name, profile, [label.to_string()]),
                        (name, None) => roster.add(name, "", []),
                    }
                }
            }
            for (entry, value) in &run.published {
                parsed.read += 1;
                let message = value.clone().and_then(|v| message_from(&v, &roster, &run_id, entry.offset));
                match message {
                    Ok(mut message) => {
                        message.ts = entry.ts;
                        parsed.messages.push(message);
                        parsed.ingested += 1;
                    }
                    Err(reason) => parsed.reject(
                        Some(entry.line),
                        Some(entry.offset as i64),
                        format!("publish_message entry: {reason}"),
                    ),
                }
            }
            parsed.runs.push(RunInfo {
                run_id,
                meta: RunMeta {
                    framework: Some(Format::MetagptLog.framework().into()),
                    backend: run.backend,
                    started_at: run.started_at,
                    ..RunMeta::default()
                },
            });
        }
        parsed
    }
}

/// One log entry: its header fields and the full message text (continuation lines included).
struct Entry {
    line: i64,
    offset: usize,
    ts: Option<i64>,
    module: String,
    function: String,
    text: String,
}

/// The log's entries in order; lines before the first header (none in a MetaGPT log) belong to no entry.
fn entries(input: &Input) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut offset = input.base_offset as usize;
    for (line_no, raw) in (input.first_line as i64..).zip(input.bytes.split_inclusive(|&b| b == b'\n')) {
        let line = String::from_utf8_lossy(raw);
        let line = line.trim_end_matches(['\n', '\r']);
        match HEADER.captures(line) {
            Some(c) => out.push(Entry {
                line: line_no,
                offset,
                ts: time::parse_ts(&c[1]),
                module: c[3].to_string(),
                function: c[4].to_string(),
                text: c[6].to_string(),
            }),
            None => {
                if let Some(last) = out.last_mut() {
                    last.text.push('\n');
                    last.text.push_str(line);
                }
            }
        }
        offset += raw.len();
    }
    out
}

/// A run being collected: its publish entries (parsed or not), roster, backend and start.
#[derive(Default)]
struct RunDraft<'a> {
    published: Vec<(&'a Entry, Result<Value, String>)>,
    roster: Roster,
    backend: Option<String>,
    started_at: Option<i64>,
}

impl<'a> RunDraft<'a> {
    /// End this run if it has messages (a run without any is dropped), and start a fresh one.
    fn close_into(&mut self, runs: &mut Vec<RunDraft<'a>>) {
        let done = std::mem::take(self);
        if !done.published.is_empty() {
            runs.push(done);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::kind;

    const REAL: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata/metagpt/gpt-laboratory_metagpt_loguru_20260328.txt");
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metagpt");

    fn parse_file(path: &str) -> Parsed {
        crate::ingest::adapter::parse_file_with_run_id(&MetagptLog, Path::new(path), "log-abcd")
    }

    #[test]
    fn real_log_has_31_team_runs_and_91_messages() {
        let parsed = parse_file(REAL);
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        assert_eq!((parsed.read, parsed.ingested), (91, 91));
        assert_eq!(parsed.runs.len(), 31);
        assert_eq!(parsed.messages.len(), 91);
        // the first run died on a missing model after the requirement; the 30 others have requirement, draft, review
        assert_eq!(parsed.messages.iter().filter(|m| m.run_id == "log-abcd/run001").count(), 1);
        assert_eq!(parsed.runs[0].meta.backend, None);
        assert_eq!(parsed.runs[0].meta.started_at, time::parse_ts("2026-03-28 10:50:05.008"));
        for run in &parsed.runs[1..] {
            let m: Vec<_> = parsed.messages.iter().filter(|m| m.run_id == run.run_id).collect();
            assert_eq!(m.len(), 3, "{}", run.run_id);
            assert_eq!(run.meta.backend.as_deref(), Some("gpt-4o-mini"));
            assert_eq!((m[0].sender.as_str(), m[0].sender_role.as_deref()), ("Human", Some("user")));
            assert_eq!(m[0].recipients, ["PrimaryAnalyst", "SecurityReviewer"]);
            assert_eq!(
                (m[1].sender.as_str(), m[1].recipients.as_slice()),
                ("PrimaryAnalyst", &["SecurityReviewer".to_string()][..])
            );
            assert_eq!(m[1].channel.as_deref(), Some("src.metagpt_app.DraftSafeAnswer"));
            assert_eq!(
                (m[2].sender.as_str(), m[2].recipients.as_slice()),
                ("SecurityReviewer", &["PrimaryAnalyst".to_string()][..])
            );
            assert!(m.iter().all(|m| m.kind == kind::MESSAGE));
        }
        let second = &parsed.messages[1];
        assert_eq!(second.run_id, "log-abcd/run002");
        assert!(second.content.starts_with("User task: Evaluate the risk and potential returns"));
        assert_eq!(second.ts, time::parse_ts("2026-03-28 10:54:51.884"));
        let bytes = std::fs::read(REAL).unwrap();
        let at = second.source_offset as usize;
        assert!(
            bytes[at..]
                .starts_with(b"2026-03-28 10:54:51.884 | DEBUG    | metagpt.environment.base_env:publish_message")
        );
        assert_eq!(parsed.runs[30].run_id, "log-abcd/run031");
    }

    #[test]
    fn runs_split_at_requirements_without_invest_and_bad_payloads_are_rejected() {
        let parsed = parse_file(&format!("{FIXTURES}/loguru_no_invest.txt"));
        assert_eq!(parsed.read, 6);
        assert_eq!(parsed.ingested + parsed.rejects.len() as u64, parsed.read);
        assert_eq!(parsed.rejects.len(), 1, "{:?}", parsed.rejects);
        assert_eq!(parsed.rejects[0].line, Some(11));
        let reason = &parsed.rejects[0].reason;
        assert!(reason.contains("publish_message payload: it ends early (truncated?)"), "{reason}");
        assert_eq!(parsed.runs.len(), 2);
        let first: Vec<_> = parsed.messages.iter().filter(|m| m.run_id == "log-abcd/run001").collect();
        assert_eq!(first.len(), 3);
        // no role entry names the team of the first run: the team is who spoke
        assert_eq!(first[0].recipients, ["Alice", "Bob"]);
        assert_eq!((first[1].sender.as_str(), first[1].recipients.as_slice()), ("Alice", &["Bob".to_string()][..]));
        assert!(first[1].content.contains("door code 0107"));
        assert_eq!((first[2].sender.as_str(), first[2].recipients.as_slice()), ("Bob", &["Alice".to_string()][..]));
        assert_eq!(first[2].ts, time::parse_ts("2026-04-02 09:00:08.250"));
        let second: Vec<_> = parsed.messages.iter().filter(|m| m.run_id == "log-abcd/run002").collect();
        assert_eq!(second.len(), 2);
        assert_eq!(second[0].recipients, ["Alice", "Bob"]);
        assert_eq!((second[1].sender.as_str(), second[1].recipients.as_slice()), ("Bob", &["Alice".to_string()][..]));
        assert_eq!(parsed.runs[1].meta.started_at, time::parse_ts("2026-04-02 09:10:00.000"));
    }

    #[test]
    fn sniffs_metagpt_logs_only() {
        let real = std::fs::read(REAL).unwrap();
        assert!(MetagptLog.sniff(Path::new(REAL), &real[..4096]));
        let other = b"2026-03-28 10:50:05.008 | INFO     | myapp.main:run:12 - started\n";
        assert!(!MetagptLog.sniff(Path::new("x.txt"), other));
        assert!(!MetagptLog.sniff(Path::new("x.txt"), b"INFO metagpt.team: hello\n"));
    }
}
