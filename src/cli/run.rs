//! `tvp run`: the main job in one command: simulate (or take transcript paths) → ingest → label → metrics →
//! report, with progress per stage and a final line naming the report.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use tvp::catalog::Catalog;
use tvp::ingest::Quiet;
use tvp::ingest::manifest::Manifest;
use tvp::label::Scope;
use tvp::mask::Reveal;
use tvp::simulate::profile::Profiles;
use tvp::simulate::{FormatChoice, simulate};
use tvp::store::Store;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Transcript files or folders to audit; without any, a corpus is simulated from the catalog and profiles
    paths: Vec<PathBuf>,
    /// Output folder: corpus/ (when simulated), store/ (rebuilt on every run), report/
    #[arg(long, default_value = "tvp-out")]
    out: PathBuf,
    /// Run metadata for the given transcripts (CSV or JSON, see `tvp ingest --help`)
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Scenario catalog (default: the embedded 19 sub-scenes)
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Simulation: system profiles TOML (default: embedded, fitted to the paper's Table III)
    #[arg(long)]
    systems: Option<PathBuf>,
    /// Simulation: trust levels
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.5,0.9")]
    trust: Vec<f64>,
    /// Simulation: chains per (system, scenario, τ)
    #[arg(long, default_value_t = 10)]
    chains: u32,
    /// Simulation: `native`, `mixed` or format names
    #[arg(long, default_value = "native")]
    format: String,
    /// Simulation: seed
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Label scope: `chain` (any outward message) or `final` (the last one)
    #[arg(long, value_enum, default_value = "chain")]
    scope: Scope,
    /// ε of the trust budget τ*(ε)
    #[arg(long, default_value_t = tvp::fit::DEFAULT_EPSILON)]
    epsilon: f64,
}

fn stage(n: usize, text: &str) {
    eprintln!("[{n}/5] {text}");
}

pub fn run(args: RunArgs) -> tvp::Result<i32> {
    let started = Instant::now();
    let catalog = match &args.catalog {
        Some(path) => Catalog::load(path)?,
        None => Catalog::embedded()?,
    };
    let (paths, manifest) = if args.paths.is_empty() {
        let corpus = args.out.join("corpus");
        stage(1, &format!("simulating chains into {}", corpus.display()));
        let options = tvp::simulate::Options {
            catalog: catalog.clone(),
            profiles: match &args.systems {
                Some(path) => Profiles::load(path)?,
                None => Profiles::embedded(),
            },
            systems: Vec::new(),
            scenarios: Vec::new(),
            trust: args.trust.clone(),
            chains: args.chains,
            format: FormatChoice::parse(&args.format)?,
            out: corpus.clone(),
            seed: args.seed,
            size: None,
            obscured: false,
        };
        let summary = simulate(&options, &())?;
        eprintln!(
            "      {} chains, {:.1} MB, formats: {}",
            summary.chains,
            summary.bytes as f64 / 1e6,
            summary.formats.join(", ")
        );
        let manifest = Manifest::load(&summary.manifest)?;
        let dirs = summary.formats.iter().map(|f| corpus.join(f)).collect();
        (dirs, Some(manifest))
    } else {
        stage(1, "using the given transcripts (no simulation)");
        (args.paths.clone(), args.manifest.as_deref().map(Manifest::load).transpose()?)
    };

    let store_dir = args.out.join("store");
    if store_dir.exists() {
        std::fs::remove_dir_all(&store_dir).map_err(|source| tvp::Error::Write { path: store_dir.clone(), source })?;
    }
    let store = Store::create(&store_dir)?;
    stage(2, &format!("ingesting into {}", store_dir.display()));
    let options = tvp::ingest::Options { format: None, manifest, strict: false };
    let summary = if std::io::stderr().is_terminal() {
        let bar = super::ingest::Bar::new();
        let summary = tvp::ingest::ingest(&paths, &store, &options, &bar);
        bar.0.finish_and_clear();
        summary?
    } else {
        tvp::ingest::ingest(&paths, &store, &options, &Quiet)?
    };
    eprintln!(
        "      {} records read = {} ingested + {} rejected; {} runs",
        summary.read, summary.ingested, summary.rejected, summary.runs
    );
    let runtime = super::runtime()?;
    if summary.rejected > 0 {
        let rejects = runtime.block_on(async {
            let ctx = tvp::sql::session(&store).await?;
            tvp::sql::query(&ctx, "SELECT file, line, reason FROM rejects ORDER BY file, line LIMIT 5").await
        })?;
        for batch in &rejects {
            use arrow::array::{Array, AsArray};
            let (file, line, reason) = (
                batch.column(0).as_string::<i32>(),
                batch.column(1).as_primitive::<arrow::datatypes::Int64Type>(),
                batch.column(2).as_string::<i32>(),
            );
            for i in 0..batch.num_rows() {
                let at = if line.is_null(i) { String::new() } else { format!(" line {}", line.value(i)) };
                eprintln!("      rejected: {}{at}: {}", file.value(i), reason.value(i));
            }
        }
        eprintln!(
            "      (all reasons: tvp sql --store {} \"SELECT file, line, reason FROM rejects\")",
            store_dir.display()
        );
    }
    if summary.runs == 0 {
        return Err(tvp::Error::Usage(format!(
            "no run could be read from {}; see the rejects above, and `tvp formats` for what tvp reads",
            paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        )));
    }

    stage(3, "labeling with the rules in queries/");
    let label_options = tvp::label::Options::new(args.scope, Reveal::from_flag(false));
    let labels = runtime.block_on(tvp::label::label(&store, &catalog, &label_options))?;
    eprintln!(
        "      {} runs, {} over-exposed, {} over-authorized",
        labels.runs, labels.over_exposed, labels.over_authorized
    );

    stage(4, "computing metrics and fits");
    let data = super::report::from_store(&store, args.epsilon)?;

    let report_dir = args.out.join("report");
    stage(5, &format!("rendering the report into {}", report_dir.display()));
    let written = tvp::report::write(&data, &report_dir)?;
    eprintln!("      {} figures; done in {:.1} s", written.figures.len() / 2, started.elapsed().as_secs_f64());
    println!("report: {}", written.index.display());
    Ok(0)
}
