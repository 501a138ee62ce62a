//! The simulator: trust-parameterized closed-loop chains between a seeker, a custodian and (with the `guardian`
//! defense) a guardian, written in each framework's native format beside a manifest and a ground-truth file.
//!
//! The grid is repetition × system × scenario × τ, in that order; chain `i` of the grid gets the run id
//! `sim<seed>-<i>` and a seed derived from (corpus seed, scenario, τ, repetition), so the same cell of two systems
//! is a pair. Chains are generated and encoded in parallel batches and written in grid order, so the output is
//! byte-identical for the same arguments whatever the thread count. Everything written is marked synthetic.
//!
//! A simulated deployment ([`deployment`], `--deployment`) goes through the same writing: runs `dep<seed>-<i>`
//! without τ or scenario, each seeded from (corpus seed, i), and the secrets policy they are judged by.

pub mod chain;
pub mod deployment;
pub mod dialogue;
pub mod formats;
pub mod profile;
pub mod rng;
pub mod text;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use self::chain::Chain;
use self::dialogue::{ChainTruth, Setup};
use self::profile::{Profiles, System};
use self::rng::Rng;
use self::text::Paraphrases;
use crate::catalog::{Catalog, Scenario};
use crate::error::{Error, Result};
use crate::format::Format;

/// Which on-disk format each chain is written in.
#[derive(Debug, Clone, PartialEq)]
pub enum FormatChoice {
    /// Each system's own framework format (AgentScope → agentscope, ...).
    Native,
    /// Every format tvp reads, chain after chain.
    Mixed,
    /// These formats, chain after chain.
    These(Vec<Format>),
}

impl FormatChoice {
    /// `native`, `mixed`, or a comma-separated list of format names (checked against the writers).
    pub fn parse(spec: &str) -> Result<FormatChoice> {
        match spec.trim() {
            "native" => Ok(FormatChoice::Native),
            "mixed" => Ok(FormatChoice::Mixed),
            list => {
                let names: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
                if names.is_empty() {
                    return Err(Error::Usage("--format needs `native`, `mixed` or format names".into()));
                }
                let formats = names.iter().map(|name| {
                    Format::from_name(name).ok_or_else(|| {
                        Error::Usage(format!(
                            "--format: unknown format `{name}`; the simulator writes: native, mixed, {}",
                            formats::names().join(", ")
                        ))
                    })
                });
                Ok(FormatChoice::These(formats.collect::<Result<_>>()?))
            }
        }
    }

    fn pick(&self, framework: &str, index: u64) -> Format {
        match self {
            FormatChoice::Native => formats::native(framework),
            FormatChoice::Mixed => Format::ALL[(index % Format::ALL.len() as u64) as usize],
            FormatChoice::These(formats) => formats[(index % formats.len() as u64) as usize],
        }
    }
}

/// Everything `tvp simulate` needs.
pub struct Options {
    pub catalog: Catalog,
    pub profiles: Profiles,
    /// Systems to simulate (all of the profiles when empty), by name.
    pub systems: Vec<String>,
    /// Scenarios to simulate (all of the catalog when empty), by id.
    pub scenarios: Vec<String>,
    pub trust: Vec<f64>,
    /// Repetitions per (system, scenario, τ) cell.
    pub chains: u32,
    pub format: FormatChoice,
    pub out: PathBuf,
    pub seed: u64,
    /// Keep adding repetitions until the transcripts reach this many bytes (then `chains` is a minimum).
    pub size: Option<u64>,
    /// Also disclose values obscured: base64 (nested too), hex, percent-encoded, `\u`-escaped, full-width, ROT13,
    /// reversed (the truth's form names the transform chain, as the labeler's match kind does).
    pub obscured: bool,
    /// Simulate a deployment instead of the catalog's chains: `chains` runs with no trust level and no scenario in
    /// which an assistant reads a customer record through a tool and passes values on (see [`deployment`]), and
    /// the policy to label them with, written as `policy.toml`.
    pub deployment: bool,
}

/// What a simulation wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub chains: u64,
    pub bytes: u64,
    pub files: usize,
    pub formats: Vec<String>,
    pub manifest: PathBuf,
    pub truth: PathBuf,
    /// The secrets policy of a simulated deployment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PathBuf>,
    pub over_exposed: u64,
}

