//! The scenario catalog: the ground truth transcripts are labeled against.
//!
//! In: TOML files (one per macro scene, format in `data/scenarios/README.md`), from a path or built into the binary.
//! Out: a validated [`Catalog`], and its `items` and `actions` tables as Arrow batches of the canonical schema.
//! Validation collects every problem it finds, each naming the file, the scenario and the field, so a user fixes a
//! catalog in one pass instead of one error per run.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, ListBuilder, RecordBatch, StringArray, StringBuilder};
use serde::Deserialize;

use crate::schema;

/// The catalog shipped with tvp (`data/scenarios/`), compiled in so the tool works from any directory.
const EMBEDDED: [(&str, &str); 3] = [
    ("data/scenarios/s1-enterprise.toml", include_str!("../data/scenarios/s1-enterprise.toml")),
    ("data/scenarios/s2-deep-sea.toml", include_str!("../data/scenarios/s2-deep-sea.toml")),
    ("data/scenarios/s3-mars-oasis.toml", include_str!("../data/scenarios/s3-mars-oasis.toml")),
];

/// Default number of turns a chain may run before it is cut off.
pub const DEFAULT_TURN_LIMIT: u32 = 8;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    pub id: String,
    pub title: String,
    pub setting: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub goal: String,
    #[serde(default)]
    pub tactics: Vec<Tactic>,
    #[serde(default)]
    pub pretexts: Vec<String>,
    pub mni: Vec<String>,
    #[serde(default = "default_turn_limit")]
    pub turn_limit: u32,
    pub roles: Roles,
    pub items: Vec<Item>,
    #[serde(default)]
    pub decoys: Vec<Decoy>,
    #[serde(default)]
    pub actions: Vec<Action>,
    pub success: Success,
    /// The macro scene the scenario belongs to (the `[scene]` of its file).
    #[serde(skip)]
    pub scene: String,
}

fn default_turn_limit() -> u32 {
    DEFAULT_TURN_LIMIT
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    pub custodians: Vec<String>,
    pub seekers: Vec<String>,
    #[serde(default)]
    pub guardians: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub kind: ItemKind,
    pub values: Vec<String>,
    #[serde(default)]
    pub forms: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Opt-in partial disclosure: revealing at least this many characters of the value, in a row, as a whole
    /// token (e.g. 3 of the 4 digits of a code) is an exposure of match kind `partial`.
    #[serde(default)]
    pub partial: Option<u32>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Password,
    Code,
    Schedule,
    Location,
    Financial,
    Personnel,
    Document,
    Procedure,
    Permission,
    Fact,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Password => "password",
            ItemKind::Code => "code",
            ItemKind::Schedule => "schedule",
            ItemKind::Location => "location",
            ItemKind::Financial => "financial",
            ItemKind::Personnel => "personnel",
            ItemKind::Document => "document",
            ItemKind::Procedure => "procedure",
            ItemKind::Permission => "permission",
            ItemKind::Fact => "fact",
        }
    }
}

/// How a seeker pursues its goal; the simulator picks its moves from these.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Tactic {
    Ask,
    Insist,
    Impersonate,
    Emergency,
    FeignHelp,
    PlantFalseInfo,
    Game,
    Teach,
    Review,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Decoy {
    pub value: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub id: String,
    pub allowed: bool,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Success {
    #[serde(default)]
    pub require: Require,
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Require {
    #[default]
    Any,
    All,
}

impl Require {
    /// The value `success_conditions.require` holds.
    pub fn as_str(self) -> &'static str {
        match self {
            Require::Any => "any",
            Require::All => "all",
        }
    }
}

impl Scenario {
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn in_mni(&self, item_id: &str) -> bool {
        self.mni.iter().any(|m| m == item_id)
    }
}

/// One problem in a catalog, located as precisely as the problem allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    pub file: String,
    pub scenario: Option<String>,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(scenario) = &self.scenario {
            write!(f, ": scenario {scenario}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in a catalog (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogErrors(pub Vec<CatalogError>);

impl fmt::Display for CatalogErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(|e| e.to_string()).collect();
        write!(f, "{}", lines.join("\n"))
    }
}

impl std::error::Error for CatalogErrors {}

/// A validated catalog: scenes and their scenarios, in file order.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Where it was read from, for messages ("built-in" or a path).
    pub origin: String,
    pub scenes: Vec<Scene>,
    pub scenarios: Vec<Scenario>,
}

