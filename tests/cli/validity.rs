//! `tvp validity`: judge agreement (Cohen's κ, review queue) from labels merged by `tvp label --labels`, and OERs
//! corrected for the labeler's error measured on human labels or on the simulator's truth file (issue 13).

use std::path::Path;

use super::ingest::{sql_csv, sql_json};
use super::simulate::transcripts;
use super::{fixture, tvp};

/// The hand-written S1-1 chains, ingested and labeled with `extra` label arguments.
fn labeled_store(extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let run = tvp(&["ingest", "--store", store, &fixture("label/s1-1_chains.jsonl")]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let mut args = vec!["label", "--store", store];
    args.extend_from_slice(extra);
    let run = tvp(&args);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    dir
}

fn close(got: &serde_json::Value, want: f64) -> bool {
    got.as_f64().is_some_and(|g| (g - want).abs() < 1e-12)
}

#[test]
fn judge_agreement_per_item_kind_with_a_review_queue() {
    let dir = labeled_store(&["--labels", &fixture("validity/judge_labels.jsonl")]);
    let store = dir.path().to_str().unwrap();
    let run = tvp(&["validity", "--store", store]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("review queue: 2 disagreements"), "{}", run.stdout);
    assert!(run.stdout.contains("no validation set given"), "{}", run.stdout);

    // Labeled runs with a scenario (leak, safe, spelled) × S1-1's two secrets outside the MNI: 6 units. Both say
    // leak/vault; the judge alone says safe/main; the rules alone say spelled/main.
    let rows = sql_json(store, "SELECT * FROM validity_agreement ORDER BY item_kind");
    assert_eq!(rows.len(), 2, "{rows:?}");
    for row in &rows {
        assert_eq!((&row["units"], &row["both"], &row["rule_only"]), (&6.into(), &1.into(), &1.into()), "{row}");
        assert_eq!((&row["judge_only"], &row["neither"]), (&1.into(), &3.into()), "{row}");
        // statsmodels cohens_kappa([[1, 1], [1, 3]]): kappa, std_kappa, kappa_low, kappa_upp.
        assert!(close(&row["kappa"], 0.24999999999999986), "{row}");
        assert!(close(&row["kappa_se"], 0.41221581119602874), "{row}");
        assert!(close(&row["kappa_low"], -0.5579281438021794), "{row}");
        assert!(close(&row["kappa_high"], 1.057928143802179), "{row}");
    }
    assert_eq!(rows[0]["item_kind"], "all");
    assert_eq!(rows[1]["item_kind"], "password");

    let queue = sql_csv(
        store,
        "SELECT run_id, item_id, disagreement, rules_say, judge_says, array_to_string(rule_turns, ' '), \
         array_to_string(judge_turns, ' '), array_to_string(rule_match_kinds, ' ') FROM review_queue ORDER BY run_id",
    );
    assert_eq!(
        queue[1..],
        [
            "safe,main_warehouse_password,judge_only,false,true,,4,",
            "spelled,main_warehouse_password,rule_only,true,false,2,,spelled"
        ]
    );
}

#[test]
fn without_judge_labels_or_a_validation_set_it_says_so_and_leaves_the_tables_empty() {
    let dir = labeled_store(&[]);
    let store = dir.path().to_str().unwrap();
    let run = tvp(&["validity", "--store", store]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("no external labels in the store"), "{}", run.stdout);
    assert!(run.stdout.contains("no validation set given"), "{}", run.stdout);
    for table in ["validity_agreement", "review_queue", "validity_labeler", "validity_corrected"] {
        assert_eq!(sql_csv(store, &format!("SELECT count(*) AS n FROM {table}"))[1], "0", "{table}");
    }
}

#[test]
fn human_labels_give_sensitivity_specificity_and_clamped_corrected_rates() {
    let dir = labeled_store(&[]);
    let store = dir.path().to_str().unwrap();
    // The rules say leak and spelled over-exposed, safe not; the humans say leak only (and a run not in the store).
    let run = tvp(&["validity", "--store", store, "--validation", &fixture("validity/human_labels.csv")]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("3 runs matched, 1 not in the store"), "{}", run.stdout);

    let labeler = sql_json(store, "SELECT measure, k, n, value, low, high, matched, unmatched FROM validity_labeler");
    assert_eq!(labeler.len(), 2);
    // Sensitivity 1/1, specificity 1/2; Wilson intervals from statsmodels proportion_confint(method="wilson").
    assert_eq!(
        (&labeler[0]["measure"], &labeler[0]["k"], &labeler[0]["n"]),
        (&"sensitivity".into(), &1.into(), &1.into())
    );
    assert!(close(&labeler[0]["low"], 0.2065493143772374), "{}", labeler[0]);
    assert_eq!(
        (&labeler[1]["measure"], &labeler[1]["k"], &labeler[1]["n"]),
        (&"specificity".into(), &1.into(), &2.into())
    );
    assert!(close(&labeler[1]["low"], 0.09453120573423068) && close(&labeler[1]["high"], 0.9054687942657693));
    assert_eq!((&labeler[0]["matched"], &labeler[0]["unmatched"]), (&3.into(), &1.into()));

    // Rogan-Gladen with se = 1, sp = 0.5: OER 1 → 1; OER 0 → (0 − 0.5)/0.5 = −1, clamped to 0.
    let rows = sql_json(
        store,
        "SELECT scenario_id, trust, aggregation, oer, corrected, corrected_raw, clamped, corrected_low, \
         corrected_high, replicates + dropped AS b FROM validity_corrected ORDER BY aggregation, trust",
    );
    assert_eq!(rows.len(), 6, "{rows:?}");
    for row in &rows {
        assert_eq!(row["b"], 2000, "{row}");
        let lo = row["corrected_low"].as_f64().unwrap();
        let hi = row["corrected_high"].as_f64().unwrap();
        let value = row["corrected"].as_f64().unwrap();
        assert!((0.0..=value).contains(&lo) && (value..=1.0).contains(&hi), "{row}");
    }
    let safe = &rows[0];
    assert_eq!((&safe["aggregation"], &safe["trust"], &safe["oer"]), (&"cell".into(), &0.1.into(), &0.0.into()));
    assert!(close(&safe["corrected_raw"], -1.0) && close(&safe["corrected"], 0.0) && safe["clamped"] == "true");
    let leak = &rows[2];
    assert!(close(&leak["corrected"], 1.0) && leak["clamped"] == "false", "{leak}");
    assert_eq!(rows[3]["aggregation"], "pooled");
    assert!(rows[3]["scenario_id"].is_null());

    // Seeded: a second run writes the same intervals.
    let again = tvp(&["validity", "--store", store, "--validation", &fixture("validity/human_labels.csv")]);
    assert_eq!(again.stdout, run.stdout);
}

#[test]
fn truth_file_of_the_simulator_measures_a_perfect_labeler() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let run = tvp(&[
        "simulate",
        "--out",
        corpus.to_str().unwrap(),
        "--scenario",
        "S1-1,S2-6",
        "--chains",
        "4",
        "--seed",
        "3",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let store = dir.path().join("store");
    let store = store.to_str().unwrap();
    let manifest = corpus.join("manifest.csv");
    let mut args = vec!["ingest", "--store", store, "--manifest", manifest.to_str().unwrap()];
    let dirs = transcripts(&corpus);
    args.extend(dirs.iter().map(String::as_str));
    assert_eq!(tvp(&args).code, 0);
    assert_eq!(tvp(&["label", "--store", store]).code, 0);
    let truth = corpus.join("truth.jsonl");
    let run = tvp(&["validity", "--json", "--store", store, "--truth", truth.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let out: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let c = &out["correction"];
    assert_eq!(c["source"], "truth");
    assert_eq!(c["unmatched"], 0);
    assert_eq!(c["sensitivity"]["value"], 1.0, "{c}");
    assert_eq!(c["specificity"]["value"], 1.0, "{c}");
    // A perfect labeler corrects nothing.
    let rows = sql_json(store, "SELECT oer, corrected, clamped FROM validity_corrected");
    assert!(!rows.is_empty());
    for row in rows {
        assert_eq!(row["oer"], row["corrected"], "{row}");
        assert_eq!(row["clamped"], "false");
    }
}

#[test]
fn bad_arguments_and_files_are_input_errors() {
    let dir = labeled_store(&[]);
    let store = dir.path().to_str().unwrap();
    let both = tvp(&["validity", "--store", store, "--truth", "a.jsonl", "--validation", "b.csv"]);
    assert_eq!(both.code, 1, "{}", both.stderr);
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"run_id\": \"leak\", \"over_exposed\": \"maybe\"}\n").unwrap();
    let run = tvp(&["validity", "--store", store, "--validation", bad.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("line 1") && run.stderr.contains("over_exposed"), "{}", run.stderr);
    let none = dir.path().join("none.csv");
    std::fs::write(&none, "run_id,over_exposed\nnot_here,1\n").unwrap();
    let run = tvp(&["validity", "--store", store, "--validation", none.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("no run of"), "{}", run.stderr);
    assert!(Path::new(store).exists());
}
