//! `tvp ingest`, `tvp formats` and `tvp sql`: record accounting, rejects with locations, re-ingest, real data.

use tvp::format::Format;

use super::{fixture, shared, tvp};

/// Run SQL over a store and return its CSV lines (header first).
pub fn sql_csv(store: &str, sql: &str) -> Vec<String> {
    let run = tvp(&["sql", "--store", store, "--format", "csv", "--reveal", sql]);
    assert_eq!(run.code, 0, "sql failed: {sql}\n{}", run.stderr);
    run.stdout.lines().map(str::to_string).collect()
}

/// Run SQL over a store and return its rows as JSON objects.
pub fn sql_json(store: &str, sql: &str) -> Vec<serde_json::Value> {
    let run = tvp(&["sql", "--store", store, "--format", "json", "--reveal", sql]);
    assert_eq!(run.code, 0, "sql failed: {sql}\n{}", run.stderr);
    run.stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

fn ingest_json(paths: &[&str], store: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["ingest", "--store", store, "--json"];
    args.extend_from_slice(extra);
    args.extend_from_slice(paths);
    let run = tvp(&args);
    let summary =
        serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    (run.code, summary)
}

#[test]
fn generic_jsonl_two_runs_are_stored_with_every_column() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let (code, summary) = ingest_json(&[&fixture("jsonl/two_runs.jsonl")], store, &[]);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(
        (summary["read"].as_u64(), summary["ingested"].as_u64(), summary["rejected"].as_u64()),
        (Some(6), Some(6), Some(0))
    );
    assert_eq!((summary["runs"].as_u64(), summary["messages"].as_u64()), (Some(2), Some(6)));

    let runs = sql_csv(
        store,
        "SELECT run_id, framework, backend, scenario_id, trust, seed, repetition, n_messages, meta_source FROM runs ORDER BY run_id",
    );
    assert_eq!(runs[1], "r1,AgentScope,qwen,S1-1,0.9,,,4,log");
    assert_eq!(runs[2], "r2,generic,,,0.1,7,2,2,log");

    let messages = sql_csv(
        store,
        "SELECT run_id, turn, sender, array_to_string(recipients, ';'), kind, tool_name, tool_args, is_final, ts FROM messages ORDER BY run_id, turn",
    );
    assert_eq!(messages.len(), 7, "{messages:?}");
    assert_eq!(messages[2], "r1,1,Chen,Jay,thought,,,false,2025-01-15T10:00:01Z");
    assert_eq!(
        messages[4],
        "r1,3,Chen,lock_api,tool_call,change_password,\"{\"\"door\"\":\"\"main\"\"}\",false,2025-01-15T10:00:03Z"
    );
    // r2 has no turns: they follow file order; a bare string recipient is a one-element list.
    assert_eq!(messages[5], "r2,0,Bob,Chen,message,,,false,");
    assert_eq!(messages[6], "r2,1,Chen,Bob,message,,,true,");
}

#[test]
fn reingesting_the_same_file_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let file = fixture("jsonl/two_runs.jsonl");
    ingest_json(&[&file], store, &[]);
    let (code, summary) = ingest_json(&[&file, &file], store, &[]);
    assert_eq!(code, 0);
    assert_eq!(summary["duplicates"].as_u64(), Some(2), "both copies are already in the store: {summary}");
    assert_eq!(sql_csv(store, "SELECT count(*) FROM messages")[1], "6");
    assert_eq!(sql_csv(store, "SELECT count(*) FROM runs")[1], "2");
    assert_eq!(sql_csv(store, "SELECT count(*) FROM sources")[1], "1");
}

#[test]
fn gzip_files_are_read_by_their_magic_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let (code, summary) = ingest_json(&[&fixture("jsonl/two_runs_gzip.jsonl.gz")], store, &[]);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["messages"].as_u64(), Some(6));
}

