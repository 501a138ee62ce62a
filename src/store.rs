//! The Parquet store: one folder per table, Hive-partitioned by source format (`messages/source=agentleak/…`),
//! files written atomically (a hidden temp file renamed into place when complete).
//!
//! In: Arrow record batches of the canonical schemas. Out: Parquet files any engine can read (DataFusion here;
//! polars, pandas or DuckDB with hive partitioning outside), and the set of source hashes already ingested.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{Array, RecordBatch, StringArray};
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::error::{Error, Result};
use crate::schema::Table;

/// Rows per Parquet row group: bounds the writer's memory and keeps scans parallel.
const ROW_GROUP_ROWS: usize = 64 * 1024;

/// Parts are compressed with LZ4 (raw), not zstd: labeling reads `messages` once per partition, and on a 300 MB
/// corpus zstd's decompression cost it 40 % more CPU (14.7 against 8.4 s), and its compression a quarter of the
/// ingest's CPU, for a store 1.7 times smaller (52 against 87 MB). DuckDB, pyarrow and Polars read LZ4_RAW.
const COMPRESSION: Compression = Compression::LZ4_RAW;

/// Columns of free text (a message's words, a tool call's arguments, evidence): no query prunes on their range, so
/// their Parquet chunks carry no min/max statistics, which the writer would otherwise compute over every value.
/// (They keep their dictionary: simulated and templated logs repeat whole messages, and labeling sizes its
/// partitions by the encoded bytes.)
const FREE_TEXT: [&str; 3] = [crate::schema::col::CONTENT, crate::schema::col::TOOL_ARGS, crate::schema::col::EVIDENCE];

/// A store folder.
#[derive(Debug, Clone)]
pub struct Store {
    pub root: PathBuf,
}

impl Store {
    /// Open (and create if needed) a store folder.
    pub fn create(root: &Path) -> Result<Store> {
        std::fs::create_dir_all(root).map_err(|source| Error::Write { path: root.to_path_buf(), source })?;
        Ok(Store { root: root.to_path_buf() })
    }

    /// Open an existing store folder for reading.
    pub fn open(root: &Path) -> Result<Store> {
        if !root.is_dir() {
            return Err(Error::NoStore { path: root.to_path_buf() });
        }
        Ok(Store { root: root.to_path_buf() })
    }

    pub fn table_dir(&self, table: &str) -> PathBuf {
        self.root.join(table)
    }

    /// Every complete Parquet file of a table (temp files of an interrupted write are not listed).
    pub fn table_files(&self, table: &str) -> Vec<PathBuf> {
        let mut files = Vec::new();
        collect_parquet(&self.table_dir(table), &mut files);
        files.sort();
        files
    }

