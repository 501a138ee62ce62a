//! `tvp report`: the audit (findings with their transcripts, rates without τ) and the trust figures and tables
//! from a labeled store (metrics and fits are recomputed and written to it), or figures and tables from a
//! pre-aggregated OER table shaped like the paper's Table III (`--from-oer`).

use std::path::PathBuf;

use clap::Args;
use tvp::fit::DEFAULT_EPSILON;
use tvp::mask::Reveal;
use tvp::report::ReportData;
use tvp::store::Store;

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["store", "from_oer"])))]
pub struct ReportArgs {
    /// The store folder, labeled by `tvp label`
    #[arg(long)]
    store: Option<PathBuf>,
    /// A CSV shaped like the paper's Table III (framework, model, sub_scene, oer_tau<τ>..., optional ad_reported):
    /// recompute AD, list rows whose reported AD disagrees, and draw the figures from it
    #[arg(long, value_name = "FILE.csv")]
    from_oer: Option<PathBuf>,
    /// Output folder: index.html, report.md and figures/
    #[arg(long)]
    out: PathBuf,
    /// ε of the trust budget τ*(ε)
    #[arg(long, default_value_t = DEFAULT_EPSILON)]
    epsilon: f64,
    /// The scenario catalog the store was labeled with (default: the built-in one); masks its secrets
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// A deployment's secrets policy (TOML, see `data/policy/README.md`): its listed, detected and learned secrets
    /// are judged against their allowed recipients (run) and masked in the transcripts
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Show secret values in the evidence and transcripts instead of masking them
    #[arg(long)]
    reveal: bool,
}

pub fn run(args: ReportArgs) -> tvp::Result<i32> {
    let data = match (&args.store, &args.from_oer) {
        (_, Some(path)) => ReportData::from_oer(path)?,
        (Some(store), None) => {
            let catalog = tvp::pipeline::catalog(args.catalog.as_deref())?;
            let store = Store::open(store)?;
            let reveal = Reveal::from_flag(args.reveal);
            let policy = tvp::pipeline::policy(args.policy.as_deref())?;
            super::runtime()?.block_on(tvp::pipeline::report_data(
                &store,
                &catalog,
                policy.as_ref(),
                args.epsilon,
                reveal,
            ))?
        }
        (None, None) => unreachable!("clap requires one input"),
    };
    let written = tvp::report::write(&data, &args.out)?;
    if args.from_oer.is_some() {
        let flagged: Vec<String> = data
            .ad_checks
            .iter()
            .filter(|c| c.disagrees)
            .map(|c| {
                format!(
                    "{} {}: reported {}, computed {:.4}",
                    c.system,
                    c.scenario_id,
                    c.reported.as_deref().unwrap_or("-"),
                    c.computed
                )
            })
            .collect();
        let with_reported = data.ad_checks.iter().filter(|c| c.reported.is_some()).count();
        println!(
            "AD recomputed for {} rows: {} of {} reported values agree within rounding",
            data.ad_checks.len(),
            with_reported - flagged.len(),
            with_reported
        );
        for f in &flagged {
            println!("  disagrees: {f}");
        }
    }
    println!("{} figures (SVG and PNG) in {}", written.figures.len() / 2, args.out.join("figures").display());
    println!("report: {}", written.index.display());
    Ok(0)
}
