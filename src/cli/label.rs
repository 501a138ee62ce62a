//! `tvp label`: run the labeling rules over a store and write `exposures`, `authorizations` and `outcomes`.

use std::path::PathBuf;

use clap::Args;
use tvp::label::accuracy::Accuracy;
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
    /// A ground-truth file (the simulator's truth.jsonl): also print the labels' precision and recall against it
    #[arg(long)]
    truth: Option<PathBuf>,
    /// Label the runs in N partitions (by a hash of the run id), one at a time, so memory holds one partition;
    /// default: one partition per 10 MiB of message and ground-truth data (uncompressed), which keeps the peak
    /// memory under 500 MiB. More than one partition needs scratch space in the store while it runs, about ten
    /// times the store's size on disk
    #[arg(long, value_name = "N")]
    partitions: Option<usize>,
    /// Which views the matcher runs: `all` (also decoded tokens: base64, hex, percent-encoding, `\u` escapes,
    /// nested up to 3 deep; ROT13 and reversed forms) or `plain` (exact, normalized, spelled, patterns; Unicode
    /// folding is always on)
    #[arg(long, value_enum, default_value = "all")]
    views: tvp::label::matcher::Views,
    /// Pieces of a value sent to different recipients add up to a split exposure (for recipients that share what
    /// they receive); by default only pieces sent to the same recipient do
    #[arg(long)]
    split_across_recipients: bool,
    /// A deployment's secrets policy (TOML, format in `data/policy/README.md`): its items, detectors and values
    /// learned from tool results, each judged against the recipients allowed to receive it
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Print the summary as JSON
    #[arg(long)]
    json: bool,
    /// Run the rules on a Ballista cluster (`tvp cluster --help`) instead of here; every node must see the store at
    /// the same path. The label tables are written to the store as a local run writes them
    #[arg(long, value_name = "df://HOST:PORT")]
    pub cluster: Option<String>,
}

pub fn run(args: LabelArgs) -> tvp::Result<i32> {
    let store = Store::open(&args.store)?;
    let catalog = tvp::pipeline::catalog(args.catalog.as_deref())?;
    let options = Options {
        scope: args.scope,
        queries: args.queries.clone(),
        external_labels: args.labels.clone(),
        reveal: Reveal::from_flag(args.reveal),
        partitions: args.partitions,
        views: args.views,
        split_across_recipients: args.split_across_recipients,
        policy: tvp::pipeline::policy(args.policy.as_deref())?,
        cluster: args.cluster.clone(),
    };
    let runtime = super::runtime()?;
    let summary = runtime.block_on(tvp::label::label(&store, &catalog, &options))?;
    let accuracy = match &args.truth {
        Some(path) => Some(runtime.block_on(tvp::label::accuracy::evaluate(&store, path))?),
        None => None,
    };
    if args.json {
        let mut value = serde_json::to_value(&summary).map_err(|e| tvp::Error::Internal(e.to_string()))?;
        if let Some(accuracy) = &accuracy {
            value["accuracy"] = serde_json::to_value(accuracy).map_err(|e| tvp::Error::Internal(e.to_string()))?;
        }
        println!("{value}");
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
    if let Some(accuracy) = &accuracy {
        print_accuracy(accuracy);
    }
    Ok(0)
}

fn print_accuracy(a: &Accuracy) {
    println!("against the truth file: {} chains ({} in the truth file but not labeled)", a.chains, a.missing);
    for (name, b) in [
        ("over-exposure", &a.over_exposure),
        ("over-authorization", &a.over_authorization),
        ("task success", &a.task_success),
    ] {
        println!(
            "  {name}: precision {:.4}, recall {:.4} (tp {}, fp {}, fn {})",
            b.precision(),
            b.recall(),
            b.true_positives,
            b.false_positives,
            b.false_negatives
        );
    }
    for (form, r) in &a.items {
        println!(
            "  item recall, {form}: {:.4} ({} of {}; at the same turn {}, same match kind {})",
            r.recall(),
            r.found,
            r.disclosed,
            r.same_turn,
            r.same_kind
        );
    }
    if a.by_format.len() > 1 {
        let parts: Vec<String> =
            a.by_format.iter().map(|(f, b)| format!("{f} {:.3}/{:.3}", b.precision(), b.recall())).collect();
        println!("  over-exposure precision/recall by format: {}", parts.join(", "));
    }
    if a.false_exposures.is_empty() {
        println!("  exposures without a truth counterpart: none");
    } else {
        let parts: Vec<String> = a.false_exposures.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!("  exposures without a truth counterpart: {}", parts.join(", "));
    }
}
