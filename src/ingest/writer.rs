//! The store writer of an ingest: one thread that receives parsed parts in file order, numbers turns, merges each
//! run's metadata across chunks and with the manifest, and streams rows into Parquet part files per table and
//! source format. Runs and the `sources` ledger are written last, once every part of their file has arrived.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use arrow::array::{
    Array, ArrayRef, BooleanBuilder, Float64Builder, Int32Array, Int32Builder, Int64Builder, ListBuilder, RecordBatch,
    StringArray, StringBuilder, TimestampMicrosecondBuilder,
};

use super::manifest::Manifest;
use super::record::{Message, Parsed, Reject, RunAction, RunItem, RunMeta};
use crate::error::Result;
use crate::schema::{self, Table};
use crate::store::{PartWriter, Store};

/// Rows per part file before a new one is started.
const ROWS_PER_PART: usize = 4_000_000;

/// The file a part came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSource {
    pub display: String,
    pub format: Option<String>,
    pub hash: String,
    pub framework: Option<String>,
}

/// Records parsed from (a chunk of) one file; `last` marks the file's final part.
pub struct Part {
    pub source: FileSource,
    pub parsed: Parsed,
    pub last: bool,
    /// `parsed.messages` as a batch of the `messages` table, built where the part was parsed (in parallel) so the
    /// one writer thread only numbers turns and encodes; its messages are then taken out of `parsed`.
    messages: Option<RecordBatch>,
}

impl Part {
    /// A part whose messages are turned into their Arrow batch here, on the calling thread.
    pub fn new(source: FileSource, mut parsed: Parsed, last: bool) -> Part {
        let messages = (!parsed.messages.is_empty()).then(|| messages_batch(&std::mem::take(&mut parsed.messages)));
        Part { source, parsed, last, messages }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct FileCounts {
    pub runs: u64,
    pub messages: u64,
}

/// What the writer wrote, per file.
#[derive(Debug, Default)]
pub struct Written {
    pub counts: HashMap<String, FileCounts>,
}

/// A run's state while the parts of its files arrive. Kept small (about 40 bytes plus its id), because every run of
/// an ingest stays here until the end: a million runs must fit in well under the ingest's memory bound (issue 10).
/// Strings are interned: a run points at its file and at the few distinct metadata values.
#[derive(Clone, Copy)]
struct RunState {
    /// Index into `Writer::files`.
    file: u32,
    framework: Sym,
    backend: Sym,
    /// Index into `Writer::extras` when the log set any other metadata, else `NO_EXTRA`.
    extra: u32,
    messages: i64,
    next_turn: i32,
}

const NO_EXTRA: u32 = u32::MAX;

/// The run metadata most logs leave unset, stored only for the runs that have some.
#[derive(Clone, Copy, Default)]
struct Extra {
    scenario_id: Sym,
    defense: Sym,
    trust: Option<f64>,
    seed: Option<i64>,
    repetition: Option<i32>,
    synthetic: Option<bool>,
    started_at: Option<i64>,
}

/// An interned string: 0 is none, `n` is `Symbols::names[n - 1]`.
type Sym = u32;

#[derive(Default)]
struct Symbols {
    index: HashMap<Box<str>, Sym>,
    names: Vec<Box<str>>,
}

impl Symbols {
    fn intern(&mut self, value: Option<&str>) -> Sym {
        let Some(value) = value else { return 0 };
        if let Some(&sym) = self.index.get(value) {
            return sym;
        }
        self.names.push(value.into());
        let sym = self.names.len() as Sym;
        self.index.insert(value.into(), sym);
        sym
    }

    fn get(&self, sym: Sym) -> Option<String> {
        (sym != 0).then(|| self.names[sym as usize - 1].to_string())
    }
}

#[derive(Default)]
struct Ledger {
    read: u64,
    ingested: u64,
    rejected: u64,
    runs: u64,
    messages: u64,
}

pub struct Writer<'a> {
    store: &'a Store,
    manifest: Option<&'a Manifest>,
    parts: HashMap<(Table, String), PartWriter>,
    /// Run id → index into `runs`, which is in order of first appearance.
    run_index: HashMap<Box<str>, u32>,
    runs: Vec<RunState>,
    extras: Vec<Extra>,
    symbols: Symbols,
    /// Every file a run came from, and its index by display name.
    files: Vec<FileSource>,
    file_index: HashMap<String, u32>,
    ledgers: HashMap<String, Ledger>,
    sources: Vec<(FileSource, Ledger)>,
    started: i64,
}

impl<'a> Writer<'a> {
    pub fn new(store: &'a Store, manifest: Option<&'a Manifest>) -> Writer<'a> {
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        Writer {
            store,
            manifest,
            parts: HashMap::new(),
            run_index: HashMap::new(),
            runs: Vec::new(),
            extras: Vec::new(),
            symbols: Symbols::default(),
            files: Vec::new(),
            file_index: HashMap::new(),
            ledgers: HashMap::new(),
            sources: Vec::new(),
            started,
        }
    }

