//! System profiles: how each simulated system (backend × framework × defense) maps trust τ to the chain-level
//! probabilities of over-exposure, task success and over-authorization.
//!
//! `logit P(over-exposure | S, τ) = intercept + slope·τ + curvature·τ² + offset(S)`, with per-scenario offsets
//! shared by all systems; task success and over-authorization are `logit P = intercept + slope·τ`. The default
//! (`data/systems.toml`, embedded) is derived from the paper's Table III by `scripts/fit_profiles.py`; the format
//! is documented in `data/README.md`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::metrics::Defense;

const DEFAULT: &str = include_str!("../../data/systems.toml");

/// The defenses the simulator knows.
pub const DEFENSES: [&str; 3] = ["none", "repartitioning", "guardian"];

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Curve {
    pub intercept: f64,
    pub slope: f64,
    #[serde(default)]
    pub curvature: f64,
}

impl Curve {
    pub fn logit(&self, tau: f64) -> f64 {
        self.intercept + self.slope * tau + self.curvature * tau * tau
    }

    pub fn probability(&self, tau: f64, offset: f64) -> f64 {
        expit(self.logit(tau) + offset)
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct System {
    pub framework: String,
    pub backend: String,
    #[serde(default = "no_defense")]
    pub defense: String,
    /// The model name LLM-call formats record; defaults to the backend in lower case.
    #[serde(default)]
    pub model: Option<String>,
    pub over_exposure: Curve,
    pub task_success: Curve,
    pub over_authorization: Curve,
}

fn no_defense() -> String {
    "none".into()
}

impl System {
    /// `Framework-Backend`, with `+defense` when there is one: how reports name the system.
    pub fn name(&self) -> String {
        let base = format!("{}-{}", self.framework, self.backend);
        match Defense::from_label(&self.defense) {
            Defense::None => base,
            Defense::Named(defense) => format!("{base}+{defense}"),
        }
    }

    pub fn model(&self) -> String {
        self.model.clone().unwrap_or_else(|| self.backend.to_lowercase())
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    scenario_offsets: BTreeMap<String, f64>,
    #[serde(rename = "system", default)]
    systems: Vec<System>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Profiles {
    /// Where they came from, for messages.
    pub origin: String,
    pub systems: Vec<System>,
    pub scenario_offsets: BTreeMap<String, f64>,
}

impl Profiles {
    pub fn embedded() -> Profiles {
        Profiles::parse("(embedded data/systems.toml)", DEFAULT).expect("the shipped profiles are valid")
    }

    pub fn load(path: &Path) -> Result<Profiles> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.into(), source })?;
        Profiles::parse(&path.display().to_string(), &text)
    }

    pub fn parse(origin: &str, text: &str) -> Result<Profiles> {
        let fail = |message: String| Error::Profiles { origin: origin.to_string(), message };
        let file: File = toml::from_str(text).map_err(|e| fail(e.to_string()))?;
        if file.systems.is_empty() {
            return Err(fail("no [[system]] entries".into()));
        }
        let mut names = std::collections::BTreeSet::new();
        for system in &file.systems {
            let name = system.name();
            if !DEFENSES.contains(&system.defense.as_str()) {
                return Err(fail(format!("system {name}: unknown defense `{}` (one of {DEFENSES:?})", system.defense)));
            }
            if system.framework.trim().is_empty() || system.backend.trim().is_empty() {
                return Err(fail(format!("system {name}: framework and backend must not be empty")));
            }
            let curves = [&system.over_exposure, &system.task_success, &system.over_authorization];
            if curves.iter().any(|c| ![c.intercept, c.slope, c.curvature].iter().all(|x| x.is_finite())) {
                return Err(fail(format!("system {name}: every coefficient must be a finite number")));
            }
            if !names.insert(name.clone()) {
                return Err(fail(format!("system {name} is listed twice")));
            }
        }
        if let Some((id, _)) = file.scenario_offsets.iter().find(|(_, v)| !v.is_finite()) {
            return Err(fail(format!("scenario_offsets.{id} must be a finite number")));
        }
        Ok(Profiles { origin: origin.to_string(), systems: file.systems, scenario_offsets: file.scenario_offsets })
    }

    pub fn offset(&self, scenario_id: &str) -> f64 {
        self.scenario_offsets.get(scenario_id).copied().unwrap_or(0.0)
    }

    /// Keep only the named systems (by `System::name`, case-insensitive); an unknown name is an error.
    pub fn select(&self, names: &[String]) -> Result<Vec<System>> {
        names
            .iter()
            .map(|wanted| {
                self.systems.iter().find(|s| s.name().eq_ignore_ascii_case(wanted)).cloned().ok_or_else(|| {
                    let known: Vec<String> = self.systems.iter().map(System::name).collect();
                    Error::Usage(format!("no system `{wanted}` in {}; known: {}", self.origin, known.join(", ")))
                })
            })
            .collect()
    }

    /// The expected over-exposure rate of `system` at `tau` over chains spread evenly across `scenarios`.
    pub fn expected_oer(&self, system: &System, tau: f64, scenarios: &[&str]) -> f64 {
        let total: f64 = scenarios.iter().map(|s| system.over_exposure.probability(tau, self.offset(s))).sum();
        total / scenarios.len() as f64
    }
}

pub fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE3_MEANS: [(&str, [f64; 3]); 6] = [
        ("AgentScope-Qwen", [0.108, 0.387, 0.666]),
        ("AgentScope-Llama-3-8B", [0.013, 0.191, 0.796]),
        ("AgentScope-DeepSeek", [0.118, 0.474, 0.716]),
        ("AutoGen-DeepSeek", [0.379, 0.550, 0.589]),
        ("AgentScope-GPT", [0.066, 0.408, 0.605]),
        ("LangGraph-DeepSeek", [0.261, 0.463, 0.682]),
    ];

