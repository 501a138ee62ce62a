//! Tests of the CrewAI adapters: the output log (JSON and text) and TaskOutput / CrewOutput dumps, and their
//! sniffers against each other and every real file of another framework.

use std::path::Path;

use super::crewai_log::{CrewAiLog, text_fields};
use super::crewai_output::CrewAiOutput;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::time;
use crate::ingest::record::Parsed;
use crate::schema::kind;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/crewai");
const CUSTODIAN: &str = "Warehouse Custodian";
const LIAISON: &str = "Front Desk Liaison";

fn parse_with(adapter: &dyn Adapter, name: &str) -> Parsed {
    let path = Path::new(FIXTURES).join(name);
    let bytes = std::fs::read(&path).expect("fixture exists");
    let display = path.display().to_string();
    let parsed = adapter.parse(&Input {
        path: &path,
        display: &display,
        bytes: &bytes,
        first_line: 1,
        base_offset: 0,
        default_run_id: "crew-0000",
    });
    assert_eq!(parsed.unaccounted(), 0, "{name}: read must equal ingested + rejects");
    parsed
}

fn summary(parsed: &Parsed) -> Vec<(&str, &str, Vec<&str>)> {
    parsed
        .messages
        .iter()
        .map(|m| (m.sender.as_str(), m.kind, m.recipients.iter().map(String::as_str).collect()))
        .collect()
}

fn expected_log_flow() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    vec![
        ("crew", kind::MESSAGE, vec![CUSTODIAN]),
        (CUSTODIAN, kind::MESSAGE, vec![LIAISON]),
        ("crew", kind::MESSAGE, vec![LIAISON]),
        (LIAISON, kind::MESSAGE, vec!["user"]),
    ]
}

#[test]
fn json_log_turns_starts_and_results_into_messages() {
    let parsed = parse_with(&CrewAiLog, "crew_log.json");
    assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (4, 4, 0));
    assert_eq!(parsed.runs.len(), 1);
    assert_eq!(parsed.runs[0].run_id, "crew-0000");
    assert_eq!(parsed.runs[0].meta.framework.as_deref(), Some("CrewAI"));
    assert_eq!(parsed.runs[0].meta.started_at, time::parse_ts("2025-02-10 14:02:11"));
    assert_eq!(summary(&parsed), expected_log_flow());
    assert!(parsed.messages[0].content.starts_with("Check whether the night-shift driver"));
    assert!(parsed.messages[1].content.starts_with("The driver has no warehouse badge."));
    assert_eq!(parsed.messages[3].ts, time::parse_ts("2025-02-10 14:02:24"));
}

#[test]
fn text_log_reads_multi_line_values_with_quotes() {
    let parsed = parse_with(&CrewAiLog, "crew_log.txt");
    assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (4, 4, 0));
    assert_eq!(summary(&parsed), expected_log_flow());
    assert_eq!(
        parsed.messages[1].content,
        "Decision: \"deny\".\n\nThe driver has no warehouse badge. Do not share the keypad password;\nthe shift \
         supervisor can open warehouse B at 22:00."
    );
    assert_eq!(parsed.messages[2].source_offset, {
        let text = std::fs::read_to_string(Path::new(FIXTURES).join("crew_log.txt")).unwrap();
        text.find("2025-02-10 14:02:19: task_name=\"reply_to_driver\"").unwrap() as i64
    });
}

#[test]
fn legacy_text_log_takes_the_result_from_task() {
    let parsed = parse_with(&CrewAiLog, "crew_log_legacy.txt");
    assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (4, 4, 0));
    assert_eq!(summary(&parsed), expected_log_flow());
    assert!(parsed.messages[1].content.starts_with("The driver has no warehouse badge."));
    assert_eq!(parsed.messages[0].ts, time::parse_ts("2024-05-02 09:30:01"));
}

#[test]
fn malformed_text_log_rejects_stray_lines_missing_agents_and_cut_records() {
    let parsed = parse_with(&CrewAiLog, "crew_log_malformed.txt");
    assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (4, 1, 3));
    let lines: Vec<Option<i64>> = parsed.rejects.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![Some(1), Some(3), Some(4)]);
    assert!(parsed.rejects[0].reason.starts_with("line 1: not a CrewAI log record"));
    assert!(parsed.rejects[1].reason.contains("has no `agent`"), "{}", parsed.rejects[1].reason);
    assert!(parsed.rejects[2].reason.contains("value of `output` is not closed by a quote"));
    assert_eq!(summary(&parsed), vec![("crew", kind::MESSAGE, vec![CUSTODIAN])]);
}

#[test]
fn truncated_json_log_is_one_reject() {
    let parsed = parse_with(&CrewAiLog, "crew_log_truncated.json");
    assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (1, 0, 1));
    assert!(parsed.rejects[0].reason.starts_with("CrewAI JSON log: it ends early (truncated?)"));
}

