//! What a labeling job carries to every process of a cluster: the job's options (`tvp.*` configuration keys, which
//! Ballista sends with every task) and the ground truths the `tvp_*` functions read, resolved from those options.
//!
//! On a cluster the functions hold no state of the client's session: each process finds the truths from the job's
//! options alone, that is from the store (`items`) and the job's folder in it (the catalog's and the policy's items,
//! written as Parquet by the client), at paths every node sees. Each process compiles a key's matcher once per job
//! (see [`truths`]).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use std::any::Any;

use datafusion::common::config::{ConfigEntry, ConfigExtension, ExtensionOptions};
use datafusion::config::ConfigOptions;
use datafusion::error::{DataFusionError, Result as DfResult};

use crate::label::matcher::Views;
use crate::label::truths::Truths;
use crate::mask::Reveal;
use crate::schema::Table;
use crate::store::Store;

/// A labeling job's settings, sent to the scheduler and every executor as `tvp.<name>` configuration keys.
#[derive(Debug, Clone, Default)]
pub struct JobOptions {
    /// The store's folder, as every node of the cluster sees it.
    pub store: String,
    /// The job's folder in the store (its session tables and the rules' intermediate results).
    pub job: String,
    /// Whether evidence and masked text show secrets as they are.
    pub reveal: bool,
    /// Whether the matcher runs the paper's views only (`--views plain`).
    pub plain_views: bool,
}

impl ConfigExtension for JobOptions {
    const PREFIX: &'static str = "tvp";
}

// Written out rather than by `extensions_options!`, whose entries leave out the `tvp.` prefix: Ballista sends a
// session's options to the executors as the entries' keys, and the executors could not set them back.
impl ExtensionOptions for JobOptions {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn cloned(&self) -> Box<dyn ExtensionOptions> {
        Box::new(self.clone())
    }
    fn set(&mut self, key: &str, value: &str) -> DfResult<()> {
        let flag = || {
            value.parse::<bool>().map_err(|_| DataFusionError::Configuration(format!("tvp.{key} takes true or false")))
        };
        match key {
            "store" => self.store = value.to_string(),
            "job" => self.job = value.to_string(),
            "reveal" => self.reveal = flag()?,
            "plain_views" => self.plain_views = flag()?,
            _ => return Err(DataFusionError::Configuration(format!("no option tvp.{key}"))),
        }
        Ok(())
    }
    fn entries(&self) -> Vec<ConfigEntry> {
        let entry = |name: &str, value: String, description: &'static str| ConfigEntry {
            key: format!("{}.{name}", Self::PREFIX),
            value: Some(value),
            description,
        };
        vec![
            entry("store", self.store.clone(), "the store's folder"),
            entry("job", self.job.clone(), "the job's folder in the store"),
            entry("reveal", self.reveal.to_string(), "show secrets in evidence"),
            entry("plain_views", self.plain_views.to_string(), "the matcher runs the paper's views only"),
        ]
    }
}

impl JobOptions {
    pub fn new(store: &Path, job: &Path, reveal: Reveal, views: Views) -> JobOptions {
        JobOptions {
            store: store.display().to_string(),
            job: job.display().to_string(),
            reveal: reveal == Reveal::Shown,
            plain_views: views == Views::Plain,
        }
    }

    /// The job's options in a session's configuration; an error names what is missing.
    pub fn from_config(options: &ConfigOptions) -> DfResult<&JobOptions> {
        match options.extensions.get::<JobOptions>() {
            Some(job) if !job.store.is_empty() => Ok(job),
            _ => Err(DataFusionError::Execution(
                "the tvp_* functions run on a cluster only inside a tvp job (`tvp label --cluster`, `tvp sql \
                 --cluster`): this query carries no tvp.store option"
                    .into(),
            )),
        }
    }

    pub fn reveal(&self) -> Reveal {
        Reveal::from_flag(self.reveal)
    }
}

/// The job's session table `name` (Parquet written by the client), under the job's folder.
pub fn session_table_dir(job: &Path, name: &str) -> PathBuf {
    job.join("session").join(name)
}

/// Jobs whose truths a process keeps compiled (a cluster serves a few jobs at a time).
const JOBS_KEPT: usize = 4;

/// Compiled truths by job folder, the most recent last.
static TRUTHS: Mutex<VecDeque<(String, Arc<Truths>)>> = Mutex::new(VecDeque::new());

/// The truths of the job whose options these are: the store's items and the job's catalog and policy items, read
/// on first use and shared by every task of the job that runs in this process.
pub fn truths(options: &ConfigOptions) -> DfResult<(Arc<Truths>, Reveal)> {
    let job = JobOptions::from_config(options)?;
    let mut kept = TRUTHS.lock().map_err(|e| DataFusionError::Execution(e.to_string()))?;
    if let Some((_, truths)) = kept.iter().find(|(folder, _)| *folder == job.job) {
        return Ok((truths.clone(), job.reveal()));
    }
    let (store, folder) = (PathBuf::from(&job.store), PathBuf::from(&job.job));
    let views = if job.plain_views { Views::Plain } else { Views::All };
    let truths = Arc::new(Truths::with_views(Box::new(move || job_items(&store, &folder)), views));
    if kept.len() == JOBS_KEPT {
        kept.pop_front();
    }
    kept.push_back((job.job.clone(), truths.clone()));
    Ok((truths, job.reveal()))
}

/// Every item row a job is judged against: the store's own and the job's catalog and policy items.
fn job_items(store: &Path, job: &Path) -> Result<Vec<RecordBatch>, String> {
    let store = Store::open(store).map_err(|e| e.to_string())?;
    let mut batches = store.read_table(Table::Items).map_err(|e| e.to_string())?;
    for name in ["catalog_items", "policy_items"] {
        batches.extend(crate::store::read_parquet_folder(&session_table_dir(job, name)).map_err(|e| e.to_string())?);
    }
    Ok(batches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionConfig;

    /// Ballista rebuilds an executor's configuration from the client's entries (`key`, `value`): the job's options
    /// must survive that trip, prefix included.
    #[test]
    fn job_options_survive_the_trip_through_configuration_entries() {
        let job = JobOptions::new(
            Path::new("/data/store"),
            Path::new("/data/store/.cluster-jobs/1-2"),
            Reveal::Shown,
            Views::Plain,
        );
        let client = SessionConfig::new().with_option_extension(job);
        let entries = client.options().entries();
        assert!(entries.iter().any(|e| e.key == "tvp.store" && e.value.as_deref() == Some("/data/store")));
        let mut executor = SessionConfig::new().with_option_extension(JobOptions::default());
        for entry in entries.iter().filter(|e| e.key.starts_with("tvp.")) {
            executor.options_mut().set(&entry.key, entry.value.as_deref().unwrap()).unwrap();
        }
        let received = JobOptions::from_config(executor.options()).unwrap();
        assert_eq!(received.job, "/data/store/.cluster-jobs/1-2");
        assert_eq!(received.reveal(), Reveal::Shown);
        assert!(received.plain_views);
        let empty = SessionConfig::new().with_option_extension(JobOptions::default());
        let error = JobOptions::from_config(empty.options()).unwrap_err().to_string();
        assert!(error.contains("tvp.store"), "{error}");
    }
}
