//! Ground truths by key, for the SQL functions: the items of every truth key (`run:<run_id>` for a run that
//! carries its own, `scenario:<id>` for a catalog scenario), each key's matcher compiled on first use.
//!
//! In: item rows (the store's `items` and the catalog's, `items` schema), fetched only when a `tvp_*` function
//! first needs them. Out: a cached [`Matcher`] per key and the list of secret values for masking. Nothing is
//! compiled at session start: `tvp sql` without a `tvp_*` call builds nothing, and labeling compiles a run's
//! matcher when its first message arrives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use arrow::array::{Array, AsArray, RecordBatch};

use super::matcher::{ItemPatterns, Matcher, Views};
use crate::mask::Masker;
use crate::schema::col;

/// Where a set of item rows comes from, called at most once, when first needed.
pub type ItemSource = Box<dyn Fn() -> Result<Vec<RecordBatch>, String> + Send + Sync>;

/// The truth key of an item row, as `10_ground_items.sql` computes it.
pub fn truth_key(scope: &str, scenario_id: Option<&str>, run_id: Option<&str>) -> Option<String> {
    match (scope, run_id, scenario_id) {
        ("run", Some(run), _) => Some(format!("run:{run}")),
        ("scenario", _, Some(scenario)) => Some(format!("scenario:{scenario}")),
        _ => None,
    }
}

/// Items grouped by truth key (decoys left out: they are never matched), plus every secret form for masking.
#[derive(Default)]
struct Grouped {
    by_key: HashMap<String, Vec<ItemPatterns>>,
    secrets: Vec<String>,
}

pub struct Truths {
    source: ItemSource,
    views: Views,
    grouped: OnceLock<Result<Grouped, String>>,
    matchers: Mutex<HashMap<String, Arc<Matcher>>>,
    masker: OnceLock<Result<Arc<Masker>, String>>,
}

impl std::fmt::Debug for Truths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let compiled = self.matchers.lock().map(|m| m.len()).unwrap_or(0);
        write!(f, "Truths({compiled} compiled)")
    }
}

impl Truths {
    pub fn new(source: ItemSource) -> Truths {
        Truths::with_views(source, Views::All)
    }

    /// Truths whose matchers run the given views.
    pub fn with_views(source: ItemSource, views: Views) -> Truths {
        Truths {
            source,
            views,
            grouped: OnceLock::new(),
            matchers: Mutex::new(HashMap::new()),
            masker: OnceLock::new(),
        }
    }

    fn grouped(&self) -> Result<&Grouped, String> {
        self.grouped.get_or_init(|| group(&(self.source)()?)).as_ref().map_err(Clone::clone)
    }

    /// The matcher of one truth key, compiled on first use; `None` when the key has no items.
    pub fn matcher(&self, key: &str) -> Result<Option<Arc<Matcher>>, String> {
        if let Some(found) = self.matchers.lock().map_err(|e| e.to_string())?.get(key) {
            return Ok(Some(found.clone()));
        }
        let Some(items) = self.grouped()?.by_key.get(key) else { return Ok(None) };
        // A run's own truth serves that run's messages only: it gets the automaton that is cheap to build.
        let reuse = if key.starts_with("run:") { super::matcher::Reuse::Once } else { super::matcher::Reuse::Many };
        let matcher = Arc::new(
            Matcher::build(items, reuse, self.views).map_err(|message| format!("ground truth of {key}: {message}"))?,
        );
        self.matchers.lock().map_err(|e| e.to_string())?.insert(key.to_string(), matcher.clone());
        Ok(Some(matcher))
    }

    /// Whether a truth key has any items (without compiling anything).
    pub fn has(&self, key: &str) -> Result<bool, String> {
        Ok(self.grouped()?.by_key.contains_key(key))
    }

    /// A masker over every secret value of these truths, built on first use.
    pub fn masker(&self) -> Result<Arc<Masker>, String> {
        self.masker
            .get_or_init(|| Ok(Arc::new(Masker::new(self.grouped()?.secrets.iter().map(String::as_str)))))
            .clone()
    }
}

/// Group item rows (the `items` schema, read by column name) by truth key.
fn group(batches: &[RecordBatch]) -> Result<Grouped, String> {
    let mut grouped = Grouped::default();
    for batch in batches {
        let column = |name: &str| batch.column_by_name(name).ok_or_else(|| format!("item rows lack `{name}`"));
        let text = |name: &str| -> Result<arrow::array::StringArray, String> {
            let c =
                arrow::compute::cast(column(name)?, &arrow::datatypes::DataType::Utf8).map_err(|e| e.to_string())?;
            Ok(c.as_string::<i32>().clone())
        };
        let list = |name: &str| -> Result<arrow::array::ListArray, String> {
            column(name)?.as_list_opt::<i32>().cloned().ok_or_else(|| format!("`{name}` is not a list"))
        };
        let (scope, scenario, run, item) =
            (text(col::SCOPE)?, text(col::SCENARIO_ID)?, text(col::RUN_ID)?, text(col::ITEM_ID)?);
        let (forms, patterns, kinds) = (list(col::MATCH_FORMS)?, list(col::PATTERNS)?, list(col::MATCH_KINDS)?);
        let decoy = column(col::IS_DECOY)?.as_boolean_opt().cloned().ok_or("`is_decoy` is not boolean")?;
        // Stores written before the column existed have none: no item opts in there.
        let partial = match batch.column_by_name(col::PARTIAL) {
            Some(c) => Some(arrow::compute::cast(c, &arrow::datatypes::DataType::Int32).map_err(|e| e.to_string())?),
            None => None,
        };
        let partial = partial.as_ref().map(|c| c.as_primitive::<arrow::datatypes::Int32Type>());
        for row in 0..batch.num_rows() {
            if decoy.value(row) {
                continue;
            }
            fn get(a: &arrow::array::StringArray, row: usize) -> Option<&str> {
                a.is_valid(row).then(|| a.value(row))
            }
            let Some(key) = truth_key(scope.value(row), get(&scenario, row), get(&run, row)) else { continue };
            let strings = |l: &arrow::array::ListArray| -> Vec<String> {
                if l.is_null(row) {
                    return Vec::new();
                }
                l.value(row).as_string::<i32>().iter().flatten().map(str::to_string).collect()
            };
            let entry = ItemPatterns {
                item_id: item.value(row).to_string(),
                forms: strings(&forms),
                patterns: strings(&patterns),
                kinds: strings(&kinds),
                partial: partial.filter(|p| p.is_valid(row)).map(|p| p.value(row).max(0) as usize),
            };
            grouped.secrets.extend(entry.forms.iter().cloned());
            grouped.by_key.entry(key).or_default().push(entry);
        }
    }
    Ok(grouped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn items_are_read_once_and_matchers_compiled_on_first_use() {
        let catalog = crate::catalog::Catalog::embedded().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let batch = catalog.items_batch();
        let truths = Truths::new(Box::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(vec![batch.clone()])
        }));
        assert_eq!(calls.load(Ordering::SeqCst), 0, "nothing is read before a function needs it");
        let matcher = truths.matcher("scenario:S1-3").unwrap().expect("S1-3 has items");
        assert!(!matcher.find("the code is 0107").is_empty());
        assert!(truths.matcher("scenario:nope").unwrap().is_none());
        assert!(truths.matcher("run:x").unwrap().is_none());
        let again = truths.matcher("scenario:S1-3").unwrap().unwrap();
        assert!(Arc::ptr_eq(&matcher, &again), "the compiled matcher is cached");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(truths.masker().unwrap().mask_text("code 0107"), "code 01**");
    }
}