#[test]
fn malformed_lines_are_rejected_with_line_and_reason_and_the_rest_ingests() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let malformed = fixture("jsonl/malformed.jsonl");
    let (code, summary) = ingest_json(&[&malformed, &fixture("jsonl/two_runs.jsonl")], store, &[]);
    assert_eq!(code, 1, "a reject makes the exit code 1");
    assert_eq!(
        (summary["read"].as_u64(), summary["ingested"].as_u64(), summary["rejected"].as_u64()),
        (Some(14), Some(8), Some(6))
    );
    let rejects = sql_json(store, "SELECT line, reason FROM rejects ORDER BY line");
    let expected = [
        (2, "it ends early"),
        (3, "expected a JSON object, found an array"),
        (4, "`run_id` must be a string, found the number 12"),
        (5, "missing required key `sender`"),
        (6, "`trust` must be a number, found the string \"high\""),
        (7, "`kind` is \"shout\"; expected one of"),
    ];
    assert_eq!(rejects.len(), expected.len(), "{rejects:?}");
    for ((line, says), row) in expected.iter().zip(&rejects) {
        assert_eq!(row["line"].as_i64(), Some(*line), "{row}");
        assert!(row["reason"].as_str().unwrap().contains(says), "line {line}: {row}");
    }
    // The ledger accounts for every record of every file.
    let ledger = sql_csv(store, "SELECT count(*) FROM sources WHERE read <> ingested + rejected");
    assert_eq!(ledger[1], "0");
}

#[test]
fn empty_binary_and_missing_files_are_quarantined_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let (code, summary) = ingest_json(
        &[
            &fixture("jsonl/empty.jsonl"),
            &fixture("jsonl/binary_junk.jsonl"),
            "no/such/file.jsonl",
            &fixture("jsonl/two_runs.jsonl"),
        ],
        store,
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!((summary["rejected"].as_u64(), summary["messages"].as_u64()), (Some(3), Some(6)), "{summary}");
    let rejects = sql_json(store, "SELECT file, reason FROM rejects ORDER BY file");
    let reason = |file: &str| -> String {
        let row = rejects.iter().find(|r| r["file"].as_str().unwrap().ends_with(file));
        row.unwrap_or_else(|| panic!("no reject for {file}: {rejects:?}"))["reason"].as_str().unwrap().to_string()
    };
    assert_eq!(reason("empty.jsonl"), "the file is empty");
    assert!(reason("binary_junk.jsonl").starts_with("unknown format: the file is binary"));
    assert!(reason("no/such/file.jsonl").starts_with("the path does not exist"));
}

#[test]
fn a_100_mb_single_line_is_rejected_without_stopping_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.jsonl");
    let mut text = String::from(
        "{\"run_id\": \"h\", \"sender\": \"A\", \"content\": \"before\"}\n{\"run_id\": \"h\", \"sender\": \"A\", \"content\": \"",
    );
    text.push_str(&"x".repeat(100 * 1024 * 1024));
    text.push_str("\"}\n{\"run_id\": \"h\", \"sender\": \"A\", \"content\": \"after\"}\n");
    std::fs::write(&path, text).unwrap();
    let store = dir.path().join("store");
    let (code, summary) = ingest_json(&[path.to_str().unwrap()], store.to_str().unwrap(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        (summary["read"].as_u64(), summary["ingested"].as_u64(), summary["rejected"].as_u64()),
        (Some(3), Some(2), Some(1))
    );
    let rejects = sql_json(store.to_str().unwrap(), "SELECT line, reason FROM rejects");
    assert_eq!(rejects[0]["line"].as_i64(), Some(2));
    let reason = rejects[0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("line 2 is 104857") && reason.contains("over the 67108864-byte limit"), "{reason}");
}

#[test]
fn strict_stops_at_the_first_reject() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let (code, summary) = ingest_json(&[&fixture("jsonl/malformed.jsonl")], store, &["--strict"]);
    assert_eq!(code, 1);
    assert_eq!(summary["stopped_early"].as_bool(), Some(true), "{summary}");
}

#[test]
fn manifest_fills_what_the_log_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("manifest.csv");
    std::fs::write(&manifest, "run_id,path,trust,defense,scenario_id\nr2,,0.5,guardian,S1-1\n,*.jsonl,0.3,none,S9-9\n")
        .unwrap();
    let store = dir.path().join("store");
    let store = store.to_str().unwrap();
    let (code, _) =
        ingest_json(&[&fixture("jsonl/two_runs.jsonl")], store, &["--manifest", manifest.to_str().unwrap()]);
    assert_eq!(code, 0);
    let runs = sql_csv(store, "SELECT run_id, trust, defense, scenario_id, meta_source FROM runs ORDER BY run_id");
    // r1's log says trust 0.9 and S1-1: the log wins; r2's log says trust 0.1: kept, the rest from its row.
    assert_eq!(runs[1], "r1,0.9,none,S1-1,manifest");
    assert_eq!(runs[2], "r2,0.1,guardian,S1-1,manifest");
}

