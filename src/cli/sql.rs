//! `tvp sql`: run any SQL statement (DataFusion dialect) over the store's tables.

use std::path::PathBuf;

use clap::Args;
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
    /// Show secret values instead of masking them. Masked by default: whole occurrences of the store's and the
    /// catalog's item values, in result columns computed from `content`, `tool_args`, `evidence`, `value`,
    /// `match_forms`, `patterns` or `reason`; other columns (ids, model names, paths, counts) are shown as they are
    #[arg(long)]
    reveal: bool,
    /// The scenario catalog whose tables (catalog_items, catalog_actions, roles, success_conditions) are queryable
    /// (default: the built-in catalog)
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// The deployment's secrets policy the store was labeled with (TOML, see `data/policy/README.md`): its listed
    /// and learned values are masked too, and its `policy_items` table is queryable
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Run the query on a Ballista cluster (`tvp cluster --help`); every node must see the store at the same path
    #[arg(long, value_name = "df://HOST:PORT")]
    pub cluster: Option<String>,
}

pub fn run(args: SqlArgs) -> tvp::Result<i32> {
    let store = Store::open(&args.store)?;
    let runtime = super::runtime()?;
    let catalog = tvp::pipeline::catalog(args.catalog.as_deref())?;
    let policy = tvp::pipeline::policy(args.policy.as_deref())?;
    let reveal = Reveal::from_flag(args.reveal);
    let text = runtime.block_on(async {
        let (ctx, _job, truths) = match &args.cluster {
            Some(url) => {
                let (ctx, job, truths) =
                    tvp::cluster::sql_session(url, &store, &catalog, reveal, policy.as_ref()).await?;
                (ctx, Some(job), truths)
            }
            None => {
                let (ctx, truths) =
                    tvp::label::session_with_policy(&store, &catalog, reveal, Scope::Chain, policy.as_ref()).await?;
                (ctx, None, truths)
            }
        };
        let frame = ctx.sql(&args.sql).await.map_err(tvp::sql::sql_error)?;
        let sensitive = tvp::sql::sensitive_columns(frame.logical_plan());
        let batches = frame.collect().await.map_err(tvp::sql::sql_error)?;
        // The secrets are read only when a column that can hold them is shown masked.
        let masker = if reveal == Reveal::Masked && sensitive.iter().any(|&s| s) {
            truths.masker().map_err(|message| tvp::Error::Sql { message })?
        } else {
            std::sync::Arc::new(tvp::mask::Masker::new([]))
        };
        tvp::sql::render(&batches, args.format, &masker, &sensitive)
    })?;
    print!("{text}");
    Ok(0)
}
