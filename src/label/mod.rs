//! Label: mark boundary violations in the store against the ground truth, with SQL rules run by DataFusion.
//!
//! In: the store's runs, messages and per-run ground truth, plus the scenario catalog (registered as
//! `catalog_items`, `catalog_actions`, `roles`, `success_conditions`) and optional external labels. The rules in
//! `queries/` (see [`queries`]) decide what is outward, what is an exposure, an over-authorization, a task success.
//! Out: the `exposures`, `authorizations` and `outcomes` tables, replacing any earlier labels in the store. The
//! same session (tables and the `tvp_*` functions) serves `tvp sql`.

pub mod accuracy;
pub mod deployment;
pub mod detectors;
mod literals;
pub mod matcher;
pub mod queries;
pub mod truths;
pub mod udf;
pub mod views;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::datatypes::SchemaRef;
use datafusion::datasource::MemTable;
use datafusion::prelude::{JsonReadOptions, ParquetReadOptions, SessionConfig, SessionContext};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::mask::Reveal;
use crate::schema::Table;
use crate::sql::{query, sql_error};
use crate::store::Store;
use truths::Truths;

/// Which outward messages count for a run's over-exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Any outward custodian message of the chain.
    Chain,
    /// Only the run's final outward message.
    Final,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Chain => "chain",
            Scope::Final => "final",
        }
    }
}

pub struct Options {
    pub scope: Scope,
    pub queries: Option<PathBuf>,
    /// JSONL, CSV or Parquet with run_id, turn, item_id (and optionally source): a judge's or a human's labels.
    pub external_labels: Option<PathBuf>,
    pub reveal: Reveal,
    /// Label the runs in this many partitions (by a hash of the run id), one after the other, so memory stays
    /// bounded by a partition's size; `None` picks the count from the store's size.
    pub partitions: Option<usize>,
    /// Which views the matcher runs (decoded tokens, ROT13 and reversed forms on top of the paper's).
    pub views: matcher::Views,
    /// Whether pieces of a split value sent to different recipients add up (recipients that share).
    pub split_across_recipients: bool,
    /// A deployment's secrets policy, judged beside the catalog and the runs' own ground truth.
    pub policy: Option<crate::policy::Policy>,
    /// Run the rules on the Ballista cluster whose scheduler is at this `df://HOST:PORT` URL.
    pub cluster: Option<String>,
}

impl Options {
    pub fn new(scope: Scope, reveal: Reveal) -> Options {
        Options {
            scope,
            queries: None,
            external_labels: None,
            reveal,
            partitions: None,
            views: matcher::Views::All,
            split_across_recipients: false,
            policy: None,
            cluster: None,
        }
    }
}

/// Uncompressed bytes of messages and run items a partition holds at most, when the count is picked by size. Measured
/// (release, 2 cores, a 1.1 GiB simulated corpus of 128 MiB): the peak was 547 MiB with 8 partitions and 445 MiB with
/// 12; at 12 MiB (10 partitions) it was 482 MiB with the catalog's items and 532 MiB with ten times as many, so
/// 10 MiB keeps both under 500 MiB; each partition costs a little time of its own (planning, reading its split).
const PARTITION_BYTES: u64 = 10 << 20;

/// A session over the store with the catalog tables and the `tvp_*` functions. Nothing is compiled here: the
/// returned [`Truths`] reads the store's and the catalog's items the first time a function (or the masker) needs them.
pub async fn session(
    store: &Store,
    catalog: &Catalog,
    reveal: Reveal,
    scope: Scope,
) -> Result<(SessionContext, Arc<Truths>)> {
    session_with_policy(store, catalog, reveal, scope, None).await
}

/// A session as [`session`], whose truths also hold a deployment policy's items (listed and learned), so that what
/// it masks includes them. The policy's items are computed here, from the store's tool results.
pub async fn session_with_policy(
    store: &Store,
    catalog: &Catalog,
    reveal: Reveal,
    scope: Scope,
    policy: Option<&crate::policy::Policy>,
) -> Result<(SessionContext, Arc<Truths>)> {
    let ctx = crate::sql::session(store).await?;
    register_session_tables(&ctx, catalog, scope, false)?;
    let policy_items = match policy {
        Some(policy) => {
            let items = deployment::policy_items(&ctx, policy).await?;
            register_batch(&ctx, "policy_items", items.clone())?;
            Some(items)
        }
        None => None,
    };
    let (store, catalog_items) = (store.clone(), catalog.items_batch());
    let truths = Arc::new(Truths::new(Box::new(move || {
        let mut batches = store.read_table(Table::Items).map_err(|e| e.to_string())?;
        batches.push(catalog_items.clone());
        batches.extend(policy_items.clone());
        Ok(batches)
    })));
    for function in udf::functions(truths.clone(), reveal) {
        ctx.register_udf(function);
    }
    Ok((ctx, truths))
}

