//! The project's own promises: CI runs exactly the README's test command.

use super::crate_root;

/// The README's set-up commands are the fenced `sh` lines of its "Quick start" section.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(crate_root().join("README.md")).expect("README.md");
    let start = readme.find("## Quick start").expect("README has a Quick start section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut commands = Vec::new();
    let mut in_block = false;
    for line in section.lines() {
        if line.starts_with("```") {
            in_block = !in_block;
        } else if in_block && !line.trim().is_empty() && !line.trim_start().starts_with('#') {
            commands.push(line.trim().to_string());
        }
    }
    commands
}

#[test]
fn readme_has_two_setup_commands_and_ci_runs_the_test_one() {
    let commands = readme_commands();
    assert_eq!(commands.len(), 2, "README quick start must give exactly two commands: {commands:?}");
    let ci = std::fs::read_to_string(crate_root().join(".ci/run")).expect(".ci/run");
    let test_command = &commands[1];
    assert!(test_command.starts_with("cargo test"), "second command runs the tests: {test_command}");
    assert!(
        ci.lines().any(|l| l.trim() == test_command),
        ".ci/run must run the README's test command `{test_command}` as it is"
    );
}

#[test]
fn readme_formats_table_names_every_adapter() {
    let readme = std::fs::read_to_string(crate_root().join("README.md")).expect("README.md");
    for adapter in tvp::ingest::registry::adapters() {
        assert!(
            readme.contains(&format!("| `{}` |", adapter.name())),
            "README's formats table lacks `{}`",
            adapter.name()
        );
    }
}