    /// Consume parts until every sender is gone, then write runs and the ledger and close every file.
    pub fn run(mut self, parts: Receiver<Part>) -> Result<Written> {
        let mut failure = None;
        for part in parts {
            // After a write failure keep draining, so producers never block on a full channel.
            if failure.is_none()
                && let Err(e) = self.accept(part)
            {
                failure = Some(e);
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        self.finish()
    }

    /// The index of a file in `files`, registering it on first sight. A file streamed while it is read gets its
    /// hash with its last part: the parts before it come without one.
    fn file(&mut self, source: &FileSource) -> u32 {
        if let Some(&i) = self.file_index.get(&source.display) {
            let known = &mut self.files[i as usize];
            if known.format == source.format && known.framework == source.framework {
                if known.hash.is_empty() {
                    known.hash.clone_from(&source.hash);
                }
                if known.hash == source.hash || source.hash.is_empty() {
                    return i;
                }
            }
        }
        self.files.push(source.clone());
        let i = (self.files.len() - 1) as u32;
        self.file_index.insert(source.display.clone(), i);
        i
    }

    /// Start a run's state from the metadata its first part announced.
    fn new_run(&mut self, run_id: &str, mut meta: RunMeta, file: u32) -> u32 {
        if meta.framework.is_none() {
            meta.framework = self.files[file as usize].framework.clone();
        }
        let mut state = RunState { file, framework: 0, backend: 0, extra: NO_EXTRA, messages: 0, next_turn: 0 };
        self.fill(&mut state, &meta);
        self.runs.push(state);
        let index = (self.runs.len() - 1) as u32;
        self.run_index.insert(run_id.into(), index);
        index
    }

    /// Fill the fields a run's state lacks from `meta` (what arrived first wins, as in `RunMeta::fill_from`).
    fn fill(&mut self, state: &mut RunState, meta: &RunMeta) {
        if state.framework == 0 {
            state.framework = self.symbols.intern(meta.framework.as_deref());
        }
        if state.backend == 0 {
            state.backend = self.symbols.intern(meta.backend.as_deref());
        }
        let has_extra = meta.scenario_id.is_some()
            || meta.defense.is_some()
            || meta.trust.is_some()
            || meta.seed.is_some()
            || meta.repetition.is_some()
            || meta.synthetic.is_some()
            || meta.started_at.is_some();
        if !has_extra {
            return;
        }
        if state.extra == NO_EXTRA {
            self.extras.push(Extra::default());
            state.extra = (self.extras.len() - 1) as u32;
        }
        let mut extra = self.extras[state.extra as usize];
        if extra.scenario_id == 0 {
            extra.scenario_id = self.symbols.intern(meta.scenario_id.as_deref());
        }
        if extra.defense == 0 {
            extra.defense = self.symbols.intern(meta.defense.as_deref());
        }
        extra.trust = extra.trust.or(meta.trust);
        extra.seed = extra.seed.or(meta.seed);
        extra.repetition = extra.repetition.or(meta.repetition);
        extra.synthetic = extra.synthetic.or(meta.synthetic);
        extra.started_at = extra.started_at.or(meta.started_at);
        self.extras[state.extra as usize] = extra;
    }

    /// A run's metadata as the adapters' record type.
    fn meta(&self, state: &RunState) -> RunMeta {
        let extra = if state.extra == NO_EXTRA { Extra::default() } else { self.extras[state.extra as usize] };
        RunMeta {
            framework: self.symbols.get(state.framework),
            backend: self.symbols.get(state.backend),
            scenario_id: self.symbols.get(extra.scenario_id),
            trust: extra.trust,
            defense: self.symbols.get(extra.defense),
            seed: extra.seed,
            repetition: extra.repetition,
            synthetic: extra.synthetic,
            started_at: extra.started_at,
        }
    }

    fn accept(&mut self, part: Part) -> Result<()> {
        let Part { source, mut parsed, last, messages } = part;
        let unaccounted = parsed.unaccounted();
        if unaccounted != 0 {
            // An adapter miscounted: say so in the quarantine rather than lose or invent records.
            parsed.reject(None, None, format!("internal: the adapter left {unaccounted} records unaccounted"));
            parsed.read = parsed.ingested + parsed.rejects.len() as u64;
        }
        let partition = source.format.clone().unwrap_or_else(|| "unknown".into());
        let mut new_runs = 0;
        let has_rows = !parsed.runs.is_empty() || !parsed.messages.is_empty() || messages.is_some();
        let file = (has_rows || (last && self.file_index.contains_key(&source.display))).then(|| self.file(&source));

        for run in parsed.runs.drain(..) {
            match self.run_index.get(run.run_id.as_str()) {
                Some(&i) => {
                    let mut state = self.runs[i as usize];
                    self.fill(&mut state, &run.meta);
                    self.runs[i as usize] = state;
                }
                None => {
                    self.new_run(&run.run_id, run.meta, file.expect("a part with runs has a file"));
                    new_runs += 1;
                }
            }
        }
        let mut messages = match messages {
            Some(batch) => Some(batch),
            None if !parsed.messages.is_empty() => Some(messages_batch(&parsed.messages)),
            None => None,
        };
        let n_messages = messages.as_ref().map_or(0, RecordBatch::num_rows);
        if let Some(batch) = &mut messages {
            let ids = batch.column_by_name(schema::col::RUN_ID).and_then(|c| c.as_any().downcast_ref::<StringArray>());
            let turns = batch.column_by_name(schema::col::TURN).and_then(|c| c.as_any().downcast_ref::<Int32Array>());
            let (Some(ids), Some(turns)) = (ids, turns) else {
                unreachable!("messages_batch builds run_id and turn columns")
            };
            let mut numbered: Option<Vec<i32>> = None;
            for row in 0..ids.len() {
                let run_id = ids.value(row);
                let index = match self.run_index.get(run_id) {
                    Some(&i) => i,
                    None => {
                        // A message of a run the adapter did not announce: announce it now.
                        new_runs += 1;
                        self.new_run(run_id, RunMeta::default(), file.expect("a part with messages has a file"))
                    }
                };
                let state = &mut self.runs[index as usize];
                let mut turn = turns.value(row);
                if turn < 0 {
                    turn = state.next_turn;
                    numbered.get_or_insert_with(|| turns.values().to_vec())[row] = turn;
                }
                state.next_turn = state.next_turn.max(turn.saturating_add(1));
                state.messages += 1;
            }
            if let Some(numbered) = numbered {
                let index = batch.schema().index_of(schema::col::TURN).expect("messages have a turn column");
                let mut columns = batch.columns().to_vec();
                columns[index] = Arc::new(Int32Array::from(numbered));
                *batch = RecordBatch::try_new(batch.schema(), columns).expect("the same schema with turns numbered");
            }
        }
        let ledger = self.ledgers.entry(source.display.clone()).or_default();
        ledger.read += parsed.read;
        ledger.ingested += parsed.ingested;
        ledger.rejected += parsed.rejects.len() as u64;
        ledger.runs += new_runs;
        ledger.messages += n_messages as u64;

        if let Some(batch) = messages {
            self.append(Table::Messages, &partition, batch)?;
        }
        if !parsed.items.is_empty() {
            self.append(Table::Items, &partition, items_batch(&parsed.items))?;
        }
        if !parsed.actions.is_empty() {
            self.append(Table::Actions, &partition, actions_batch(&parsed.actions))?;
        }
        if !parsed.rejects.is_empty() {
            let batch = rejects_batch(&source, &parsed.rejects);
            self.append(Table::Rejects, &partition, batch)?;
        }
        if last {
            let ledger = self.ledgers.remove(&source.display).unwrap_or_default();
            self.sources.push((source, ledger));
        }
        Ok(())
    }

    fn append(&mut self, table: Table, partition: &str, batch: RecordBatch) -> Result<()> {
        append(self.store, &mut self.parts, table, partition, &batch)
    }

    fn finish(mut self) -> Result<Written> {
        // Parts that never said `last` (a producer stopped early) still get their ledger row.
        let open: Vec<String> = self.ledgers.keys().cloned().collect();
        for display in open {
            if let Some(ledger) = self.ledgers.remove(&display) {
                let source = self.file_index.get(&display).map(|&i| self.files[i as usize].clone());
                let source =
                    source.unwrap_or(FileSource { display, format: None, hash: String::new(), framework: None });
                self.sources.push((source, ledger));
            }
        }

        // Runs in order of first appearance, per partition, written a row group at a time.
        let mut ids: Vec<&str> = vec![""; self.runs.len()];
        for (id, &i) in &self.run_index {
            ids[i as usize] = id;
        }
        let mut by_partition: HashMap<&str, Vec<u32>> = HashMap::new();
        for (i, state) in self.runs.iter().enumerate() {
            let partition = self.files[state.file as usize].format.as_deref().unwrap_or("unknown");
            by_partition.entry(partition).or_default().push(i as u32);
        }
        let mut parts = std::mem::take(&mut self.parts);
        for (partition, indices) in &by_partition {
            for slice in indices.chunks(RUNS_PER_BATCH) {
                let rows: Vec<RunRow> = slice.iter().map(|&i| self.run_row(ids[i as usize], i)).collect();
                append(self.store, &mut parts, Table::Runs, partition, &runs_batch(&rows))?;
            }
        }
        self.parts = parts;
        drop(by_partition);
        drop(ids);
        let mut written = Written::default();
        let mut ledger_rows: HashMap<String, Vec<(FileSource, Ledger)>> = HashMap::new();
        for (source, ledger) in std::mem::take(&mut self.sources) {
            written.counts.insert(source.display.clone(), FileCounts { runs: ledger.runs, messages: ledger.messages });
            if !source.hash.is_empty() {
                let partition = source.format.clone().unwrap_or_else(|| "unknown".into());
                ledger_rows.entry(partition).or_default().push((source, ledger));
            }
        }
        let started = self.started;
        for (partition, rows) in &ledger_rows {
            self.append(Table::Sources, partition, sources_batch(rows, started))?;
        }
        for (_, writer) in self.parts.drain() {
            writer.finish()?;
        }
        Ok(written)
    }

    /// A run's row: its metadata merged with the manifest's, and where the condition came from.
    fn run_row<'s>(&'s self, run_id: &'s str, index: u32) -> RunRow<'s> {
        let state = &self.runs[index as usize];
        let source = &self.files[state.file as usize];
        let mut meta = self.meta(state);
        let from_log = meta.has_condition();
        let listed = self.manifest.and_then(|m| m.lookup(run_id, &source.display));
        if let Some(listed) = &listed {
            // Framework and backend name the system under test: the manifest's grouping replaces what
            // an adapter infers from the file format and the model name.
            if listed.framework.is_some() {
                meta.framework = listed.framework.clone();
            }
            if listed.backend.is_some() {
                meta.backend = listed.backend.clone();
            }
            meta.fill_from(listed);
        }
        let meta_source = match (listed, from_log) {
            (Some(_), _) => "manifest",
            (None, true) => "log",
            (None, false) => "none",
        };
        RunRow { run_id, source, meta, messages: state.messages, meta_source }
    }
}

/// Write a batch to the table's open part file in `partition`, starting a new part file when it is full.
fn append(
    store: &Store,
    parts: &mut HashMap<(Table, String), PartWriter>,
    table: Table,
    partition: &str,
    batch: &RecordBatch,
) -> Result<()> {
    let key = (table, partition.to_string());
    if parts.get(&key).is_some_and(|w| w.rows() >= ROWS_PER_PART)
        && let Some(full) = parts.remove(&key)
    {
        full.finish()?;
    }
    if !parts.contains_key(&key) {
        let writer = store.part_writer(table.name(), table.schema(), Some(partition))?;
        parts.insert(key.clone(), writer);
    }
    parts.get_mut(&key).expect("writer was just opened").write(batch)
}

/// Rows of the `runs` table built at a time when an ingest ends (one row group).
const RUNS_PER_BATCH: usize = 64 * 1024;

/// One row of the `runs` table.
struct RunRow<'s> {
    run_id: &'s str,
    source: &'s FileSource,
    meta: RunMeta,
    messages: i64,
    /// Where the experimental condition came from: `log`, `manifest` or `none`.
    meta_source: &'static str,
}

fn string_list<'b>(builder: &mut ListBuilder<StringBuilder>, values: impl IntoIterator<Item = &'b String>) {
    for v in values {
        builder.values().append_value(v);
    }
    builder.append(true);
}