/// The tables a session has beside the store's: the catalog's ground truth, roles, success conditions, the label
/// settings and (empty here: `--labels` and `--policy` fill them) the external labels and the policy's items.
pub(crate) fn session_tables(catalog: &Catalog, scope: Scope, split_across: bool) -> Vec<(&'static str, RecordBatch)> {
    vec![
        ("catalog_items", catalog.items_batch()),
        ("catalog_actions", catalog.actions_batch()),
        ("roles", roles_batch(catalog)),
        ("success_conditions", success_batch(catalog)),
        ("label_settings", settings_batch(scope, split_across)),
        ("external_labels", RecordBatch::new_empty(crate::schema::external_labels())),
        ("policy_items", RecordBatch::new_empty(deployment::schema())),
    ]
}

fn register_session_tables(ctx: &SessionContext, catalog: &Catalog, scope: Scope, split_across: bool) -> Result<()> {
    for (name, batch) in session_tables(catalog, scope, split_across) {
        register_batch(ctx, name, batch)?;
    }
    Ok(())
}

/// What labeling found, for the summary line.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    pub scope: String,
    pub runs: usize,
    pub over_exposed: usize,
    pub exposures: usize,
    pub exposures_by_kind: Vec<(String, usize)>,
    pub authorizations: usize,
    pub over_authorized: usize,
    pub task_success_known: usize,
    pub task_success: usize,
    pub rules: Vec<String>,
    /// How many partitions of runs the store was labeled in.
    pub partitions: usize,
    /// Where labeling's time went, summed over the partitions: `setup` (each partition's session), every rule by
    /// name, and `summary` (reading the counts back); seconds, for profiling a store's labeling. Independent rules
    /// run at the same time (rule waves), so their seconds overlap.
    pub seconds: Vec<(String, f64)>,
}

/// The tables a labeling writes to the store.
pub(crate) const OUTPUTS: [Table; 3] = [Table::Exposures, Table::Authorizations, Table::Outcomes];

/// Run every rule over the store and write the label tables.
///
/// The runs are split into partitions by a hash of their id and labeled one partition after the other: every rule
/// relates rows of one run (joins on run_id or truth key), so the union of the partitions' results is the whole
/// store's, and memory holds one partition's rows at a time. The label tables are streamed into new part files
/// and replace the old ones only when every partition is done.
///
/// With `options.cluster`, the rules run on a Ballista cluster instead (see [`crate::cluster::label`]).
pub async fn label(store: &Store, catalog: &Catalog, options: &Options) -> Result<Summary> {
    let rules = checked_rules(options)?;
    if let Some(url) = &options.cluster {
        return crate::cluster::label(url, store, catalog, options, &rules).await;
    }
    let partitions = options.partitions.unwrap_or_else(|| partitions_for(store)).max(1);
    if partitions > 1 {
        purge_freed_memory_soon();
    }
    let mut writers = Vec::new();
    for table in OUTPUTS {
        writers.push((table, store.part_writer(table.name(), table.schema(), None)?));
    }
    let mut seconds: Vec<(String, f64)> = vec![("setup".into(), 0.0)];
    seconds.extend(rules.iter().map(|r| (r.name.clone(), 0.0)));
    let waves = waves(&rules);
    let started = Instant::now();
    let split = if partitions > 1 { Some(Split::write(store, partitions).await?) } else { None };
    seconds[0].1 += started.elapsed().as_secs_f64();
    for partition in 0..partitions {
        let started = Instant::now();
        let ctx = partition_session(store, catalog, options, split.as_ref().map(|s| (s, partition))).await?;
        seconds[0].1 += started.elapsed().as_secs_f64();
        for wave in &waves {
            // The rules of a wave are planned and run at once, each on its own task.
            let tasks: Vec<_> = wave
                .iter()
                .map(|&index| {
                    let (ctx, sql, origin) = (ctx.clone(), rules[index].sql.clone(), rules[index].origin_name());
                    tokio::spawn(async move {
                        let started = Instant::now();
                        (run_rule(&ctx, &sql, &origin).await, started.elapsed())
                    })
                })
                .collect();
            for (&index, task) in wave.iter().zip(tasks) {
                let rule = &rules[index];
                let (result, elapsed) = task.await.map_err(|e| Error::Internal(format!("rule {}: {e}", rule.name)))?;
                let (schema, batches) = result?;
                if let Some((table, writer)) = writers.iter_mut().find(|(t, _)| t.name() == rule.table) {
                    for batch in &batches {
                        let canonical = to_canonical(batch, *table)
                            .map_err(|message| Error::Query { query: table.name().into(), message })?;
                        writer.write(&canonical)?;
                    }
                }
                let table = MemTable::try_new(schema, vec![batches]).map_err(sql_error)?;
                ctx.deregister_table(rule.table.as_str()).map_err(sql_error)?;
                ctx.register_table(rule.table.as_str(), Arc::new(table)).map_err(sql_error)?;
                seconds[index + 1].1 += elapsed.as_secs_f64();
            }
        }
        drop(ctx);
        release_freed_memory();
    }
    drop(split);
    for (table, writer) in writers {
        store.replace_with(table, writer)?;
    }
    let started = Instant::now();
    let mut summary = summarize(store).await?;
    seconds.push(("summary".into(), started.elapsed().as_secs_f64()));
    summary.seconds = seconds;
    summary.scope = options.scope.as_str().into();
    summary.rules = rules.iter().map(|r| r.origin_name()).collect();
    summary.partitions = partitions;
    Ok(summary)
}

