//! `tvp catalog check|show` on the shipped catalog and on broken catalogs, one per error class.

use super::{fixture, tvp};

#[test]
fn shipped_catalog_has_19_scenarios_in_3_macro_scenes() {
    let run = tvp(&["catalog", "check"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(run.stdout.contains("19 scenarios in 3 macro scenes"), "{}", run.stdout);
    for (scene, count) in [("S1", 6), ("S2", 7), ("S3", 6)] {
        let line = run.stdout.lines().find(|l| l.trim_start().starts_with(scene)).expect(scene);
        assert!(line.contains(&format!("{count} scenarios")), "{line}");
    }
}

#[test]
fn shipped_folder_checks_the_same_as_the_built_in_copy() {
    let from_disk = tvp(&["catalog", "check", "data/scenarios"]);
    let built_in = tvp(&["catalog", "check"]);
    assert_eq!(from_disk.code, 0, "{}", from_disk.stderr);
    let summary = |s: &str| s.lines().skip(1).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(summary(&from_disk.stdout), summary(&built_in.stdout), "the built-in catalog is stale");
}

#[test]
fn valid_fixture_checks() {
    let run = tvp(&["catalog", "check", &fixture("catalog/valid.toml")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("1 scenarios in 1 macro scenes"), "{}", run.stdout);
}

/// Each broken fixture fails with exit code 1 and an error naming the file, the scenario and the field.
fn assert_rejected(file: &str, scenario: &str, field: &str, says: &str) {
    let path = fixture(&format!("catalog/{file}"));
    let run = tvp(&["catalog", "check", &path]);
    assert_eq!(run.code, 1, "{file} should be rejected; stdout: {}", run.stdout);
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("error:") && l.contains(says))
        .unwrap_or_else(|| panic!("{file}: no error saying {says:?} in:\n{}", run.stderr));
    assert!(line.contains(&path), "names the file: {line}");
    assert!(line.contains(&format!("scenario {scenario}")), "names the scenario: {line}");
    assert!(line.contains(&format!("field {field}")), "names the field: {line}");
    assert!(run.stderr.contains("hint:"), "gives a hint: {}", run.stderr);
}

#[test]
fn unknown_key_is_rejected() {
    assert_rejected("unknown_key.toml", "T1-1", "items[0]", "unknown field `secret_level`");
}

#[test]
fn duplicate_scenario_id_is_rejected() {
    assert_rejected("duplicate_id.toml", "T1-1", "id", "duplicate scenario id \"T1-1\"");
}

#[test]
fn mni_naming_an_unknown_item_is_rejected() {
    assert_rejected("mni_unknown_item.toml", "T1-1", "mni[1]", "names unknown item \"payroll\"");
}

#[test]
fn empty_value_is_rejected() {
    assert_rejected("empty_value.toml", "T1-1", "items[0].values[1]", "is empty");
}

#[test]
fn malformed_regex_is_rejected() {
    assert_rejected("bad_regex.toml", "T1-1", "items[0].patterns[0]", "is not a valid regex");
}

#[test]
fn decoy_equal_to_a_secret_is_rejected() {
    assert_rejected("decoy_equals_secret.toml", "T1-1", "decoys[0].value", "equals a value of item \"door_code\"");
}

#[test]
fn unknown_item_kind_is_rejected() {
    assert_rejected("bad_kind.toml", "T1-1", "items[1].kind", "unknown variant `gossip`");
}

#[test]
fn missing_path_is_bad_input_with_advice() {
    let run = tvp(&["catalog", "check", "no/such/catalog"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no/such/catalog") && run.stderr.contains("cannot read"), "{}", run.stderr);
}

#[test]
fn show_masks_secrets_unless_revealed() {
    let masked = tvp(&["catalog", "show", "S1-4"]);
    assert_eq!(masked.code, 0, "{}", masked.stderr);
    assert!(masked.stdout.contains("\"01**\""), "{}", masked.stdout);
    assert!(!masked.stdout.contains("0107"), "the real code leaks: {}", masked.stdout);
    assert!(masked.stdout.contains("\"1234\""), "the decoy is shown as it is: {}", masked.stdout);
    let revealed = tvp(&["catalog", "show", "s1-4", "--reveal"]);
    assert!(revealed.stdout.contains("\"0107\""), "{}", revealed.stdout);
}

#[test]
fn show_lists_every_scenario_and_rejects_unknown_ids() {
    let list = tvp(&["catalog", "show"]);
    assert_eq!(list.code, 0);
    assert_eq!(list.stdout.lines().filter(|l| l.starts_with('S')).count(), 19, "{}", list.stdout);
    let unknown = tvp(&["catalog", "show", "S9-9"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("no scenario `S9-9`") && unknown.stderr.contains("hint:"), "{}", unknown.stderr);
}

#[test]
fn usage_errors_exit_1() {
    let run = tvp(&["catalog", "frobnicate"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(tvp(&["--help"]).code, 0);
}