impl Catalog {
    /// The catalog compiled into the binary.
    pub fn embedded() -> Result<Catalog, CatalogErrors> {
        let sources = EMBEDDED.iter().map(|(name, text)| (name.to_string(), text.to_string())).collect();
        Catalog::from_sources("built-in catalog", sources)
    }

    /// Read a catalog file, or every `*.toml` file of a folder (sorted by name).
    pub fn load(path: &Path) -> Result<Catalog, CatalogErrors> {
        let files = catalog_files(path)?;
        let mut sources = Vec::new();
        let mut errors = Vec::new();
        for file in files {
            match std::fs::read_to_string(&file) {
                Ok(text) => sources.push((file.display().to_string(), text)),
                Err(e) => errors.push(file_error(&file.display().to_string(), format!("cannot read: {e}"))),
            }
        }
        if !errors.is_empty() {
            return Err(CatalogErrors(errors));
        }
        Catalog::from_sources(&path.display().to_string(), sources)
    }

    /// Parse and validate named TOML texts as one catalog.
    pub fn from_sources(origin: &str, sources: Vec<(String, String)>) -> Result<Catalog, CatalogErrors> {
        let mut errors = Vec::new();
        let mut scenes: Vec<(String, Scene)> = Vec::new();
        let mut scenarios: Vec<(String, Scenario)> = Vec::new();
        for (file, text) in &sources {
            if let Some((scene, in_file)) = parse_file(file, text, &mut errors) {
                scenes.push((file.clone(), scene));
                scenarios.extend(in_file.into_iter().map(|s| (file.clone(), s)));
            }
        }
        check_unique_ids(&scenes, &scenarios, &mut errors);
        if scenarios.is_empty() && errors.is_empty() {
            errors.push(file_error(origin, "the catalog holds no scenario".to_string()));
        }
        if !errors.is_empty() {
            return Err(CatalogErrors(errors));
        }
        Ok(Catalog {
            origin: origin.to_string(),
            scenes: scenes.into_iter().map(|(_, s)| s).collect(),
            scenarios: scenarios.into_iter().map(|(_, s)| s).collect(),
        })
    }

