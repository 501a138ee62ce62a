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
    other[other.len() - 1] = "6";
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
}

/// The labeler against the simulator's truth on a small mixed-format corpus: chain-level precision and recall
/// ≥ 0.99, item recall ≥ 0.98 for every form, and no exposure on a decoy, a near miss, private reasoning or a
/// seeker's repetition.
#[test]
fn labels_match_the_truth_file_on_a_small_simulated_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    simulate(&corpus, &["--format", "mixed", "--chains", "2", "--seed", "3"]);
    let store = dir.path().join("store");
    let manifest = corpus.join("manifest.csv");
    let mut args = vec!["ingest", "--store", store.to_str().unwrap(), "--manifest", manifest.to_str().unwrap()];
    let dirs = transcripts(&corpus);
    args.extend(dirs.iter().map(String::as_str));
    let run = tvp(&args);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let truth = corpus.join("truth.jsonl");
    let run = tvp(&["label", "--json", "--store", store.to_str().unwrap(), "--truth", truth.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let a = &summary["accuracy"];
    assert_eq!(a["missing"], 0, "{a}");
    assert_eq!(a["chains"], 912, "{a}");
    let ratio = |n: &serde_json::Value, d: u64| n.as_u64().unwrap() as f64 / d as f64;
    for label in ["over_exposure", "over_authorization", "task_success"] {
        let b = &a[label];
        let tp = b["true_positives"].as_u64().unwrap();
        assert!(tp > 50, "{label}: {b}");
        assert!(ratio(&b["true_positives"], tp + b["false_positives"].as_u64().unwrap()) >= 0.99, "{label}: {b}");
        assert!(ratio(&b["true_positives"], tp + b["false_negatives"].as_u64().unwrap()) >= 0.99, "{label}: {b}");
    }
    for form in ["exact", "normalized", "spelled", "pattern"] {
        let r = &a["items"][form];
        let disclosed = r["disclosed"].as_u64().unwrap_or(0);
        assert!(disclosed >= 5, "{form}: {r}");
        assert!(ratio(&r["found"], disclosed) >= 0.98, "{form}: {r}");
    }
    assert_eq!(a["false_exposures"], serde_json::json!({}), "labels without a truth counterpart: {a}");
}
