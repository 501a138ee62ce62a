//! `tvp audit`: the CI gate. Ingests the given transcripts (into a temporary store unless `--store`), labels them,
//! writes the findings (`--json FILE`, schema `tvp-findings/1`), prints a short summary, and exits 1 when the
//! findings match `--fail-on` or an input record was rejected, 0 when neither, 2 on an internal error.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use tvp::ingest::Quiet;
use tvp::ingest::manifest::Manifest;
use tvp::mask::Reveal;
use tvp::pipeline::{FailOn, TempDir};

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Transcript files or folders (any format `tvp formats` lists)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Keep the store here (rebuilt on every audit) instead of a temporary folder
    #[arg(long)]
    store: Option<PathBuf>,
    /// The ground truth: a scenario catalog (default: the built-in one); logs that carry their own (AgentLeak) use it
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Run metadata (CSV or JSON, see `tvp ingest --help`)
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// A deployment's secrets policy (TOML, format in `data/policy/README.md`), as `tvp label --policy`
    #[arg(long)]
    policy: Option<PathBuf>,
    /// What makes the audit fail (exit 1)
    #[arg(long, value_enum, default_value = "any")]
    fail_on: FailOn,
    /// Write the findings document (JSON) here
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Show secret values in the evidence instead of masking them
    #[arg(long)]
    reveal: bool,
    /// How many findings the summary lists
    #[arg(long, default_value_t = 10)]
    limit: usize,
}

pub fn run(args: AuditArgs) -> tvp::Result<i32> {
    let catalog = tvp::pipeline::catalog(args.catalog.as_deref())?;
    let manifest = args.manifest.as_deref().map(Manifest::load).transpose()?;
    let reveal = Reveal::from_flag(args.reveal);
    let policy = tvp::pipeline::policy(args.policy.as_deref())?;
    let temp;
    let store_dir = match &args.store {
        Some(dir) => dir.clone(),
        None => {
            temp = TempDir::new("tvp-audit")?;
            temp.0.join("store")
        }
    };
    let store = tvp::pipeline::fresh_store(&store_dir)?;
    let runtime = super::runtime()?;
    let options = tvp::pipeline::AuditOptions { manifest, policy, fail_on: args.fail_on, reveal };
    let audited = if std::io::stderr().is_terminal() {
        let bar = super::Bar::new();
        let audited = runtime.block_on(tvp::pipeline::audit(&args.paths, &store, &catalog, options, &bar));
        bar.0.finish_and_clear();
        audited?
    } else {
        runtime.block_on(tvp::pipeline::audit(&args.paths, &store, &catalog, options, &Quiet))?
    };
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&audited.findings).map_err(|e| tvp::Error::Internal(e.to_string()))?;
        write_atomically(path, &text)?;
    }
    let i = &audited.ingest;
    println!(
        "read {} files: {} records = {} ingested + {} rejected; {} runs",
        i.files.len(),
        i.read,
        i.ingested,
        i.rejected,
        i.runs
    );
    for r in &audited.rejects {
        println!("rejected: {}: {}", super::at_line(&r.file, r.line), r.reason);
    }
    if (audited.rejects.len() as u64) < i.rejected {
        println!("... and {} more rejects", i.rejected - audited.rejects.len() as u64);
    }
    print!("{}", tvp::report::audit::findings_text(&audited.findings, Some(args.limit)));
    if let Some(path) = &args.json {
        println!("findings: {}", path.display());
    }
    let verdict = match (audited.failed, i.rejected > 0) {
        (true, _) => format!("fail: findings match --fail-on {}", fail_on_name(args.fail_on)),
        (false, true) => "fail: some input could not be read (see the rejects above)".to_string(),
        (false, false) => format!("pass: no finding matches --fail-on {}", fail_on_name(args.fail_on)),
    };
    println!("{verdict}");
    Ok(if audited.failed || i.rejected > 0 { 1 } else { 0 })
}

fn fail_on_name(f: FailOn) -> &'static str {
    match f {
        FailOn::Exposure => "exposure",
        FailOn::OverAuthorization => "over-authorization",
        FailOn::Any => "any",
        FailOn::Never => "never",
    }
}

/// Write to a temporary name beside `path`, then rename, so a reader never sees half a file.
fn write_atomically(path: &std::path::Path, text: &str) -> tvp::Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|source| tvp::Error::Write { path: tmp.clone(), source })?;
    std::fs::rename(&tmp, path).map_err(|source| tvp::Error::Write { path: path.to_path_buf(), source })
}
