//! Validity of the labels: how far the rules agree with an external judge, and the OERs corrected for the labeler's
//! measured error (SPEC §6, issue 13).
//!
//! In: a labeled store (after `tvp label`, optionally with `--labels FILE`, whose rows are the `exposures` with
//! `match_kind = 'external'`), the scenario catalog (the items a run is judged against), and optionally a validation
//! set: the simulator's `truth.jsonl` or human labels (JSONL or CSV with `run_id`, `over_exposed`). Out:
//! - [`Agreement`]: per item kind, the run × item units (every labeled run × every item of its ground truth outside
//!   the MNI and not a decoy, plus any other pair either side labeled) cross-classified by the rules (any exposure
//!   row that is not `external`) and the judge (any `external` row), Cohen's κ with its interval, and the
//!   disagreements as a review queue. Written as `validity_agreement` and `review_queue`.
//! - [`Correction`]: the labeler's chain-level sensitivity and specificity on the validation set (Wilson), and next
//!   to each OER of the metrics (per cell and pooled over scenarios per system × τ) the Rogan-Gladen rate with a
//!   bootstrap interval. Written as `validity_labeler` and `validity_corrected`.
//!
//! The numbers come from [`crate::stats::agreement`] and [`crate::stats::correction`]; this module reads the store and
//! builds the tables. Each write replaces the table, and a part that is not computed (no external labels, no
//! validation set) is replaced by an empty table so no stale rows from an earlier labeling remain.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::Int32Builder;
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, ListBuilder, RecordBatch, StringArray,
    StringBuilder,
};
use arrow::datatypes::{Float64Type, Int32Type};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::metrics::{BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED, Metrics, SystemKey, trust_key};
use crate::schema::{Table, match_kind};
use crate::sql::{named, query, sql_error};
use crate::stats::agreement::{Kappa, Table2x2, cohens_kappa};
use crate::stats::correction::{Confusion, CorrectedRate, Proportion, correct_rates};
use crate::stats::rates::wilson;
use crate::store::Store;

/// The item kind of the row that pools every kind.
pub const ALL_KINDS: &str = "all";

/// How the κ interval is made (the `interval` column).
pub const KAPPA_INTERVAL: &str = "Wald, large-sample SE of Fleiss, Cohen & Everitt 1969 (statsmodels cohens_kappa)";

/// Agreement of one item kind.
#[derive(Debug, Clone, Serialize)]
pub struct KindAgreement {
    pub item_kind: String,
    pub table: Table2x2,
    /// `None` when κ is undefined (no units, or both sides put every unit in one category).
    pub kappa: Option<Kappa>,
}

/// One run × item the two sides disagree on.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Disagreement {
    pub run_id: String,
    pub scenario_id: Option<String>,
    pub trust: Option<f64>,
    pub item_id: String,
    pub item_kind: String,
    pub rules_say: bool,
    pub judge_says: bool,
    pub rule_turns: Vec<i32>,
    pub judge_turns: Vec<i32>,
    pub rule_match_kinds: Vec<String>,
}

