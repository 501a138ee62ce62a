//! The pipeline as library calls: ingest → label → measure → findings → report, and the audit that strings them
//! together for a CI gate. Every `tvp` subcommand parses its arguments, calls these and prints; no command calls
//! another.
//!
//! In: transcript paths, a store folder, a catalog (or the embedded one). Out: the store's tables, the metrics
//! and fits (when runs carry a trust level and a scenario), the findings, and the report folder. Nothing here
//! prints; progress goes through [`crate::ingest::Progress`].

use std::path::{Path, PathBuf};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::findings::Findings;
use crate::fit::Fits;
use crate::ingest::manifest::Manifest;
use crate::ingest::{Progress, Summary as IngestSummary};
use crate::label::Scope;
use crate::mask::Reveal;
use crate::metrics::Metrics;
use crate::report::ReportData;
use crate::store::Store;

/// How many runs with findings the report's findings view holds (with their transcripts), taken from every
/// system in turn; the rest are counted and are in `tvp findings --json`.
pub const REPORT_RUNS: usize = 1000;
/// Characters of a message the report's transcript view shows before cutting it.
pub const REPORT_MESSAGE_CHARS: usize = 6000;

/// The catalog at `path`, or the embedded one (19 sub-scenes).
pub fn catalog(path: Option<&Path>) -> Result<Catalog> {
    Ok(match path {
        Some(path) => Catalog::load(path)?,
        None => Catalog::embedded()?,
    })
}

/// An empty store at `dir`, removing whatever was there.
pub fn fresh_store(dir: &Path) -> Result<Store> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    }
    Store::create(dir)
}

/// Ingest `paths` into `store`; stops with a usage error naming the paths when no run could be read.
pub fn ingest(
    paths: &[PathBuf],
    store: &Store,
    manifest: Option<Manifest>,
    progress: &dyn Progress,
) -> Result<IngestSummary> {
    let options = crate::ingest::Options { format: None, manifest, strict: false };
    crate::ingest::ingest(paths, store, &options, progress)
}

/// A rejected input record: file, line (when line-oriented) and reason.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reject {
    pub file: String,
    pub line: Option<i64>,
    pub reason: String,
}

/// The first `limit` rejects of the store, by file and line.
pub async fn rejects(store: &Store, limit: usize) -> Result<Vec<Reject>> {
    use arrow::array::{Array, AsArray};
    let ctx = crate::sql::session(store).await?;
    let sql =
        format!("SELECT file, CAST(line AS BIGINT) AS line, reason FROM rejects ORDER BY file, line LIMIT {limit}");
    let mut out = Vec::new();
    for batch in crate::sql::query(&ctx, &sql).await? {
        let file = crate::sql::named(&batch, "file")?.as_string::<i32>();
        let line = crate::sql::named(&batch, "line")?.as_primitive::<arrow::datatypes::Int64Type>();
        let reason = crate::sql::named(&batch, "reason")?.as_string::<i32>();
        for i in 0..batch.num_rows() {
            out.push(Reject {
                file: file.value(i).to_string(),
                line: (!line.is_null(i)).then(|| line.value(i)),
                reason: reason.value(i).to_string(),
            });
        }
    }
    Ok(out)
}

/// Metrics and fits of the labeled store, written to it. Runs without a trust level or a scenario are counted
/// as excluded; when none has both, the metrics are empty (not an error): the report then shows the findings
/// and says what the trust sections need.
pub async fn measure(store: &Store, epsilon: f64) -> Result<(Metrics, Fits)> {
    if !(epsilon > 0.0 && epsilon < 1.0) {
        return Err(Error::Usage(format!("--epsilon must lie in (0, 1), found {epsilon}")));
    }
    let metrics = crate::metrics::compute(store).await?;
    metrics.write(store)?;
    let fits = crate::fit::fit(&metrics, epsilon);
    fits.write(store)?;
    Ok((metrics, fits))
}

/// The findings of a labeled store, masked unless `reveal`.
pub async fn findings(store: &Store, catalog: &Catalog, reveal: Reveal) -> Result<Findings> {
    let (ctx, _truths) = crate::label::session(store, catalog, reveal, Scope::Chain).await?;
    crate::findings::read(&ctx, &store.root.display().to_string(), reveal).await
}

/// Everything a report of a labeled store shows: metrics and fits (written to the store), findings and the
/// transcripts of the first [`REPORT_RUNS`] runs with findings.
pub async fn report_data(
    store: &Store,
    catalog: &Catalog,
    policy: Option<&crate::policy::Policy>,
    epsilon: f64,
    reveal: Reveal,
) -> Result<ReportData> {
    let (metrics, fits) = measure(store, epsilon).await?;
    // With the policy the store was labeled with, its values are masked in the transcripts too.
    let (ctx, _truths) = crate::label::session_with_policy(store, catalog, reveal, Scope::Chain, policy).await?;
    let findings = crate::findings::read(&ctx, &store.root.display().to_string(), reveal).await?;
    let shown = findings.sample(REPORT_RUNS);
    let ids: Vec<String> = shown.iter().cloned().collect();
    let transcripts = crate::findings::transcripts(&ctx, &ids, REPORT_MESSAGE_CHARS, reveal).await?;
    let mut data = ReportData::from_metrics(format!("the labeled store {}", store.root.display()), metrics, fits);
    data.audit = Some(crate::report::Audit { findings, transcripts, shown, policy_read: policy.is_some() });
    data.validity = Some(crate::report::validity::read(&ctx).await?);
    Ok(data)
}

