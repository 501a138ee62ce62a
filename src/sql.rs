//! SQL over the store: a DataFusion `SessionContext` with every canonical table registered (a listing table over
//! its Parquet files, or an empty table of the canonical schema when the store has none yet), and rendering of
//! results as a table, CSV or JSON lines with secret values masked unless revealed.

use std::sync::Arc;

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingOptions;
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};
use crate::mask::Masker;
use crate::schema::Table;
use crate::store::Store;

/// A session over the store's tables.
pub async fn session(store: &Store) -> Result<SessionContext> {
    let ctx = SessionContext::new();
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

/// Render result batches; every cell passes through the masker.
pub fn render(batches: &[RecordBatch], format: OutputFormat, masker: &Masker) -> Result<String> {
    let Some(first) = batches.first() else { return Ok(String::new()) };
    let schema = first.schema();
    let headers: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let numeric: Vec<bool> = schema.fields().iter().map(|f| f.data_type().is_numeric()).collect();
    // Secrets live in text; numbers, times and flags are never masked (a count must not turn into `***5`).
    let textual: Vec<bool> = schema
        .fields()
        .iter()
        .map(|f| !(f.data_type().is_numeric() || f.data_type().is_temporal() || *f.data_type() == DataType::Boolean))
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
        let shown = render(&batches, OutputFormat::Csv, &Masker::new(["0107"])).unwrap();
        assert!(shown.starts_with("scenario_id,value\n"), "{shown}");
        assert!(shown.contains("01**") && !shown.contains("0107"), "{shown}");
        let revealed = render(&batches, OutputFormat::Json, &Masker::new([])).unwrap();
        assert!(revealed.contains("\"value\":\"0107\""), "{revealed}");
        // Numbers are never masked, even when they spell a secret.
        let counts = query(&ctx, "SELECT CAST(107 AS BIGINT) * 10 + 7 AS n, '0107' AS s").await.unwrap();
        let shown = render(&counts, OutputFormat::Csv, &Masker::new(["1077", "0107"])).unwrap();
        assert_eq!(shown, "n,s\n1077,01**\n");
    }
}