impl Disagreement {
    pub fn kind(&self) -> &'static str {
        if self.rules_say { "rule_only" } else { "judge_only" }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Agreement {
    /// One entry per item kind, then [`ALL_KINDS`].
    pub per_kind: Vec<KindAgreement>,
    pub queue: Vec<Disagreement>,
    /// Exposure rows from the judge and from the rules.
    pub judge_rows: u64,
    pub rule_rows: u64,
}

#[derive(Default)]
struct Sides {
    kind: Option<String>,
    rule_turns: BTreeSet<i32>,
    judge_turns: BTreeSet<i32>,
    rule_kinds: BTreeSet<String>,
}

/// Agreement between the rules and the judge in a labeled store; `None` when the store has no external exposure
/// (no `--labels` were merged, or the judge labeled nothing: the two are the same to the store).
pub async fn agreement(store: &Store, catalog: &Catalog) -> Result<Option<Agreement>> {
    let ctx = crate::sql::session(store).await?;
    ctx.register_batch("catalog_items", catalog.items_batch()).map_err(sql_error)?;

    let mut pairs: BTreeMap<(String, String), Sides> = BTreeMap::new();
    let (mut judge_rows, mut rule_rows) = (0, 0);
    for batch in query(&ctx, "SELECT run_id, item_id, item_kind, turn, match_kind FROM exposures").await? {
        let (run, item, kind) = (
            named(&batch, "run_id")?.as_string::<i32>(),
            named(&batch, "item_id")?.as_string::<i32>(),
            named(&batch, "item_kind")?.as_string::<i32>(),
        );
        let turn = named(&batch, "turn")?.as_primitive::<Int32Type>();
        let how = named(&batch, "match_kind")?.as_string::<i32>();
        for i in 0..batch.num_rows() {
            let sides = pairs.entry((run.value(i).to_string(), item.value(i).to_string())).or_default();
            if sides.kind.is_none() && !kind.is_null(i) {
                sides.kind = Some(kind.value(i).to_string());
            }
            if how.value(i) == match_kind::EXTERNAL {
                judge_rows += 1;
                sides.judge_turns.insert(turn.value(i));
            } else {
                rule_rows += 1;
                sides.rule_turns.insert(turn.value(i));
                sides.rule_kinds.insert(how.value(i).to_string());
            }
        }
    }
    if judge_rows == 0 {
        return Ok(None);
    }

    // Every labeled run × every item of its ground truth (the run's own when its log carried one, else its
    // scenario's, as 12_run_truth.sql decides) outside the MNI and not a decoy.
    let units_sql = "WITH own AS (SELECT run_id FROM items WHERE scope = 'run' \
                     UNION SELECT run_id FROM actions WHERE scope = 'run'), \
         labeled AS (SELECT r.run_id, CASE WHEN o.run_id IS NOT NULL THEN concat('run:', r.run_id) \
                     WHEN r.scenario_id IS NOT NULL THEN concat('scenario:', r.scenario_id) END AS truth_key \
                     FROM runs r JOIN outcomes oc ON oc.run_id = r.run_id LEFT JOIN own o ON o.run_id = r.run_id), \
         ground AS (SELECT item_id, kind, in_mni, is_decoy, CASE WHEN scope = 'run' THEN concat('run:', run_id) \
                    ELSE concat('scenario:', scenario_id) END AS truth_key \
                    FROM (SELECT * FROM items UNION ALL SELECT * FROM catalog_items)) \
         SELECT DISTINCT l.run_id, g.item_id, g.kind FROM labeled l JOIN ground g ON g.truth_key = l.truth_key \
         WHERE NOT g.in_mni AND NOT g.is_decoy";
    for batch in query(&ctx, units_sql).await? {
        let (run, item, kind) = (
            named(&batch, "run_id")?.as_string::<i32>(),
            named(&batch, "item_id")?.as_string::<i32>(),
            named(&batch, "kind")?.as_string::<i32>(),
        );
        for i in 0..batch.num_rows() {
            let sides = pairs.entry((run.value(i).to_string(), item.value(i).to_string())).or_default();
            if sides.kind.is_none() {
                sides.kind = Some(kind.value(i).to_string());
            }
        }
    }

    let mut runs: HashMap<String, (Option<String>, Option<f64>)> = HashMap::new();
    for batch in query(&ctx, "SELECT run_id, scenario_id, trust FROM runs").await? {
        let (run, scenario) =
            (named(&batch, "run_id")?.as_string::<i32>(), named(&batch, "scenario_id")?.as_string::<i32>());
        let trust = named(&batch, "trust")?.as_primitive::<Float64Type>();
        for i in 0..batch.num_rows() {
            let scenario = (!scenario.is_null(i)).then(|| scenario.value(i).to_string());
            runs.insert(run.value(i).to_string(), (scenario, (!trust.is_null(i)).then(|| trust.value(i))));
        }
    }

    let mut tables: BTreeMap<String, Table2x2> = BTreeMap::new();
    let mut all = Table2x2::default();
    let mut queue = Vec::new();
    for ((run_id, item_id), sides) in pairs {
        let (rules, judge) = (!sides.rule_turns.is_empty(), !sides.judge_turns.is_empty());
        let item_kind = sides.kind.unwrap_or_else(|| "unknown".into());
        tables.entry(item_kind.clone()).or_default().add(rules, judge);
        all.add(rules, judge);
        if rules != judge {
            let (scenario_id, trust) = runs.get(&run_id).cloned().unwrap_or_default();
            queue.push(Disagreement {
                run_id,
                scenario_id,
                trust,
                item_id,
                item_kind,
                rules_say: rules,
                judge_says: judge,
                rule_turns: sides.rule_turns.into_iter().collect(),
                judge_turns: sides.judge_turns.into_iter().collect(),
                rule_match_kinds: sides.rule_kinds.into_iter().collect(),
            });
        }
    }
    queue.sort_by(|a, b| (&a.item_kind, &a.run_id, &a.item_id).cmp(&(&b.item_kind, &b.run_id, &b.item_id)));
    let mut per_kind: Vec<KindAgreement> = tables
        .into_iter()
        .map(|(item_kind, table)| KindAgreement { kappa: cohens_kappa(&table), item_kind, table })
        .collect();
    per_kind.push(KindAgreement { item_kind: ALL_KINDS.into(), kappa: cohens_kappa(&all), table: all });
    Ok(Some(Agreement { per_kind, queue, judge_rows, rule_rows }))
}

fn strings<'a>(values: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

fn ints(values: impl Iterator<Item = u64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(values.map(|v| v as i64)))
}