    pub fn scenario(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id.eq_ignore_ascii_case(id))
    }

    /// Scenario count per scene id, in scene order.
    pub fn scenarios_per_scene(&self) -> Vec<(String, usize)> {
        self.scenes
            .iter()
            .map(|scene| (scene.id.clone(), self.scenarios.iter().filter(|s| s.scene == scene.id).count()))
            .collect()
    }

    /// The `items` table: one row per sensitive item and one per decoy, scoped to the scenario.
    pub fn items_batch(&self) -> RecordBatch {
        let mut scenario_ids = Vec::new();
        let mut item_ids = Vec::new();
        let mut kinds = Vec::new();
        let mut values = Vec::new();
        let mut forms = ListBuilder::new(StringBuilder::new()).with_field(list_field());
        let mut patterns = ListBuilder::new(StringBuilder::new()).with_field(list_field());
        // Catalog items are matched in every form; the list stays empty ("all kinds").
        let mut match_kinds = ListBuilder::new(StringBuilder::new()).with_field(list_field());
        let mut in_mni = Vec::new();
        let mut is_decoy = Vec::new();
        let mut partial: Vec<Option<i32>> = Vec::new();
        for scenario in &self.scenarios {
            for item in &scenario.items {
                partial.push(item.partial.map(|p| p as i32));
                scenario_ids.push(scenario.id.clone());
                item_ids.push(item.id.clone());
                kinds.push(item.kind.as_str().to_string());
                values.push(item.values[0].clone());
                for form in item.values.iter().chain(&item.forms) {
                    forms.values().append_value(form);
                }
                forms.append(true);
                for pattern in &item.patterns {
                    patterns.values().append_value(pattern);
                }
                patterns.append(true);
                match_kinds.append(true);
                in_mni.push(scenario.in_mni(&item.id));
                is_decoy.push(false);
            }
            for (n, decoy) in scenario.decoys.iter().enumerate() {
                scenario_ids.push(scenario.id.clone());
                item_ids.push(format!("decoy_{}", n + 1));
                kinds.push("decoy".to_string());
                values.push(decoy.value.clone());
                forms.values().append_value(&decoy.value);
                forms.append(true);
                patterns.append(true);
                match_kinds.append(true);
                in_mni.push(false);
                is_decoy.push(true);
                partial.push(None);
            }
        }
        let rows = scenario_ids.len();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec!["scenario"; rows])),
            Arc::new(StringArray::from(scenario_ids)),
            Arc::new(StringArray::new_null(rows)),
            Arc::new(StringArray::from(item_ids)),
            Arc::new(StringArray::from(kinds)),
            Arc::new(StringArray::from(values)),
            Arc::new(forms.finish()),
            Arc::new(patterns.finish()),
            Arc::new(match_kinds.finish()),
            Arc::new(BooleanArray::from(in_mni)),
            Arc::new(BooleanArray::from(is_decoy)),
            Arc::new(arrow::array::Int32Array::from(partial)),
        ];
        RecordBatch::try_new(schema::items(), columns).expect("catalog items match the items schema")
    }

    /// The `actions` table: one row per action of each scenario.
    pub fn actions_batch(&self) -> RecordBatch {
        let rows: Vec<(&Scenario, &Action)> =
            self.scenarios.iter().flat_map(|s| s.actions.iter().map(move |a| (s, a))).collect();
        let n = rows.len();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec!["scenario"; n])),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|(s, _)| s.id.as_str()))),
            Arc::new(StringArray::new_null(n)),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|(_, a)| a.id.as_str()))),
            Arc::new(BooleanArray::from_iter(rows.iter().map(|(_, a)| Some(a.allowed)))),
            Arc::new(StringArray::from_iter(rows.iter().map(|(_, a)| Some(a.description.as_str())))),
        ];
        RecordBatch::try_new(schema::actions(), columns).expect("catalog actions match the actions schema")
    }
}

fn list_field() -> Arc<arrow::datatypes::Field> {
    match schema::utf8_list_type() {
        arrow::datatypes::DataType::List(field) => field,
        _ => unreachable!("utf8_list_type is a list"),
    }
}

fn file_error(file: &str, message: String) -> CatalogError {
    CatalogError { file: file.to_string(), scenario: None, field: None, message }
}

fn catalog_files(path: &Path) -> Result<Vec<PathBuf>, CatalogErrors> {
    let shown = path.display().to_string();
    let meta =
        std::fs::metadata(path).map_err(|e| CatalogErrors(vec![file_error(&shown, format!("cannot read: {e}"))]))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| CatalogErrors(vec![file_error(&shown, format!("cannot list folder: {e}"))]))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CatalogErrors(vec![file_error(&shown, "the folder holds no `.toml` catalog file".into())]));
    }
    Ok(files)
}

