//! The labeling rules: `queries/*.sql`, embedded in the binary, run in file-name order. Each file holds one
//! statement whose result becomes a table named after the file without its number (`40_exposures.sql` →
//! `exposures`), so later rules can read it. `--queries DIR` adds rules or overrides embedded ones of the same
//! file name; statements are checked with DataFusion's SQL parser before anything runs.

use std::path::Path;

use datafusion::sql::parser::DFParser;

use crate::error::{Error, Result};

const EMBEDDED: [(&str, &str); 11] = [
    ("10_ground_items", include_str!("../../queries/10_ground_items.sql")),
    ("11_ground_actions", include_str!("../../queries/11_ground_actions.sql")),
    ("12_run_truth", include_str!("../../queries/12_run_truth.sql")),
    ("20_outward_messages", include_str!("../../queries/20_outward_messages.sql")),
    ("30_item_matches", include_str!("../../queries/30_item_matches.sql")),
    ("35_relays", include_str!("../../queries/35_relays.sql")),
    ("36_split_values", include_str!("../../queries/36_split_values.sql")),
    ("40_exposures", include_str!("../../queries/40_exposures.sql")),
    ("50_authorizations", include_str!("../../queries/50_authorizations.sql")),
    ("60_task_success", include_str!("../../queries/60_task_success.sql")),
    ("70_outcomes", include_str!("../../queries/70_outcomes.sql")),
];

/// One labeling rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The file stem, recorded as provenance in the labels (`40_exposures`).
    pub name: String,
    /// The table its result is registered as (`exposures`).
    pub table: String,
    pub sql: String,
    /// `built-in` or the file it was read from.
    pub origin: String,
}

/// The embedded rules, with those of `dir` added or overriding, in name order.
pub fn rules(dir: Option<&Path>) -> Result<Vec<Rule>> {
    let mut rules: Vec<Rule> =
        EMBEDDED.iter().map(|(name, sql)| rule(name, sql.to_string(), "built-in".into())).collect();
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|source| Error::Read { path: dir.to_path_buf(), source })?;
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        paths.sort();
        for path in paths {
            let sql = std::fs::read_to_string(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let added = rule(&name, sql, path.display().to_string());
            rules.retain(|r| r.name != added.name);
            rules.push(added);
        }
    }
    rules.sort_by(|a, b| a.name.cmp(&b.name));
    for r in &rules {
        let statements = DFParser::parse_sql(&r.sql)
            .map_err(|e| Error::Query { query: r.origin_name(), message: format!("does not parse: {e}") })?;
        if statements.len() != 1 {
            return Err(Error::Query {
                query: r.origin_name(),
                message: format!("holds {} statements; a rule is exactly one query", statements.len()),
            });
        }
    }
    Ok(rules)
}

fn rule(name: &str, sql: String, origin: String) -> Rule {
    let table = name.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start_matches('_').to_string();
    Rule { name: name.to_string(), table, sql, origin }
}

impl Rule {
    pub fn origin_name(&self) -> String {
        if self.origin == "built-in" { format!("{} (built-in)", self.name) } else { self.origin.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_rules_parse_and_name_their_tables() {
        let rules = rules(None).unwrap();
        let tables: Vec<&str> = rules.iter().map(|r| r.table.as_str()).collect();
        assert_eq!(
            tables,
            [
                "ground_items",
                "ground_actions",
                "run_truth",
                "outward_messages",
                "item_matches",
                "relays",
                "split_values",
                "exposures",
                "authorizations",
                "task_success",
                "outcomes"
            ]
        );
        for r in &rules {
            assert!(r.sql.trim_start().starts_with("--"), "{} must open with a comment saying what it does", r.name);
        }
    }

    #[test]
    fn a_user_rule_overrides_by_name_and_two_statements_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("40_exposures.sql"), "SELECT 1 AS x").unwrap();
        std::fs::write(dir.path().join("80_extra.sql"), "SELECT 2 AS y").unwrap();
        let rules = rules(Some(dir.path())).unwrap();
        assert_eq!(rules.iter().find(|r| r.table == "exposures").unwrap().sql, "SELECT 1 AS x");
        assert_eq!(rules.last().unwrap().table, "extra");
        std::fs::write(dir.path().join("90_bad.sql"), "SELECT 1; SELECT 2").unwrap();
        let err = super::rules(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("90_bad.sql") && err.contains("2 statements"), "{err}");
    }
}