    /// Start a new part file of `table` in partition `source=<partition>` (or unpartitioned for `None`).
    pub fn part_writer(&self, table: &str, schema: SchemaRef, partition: Option<&str>) -> Result<PartWriter> {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let mut dir = self.table_dir(table);
        if let Some(p) = partition {
            dir = dir.join(format!("source={}", sanitize(p)));
        }
        std::fs::create_dir_all(&dir).map_err(|source| Error::Write { path: dir.clone(), source })?;
        let stamp =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let name = format!("part-{stamp}-{}-{}.parquet", std::process::id(), SEQUENCE.fetch_add(1, Ordering::Relaxed));
        let path = dir.join(&name);
        let temp = dir.join(format!(".{name}.tmp"));
        let file = File::create(&temp).map_err(|source| Error::Write { path: temp.clone(), source })?;
        let mut props =
            WriterProperties::builder().set_compression(COMPRESSION).set_max_row_group_row_count(Some(ROW_GROUP_ROWS));
        for column in FREE_TEXT {
            props = props.set_column_statistics_enabled(ColumnPath::from(column), EnabledStatistics::None);
        }
        let props = props.build();
        let writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| parquet_error(&temp, e))?;
        Ok(PartWriter { writer: Some(writer), temp, path, rows: 0, pending: Gather::default() })
    }

    /// Write whole batches as one new part file; nothing is written for no rows.
    pub fn write(&self, table: Table, partition: Option<&str>, batches: &[RecordBatch]) -> Result<Option<PathBuf>> {
        if batches.iter().all(|b| b.num_rows() == 0) {
            return Ok(None);
        }
        let mut writer = self.part_writer(table.name(), table.schema(), partition)?;
        for batch in batches {
            writer.write(batch)?;
        }
        writer.finish().map(Some)
    }

    /// Write a derived table anew (labels, metrics, fits): the new part first, then the old parts go, so a failure
    /// leaves the old table in place.
    pub fn replace(&self, table: Table, batches: &[RecordBatch]) -> Result<()> {
        let mut writer = self.part_writer(table.name(), table.schema(), None)?;
        for batch in batches {
            writer.write(batch)?;
        }
        self.replace_with(table, writer)
    }

    /// Replace a derived table by a part written with [`Store::part_writer`]: the new part is finished first,
    /// then the old parts go, so a failure leaves the old table in place.
    pub fn replace_with(&self, table: Table, writer: PartWriter) -> Result<()> {
        let old = self.table_files(table.name());
        let new = writer.finish()?;
        for path in old.into_iter().filter(|p| *p != new) {
            std::fs::remove_file(&path).map_err(|source| Error::Write { path, source })?;
        }
        Ok(())
    }

    /// Every row of a table, read from its files (for small tables such as the ground truth).
    pub fn read_table(&self, table: Table) -> Result<Vec<RecordBatch>> {
        read_parquet_folder(&self.table_dir(table.name()))
    }

    /// The uncompressed size of a table's data, from its files' footers (nothing else is read).
    pub fn uncompressed_bytes(&self, table: Table) -> u64 {
        let mut bytes = 0u64;
        for path in self.table_files(table.name()) {
            let Ok(file) = File::open(&path) else { continue };
            let Ok(reader) = parquet::file::reader::SerializedFileReader::new(file) else { continue };
            use parquet::file::reader::FileReader;
            bytes += reader.metadata().row_groups().iter().map(|g| g.total_byte_size().max(0) as u64).sum::<u64>();
        }
        bytes
    }

    /// Distinct non-null values of a string column across a table's files (e.g. the source hashes ingested).
    pub fn distinct_strings(&self, table: &str, column: &str) -> Result<HashSet<String>> {
        let mut values = HashSet::new();
        for path in self.table_files(table) {
            let file = File::open(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_error(&path, e))?;
            let Some(index) = builder.schema().fields().iter().position(|f| f.name() == column) else {
                continue;
            };
            let mask = ProjectionMask::roots(builder.parquet_schema(), [index]);
            let reader = builder.with_projection(mask).build().map_err(|e| parquet_error(&path, e))?;
            for batch in reader {
                let batch = batch.map_err(|e| Error::Corrupt { path: path.clone(), reason: e.to_string() })?;
                if let Some(strings) = batch.column(0).as_any().downcast_ref::<StringArray>() {
                    values.extend(strings.iter().flatten().map(str::to_string));
                }
            }
        }
        Ok(values)
    }
}

/// One Parquet file being written; it appears under its final name only when [`PartWriter::finish`] succeeds.
pub struct PartWriter {
    /// Taken by `finish`; a writer dropped unfinished removes its temp file.
    writer: Option<ArrowWriter<File>>,
    temp: PathBuf,
    path: PathBuf,
    rows: usize,
    /// Small batches held back until they add up: the Parquet writer's work per call (every column's levels,
    /// pages, statistics) is then paid once per 8 k rows, not once per small file (AgentLeak: 5 messages a file).
    pending: Gather,
}

/// Small batches gathered into one of about 8 k rows (or 8 MiB) before a writer gets them, so that its work per
/// call is paid once per gathering. A batch that is that large alone, with nothing gathered, passes through.
#[derive(Default)]
pub(crate) struct Gather {
    batches: Vec<RecordBatch>,
    rows: usize,
    bytes: usize,
}

impl Gather {
    pub(crate) const ROWS: usize = 8 * 1024;
    const BYTES: usize = 8 << 20;

