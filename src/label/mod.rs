//! Label: mark boundary violations in the store against the ground truth, with SQL rules run by DataFusion.
//!
//! In: the store's runs, messages and per-run ground truth, plus the scenario catalog (registered as
//! `catalog_items`, `catalog_actions`, `roles`, `success_conditions`) and optional external labels. The rules in
//! `queries/` (see [`queries`]) decide what is outward, what is an exposure, an over-authorization, a task success.
//! Out: the `exposures`, `authorizations` and `outcomes` tables, replacing any earlier labels in the store. The
//! same session (tables and the `tvp_*` functions) serves `tvp sql`.

pub mod accuracy;
pub mod matcher;
pub mod queries;
pub mod udf;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::MemTable;
use datafusion::prelude::{JsonReadOptions, ParquetReadOptions, SessionContext};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::mask::{Masker, Reveal};
use crate::schema::{Table, col};
use crate::sql::{query, sql_error};
use crate::store::Store;
use matcher::{ItemPatterns, Matcher};
use udf::ItemIndex;

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
}

/// A session over the store with the catalog tables and the `tvp_*` functions, and the masker for its secrets.
pub async fn session(
    store: &Store,
    catalog: &Catalog,
    reveal: Reveal,
    scope: Scope,
) -> Result<(SessionContext, Arc<Masker>)> {
    let ctx = crate::sql::session(store).await?;
    register_batch(&ctx, "catalog_items", catalog.items_batch())?;
    register_batch(&ctx, "catalog_actions", catalog.actions_batch())?;
    register_batch(&ctx, "roles", roles_batch(catalog))?;
    register_batch(&ctx, "success_conditions", success_batch(catalog))?;
    register_batch(&ctx, "label_settings", settings_batch(scope))?;
    register_batch(&ctx, "external_labels", RecordBatch::new_empty(external_schema()))?;

    // Every item the session knows, grouped by whose ground truth it is.
    let sql = "SELECT scope, scenario_id, run_id, item_id, match_forms, patterns, is_decoy FROM items \
               UNION ALL SELECT scope, scenario_id, run_id, item_id, match_forms, patterns, is_decoy FROM catalog_items";
    let batches = query(&ctx, sql).await?;
    let mut by_run: HashMap<String, Vec<ItemPatterns>> = HashMap::new();
    let mut by_scenario: HashMap<String, Vec<ItemPatterns>> = HashMap::new();
    let mut secrets: Vec<String> = Vec::new();
    for batch in &batches {
        let text = |i: usize| batch.column(i).as_string::<i32>().clone();
        let (scope, scenario, run, item) = (text(0), text(1), text(2), text(3));
        let forms = batch.column(4).as_list::<i32>().clone();
        let patterns = batch.column(5).as_list::<i32>().clone();
        let decoy = batch.column(6).as_boolean().clone();
        for row in 0..batch.num_rows() {
            if decoy.value(row) {
                continue;
            }
            let list = |l: &arrow::array::ListArray| -> Vec<String> {
                l.value(row).as_string::<i32>().iter().flatten().map(str::to_string).collect()
            };
            let entry =
                ItemPatterns { item_id: item.value(row).to_string(), forms: list(&forms), patterns: list(&patterns) };
            secrets.extend(entry.forms.iter().cloned());
            let key = |a: &StringArray| a.is_valid(row).then(|| a.value(row).to_string());
            match (scope.value(row), key(&run), key(&scenario)) {
                ("run", Some(run), _) => by_run.entry(run).or_default().push(entry),
                (_, _, Some(scenario)) => by_scenario.entry(scenario).or_default().push(entry),
                _ => {}
            }
        }
    }
    let build = |groups: HashMap<String, Vec<ItemPatterns>>| -> Result<HashMap<String, Matcher>> {
        groups
            .into_iter()
            .map(|(key, items)| {
                Matcher::new(&items)
                    .map(|m| (key.clone(), m))
                    .map_err(|message| Error::Query { query: format!("ground truth of {key}"), message })
            })
            .collect()
    };
    let index = Arc::new(ItemIndex { by_run: build(by_run)?, by_scenario: build(by_scenario)? });
    let masker = Arc::new(match reveal {
        Reveal::Shown => Masker::new([]),
        Reveal::Masked => Masker::new(secrets.iter().map(String::as_str)),
    });
    for function in udf::functions(index, masker.clone(), reveal) {
        ctx.register_udf(function);
    }
    Ok((ctx, masker))
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
}