/// Progress callbacks (the CLI draws a bar; tests pass `()`).
pub trait Progress: Sync {
    fn advance(&self, _chains: u64, _bytes: u64) {}
}
impl Progress for () {}

/// One line of `truth.jsonl`.
#[derive(Serialize)]
struct TruthLine<'a> {
    run_id: &'a str,
    system: &'a str,
    /// None for a simulated deployment (so is `trust`).
    scenario_id: Option<&'a str>,
    trust: Option<f64>,
    backend: &'a str,
    framework: &'a str,
    defense: &'a str,
    seed: u64,
    repetition: u32,
    format: &'a str,
    /// The chain's own file, for formats that cannot record its run id (empty when it shares a file).
    path: &'a str,
    synthetic: bool,
    /// A deployment run: its exposures and traps name policy kinds, not catalog items.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    deployment: bool,
    #[serde(flatten)]
    truth: &'a ChainTruth,
}

/// One generated chain, its truth, the system it stands for and the format it is written in.
struct Generated {
    chain: Chain,
    truth: ChainTruth,
    system: String,
    format: Format,
}

/// Chains generated and encoded per parallel batch.
const BATCH: usize = 2048;

pub fn simulate(options: &Options, progress: &dyn Progress) -> Result<Summary> {
    if options.chains == 0 && options.size.is_none() {
        return Err(Error::Usage("--chains must be at least 1 (or give --size)".into()));
    }
    if options.deployment {
        let summary = write_corpus(options, options.chains as u64, progress, &|index| {
            let seed = Rng::derive(options.seed, &[index]).next_u64() >> 11;
            let (chain, truth) = deployment::play(format!("dep{}-{index:07}", options.seed), index, seed);
            let format = options.format.pick(deployment::NAME, index);
            Generated { chain, truth, system: deployment::NAME.into(), format }
        })?;
        let policy = options.out.join("policy.toml");
        fs::write(&policy, deployment::POLICY).map_err(|source| Error::Write { path: policy.clone(), source })?;
        return Ok(Summary { policy: Some(policy), ..summary });
    }
    let systems: Vec<System> = if options.systems.is_empty() {
        options.profiles.systems.clone()
    } else {
        options.profiles.select(&options.systems)?
    };
    let scenarios: Vec<&Scenario> = if options.scenarios.is_empty() {
        options.catalog.scenarios.iter().collect()
    } else {
        options
            .scenarios
            .iter()
            .map(|id| {
                options
                    .catalog
                    .scenario(id)
                    .ok_or_else(|| Error::UnknownScenario { id: id.clone(), origin: options.catalog.origin.clone() })
            })
            .collect::<Result<_>>()?
    };
    if options.trust.is_empty() || options.trust.iter().any(|t| !(0.0..=1.0).contains(t)) {
        return Err(Error::Usage("--trust needs one or more levels between 0 and 1, e.g. 0.1,0.5,0.9".into()));
    }
    let paraphrases = Paraphrases::embedded();
    let cells: Vec<(&System, &Scenario, f64)> = systems
        .iter()
        .flat_map(|system| scenarios.iter().flat_map(move |s| options.trust.iter().map(move |&t| (system, *s, t))))
        .collect();
    let cell_count = cells.len() as u64;
    write_corpus(options, options.chains as u64 * cell_count, progress, &|index| {
        let (system, scenario, tau) = cells[(index % cell_count) as usize];
        let repetition = (index / cell_count) as u32;
        let seed = chain_seed(options.seed, &scenario.id, tau, repetition);
        let setup = Setup {
            scenario,
            system,
            tau,
            offset: options.profiles.offset(&scenario.id),
            seed,
            repetition,
            index,
            run_id: format!("sim{}-{index:07}", options.seed),
            paraphrases: &paraphrases,
            obscured: options.obscured,
        };
        let (chain, truth) = dialogue::play(&setup);
        let format = options.format.pick(&system.framework, index);
        Generated { chain, truth, system: system.name(), format }
    })
}