fn floats(values: impl Iterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(Float64Array::from_iter(values))
}

fn batch(table: Table, columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    RecordBatch::try_new(table.schema(), columns).map_err(|e| Error::Internal(format!("{}: {e}", table.name())))
}

fn list_field(table: Table, name: &str) -> Result<Arc<arrow::datatypes::Field>> {
    match table.schema().field_with_name(name).map(|f| f.data_type().clone()) {
        Ok(arrow::datatypes::DataType::List(field)) => Ok(field),
        _ => Err(Error::Internal(format!("{}.{name} is not a list", table.name()))),
    }
}

impl Agreement {
    pub fn agreement_batch(&self) -> Result<RecordBatch> {
        let k = &self.per_kind;
        let t = |f: fn(&Table2x2) -> u64| ints(k.iter().map(move |a| f(&a.table)));
        batch(
            Table::ValidityAgreement,
            vec![
                strings(k.iter().map(|a| a.item_kind.as_str())),
                t(Table2x2::n),
                t(|t| t.both),
                t(|t| t.rule_only),
                t(|t| t.judge_only),
                t(|t| t.neither),
                floats(k.iter().map(|a| {
                    let n = a.table.n() as f64;
                    Some((a.table.both + a.table.neither) as f64 / n)
                })),
                floats(k.iter().map(|a| {
                    let n = a.table.n() as f64;
                    let (rules, judge) =
                        ((a.table.both + a.table.rule_only) as f64, (a.table.both + a.table.judge_only) as f64);
                    Some((rules * judge + (n - rules) * (n - judge)) / (n * n))
                })),
                floats(k.iter().map(|a| a.kappa.map(|k| k.kappa))),
                floats(k.iter().map(|a| a.kappa.and_then(|k| k.ci.map(|_| k.se)))),
                floats(k.iter().map(|a| a.kappa.and_then(|k| k.ci).map(|c| c.0))),
                floats(k.iter().map(|a| a.kappa.and_then(|k| k.ci).map(|c| c.1))),
                strings(k.iter().map(|_| KAPPA_INTERVAL)),
            ],
        )
    }

    pub fn queue_batch(&self) -> Result<RecordBatch> {
        let q = &self.queue;
        let turns = |name: &str, f: fn(&Disagreement) -> &Vec<i32>| -> Result<ArrayRef> {
            let mut b = ListBuilder::new(Int32Builder::new()).with_field(list_field(Table::ReviewQueue, name)?);
            for d in q {
                b.values().append_slice(f(d));
                b.append(true);
            }
            Ok(Arc::new(b.finish()))
        };
        let mut kinds =
            ListBuilder::new(StringBuilder::new()).with_field(list_field(Table::ReviewQueue, "rule_match_kinds")?);
        for d in q {
            for k in &d.rule_match_kinds {
                kinds.values().append_value(k);
            }
            kinds.append(true);
        }
        batch(
            Table::ReviewQueue,
            vec![
                strings(q.iter().map(|d| d.run_id.as_str())),
                Arc::new(StringArray::from_iter(q.iter().map(|d| d.scenario_id.as_deref()))),
                floats(q.iter().map(|d| d.trust)),
                strings(q.iter().map(|d| d.item_id.as_str())),
                strings(q.iter().map(|d| d.item_kind.as_str())),
                strings(q.iter().map(Disagreement::kind)),
                Arc::new(BooleanArray::from_iter(q.iter().map(|d| Some(d.rules_say)))),
                Arc::new(BooleanArray::from_iter(q.iter().map(|d| Some(d.judge_says)))),
                turns("rule_turns", |d| &d.rule_turns)?,
                turns("judge_turns", |d| &d.judge_turns)?,
                Arc::new(kinds.finish()),
            ],
        )
    }
}

