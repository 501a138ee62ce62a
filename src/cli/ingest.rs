//! `tvp ingest`: read transcripts of any supported framework into the Parquet store, with a progress bar, a
//! summary that accounts for every record, and the reasons for every reject.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use tvp::ingest::manifest::Manifest;
use tvp::ingest::registry::by_name;
use tvp::ingest::{Options, Quiet, Summary};
use tvp::store::Store;

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Transcript files or folders (searched recursively for .json, .jsonl, .log, .txt, .db, .eval, also .gz/.zst)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The store folder to append to (created if missing)
    #[arg(long)]
    store: PathBuf,
    /// Read every file as this format instead of detecting it (names: `tvp formats`)
    #[arg(long)]
    format: Option<String>,
    /// CSV or JSON giving trust, backend, framework, defense, scenario_id, seed, repetition per run id or path glob
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Stop at the first rejected record
    #[arg(long)]
    strict: bool,
    /// Print the summary as JSON (and no progress bar)
    #[arg(long)]
    json: bool,
}

/// How many rejects the text summary lists before it points to the `rejects` table.
const SHOWN_REJECTS: usize = 20;

pub fn run(args: IngestArgs) -> tvp::Result<i32> {
    let format = match &args.format {
        Some(name) => Some(by_name(name).ok_or_else(|| tvp::Error::UnknownFormat { name: name.clone() })?),
        None => None,
    };
    let manifest = args.manifest.as_deref().map(Manifest::load).transpose()?;
    let options = Options { format, manifest, strict: args.strict };
    let store = Store::create(&args.store)?;

    let started = Instant::now();
    let show_bar = !args.json && std::io::stderr().is_terminal();
    let summary = if show_bar {
        let bar = super::Bar::new();
        let summary = tvp::ingest::ingest(&args.paths, &store, &options, &bar);
        bar.0.finish_and_clear();
        summary?
    } else {
        tvp::ingest::ingest(&args.paths, &store, &options, &Quiet)?
    };
    let seconds = started.elapsed().as_secs_f64();

    if args.json {
        let mut value = serde_json::to_value(&summary).map_err(|e| tvp::Error::Internal(e.to_string()))?;
        value["seconds"] = serde_json::json!(seconds);
        value["store"] = serde_json::json!(args.store.display().to_string());
        println!("{value}");
    } else {
        print_summary(&summary, &args.store, seconds);
    }
    Ok(if summary.rejected > 0 { 1 } else { 0 })
}

pub fn print_summary(summary: &Summary, store: &std::path::Path, seconds: f64) {
    let mb = summary.bytes as f64 / 1e6;
    println!(
        "ingested {} files ({:.1} MB in {:.1} s, {:.1} MB/s) into {}",
        summary.files.len() - summary.duplicates as usize,
        mb,
        seconds,
        mb / seconds.max(1e-9),
        store.display()
    );
    println!(
        "records: {} read = {} ingested + {} rejected; {} runs, {} messages",
        summary.read, summary.ingested, summary.rejected, summary.runs, summary.messages
    );
    for (file, why) in &summary.skipped {
        println!("note: skipped {file}: {why}");
    }
    if summary.duplicates > 0 {
        println!("skipped {} files already in the store (same content)", summary.duplicates);
    }
    let mut formats: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in summary.files.iter().filter(|f| !f.duplicate) {
        *formats.entry(f.format.as_deref().unwrap_or("(unrecognized)")).or_default() += 1;
    }
    let by_format: Vec<String> = formats.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    if !by_format.is_empty() {
        println!("formats: {}", by_format.join(", "));
    }
    let bad: Vec<_> = summary.files.iter().filter(|f| f.rejected > 0).collect();
    if !bad.is_empty() {
        println!("{} files had rejects:", bad.len());
        for f in bad.iter().take(SHOWN_REJECTS) {
            println!("  {}: {} of {} records rejected", f.file, f.rejected, f.read);
        }
        if bad.len() > SHOWN_REJECTS {
            println!("  ... and {} more", bad.len() - SHOWN_REJECTS);
        }
        println!(
            "the reasons are in the `rejects` table: tvp sql --store {} \"SELECT file, line, reason FROM rejects\"",
            store.display()
        );
    }
    if summary.stopped_early {
        println!("stopped at the first reject (--strict); later files were not read");
    }
}
