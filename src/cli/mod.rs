//! Command-line definitions: one file per subcommand, each with its `Args` and `run`.

mod audit;
mod catalog;
mod cluster;
mod findings;
mod formats;
mod ingest;
mod label;
mod metrics;
mod report;
mod run;
mod simulate;
mod sql;
mod validity;

use std::sync::atomic::{AtomicUsize, Ordering};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use tvp::ingest::Progress;

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
    /// List what a labeled store's runs exposed, to whom, in which turn and along which path (text or JSON)
    Findings(findings::FindingsArgs),
    /// CI gate: ingest, label and list findings; exit 1 when they match --fail-on (or input was rejected)
    Audit(audit::AuditArgs),
    /// Judge agreement (Cohen's κ, review queue) and OERs corrected for the labeler's measured error (Rogan-Gladen)
    Validity(validity::ValidityArgs),
    /// Run a Ballista scheduler or executor, so that `--cluster df://HOST:PORT` labels and queries on a cluster
    #[command(subcommand)]
    Cluster(cluster::ClusterCommand),
}

impl Cli {
    /// Whether the command talks to a cluster (a process of one, or `--cluster`).
    pub fn uses_network(&self) -> bool {
        match &self.command {
            Command::Cluster(_) => true,
            Command::Label(args) => args.cluster.is_some(),
            Command::Sql(args) => args.cluster.is_some(),
            Command::Run(args) => args.cluster.is_some(),
            _ => false,
        }
    }
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
        Command::Findings(args) => findings::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Validity(args) => validity::run(args),
        Command::Cluster(command) => cluster::run(command),
    }
}

const PLAN_STACK_BYTES: usize = 64 << 20;

/// The async runtime DataFusion runs on.
pub fn runtime() -> tvp::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Plans travel to a cluster as nested protobuf, encoded and decoded recursively: the deepest rules need
        // more stack than tokio's 2 MiB per worker (the memory is reserved, not used, until a plan needs it).
        .thread_stack_size(PLAN_STACK_BYTES)
        .build()
        .map_err(|e| tvp::Error::Internal(format!("cannot start the async runtime: {e}")))
}

/// `file` or `file line N`.
pub fn at_line(file: &str, line: Option<i64>) -> String {
    match line {
        Some(line) => format!("{file} line {line}"),
        None => file.to_string(),
    }
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

/// A progress bar of bytes done, with files and MB/s.
pub struct Bar(pub ProgressBar, AtomicUsize, AtomicUsize);

impl Bar {
    pub fn new() -> Bar {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {msg} eta {eta}",
            )
            .expect("the progress template is valid")
            .progress_chars("=> "),
        );
        Bar(bar, AtomicUsize::new(0), AtomicUsize::new(0))
    }
}

impl Progress for Bar {
    fn begin(&self, files: usize, bytes: u64) {
        self.0.set_length(bytes);
        self.2.store(files, Ordering::Relaxed);
        self.0.set_message(format!("0/{files} files"));
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn file_done(&self) {
        let done = self.1.fetch_add(1, Ordering::Relaxed) + 1;
        self.0.set_message(format!("{done}/{} files", self.2.load(Ordering::Relaxed)));
    }
}