/// Write `validity_agreement` and `review_queue`; empty tables when there is no agreement to report.
pub fn write_agreement(store: &Store, agreement: Option<&Agreement>) -> Result<()> {
    match agreement {
        Some(a) => {
            store.replace(Table::ValidityAgreement, &[a.agreement_batch()?])?;
            store.replace(Table::ReviewQueue, &[a.queue_batch()?])
        }
        None => {
            store.replace(Table::ValidityAgreement, &[])?;
            store.replace(Table::ReviewQueue, &[])
        }
    }
}

/// Where a validation set comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidationSource {
    /// The simulator's `truth.jsonl` (or any file of its shape), matched as `tvp label --truth` does.
    Truth(PathBuf),
    /// Human labels on a sample of runs: JSONL or CSV (by extension) with `run_id` and `over_exposed`.
    Human(PathBuf),
}

impl ValidationSource {
    pub fn name(&self) -> &'static str {
        match self {
            ValidationSource::Truth(_) => "truth",
            ValidationSource::Human(_) => "validation",
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            ValidationSource::Truth(p) | ValidationSource::Human(p) => p,
        }
    }
}

/// The labeler's measured error and the corrected rates.
#[derive(Debug, Clone, Serialize)]
pub struct Correction {
    pub source: &'static str,
    pub file: String,
    pub confusion: Confusion,
    pub sensitivity: Option<Proportion>,
    pub specificity: Option<Proportion>,
    /// Validation runs found in the store's outcomes, and not found.
    pub matched: u64,
    pub unmatched: u64,
    pub rows: Vec<CorrectedRow>,
    pub replicates: usize,
    pub seed: u64,
}

/// One OER and its corrected value.
#[derive(Debug, Clone, Serialize)]
pub struct CorrectedRow {
    pub system: SystemKey,
    /// `None` for the rate pooled over scenarios.
    pub scenario_id: Option<String>,
    pub trust: f64,
    pub over_exposed: u64,
    pub chains: u64,
    pub corrected: Option<CorrectedRate>,
}

impl CorrectedRow {
    pub fn aggregation(&self) -> &'static str {
        if self.scenario_id.is_some() { "cell" } else { "pooled" }
    }
}

/// Human labels: `run_id → over_exposed`, from JSONL or CSV (`.csv`); booleans as `true`/`false`, `1`/`0` or
/// `yes`/`no`.
pub fn read_human_labels(path: &Path) -> Result<Vec<(String, bool)>> {
    let file = std::fs::File::open(path).map_err(|source| Error::Read { path: path.into(), source })?;
    let bad = |line: usize, reason: String| Error::Input {
        path: path.display().to_string(),
        line: Some(line as u64 + 1),
        reason,
    };
    let parse_bool = |text: &str| match text.trim().trim_matches('"').to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    };
    let csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut labels = Vec::new();
    let mut header: Option<(usize, usize)> = None;
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| Error::Read { path: path.into(), source })?;
        if line.trim().is_empty() {
            continue;
        }
        if csv {
            let fields: Vec<&str> = line.split(',').map(|f| f.trim().trim_matches('"')).collect();
            let Some((run_col, label_col)) = header else {
                let find = |name: &str| fields.iter().position(|f| *f == name);
                header =
                    Some(find("run_id").zip(find("over_exposed")).ok_or_else(|| {
                        bad(n, "the CSV header needs the columns `run_id` and `over_exposed`".into())
                    })?);
                continue;
            };
            let run = fields.get(run_col).filter(|r| !r.is_empty()).ok_or_else(|| bad(n, "no `run_id`".into()))?;
            let label = fields
                .get(label_col)
                .and_then(|v| parse_bool(v))
                .ok_or_else(|| bad(n, "`over_exposed` is not true/false, 1/0 or yes/no".into()))?;
            labels.push((run.to_string(), label));
        } else {
            let value: serde_json::Value =
                serde_json::from_str(&line).map_err(|e| bad(n, format!("not a JSON object: {e}")))?;
            let run = value["run_id"].as_str().ok_or_else(|| bad(n, "no string `run_id`".into()))?;
            let label = match &value["over_exposed"] {
                serde_json::Value::Bool(b) => Some(*b),
                serde_json::Value::Number(x) => x.as_u64().filter(|v| *v <= 1).map(|v| v == 1),
                serde_json::Value::String(s) => parse_bool(s),
                _ => None,
            }
            .ok_or_else(|| bad(n, "`over_exposed` is not true/false, 1/0 or yes/no".into()))?;
            labels.push((run.to_string(), label));
        }
    }
    Ok(labels)
}

