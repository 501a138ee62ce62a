//! `tvp label`: run the labeling rules over a store and write `exposures`, `authorizations` and `outcomes`.

use std::path::PathBuf;

use clap::Args;
use tvp::catalog::Catalog;
use tvp::label::{Options, Scope};
use tvp::mask::Reveal;
use tvp::store::Store;

#[derive(Debug, Args)]
pub struct LabelArgs {
    /// The store folder written by `tvp ingest`
    #[arg(long)]
    store: PathBuf,
    /// Which outward messages count: `chain` (any in the run) or `final` (the last one, the paper's literal reading)
    #[arg(long, value_enum, default_value = "chain")]
    scope: Scope,
    /// A folder of extra or overriding rules (`NN_name.sql`, one statement each)
    #[arg(long)]
    queries: Option<PathBuf>,
    /// The scenario catalog (file or folder; default: the built-in catalog)
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// External labels to merge (JSONL, CSV or Parquet with run_id, turn, item_id, optional source)
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Write evidence with secret values shown instead of masked
    #[arg(long)]
    reveal: bool,
    /// Print the summary as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(args: LabelArgs) -> tvp::Result<i32> {
    let store = Store::open(&args.store)?;
    let catalog = match &args.catalog {
        Some(path) => Catalog::load(path)?,
        None => Catalog::embedded()?,
    };
    let options = Options {
        scope: args.scope,
        queries: args.queries.clone(),
        external_labels: args.labels.clone(),
        reveal: Reveal::from_flag(args.reveal),
    };
    let summary = super::runtime()?.block_on(tvp::label::label(&store, &catalog, &options))?;
    if args.json {
        println!("{}", serde_json::to_string(&summary).map_err(|e| tvp::Error::Internal(e.to_string()))?);
        return Ok(0);
    }
    let share = |n: usize, of: usize| if of == 0 { 0.0 } else { 100.0 * n as f64 / of as f64 };
    println!("labeled {} runs in {} (scope: {})", summary.runs, store.root.display(), summary.scope);
    println!(
        "over-exposed: {} runs ({:.1} %), {} exposures{}",
        summary.over_exposed,
        share(summary.over_exposed, summary.runs),
        summary.exposures,
        if summary.exposures_by_kind.is_empty() {
            String::new()
        } else {
            let kinds: Vec<String> = summary.exposures_by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
            format!(" ({})", kinds.join(", "))
        }
    );
    println!("over-authorized: {} runs; {} actions judged", summary.over_authorized, summary.authorizations);
    println!("task success: {} of {} runs with a known scenario", summary.task_success, summary.task_success_known);
    println!("rules: {}", summary.rules.join(", "));
    Ok(0)
}
