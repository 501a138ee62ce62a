//! `tvp sql`: run any SQL statement (DataFusion dialect) over the store's tables.

use std::path::PathBuf;

use clap::Args;
use tvp::catalog::Catalog;
use tvp::label::Scope;
use tvp::mask::Reveal;
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
    /// The scenario catalog whose tables (catalog_items, catalog_actions, roles, success_conditions) are queryable
    /// (default: the built-in catalog)
    #[arg(long)]
    catalog: Option<PathBuf>,
}

pub fn run(args: SqlArgs) -> tvp::Result<i32> {
    let store = Store::open(&args.store)?;
    let runtime = super::runtime()?;
    let catalog = match &args.catalog {
        Some(path) => Catalog::load(path)?,
        None => Catalog::embedded()?,
    };
    let reveal = Reveal::from_flag(args.reveal);
    let text = runtime.block_on(async {
        let (ctx, masker) = tvp::label::session(&store, &catalog, reveal, Scope::Chain).await?;
        let batches = tvp::sql::query(&ctx, &args.sql).await?;
        tvp::sql::render(&batches, args.format, &masker)
    })?;
    print!("{text}");
    Ok(0)
}