/// Run one rule: its result rows, with the schema they have (which may differ from the plan's in nullability).
async fn run_rule(ctx: &SessionContext, sql: &str, origin: &str) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let failed =
        |e: datafusion::error::DataFusionError| Error::Query { query: origin.to_string(), message: e.to_string() };
    let frame = ctx.sql(sql).await.map_err(failed)?;
    let planned: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await.map_err(failed)?;
    Ok((batches.first().map_or(planned, |b| b.schema()), batches))
}

/// The rules grouped into waves that run one after the other; the rules of a wave run at the same time. A rule
/// comes after every earlier rule whose table it names, that names its table, or that writes the same table (a
/// name in a comment counts too: that only costs concurrency). Planning a rule takes one core, and on a small store
/// planning is most of labeling's time: the built-in rules run in 6 waves instead of 13 steps.
fn waves(rules: &[queries::Rule]) -> Vec<Vec<usize>> {
    let names: Vec<std::collections::HashSet<String>> = rules
        .iter()
        .map(|r| r.sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map(str::to_lowercase).collect())
        .collect();
    let mut wave_of = vec![0; rules.len()];
    for later in 0..rules.len() {
        for earlier in 0..later {
            let (a, b) = (&rules[earlier].table, &rules[later].table);
            if a == b || names[later].contains(a) || names[earlier].contains(b) {
                wave_of[later] = wave_of[later].max(wave_of[earlier] + 1);
            }
        }
    }
    let mut waves = vec![Vec::new(); wave_of.iter().max().map_or(0, |w| w + 1)];
    for (index, wave) in wave_of.into_iter().enumerate() {
        waves[wave].push(index);
    }
    waves
}

/// The rules to run, checked to produce every label table.
fn checked_rules(options: &Options) -> Result<Vec<queries::Rule>> {
    let rules = queries::rules(options.queries.as_deref())?;
    for table in OUTPUTS {
        if !rules.iter().any(|r| r.table == table.name()) {
            return Err(Error::Query {
                query: table.name().into(),
                message: format!("no rule produced the `{}` table", table.name()),
            });
        }
    }
    Ok(rules)
}

/// Hand the memory a finished partition freed back to the system, so the next one starts from the same footprint
/// (glibc keeps freed blocks of its per-thread arenas otherwise, and the peak grows with the partitions). This
/// serves tests and other users of the library; the `tvp` binary allocates with mimalloc, which purges on its own
/// (see [`purge_freed_memory_soon`]; asking it to collect here made no measurable difference).
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's arenas to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Have mimalloc return freed memory to the system 10 ms after it is freed instead of a second later (its default):
/// a store labeled in partitions is large, and there the bound on memory matters more than the time it costs.
/// Measured on the 1.07 GiB benchmark store (12 partitions, no huge pages, best of 2): 0 ms peaked at 310-317 MiB
/// in 12.9-13.5 s (6.1-6.4 s in the kernel, refaulting what was purged), 10 ms at 323-339 MiB in 11.9 s, 50 ms at
/// 357-371 MiB in 11.5-12.0 s; the default had peaked at 550-576 MiB. Small stores, labeled in one partition, keep
/// the default. `MIMALLOC_PURGE_DELAY` in the environment overrides this.
fn purge_freed_memory_soon() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return; // the user's setting, read by mimalloc at start-up
    }
    /// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (the -sys crate names no constant for it).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    const MILLISECONDS: std::ffi::c_long = 10;
    // SAFETY: setting an option is allowed at any time; it only changes when unused pages are purged.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, MILLISECONDS);
    }
}