/// Run every rule over the store and write the label tables.
pub async fn label(store: &Store, catalog: &Catalog, options: &Options) -> Result<Summary> {
    let rules = queries::rules(options.queries.as_deref())?;
    let (ctx, _) = session(store, catalog, options.reveal, options.scope).await?;
    if let Some(path) = &options.external_labels {
        register_external(&ctx, path).await?;
    }
    let mut results: HashMap<String, Vec<RecordBatch>> = HashMap::new();
    for rule in &rules {
        let frame =
            ctx.sql(&rule.sql).await.map_err(|e| Error::Query { query: rule.origin_name(), message: e.to_string() })?;
        let planned: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let batches =
            frame.collect().await.map_err(|e| Error::Query { query: rule.origin_name(), message: e.to_string() })?;
        // The batches' own schema may differ from the plan's in nullability; they are what the table holds.
        let schema = batches.first().map_or(planned, |b| b.schema());
        let table = MemTable::try_new(schema, vec![batches.clone()]).map_err(sql_error)?;
        ctx.deregister_table(rule.table.as_str()).map_err(sql_error)?;
        ctx.register_table(rule.table.as_str(), Arc::new(table)).map_err(sql_error)?;
        results.insert(rule.table.clone(), batches);
    }

    let mut summary = Summary {
        scope: options.scope.as_str().into(),
        rules: rules.iter().map(|r| r.origin_name()).collect(),
        ..Summary::default()
    };
    for table in [Table::Exposures, Table::Authorizations, Table::Outcomes] {
        let Some(batches) = results.get(table.name()) else {
            return Err(Error::Query {
                query: table.name().into(),
                message: format!("no rule produced the `{}` table", table.name()),
            });
        };
        let canonical = batches
            .iter()
            .map(|b| to_canonical(b, table))
            .collect::<std::result::Result<Vec<_>, String>>()
            .map_err(|message| Error::Query { query: table.name().into(), message })?;
        store.replace(table, &canonical)?;
    }
    let counts = query(
        &ctx,
        "SELECT count(*) AS runs, count(*) FILTER (WHERE over_exposed) AS over_exposed, \
                (SELECT count(*) FROM exposures) AS exposures, (SELECT count(*) FROM authorizations) AS actions, \
                count(*) FILTER (WHERE over_authorized) AS over_authorized, count(task_success) AS known, \
                count(*) FILTER (WHERE task_success) AS succeeded \
         FROM outcomes",
    )
    .await?;
    let count = |i: usize| {
        counts.first().map_or(0, |b| b.column(i).as_primitive::<arrow::datatypes::Int64Type>().value(0) as usize)
    };
    summary.runs = count(0);
    summary.over_exposed = count(1);
    summary.exposures = count(2);
    summary.authorizations = count(3);
    summary.over_authorized = count(4);
    summary.task_success_known = count(5);
    summary.task_success = count(6);
    for batch in query(&ctx, "SELECT match_kind, count(*) FROM exposures GROUP BY 1 ORDER BY 1").await? {
        let kinds = batch.column(0).as_string::<i32>();
        let counts = batch.column(1).as_primitive::<arrow::datatypes::Int64Type>();
        for row in 0..batch.num_rows() {
            summary.exposures_by_kind.push((kinds.value(row).to_string(), counts.value(row) as usize));
        }
    }
    Ok(summary)
}

/// Project and cast a rule's result onto the canonical schema of `table`, by column name.
fn to_canonical(batch: &RecordBatch, table: Table) -> std::result::Result<RecordBatch, String> {
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

fn external_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(col::RUN_ID, DataType::Utf8, false),
        Field::new(col::TURN, DataType::Int32, false),
        Field::new(col::ITEM_ID, DataType::Utf8, false),
        Field::new("source", DataType::Utf8, true),
    ]))
}

/// Load external labels (JSONL, CSV or Parquet by extension) as the `external_labels` table.
async fn register_external(ctx: &SessionContext, path: &std::path::Path) -> Result<()> {
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
    let schema = external_schema();
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
    let table = MemTable::try_new(schema, vec![converted]).map_err(sql_error)?;
    ctx.deregister_table("external_labels").map_err(sql_error)?;
    ctx.register_table("external_labels", Arc::new(table)).map_err(sql_error)?;
    Ok(())
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
    let schema = Arc::new(Schema::new(vec![
        Field::new(col::SCENARIO_ID, DataType::Utf8, false),
        Field::new("agent", DataType::Utf8, false),
        Field::new("role", DataType::Utf8, false),
    ]));
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
        let require = format!("{:?}", s.success.require).to_lowercase();
        rows.extend(s.success.actions.iter().map(|a| (s.id.clone(), require.clone(), "action", a.clone())));
        rows.extend(s.success.items.iter().map(|i| (s.id.clone(), require.clone(), "item", i.clone())));
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new(col::SCENARIO_ID, DataType::Utf8, false),
        Field::new("require", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("ref", DataType::Utf8, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0.as_str()))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1.as_str()))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.3.as_str()))),
    ];
    RecordBatch::try_new(schema, columns).expect("success batch")
}

fn settings_batch(scope: Scope) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![Field::new("scope", DataType::Utf8, false)]));
    RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(vec![scope.as_str()]))]).expect("settings batch")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule plans and runs against empty tables of the canonical schema, so a column typo fails here.
    #[tokio::test]
    async fn every_rule_runs_on_an_empty_store_and_writes_canonical_tables() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let catalog = Catalog::embedded().unwrap();
        let options = Options { scope: Scope::Chain, queries: None, external_labels: None, reveal: Reveal::Masked };
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
