//! End-to-end tests of the `tvp` binary: one module per subcommand, each running the real executable.

mod audit;
mod catalog;
mod cluster;
mod ingest;
mod label;
mod project;
mod properties;
mod report;
mod simulate;
mod validity;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The outcome of one `tvp` invocation.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run the built `tvp` with `args` from the crate root.
pub fn tvp(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_tvp"))
        .args(args)
        .current_dir(crate_root())
        .output()
        .expect("the tvp binary runs");
    Run {
        code: out.status.code().expect("tvp exited normally"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> String {
    let path = crate_root().join("tests/fixtures").join(rel);
    assert!(Path::new(&path).exists(), "missing fixture {}", path.display());
    path.display().to_string()
}

/// A path under `../shared` (the real transcripts CI provides beside the clone).
pub fn shared(rel: &str) -> String {
    let path = crate_root().join("../shared").join(rel);
    assert!(path.exists(), "missing shared data {}", path.display());
    path.display().to_string()
}
