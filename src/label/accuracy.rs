//! Accuracy of the labels against a ground-truth file (the simulator's `truth.jsonl`, or any JSONL of the same
//! shape): chain-level precision and recall of over-exposure, over-authorization and task success, item-level
//! recall per match form, and where every label without a truth counterpart landed (a decoy, a near miss, a secret
//! in private reasoning, a seeker repeating a value, or elsewhere; in a simulated deployment also a flow the policy
//! allows or the customer repeating a value of their own).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int32Type;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sql::{named, query};
use crate::store::Store;

#[derive(Deserialize)]
struct TruthChain {
    run_id: String,
    #[serde(default)]
    format: Option<String>,
    /// The chain's own file, for formats whose ingested run id differs from the chain's.
    #[serde(default)]
    path: Option<String>,
    over_exposed: bool,
    #[serde(default)]
    over_exposed_final: Option<bool>,
    over_authorized: bool,
    task_success: bool,
    #[serde(default)]
    exposures: Vec<TruthExposure>,
    #[serde(default)]
    traps: Vec<TruthTrap>,
    /// A simulated deployment's run: its exposures and traps name policy kinds (`item_kind`), since the ids of
    /// learned items depend on the turn they were read in.
    #[serde(default)]
    deployment: bool,
}

#[derive(Deserialize)]
struct TruthExposure {
    item_id: String,
    turn: i32,
    form: String,
    #[serde(default)]
    in_mni: bool,
}

#[derive(Deserialize)]
struct TruthTrap {
    kind: String,
    /// The item (or decoy value) the trap shows.
    value_of: String,
}

/// Precision and recall of one chain-level binary label.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Binary {
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
    pub true_negatives: u64,
}

impl Binary {
    fn add(&mut self, truth: bool, labeled: bool) {
        match (truth, labeled) {
            (true, true) => self.true_positives += 1,
            (false, true) => self.false_positives += 1,
            (true, false) => self.false_negatives += 1,
            (false, false) => self.true_negatives += 1,
        }
    }

    /// 1 when nothing was labeled positive (no false positive possible).
    pub fn precision(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_positives)
    }

    /// 1 when there was nothing to find.
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_negatives)
    }
}

fn ratio(n: u64, of: u64) -> f64 {
    if of == 0 { 1.0 } else { n as f64 / of as f64 }
}

/// Item-level recall for one match form: a disclosed item is found when the run has an exposure label of that
/// item; `same_turn` and `same_kind` say how many of those also agree on the turn and the match kind (formats
/// that merge or drop records renumber turns).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FormRecall {
    pub disclosed: u64,
    pub found: u64,
    pub same_turn: u64,
    pub same_kind: u64,
}

impl FormRecall {
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.disclosed)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Accuracy {
    /// Chains in both the truth file and the store's outcomes.
    pub chains: u64,
    /// Truth chains with no outcome in the store (not ingested or not labeled).
    pub missing: u64,
    /// The label scope the store's outcomes were made with.
    pub scope: String,
    pub over_exposure: Binary,
    pub over_authorization: Binary,
    pub task_success: Binary,
    /// Over exposures outside the MNI, by truth form (exact, normalized, spelled, pattern).
    pub items: BTreeMap<String, FormRecall>,
    /// Exposure labels of an item the truth says the run did not disclose, by the trap that shows that item in
    /// the run (`decoy`, `near_miss`, `thought`, `seeker_repeat`) or `other`.
    pub false_exposures: BTreeMap<String, u64>,
    /// Chain-level over-exposure per source format (from the truth file's `format`).
    pub by_format: BTreeMap<String, Binary>,
}

fn read_truth(path: &Path) -> Result<Vec<TruthChain>> {
    let file = std::fs::File::open(path).map_err(|source| Error::Read { path: path.into(), source })?;
    let mut chains = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| Error::Read { path: path.into(), source })?;
        if line.trim().is_empty() {
            continue;
        }
        let chain = serde_json::from_str(&line).map_err(|e| Error::Input {
            path: path.display().to_string(),
            line: Some(n as u64 + 1),
            reason: format!("not a truth record: {e}"),
        })?;
        chains.push(chain);
    }
    Ok(chains)
}

