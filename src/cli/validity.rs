//! `tvp validity`: how far the labels can be trusted. Agreement of the rules with an external judge (merged by
//! `tvp label --labels`) per item kind with Cohen's κ and a review queue of disagreements; with a validation set
//! (`--truth` or `--validation`), the labeler's sensitivity and specificity and every OER corrected for them
//! (Rogan-Gladen). Writes `validity_agreement`, `review_queue`, `validity_labeler`, `validity_corrected`.

use std::path::PathBuf;

use clap::Args;
use tvp::catalog::Catalog;
use tvp::store::Store;
use tvp::validity::{Agreement, Correction, ValidationSource};

#[derive(Debug, Args)]
pub struct ValidityArgs {
    /// The store folder, labeled by `tvp label` (with `--labels FILE` for the judge agreement)
    #[arg(long)]
    store: PathBuf,
    /// The scenario catalog the store was labeled with (file or folder; default: the built-in catalog)
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// A ground-truth file (the simulator's truth.jsonl) to measure the labeler's error on
    #[arg(long, conflicts_with = "validation")]
    truth: Option<PathBuf>,
    /// Human labels on a sample of runs (JSONL or .csv with `run_id`, `over_exposed`) to measure the labeler's error on
    #[arg(long)]
    validation: Option<PathBuf>,
    /// How many disagreements of the review queue to print (all are written to `review_queue`)
    #[arg(long, default_value_t = 20)]
    show: usize,
    /// Print the results as JSON
    #[arg(long)]
    json: bool,
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.4}"))
}

pub fn run(args: ValidityArgs) -> tvp::Result<i32> {
    let store = Store::open(&args.store)?;
    let catalog = match &args.catalog {
        Some(path) => Catalog::load(path)?,
        None => Catalog::embedded()?,
    };
    let source = match (args.truth, args.validation) {
        (Some(path), _) => Some(ValidationSource::Truth(path)),
        (None, Some(path)) => Some(ValidationSource::Human(path)),
        (None, None) => None,
    };
    let runtime = super::runtime()?;
    let agreement = runtime.block_on(tvp::validity::agreement(&store, &catalog))?;
    let correction = match &source {
        Some(source) => {
            let (confusion, matched, unmatched) = runtime.block_on(tvp::validity::validation_counts(&store, source))?;
            if matched == 0 {
                return Err(tvp::Error::Usage(format!(
                    "no run of `{}` is labeled in {} ({unmatched} runs in the file); label the store first or \
                     check the run ids",
                    source.path().display(),
                    store.root.display()
                )));
            }
            let metrics = runtime.block_on(tvp::metrics::compute(&store))?;
            Some(tvp::validity::correct(&metrics, confusion, source, matched, unmatched))
        }
        None => None,
    };
    tvp::validity::write_agreement(&store, agreement.as_ref())?;
    tvp::validity::write_correction(&store, correction.as_ref())?;

    if args.json {
        println!("{}", serde_json::json!({ "agreement": agreement, "correction": correction }));
        return Ok(0);
    }
    match &agreement {
        Some(a) => print_agreement(a, args.show),
        None => println!(
            "judge agreement: no external labels in the store (merge a judge's labels with `tvp label --labels \
             FILE`); validity_agreement and review_queue are empty"
        ),
    }
    println!();
    match &correction {
        Some(c) => print_correction(c),
        None => println!(
            "corrected rates: no validation set given (--truth or --validation); validity_labeler and \
             validity_corrected are empty"
        ),
    }
    Ok(0)
}

fn print_agreement(a: &Agreement, show: usize) {
    println!(
        "judge agreement at run × item level ({} judge and {} rule exposure rows); κ interval: {}",
        a.judge_rows,
        a.rule_rows,
        tvp::validity::KAPPA_INTERVAL
    );
    println!(
        "{:<16} {:>7} {:>6} {:>10} {:>11} {:>8} {:>8}  95 % interval",
        "item kind", "units", "both", "rule only", "judge only", "neither", "κ"
    );
    for k in &a.per_kind {
        let t = &k.table;
        let interval = k.kappa.and_then(|k| k.ci).map_or_else(|| "-".into(), |(lo, hi)| format!("[{lo:.4}, {hi:.4}]"));
        println!(
            "{:<16} {:>7} {:>6} {:>10} {:>11} {:>8} {:>8}  {interval}",
            k.item_kind,
            t.n(),
            t.both,
            t.rule_only,
            t.judge_only,
            t.neither,
            opt(k.kappa.map(|k| k.kappa))
        );
    }
    println!("\nreview queue: {} disagreements (table review_queue)", a.queue.len());
    let join = |v: &[i32]| {
        if v.is_empty() { "-".to_string() } else { v.iter().map(i32::to_string).collect::<Vec<_>>().join(",") }
    };
    for d in a.queue.iter().take(show) {
        println!(
            "  {} {} ({}): {} (rules: {} at turns {}; judge: {} at turns {})",
            d.run_id,
            d.item_id,
            d.item_kind,
            d.kind(),
            if d.rules_say { "exposed" } else { "not exposed" },
            join(&d.rule_turns),
            if d.judge_says { "exposed" } else { "not exposed" },
            join(&d.judge_turns)
        );
    }
    if a.queue.len() > show {
        println!("  ... {} more in review_queue", a.queue.len() - show);
    }
}

fn print_correction(c: &Correction) {
    println!(
        "labeler error on {} `{}` ({} runs matched, {} not in the store):",
        c.source, c.file, c.matched, c.unmatched
    );
    for (name, p) in [("sensitivity", c.sensitivity), ("specificity", c.specificity)] {
        match p {
            Some(p) => {
                println!("  {name:<12} {:.4} ({}/{}), Wilson 95 % [{:.4}, {:.4}]", p.value, p.k, p.n, p.lo, p.hi)
            }
            None => println!("  {name:<12} - (no such chains in the validation set: no correction possible)"),
        }
    }
    if let (Some(se), Some(sp)) = (c.sensitivity, c.specificity)
        && se.value + sp.value <= 1.0
    {
        println!(
            "  sensitivity + specificity ≤ 1: the labels carry no information on the true rate, nothing corrected"
        );
    }
    println!("corrected OER (Rogan-Gladen, clamped to [0, 1]; * = clamped), interval: {}", c.interval());
    println!(
        "{:<36} {:<10} {:>5} {:>7} {:>8} {:>10}  95 % interval",
        "system", "scenario", "τ", "chains", "OER", "corrected"
    );
    for r in &c.rows {
        let (value, interval) = match r.corrected {
            Some(x) => (
                format!("{:.4}{}", x.estimate.value, if x.estimate.clamped { "*" } else { "" }),
                format!("[{:.4}, {:.4}]", x.lo, x.hi),
            ),
            None => ("-".into(), "-".into()),
        };
        println!(
            "{:<36} {:<10} {:>5} {:>7} {:>8.4} {:>10}  {interval}",
            r.system.name(),
            r.scenario_id.as_deref().unwrap_or("(pooled)"),
            r.trust,
            r.chains,
            r.over_exposed as f64 / r.chains as f64,
            value
        );
    }
}