fn list_builder() -> ListBuilder<StringBuilder> {
    let field = match schema::utf8_list_type() {
        arrow::datatypes::DataType::List(field) => field,
        _ => unreachable!("utf8_list_type is a list"),
    };
    ListBuilder::new(StringBuilder::new()).with_field(field)
}

fn timestamps(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    let mut b = TimestampMicrosecondBuilder::new().with_timezone("UTC");
    for v in values {
        b.append_option(v);
    }
    Arc::new(b.finish())
}

fn strings<'b>(values: impl Iterator<Item = Option<&'b str>>) -> ArrayRef {
    let mut b = StringBuilder::new();
    for v in values {
        b.append_option(v);
    }
    Arc::new(b.finish())
}

fn batch(table: Table, columns: Vec<ArrayRef>) -> RecordBatch {
    RecordBatch::try_new(table.schema(), columns).expect("ingest builds batches of the canonical schema")
}

pub fn messages_batch(messages: &[Message]) -> RecordBatch {
    let mut turn = Int32Builder::with_capacity(messages.len());
    let mut recipients = list_builder();
    let mut is_final = BooleanBuilder::with_capacity(messages.len());
    let mut offset = Int64Builder::with_capacity(messages.len());
    for m in messages {
        turn.append_value(m.turn);
        string_list(&mut recipients, &m.recipients);
        is_final.append_value(m.is_final);
        offset.append_value(m.source_offset);
    }
    batch(
        Table::Messages,
        vec![
            strings(messages.iter().map(|m| Some(m.run_id.as_str()))),
            Arc::new(turn.finish()),
            timestamps(messages.iter().map(|m| m.ts)),
            strings(messages.iter().map(|m| Some(m.sender.as_str()))),
            strings(messages.iter().map(|m| m.sender_role.as_deref())),
            Arc::new(recipients.finish()),
            strings(messages.iter().map(|m| m.channel.as_deref())),
            strings(messages.iter().map(|m| Some(m.kind))),
            strings(messages.iter().map(|m| Some(m.content.as_str()))),
            strings(messages.iter().map(|m| m.tool_name.as_deref())),
            strings(messages.iter().map(|m| m.tool_args.as_deref())),
            strings(messages.iter().map(|m| m.model.as_deref())),
            Arc::new(is_final.finish()),
            Arc::new(offset.finish()),
        ],
    )
}