/// How many partitions keep each under [`PARTITION_BYTES`] of message and item data.
fn partitions_for(store: &Store) -> usize {
    let bytes = store.uncompressed_bytes(Table::Messages) + store.uncompressed_bytes(Table::Items);
    bytes.div_ceil(PARTITION_BYTES).max(1) as usize
}

/// The tables whose rows belong to runs: labeling splits them into partitions.
const PER_RUN: [Table; 4] = [Table::Runs, Table::Messages, Table::Items, Table::Actions];

/// The store's per-run tables split into partitions by a hash of the run id, in one pass over the store: the rows
/// of partition p of a table are an Arrow IPC file `<table>/p.arrow` in a scratch folder of the store, removed when
/// the split is dropped. Rows without a run id (a scenario's ground truth) belong to every partition: they are
/// written once, to `<table>/shared.arrow`. The files are not compressed, which takes disk space for time: on the
/// 1.07 GiB benchmark store (82 MiB of Parquet, 12 partitions) the scratch is 807 MiB, and LZ4 (as DataFusion's own
/// Arrow writer has it) made it 260 MiB but the split and its reading 2 s slower (setup 5.0-5.4 s against 2.7-3.0).
struct Split {
    dir: PathBuf,
}

impl Split {
    async fn write(store: &Store, partitions: usize) -> Result<Split> {
        use futures::StreamExt;
        let dir = store.root.join(".label-partitions");
        let _ = std::fs::remove_dir_all(&dir);
        let split = Split { dir };
        let ctx = crate::sql::session(store).await?;
        for table in PER_RUN {
            let folder = split.dir.join(table.name());
            std::fs::create_dir_all(&folder).map_err(|source| Error::Write { path: folder.clone(), source })?;
            let frame = ctx.sql(&format!("SELECT * FROM {}", table.name())).await.map_err(sql_error)?;
            // One file per partition, and the shared rows' file last.
            let mut files: Vec<SplitFile> = (0..=partitions)
                .map(|p| {
                    let name = if p < partitions { format!("{p}.arrow") } else { "shared.arrow".into() };
                    SplitFile::new(folder.join(name))
                })
                .collect();
            let mut stream = frame.execute_stream().await.map_err(sql_error)?;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(sql_error)?;
                let run_ids =
                    batch
                        .column_by_name(crate::schema::col::RUN_ID)
                        .and_then(|c| c.as_string_opt::<i32>())
                        .ok_or_else(|| Error::Internal(format!("the store's {} has no text run_id", table.name())))?;
                let mut rows: Vec<Vec<u32>> = vec![Vec::new(); partitions + 1];
                for (row, id) in run_ids.iter().enumerate() {
                    let part = id.map_or(partitions, |id| udf::bucket_of(id, partitions as u64) as usize);
                    rows[part].push(row as u32);
                }
                for (file, rows) in files.iter_mut().zip(rows) {
                    if !rows.is_empty() {
                        let indices = arrow::array::UInt32Array::from(rows);
                        file.push(arrow::compute::take_record_batch(&batch, &indices).map_err(sql_error)?)?;
                    }
                }
            }
            for file in files {
                file.finish()?;
            }
        }
        Ok(split)
    }

    /// One partition's rows of a table (and the rows every partition shares).
    fn read(&self, table: Table, partition: usize) -> Result<Vec<RecordBatch>> {
        let folder = self.dir.join(table.name());
        let mut batches = Vec::new();
        for path in [folder.join(format!("{partition}.arrow")), folder.join("shared.arrow")] {
            let file = match std::fs::File::open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue, // no rows there
                Err(source) => return Err(Error::Read { path, source }),
            };
            let reader = arrow::ipc::reader::FileReader::try_new(std::io::BufReader::new(file), None)
                .map_err(|e| Error::Corrupt { path: path.clone(), reason: e.to_string() })?;
            for batch in reader {
                batches.push(batch.map_err(|e| Error::Corrupt { path: path.clone(), reason: e.to_string() })?);
            }
        }
        Ok(batches)
    }
}

