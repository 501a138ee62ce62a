//! SQL over the store: a DataFusion `SessionContext` with every canonical table registered (a listing table over
//! its Parquet files, or an empty table of the canonical schema when the store has none yet), and rendering of
//! results as a table, CSV or JSON lines with secret values masked unless revealed.
//!
//! Masking is by column: a result column is masked when it can carry transcript text or ground truth, that is when
//! the query computes it from one of [`SENSITIVE_COLUMNS`] (followed through projections, joins, aggregates,
//! unions and subqueries in the query's plan). Model names, ids, paths and counts are shown as they are.

use std::sync::Arc;

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::Column;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingOptions;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::{Error, Result};
use crate::mask::Masker;
use crate::schema::Table;
use crate::store::Store;

/// A session over the store's tables.
pub async fn session(store: &Store) -> Result<SessionContext> {
    session_with(store, SessionConfig::new()).await
}

/// A session over the store's tables with the given configuration.
pub async fn session_with(store: &Store, config: SessionConfig) -> Result<SessionContext> {
    let ctx = SessionContext::new_with_config(config);
    for table in Table::ALL {
        register(&ctx, store, table).await?;
    }
    Ok(ctx)
}

async fn register(ctx: &SessionContext, store: &Store, table: Table) -> Result<()> {
    let name = table.name();
    let result = if store.table_files(name).is_empty() {
        let empty = MemTable::try_new(table.schema(), vec![vec![]]).map_err(sql_error)?;
        ctx.register_table(name, Arc::new(empty)).map(|_| ())
    } else {
        let url = format!("{}/", store.table_dir(name).display());
        let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        ctx.register_listing_table(name, url, options, Some(table.schema()), None).await
    };
    result.map_err(sql_error)
}

pub fn sql_error(e: impl std::fmt::Display) -> Error {
    Error::Sql { message: e.to_string() }
}

/// Columns of the store and session tables that hold transcript text or ground-truth values.
pub const SENSITIVE_COLUMNS: [&str; 7] =
    ["content", "tool_args", "evidence", "value", "match_forms", "patterns", "reason"];

/// For each output column of a plan: whether it is computed from a sensitive column. Plan shapes this does not
/// know are judged conservatively (sensitive when anything under them is).
pub fn sensitive_columns(plan: &LogicalPlan) -> Vec<bool> {
    (0..plan.schema().fields().len()).map(|i| sensitive_output(plan, i)).collect()
}

fn sensitive_output(plan: &LogicalPlan, index: usize) -> bool {
    match plan {
        LogicalPlan::TableScan(scan) => {
            scan.projected_schema.fields().get(index).is_some_and(|f| SENSITIVE_COLUMNS.contains(&f.name().as_str()))
        }
        LogicalPlan::Projection(p) => p.expr.get(index).is_none_or(|e| sensitive_expr(e, &p.input)),
        LogicalPlan::Aggregate(a) => {
            let exprs: Vec<&Expr> = a.group_expr.iter().chain(&a.aggr_expr).collect();
            // Beyond the listed expressions come grouping ids: numbers.
            exprs.get(index).is_some_and(|e| sensitive_expr(e, &a.input))
        }
        LogicalPlan::Union(u) => u.inputs.iter().any(|input| sensitive_output(input, index)),
        LogicalPlan::Values(_) | LogicalPlan::EmptyRelation(_) => false,
        LogicalPlan::Window(w) => {
            let passed = w.input.schema().fields().len();
            match index.checked_sub(passed) {
                None => sensitive_output(&w.input, index),
                Some(i) => w.window_expr.get(i).is_none_or(|e| sensitive_expr(e, &w.input)),
            }
        }
        _ => {
            // Filters, sorts, limits, aliases and distinct keep their input's columns in place; a join's columns
            // are its inputs' under the same qualified names. Anything else is treated as sensitive.
            let inputs = plan.inputs();
            if let [input] = inputs.as_slice()
                && input.schema().fields().len() == plan.schema().fields().len()
            {
                return sensitive_output(input, index);
            }
            let (qualifier, field) = plan.schema().qualified_field(index);
            let column = Column::new(qualifier.cloned(), field.name());
            inputs
                .iter()
                .find_map(|input| input.schema().maybe_index_of_column(&column).map(|i| sensitive_output(input, i)))
                .unwrap_or(true)
        }
    }
}