fn items_batch(items: &[RunItem]) -> RecordBatch {
    let mut forms = list_builder();
    let mut patterns = list_builder();
    let mut match_kinds = list_builder();
    let mut in_mni = BooleanBuilder::new();
    let mut is_decoy = BooleanBuilder::new();
    for item in items {
        string_list(&mut forms, &item.match_forms);
        string_list(&mut patterns, &[]);
        string_list(&mut match_kinds, &item.match_kinds);
        in_mni.append_value(item.in_mni);
        is_decoy.append_value(item.is_decoy);
    }
    batch(
        Table::Items,
        vec![
            strings(items.iter().map(|_| Some("run"))),
            strings(items.iter().map(|_| None)),
            strings(items.iter().map(|i| Some(i.run_id.as_str()))),
            strings(items.iter().map(|i| Some(i.item_id.as_str()))),
            strings(items.iter().map(|i| Some(i.kind.as_str()))),
            strings(items.iter().map(|i| Some(i.value.as_str()))),
            Arc::new(forms.finish()),
            Arc::new(patterns.finish()),
            Arc::new(match_kinds.finish()),
            Arc::new(in_mni.finish()),
            Arc::new(is_decoy.finish()),
            Arc::new(arrow::array::Int32Array::new_null(items.len())),
        ],
    )
}