    /// Add a batch; the gathered rows as one batch when they are enough to write.
    pub(crate) fn push(&mut self, batch: RecordBatch) -> arrow::error::Result<Option<RecordBatch>> {
        if batch.num_rows() >= Self::ROWS && self.batches.is_empty() {
            return Ok(Some(batch));
        }
        self.rows += batch.num_rows();
        self.bytes += batch.get_array_memory_size();
        self.batches.push(batch);
        if self.rows >= Self::ROWS || self.bytes >= Self::BYTES { self.take() } else { Ok(None) }
    }

    /// The rows gathered so far as one batch, if any.
    pub(crate) fn take(&mut self) -> arrow::error::Result<Option<RecordBatch>> {
        let Some(first) = self.batches.first() else { return Ok(None) };
        let batch = arrow::compute::concat_batches(&first.schema(), &self.batches)?;
        *self = Gather::default();
        Ok(Some(batch))
    }
}

impl PartWriter {
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows();
        match self.pending.push(batch.clone()).map_err(|e| parquet_error(&self.temp, e))? {
            Some(batch) => self.write_now(&batch),
            None => Ok(()),
        }
    }

    fn flush(&mut self) -> Result<()> {
        match self.pending.take().map_err(|e| parquet_error(&self.temp, e))? {
            Some(batch) => self.write_now(&batch),
            None => Ok(()),
        }
    }

    fn write_now(&mut self, batch: &RecordBatch) -> Result<()> {
        let writer = self.writer.as_mut().expect("a part writer is written only before finish");
        writer.write(batch).map_err(|e| parquet_error(&self.temp, e))
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn finish(mut self) -> Result<PathBuf> {
        self.flush()?;
        let writer = self.writer.take().expect("a part writer is finished once");
        writer.close().map_err(|e| parquet_error(&self.temp, e))?;
        std::fs::rename(&self.temp, &self.path).map_err(|source| Error::Write { path: self.path.clone(), source })?;
        Ok(self.path.clone())
    }
}

impl Drop for PartWriter {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

fn parquet_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Corrupt { path: path.to_path_buf(), reason: format!("parquet: {e}") }
}

/// Every row of the complete Parquet files in a folder and its subfolders (none when it is missing), in file name
/// order.
pub fn read_parquet_folder(dir: &Path) -> Result<Vec<RecordBatch>> {
    let mut files = Vec::new();
    collect_parquet(dir, &mut files);
    files.sort();
    let mut batches = Vec::new();
    for path in files {
        let file = File::open(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(|e| parquet_error(&path, e))?;
        for batch in reader {
            batches.push(batch.map_err(|e| Error::Corrupt { path: path.clone(), reason: e.to_string() })?);
        }
    }
    Ok(batches)
}

fn collect_parquet(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            collect_parquet(&path, out);
        } else if name.ends_with(".parquet") && !name.starts_with('.') {
            out.push(path);
        }
    }
}

/// Partition values become folder names: keep them to a safe alphabet.
fn sanitize(value: &str) -> String {
    value.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn written_parts_are_complete_partitioned_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let items = Catalog::embedded().unwrap().items_batch();
        let path = store.write(Table::Items, Some("catalog"), std::slice::from_ref(&items)).unwrap().unwrap();
        assert!(path.starts_with(dir.path().join("items/source=catalog")));
        assert_eq!(store.table_files("items"), vec![path]);
        let ids = store.distinct_strings("items", crate::schema::col::SCENARIO_ID).unwrap();
        assert_eq!(ids.len(), 19);
        assert!(store.write(Table::Items, None, &[RecordBatch::new_empty(items.schema())]).unwrap().is_none());
    }

    #[test]
    fn an_unfinished_part_is_invisible() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let mut writer = store.part_writer("runs", crate::schema::runs(), Some("x")).unwrap();
        writer.write(&RecordBatch::new_empty(crate::schema::runs())).unwrap();
        assert!(store.table_files("runs").is_empty());
        let temp = writer.temp.clone();
        assert!(temp.exists());
        drop(writer);
        assert!(store.table_files("runs").is_empty());
        assert!(!temp.exists(), "an abandoned part leaves no temp file behind");
    }
}
