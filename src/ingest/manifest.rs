//! The run manifest: experimental conditions for logs that do not record them (trust, backend, framework,
//! defense, scenario, seed, repetition), keyed by run id or by a glob over the source path.
//!
//! CSV with a header row, or JSON (an array of objects, or `{"runs": [...]}`), with the columns `run_id` or `path`
//! (at least one per row) and any of `trust`, `backend`, `framework`, `defense`, `scenario_id`, `seed`,
//! `repetition`, `synthetic`. A run id match wins over a path match; among path globs the first matching row wins.
//! What the log itself records wins over the manifest, except framework and backend: they name the system under
//! test, which adapters only infer (from the file format, from the model name), so a manifest's `framework` and
//! `backend` (e.g. `AgentScope` and `DeepSeek` for a chain whose log says `deepseek-chat` in LangGraph's format)
//! replace them.

use std::collections::HashMap;
use std::path::Path;

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use super::record::RunMeta;
use crate::error::{Error, Result};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    run_id: Option<String>,
    path: Option<String>,
    trust: Option<f64>,
    backend: Option<String>,
    framework: Option<String>,
    defense: Option<String>,
    scenario_id: Option<String>,
    seed: Option<i64>,
    repetition: Option<i32>,
    synthetic: Option<bool>,
}

/// How a row's `path` is matched: a path without wildcards matches a source whose path ends with it (whole
/// components: `chat/run-7.json` matches `/logs/chat/run-7.json`), a glob matches the full path or the file name.
#[derive(Debug)]
enum PathRule {
    Literal(std::path::PathBuf),
    Glob(GlobMatcher),
}

#[derive(Debug)]
struct Entry {
    path: Option<PathRule>,
    meta: RunMeta,
}

/// Rows indexed so that a lookup costs the same with a million rows as with ten: run ids and the file names of
/// literal paths in hash maps; only wildcard globs are tried one by one.
#[derive(Debug, Default)]
pub struct Manifest {
    entries: Vec<Entry>,
    by_run: HashMap<String, usize>,
    by_file_name: HashMap<String, Vec<usize>>,
    globs: Vec<usize>,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
        let is_json = text.trim_start().starts_with(['[', '{']);
        let rows = if is_json { json_rows(path, &text)? } else { csv_rows(path, &text)? };
        let mut manifest = Manifest::default();
        let mut entries = Vec::new();
        for (line, row) in rows {
            let bad = |reason: String| Error::Manifest { path: path.to_path_buf(), line, reason };
            if row.run_id.is_none() && row.path.is_none() {
                return Err(bad("the row has neither `run_id` nor `path`".into()));
            }
            if let Some(t) = row.trust
                && !(0.0..=1.0).contains(&t)
            {
                return Err(bad(format!("`trust` must lie in [0, 1], found {t}")));
            }
            let index = entries.len();
            let rule = match &row.path {
                Some(p) if p.contains(['*', '?', '[', '{']) => {
                    let glob = Glob::new(p).map_err(|e| bad(format!("`path` is not a valid glob: {e}")))?;
                    manifest.globs.push(index);
                    Some(PathRule::Glob(glob.compile_matcher()))
                }
                Some(p) => {
                    let literal = std::path::PathBuf::from(p);
                    let name = literal.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    manifest.by_file_name.entry(name).or_default().push(index);
                    Some(PathRule::Literal(literal))
                }
                None => None,
            };
            if let Some(run_id) = &row.run_id {
                manifest.by_run.entry(run_id.clone()).or_insert(index);
            }
            entries.push(Entry {
                path: rule,
                meta: RunMeta {
                    framework: row.framework,
                    backend: row.backend,
                    scenario_id: row.scenario_id,
                    trust: row.trust,
                    defense: row.defense,
                    seed: row.seed,
                    repetition: row.repetition,
                    synthetic: row.synthetic,
                    started_at: None,
                },
            });
        }
        manifest.entries = entries;
        Ok(manifest)
    }

    /// The metadata listed for a run, by its id or else by its source file path; among path rows the first in the
    /// file that matches wins.
    pub fn lookup(&self, run_id: &str, source_file: &str) -> Option<RunMeta> {
        if let Some(&i) = self.by_run.get(run_id) {
            return Some(self.entries[i].meta.clone());
        }
        let file = Path::new(source_file);
        let name = file.file_name().map(|n| n.to_string_lossy());
        let literal = name.as_deref().and_then(|n| self.by_file_name.get(n)).and_then(|rows| {
            rows.iter()
                .copied()
                .find(|&i| matches!(&self.entries[i].path, Some(PathRule::Literal(p)) if file.ends_with(p)))
        });
        let glob = self.globs.iter().copied().find(|&i| match &self.entries[i].path {
            Some(PathRule::Glob(g)) => g.is_match(file) || file.file_name().is_some_and(|n| g.is_match(Path::new(n))),
            _ => false,
        });
        [literal, glob].into_iter().flatten().min().map(|i| self.entries[i].meta.clone())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn json_rows(path: &Path, text: &str) -> Result<Vec<(Option<u64>, Row)>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Doc {
        List(Vec<Row>),
        Wrapped { runs: Vec<Row> },
    }
    let doc: Doc = serde_json::from_str(text).map_err(|e| Error::Manifest {
        path: path.to_path_buf(),
        line: Some(e.line() as u64),
        reason: format!("not a JSON list of runs (each with `run_id` or `path` and known keys only): {e}"),
    })?;
    let rows = match doc {
        Doc::List(rows) | Doc::Wrapped { runs: rows } => rows,
    };
    Ok(rows.into_iter().map(|r| (None, r)).collect())
}