#[test]
fn unknown_format_name_is_bad_input_with_a_hint() {
    let run = tvp(&["ingest", "--store", "/tmp/x", "--format", "nope", "a.json"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("unknown format `nope`") && run.stderr.contains("tvp formats"), "{}", run.stderr);
}

#[test]
fn formats_lists_every_adapter_with_what_it_lacks() {
    let run = tvp(&["formats"]);
    assert_eq!(run.code, 0);
    for name in [Format::AgentLeak.name(), Format::Jsonl.name()] {
        assert!(run.stdout.lines().any(|l| l.starts_with(name)), "{name} missing: {}", run.stdout);
    }
    assert!(run.stdout.matches("lacks:").count() >= 2);
}

#[test]
fn sql_masks_secret_values_unless_revealed() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let trace = shared("realdata/agentleak/dev/trace_20260129_203300_b74235fb.json");
    ingest_json(&[&trace], store, &[]);
    let sql = "SELECT value FROM items WHERE item_id = 'ssn_real'";
    let masked = tvp(&["sql", "--store", store, "--format", "csv", sql]);
    assert_eq!(masked.stdout, "value\n78*********\n");
    assert_eq!(sql_csv(store, sql)[1], "787-08-3753");
    let bad = tvp(&["sql", "--store", store, "SELECT nope FROM runs"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("error: SQL") && bad.stderr.contains("hint:"), "{}", bad.stderr);
}

#[test]
fn agentleak_dev_ingests_with_zero_rejects_and_keeps_its_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let (code, summary) = ingest_json(&[&shared("realdata/agentleak/dev")], store, &[]);
    assert_eq!(code, 0, "{}", summary["rejected"]);
    assert_eq!(
        (summary["runs"].as_u64(), summary["messages"].as_u64(), summary["rejected"].as_u64()),
        (Some(996), Some(4980), Some(0))
    );
    let channels = sql_csv(
        store,
        "SELECT channel, sender, array_to_string(recipients, ','), count(*) FROM messages GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    );
    assert_eq!(
        channels[1..],
        [
            "C1,coordinator,user,996",
            "C1,single_agent,user,996",
            "C2,coordinator,worker,996",
            "C2,worker,coordinator,996",
            "C5,worker,memory,996",
        ]
    );
    let runs =
        sql_csv(store, "SELECT count(DISTINCT backend), count(*) FILTER (WHERE framework = 'AgentLeak') FROM runs");
    assert_eq!(runs[1], "5,996");
    // Every vault field is an item; the allowed fields are the MNI.
    let items = sql_csv(
        store,
        "SELECT count(*), count(*) FILTER (WHERE in_mni) FROM items WHERE run_id = 'trace_20260129_203300_b74235fb'",
    );
    assert_eq!(items[1], "14,2");
}

/// Every real transcript beside the project (but the AgentLeak evaluation split) is detected as its format and
/// ingests with zero rejects; the real file its framework wrote broken is quarantined with where it breaks.
#[test]
fn every_real_file_is_detected_and_ingests_with_zero_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let folders =
        ["autogen02", "autogen04", "camel", "inspect", "metagpt", "taubench"].map(|f| shared(&format!("realdata/{f}")));
    let mut args: Vec<&str> = folders.iter().map(String::as_str).collect();
    let malformed = shared("realdata-malformed");
    args.push(&malformed);
    let (code, summary) = ingest_json(&args, store, &[]);
    assert_eq!(code, 1, "the malformed file is a reject");
    // file (under shared/), format, records read, runs, messages
    let expected = [
        ("realdata-malformed/metagpt_team_truncated.json", Format::MetagptTeam.name(), 1, 0, 0),
        ("realdata/autogen02/phenoassistant_runtime.log", Format::Autogen02Log.name(), 106, 1, 22),
        ("realdata/autogen02/whowhen_captainagent/3.json", Format::Autogen02Chat.name(), 8, 1, 8),
        ("realdata/autogen02/whowhen_captainagent/64.json", Format::Autogen02Chat.name(), 10, 1, 10),
        ("realdata/autogen02/whowhen_captainagent/73.json", Format::Autogen02Chat.name(), 7, 1, 7),
        ("realdata/autogen04/autogen_core_handoffs_history-wile_e_coyote_1.json", Format::Autogen04.name(), 6, 1, 6),
        ("realdata/autogen04/whowhen_magentic_one/23.json", Format::MagenticOne.name(), 74, 1, 74),
        ("realdata/autogen04/whowhen_magentic_one/40.json", Format::MagenticOne.name(), 17, 1, 17),
        ("realdata/camel/camel_logs_conv_20260413_012830_655165.json", Format::CamelModelLog.name(), 3, 1, 3),
        ("realdata/camel/eigent_workforce_logs.json", Format::CamelWorkforce.name(), 15, 1, 6),
        (
            "realdata/inspect/2025-02-11T15-17-00-05-00_popularity_dPiJifoWeEQBrfWsAopzWr.eval",
            Format::Inspect.name(),
            41,
            10,
            30,
        ),
        ("realdata/inspect/2025-05-12T20-27-36-04-00_browser.json", Format::Inspect.name(), 12, 1, 10),
        ("realdata/inspect/2025-05-12T20-28-26-04-00_security-guide.json", Format::Inspect.name(), 13, 3, 9),
        ("realdata/inspect/log_formats.json", Format::Inspect.name(), 5, 1, 3),
        ("realdata/inspect/log_read_sample.json", Format::Inspect.name(), 5, 1, 3),
        ("realdata/inspect/log_streaming.eval", Format::Inspect.name(), 17, 4, 12),
        ("realdata/inspect/mmlu-summary-choices.eval", Format::Inspect.name(), 4, 1, 2),
        ("realdata/metagpt/gpt-laboratory_metagpt_loguru_20260328.txt", Format::MetagptLog.name(), 91, 31, 91),
        ("realdata/metagpt/iridium-soda_metagpt_tool_demo_team.json", Format::MetagptTeam.name(), 2, 1, 1),
        ("realdata/taubench/gpt-4o-airline.json", Format::TauBench.name(), 5508, 200, 5398),
    ];
    let files = summary["files"].as_array().unwrap();
    assert_eq!(files.len(), expected.len(), "{files:?}");
    for (file, format, read, runs, messages) in expected {
        let f = files.iter().find(|f| f["file"].as_str().unwrap().ends_with(file)).unwrap_or_else(|| panic!("{file}"));
        assert_eq!(f["format"].as_str(), Some(format), "{file}");
        let counts = ["read", "runs", "messages"].map(|k| f[k].as_u64().unwrap());
        assert_eq!(counts, [read, runs, messages], "{file}: read, runs, messages");
        let rejected = if file.starts_with("realdata-malformed") { 1 } else { 0 };
        assert_eq!(f["rejected"].as_u64(), Some(rejected), "{file}");
        assert_eq!(f["read"], f["ingested"].as_u64().unwrap() + rejected, "{file}: read = ingested + rejected");
    }
    let rejects = sql_json(store, "SELECT file, reason FROM rejects");
    let reason = rejects[0]["reason"].as_str().unwrap();
    assert!(reason.contains("ends early (truncated?)") && reason.contains("line 30"), "{reason}");
}