/// One partition's file of a split table, created when its first rows are written (a partition without rows has
/// none). The pieces a partition gets of each 8 k-row batch of the store are a few hundred rows: they are gathered
/// ([`crate::store::Gather`]), so that every rule does not step through that many small batches.
struct SplitFile {
    path: PathBuf,
    pending: crate::store::Gather,
    writer: Option<arrow::ipc::writer::FileWriter<std::io::BufWriter<std::fs::File>>>,
}

impl SplitFile {
    fn new(path: PathBuf) -> SplitFile {
        SplitFile { path, pending: Default::default(), writer: None }
    }

    fn push(&mut self, batch: RecordBatch) -> Result<()> {
        let gathered = self.pending.push(batch).map_err(|e| self.failed(e))?;
        gathered.map_or(Ok(()), |batch| self.write(&batch))
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if self.writer.is_none() {
            let file =
                std::fs::File::create(&self.path).map_err(|source| Error::Write { path: self.path.clone(), source })?;
            let writer = arrow::ipc::writer::FileWriter::try_new(std::io::BufWriter::new(file), &batch.schema())
                .map_err(|e| self.failed(e))?;
            self.writer = Some(writer);
        }
        let writer = self.writer.as_mut().expect("created above");
        writer.write(batch).map_err(|e| Error::Write { path: self.path.clone(), source: std::io::Error::other(e) })
    }

    fn finish(mut self) -> Result<()> {
        if let Some(batch) = self.pending.take().map_err(|e| self.failed(e))? {
            self.write(&batch)?;
        }
        match self.writer.take() {
            Some(mut writer) => writer.finish().map_err(|e| self.failed(e)),
            None => Ok(()),
        }
    }

    fn failed(&self, e: arrow::error::ArrowError) -> Error {
        Error::Write { path: self.path.clone(), source: std::io::Error::other(e) }
    }
}