fn csv_rows(path: &Path, text: &str) -> Result<Vec<(Option<u64>, Row)>> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let Some((_, header)) = lines.next() else {
        return Err(Error::Manifest { path: path.to_path_buf(), line: None, reason: "the file is empty".into() });
    };
    let columns: Vec<String> = header.split(',').map(|c| c.trim().to_lowercase()).collect();
    let mut rows = Vec::new();
    for (index, line) in lines {
        let line_no = Some(index as u64 + 1);
        let bad = |reason: String| Error::Manifest { path: path.to_path_buf(), line: line_no, reason };
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != columns.len() {
            return Err(bad(format!("{} cells, but the header names {} columns", cells.len(), columns.len())));
        }
        let mut row = Row::default();
        for (column, cell) in columns.iter().zip(cells) {
            if cell.is_empty() {
                continue;
            }
            let text = Some(cell.to_string());
            match column.as_str() {
                "run_id" => row.run_id = text,
                "path" => row.path = text,
                "backend" => row.backend = text,
                "framework" => row.framework = text,
                "defense" => row.defense = text,
                "scenario_id" => row.scenario_id = text,
                "trust" => row.trust = Some(cell.parse().map_err(|_| bad(format!("`trust` is not a number: {cell}")))?),
                "seed" => row.seed = Some(cell.parse().map_err(|_| bad(format!("`seed` is not an integer: {cell}")))?),
                "repetition" => {
                    row.repetition =
                        Some(cell.parse().map_err(|_| bad(format!("`repetition` is not an integer: {cell}")))?)
                }
                "synthetic" => {
                    row.synthetic = Some(match cell.to_ascii_lowercase().as_str() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        _ => return Err(bad(format!("`synthetic` is not true or false: {cell}"))),
                    })
                }
                other => {
                    return Err(bad(format!(
                        "unknown column `{other}`; known: run_id, path, trust, backend, framework, defense, \
                         scenario_id, seed, repetition, synthetic"
                    )));
                }
            }
        }
        rows.push((line_no, row));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str, ext: &str) -> Result<Manifest> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("m.{ext}"));
        std::fs::write(&path, text).unwrap();
        Manifest::load(&path)
    }

    #[test]
    fn run_id_wins_over_path_and_path_matches_file_names() {
        let m = manifest("run_id,path,trust,backend\nr7,,0.9,gpt\n,*.jsonl,0.1,qwen\n", "csv").unwrap();
        assert_eq!(m.lookup("r7", "/x/a.jsonl").unwrap().trust, Some(0.9));
        let by_path = m.lookup("other", "/x/a.jsonl").unwrap();
        assert_eq!((by_path.trust, by_path.backend.as_deref()), (Some(0.1), Some("qwen")));
        assert!(m.lookup("other", "/x/a.json").is_none());
    }

    #[test]
    fn literal_paths_match_whole_trailing_components_and_the_first_matching_row_wins() {
        let text = "run_id,path,trust\n,chat/run-7.json,0.1\n,*.json,0.5\nr9,team/team.json,0.9\n";
        let m = manifest(text, "csv").unwrap();
        assert_eq!(m.lookup("x", "/logs/chat/run-7.json").unwrap().trust, Some(0.1));
        // Not a whole component: `xchat/run-7.json` is matched only by the glob.
        assert_eq!(m.lookup("x", "/logs/xchat/run-7.json").unwrap().trust, Some(0.5));
        // A row with both a run id and a path answers to either.
        assert_eq!(m.lookup("r9", "/elsewhere/a.txt").unwrap().trust, Some(0.9));
        assert_eq!(m.lookup("team-1a2b", "/corpus/team/team.json").unwrap().trust, Some(0.5));
        assert_eq!(m.lookup("team-1a2b", "/corpus/team/team.txt"), None);
    }

    #[test]
    fn json_manifest_and_errors_name_the_line() {
        let m = manifest(r#"{"runs": [{"path": "logs/**", "trust": 0.5, "defense": "guardian"}]}"#, "json").unwrap();
        assert_eq!(m.lookup("x", "logs/a/b.json").unwrap().defense.as_deref(), Some("guardian"));
        let err = manifest("run_id,trust\nr1,high\n", "csv").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("`trust` is not a number"), "{err}");
        let err = manifest("run_id,temperature\nr1,1\n", "csv").unwrap_err().to_string();
        assert!(err.contains("unknown column `temperature`"), "{err}");
        let err = manifest("run_id,trust\nr1,1.5\n", "csv").unwrap_err().to_string();
        assert!(err.contains("[0, 1]"), "{err}");
    }
}