/// Whether an expression over `input` reads a sensitive column (scalar subqueries included).
fn sensitive_expr(expr: &Expr, input: &LogicalPlan) -> bool {
    let mut sensitive = false;
    let _ = expr.apply(|e| {
        match e {
            Expr::Column(c) => {
                sensitive |= input.schema().maybe_index_of_column(c).is_none_or(|i| sensitive_output(input, i));
            }
            Expr::ScalarSubquery(sub) => sensitive |= sensitive_columns(&sub.subquery).iter().any(|&s| s),
            _ => {}
        }
        Ok(if sensitive { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    });
    sensitive
}

/// A result column by name (the queries that read results name their columns; positions are never assumed).
pub fn named<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a arrow::array::ArrayRef> {
    batch.column_by_name(name).ok_or_else(|| Error::Sql { message: format!("the result lacks the column `{name}`") })
}

/// Run one SQL statement and collect its result.
pub async fn query(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    let frame = ctx.sql(sql).await.map_err(sql_error)?;
    frame.collect().await.map_err(sql_error)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

/// Render result batches; the cells of the columns marked sensitive (see [`sensitive_columns`]) pass through the
/// masker.
pub fn render(batches: &[RecordBatch], format: OutputFormat, masker: &Masker, sensitive: &[bool]) -> Result<String> {
    let Some(first) = batches.first() else { return Ok(String::new()) };
    let schema = first.schema();
    let headers: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let numeric: Vec<bool> = schema.fields().iter().map(|f| f.data_type().is_numeric()).collect();
    // Secrets live in text; numbers, times and flags are never masked (a count must not turn into `***5`).
    let textual: Vec<bool> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let text =
                !(f.data_type().is_numeric() || f.data_type().is_temporal() || *f.data_type() == DataType::Boolean);
            text && sensitive.get(i).copied().unwrap_or(true)
        })
        .collect();
    let options = FormatOptions::default().with_null("");
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut is_null: Vec<Vec<bool>> = Vec::new();
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(sql_error)?;
        for row in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .zip(&textual)
                    .map(|(f, &text)| {
                        let cell = f.value(row).to_string();
                        if text { masker.mask_text(&cell).into_owned() } else { cell }
                    })
                    .collect(),
            );
            is_null.push(batch.columns().iter().map(|c| c.is_null(row)).collect());
        }
    }
    Ok(match format {
        OutputFormat::Table => table(&headers, &rows),
        OutputFormat::Csv => {
            let mut out = csv_line(&headers);
            for row in &rows {
                out.push_str(&csv_line(row));
            }
            out
        }
        OutputFormat::Json => {
            let mut out = String::new();
            for (row, nulls) in rows.iter().zip(&is_null) {
                let object: serde_json::Map<String, serde_json::Value> = headers
                    .iter()
                    .zip(row.iter().zip(nulls).zip(&numeric))
                    .map(|(h, ((v, &null), &numeric))| {
                        let number =
                            || serde_json::from_str::<serde_json::Number>(v).ok().map(serde_json::Value::Number);
                        let value = match (null, numeric) {
                            (true, _) => serde_json::Value::Null,
                            (false, true) => number().unwrap_or_else(|| serde_json::Value::String(v.clone())),
                            (false, false) => serde_json::Value::String(v.clone()),
                        };
                        (h.clone(), value)
                    })
                    .collect();
                out.push_str(&serde_json::Value::Object(object).to_string());
                out.push('\n');
            }
            out
        }
    })
}

fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| if c.contains([',', '"', '\n', '\r']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c.clone() })
        .collect();
    format!("{}\n", quoted.join(","))
}