impl Drop for Split {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A session whose `runs`, `messages`, `items` and `actions` hold one partition's runs (and the store's
/// scenario-scoped ground truth), or the whole store's without a split, with the functions over those truths.
async fn partition_session(
    store: &Store,
    catalog: &Catalog,
    options: &Options,
    split: Option<(&Split, usize)>,
) -> Result<SessionContext> {
    // Every join builds one hash table of its left side and streams the right side through it, in parallel: the
    // rules put the smaller side first (a partition's messages, with their text, come second). DataFusion swaps the
    // sides only when it knows both sizes and the left is the larger. Repartitioning both sides by the key instead
    // would copy every message's text, and building from the messages when the other side's size is unknown (a
    // CTE's) cost 0.1 s and 60 MiB per partition of the benchmark store for a join with a few thousand rows.
    let config = SessionConfig::new().set_bool("datafusion.optimizer.repartition_joins", false);
    let ctx = crate::sql::session_with(store, config).await?;
    // The partition's rows are held in memory: several rules read `messages`, and each scan of the Parquet files
    // would decode them again.
    for table in PER_RUN {
        let name = table.name();
        let all = format!("all_{name}");
        let provider = ctx.deregister_table(name).map_err(sql_error)?.expect("every store table is registered");
        ctx.register_table(all.as_str(), provider).map_err(sql_error)?;
        let frame = ctx.sql(&format!("SELECT * FROM {all}")).await.map_err(sql_error)?;
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let batches = match split {
            None => frame.collect().await.map_err(sql_error)?,
            Some((split, partition)) => split
                .read(table, partition)?
                .into_iter()
                .map(|b| b.with_schema(schema.clone()))
                .collect::<std::result::Result<_, _>>()
                .map_err(sql_error)?,
        };
        ctx.deregister_table(all.as_str()).map_err(sql_error)?;
        let batches = spread(batches, ctx.copied_config().target_partitions());
        ctx.register_table(name, Arc::new(MemTable::try_new(schema, batches).map_err(sql_error)?))
            .map_err(sql_error)?;
    }
    register_session_tables(&ctx, catalog, options.scope, options.split_across_recipients)?;
    if let Some(path) = &options.external_labels {
        register_batch(&ctx, "external_labels", external_labels(&ctx, path).await?)?;
    }
    let mut items = query(&ctx, "SELECT * FROM items").await?;
    items.push(catalog.items_batch());
    let policy_items = match &options.policy {
        Some(policy) => deployment::policy_items(&ctx, policy).await?,
        None => RecordBatch::new_empty(deployment::schema()),
    };
    items.push(policy_items.clone());
    register_batch(&ctx, "policy_items", policy_items)?;
    let truths = Arc::new(Truths::with_views(Box::new(move || Ok(items.clone())), options.views));
    for function in udf::functions(truths, options.reveal) {
        ctx.register_udf(function);
    }
    Ok(ctx)
}

/// Rows spread over `parts` partitions of nearly equal size (slices of the batches, nothing copied), so that every
/// rule's scan of a table runs on every core even when the store holds the table in one small file.
fn spread(batches: Vec<RecordBatch>, parts: usize) -> Vec<Vec<RecordBatch>> {
    let parts = parts.max(1);
    let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut spread = vec![Vec::new(); parts];
    let mut row = 0; // rows placed so far; row r belongs to partition r * parts / total
    for batch in batches {
        let mut offset = 0;
        while offset < batch.num_rows() {
            let part = row * parts / total;
            let end_of_part = ((part + 1) * total).div_ceil(parts);
            let take = (end_of_part - row).min(batch.num_rows() - offset);
            spread[part].push(batch.slice(offset, take));
            (offset, row) = (offset + take, row + take);
        }
    }
    spread
}

/// The summary line's counts, read back from the label tables in the store.
pub(crate) async fn summarize(store: &Store) -> Result<Summary> {
    let ctx = crate::sql::session(store).await?;
    let counts = query(
        &ctx,
        "SELECT count(*) AS runs, count(*) FILTER (WHERE over_exposed) AS over_exposed, \
                (SELECT count(*) FROM exposures) AS exposures, (SELECT count(*) FROM authorizations) AS actions, \
                count(*) FILTER (WHERE over_authorized) AS over_authorized, count(task_success) AS known, \
                count(*) FILTER (WHERE task_success) AS succeeded \
         FROM outcomes",
    )
    .await?;
    let count = |name: &str| -> usize {
        counts
            .first()
            .and_then(|b| b.column_by_name(name))
            .map_or(0, |c| c.as_primitive_opt::<arrow::datatypes::Int64Type>().map_or(0, |a| a.value(0) as usize))
    };
    let mut summary = Summary {
        runs: count("runs"),
        over_exposed: count("over_exposed"),
        exposures: count("exposures"),
        authorizations: count("actions"),
        over_authorized: count("over_authorized"),
        task_success_known: count("known"),
        task_success: count("succeeded"),
        ..Summary::default()
    };
    for batch in query(&ctx, "SELECT match_kind, count(*) AS n FROM exposures GROUP BY 1 ORDER BY 1").await? {
        let (Some(kinds), Some(counts)) = (batch.column_by_name("match_kind"), batch.column_by_name("n")) else {
            continue;
        };
        let (kinds, counts) = (kinds.as_string::<i32>(), counts.as_primitive::<arrow::datatypes::Int64Type>());
        for row in 0..batch.num_rows() {
            summary.exposures_by_kind.push((kinds.value(row).to_string(), counts.value(row) as usize));
        }
    }
    Ok(summary)
}

/// Project and cast a rule's result onto the canonical schema of `table`, by column name.
pub(crate) fn to_canonical(batch: &RecordBatch, table: Table) -> std::result::Result<RecordBatch, String> {
    let schema = table.schema();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for field in schema.fields() {
        let column = batch
            .column_by_name(field.name())
            .ok_or_else(|| format!("the rule's result lacks the column `{}`", field.name()))?;
        let cast = arrow::compute::cast(column, field.data_type())
            .map_err(|e| format!("column `{}` cannot be {}: {e}", field.name(), field.data_type()))?;
        columns.push(cast);
    }
    RecordBatch::try_new(schema, columns).map_err(|e| e.to_string())
}

fn register_batch(ctx: &SessionContext, name: &str, batch: RecordBatch) -> Result<()> {
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).map_err(sql_error)?;
    ctx.deregister_table(name).map_err(sql_error)?;
    ctx.register_table(name, Arc::new(table)).map_err(sql_error)?;
    Ok(())
}