fn actions_batch(actions: &[RunAction]) -> RecordBatch {
    let mut allowed = BooleanBuilder::new();
    for a in actions {
        allowed.append_value(a.allowed);
    }
    batch(
        Table::Actions,
        vec![
            strings(actions.iter().map(|_| Some("run"))),
            strings(actions.iter().map(|_| None)),
            strings(actions.iter().map(|a| Some(a.run_id.as_str()))),
            strings(actions.iter().map(|a| Some(a.action.as_str()))),
            Arc::new(allowed.finish()),
            strings(actions.iter().map(|a| a.description.as_deref())),
        ],
    )
}

fn rejects_batch(source: &FileSource, rejects: &[Reject]) -> RecordBatch {
    let mut line = Int64Builder::new();
    let mut offset = Int64Builder::new();
    for r in rejects {
        line.append_option(r.line);
        offset.append_option(r.byte_offset);
    }
    batch(
        Table::Rejects,
        vec![
            strings(rejects.iter().map(|_| Some(source.display.as_str()))),
            Arc::new(line.finish()),
            Arc::new(offset.finish()),
            strings(rejects.iter().map(|_| source.format.as_deref())),
            strings(rejects.iter().map(|r| Some(r.reason.as_str()))),
        ],
    )
}

fn runs_batch(runs: &[RunRow]) -> RecordBatch {
    let mut trust = Float64Builder::new();
    let mut seed = Int64Builder::new();
    let mut repetition = Int32Builder::new();
    let mut n_messages = Int64Builder::new();
    let mut synthetic = BooleanBuilder::new();
    let mut meta_source = StringBuilder::new();
    for run in runs {
        trust.append_option(run.meta.trust);
        seed.append_option(run.meta.seed);
        repetition.append_option(run.meta.repetition);
        n_messages.append_value(run.messages);
        synthetic.append_value(
            run.meta
                .synthetic
                .unwrap_or_else(|| run.meta.framework.as_deref().is_some_and(|f| f.contains("synthetic"))),
        );
        meta_source.append_value(run.meta_source);
    }
    batch(
        Table::Runs,
        vec![
            strings(runs.iter().map(|r| Some(r.run_id))),
            strings(runs.iter().map(|r| Some(r.source.display.as_str()))),
            strings(runs.iter().map(|r| Some(r.source.format.as_deref().unwrap_or("unknown")))),
            strings(runs.iter().map(|r| Some(r.source.hash.as_str()))),
            strings(runs.iter().map(|r| r.meta.framework.as_deref())),
            strings(runs.iter().map(|r| r.meta.backend.as_deref())),
            strings(runs.iter().map(|r| r.meta.scenario_id.as_deref())),
            Arc::new(trust.finish()),
            strings(runs.iter().map(|r| r.meta.defense.as_deref())),
            Arc::new(seed.finish()),
            Arc::new(repetition.finish()),
            timestamps(runs.iter().map(|r| r.meta.started_at)),
            Arc::new(n_messages.finish()),
            Arc::new(meta_source.finish()),
            Arc::new(synthetic.finish()),
        ],
    )
}