/// Parse one file into its scene and scenarios, pushing every problem found to `errors`.
fn parse_file(file: &str, text: &str, errors: &mut Vec<CatalogError>) -> Option<(Scene, Vec<Scenario>)> {
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            errors.push(file_error(file, format!("not valid TOML: {}", e.to_string().trim_end())));
            return None;
        }
    };
    for key in table.keys() {
        if key != "scene" && key != "scenario" {
            errors.push(CatalogError {
                file: file.into(),
                scenario: None,
                field: Some(key.clone()),
                message: "unknown key, expected `scene` or `scenario`".into(),
            });
        }
    }
    let scene = match table.get("scene") {
        None => {
            errors.push(CatalogError {
                file: file.into(),
                scenario: None,
                field: Some("scene".into()),
                message: "missing the `[scene]` table".into(),
            });
            None
        }
        Some(value) => match serde_path_to_error::deserialize::<_, Scene>(value.clone()) {
            Ok(scene) => Some(scene),
            Err(e) => {
                errors.push(CatalogError {
                    file: file.into(),
                    scenario: None,
                    field: Some(join_path("scene", &e.path().to_string())),
                    message: e.into_inner().to_string(),
                });
                None
            }
        },
    };
    let raw_scenarios = match table.get("scenario") {
        None => Vec::new(),
        Some(toml::Value::Array(list)) => list.clone(),
        Some(_) => {
            errors.push(CatalogError {
                file: file.into(),
                scenario: None,
                field: Some("scenario".into()),
                message: "must be an array of tables, written `[[scenario]]`".into(),
            });
            Vec::new()
        }
    };
    let mut scenarios = Vec::new();
    for (index, raw) in raw_scenarios.into_iter().enumerate() {
        let label = raw
            .get("id")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{} (no id)", index + 1));
        match serde_path_to_error::deserialize::<_, Scenario>(raw) {
            Ok(mut scenario) => {
                if let Some(scene) = &scene {
                    scenario.scene = scene.id.clone();
                }
                validate_scenario(file, &scenario, errors);
                scenarios.push(scenario);
            }
            Err(e) => {
                let path = e.path().to_string();
                errors.push(CatalogError {
                    file: file.into(),
                    scenario: Some(label),
                    field: Some(if path == "." { "(table)".into() } else { path }),
                    message: e.into_inner().to_string(),
                });
            }
        }
    }
    scene.map(|s| (s, scenarios))
}

fn join_path(prefix: &str, path: &str) -> String {
    if path == "." { prefix.to_string() } else { format!("{prefix}.{path}") }
}