/// The labeler's confusion counts on a validation set, with the runs matched and not matched to the store.
pub async fn validation_counts(store: &Store, source: &ValidationSource) -> Result<(Confusion, u64, u64)> {
    match source {
        ValidationSource::Truth(path) => {
            let accuracy = crate::label::accuracy::evaluate(store, path).await?;
            let b = &accuracy.over_exposure;
            let confusion = Confusion {
                true_positives: b.true_positives,
                false_negatives: b.false_negatives,
                true_negatives: b.true_negatives,
                false_positives: b.false_positives,
            };
            Ok((confusion, accuracy.chains, accuracy.missing))
        }
        ValidationSource::Human(path) => {
            let labels = read_human_labels(path)?;
            let ctx = crate::sql::session(store).await?;
            let mut labeled: HashMap<String, bool> = HashMap::new();
            for batch in query(&ctx, "SELECT run_id, over_exposed FROM outcomes").await? {
                let (run, exposed) =
                    (named(&batch, "run_id")?.as_string::<i32>(), named(&batch, "over_exposed")?.as_boolean());
                for i in 0..batch.num_rows() {
                    labeled.insert(run.value(i).to_string(), exposed.value(i));
                }
            }
            let (mut confusion, mut matched, mut unmatched) = (Confusion::default(), 0, 0);
            for (run, truth) in labels {
                match labeled.get(&run) {
                    Some(&label) => {
                        confusion.add(truth, label);
                        matched += 1;
                    }
                    None => unmatched += 1,
                }
            }
            Ok((confusion, matched, unmatched))
        }
    }
}

/// Correct every OER of `metrics` (per cell, and pooled over scenarios per system × τ) for the error `confusion`
/// measures, with the metrics' bootstrap replicates and seed.
pub fn correct(
    metrics: &Metrics,
    confusion: Confusion,
    source: &ValidationSource,
    matched: u64,
    unmatched: u64,
) -> Correction {
    let mut rows: Vec<CorrectedRow> = metrics
        .cells
        .iter()
        .map(|c| CorrectedRow {
            system: c.system.clone(),
            scenario_id: Some(c.scenario_id.clone()),
            trust: c.trust,
            over_exposed: c.over_exposed,
            chains: c.chains,
            corrected: None,
        })
        .collect();
    let mut pooled: BTreeMap<(SystemKey, i64), CorrectedRow> = BTreeMap::new();
    for c in &metrics.cells {
        let row = pooled.entry((c.system.clone(), trust_key(c.trust))).or_insert_with(|| CorrectedRow {
            system: c.system.clone(),
            scenario_id: None,
            trust: c.trust,
            over_exposed: 0,
            chains: 0,
            corrected: None,
        });
        row.over_exposed += c.over_exposed;
        row.chains += c.chains;
    }
    rows.extend(pooled.into_values());
    let counts: Vec<(u64, u64)> = rows.iter().map(|r| (r.over_exposed, r.chains)).collect();
    let corrected = correct_rates(&counts, &confusion, BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED);
    for (row, c) in rows.iter_mut().zip(corrected) {
        row.corrected = c;
    }
    Correction {
        source: source.name(),
        file: source.path().display().to_string(),
        sensitivity: confusion.sensitivity(),
        specificity: confusion.specificity(),
        confusion,
        matched,
        unmatched,
        rows,
        replicates: BOOTSTRAP_REPLICATES,
        seed: BOOTSTRAP_SEED,
    }
}

