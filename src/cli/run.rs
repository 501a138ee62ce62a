//! `tvp run`: the main job in one command: simulate (or take transcript paths) → ingest → label → metrics →
//! report, with progress per stage and a final line naming the report.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use tvp::ingest::Quiet;
use tvp::ingest::manifest::Manifest;
use tvp::label::Scope;
use tvp::mask::Reveal;
use tvp::simulate::profile::Profiles;
use tvp::simulate::{FormatChoice, simulate};

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
    /// A deployment's secrets policy (TOML, see `data/policy/README.md`): its listed, detected and learned secrets
    /// are judged against their allowed recipients (run) and masked in the transcripts
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Simulation: system profiles TOML (default: embedded, fitted to the paper's Table III)
    #[arg(long)]
    systems: Option<PathBuf>,
    /// Simulation: trust levels
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.5,0.9")]
    trust: Vec<f64>,
    /// Simulation: chains per (system, scenario, τ); with --deployment, runs in all
    #[arg(long, default_value_t = 10)]
    chains: u32,
    /// Simulation: `native`, `mixed` or format names
    #[arg(long, default_value = "native")]
    format: String,
    /// Simulation: seed
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Simulation: a deployment instead of the catalog's chains (see `tvp simulate --help`): --chains
    /// customer-support runs without τ, labeled with the policy written beside them unless --policy is given
    #[arg(long, conflicts_with_all = ["paths", "systems"])]
    deployment: bool,
    /// Label scope: `chain` (any outward message) or `final` (the last one)
    #[arg(long, value_enum, default_value = "chain")]
    scope: Scope,
    /// ε of the trust budget τ*(ε)
    #[arg(long, default_value_t = tvp::fit::DEFAULT_EPSILON)]
    epsilon: f64,
    /// Show secret values in the report's evidence and transcripts instead of masking them
    #[arg(long)]
    reveal: bool,
    /// Label on a Ballista cluster (`tvp cluster --help`); every node must see --out at the same path
    #[arg(long, value_name = "df://HOST:PORT")]
    pub cluster: Option<String>,
}

fn stage(n: usize, text: &str) {
    eprintln!("[{n}/5] {text}");
}

pub fn run(args: RunArgs) -> tvp::Result<i32> {
    let started = Instant::now();
    let catalog = tvp::pipeline::catalog(args.catalog.as_deref())?;
    let mut policy = tvp::pipeline::policy(args.policy.as_deref())?;
    let reveal = Reveal::from_flag(args.reveal);
    let (paths, manifest, truth) = if args.paths.is_empty() {
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
            deployment: args.deployment,
        };
        let summary = simulate(&options, &())?;
        eprintln!(
            "      {} chains, {:.1} MB, formats: {}",
            summary.chains,
            summary.bytes as f64 / 1e6,
            summary.formats.join(", ")
        );
        if policy.is_none()
            && let Some(written) = &summary.policy
        {
            eprintln!("      labeling with the deployment's policy {}", written.display());
            policy = tvp::pipeline::policy(Some(written))?;
        }
        let manifest = Manifest::load(&summary.manifest)?;
        let dirs = summary.formats.iter().map(|f| corpus.join(f)).collect();
        (dirs, Some(manifest), Some(summary.truth))
    } else {
        stage(1, "using the given transcripts (no simulation)");
        (args.paths.clone(), args.manifest.as_deref().map(Manifest::load).transpose()?, None)
    };

    let store_dir = args.out.join("store");
    let store = tvp::pipeline::fresh_store(&store_dir)?;
    stage(2, &format!("ingesting into {}", store_dir.display()));
    let summary = if std::io::stderr().is_terminal() {
        let bar = super::Bar::new();
        let summary = tvp::pipeline::ingest(&paths, &store, manifest, &bar);
        bar.0.finish_and_clear();
        summary?
    } else {
        tvp::pipeline::ingest(&paths, &store, manifest, &Quiet)?
    };
    eprintln!(
        "      {} records read = {} ingested + {} rejected; {} runs",
        summary.read, summary.ingested, summary.rejected, summary.runs
    );
    let runtime = super::runtime()?;
    if summary.rejected > 0 {
        for r in runtime.block_on(tvp::pipeline::rejects(&store, 5))? {
            eprintln!("      rejected: {}: {}", super::at_line(&r.file, r.line), r.reason);
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
    let mut label_options = tvp::label::Options::new(args.scope, reveal);
    label_options.policy = policy.clone();
    label_options.cluster = args.cluster.clone();
    let labels = runtime.block_on(tvp::label::label(&store, &catalog, &label_options))?;
    eprintln!(
        "      {} runs, {} over-exposed, {} over-authorized",
        labels.runs, labels.over_exposed, labels.over_authorized
    );

    // The simulator's truth file is a validation set: the report then shows the labeler's measured error and the
    // rates corrected for it.
    let source = truth.map(tvp::validity::ValidationSource::Truth);
    runtime.block_on(tvp::pipeline::validity(&store, &catalog, source.as_ref()))?;

    stage(4, "computing metrics, fits and findings");
    let data = runtime.block_on(tvp::pipeline::report_data(&store, &catalog, policy.as_ref(), args.epsilon, reveal))?;
    if let Some(metrics) = &data.metrics {
        let excluded: u64 = metrics.excluded.values().sum();
        if metrics.cells.is_empty() {
            eprintln!(
                "      no run has a trust level and a scenario ({excluded} runs): the report shows the findings and \
                 rates without τ (a --manifest with `trust` and `scenario_id` adds the trust sections)"
            );
        } else if excluded > 0 {
            eprintln!("      {excluded} runs without a trust level or scenario are left out of the trust metrics");
        }
    }

    let report_dir = args.out.join("report");
    stage(5, &format!("rendering the report into {}", report_dir.display()));
    let written = tvp::report::write(&data, &report_dir)?;
    eprintln!("      {} figures; done in {:.1} s", written.figures.len() / 2, started.elapsed().as_secs_f64());
    println!("report: {}", written.index.display());
    Ok(0)
}