/// Read external labels (JSONL, CSV or Parquet by extension) as the rows of the `external_labels` table.
pub(crate) async fn external_labels(ctx: &SessionContext, path: &std::path::Path) -> Result<RecordBatch> {
    let shown = path.display().to_string();
    let bad = |message: String| Error::Query { query: format!("external labels {shown}"), message };
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    let frame = match ext.as_str() {
        "parquet" => ctx.read_parquet(&shown, ParquetReadOptions::default()).await,
        "csv" => ctx.read_csv(&shown, datafusion::prelude::CsvReadOptions::new()).await,
        _ => ctx.read_json(&shown, JsonReadOptions::default().file_extension(&format!(".{ext}"))).await,
    }
    .map_err(|e| bad(e.to_string()))?;
    let batches = frame.collect().await.map_err(|e| bad(e.to_string()))?;
    let schema = crate::schema::external_labels();
    let mut converted = Vec::new();
    for batch in &batches {
        let mut columns: Vec<ArrayRef> = Vec::new();
        for field in schema.fields() {
            let column = match batch.column_by_name(field.name()) {
                Some(c) => {
                    arrow::compute::cast(c, field.data_type()).map_err(|e| bad(format!("`{}`: {e}", field.name())))?
                }
                None if field.is_nullable() => arrow::array::new_null_array(field.data_type(), batch.num_rows()),
                None => {
                    return Err(bad(format!("missing the column `{}` (needs run_id, turn, item_id)", field.name())));
                }
            };
            columns.push(column);
        }
        converted.push(RecordBatch::try_new(schema.clone(), columns).map_err(|e| bad(e.to_string()))?);
    }
    arrow::compute::concat_batches(&schema, &converted).map_err(|e| bad(e.to_string()))
}

fn roles_batch(catalog: &Catalog) -> RecordBatch {
    let mut rows: Vec<(&str, &str, &str)> = Vec::new();
    for s in &catalog.scenarios {
        for (role, names) in
            [("custodian", &s.roles.custodians), ("seeker", &s.roles.seekers), ("guardian", &s.roles.guardians)]
        {
            rows.extend(names.iter().map(|n| (s.id.as_str(), n.as_str(), role)));
        }
    }
    let schema = crate::schema::roles();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
    ];
    RecordBatch::try_new(schema, columns).expect("roles batch")
}

fn success_batch(catalog: &Catalog) -> RecordBatch {
    let mut rows: Vec<(String, String, &str, String)> = Vec::new();
    for s in &catalog.scenarios {
        let require = s.success.require.as_str().to_string();
        rows.extend(s.success.actions.iter().map(|a| (s.id.clone(), require.clone(), "action", a.clone())));
        rows.extend(s.success.items.iter().map(|i| (s.id.clone(), require.clone(), "item", i.clone())));
    }
    let schema = crate::schema::success_conditions();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0.as_str()))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1.as_str()))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.3.as_str()))),
    ];
    RecordBatch::try_new(schema, columns).expect("success batch")
}