#[test]
fn zstd_files_are_read_by_their_magic_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(fixture("jsonl/two_runs.jsonl")).unwrap();
    let path = dir.path().join("two_runs.jsonl.zst");
    std::fs::write(&path, zstd::encode_all(&raw[..], 3).unwrap()).unwrap();
    let store = dir.path().join("store");
    let (code, summary) = ingest_json(&[path.to_str().unwrap()], store.to_str().unwrap(), &[]);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(
        (summary["messages"].as_u64(), summary["files"][0]["format"].as_str()),
        (Some(6), Some(Format::Jsonl.name()))
    );
}

/// Issue 14: ingesting the simulator's own output folder reads the transcripts and skips tvp's own truth and
/// manifest with a note, instead of rejecting them as an unknown format.
#[test]
fn the_simulators_own_truth_and_manifest_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let run =
        tvp(&["simulate", "--out", corpus.to_str().unwrap(), "--scenario", "S1-1", "--chains", "1", "--seed", "3"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let store = dir.path().join("store");
    let manifest = corpus.join("manifest.csv");
    let (code, summary) =
        ingest_json(&[corpus.to_str().unwrap(), manifest.to_str().unwrap()], store.to_str().unwrap(), &[]);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["rejected"].as_u64(), Some(0), "{summary}");
    assert!(summary["runs"].as_u64().unwrap() > 0, "{summary}");
    let skipped: Vec<&str> = summary["skipped"].as_array().unwrap().iter().map(|s| s[0].as_str().unwrap()).collect();
    assert_eq!(skipped.len(), 2, "{summary}");
    assert!(skipped.iter().any(|f| f.ends_with("truth.jsonl")) && skipped.iter().any(|f| f.ends_with("manifest.csv")));
    let files = summary["files"].as_array().unwrap();
    assert!(files.iter().all(|f| !f["file"].as_str().unwrap().ends_with("truth.jsonl")), "{summary}");

    let run = tvp(&["ingest", "--store", dir.path().join("store2").to_str().unwrap(), corpus.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("note: skipped") && run.stdout.contains("truth.jsonl"), "{}", run.stdout);
}
