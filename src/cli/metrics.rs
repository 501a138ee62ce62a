//! `tvp metrics`: compute OER, task success, over-authorization and AD from the labeled store, fit the per-system
//! trust-risk curves and defense effects, and write the `metrics_*` and `fits` tables.

use std::path::PathBuf;

use clap::Args;
use tvp::fit::DEFAULT_EPSILON;
use tvp::metrics::{Aggregation, Metric};
use tvp::store::Store;

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// The store folder, labeled by `tvp label`
    #[arg(long)]
    store: PathBuf,
    /// ε of the trust budget τ*(ε): the largest τ whose upper 95 % bound on OER stays ≤ ε
    #[arg(long, default_value_t = DEFAULT_EPSILON)]
    epsilon: f64,
    /// Print the metrics and fits as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(args: MetricsArgs) -> tvp::Result<i32> {
    let store = Store::open(&args.store)?;
    let (metrics, fits) = super::runtime()?.block_on(tvp::pipeline::measure(&store, args.epsilon))?;
    if args.json {
        let value = serde_json::json!({ "metrics": metrics, "fits": fits });
        println!("{value}");
        return Ok(0);
    }
    let chains: u64 = metrics.cells.iter().map(|c| c.chains).sum();
    println!(
        "{} chains in {} cells (system × scenario × τ), label scope {}; written to metrics_cells, metrics_drift, \
         metrics_systems, fits",
        chains,
        metrics.cells.len(),
        metrics.scope
    );
    for (reason, n) in &metrics.excluded {
        println!("excluded: {n} runs ({reason})");
    }
    if metrics.cells.is_empty() {
        println!(
            "no run has both a trust level and a scenario: no OER by τ, AD or fit; a --manifest giving `trust` and \
             `scenario_id` per run adds them (rates without τ: `tvp findings --store {}`)",
            args.store.display()
        );
        return Ok(0);
    }
    let levels = metrics.trust_levels();
    let header: Vec<String> = levels.iter().map(|t| format!("OER τ={t}")).collect();
    println!("\n{:<36} {}  {:>8}  {:>10}  τ*(ε={})", "system", header.join("  "), "AD", "shape", fits.epsilon);
    for fit in &fits.systems {
        let cells: Vec<String> = levels
            .iter()
            .map(|&t| {
                metrics
                    .aggregate(&fit.system, Metric::Oer, Some(t), Aggregation::Pooled)
                    .map_or(format!("{:>9}", "-"), |a| format!("{:>9.3}", a.value))
            })
            .collect();
        let ad = metrics
            .aggregate(&fit.system, Metric::Ad, None, Aggregation::MeanOfScenarios)
            .map_or(f64::NAN, |a| a.value);
        let chosen = fit.chosen();
        println!(
            "{:<36} {}  {:>8.4}  {:>10}  {}",
            fit.system.name(),
            cells.join("  "),
            ad,
            chosen.map_or("-", |c| c.shape),
            chosen.and_then(|c| c.tau_star).map_or("none".to_string(), |t| format!("{t:.3}"))
        );
    }
    println!("(OER pooled over scenarios; AD the mean of per-scenario AD with equal weights)");
    if let Some(d) = &fits.systems_differ {
        println!(
            "systems differ (likelihood ratio, system × τ): χ² = {:.2}, df = {}, p = {:.3e}",
            d.statistic, d.df, d.p
        );
    }
    for d in &fits.defenses {
        let parts: Vec<String> = d
            .per_trust
            .iter()
            .filter_map(|t| t.diff.map(|(diff, lo, hi)| format!("τ={}: ΔOER {diff:+.3} [{lo:+.3}, {hi:+.3}]", t.trust)))
            .collect();
        println!("{} vs {}: {}; ΔAD {:+.4}", d.defended.name(), d.baseline.name(), parts.join("; "), d.ad_diff.0);
    }
    Ok(0)
}