fn sources_batch(rows: &[(FileSource, Ledger)], ingested_at: i64) -> RecordBatch {
    let ints = |f: &dyn Fn(&Ledger) -> u64| -> ArrayRef {
        let mut b = Int64Builder::new();
        for (_, l) in rows {
            b.append_value(f(l) as i64);
        }
        Arc::new(b.finish())
    };
    let bytes: ArrayRef = {
        let mut b = Int64Builder::new();
        for (s, _) in rows {
            b.append_value(std::fs::metadata(&s.display).map(|m| m.len() as i64).unwrap_or(0));
        }
        Arc::new(b.finish())
    };
    batch(
        Table::Sources,
        vec![
            strings(rows.iter().map(|(s, _)| Some(s.display.as_str()))),
            strings(rows.iter().map(|(s, _)| Some(s.hash.as_str()))),
            strings(rows.iter().map(|(s, _)| s.format.as_deref())),
            bytes,
            ints(&|l| l.read),
            ints(&|l| l.ingested),
            ints(&|l| l.rejected),
            timestamps(rows.iter().map(|_| Some(ingested_at))),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::record::RunInfo;
    use crate::schema::col;
    use arrow::array::{Array, Float64Array, Int32Array, Int64Array, StringArray};

    fn source(display: &str, hash: &str) -> FileSource {
        FileSource {
            display: display.into(),
            format: Some(crate::format::Format::Jsonl.name().into()),
            hash: hash.into(),
            framework: Some("generic".into()),
        }
    }

    fn part(source: FileSource, runs: Vec<(&str, RunMeta)>, messages: &[&str], last: bool) -> Part {
        let runs = runs.into_iter().map(|(run_id, meta)| RunInfo { run_id: run_id.into(), meta }).collect();
        let messages: Vec<Message> = messages.iter().map(|run| Message::new(run, "a", "text", 0)).collect();
        let n = messages.len() as u64;
        Part::new(source, Parsed { runs, messages, read: n, ingested: n, ..Parsed::default() }, last)
    }

    fn column<'b, T: 'static>(batch: &'b RecordBatch, name: &str) -> &'b T {
        batch.column_by_name(name).and_then(|c| c.as_any().downcast_ref::<T>()).expect(name)
    }

    /// The compact run state (issue 10) keeps what the full one did: metadata merged across chunks and files (what
    /// came first wins), turns numbered on across files, the first file as the run's source, first-seen order.
    #[test]
    fn runs_spread_over_chunks_and_files_merge_as_before() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let (a, b) = (source("a.jsonl", "aaaa"), source("b.jsonl", "bbbb"));
        let first = RunMeta { backend: Some("m1".into()), ..RunMeta::default() };
        let later = RunMeta {
            backend: Some("m2".into()),
            scenario_id: Some("S1-1".into()),
            trust: Some(0.5),
            ..RunMeta::default()
        };
        let (sender, receiver) = std::sync::mpsc::channel();
        sender.send(part(a.clone(), vec![("r2", first.clone())], &["r2", "r1", "r2"], false)).unwrap();
        sender.send(part(a.clone(), vec![("r2", later.clone())], &["r2"], true)).unwrap();
        sender.send(part(b.clone(), vec![("r1", later)], &["r1", "r3"], true)).unwrap();
        drop(sender);
        let written = Writer::new(&store, None).run(receiver).unwrap();
        assert_eq!((written.counts["a.jsonl"].runs, written.counts["a.jsonl"].messages), (2, 4));
        assert_eq!((written.counts["b.jsonl"].runs, written.counts["b.jsonl"].messages), (1, 2));

        let runs = store.read_table(Table::Runs).unwrap();
        assert_eq!(runs.len(), 1);
        let runs = &runs[0];
        let ids: Vec<&str> = column::<StringArray>(runs, col::RUN_ID).iter().flatten().collect();
        assert_eq!(ids, ["r2", "r1", "r3"]);
        let strings = |name| -> Vec<Option<&str>> { column::<StringArray>(runs, name).iter().collect() };
        assert_eq!(strings(col::SOURCE_FILE), [Some("a.jsonl"), Some("a.jsonl"), Some("b.jsonl")]);
        assert_eq!(strings(col::SOURCE_HASH), [Some("aaaa"), Some("aaaa"), Some("bbbb")]);
        assert_eq!(strings(col::FRAMEWORK), [Some("generic"); 3]);
        assert_eq!(strings(col::BACKEND), [Some("m1"), Some("m2"), None]);
        assert_eq!(strings(col::SCENARIO_ID), [Some("S1-1"), Some("S1-1"), None]);
        assert_eq!(strings(col::META_SOURCE), [Some("log"), Some("log"), Some("none")]);
        let trust: Vec<Option<f64>> = column::<Float64Array>(runs, col::TRUST).iter().collect();
        assert_eq!(trust, [Some(0.5), Some(0.5), None]);
        let n: Vec<i64> = column::<Int64Array>(runs, col::N_MESSAGES).iter().flatten().collect();
        assert_eq!(n, [3, 2, 1]);

        let mut turns: Vec<(String, i32)> = Vec::new();
        for batch in store.read_table(Table::Messages).unwrap() {
            let ids = column::<StringArray>(&batch, col::RUN_ID);
            let turn = column::<Int32Array>(&batch, col::TURN);
            turns.extend((0..batch.num_rows()).map(|i| (ids.value(i).to_string(), turn.value(i))));
        }
        let r1: Vec<i32> = turns.iter().filter(|(id, _)| id == "r1").map(|&(_, t)| t).collect();
        assert_eq!(r1, [0, 1], "r1's message in b.jsonl continues its numbering from a.jsonl");
        assert_eq!(turns.iter().filter(|(id, _)| id == "r2").count(), 3);
    }
}