/// Generate chains `0, 1, ...` with `generate` (at least `min_chains`, more until `options.size` is reached),
/// encode them in parallel batches and write them in order, with the manifest and the truth file.
fn write_corpus(
    options: &Options,
    min_chains: u64,
    progress: &dyn Progress,
    generate: &(dyn Fn(u64) -> Generated + Sync),
) -> Result<Summary> {
    fs::create_dir_all(&options.out).map_err(|source| Error::Write { path: options.out.clone(), source })?;
    let manifest_path = options.out.join(crate::ingest::own::MANIFEST_FILE);
    let truth_path = options.out.join(crate::ingest::own::TRUTH_FILE);
    let mut manifest = create(&manifest_path)?;
    let mut truth_file = create(&truth_path)?;
    writeln!(manifest, "{}", crate::ingest::own::MANIFEST_HEADER)
        .map_err(|source| Error::Write { path: manifest_path.clone(), source })?;
    let mut sink = formats::Sink::new(&options.out)?;

    let mut summary = Summary {
        chains: 0,
        bytes: 0,
        files: 0,
        formats: Vec::new(),
        manifest: manifest_path.clone(),
        truth: truth_path.clone(),
        policy: None,
        over_exposed: 0,
    };
    let mut next: u64 = 0;
    loop {
        let reached_size = options.size.is_none_or(|size| summary.bytes >= size);
        if next >= min_chains && reached_size {
            break;
        }
        let batch_end = if next < min_chains { min_chains.min(next + BATCH as u64) } else { next + BATCH as u64 };
        let generated: Vec<_> = (next..batch_end)
            .into_par_iter()
            .map(|index| {
                let g = generate(index);
                formats::encode(g.format, &g.chain).map(|encoded| (g, encoded))
            })
            .collect::<Result<_>>()?;
        for (Generated { chain, truth, system, format }, encoded) in generated {
            // Some formats have no place for a run id (ingest derives one from the file): the chain's own file
            // identifies it there.
            let path = encoded
                .parts
                .iter()
                .find_map(|p| match p {
                    formats::Part::File { path, .. } => Some(path.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            summary.bytes += sink.put(encoded)?;
            let m = &chain.meta;
            // A deployment has no trust level and no scenario: the manifest leaves them empty.
            writeln!(
                manifest,
                "{},{},{},{},{},{},{},{},{},true",
                chain.run_id,
                path,
                m.trust.map(|t| t.to_string()).unwrap_or_default(),
                m.backend,
                m.framework,
                m.defense,
                m.scenario_id.as_deref().unwrap_or_default(),
                m.seed,
                m.repetition
            )
            .map_err(|source| Error::Write { path: manifest_path.clone(), source })?;
            let line = TruthLine {
                run_id: &chain.run_id,
                system: &system,
                scenario_id: m.scenario_id.as_deref(),
                trust: m.trust,
                backend: &m.backend,
                framework: &m.framework,
                defense: &m.defense,
                seed: m.seed,
                repetition: m.repetition,
                format: format.name(),
                path: &path,
                synthetic: true,
                deployment: options.deployment,
                truth: &truth,
            };
            serde_json::to_writer(&mut truth_file, &line).map_err(|e| Error::Internal(e.to_string()))?;
            truth_file.write_all(b"\n").map_err(|source| Error::Write { path: truth_path.clone(), source })?;
            summary.chains += 1;
            summary.over_exposed += truth.over_exposed as u64;
            if !summary.formats.iter().any(|f| f == format.name()) {
                summary.formats.push(format.to_string());
            }
            if next >= min_chains && options.size.is_some_and(|size| summary.bytes >= size) {
                break;
            }
        }
        progress.advance(summary.chains, summary.bytes);
        next = batch_end;
        if options.size.is_some_and(|size| summary.bytes >= size) && next >= min_chains {
            break;
        }
    }
    for (file, path) in [(manifest, &manifest_path), (truth_file, &truth_path)] {
        file.into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .map_err(|source| Error::Write { path: path.clone(), source })?;
    }
    summary.files = sink.finish()?.len();
    summary.formats.sort();
    Ok(summary)
}

/// The seed of the chain in cell (scenario, τ) at `repetition`: the same for every system, so chains pair up.
/// 53 bits, so that it is exact wherever a log stores numbers as doubles (JSON readers often do).
pub fn chain_seed(corpus_seed: u64, scenario_id: &str, tau: f64, repetition: u32) -> u64 {
    let scenario = xxhash_rust::xxh3::xxh3_64(scenario_id.as_bytes());
    Rng::derive(corpus_seed, &[scenario, tau.to_bits(), repetition as u64]).next_u64() >> 11
}

fn create(path: &Path) -> Result<std::io::BufWriter<fs::File>> {
    fs::File::create(path).map(std::io::BufWriter::new).map_err(|source| Error::Write { path: path.into(), source })
}