fn settings_batch(scope: Scope, split_across_recipients: bool) -> RecordBatch {
    let schema = crate::schema::label_settings();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![scope.as_str()])),
        Arc::new(arrow::array::BooleanArray::from(vec![split_across_recipients])),
    ];
    RecordBatch::try_new(schema, columns).expect("settings batch")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_waits_for_the_rules_whose_tables_it_reads_and_for_those_that_read_its_table() {
        let rule = |name: &str, sql: &str| queries::Rule {
            name: name.into(),
            table: name.split_once('_').unwrap().1.into(),
            sql: sql.into(),
            origin: "test".into(),
        };
        let rules = [
            rule("10_a", "SELECT * FROM messages"),
            rule("20_b", "SELECT * FROM runs"),
            rule("30_c", "SELECT * FROM \"a\" JOIN b USING (run_id)"),
            rule("40_d", "SELECT * FROM runs WHERE run_id NOT IN (SELECT run_id FROM e)"),
            rule("50_e", "SELECT 1 AS run_id"),
            rule("60_a", "SELECT * FROM items"),
        ];
        // c reads a and b; e replaces a table d reads; the second a replaces the first and c's input.
        assert_eq!(waves(&rules), vec![vec![0, 1, 3], vec![2, 4], vec![5]]);
        let built_in = queries::rules(None).unwrap();
        let waves = waves(&built_in);
        let wave_of = |name: &str| waves.iter().position(|w| w.iter().any(|&i| built_in[i].name == name)).unwrap();
        assert!(wave_of("20_outward_messages") > wave_of("12_run_truth"));
        assert!(wave_of("40_exposures") > wave_of("35_relays") && wave_of("35_relays") > wave_of("30_item_matches"));
        assert!(
            wave_of("70_outcomes") > wave_of("60_task_success") && wave_of("70_outcomes") > wave_of("40_exposures")
        );
        assert!(waves.len() < built_in.len(), "some built-in rules run together: {waves:?}");
    }

    #[test]
    fn spread_keeps_every_row_once_in_order_over_nearly_equal_parts() {
        let batch = |from: i32, n: i32| {
            let ids = arrow::array::Int32Array::from_iter_values(from..from + n);
            RecordBatch::try_from_iter([("id", Arc::new(ids) as ArrayRef)]).unwrap()
        };
        for (sizes, parts) in [(vec![10, 3, 0, 8], 2), (vec![1], 4), (vec![5, 5], 3), (vec![], 2)] {
            let mut from = 0;
            let batches: Vec<RecordBatch> = sizes.iter().map(|&n| (batch(from, n), from += n).0).collect();
            let spread = spread(batches, parts);
            assert_eq!(spread.len(), parts);
            let rows: Vec<usize> = spread.iter().map(|p| p.iter().map(RecordBatch::num_rows).sum()).collect();
            assert!(rows.iter().max().unwrap() - rows.iter().min().unwrap() <= 1, "{rows:?}");
            let ids: Vec<i32> = spread
                .iter()
                .flatten()
                .flat_map(|b| b.column(0).as_primitive::<arrow::datatypes::Int32Type>().values().to_vec())
                .collect();
            assert_eq!(ids, (0..from).collect::<Vec<_>>());
        }
    }

    /// The split deals every row of a run to the one partition its id hashes to, in the store's order, gathers the
    /// small per-partition pieces into batches, and gives every partition the rows without a run id.
    #[tokio::test]
    async fn a_split_deals_each_run_to_one_partition_and_shared_rows_to_all() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let ctx = SessionContext::new();
        let items = |sql: String| {
            let ctx = ctx.clone();
            async move {
                let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
                batches.iter().map(|b| to_canonical(b, Table::Items).unwrap()).collect::<Vec<_>>()
            }
        };
        let rows = |run_id: &str, n: u32| {
            format!(
                "SELECT '{scope}' AS scope, 's' AS scenario_id, {run_id} AS run_id, 'item-' || value AS item_id, \
                 'code' AS kind, 'v' AS value, make_array('form') AS match_forms, make_array('p') AS patterns, \
                 make_array('exact') AS match_kinds, false AS in_mni, false AS is_decoy, \
                 CAST(NULL AS INT) AS partial FROM generate_series(1, {n})",
                scope = if run_id == "NULL" { "scenario" } else { "run" }
            )
        };
        let mut batches = items(rows("NULL", 3)).await;
        batches.extend(items(rows("'run-' || (value % 500)", 60_000)).await);
        store.replace(Table::Items, &batches).unwrap();

        let split = Split::write(&store, 3).await.unwrap();
        let mut total = 0;
        for partition in 0..3 {
            let batches = split.read(Table::Items, partition).unwrap();
            let mut shared = 0;
            for batch in &batches {
                let run_ids = batch.column_by_name("run_id").unwrap().as_string::<i32>();
                for id in run_ids {
                    match id {
                        None => shared += 1,
                        Some(id) => assert_eq!(udf::bucket_of(id, 3), partition as u64, "{id}"),
                    }
                }
            }
            assert_eq!(shared, 3, "partition {partition} has every row without a run id");
            let own = batches.iter().map(RecordBatch::num_rows).sum::<usize>() - shared;
            // The store's batches are 8 k rows: without gathering, each would leave a piece in every partition.
            assert!(
                batches.len() <= 1 + own.div_ceil(crate::store::Gather::ROWS),
                "{} batches for {own} rows",
                batches.len()
            );
            total += own;
        }
        assert_eq!(total, 60_000, "every run's row is in exactly one partition");
        let folder = split.dir.clone();
        drop(split);
        assert!(!folder.exists(), "the scratch folder is removed with the split");
    }

    /// Every rule plans and runs against empty tables of the canonical schema, so a column typo fails here.
    #[tokio::test]
    async fn every_rule_runs_on_an_empty_store_and_writes_canonical_tables() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let catalog = Catalog::embedded().unwrap();
        let options = Options::new(Scope::Chain, Reveal::Masked);
        let summary = label(&store, &catalog, &options).await.unwrap();
        assert_eq!((summary.runs, summary.exposures, summary.authorizations), (0, 0, 0));
        assert_eq!(summary.rules.len(), queries::rules(None).unwrap().len());
        for table in [Table::Exposures, Table::Authorizations, Table::Outcomes] {
            let files = store.table_files(table.name());
            assert_eq!(files.len(), 1, "{} is written even when empty", table.name());
            let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                std::fs::File::open(&files[0]).unwrap(),
            )
            .unwrap();
            assert_eq!(reader.schema().fields(), table.schema().fields(), "{}", table.name());
        }
    }
}
