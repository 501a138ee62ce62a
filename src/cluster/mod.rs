//! Cluster: the same labeling rules and SQL on an Apache DataFusion Ballista cluster, for stores one machine cannot
//! label in time.
//!
//! - [`process`]: `tvp cluster scheduler` and `tvp cluster executor`, Ballista's processes with tvp's functions.
//! - [`job`]: what a job carries to every process (its `tvp.*` options) and the truths the functions read from them.
//! - here, the client side: a job's folder in the store (the session tables as Parquet, the rules' intermediate
//!   results), the rules run one after the other on the cluster, and the label tables written to the store by the
//!   client exactly as a local labeling writes them, replacing the old ones only when every rule has succeeded.
//!
//! Every node must see the store at the same path (a shared file system); the executors read its Parquet files and
//! write the rules' intermediate results into the job's folder.

pub mod job;
pub mod process;

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ballista::extension::SessionContextExt;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingOptions;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::SessionContext;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::label::{Options, Summary, queries::Rule};
use crate::mask::Reveal;
use crate::schema::Table;
use crate::store::Store;
use job::JobOptions;

/// The scheduler's address of a `df://HOST:PORT` URL.
pub fn scheduler_address(url: &str) -> Result<SocketAddr> {
    let Some(rest) = url.strip_prefix("df://") else {
        return Err(Error::Usage(format!("`{url}` is not a cluster URL: write df://HOST:PORT")));
    };
    let unreachable = |reason: String| Error::SchedulerUnreachable { url: url.into(), reason };
    let mut addresses = rest.to_socket_addrs().map_err(|e| unreachable(format!("`{rest}` does not resolve: {e}")))?;
    addresses.next().ok_or_else(|| unreachable(format!("`{rest}` resolves to no address")))
}

/// Fail early, with a hint, when nothing listens at the scheduler's address (Ballista itself would only fail at
/// the first query, with a transport error).
fn check_reachable(url: &str) -> Result<()> {
    let address = scheduler_address(url)?;
    std::net::TcpStream::connect_timeout(&address, Duration::from_secs(5))
        .map(|_| ())
        .map_err(|e| Error::SchedulerUnreachable { url: url.into(), reason: e.to_string() })
}

/// A job's folder in the store: its session tables and the rules' results, removed when the job is dropped
/// (finished, failed or interrupted by an error).
pub struct JobFolder {
    pub path: PathBuf,
}

impl JobFolder {
    fn create(store: &Store) -> Result<JobFolder> {
        let stamp =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let path = store.root.join(".cluster-jobs").join(format!("{stamp}-{}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|source| Error::Write { path: path.clone(), source })?;
        Ok(JobFolder { path })
    }
}

impl Drop for JobFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        if let Some(parent) = self.path.parent() {
            let _ = std::fs::remove_dir(parent); // only when no other job uses it
        }
    }
}

/// A session on the cluster with the store's tables and the job's session tables registered, the `tvp_*`
/// functions known, and the job's options set for every process.
pub async fn session(
    url: &str,
    store: &Store,
    folder: &JobFolder,
    session_tables: Vec<(&'static str, RecordBatch)>,
    reveal: Reveal,
    views: crate::label::matcher::Views,
) -> Result<SessionContext> {
    check_reachable(url)?;
    let root = std::path::absolute(&store.root).map_err(|source| Error::Read { path: store.root.clone(), source })?;
    let config = process::config().with_option_extension(JobOptions::new(&root, &folder.path, reveal, views));
    let state = SessionStateBuilder::new().with_config(config).with_default_features().build();
    let ctx = SessionContext::remote_with_state(url, state)
        .await
        .map_err(|e| Error::SchedulerUnreachable { url: url.into(), reason: e.to_string() })?;
    for function in crate::label::udf::job_functions() {
        ctx.register_udf(function);
    }
    for table in Table::ALL {
        let dir = if store.table_files(table.name()).is_empty() {
            // Executors cannot scan the client's memory: an empty table is an empty Parquet file in the job folder.
            let dir = job::session_table_dir(&folder.path, table.name());
            write_parquet(&dir, &RecordBatch::new_empty(table.schema()))?;
            dir
        } else {
            root.join(table.name())
        };
        register(&ctx, table.name(), &dir, table.schema()).await?;
    }
    for (name, batch) in session_tables {
        let dir = job::session_table_dir(&folder.path, name);
        let schema = batch.schema();
        write_parquet(&dir, &batch)?;
        register(&ctx, name, &dir, schema).await?;
    }
    Ok(ctx)
}

/// Register a folder of Parquet files (Hive-partitioned or not) as a table.
async fn register(ctx: &SessionContext, name: &str, dir: &Path, schema: SchemaRef) -> Result<()> {
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let _ = ctx.deregister_table(name);
    ctx.register_listing_table(name, format!("{}/", dir.display()), options, Some(schema), None)
        .await
        .map_err(crate::sql::sql_error)
}

/// Write one batch as `part-0.parquet` in a new folder.
fn write_parquet(dir: &Path, batch: &RecordBatch) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    let path = dir.join("part-0.parquet");
    let file = std::fs::File::create(&path).map_err(|source| Error::Write { path: path.clone(), source })?;
    let corrupt = |e: parquet::errors::ParquetError| Error::Corrupt { path: path.clone(), reason: e.to_string() };
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).map_err(corrupt)?;
    writer.write(batch).map_err(corrupt)?;
    writer.close().map_err(corrupt)?;
    Ok(())
}

