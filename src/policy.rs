//! The secrets policy of a deployment: which runs it covers, what must not leak (listed values, built-in
//! detectors, values learned from what the agents read) and, per item or per kind, the recipients allowed to
//! receive it (the MNI per recipient). The file format is documented in `data/policy/README.md`.
//!
//! In: a TOML file. Out: a validated [`Policy`], or every problem found, each naming the file and the field
//! (`items[2].patterns[0]`), as the catalog checker does.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

use crate::label::detectors;

/// Which runs a policy covers; an empty list does not restrict, and a run must pass every non-empty one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    #[serde(default)]
    pub frameworks: Vec<String>,
    #[serde(default)]
    pub backends: Vec<String>,
    /// Runs in which an agent of one of these names speaks.
    #[serde(default)]
    pub agents: Vec<String>,
    /// Globs on the run's source file (`**/prod/*.jsonl`).
    #[serde(default)]
    pub paths: Vec<String>,
}

/// The built-in detectors the policy turns on, and who may receive what they find.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detectors {
    /// Detector names, or `"default"` for the documented default set; none when the table is absent.
    #[serde(default)]
    pub enabled: Vec<String>,
    /// Recipients allowed to receive any detected secret.
    #[serde(default)]
    pub allowed: Vec<String>,
    /// Per detector name: recipients allowed to receive its findings (replaces `allowed` for it).
    #[serde(default)]
    pub allowed_by_detector: BTreeMap<String, Vec<String>>,
}

/// A listed secret.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub kind: String,
    pub values: Vec<String>,
    #[serde(default)]
    pub forms: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Recipients allowed to receive it; absent: its kind's (`[kinds.<kind>]`), else nobody.
    pub allowed: Option<Vec<String>>,
    #[serde(default)]
    pub partial: Option<u32>,
}

/// Defaults for the items of one kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindRule {
    #[serde(default)]
    pub allowed: Vec<String>,
}

/// Values that become a run's secrets because an agent read them: a tool result's field (by key anywhere in the
/// result, or by a `$.a.b[*].c` path) or a system prompt's capture group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Learn {
    /// Only results of this tool (any tool when absent).
    pub tool: Option<String>,
    pub field: Option<String>,
    pub path: Option<String>,
    /// A regex with one capture group, matched against system prompts.
    pub system_prompt: Option<String>,
    pub kind: String,
    pub allowed: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub applies_to: AppliesTo,
    #[serde(default)]
    pub detectors: Detectors,
    #[serde(default)]
    pub items: Vec<Item>,
    #[serde(default)]
    pub kinds: BTreeMap<String, KindRule>,
    #[serde(default)]
    pub learn: Vec<Learn>,
}

/// One problem in a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub file: String,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: `{field}`: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Every problem found in a policy file.
#[derive(Debug, Clone)]
pub struct PolicyErrors(pub Vec<PolicyError>);

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "{}", lines.join("\n"))
    }
}

impl std::error::Error for PolicyErrors {}