impl Correction {
    /// How the corrected interval is made (the `interval` column).
    pub fn interval(&self) -> String {
        format!(
            "parametric bootstrap, B = {}, seed {}: sensitivity, specificity and the rate redrawn as binomials, \
             percentile 95 %",
            self.replicates, self.seed
        )
    }

    pub fn labeler_batch(&self) -> Result<RecordBatch> {
        let c = &self.confusion;
        let measures =
            [("sensitivity", c.true_positives, c.positives()), ("specificity", c.true_negatives, c.negatives())];
        let w: Vec<Option<(f64, f64)>> = measures.iter().map(|m| wilson(m.1, m.2)).collect();
        batch(
            Table::ValidityLabeler,
            vec![
                strings(measures.iter().map(|_| self.source)),
                strings(measures.iter().map(|_| self.file.as_str())),
                strings(measures.iter().map(|m| m.0)),
                ints(measures.iter().map(|m| m.1)),
                ints(measures.iter().map(|m| m.2)),
                floats(measures.iter().map(|m| (m.2 > 0).then(|| m.1 as f64 / m.2 as f64))),
                floats(w.iter().map(|w| w.map(|w| w.0))),
                floats(w.iter().map(|w| w.map(|w| w.1))),
                strings(measures.iter().map(|_| "wilson")),
                ints(measures.iter().map(|_| self.matched)),
                ints(measures.iter().map(|_| self.unmatched)),
            ],
        )
    }

    pub fn corrected_batch(&self) -> Result<RecordBatch> {
        let r = &self.rows;
        let interval = self.interval();
        let system = |f: fn(&SystemKey) -> String| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(r.iter().map(|row| f(&row.system))))
        };
        let w: Vec<(f64, f64)> =
            r.iter().map(|row| wilson(row.over_exposed, row.chains).unwrap_or((f64::NAN, f64::NAN))).collect();
        batch(
            Table::ValidityCorrected,
            vec![
                system(SystemKey::name),
                system(|s| s.framework.clone()),
                system(|s| s.backend.clone()),
                system(|s| s.defense.to_string()),
                Arc::new(StringArray::from_iter(r.iter().map(|row| row.scenario_id.as_deref()))),
                floats(r.iter().map(|row| Some(row.trust))),
                strings(r.iter().map(CorrectedRow::aggregation)),
                ints(r.iter().map(|row| row.chains)),
                ints(r.iter().map(|row| row.over_exposed)),
                floats(r.iter().map(|row| Some(row.over_exposed as f64 / row.chains as f64))),
                floats(w.iter().map(|w| Some(w.0))),
                floats(w.iter().map(|w| Some(w.1))),
                floats(r.iter().map(|row| row.corrected.map(|c| c.estimate.value))),
                floats(r.iter().map(|row| row.corrected.map(|c| c.estimate.raw))),
                Arc::new(BooleanArray::from_iter(r.iter().map(|row| row.corrected.map(|c| c.estimate.clamped)))),
                floats(r.iter().map(|row| row.corrected.map(|c| c.lo))),
                floats(r.iter().map(|row| row.corrected.map(|c| c.hi))),
                ints(r.iter().map(|row| row.corrected.map_or(0, |c| c.replicates as u64))),
                ints(r.iter().map(|row| row.corrected.map_or(0, |c| c.dropped as u64))),
                strings(r.iter().map(|_| interval.as_str())),
            ],
        )
    }
}

/// Write `validity_labeler` and `validity_corrected`; empty tables when no validation set was given.
pub fn write_correction(store: &Store, correction: Option<&Correction>) -> Result<()> {
    match correction {
        Some(c) => {
            store.replace(Table::ValidityLabeler, &[c.labeler_batch()?])?;
            store.replace(Table::ValidityCorrected, &[c.corrected_batch()?])
        }
        None => {
            store.replace(Table::ValidityLabeler, &[])?;
            store.replace(Table::ValidityCorrected, &[])
        }
    }
}
