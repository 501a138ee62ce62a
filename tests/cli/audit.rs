//! `tvp audit` (the CI gate) and `tvp findings`: exit codes on leaking, clean and malformed input, the findings
//! document, and leak paths through a second agent.

use super::{fixture, shared, tvp};

/// The first `n` AgentLeak dev traces (by name), copied into a folder of their own.
fn agentleak_sample(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let src = std::path::PathBuf::from(shared("realdata/agentleak/dev"));
    let mut files: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let out = dir.join("traces");
    std::fs::create_dir_all(&out).unwrap();
    for f in files.iter().take(n) {
        std::fs::copy(f, out.join(f.file_name().unwrap())).unwrap();
    }
    out
}

#[test]
fn audit_fails_on_leaking_agentleak_traces_and_writes_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let traces = agentleak_sample(dir.path(), 12);
    let json = dir.path().join("findings.json");
    let run = tvp(&["audit", traces.to_str().unwrap(), "--fail-on", "exposure", "--json", json.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("fail: findings match --fail-on exposure"), "{}", run.stdout);
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["schema"], "tvp-findings/1");
    assert_eq!(doc["summary"]["runs"], 12);
    let exposed = doc["summary"]["over_exposed"].as_u64().unwrap();
    assert!(exposed > 0);
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len() as u64, exposed, "AgentLeak labels no actions: every listed run over-exposed");
    let first = &runs[0]["exposures"][0];
    for field in ["turn", "sender", "recipients", "channel", "item_id", "item_kind", "match_kind", "hop", "path"] {
        assert!(!first[field].is_null(), "{field} in {first}");
    }
    assert!(first["evidence"].as_str().unwrap().contains("**"), "masked evidence: {first}");
    // Over-authorization is not what these traces do: the same folder passes that gate.
    let run = tvp(&["audit", traces.to_str().unwrap(), "--fail-on", "over-authorization"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn audit_passes_a_folder_without_findings() {
    let run = tvp(&["audit", &fixture("findings/clean.jsonl"), "--fail-on", "any"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("pass: no finding matches --fail-on any"), "{}", run.stdout);
    assert!(run.stdout.contains("Over-exposed runs: 0"), "{}", run.stdout);
}

#[test]
fn audit_names_the_rejected_line_of_a_malformed_input_and_exits_1() {
    let run = tvp(&["audit", &fixture("findings/malformed"), "--fail-on", "exposure"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("rejected: ") && run.stdout.contains("broken.jsonl line 2"), "{}", run.stdout);
    assert!(run.stdout.contains("fail: some input could not be read"), "{}", run.stdout);
}

#[test]
fn audit_of_nothing_readable_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "not json at all\n").unwrap();
    let run = tvp(&["audit", bad.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("error: no run could be read"), "{}", run.stderr);
}

/// Issue 11: B receives the secret from A after A got it from the custodian. The custodian's disclosure is hop 1
/// with the path [Chen]; A's passing it on is its own exposure, attributed to A, with the path [Chen, Tom].
#[test]
fn leak_path_through_a_second_agent_is_its_own_finding() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("f.json");
    let store = dir.path().join("store");
    let run = tvp(&[
        "audit",
        &fixture("findings/leak_path.jsonl"),
        "--store",
        store.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let text = std::fs::read_to_string(&json).unwrap();
    assert!(!text.contains("0107"), "the secret is masked: {text}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let exposures = doc["runs"][0]["exposures"].as_array().unwrap();
    fn strs(v: &serde_json::Value) -> Vec<&str> {
        v.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect()
    }
    let hops: Vec<(i64, &str, Vec<&str>, Vec<&str>)> = exposures
        .iter()
        .map(|e| (e["hop"].as_i64().unwrap(), e["sender"].as_str().unwrap(), strs(&e["path"]), strs(&e["recipients"])))
        .collect();
    assert_eq!(
        hops,
        vec![(1, "Chen", vec!["Chen"], vec!["Tom"]), (2, "Tom", vec!["Chen", "Tom"], vec!["Rita"])],
        "{text}"
    );
    assert_eq!(doc["summary"]["second_hop_exposures"], 1);
    let paths: Vec<String> = doc["leak_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{} -> {}", p["path"].as_array().unwrap().len(), p["recipient"].as_str().unwrap()))
        .collect();
    assert_eq!(paths, vec!["1 -> Tom", "2 -> Rita"]);

    // The report shows the path, and the findings command the same two findings.
    let report = dir.path().join("report");
    let run = tvp(&["report", "--store", store.to_str().unwrap(), "--out", report.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("| password | Chen → Tom → Rita | hop 2 | 1 | 1 |"), "{md}");
    assert!(report.join("figures/audit_leak_flow_1.svg").exists());
    let run = tvp(&["findings", "--store", store.to_str().unwrap(), "--run", "relay-1"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("turn 3: Tom → Rita: warehouse_password (password) by exact, path Chen → Tom"),
        "{}",
        run.stdout
    );
    let run = tvp(&["findings", "--store", store.to_str().unwrap(), "--json", "--reveal"]);
    assert!(run.stdout.contains("0107"), "revealed: {}", run.stdout);
}

/// A deployment without scenarios: tau-bench logs judged by their secrets policy fail the gate on exposures, and
/// the findings keep the protected values masked.
#[test]
fn audit_with_a_deployment_policy_fails_on_exposures_and_masks_them() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("f.json");
    let policy = super::crate_root().join("data/policy/taubench-airline.toml");
    let run = tvp(&[
        "audit",
        &shared("realdata/taubench"),
        "--policy",
        policy.to_str().unwrap(),
        "--fail-on",
        "exposure",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let text = std::fs::read_to_string(&json).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(doc["summary"]["exposures"].as_u64().unwrap() > 0);
    assert!(doc["summary"]["without_ground_truth"].is_null(), "a policy's coverage is not counted");
    assert!(!run.stdout.contains("Runs without any ground truth"), "{}", run.stdout);
    let dates = regex::Regex::new(r"\b(19|20)\d\d-\d\d-\d\d\b").unwrap();
    let evidence: Vec<&str> = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["exposures"].as_array().unwrap().iter().map(|e| e["evidence"].as_str().unwrap()))
        .filter(|e| e.contains("DOB") || e.contains("Birth"))
        .collect();
    assert!(!evidence.is_empty());
    for e in evidence {
        assert!(!dates.is_match(e), "a birth date in masked evidence: {e}");
    }
}
