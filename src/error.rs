//! The library's error type: each variant carries the context a user needs to fix the problem, and says whether
//! the input was at fault (exit code 1) or tvp itself (exit code 2).

use std::path::PathBuf;

use crate::catalog::CatalogErrors;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the scenario catalog is invalid:\n{0}")]
    Catalog(#[from] CatalogErrors),

    #[error("no scenario `{id}` in {origin}")]
    UnknownScenario { id: String, origin: String },

    #[error("cannot read `{}`: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },

    #[error("cannot write `{}`: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },

    #[error("no store at `{}`", path.display())]
    NoStore { path: PathBuf },

    #[error("`{}` is damaged: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },

    #[error("manifest `{}`{}: {reason}", path.display(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Manifest { path: PathBuf, line: Option<u64>, reason: String },

    #[error("`{path}`{}: {reason}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Input { path: String, line: Option<u64>, reason: String },

    #[error("system profiles {origin}: {message}")]
    Profiles { origin: String, message: String },

    #[error("{0}")]
    Usage(String),

    #[error("unknown format `{name}`")]
    UnknownFormat { name: String },

    #[error("SQL: {message}")]
    Sql { message: String },

    #[error("rule {query}: {message}")]
    Query { query: String, message: String },

    #[error("cluster: {message}")]
    Cluster { message: String },

    #[error("cannot reach the Ballista scheduler at {url}: {reason}")]
    SchedulerUnreachable { url: String, reason: String },

    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// 1 when the input is at fault, 2 when tvp is.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Catalog(_)
            | Error::UnknownScenario { .. }
            | Error::Read { .. }
            | Error::NoStore { .. }
            | Error::Manifest { .. }
            | Error::UnknownFormat { .. }
            | Error::Profiles { .. }
            | Error::Input { .. }
            | Error::Usage(_)
            | Error::Sql { .. }
            | Error::Query { .. }
            | Error::SchedulerUnreachable { .. } => 1,
            Error::Cluster { .. } => 2,
            Error::Write { .. } | Error::Corrupt { .. } | Error::Internal(_) => 2,
        }
    }

    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Catalog(_) => Some("the catalog format is described in `data/scenarios/README.md`".into()),
            Error::UnknownScenario { .. } => Some("`tvp catalog show` lists the scenario ids".into()),
            Error::Read { .. } => Some("check that the path exists and is readable".into()),
            Error::Write { .. } => Some("check that the folder exists, is writable and the disk is not full".into()),
            Error::NoStore { .. } => Some("create one with `tvp ingest PATH... --store DIR`".into()),
            Error::Corrupt { .. } => {
                Some("the file may be half-written by another tool; move it away and rerun".into())
            }
            Error::Manifest { .. } => Some("the manifest format is in the README, section Run metadata".into()),
            Error::UnknownFormat { .. } => Some("`tvp formats` lists the format names".into()),
            Error::Profiles { .. } => Some("the system profile format is described in `data/README.md`".into()),
            Error::Input { .. } => {
                Some("fix the named line; `tvp <command> --help` describes the expected columns".into())
            }
            Error::Usage(_) => Some("`tvp help` and `tvp <command> --help` show the options".into()),
            Error::Sql { .. } => {
                Some("`tvp sql --store DIR \"SHOW TABLES\"` lists the tables; the README lists their columns".into())
            }
            Error::Query { .. } => {
                Some("each file in `queries/` holds one SQL statement; `tvp sql` tries one out".into())
            }
            Error::Cluster { .. } => Some(
                "a job fails when an executor leaves while it runs, or when an executor cannot read the store: \
                 check the scheduler's and the executors' output, and that every node sees the store at the same path"
                    .into(),
            ),
            Error::SchedulerUnreachable { url, .. } => Some(format!(
                "start one with `tvp cluster scheduler --bind {}` and at least one `tvp cluster executor`, or check \
                 the address (README, section Running on a cluster)",
                url.trim_start_matches("df://")
            )),
            Error::Internal(_) => Some("this is a bug in tvp; please report it with the command you ran".into()),
        }
    }
}