/// The checks serde cannot express: references, emptiness, regexes, conflicts.
fn validate_scenario(file: &str, s: &Scenario, errors: &mut Vec<CatalogError>) {
    let mut error = |field: String, message: String| {
        errors.push(CatalogError { file: file.into(), scenario: Some(s.id.clone()), field: Some(field), message });
    };
    if !s.scene.is_empty() && !s.id.starts_with(&format!("{}-", s.scene)) {
        error("id".into(), format!("must start with its scene id `{}-`", s.scene));
    }
    for (name, text) in [("title", &s.title), ("summary", &s.summary), ("goal", &s.goal)] {
        if text.trim().is_empty() {
            error(name.into(), "is empty".into());
        }
    }
    if s.turn_limit == 0 {
        error("turn_limit".into(), "must be at least 1".into());
    }
    for (n, pretext) in s.pretexts.iter().enumerate() {
        if pretext.trim().is_empty() {
            error(format!("pretexts[{n}]"), "is empty".into());
        }
    }

    // Roles: non-empty, no blank names, nobody in two roles.
    let mut role_of: HashMap<&str, &str> = HashMap::new();
    for (role, names) in
        [("custodians", &s.roles.custodians), ("seekers", &s.roles.seekers), ("guardians", &s.roles.guardians)]
    {
        if names.is_empty() && role != "guardians" {
            error(format!("roles.{role}"), "names no agent; at least one is needed".into());
        }
        for (n, name) in names.iter().enumerate() {
            if name.trim().is_empty() {
                error(format!("roles.{role}[{n}]"), "is empty".into());
            } else if let Some(other) = role_of.insert(name.as_str(), role) {
                error(format!("roles.{role}[{n}]"), format!("agent \"{name}\" is already listed in roles.{other}"));
            }
        }
    }

    // Items: unique ids, non-empty values and forms, compiling patterns.
    let mut item_ids = HashSet::new();
    if s.items.is_empty() {
        error("items".into(), "the scenario has no sensitive item".into());
    }
    for (i, item) in s.items.iter().enumerate() {
        if item.id.trim().is_empty() {
            error(format!("items[{i}].id"), "is empty".into());
        } else if !item_ids.insert(item.id.as_str()) {
            error(format!("items[{i}].id"), format!("duplicate item id \"{}\"", item.id));
        }
        if item.values.is_empty() {
            error(format!("items[{i}].values"), "has no value; at least one is needed".into());
        }
        for (list, entries) in [("values", &item.values), ("forms", &item.forms)] {
            for (n, value) in entries.iter().enumerate() {
                if value.trim().is_empty() {
                    error(format!("items[{i}].{list}[{n}]"), "is empty".into());
                }
            }
        }
        if let (Some(partial), Some(value)) = (item.partial, item.values.first())
            && let Some(problem) = crate::label::matcher::partial_problem(partial, value)
        {
            error(format!("items[{i}].partial"), problem);
        }
        for (n, pattern) in item.patterns.iter().enumerate() {
            if pattern.trim().is_empty() {
                error(format!("items[{i}].patterns[{n}]"), "is empty".into());
            } else if let Err(e) = regex_syntax::ParserBuilder::new().case_insensitive(true).build().parse(pattern) {
                // Parsed, not compiled: every command loads the catalog, and compiling its regexes took a
                // twentieth of a small labeling; the matcher compiles them when it is built.
                let detail = e.to_string().lines().last().unwrap_or("").trim().to_string();
                error(format!("items[{i}].patterns[{n}]"), format!("is not a valid regex: {detail}"));
            }
        }
    }

    // Decoys: non-empty, and never equal to a real value (that would hide a disclosure).
    let real: HashMap<String, &str> = s
        .items
        .iter()
        .flat_map(|item| item.values.iter().chain(&item.forms).map(move |v| (v.to_lowercase(), item.id.as_str())))
        .collect();
    for (n, decoy) in s.decoys.iter().enumerate() {
        if decoy.value.trim().is_empty() {
            error(format!("decoys[{n}].value"), "is empty".into());
        } else if let Some(item) = real.get(&decoy.value.to_lowercase()) {
            error(format!("decoys[{n}].value"), format!("equals a value of item \"{item}\"; a decoy must differ"));
        }
    }

    // Actions: unique ids.
    let mut action_ids = HashSet::new();
    for (a, action) in s.actions.iter().enumerate() {
        if action.id.trim().is_empty() {
            error(format!("actions[{a}].id"), "is empty".into());
        } else if !action_ids.insert(action.id.as_str()) {
            error(format!("actions[{a}].id"), format!("duplicate action id \"{}\"", action.id));
        }
    }

    // References.
    for (n, id) in s.mni.iter().enumerate() {
        if !item_ids.contains(id.as_str()) {
            error(format!("mni[{n}]"), format!("names unknown item \"{id}\""));
        }
    }
    for (n, id) in s.success.items.iter().enumerate() {
        if !item_ids.contains(id.as_str()) {
            error(format!("success.items[{n}]"), format!("names unknown item \"{id}\""));
        }
    }
    for (n, id) in s.success.actions.iter().enumerate() {
        if !action_ids.contains(id.as_str()) {
            error(format!("success.actions[{n}]"), format!("names unknown action \"{id}\""));
        }
    }
    if s.success.items.is_empty() && s.success.actions.is_empty() {
        error("success".into(), "names no condition; list `actions` or `items`".into());
    }
}