impl Policy {
    pub fn load(path: &Path) -> Result<Policy, PolicyErrors> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            PolicyErrors(vec![PolicyError { file: shown.clone(), field: None, message: format!("cannot read: {e}") }])
        })?;
        Policy::parse(&shown, &text)
    }

    /// Parse and validate; `file` names the source in errors.
    pub fn parse(file: &str, text: &str) -> Result<Policy, PolicyErrors> {
        let error = |field: Option<String>, message: String| PolicyError { file: file.to_string(), field, message };
        let value: toml::Value = toml::from_str(text)
            .map_err(|e| PolicyErrors(vec![error(None, format!("not valid TOML: {}", e.to_string().trim_end()))]))?;
        let policy: Policy = serde_path_to_error::deserialize(value).map_err(|e| {
            let field = e.path().to_string();
            PolicyErrors(vec![error((field != ".").then_some(field), e.into_inner().to_string())])
        })?;
        let errors = policy.check().into_iter().map(|(field, message)| error(Some(field), message)).collect::<Vec<_>>();
        if errors.is_empty() { Ok(policy) } else { Err(PolicyErrors(errors)) }
    }

    /// The detector names the policy enables (`default` expanded).
    pub fn enabled_detectors(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for name in &self.detectors.enabled {
            if name == "default" {
                names.extend(detectors::default_set());
            } else if let Some(d) = detectors::by_name(name) {
                names.push(d.name);
            }
        }
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The recipients allowed to receive an item of this kind with this explicit list (the item's own list wins,
    /// then its kind's, else nobody).
    pub fn allowed_for(&self, kind: &str, own: Option<&Vec<String>>) -> Vec<String> {
        own.cloned().or_else(|| self.kinds.get(kind).map(|k| k.allowed.clone())).unwrap_or_default()
    }

    /// The recipients allowed to receive a detector's findings.
    pub fn allowed_for_detector(&self, name: &str) -> Vec<String> {
        self.detectors.allowed_by_detector.get(name).cloned().unwrap_or_else(|| self.detectors.allowed.clone())
    }

    /// Every semantic problem, as (field, message).
    fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let mut problem = |field: String, message: &str| problems.push((field, message.to_string()));
        for (i, glob) in self.applies_to.paths.iter().enumerate() {
            if let Err(e) = globset::Glob::new(glob) {
                problem(format!("applies_to.paths[{i}]"), &format!("is not a valid glob: {e}"));
            }
        }
        for (list, entries) in [
            ("applies_to.frameworks", &self.applies_to.frameworks),
            ("applies_to.backends", &self.applies_to.backends),
            ("applies_to.agents", &self.applies_to.agents),
            ("detectors.allowed", &self.detectors.allowed),
        ] {
            for (n, entry) in entries.iter().enumerate() {
                if entry.trim().is_empty() {
                    problem(format!("{list}[{n}]"), "is empty");
                }
            }
        }
        for (i, name) in self.detectors.enabled.iter().enumerate() {
            if name != "default" && detectors::by_name(name).is_none() {
                let known = detectors::default_set().join(", ");
                problem(
                    format!("detectors.enabled[{i}]"),
                    &format!("unknown detector `{name}` (known: default, {known})"),
                );
            }
        }
        for name in self.detectors.allowed_by_detector.keys() {
            if detectors::by_name(name).is_none() {
                problem(format!("detectors.allowed_by_detector.{name}"), "unknown detector");
            }
        }
        let mut ids = std::collections::HashSet::new();
        for (i, item) in self.items.iter().enumerate() {
            if item.id.trim().is_empty() {
                problem(format!("items[{i}].id"), "is empty");
            } else if !ids.insert(item.id.as_str()) {
                problem(format!("items[{i}].id"), &format!("duplicate item id \"{}\"", item.id));
            }
            if item.kind.trim().is_empty() {
                problem(format!("items[{i}].kind"), "is empty");
            }
            if item.values.is_empty() {
                problem(format!("items[{i}].values"), "has no value; at least one is needed");
            }
            for (list, entries) in [("values", &item.values), ("forms", &item.forms)] {
                for (n, value) in entries.iter().enumerate() {
                    if value.trim().is_empty() {
                        problem(format!("items[{i}].{list}[{n}]"), "is empty");
                    }
                }
            }
            for (n, pattern) in item.patterns.iter().enumerate() {
                if let Err(e) = regex::RegexBuilder::new(pattern).case_insensitive(true).build() {
                    let detail = e.to_string().lines().last().unwrap_or("").trim().to_string();
                    problem(format!("items[{i}].patterns[{n}]"), &format!("is not a valid regex: {detail}"));
                } else if pattern.trim().is_empty() {
                    problem(format!("items[{i}].patterns[{n}]"), "is empty");
                }
            }
            if let (Some(partial), Some(value)) = (item.partial, item.values.first())
                && let Some(message) = crate::label::matcher::partial_problem(partial, value)
            {
                problem(format!("items[{i}].partial"), &message);
            }
        }
        for (i, rule) in self.learn.iter().enumerate() {
            let sources = [rule.field.is_some(), rule.path.is_some(), rule.system_prompt.is_some()];
            if sources.iter().filter(|&&s| s).count() != 1 {
                problem(format!("learn[{i}]"), "needs exactly one of `field`, `path`, `system_prompt`");
            }
            if rule.kind.trim().is_empty() {
                problem(format!("learn[{i}].kind"), "is empty");
            }
            if let Some(path) = &rule.path
                && parse_path(path).is_none()
            {
                problem(format!("learn[{i}].path"), "is not a JSON path like `$.user.email` or `$.cards[*].number`");
            }
            if let Some(pattern) = &rule.system_prompt {
                match regex::Regex::new(pattern) {
                    Err(e) => {
                        let detail = e.to_string().lines().last().unwrap_or("").trim().to_string();
                        problem(format!("learn[{i}].system_prompt"), &format!("is not a valid regex: {detail}"));
                    }
                    Ok(r) if r.captures_len() != 2 => {
                        problem(format!("learn[{i}].system_prompt"), "needs exactly one capture group: the value");
                    }
                    Ok(_) => {}
                }
            }
            if rule.tool.as_ref().is_some_and(|t| t.trim().is_empty()) {
                problem(format!("learn[{i}].tool"), "is empty");
            }
        }
        problems
    }
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
    Every,
}

