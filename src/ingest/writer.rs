//! The store writer of an ingest: one thread that receives parsed parts in file order, numbers turns, merges each
//! run's metadata across chunks and with the manifest, and streams rows into Parquet part files per table and
//! source format. Runs and the `sources` ledger are written last, once every part of their file has arrived.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder, RecordBatch, StringBuilder,
    TimestampMicrosecondBuilder,
};

use super::manifest::Manifest;
use super::record::{Message, Parsed, Reject, RunAction, RunItem, RunMeta};
use crate::error::Result;
use crate::schema::{self, Table};
use crate::store::{PartWriter, Store};

/// Rows per part file before a new one is started.
const ROWS_PER_PART: usize = 4_000_000;

/// The file a part came from.
#[derive(Debug, Clone)]
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

struct RunState {
    meta: RunMeta,
    source: FileSource,
    messages: i64,
    next_turn: i32,
    /// Where the experimental condition came from: `log`, `manifest` or `none`; set when the run is written.
    meta_source: &'static str,
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
    runs: HashMap<String, RunState>,
    run_order: Vec<String>,
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
            runs: HashMap::new(),
            run_order: Vec::new(),
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

    fn accept(&mut self, part: Part) -> Result<()> {
        let Part { source, mut parsed, last } = part;
        let unaccounted = parsed.unaccounted();
        if unaccounted != 0 {
            // An adapter miscounted: say so in the quarantine rather than lose or invent records.
            parsed.reject(None, None, format!("internal: the adapter left {unaccounted} records unaccounted"));
            parsed.read = parsed.ingested + parsed.rejects.len() as u64;
        }
        let partition = source.format.clone().unwrap_or_else(|| "unknown".into());
        let ledger = self.ledgers.entry(source.display.clone()).or_default();
        ledger.read += parsed.read;
        ledger.ingested += parsed.ingested;
        ledger.rejected += parsed.rejects.len() as u64;

        for run in parsed.runs.drain(..) {
            match self.runs.get_mut(&run.run_id) {
                Some(state) => state.meta.fill_from(&run.meta),
                None => {
                    let mut meta = run.meta;
                    if meta.framework.is_none() {
                        meta.framework = source.framework.clone();
                    }
                    self.run_order.push(run.run_id.clone());
                    ledger.runs += 1;
                    let state =
                        RunState { meta, source: source.clone(), messages: 0, next_turn: 0, meta_source: "none" };
                    self.runs.insert(run.run_id, state);
                }
            }
        }
        for message in &mut parsed.messages {
            let state = match self.runs.get_mut(&message.run_id) {
                Some(state) => state,
                None => {
                    // A message of a run the adapter did not announce: announce it now.
                    let meta = RunMeta { framework: source.framework.clone(), ..RunMeta::default() };
                    self.run_order.push(message.run_id.clone());
                    ledger.runs += 1;
                    let state =
                        RunState { meta, source: source.clone(), messages: 0, next_turn: 0, meta_source: "none" };
                    self.runs.entry(message.run_id.clone()).or_insert(state)
                }
            };
            if message.turn < 0 {
                message.turn = state.next_turn;
            }
            state.next_turn = state.next_turn.max(message.turn.saturating_add(1));
            state.messages += 1;
        }
        ledger.messages += parsed.messages.len() as u64;

        if !parsed.messages.is_empty() {
            self.append(Table::Messages, &partition, messages_batch(&parsed.messages))?;
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
        let key = (table, partition.to_string());
        if self.parts.get(&key).is_some_and(|w| w.rows() >= ROWS_PER_PART)
            && let Some(full) = self.parts.remove(&key)
        {
            full.finish()?;
        }
        if !self.parts.contains_key(&key) {
            let writer = self.store.part_writer(table.name(), table.schema(), Some(partition))?;
            self.parts.insert(key.clone(), writer);
        }
        self.parts.get_mut(&key).expect("writer was just opened").write(&batch)
    }

    fn finish(mut self) -> Result<Written> {
        // Parts that never said `last` (a producer stopped early) still get their ledger row.
        let open: Vec<String> = self.ledgers.keys().cloned().collect();
        for display in open {
            if let Some(ledger) = self.ledgers.remove(&display) {
                let source = self.runs.values().find(|r| r.source.display == display).map(|r| r.source.clone());
                let source =
                    source.unwrap_or(FileSource { display, format: None, hash: String::new(), framework: None });
                self.sources.push((source, ledger));
            }
        }

        let mut by_partition: HashMap<String, Vec<(String, RunState)>> = HashMap::new();
        for run_id in std::mem::take(&mut self.run_order) {
            if let Some(mut state) = self.runs.remove(&run_id) {
                let from_log = state.meta.has_condition();
                let listed = self.manifest.and_then(|m| m.lookup(&run_id, &state.source.display));
                if let Some(meta) = &listed {
                    // Framework and backend name the system under test: the manifest's grouping replaces what
                    // an adapter infers from the file format and the model name.
                    if meta.framework.is_some() {
                        state.meta.framework = meta.framework.clone();
                    }
                    if meta.backend.is_some() {
                        state.meta.backend = meta.backend.clone();
                    }
                    state.meta.fill_from(meta);
                }
                state.meta_source = match (listed, from_log) {
                    (Some(_), _) => "manifest",
                    (None, true) => "log",
                    (None, false) => "none",
                };
                let partition = state.source.format.clone().unwrap_or_else(|| "unknown".into());
                by_partition.entry(partition).or_default().push((run_id, state));
            }
        }
        for (partition, runs) in &by_partition {
            self.append(Table::Runs, partition, runs_batch(runs))?;
        }
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

fn runs_batch(runs: &[(String, RunState)]) -> RecordBatch {
    let mut trust = Float64Builder::new();
    let mut seed = Int64Builder::new();
    let mut repetition = Int32Builder::new();
    let mut n_messages = Int64Builder::new();
    let mut synthetic = BooleanBuilder::new();
    let mut meta_source = StringBuilder::new();
    for (_, state) in runs {
        trust.append_option(state.meta.trust);
        seed.append_option(state.meta.seed);
        repetition.append_option(state.meta.repetition);
        n_messages.append_value(state.messages);
        synthetic.append_value(
            state
                .meta
                .synthetic
                .unwrap_or_else(|| state.meta.framework.as_deref().is_some_and(|f| f.contains("synthetic"))),
        );
        meta_source.append_value(state.meta_source);
    }
    batch(
        Table::Runs,
        vec![
            strings(runs.iter().map(|(id, _)| Some(id.as_str()))),
            strings(runs.iter().map(|(_, s)| Some(s.source.display.as_str()))),
            strings(runs.iter().map(|(_, s)| Some(s.source.format.as_deref().unwrap_or("unknown")))),
            strings(runs.iter().map(|(_, s)| Some(s.source.hash.as_str()))),
            strings(runs.iter().map(|(_, s)| s.meta.framework.as_deref())),
            strings(runs.iter().map(|(_, s)| s.meta.backend.as_deref())),
            strings(runs.iter().map(|(_, s)| s.meta.scenario_id.as_deref())),
            Arc::new(trust.finish()),
            strings(runs.iter().map(|(_, s)| s.meta.defense.as_deref())),
            Arc::new(seed.finish()),
            Arc::new(repetition.finish()),
            timestamps(runs.iter().map(|(_, s)| s.meta.started_at)),
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
