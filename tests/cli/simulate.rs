//! `tvp simulate`: byte-identical output for a seed, every format read back by ingest, and the labeler's accuracy
//! against the simulator's truth file on a small corpus.

use std::collections::BTreeMap;
use std::path::Path;

use super::ingest::sql_csv;
use super::tvp;

/// Every file under `dir`, relative path → bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The transcript folders of a simulated corpus (one per format), without the manifest and truth file.
pub fn transcripts(corpus: &Path) -> Vec<String> {
    let mut dirs: Vec<String> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.display().to_string())
        .collect();
    dirs.sort();
    dirs
}

fn simulate(out: &Path, extra: &[&str]) {
    let mut args = vec!["simulate", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = tvp(&args);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn the_same_seed_gives_byte_identical_output_and_another_seed_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--scenario", "S1-1,S1-4,S2-6", "--chains", "2", "--format", "mixed", "--seed", "5"];
    simulate(&dir.path().join("a"), &args);
    simulate(&dir.path().join("b"), &args);
    let (a, b) = (files(&dir.path().join("a")), files(&dir.path().join("b")));
    assert!(a.len() > 3, "{:?}", a.keys());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between two runs with the same seed");
    }
    let mut other = args.to_vec();
    let last = other.len() - 1;
    other[last] = "6";
    simulate(&dir.path().join("c"), &other);
    assert_ne!(a["truth.jsonl"], files(&dir.path().join("c"))["truth.jsonl"]);
}

#[test]
fn every_format_is_written_and_read_back_by_ingest_with_no_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    // 23 formats × 2 scenarios × 1 τ × 1 system: each format gets chains.
    simulate(
        &corpus,
        &[
            "--format",
            "mixed",
            "--scenario",
            "S1-1,S3-1",
            "--trust",
            "0.9",
            "--chains",
            "23",
            "--system",
            "AgentScope-Qwen",
        ],
    );
    let store = dir.path().join("store");
    let mut args = vec!["ingest", "--json", "--store", store.to_str().unwrap()];
    let manifest = corpus.join("manifest.csv");
    args.extend(["--manifest", manifest.to_str().unwrap()]);
    let dirs = transcripts(&corpus);
    args.extend(dirs.iter().map(String::as_str));
    let run = tvp(&args);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(summary["rejected"], 0, "{}", run.stdout);
    assert_eq!(summary["runs"], 46, "{}", run.stdout);
    let formats = sql_csv(store.to_str().unwrap(), "SELECT count(DISTINCT source_format) FROM sources");
    let writers = tvp(&["formats"]).stdout.lines().filter(|l| !l.trim().is_empty()).count();
    assert!(writers >= 23);
    assert_eq!(formats[1], "23", "every ingest format is written by the simulator");
    // The manifest's condition and synthetic mark reach every run; the framework is the simulated system's.
    let runs = sql_csv(
        store.to_str().unwrap(),
        "SELECT count(*), count(DISTINCT framework), min(CAST(synthetic AS INT)), count(trust), count(scenario_id) FROM runs",
    );
    assert_eq!(runs[1], "46,1,1,46,46");
    // Seeds reach the store exactly, whatever the format stores numbers as.
    let manifest_text = std::fs::read_to_string(&manifest).unwrap();
    let mut expected: Vec<String> =
        manifest_text.lines().skip(1).map(|l| l.split(',').nth(7).unwrap().to_string()).collect();
    expected.sort();
    expected.dedup();
    let mut seeds: Vec<String> =
        sql_csv(store.to_str().unwrap(), "SELECT DISTINCT CAST(seed AS VARCHAR) FROM runs")[1..].to_vec();
    seeds.sort();
    assert_eq!(seeds, expected);
}

/// Simulate, ingest with the manifest, label with `--truth` (and the corpus's `policy.toml`, which a simulated
/// deployment writes); the accuracy object of the JSON summary.
fn accuracy(dir: &Path, simulate_args: &[&str]) -> serde_json::Value {
    let corpus = dir.join("corpus");
    simulate(&corpus, simulate_args);
    let store = dir.join("store");
    let manifest = corpus.join("manifest.csv");
    let mut args = vec!["ingest", "--store", store.to_str().unwrap(), "--manifest", manifest.to_str().unwrap()];
    let dirs = transcripts(&corpus);
    args.extend(dirs.iter().map(String::as_str));
    let run = tvp(&args);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let truth = corpus.join("truth.jsonl");
    let mut args = vec!["label", "--json", "--store", store.to_str().unwrap(), "--truth", truth.to_str().unwrap()];
    // A simulated deployment is labeled with the policy it was written with.
    let policy = corpus.join("policy.toml");
    if policy.exists() {
        args.extend(["--policy", policy.to_str().unwrap()]);
    }
    let run = tvp(&args);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    summary["accuracy"].clone()
}

fn precision_recall(b: &serde_json::Value) -> (f64, f64) {
    let n = |k: &str| b[k].as_u64().unwrap() as f64;
    let tp = n("true_positives");
    assert!(tp > 20.0, "too few positives to judge: {b}");
    (tp / (tp + n("false_positives")), tp / (tp + n("false_negatives")))
}