/// `$.a.b[0].c[*]` → steps; `None` when it is not such a path.
pub fn parse_path(path: &str) -> Option<Vec<Step>> {
    let rest = path.strip_prefix('$')?;
    let mut steps = Vec::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let mut key = String::new();
                while let Some(&n) = chars.peek() {
                    if n == '.' || n == '[' {
                        break;
                    }
                    key.push(n);
                    chars.next();
                }
                if key.is_empty() {
                    return None;
                }
                steps.push(if key == "*" { Step::Every } else { Step::Key(key) });
            }
            '[' => {
                let mut inside = String::new();
                for n in chars.by_ref() {
                    if n == ']' {
                        break;
                    }
                    inside.push(n);
                }
                steps.push(match inside.as_str() {
                    "*" => Step::Every,
                    s => Step::Index(s.parse().ok()?),
                });
            }
            _ => return None,
        }
    }
    (!steps.is_empty()).then_some(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[applies_to]
frameworks = ["tau-bench"]
paths = ["**/taubench/*.json"]

[detectors]
enabled = ["default"]
allowed = ["user"]
allowed_by_detector = { email = ["user", "support"] }

[[items]]
id = "vault_pin"
kind = "pin"
values = ["4471"]
partial = 3

[kinds.pin]
allowed = []

[[learn]]
tool = "get_user_details"
path = "$.payment_methods.*.last_four"
kind = "card_digits"
allowed = ["user"]

[[learn]]
system_prompt = "The user's PIN is (\\d{4})"
kind = "pin"
"#;

    #[test]
    fn a_valid_policy_parses_with_its_defaults() {
        let policy = Policy::parse("good.toml", GOOD).unwrap();
        assert_eq!(policy.enabled_detectors().len(), detectors::DETECTORS.len());
        assert_eq!(policy.allowed_for_detector("email"), ["user", "support"]);
        assert_eq!(policy.allowed_for_detector("phone"), ["user"]);
        assert!(policy.allowed_for("pin", None).is_empty());
        assert_eq!(policy.allowed_for("pin", Some(&vec!["it".into()])), ["it"]);
        assert_eq!(
            parse_path("$.payment_methods.*.last_four"),
            Some(vec![Step::Key("payment_methods".into()), Step::Every, Step::Key("last_four".into())])
        );
        assert_eq!(parse_path("$.cards[2]"), Some(vec![Step::Key("cards".into()), Step::Index(2)]));
        assert_eq!(parse_path("cards"), None);
    }

    /// Each class of mistake is an error naming the file and the field.
    #[test]
    fn every_mistake_names_file_and_field() {
        let cases = [
            ("[applies_to]\nframework = [\"x\"]", "applies_to", "unknown field `framework`"),
            (
                "[[items]]\nid = \"a\"\nkind = \"k\"\nvalues = [\"v\"]\npatterns = [\"(\"]",
                "items[0].patterns[0]",
                "not a valid regex",
            ),
            ("[[items]]\nid = \"a\"\nkind = \"k\"\nvalues = [\" \"]", "items[0].values[0]", "is empty"),
            ("[[items]]\nid = \"a\"\nkind = \"k\"\nvalues = []", "items[0].values", "has no value"),
            ("[detectors]\nenabled = [\"ssn\"]", "detectors.enabled[0]", "unknown detector `ssn`"),
            ("[[learn]]\nkind = \"k\"", "learn[0]", "exactly one of"),
            ("[[learn]]\npath = \"user.email\"\nkind = \"k\"", "learn[0].path", "not a JSON path"),
            ("[[learn]]\nsystem_prompt = \"PIN \\\\d+\"\nkind = \"k\"", "learn[0].system_prompt", "capture group"),
            ("[applies_to]\npaths = [\"a/[\"]", "applies_to.paths[0]", "not a valid glob"),
        ];
        for (text, field, message) in cases {
            let errors = Policy::parse("bad.toml", text).err().unwrap_or_else(|| panic!("{text} is accepted"));
            let shown = errors.to_string();
            assert!(shown.starts_with("bad.toml: "), "{shown}");
            assert!(shown.contains(&format!("`{field}`")) && shown.contains(message), "{text}: {shown}");
        }
    }
}
