//! tvp's own files beside a simulated corpus: `tvp simulate --out DIR` writes the chains' ground truth
//! (`truth.jsonl`) and their metadata (`manifest.csv`) next to the transcripts. Ingesting DIR finds them; they are
//! not transcripts, so ingest skips them with a note instead of rejecting them as an unknown format.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The simulator's ground-truth file, one JSON object per chain.
pub const TRUTH_FILE: &str = "truth.jsonl";
/// The simulator's manifest of run metadata.
pub const MANIFEST_FILE: &str = "manifest.csv";
/// The manifest's header line.
pub const MANIFEST_HEADER: &str = "run_id,path,trust,backend,framework,defense,scenario_id,seed,repetition,synthetic";

/// Why a file is skipped, when it is one of tvp's own: its name and its first line say so.
pub fn own_file(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    if name != TRUTH_FILE && name != MANIFEST_FILE {
        return None;
    }
    let mut first = String::new();
    BufReader::new(std::fs::File::open(path).ok()?.take(64 * 1024)).read_line(&mut first).ok()?;
    let first = first.trim_end();
    if name == MANIFEST_FILE && first == MANIFEST_HEADER {
        return Some("tvp's own manifest from `tvp simulate`, not a transcript (pass it with `--manifest`)");
    }
    let object = serde_json::from_str::<serde_json::Value>(first).ok()?;
    let is_truth = ["run_id", "scenario_id", "synthetic"].iter().all(|k| object.get(k).is_some());
    (name == TRUTH_FILE && is_truth)
        .then_some("tvp's own ground truth from `tvp simulate`, not a transcript (`tvp label --truth` reads it)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_with_the_simulators_names_and_first_lines_are_own() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let truth = write(TRUTH_FILE, "{\"run_id\":\"sim7-0000001\",\"scenario_id\":\"S1-1\",\"synthetic\":true}\n");
        assert!(own_file(&truth).is_some());
        let manifest = write(MANIFEST_FILE, &format!("{MANIFEST_HEADER}\nsim7-0000001,,0.5,b,f,none,S1-1,7,0,true\n"));
        assert!(own_file(&manifest).is_some());
        // A transcript that happens to be named truth.jsonl is read as one.
        let other = write(TRUTH_FILE, "{\"run_id\":\"r\",\"sender\":\"a\",\"content\":\"hi\"}\n");
        assert!(own_file(&other).is_none());
        assert!(
            own_file(&write("runs.jsonl", "{\"run_id\":\"r\",\"scenario_id\":\"s\",\"synthetic\":true}\n")).is_none()
        );
    }
}
