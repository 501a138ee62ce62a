//! `tvp sql`: run any SQL statement (DataFusion dialect) over the store's tables.

use std::path::PathBuf;

use clap::Args;
use tvp::catalog::Catalog;
use tvp::mask::Masker;
use tvp::sql::OutputFormat;
use tvp::store::Store;

#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The SQL statement, e.g. "SELECT source_format, count(*) FROM runs GROUP BY 1"
    sql: String,
    /// The store folder written by `tvp ingest`
    #[arg(long)]
    store: PathBuf,
    /// Output: an aligned table (long cells cut), CSV, or JSON lines
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// Show secret values (items of the store and the catalog) instead of masking them
    #[arg(long)]
    reveal: bool,
}

pub fn run(args: SqlArgs) -> tvp::Result<i32> {
    let store = Store::open(&args.store)?;
    let runtime = super::runtime()?;
    let text = runtime.block_on(async {
        let ctx = tvp::sql::session(&store).await?;
        let batches = tvp::sql::query(&ctx, &args.sql).await?;
        let masker = if args.reveal {
            Masker::new([])
        } else {
            let catalog_values: Vec<String> = Catalog::embedded()
                .map(|c| {
                    c.scenarios
                        .iter()
                        .flat_map(|s| &s.items)
                        .flat_map(|i| i.values.iter().chain(&i.forms))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            tvp::sql::store_masker(&ctx, &catalog_values).await?
        };
        tvp::sql::render(&batches, args.format, &masker)
    })?;
    print!("{text}");
    Ok(0)
}