/// Load a policy file (`--policy`), its problems as a usage error.
pub fn policy(path: Option<&Path>) -> Result<Option<crate::policy::Policy>> {
    path.map(|p| crate::policy::Policy::load(p).map_err(|e| Error::Usage(e.to_string()))).transpose()
}

/// The labels' validity: agreement with a judge (from merged external labels) and, given a validation set, the
/// labeler's error and the corrected rates; both written to the store (empty tables where there is nothing).
pub async fn validity(
    store: &Store,
    catalog: &Catalog,
    source: Option<&crate::validity::ValidationSource>,
) -> Result<(Option<crate::validity::Agreement>, Option<crate::validity::Correction>)> {
    let agreement = crate::validity::agreement(store, catalog).await?;
    let correction = match source {
        Some(source) => {
            let (confusion, matched, unmatched) = crate::validity::validation_counts(store, source).await?;
            if matched == 0 {
                return Err(Error::Usage(format!(
                    "no run of `{}` is labeled in {} ({unmatched} runs in the file); label the store first or \
                     check the run ids",
                    source.path().display(),
                    store.root.display()
                )));
            }
            let metrics = crate::metrics::compute(store).await?;
            Some(crate::validity::correct(&metrics, confusion, source, matched, unmatched))
        }
        None => None,
    };
    crate::validity::write_agreement(store, agreement.as_ref())?;
    crate::validity::write_correction(store, correction.as_ref())?;
    Ok((agreement, correction))
}

/// What `tvp audit` fails on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// Any exposure of an item outside the MNI.
    Exposure,
    /// Any action outside the allowed ones.
    OverAuthorization,
    /// Either.
    Any,
    /// Nothing: report only.
    Never,
}

impl FailOn {
    /// Whether `findings` hold what this fails on.
    pub fn matches(self, findings: &Findings) -> bool {
        let exposed = findings.summary.exposures > 0;
        let authorized = findings.summary.over_authorized > 0;
        match self {
            FailOn::Exposure => exposed,
            FailOn::OverAuthorization => authorized,
            FailOn::Any => exposed || authorized,
            FailOn::Never => false,
        }
    }
}

/// What an audit reads beside the transcripts, and when it fails.
pub struct AuditOptions {
    pub manifest: Option<Manifest>,
    /// A deployment's secrets policy, as `tvp label --policy`.
    pub policy: Option<crate::policy::Policy>,
    pub fail_on: FailOn,
    pub reveal: Reveal,
}

/// What an audit found and read.
pub struct Audited {
    pub ingest: IngestSummary,
    pub rejects: Vec<Reject>,
    pub labels: crate::label::Summary,
    pub findings: Findings,
    pub failed: bool,
}

/// How many rejects an audit names.
pub const AUDIT_REJECTS: usize = 20;

/// Ingest `paths` into `store` (which should be empty), label them against `catalog` (and a deployment policy, when
/// given), and read the findings;
/// `failed` says whether they match `fail_on`.
pub async fn audit(
    paths: &[PathBuf],
    store: &Store,
    catalog: &Catalog,
    options: AuditOptions,
    progress: &dyn Progress,
) -> Result<Audited> {
    let AuditOptions { manifest, policy, fail_on, reveal } = options;
    let summary = ingest(paths, store, manifest, progress)?;
    let rejects = if summary.rejected > 0 { rejects(store, AUDIT_REJECTS).await? } else { Vec::new() };
    if summary.runs == 0 {
        let why = rejects.first().map_or(String::new(), |r| {
            format!(
                " (first reject: {}{}: {})",
                r.file,
                r.line.map_or(String::new(), |l| format!(" line {l}")),
                r.reason
            )
        });
        return Err(Error::Usage(format!(
            "no run could be read from {}{why}; `tvp formats` lists what tvp reads",
            paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        )));
    }
    let mut options = crate::label::Options::new(Scope::Chain, reveal);
    options.policy = policy;
    let by_policy = options.policy.is_some();
    let labels = crate::label::label(store, catalog, &options).await?;
    let mut findings = findings(store, catalog, reveal).await?;
    if by_policy {
        findings.summary.without_ground_truth = None;
    }
    let failed = fail_on.matches(&findings);
    Ok(Audited { ingest: summary, rejects, labels, findings, failed })
}

/// A folder under the system's temporary directory, removed when dropped (the audit's store when none is given).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Result<TempDir> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|source| Error::Write { path: path.clone(), source })?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