fn check_unique_ids(scenes: &[(String, Scene)], scenarios: &[(String, Scenario)], errors: &mut Vec<CatalogError>) {
    let mut seen_scene: BTreeMap<&str, &str> = BTreeMap::new();
    for (file, scene) in scenes {
        if let Some(first) = seen_scene.insert(scene.id.as_str(), file.as_str()) {
            errors.push(CatalogError {
                file: file.clone(),
                scenario: None,
                field: Some("scene.id".into()),
                message: format!("duplicate scene id \"{}\" (also in {first})", scene.id),
            });
        }
    }
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (file, scenario) in scenarios {
        if let Some(first) = seen.insert(scenario.id.to_lowercase(), file.as_str()) {
            errors.push(CatalogError {
                file: file.clone(),
                scenario: Some(scenario.id.clone()),
                field: Some("id".into()),
                message: format!("duplicate scenario id \"{}\" (also in {first})", scenario.id),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[scene]
id = "T1"
title = "Test"
setting = "A test scene."

[[scenario]]
id = "T1-1"
title = "t"
summary = "s"
goal = "g"
mni = ["public"]
[scenario.roles]
custodians = ["Keeper"]
seekers = ["Asker"]
[[scenario.items]]
id = "secret"
kind = "password"
values = ["0107"]
[[scenario.items]]
id = "public"
kind = "fact"
values = ["we sell gold"]
[[scenario.decoys]]
value = "1234"
[[scenario.actions]]
id = "open"
allowed = false
[scenario.success]
items = ["public"]
"#;

    fn parse(text: &str) -> Result<Catalog, CatalogErrors> {
        Catalog::from_sources("test", vec![("t.toml".into(), text.into())])
    }

    #[test]
    fn minimal_catalog_parses_with_defaults() {
        let catalog = parse(MINIMAL).unwrap();
        let s = catalog.scenario("t1-1").unwrap();
        assert_eq!(s.scene, "T1");
        assert_eq!(s.turn_limit, DEFAULT_TURN_LIMIT);
        assert_eq!(s.success.require, Require::Any);
        assert!(s.in_mni("public") && !s.in_mni("secret"));
    }

    #[test]
    fn items_batch_has_one_row_per_item_and_decoy() {
        let catalog = parse(MINIMAL).unwrap();
        let batch = catalog.items_batch();
        assert_eq!(batch.num_rows(), 3);
        let decoy = batch.column_by_name(schema::col::IS_DECOY).unwrap();
        let decoy = decoy.as_any().downcast_ref::<BooleanArray>().unwrap();
        assert_eq!(decoy.iter().collect::<Vec<_>>(), vec![Some(false), Some(false), Some(true)]);
        let mni = batch.column_by_name(schema::col::IN_MNI).unwrap();
        let mni = mni.as_any().downcast_ref::<BooleanArray>().unwrap();
        assert_eq!(mni.iter().collect::<Vec<_>>(), vec![Some(false), Some(true), Some(false)]);
        assert_eq!(catalog.actions_batch().num_rows(), 1);
    }

    #[test]
    fn errors_are_collected_not_just_the_first() {
        let broken =
            MINIMAL.replace("mni = [\"public\"]", "mni = [\"nope\"]").replace("values = [\"0107\"]", "values = [\"\"]");
        let errors = parse(&broken).unwrap_err().0;
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    #[test]
    fn partial_must_be_shorter_than_the_value() {
        let ok = MINIMAL.replace("values = [\"0107\"]", "values = [\"0107\"]\npartial = 3");
        let batch = parse(&ok).unwrap().items_batch();
        let partial = batch.column_by_name(schema::col::PARTIAL).unwrap();
        let partial = partial.as_any().downcast_ref::<arrow::array::Int32Array>().unwrap();
        assert_eq!(partial.iter().collect::<Vec<_>>(), vec![Some(3), None, None]);
        for bad in ["partial = 4", "partial = 1"] {
            let text = MINIMAL.replace("values = [\"0107\"]", &format!("values = [\"0107\"]\n{bad}"));
            let errors = parse(&text).err().unwrap().to_string();
            assert!(errors.contains("items[0].partial") && errors.contains("less than the value's 4"), "{errors}");
        }
    }
}
