//! `tvp findings`: what a labeled store's runs exposed (item, kind, match kind, sender → recipients, turn,
//! channel, path, masked evidence) and which actions went beyond the allowed ones, as text or as the JSON document
//! `tvp audit --json` writes (schema `tvp-findings/1`, in the README).

use std::path::PathBuf;

use clap::Args;
use tvp::mask::Reveal;
use tvp::store::Store;

#[derive(Debug, Args)]
pub struct FindingsArgs {
    /// The store folder, labeled by `tvp label` (or written by `tvp run` / `tvp audit --store`)
    #[arg(long)]
    store: PathBuf,
    /// Only this run's findings (the summary stays the store's)
    #[arg(long, value_name = "ID")]
    run: Option<String>,
    /// Print the findings document as JSON
    #[arg(long)]
    json: bool,
    /// The scenario catalog the store was labeled with (default: the built-in one); masks its secrets
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Show secret values in the evidence instead of masking them
    #[arg(long)]
    reveal: bool,
    /// Text output: stop after this many findings
    #[arg(long, default_value_t = 200)]
    limit: usize,
}

pub fn run(args: FindingsArgs) -> tvp::Result<i32> {
    let store = Store::open(&args.store)?;
    let catalog = tvp::pipeline::catalog(args.catalog.as_deref())?;
    let mut findings =
        super::runtime()?.block_on(tvp::pipeline::findings(&store, &catalog, Reveal::from_flag(args.reveal)))?;
    if let Some(run) = &args.run {
        findings.only_run(run);
        if findings.runs.is_empty() {
            eprintln!("note: run `{run}` has no findings (or is not in the store)");
        }
    }
    if args.json {
        let text = serde_json::to_string(&findings).map_err(|e| tvp::Error::Internal(e.to_string()))?;
        println!("{text}");
    } else {
        print!("{}", tvp::report::audit::findings_text(&findings, Some(args.limit)));
    }
    Ok(0)
}