/// Compare the labels in `store` (after `tvp label`) with the truth file. Ingested runs are matched to truth
/// chains by run id, else by the chain's own file (`path`), as the simulator's manifest does.
pub async fn evaluate(store: &Store, truth: &Path) -> Result<Accuracy> {
    let chains = read_truth(truth)?;
    let by_id: HashMap<&str, usize> = chains.iter().enumerate().map(|(i, c)| (c.run_id.as_str(), i)).collect();
    let mut by_file_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, c) in chains.iter().enumerate() {
        if let Some(path) = c.path.as_deref().filter(|p| !p.is_empty()) {
            let name = Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            by_file_name.entry(name).or_default().push(i);
        }
    }
    let chain_of = |run_id: &str, source: &str| -> Option<usize> {
        by_id.get(run_id).copied().or_else(|| {
            let file = Path::new(source);
            let name = file.file_name()?.to_string_lossy().into_owned();
            by_file_name.get(&name)?.iter().copied().find(|&i| file.ends_with(chains[i].path.as_deref().unwrap_or("")))
        })
    };
    let ctx = crate::sql::session(store).await?;

    // Outcome and labeled items per truth chain.
    let mut outcomes: HashMap<usize, (bool, bool, Option<bool>)> = HashMap::new();
    let mut run_to_chain: HashMap<String, usize> = HashMap::new();
    let mut scope = String::new();
    let sql = "SELECT o.run_id, r.source_file, o.over_exposed, o.over_authorized, o.task_success, o.label_scope \
               FROM outcomes o JOIN runs r ON r.run_id = o.run_id";
    for batch in query(&ctx, sql).await? {
        let (run, source) =
            (named(&batch, "run_id")?.as_string::<i32>(), named(&batch, "source_file")?.as_string::<i32>());
        let (exposed, authorized, success) = (
            named(&batch, "over_exposed")?.as_boolean(),
            named(&batch, "over_authorized")?.as_boolean(),
            named(&batch, "task_success")?.as_boolean(),
        );
        let label_scope = named(&batch, "label_scope")?.as_string::<i32>();
        for i in 0..batch.num_rows() {
            let Some(chain) = chain_of(run.value(i), source.value(i)) else { continue };
            let success = (!success.is_null(i)).then(|| success.value(i));
            outcomes.insert(chain, (exposed.value(i), authorized.value(i), success));
            run_to_chain.insert(run.value(i).to_string(), chain);
            scope = label_scope.value(i).to_string();
        }
    }
    // Each labeled exposure as (turn, item, match kind), the item named as its truth chain names it.
    let mut labeled: HashMap<usize, Vec<(i32, String, String)>> = HashMap::new();
    let sql = "SELECT run_id, turn, item_id, item_kind, match_kind FROM exposures";
    for batch in query(&ctx, sql).await? {
        let (run, turn, item, item_kind, kind) = (
            named(&batch, "run_id")?.as_string::<i32>(),
            named(&batch, "turn")?.as_primitive::<Int32Type>(),
            named(&batch, "item_id")?.as_string::<i32>(),
            named(&batch, "item_kind")?.as_string::<i32>(),
            named(&batch, "match_kind")?.as_string::<i32>(),
        );
        for i in 0..batch.num_rows() {
            if let Some(&chain) = run_to_chain.get(run.value(i)) {
                let name = if chains[chain].deployment { item_kind.value(i) } else { item.value(i) };
                labeled.entry(chain).or_default().push((turn.value(i), name.to_string(), kind.value(i).to_string()));
            }
        }
    }

    let mut accuracy = Accuracy { scope: scope.clone(), ..Accuracy::default() };
    for (index, chain) in chains.iter().enumerate() {
        let Some(&(exposed, authorized, success)) = outcomes.get(&index) else {
            accuracy.missing += 1;
            continue;
        };
        accuracy.chains += 1;
        let truth_exposed =
            if scope == "final" { chain.over_exposed_final.unwrap_or(false) } else { chain.over_exposed };
        accuracy.over_exposure.add(truth_exposed, exposed);
        accuracy.over_authorization.add(chain.over_authorized, authorized);
        accuracy.task_success.add(chain.task_success, success.unwrap_or(false));
        let format = chain.format.clone().unwrap_or_else(|| "unknown".into());
        accuracy.by_format.entry(format).or_default().add(truth_exposed, exposed);

        let found = labeled.get(&index).map_or(&[][..], Vec::as_slice);
        let disclosed: HashSet<&str> =
            chain.exposures.iter().filter(|e| !e.in_mni).map(|e| e.item_id.as_str()).collect();
        for e in chain.exposures.iter().filter(|e| !e.in_mni) {
            let recall = accuracy.items.entry(e.form.clone()).or_default();
            recall.disclosed += 1;
            let hits: Vec<&(i32, String, String)> = found.iter().filter(|(_, item, _)| *item == e.item_id).collect();
            if !hits.is_empty() {
                recall.found += 1;
                recall.same_turn += hits.iter().any(|(turn, _, _)| *turn == e.turn) as u64;
                recall.same_kind += hits.iter().any(|(_, _, kind)| *kind == e.form) as u64;
            }
        }
        for (_, item, _) in found {
            if !disclosed.contains(item.as_str()) {
                let trap = chain.traps.iter().find(|t| t.value_of == *item).map_or("other", |t| t.kind.as_str());
                *accuracy.false_exposures.entry(trap.to_string()).or_default() += 1;
            }
        }
    }
    Ok(accuracy)
}