    /// Table III's per-system mean OER over its 19 rows, computed here from the CSV.
    fn table3_means() -> BTreeMap<String, [f64; 3]> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/paper/table3_oer_ad.csv");
        let text = std::fs::read_to_string(path).expect("the paper's Table III beside the repo");
        let mut sums: BTreeMap<String, ([f64; 3], f64)> = BTreeMap::new();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let entry = sums.entry(format!("{}-{}", f[0], f[1])).or_default();
            for k in 0..3 {
                entry.0[k] += f[4 + k].parse::<f64>().unwrap();
            }
            entry.1 += 1.0;
        }
        sums.into_iter().map(|(k, (s, n))| (k, [s[0] / n, s[1] / n, s[2] / n])).collect()
    }

    #[test]
    fn default_profiles_follow_table_iii_means_per_system() {
        let profiles = Profiles::embedded();
        let scenarios: Vec<String> = profiles.scenario_offsets.keys().cloned().collect();
        let scenarios: Vec<&str> = scenarios.iter().map(String::as_str).collect();
        assert_eq!(scenarios.len(), 19);
        let table = table3_means();
        for (name, rounded) in TABLE3_MEANS {
            let system = &profiles.select(&[name.to_string()]).unwrap()[0];
            for (k, tau) in [0.1, 0.5, 0.9].into_iter().enumerate() {
                let expected = profiles.expected_oer(system, tau, &scenarios);
                assert!((expected - table[name][k]).abs() < 1e-4, "{name} τ={tau}: {expected} vs {}", table[name][k]);
                assert!((expected - rounded[k]).abs() < 1e-3);
            }
        }
    }

    #[test]
    fn defenses_lower_oer_at_high_trust_and_success_rises_with_trust() {
        let profiles = Profiles::embedded();
        let base = &profiles.select(&["AgentScope-DeepSeek".into()]).unwrap()[0];
        for defense in ["AgentScope-DeepSeek+repartitioning", "AgentScope-DeepSeek+guardian"] {
            let defended = &profiles.select(&[defense.into()]).unwrap()[0];
            assert!(defended.over_exposure.probability(0.9, 0.0) < 0.8 * base.over_exposure.probability(0.9, 0.0));
        }
        for s in &profiles.systems {
            assert!(s.task_success.probability(0.9, 0.0) > s.task_success.probability(0.1, 0.0), "{}", s.name());
        }
    }

    #[test]
    fn bad_profiles_say_what_is_wrong() {
        let base = "[[system]]\nframework = \"X\"\nbackend = \"Y\"\nover_exposure = { intercept = 0, slope = 1 }\n\
                    task_success = { intercept = 0, slope = 1 }\nover_authorization = { intercept = 0, slope = 1 }\n";
        assert!(Profiles::parse("t", base).is_ok());
        let err = Profiles::parse("t", &base.replace("backend = \"Y\"", "backend = \"Y\"\ndefense = \"moat\""));
        assert!(err.unwrap_err().to_string().contains("unknown defense `moat`"));
        let err = Profiles::parse("t", &format!("{base}\n{base}")).unwrap_err().to_string();
        assert!(err.contains("X-Y is listed twice"), "{err}");
        let err = Profiles::parse("t", &base.replace("slope = 1 }\ntask", "slop = 1 }\ntask")).unwrap_err();
        assert!(err.to_string().contains("slop"), "{err}");
        let err = Profiles::embedded().select(&["Nope".into()]).unwrap_err().to_string();
        assert!(err.contains("no system `Nope`") && err.contains("AgentScope-Qwen"), "{err}");
    }
}