/// Label the store on the cluster: the same rules, in the same order, as [`crate::label::label`].
///
/// Each rule's result is written by the executors into the job's folder and read by the next rules from there; the
/// label tables' results are then read by the client and written to the store through its part writers, and
/// replace the old labels only after every rule has succeeded. A failed job leaves the store as it was.
pub async fn label(url: &str, store: &Store, catalog: &Catalog, options: &Options, rules: &[Rule]) -> Result<Summary> {
    let folder = JobFolder::create(store)?;
    let mut tables = crate::label::session_tables(catalog, options.scope, options.split_across_recipients);
    if let Some(path) = &options.external_labels {
        let local = crate::sql::session(store).await?;
        set_table(&mut tables, "external_labels", crate::label::external_labels(&local, path).await?);
    }
    if let Some(policy) = &options.policy {
        let local = crate::sql::session(store).await?;
        set_table(&mut tables, "policy_items", crate::label::deployment::policy_items(&local, policy).await?);
    }
    let ctx = session(url, store, &folder, tables, options.reveal, options.views).await?;
    let mut seconds: Vec<(String, f64)> = Vec::new();
    let mut results: Vec<(&Rule, PathBuf)> = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let started = Instant::now();
        let failed = |e: datafusion::error::DataFusionError| {
            let e = e.to_string();
            let why = if e.contains("Cancelled") {
                "; tvp's scheduler cancels the running jobs when an executor leaves the cluster (its heartbeats \
                 stopped or it shut down): the store's labels are unchanged, rerun the labeling"
            } else {
                ""
            };
            Error::Cluster { message: format!("rule {}: {e}{why}", rule.origin_name()) }
        };
        let frame =
            ctx.sql(&rule.sql).await.map_err(|e| Error::Query { query: rule.origin_name(), message: e.to_string() })?;
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let dir = folder.path.join("rules").join(format!("{index:02}-{}", rule.table));
        std::fs::create_dir_all(&dir).map_err(|source| Error::Write { path: dir.clone(), source })?;
        frame
            .write_parquet(&format!("{}/", dir.display()), DataFrameWriteOptions::new(), None)
            .await
            .map_err(failed)?;
        register(&ctx, &rule.table, &dir, schema).await?;
        results.push((rule, dir));
        seconds.push((rule.name.clone(), started.elapsed().as_secs_f64()));
    }
    let started = Instant::now();
    let mut writers = Vec::new();
    for table in crate::label::OUTPUTS {
        let mut writer = store.part_writer(table.name(), table.schema(), None)?;
        for (_, dir) in results.iter().filter(|(rule, _)| rule.table == table.name()) {
            let batches = crate::store::read_parquet_folder(dir)?;
            for batch in &batches {
                let canonical = crate::label::to_canonical(batch, table)
                    .map_err(|message| Error::Query { query: table.name().into(), message })?;
                writer.write(&canonical)?;
            }
        }
        writers.push((table, writer));
    }
    for (table, writer) in writers {
        store.replace_with(table, writer)?;
    }
    seconds.push(("write".into(), started.elapsed().as_secs_f64()));
    drop(folder);
    let mut summary = crate::label::summarize(store).await?;
    summary.seconds = seconds;
    summary.scope = options.scope.as_str().into();
    summary.rules = rules.iter().map(|r| r.origin_name()).collect();
    summary.partitions = 1;
    Ok(summary)
}

/// A session on the cluster for `tvp sql`: the store's and the catalog's tables (and a policy's items), with the
/// truths the client masks results with. The job's folder lives as long as the returned [`JobFolder`].
pub async fn sql_session(
    url: &str,
    store: &Store,
    catalog: &Catalog,
    reveal: Reveal,
    policy: Option<&crate::policy::Policy>,
) -> Result<(SessionContext, JobFolder, Arc<crate::label::truths::Truths>)> {
    let folder = JobFolder::create(store)?;
    let mut tables = crate::label::session_tables(catalog, crate::label::Scope::Chain, false);
    if let Some(policy) = policy {
        let local = crate::sql::session(store).await?;
        set_table(&mut tables, "policy_items", crate::label::deployment::policy_items(&local, policy).await?);
    }
    let ctx = session(url, store, &folder, tables, reveal, crate::label::matcher::Views::All).await?;
    let (truths, _) = job::truths(ctx.state().config_options()).map_err(crate::sql::sql_error)?;
    Ok((ctx, folder, truths))
}

fn set_table(tables: &mut [(&'static str, RecordBatch)], name: &str, batch: RecordBatch) {
    if let Some(entry) = tables.iter_mut().find(|(n, _)| *n == name) {
        entry.1 = batch;
    }
}