/// The labeler against the simulator's truth on a small corpus spread over all 23 formats: chain-level
/// over-exposure precision and recall ≥ 0.99, item recall ≥ 0.98 for every form, and no exposure on a decoy, a
/// near miss, private reasoning or a seeker's repetition. Over-authorization and task success need tool calls,
/// which several formats cannot record: only their precision is checked here, their recall below.
#[test]
fn labels_match_the_truth_file_on_a_small_corpus_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let a = accuracy(dir.path(), &["--format", "mixed", "--chains", "2", "--seed", "3"]);
    assert_eq!((a["chains"].as_u64(), a["missing"].as_u64()), (Some(912), Some(0)), "{a}");
    let (p, r) = precision_recall(&a["over_exposure"]);
    assert!(p >= 0.99 && r >= 0.99, "over-exposure P {p} R {r}: {a}");
    assert_eq!(a["by_format"].as_object().unwrap().len(), 23);
    for (format, b) in a["by_format"].as_object().unwrap() {
        assert_eq!(b["false_negatives"].as_u64().unwrap() + b["false_positives"].as_u64().unwrap(), 0, "{format}: {b}");
    }
    for form in ["exact", "normalized", "spelled", "pattern"] {
        let r = &a["items"][form];
        let disclosed = r["disclosed"].as_u64().unwrap_or(0);
        assert!(disclosed >= 10, "{form}: {r}");
        assert!(r["found"].as_u64().unwrap() as f64 / disclosed as f64 >= 0.98, "{form}: {r}");
        assert_eq!(r["same_kind"], r["found"], "{form}: the match kind is the truth's form");
    }
    assert_eq!(a["false_exposures"], serde_json::json!({}), "labels without a truth counterpart: {a}");
    for label in ["over_authorization", "task_success"] {
        assert!(precision_recall(&a[label]).0 >= 0.99, "{label}: {a}");
    }
}

#[test]
fn over_authorization_and_task_success_match_the_truth_where_the_format_records_tool_calls() {
    let dir = tempfile::tempdir().unwrap();
    let a = accuracy(dir.path(), &["--format", "agentscope,autogen04,langgraph,jsonl,otel-genai", "--chains", "1"]);
    for label in ["over_exposure", "over_authorization", "task_success"] {
        let (p, r) = precision_recall(&a[label]);
        assert!(p >= 0.99 && r >= 0.99, "{label}: P {p} R {r}: {a}");
    }
}

/// Issue 13: disclosures written obscured (base64, nested base64, hex, percent-encoding, `\u` escapes, full-width,
/// ROT13, reversed) in every format are found with the transform chain as their match kind: chain-level precision
/// 1.0 and recall ≥ 0.99, item recall ≥ 0.99 per form, and still no label on a trap.
#[test]
fn obscured_disclosures_are_found_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let a = accuracy(dir.path(), &["--format", "mixed", "--chains", "1", "--seed", "5", "--obscured"]);
    let (p, r) = precision_recall(&a["over_exposure"]);
    assert!(p == 1.0 && r >= 0.99, "over-exposure P {p} R {r}: {a}");
    for form in ["base64", "base64>base64", "hex", "percent", "unicode-escape", "rot13", "reversed"] {
        let r = &a["items"][form];
        let disclosed = r["disclosed"].as_u64().unwrap_or(0);
        assert!(disclosed >= 5, "{form}: {r}");
        assert!(r["found"].as_u64().unwrap() as f64 / disclosed as f64 >= 0.99, "{form}: {r}");
        assert_eq!(r["same_kind"], r["found"], "{form}: the match kind is the truth's form");
    }
    assert_eq!(a["false_exposures"], serde_json::json!({}), "labels without a truth counterpart: {a}");
}

