//! Command-line definitions: one file per subcommand, each with its `Args` and `run`.

mod catalog;
mod formats;
mod ingest;
mod label;
mod metrics;
mod report;
mod run;
mod simulate;
mod sql;
mod validity;

use clap::{Parser, Subcommand};

/// Audit recorded LLM multi-agent transcripts for trust-induced over-exposure.
///
/// tvp reads transcripts of multi-agent runs recorded at several trust levels, labels which runs disclosed more
/// than the Minimum Necessary Information (MNI) or did more than they were authorized to, and reports how the
/// Over-Exposure Rate (OER) and Authorization Drift (AD) move with trust for each system.
///
/// Exit codes: 0 ok, 1 bad input (or findings you asked to fail on), 2 internal error.
#[derive(Debug, Parser)]
#[command(name = "tvp", version, max_term_width = 110)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The main job: simulate (or take transcript paths) → ingest → label → metrics → report, in one command
    Run(run::RunArgs),
    /// Validate or show the scenario catalog (the ground truth: secrets, MNI, decoys, allowed actions)
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Read transcripts (files or folders, any supported framework) into a Parquet store
    Ingest(ingest::IngestArgs),
    /// List the transcript formats ingest reads and the fields each one lacks
    Formats,
    /// Mark exposures beyond the MNI, over-authorizations and task success with the SQL rules in `queries/`
    Label(label::LabelArgs),
    /// Compute OER (Wilson intervals), AD, task success, over-authorization, trust-risk fits and defense effects
    Metrics(metrics::MetricsArgs),
    /// Render figures and tables (index.html, report.md) from a labeled store or a pre-aggregated OER table
    Report(report::ReportArgs),
    /// Write a synthetic corpus: trust-parameterized chains in native framework formats, with manifest and truth
    Simulate(simulate::SimulateArgs),
    /// Run SQL (DataFusion) over the store's tables; secret values are masked unless --reveal
    Sql(sql::SqlArgs),
    /// Judge agreement (Cohen's κ, review queue) and OERs corrected for the labeler's measured error (Rogan-Gladen)
    Validity(validity::ValidityArgs),
}

/// Run a parsed command; returns the exit code.
pub fn run(cli: Cli) -> tvp::Result<i32> {
    match cli.command {
        Command::Catalog(command) => catalog::run(command),
        Command::Ingest(args) => ingest::run(args),
        Command::Formats => formats::run(),
        Command::Label(args) => label::run(args),
        Command::Metrics(args) => metrics::run(args),
        Command::Report(args) => report::run(args),
        Command::Run(args) => run::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Sql(args) => sql::run(args),
        Command::Validity(args) => validity::run(args),
    }
}

/// The async runtime DataFusion runs on.
pub fn runtime() -> tvp::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| tvp::Error::Internal(format!("cannot start the async runtime: {e}")))
}

/// Print an error as `error:` lines followed by a `hint:` line.
pub fn print_error(error: &tvp::Error) {
    match error {
        tvp::Error::Catalog(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            let n = errors.0.len();
            eprintln!("error: the scenario catalog has {n} problem{}", if n == 1 { "" } else { "s" });
        }
        other => eprintln!("error: {other}"),
    }
    if let Some(hint) = error.hint() {
        eprintln!("hint: {hint}");
    }
}
