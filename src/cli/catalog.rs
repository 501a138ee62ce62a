//! `tvp catalog check|show`: validate a scenario catalog and print its scenarios (secret values masked).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use tvp::catalog::{Catalog, Scenario};
use tvp::mask::Reveal;

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Validate a catalog file or folder and summarize it (default: the built-in catalog)
    ///
    /// Every problem is reported with its file, scenario and field; the exit code is 1 if there is any.
    Check {
        /// A catalog `.toml` file or a folder of them
        path: Option<PathBuf>,
    },
    /// List the scenarios, or print one in full
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Scenario id to print in full, e.g. `S1-4` (default: list all scenarios)
    id: Option<String>,
    /// A catalog `.toml` file or a folder of them (default: the built-in catalog)
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Show secret values instead of masking them
    #[arg(long)]
    reveal: bool,
}

pub fn run(command: CatalogCommand) -> tvp::Result<i32> {
    match command {
        CatalogCommand::Check { path } => check(path),
        CatalogCommand::Show(args) => show(args),
    }
}

fn load(path: Option<&PathBuf>) -> tvp::Result<Catalog> {
    tvp::pipeline::catalog(path.map(PathBuf::as_path))
}

fn check(path: Option<PathBuf>) -> tvp::Result<i32> {
    let catalog = load(path.as_ref())?;
    let per_scene = catalog.scenarios_per_scene();
    println!("ok: {} has {} scenarios in {} macro scenes", catalog.origin, catalog.scenarios.len(), per_scene.len());
    for scene in &catalog.scenes {
        let ids: Vec<&str> = catalog.scenarios.iter().filter(|s| s.scene == scene.id).map(|s| s.id.as_str()).collect();
        println!("  {:<4} {:<28} {:>2} scenarios: {}", scene.id, scene.title, ids.len(), ids.join(" "));
    }
    let items: usize = catalog.scenarios.iter().map(|s| s.items.len()).sum();
    let mni: usize = catalog.scenarios.iter().map(|s| s.mni.len()).sum();
    let strict = catalog.scenarios.iter().filter(|s| s.mni.is_empty()).count();
    let decoys: usize = catalog.scenarios.iter().map(|s| s.decoys.len()).sum();
    let actions: usize = catalog.scenarios.iter().map(|s| s.actions.len()).sum();
    let allowed: usize = catalog.scenarios.iter().flat_map(|s| &s.actions).filter(|a| a.allowed).count();
    println!(
        "  {items} sensitive items ({mni} in an MNI; {strict} scenarios strict), {decoys} decoys, \
         {actions} actions ({allowed} allowed)"
    );
    Ok(0)
}

fn show(args: ShowArgs) -> tvp::Result<i32> {
    let catalog = load(args.catalog.as_ref())?;
    let reveal = Reveal::from_flag(args.reveal);
    match args.id {
        None => {
            println!("{:<6} {:<5} {:>5} {:>3} {:>6} {:>7}  title", "id", "scene", "items", "mni", "decoys", "actions");
            for s in &catalog.scenarios {
                println!(
                    "{:<6} {:<5} {:>5} {:>3} {:>6} {:>7}  {}",
                    s.id,
                    s.scene,
                    s.items.len(),
                    s.mni.len(),
                    s.decoys.len(),
                    s.actions.len(),
                    s.title
                );
            }
        }
        Some(id) => {
            let scenario = catalog
                .scenario(&id)
                .ok_or_else(|| tvp::Error::UnknownScenario { id: id.clone(), origin: catalog.origin.clone() })?;
            print_scenario(scenario, reveal);
        }
    }
    Ok(0)
}

fn print_scenario(s: &Scenario, reveal: Reveal) {
    println!("{}  {}  (scene {})", s.id, s.title, s.scene);
    println!("summary:    {}", s.summary);
    println!("goal:       {}", s.goal);
    println!("custodians: {}", s.roles.custodians.join(", "));
    println!("seekers:    {}", s.roles.seekers.join(", "));
    if !s.roles.guardians.is_empty() {
        println!("guardians:  {}", s.roles.guardians.join(", "));
    }
    if !s.tactics.is_empty() {
        let tactics: Vec<String> = s.tactics.iter().map(|t| format!("{t:?}").to_lowercase()).collect();
        println!("tactics:    {}", tactics.join(", "));
    }
    println!("turn limit: {}", s.turn_limit);
    println!("MNI:        {}", if s.mni.is_empty() { "(empty: strict setting)".to_string() } else { s.mni.join(", ") });
    println!("items:");
    for item in &s.items {
        let values: Vec<String> =
            item.values.iter().chain(&item.forms).map(|v| format!("\"{}\"", reveal.apply(v))).collect();
        let mni = if s.in_mni(&item.id) { "in MNI" } else { "outside MNI" };
        println!("  {:<24} {:<10} {:<11} {}", item.id, item.kind.as_str(), mni, values.join(", "));
        if !item.patterns.is_empty() {
            let patterns: Vec<String> = item.patterns.iter().map(|p| reveal.apply(p)).collect();
            println!("  {:<24} patterns: {}", "", patterns.join("  "));
        }
        if !item.description.is_empty() {
            println!("  {:<24} {}", "", item.description);
        }
    }
    if !s.decoys.is_empty() {
        println!("decoys (never count as exposure):");
        for d in &s.decoys {
            println!("  \"{}\"  {}", d.value, d.reason);
        }
    }
    if !s.actions.is_empty() {
        println!("actions:");
        for a in &s.actions {
            println!("  {:<24} {:<11} {}", a.id, if a.allowed { "allowed" } else { "NOT allowed" }, a.description);
        }
    }
    let require = s.success.require.as_str();
    println!(
        "success ({require} of): actions [{}] items [{}]",
        s.success.actions.join(", "),
        s.success.items.join(", ")
    );
    if !s.success.description.is_empty() {
        println!("  {}", s.success.description);
    }
}