/// Issue 12: a simulated deployment (no τ, no scenario; an assistant reads a customer record through a tool and
/// passes values on) labeled with the policy it came with. In every format that records tool results and to whom
/// each message goes, each run is judged as its truth says (no false positive or negative, chain-level P and R
/// ≥ 0.99); the formats that keep no tool results get no label at all (nothing was learned, nothing is invented);
/// AutoGen 0.2 chat histories record no recipients (every message is derived as broadcast to every participant,
/// the tools included), so every exposure is found there but an allowed flow can count too.
#[test]
fn deployment_flows_are_judged_against_the_policy_in_every_format_that_records_tool_results() {
    let dir = tempfile::tempdir().unwrap();
    let a = accuracy(dir.path(), &["--deployment", "--format", "mixed", "--chains", "460", "--seed", "4"]);
    assert_eq!((a["chains"].as_u64(), a["missing"].as_u64()), (Some(460), Some(0)), "{a}");
    let store = dir.path().join("store");
    let sql = "SELECT DISTINCT r.source_format FROM messages m JOIN runs r ON r.run_id = m.run_id \
               WHERE m.kind = 'tool_result' ORDER BY 1";
    let with_results = sql_csv(store.to_str().unwrap(), sql)[1..].to_vec();
    let broadcast = "autogen02-chat";
    let judged: Vec<&str> = with_results.iter().map(String::as_str).filter(|f| *f != broadcast).collect();
    assert_eq!(judged.len(), 15, "formats with tool results: {with_results:?}");
    let by_format = a["by_format"].as_object().unwrap();
    assert_eq!(by_format.len(), 23);
    let n = |b: &serde_json::Value, k: &str| b[k].as_u64().unwrap();
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (format, b) in by_format {
        if judged.contains(&format.as_str()) {
            assert!(n(b, "true_positives") >= 3 && n(b, "true_negatives") >= 3, "{format}: {b}");
            assert_eq!(n(b, "false_positives") + n(b, "false_negatives"), 0, "{format}: {b}");
            (tp, fp, fn_) = (tp + n(b, "true_positives"), fp + n(b, "false_positives"), fn_ + n(b, "false_negatives"));
        } else if format == broadcast {
            assert_eq!(n(b, "false_negatives"), 0, "{format}: {b}");
        } else {
            assert_eq!(n(b, "true_positives") + n(b, "false_positives"), 0, "{format} keeps no tool results: {b}");
        }
    }
    let (p, r) = (tp as f64 / (tp + fp) as f64, tp as f64 / (tp + fn_) as f64);
    assert!(p >= 0.99 && r >= 0.99 && tp >= 100, "P {p} R {r} over {tp} true positives");
    // Each kind of flow and trap was exercised, and the labels name the policy kinds the truth names.
    let kinds = sql_csv(store.to_str().unwrap(), "SELECT DISTINCT item_kind FROM exposures ORDER BY 1")[1..].to_vec();
    assert_eq!(kinds, ["address", "card_number", "date_of_birth", "email", "fraud_case", "phone", "ssn"]);
    let truth = std::fs::read_to_string(dir.path().join("corpus/truth.jsonl")).unwrap();
    for trap in ["allowed", "thought", "user_repeat", "near_miss"] {
        assert!(truth.matches(&format!("\"kind\":\"{trap}\"")).count() >= 10, "too few {trap} traps");
    }
    let manifest = std::fs::read_to_string(dir.path().join("corpus/manifest.csv")).unwrap();
    assert!(manifest.lines().skip(1).all(|l| l.split(',').nth(2) == Some("")), "deployment runs have no τ");
}

/// `tvp sql --policy` masks the values a deployment's policy learns (here the customer records' emails read from
/// `get_customer`), which no catalog or store ground truth knows; without it they print as they are.
#[test]
fn sql_with_a_policy_masks_the_values_it_learns() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    simulate(&corpus, &["--deployment", "--format", "jsonl", "--chains", "5"]);
    let store = dir.path().join("store");
    let run = tvp(&["ingest", "--store", store.to_str().unwrap(), corpus.join("jsonl").to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sql = "SELECT content FROM messages WHERE kind = 'tool_result' AND tool_name = 'get_customer'";
    let policy = corpus.join("policy.toml");
    let query = |extra: &[&str]| {
        let mut args = vec!["sql", "--format", "csv", "--store", store.to_str().unwrap(), sql];
        args.extend_from_slice(extra);
        let run = tvp(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    let email = regex::Regex::new(r"[a-z]+\.[a-z]+\d\d@mailbox\.test").unwrap();
    assert_eq!(email.find_iter(&query(&[])).count(), 5, "{}", query(&[]));
    let masked = query(&["--policy", policy.to_str().unwrap()]);
    assert_eq!(email.find_iter(&masked).count(), 0, "{masked}");
    assert_eq!(masked.matches("@mailbox.test").count(), 0, "{masked}");
    assert!(masked.contains("customer_id"), "the rest of the record stays readable: {masked}");
}

/// `tvp run --deployment`: the demo of a deployment audit in one command, labeled with the policy the simulation
/// wrote; the report has no trust section and its findings name policy kinds.
#[test]
fn run_with_deployment_labels_with_the_written_policy() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = tvp(&["run", "--deployment", "--chains", "40", "--out", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("labeling with the deployment's policy"), "{}", run.stderr);
    let html = std::fs::read_to_string(out.join("report/index.html")).unwrap();
    assert!(html.contains("Labeled with the deployment policy"), "the audit summary names the policy");
    let kinds = sql_csv(out.join("store").to_str().unwrap(), "SELECT DISTINCT item_kind FROM exposures")[1..].to_vec();
    let known = ["address", "card_number", "date_of_birth", "email", "fraud_case", "phone", "ssn"];
    assert!(!kinds.is_empty() && kinds.iter().all(|k| known.contains(&k.as_str())), "{kinds:?}");
    let trust = sql_csv(out.join("store").to_str().unwrap(), "SELECT count(*) FROM runs WHERE trust IS NOT NULL");
    assert_eq!(trust[1], "0", "deployment runs have no τ");
}