/// A plain aligned text table; long cells are cut so a row stays readable.
fn table(headers: &[String], rows: &[Vec<String>]) -> String {
    const MAX_CELL: usize = 60;
    let cut = |s: &str| -> String {
        let one_line = s.replace(['\n', '\r'], " ");
        if one_line.chars().count() > MAX_CELL {
            format!("{}…", one_line.chars().take(MAX_CELL - 1).collect::<String>())
        } else {
            one_line
        }
    };
    let cells: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| cut(c)).collect()).collect();
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| cells.iter().map(|r| r[i].chars().count()).chain([h.chars().count()]).max().unwrap_or(0))
        .collect();
    let line = |row: &[String]| -> String {
        let padded: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("{}\n", padded.join(" | ").trim_end())
    };
    let mut out = line(headers);
    out.push_str(&format!("{}\n", widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-")));
    for row in &cells {
        out.push_str(&line(row));
    }
    out.push_str(&format!("({} row{})\n", rows.len(), if rows.len() == 1 { "" } else { "s" }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_empty_store_has_every_table_with_its_schema() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let ctx = session(&store).await.unwrap();
        for table in Table::ALL {
            let batches = query(&ctx, &format!("SELECT * FROM {}", table.name())).await.unwrap();
            assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 0);
            let provider = ctx.table_provider(table.name()).await.unwrap();
            assert_eq!(provider.schema(), table.schema());
        }
    }

    #[tokio::test]
    async fn stored_items_are_queryable_and_rendered_through_the_masker() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let catalog = crate::catalog::Catalog::embedded().unwrap();
        store.write(Table::Items, Some("catalog"), &[catalog.items_batch()]).unwrap();
        let ctx = session(&store).await.unwrap();
        let sql = "SELECT scenario_id, value FROM items WHERE scenario_id = 'S1-4' AND NOT is_decoy ORDER BY value";
        let batches = query(&ctx, sql).await.unwrap();
        let sensitive = [false, true];
        let shown = render(&batches, OutputFormat::Csv, &Masker::new(["0107"]), &sensitive).unwrap();
        assert!(shown.starts_with("scenario_id,value\n"), "{shown}");
        assert!(shown.contains("01**") && !shown.contains("0107"), "{shown}");
        let revealed = render(&batches, OutputFormat::Json, &Masker::new([]), &sensitive).unwrap();
        assert!(revealed.contains("\"value\":\"0107\""), "{revealed}");
        // Numbers are never masked, even when they spell a secret.
        let counts = query(&ctx, "SELECT CAST(107 AS BIGINT) * 10 + 7 AS n, '0107' AS s").await.unwrap();
        let shown = render(&counts, OutputFormat::Csv, &Masker::new(["1077", "0107"]), &[true, true]).unwrap();
        assert_eq!(shown, "n,s\n1077,01**\n");
    }

    /// Which result columns can carry secrets, followed through the plan.
    #[tokio::test]
    async fn sensitive_columns_follow_the_plan() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let ctx = session(&store).await.unwrap();
        let cases: [(&str, &[bool]); 7] = [
            ("SELECT backend, count(*) FROM runs GROUP BY backend", &[false, false]),
            ("SELECT run_id, content AS c, upper(tool_args) FROM messages", &[false, true, true]),
            ("SELECT r.backend, m.content FROM runs r JOIN messages m ON m.run_id = r.run_id", &[false, true]),
            ("SELECT x FROM (SELECT evidence AS x FROM exposures) t WHERE x <> ''", &[true]),
            ("SELECT model FROM messages UNION ALL SELECT value FROM items", &[true]),
            ("SELECT item_id, (SELECT max(value) FROM items) AS v FROM exposures", &[false, true]),
            ("SELECT source_file, '0107' AS literal FROM runs ORDER BY 1 LIMIT 3", &[false, false]),
        ];
        for (sql, expected) in cases {
            let frame = ctx.sql(sql).await.unwrap();
            assert_eq!(sensitive_columns(frame.logical_plan()), expected, "{sql}");
        }
    }
}
