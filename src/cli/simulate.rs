//! `tvp simulate`: write a synthetic corpus of closed-loop chains in native framework formats, with the manifest
//! and ground-truth file beside it.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use tvp::simulate::profile::Profiles;
use tvp::simulate::{FormatChoice, Options, Progress, simulate};

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Output folder: transcripts under <format>/, plus manifest.csv and truth.jsonl
    #[arg(long)]
    pub out: PathBuf,
    /// Scenario catalog folder (default: the embedded catalog of the 19 sub-scenes)
    #[arg(long)]
    pub catalog: Option<PathBuf>,
    /// System profiles TOML (default: the embedded data/systems.toml, fitted to the paper's Table III)
    #[arg(long)]
    pub systems: Option<PathBuf>,
    /// Only these systems, by name (e.g. AgentScope-Qwen,AgentScope-DeepSeek+guardian); default: all
    #[arg(long, value_delimiter = ',')]
    pub system: Vec<String>,
    /// Only these scenarios, by id (e.g. S1-1,S2-6); default: all
    #[arg(long, value_delimiter = ',')]
    pub scenario: Vec<String>,
    /// Trust levels τ in [0, 1]
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.5,0.9")]
    pub trust: Vec<f64>,
    /// Chains per (system, scenario, τ); with --deployment, runs in all
    #[arg(long, default_value_t = 10)]
    pub chains: u32,
    /// `native` (each system's framework), `mixed` (every format in turn), or format names (see `tvp formats`)
    #[arg(long, default_value = "native")]
    pub format: String,
    /// Seed: the same seed and arguments give byte-identical output
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Keep generating until the transcripts reach this size (e.g. 1G, 200M, 5000000)
    #[arg(long, value_parser = parse_size)]
    pub size: Option<u64>,
    /// Also disclose values obscured (base64, nested base64, hex, percent-encoding, `\u` escapes, full-width
    /// digits and letters, ROT13, reversed), to measure the labeler's decoded views
    #[arg(long)]
    pub obscured: bool,
    /// Simulate a deployment instead of the catalog's chains: --chains customer-support runs (no trust level, no
    /// scenario) in which an assistant reads a customer record through a tool and passes some values on, to the
    /// customer or to other tools; writes the secrets policy to label them with as policy.toml, and truth.jsonl
    #[arg(long, conflicts_with_all = ["catalog", "systems", "system", "scenario", "obscured"])]
    pub deployment: bool,
    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len()));
    let factor: u64 = match unit.to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return Err(format!("unknown size unit `{unit}` (use K, M or G)")),
    };
    number.trim().parse::<f64>().map(|n| (n * factor as f64) as u64).map_err(|_| format!("not a size: `{text}`"))
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn advance(&self, chains: u64, bytes: u64) {
        self.0.set_position(bytes);
        self.0.set_message(format!("{chains} chains"));
    }
}

pub fn options(args: &SimulateArgs) -> tvp::Result<Options> {
    let catalog = tvp::pipeline::catalog(args.catalog.as_deref())?;
    let profiles = match &args.systems {
        Some(path) => Profiles::load(path)?,
        None => Profiles::embedded(),
    };
    Ok(Options {
        catalog,
        profiles,
        systems: args.system.clone(),
        scenarios: args.scenario.clone(),
        trust: args.trust.clone(),
        chains: args.chains,
        format: FormatChoice::parse(&args.format)?,
        out: args.out.clone(),
        seed: args.seed,
        size: args.size,
        obscured: args.obscured,
        deployment: args.deployment,
    })
}

pub fn run(args: SimulateArgs) -> tvp::Result<i32> {
    let options = options(&args)?;
    let started = Instant::now();
    let summary = if !args.json && std::io::stderr().is_terminal() {
        let bar = Bar(ProgressBar::new(args.size.unwrap_or(0)));
        bar.0.set_style(
            ProgressStyle::with_template("{spinner} simulating {msg} {bytes} ({bytes_per_sec}) {elapsed}")
                .expect("a valid template"),
        );
        let summary = simulate(&options, &bar);
        bar.0.finish_and_clear();
        summary?
    } else {
        simulate(&options, &())?
    };
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let mut value = serde_json::to_value(&summary).map_err(|e| tvp::Error::Internal(e.to_string()))?;
        value["seconds"] = serde_json::json!(seconds);
        println!("{value}");
    } else {
        println!(
            "simulated {} chains ({} over-exposed) in {} files, {:.1} MB in {:.1} s, formats: {}",
            summary.chains,
            summary.over_exposed,
            summary.files,
            summary.bytes as f64 / 1e6,
            seconds,
            summary.formats.join(", ")
        );
        println!("manifest: {}  truth: {}  (synthetic data)", summary.manifest.display(), summary.truth.display());
        println!("next: tvp ingest {} --manifest {} --store STORE", options.out.display(), summary.manifest.display());
        if let Some(policy) = &summary.policy {
            println!("then: tvp label --store STORE --policy {} --truth {}", policy.display(), summary.truth.display());
        }
    }
    Ok(0)
}