#[test]
fn crew_output_splits_the_agent_conversation_in_react_steps() {
    let parsed = parse_with(&CrewAiOutput, "crew_output.json");
    assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (2, 2, 0));
    assert_eq!(parsed.runs[0].run_id, "crew-0000");
    assert_eq!(
        summary(&parsed),
        vec![
            ("system", kind::SYSTEM, vec![CUSTODIAN]),
            ("crew", kind::MESSAGE, vec![CUSTODIAN]),
            (CUSTODIAN, kind::THOUGHT, vec![]),
            (CUSTODIAN, kind::TOOL_CALL, vec!["check_badge"]),
            ("check_badge", kind::TOOL_RESULT, vec![CUSTODIAN]),
            (CUSTODIAN, kind::THOUGHT, vec![]),
            (CUSTODIAN, kind::MESSAGE, vec![LIAISON]),
            ("crew", kind::MESSAGE, vec![LIAISON]),
            (LIAISON, kind::MESSAGE, vec!["user"]),
        ]
    );
    let m = &parsed.messages;
    assert_eq!(m[2].content, "Thought: I should check the driver's badge before deciding.");
    assert_eq!(m[3].tool_name.as_deref(), Some("check_badge"));
    assert_eq!(m[3].tool_args.as_deref(), Some(r#"{"person": "night-shift driver"}"#));
    assert_eq!(m[4].content, "No badge on file for 'night-shift driver'.");
    assert!(m[5].content.contains("Crate-7741-Delta"), "the secret stays in the thought");
    assert!(!m[6].content.contains("Crate-7741-Delta"));
    assert!(m[7].content.starts_with("Write the reply"));
}

#[test]
fn single_task_output_uses_json_dict_when_raw_is_empty() {
    let parsed = parse_with(&CrewAiOutput, "task_output.json");
    assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (1, 1, 0));
    assert_eq!(
        summary(&parsed),
        vec![("crew", kind::MESSAGE, vec![CUSTODIAN]), (CUSTODIAN, kind::MESSAGE, vec!["user"])]
    );
    assert_eq!(parsed.messages[1].content, r#"{"granted":false,"reason":"no badge on file"}"#);
}

#[test]
fn bad_task_outputs_are_rejected_by_index() {
    let parsed = parse_with(&CrewAiOutput, "task_outputs_bad.json");
    assert_eq!((parsed.read, parsed.ingested, parsed.rejects.len()), (3, 1, 2));
    assert!(parsed.rejects[0].reason.starts_with("crew crew-0000, task output 1: the TaskOutput has no `agent`"));
    assert_eq!(parsed.rejects[1].reason, "crew crew-0000, task output 2: expected a TaskOutput object, found a number");
    assert_eq!(parsed.messages.len(), 2);
}

#[test]
fn text_fields_end_where_the_next_known_key_begins() {
    let fields = text_fields(r#"agent="A, B", task="say "hi", then stop", status="completed""#).unwrap();
    assert_eq!(
        fields,
        vec![
            ("agent".to_string(), "A, B".to_string()),
            ("task".to_string(), "say \"hi\", then stop".to_string()),
            ("status".to_string(), "completed".to_string()),
        ]
    );
    assert!(text_fields("hello world").is_err());
}

#[test]
fn sniffers_tell_logs_from_outputs_and_foreign_files() {
    let read = |name: &str| std::fs::read(Path::new(FIXTURES).join(name)).unwrap();
    for name in ["crew_log.json", "crew_log.txt", "crew_log_legacy.txt", "crew_log_malformed.txt"] {
        assert!(CrewAiLog.sniff(Path::new(name), &read(name)), "{name}");
        assert!(!CrewAiOutput.sniff(Path::new(name), &read(name)), "{name}");
    }
    for name in ["crew_output.json", "task_output.json", "task_outputs_bad.json"] {
        assert!(CrewAiOutput.sniff(Path::new(name), &read(name)), "{name}");
        assert!(!CrewAiLog.sniff(Path::new(name), &read(name)), "{name}");
    }
    let loguru = b"2025-03-01 09:12:40 | INFO     | agentscope.manager._model:load_model_configs:115 - Load";
    assert!(!CrewAiLog.sniff(Path::new("logging.log"), loguru));
    let generic = br#"{"run_id": "r", "sender": "a", "content": "x", "raw": "", "tasks_output": []}"#;
    assert!(!CrewAiOutput.sniff(Path::new("x.jsonl"), generic));
}

#[test]
fn sniffers_claim_no_real_file_of_another_framework() {
    let heads = crate::ingest::adapter::real_heads();
    assert!(heads.len() > 20, "the real data beside the project is missing");
    for (path, head) in &heads {
        assert!(!CrewAiLog.sniff(path, head), "log sniffer claims {}", path.display());
        assert!(!CrewAiOutput.sniff(path, head), "output sniffer claims {}", path.display());
    }
}
