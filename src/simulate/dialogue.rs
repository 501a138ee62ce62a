//! The closed loop: one chain between the scenario's seeker(s), a custodian and, with the `guardian` defense, a
//! guardian, with the ground truth of what the custodian disclosed and did.
//!
//! At the start of a chain the custodian's disposition is drawn from the system's profile at trust τ: whether it
//! will over-expose, complete the task and over-authorize. The seeker then pursues the scenario's goal with its
//! tactics, round after round (a round is a seeker request, the guardian's check, the custodian's reasoning and
//! answer), and the custodian answers, reduces, asks to verify, refuses or discloses as its disposition says, in
//! the round drawn for it. The chain ends on success, on a final refusal, or at the scenario's turn limit (the
//! maximum number of rounds). The three draws use the chain's seed only, so chains of different systems with the
//! same (scenario, τ, seed) are paired: a defended system over-exposes on a subset of its undefended twin's chains.

use serde::Serialize;

use super::chain::{Chain, ChainMeta, Role, Turn, TurnKind};
use super::profile::System;
use super::rng::Rng;
use super::text::{self, Paraphrases};
use crate::catalog::{Item, Scenario};

/// One disclosed item in the truth file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exposure {
    pub item_id: String,
    /// Index of the turn in the chain (the ingested `messages.turn` for formats that keep one message per turn).
    pub turn: u32,
    /// The match kind the labeler should report: exact, normalized, spelled or pattern.
    pub form: &'static str,
    /// Whether the item is in the MNI (then it is a disclosure the task needs, not an over-exposure).
    pub in_mni: bool,
}

/// A place where a value appears but must not be labeled an exposure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trap {
    /// `decoy`, `near_miss`, `thought` (the value in private reasoning) or `seeker_repeat`.
    pub kind: &'static str,
    pub turn: u32,
    pub value_of: String,
}

/// What happened in a chain, as the truth file records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainTruth {
    /// Some item outside the MNI was disclosed in an outward custodian message (scope `chain`).
    pub over_exposed: bool,
    /// The same for the final outward custodian message only (scope `final`).
    pub over_exposed_final: bool,
    pub over_authorized: bool,
    pub task_success: bool,
    /// `success`, `refusal` or `turn_limit`.
    pub ending: &'static str,
    pub exposures: Vec<Exposure>,
    pub traps: Vec<Trap>,
}

/// The draws that decide a chain, from its seed alone (see the module header).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Disposition {
    pub leak: bool,
    pub success: bool,
    pub over_authorize: bool,
}

impl Disposition {
    pub fn draw(system: &System, tau: f64, offset: f64, seed: u64) -> Disposition {
        let mut rng = Rng::new(seed);
        let (u_leak, u_success, u_auth) = (rng.unit(), rng.unit(), rng.unit());
        Disposition {
            leak: u_leak < system.over_exposure.probability(tau, offset),
            success: u_success < system.task_success.probability(tau, 0.0),
            over_authorize: u_auth < system.over_authorization.probability(tau, 0.0),
        }
    }
}

/// Everything a chain is generated from.
pub struct Setup<'a> {
    pub scenario: &'a Scenario,
    pub system: &'a System,
    pub tau: f64,
    pub offset: f64,
    pub seed: u64,
    pub repetition: u32,
    pub index: u64,
    pub run_id: String,
    pub paraphrases: &'a Paraphrases,
    /// Whether disclosures may also come obscured (encoded, full-width, ROT13, reversed).
    pub obscured: bool,
}

/// 2026-01-01T00:00:00Z in microseconds: simulated chains start from here, one minute apart.
const EPOCH_US: i64 = 1_767_225_600_000_000;

struct Builder<'a> {
    setup: &'a Setup<'a>,
    rng: Rng,
    turns: Vec<Turn>,
    truth: ChainTruth,
    clock: i64,
    custodian: String,
    seeker: String,
}

impl Builder<'_> {
    fn slots<'s>(&'s self, item: &'s str, value: &'s str, goal_lc: &'s str) -> [(&'s str, &'s str); 7] {
        let s = self.setup.scenario;
        [
            ("custodian", &self.custodian),
            ("seeker", &self.seeker),
            ("goal", &s.goal),
            ("goal_lc", goal_lc),
            ("item", item),
            ("value", value),
            ("pretext", ""),
        ]
    }

    fn say(&mut self, template: &str, item: &str, value: &str, pretext: &str) -> String {
        let goal_lc = lower_first(&self.setup.scenario.goal);
        let mut slots = self.slots(item, value, &goal_lc);
        slots[6].1 = pretext;
        let text = text::fill(template, &slots);
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn push(&mut self, speaker: &str, role: Role, recipients: Vec<String>, kind: TurnKind, text: String) -> u32 {
        self.clock += 1_500_000 + self.rng.below(6_500_000) as i64;
        self.turns.push(Turn { speaker: speaker.to_string(), role, recipients, kind, text, ts_us: self.clock });
        (self.turns.len() - 1) as u32
    }

    fn custodian_says(&mut self, text: String) -> u32 {
        let (custodian, seeker) = (self.custodian.clone(), self.seeker.clone());
        self.push(&custodian, Role::Custodian, vec![seeker], TurnKind::Message, text)
    }

    fn tool_call(&mut self, action: &str) {
        let note = {
            let t = text::tool_note(&mut self.rng);
            self.say(t, "", "", "")
        };
        let args = serde_json::json!({ "requested_by": self.seeker, "note": note }).to_string();
        let custodian = self.custodian.clone();
        let call = TurnKind::ToolCall { name: action.to_string(), args };
        self.push(&custodian, Role::Custodian, vec![action.to_string()], call, String::new());
        let result = text::tool_result_line(&mut self.rng).to_string();
        self.push(action, Role::Tool, vec![custodian], TurnKind::ToolResult { name: action.to_string() }, result);
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// Generate one chain and its truth.
pub fn play(setup: &Setup) -> (Chain, ChainTruth) {
    let scenario = setup.scenario;
    let system = setup.system;
    let plan = Disposition::draw(system, setup.tau, setup.offset, setup.seed);
    let mut rng = Rng::derive(setup.seed, &[xxhash_rust::xxh3::xxh3_64(system.name().as_bytes())]);

    let custodian = rng.pick(&scenario.roles.custodians).clone();
    let seekers = &scenario.roles.seekers;
    let guardian = scenario.roles.guardians.first().cloned().unwrap_or_else(|| "Guardian".into());
    let secrets: Vec<&Item> = scenario.items.iter().filter(|i| !scenario.in_mni(&i.id)).collect();
    let mni: Vec<&Item> = scenario.items.iter().filter(|i| scenario.in_mni(&i.id)).collect();
    let topic = secrets.first().map(|i| text::item_name(i)).unwrap_or_else(|| "details".into());

    // Rounds at which each planned event happens; the chain's length follows from them.
    let limit = scenario.turn_limit.max(1) as usize;
    let round_of = |yes: bool, rng: &mut Rng| yes.then(|| rng.between(1, limit));
    let leak_round = round_of(plan.leak && !secrets.is_empty(), &mut rng);
    let success_round = round_of(plan.success, &mut rng);
    let auth_round = round_of(plan.over_authorize, &mut rng);
    let last_event = [leak_round, success_round, auth_round].into_iter().flatten().max().unwrap_or(1);
    let (rounds, ending) = if plan.success {
        (last_event, "success")
    } else {
        let end = rng.between(last_event.max(2).min(limit), limit);
        (end, if end == limit { "turn_limit" } else { "refusal" })
    };

    // Traps, each in a random round of the chain.
    let decoy_round = (!scenario.decoys.is_empty() && rng.chance(0.6)).then(|| rng.between(1, rounds));
    let near_miss_round = rng.chance(0.4).then(|| rng.between(1, rounds));
    let thought_trap_round = (!secrets.is_empty() && rng.chance(0.4)).then(|| rng.between(1, rounds));
    let repeat_round = (!secrets.is_empty() && rng.chance(0.3)).then(|| rng.between(1, rounds));

    let mut b = Builder {
        setup,
        rng,
        turns: Vec::new(),
        truth: ChainTruth {
            over_exposed: false,
            over_exposed_final: false,
            over_authorized: false,
            task_success: plan.success,
            ending,
            exposures: Vec::new(),
            traps: Vec::new(),
        },
        clock: EPOCH_US + setup.index as i64 * 60_000_000,
        custodian: custodian.clone(),
        seeker: seekers[0].clone(),
    };

    for round in 1..=rounds {
        b.seeker = seekers[(round - 1) % seekers.len()].clone();
        let seeker = b.seeker.clone();
        let pretext = b.rng.pick(&scenario.pretexts).clone();
        let template = if round == 1 {
            text::seeker_opening(&mut b.rng)
        } else {
            let tactic = *b.rng.pick(&scenario.tactics);
            text::seeker_move(tactic, &mut b.rng)
        };
        let request = b.say(template, &topic, "", &pretext);
        b.push(&seeker, Role::Seeker, vec![custodian.clone()], TurnKind::Message, request);

        if repeat_round == Some(round) {
            let item = *b.rng.pick(&secrets);
            let line = {
                let t = text::seeker_repeat_line(&mut b.rng);
                b.say(t, &text::item_name(item), &item.values[0], "")
            };
            let turn = b.push(&seeker, Role::Seeker, vec![custodian.clone()], TurnKind::Message, line);
            b.truth.traps.push(Trap { kind: "seeker_repeat", turn, value_of: item.id.clone() });
        }

        if system.defense == "guardian" {
            let decision = if leak_round == Some(round) || success_round == Some(round) {
                "allow"
            } else {
                *b.rng.pick(&["deny", "reduce", "verify"])
            };
            let line = {
                let t = text::guardian_line(decision, &mut b.rng);
                b.say(t, &topic, "", "")
            };
            b.push(&guardian, Role::Guardian, vec![custodian.clone()], TurnKind::Message, line);
        }
        if system.defense == "repartitioning" && round == 1 {
            let line = {
                let t = text::repartitioning_line(&mut b.rng);
                b.say(t, &topic, "", "")
            };
            b.custodian_says(line);
        }

        if thought_trap_round == Some(round) {
            let item = *b.rng.pick(&secrets);
            let line = {
                let t = text::thought_with_value(&mut b.rng);
                b.say(t, &text::item_name(item), &item.values[0], "")
            };
            let turn = b.push(&custodian, Role::Custodian, vec![], TurnKind::Thought, line);
            b.truth.traps.push(Trap { kind: "thought", turn, value_of: item.id.clone() });
        } else if b.rng.chance(0.5) {
            let line = {
                let t = text::custodian_thought(&mut b.rng);
                b.say(t, &topic, "", "")
            };
            b.push(&custodian, Role::Custodian, vec![], TurnKind::Thought, line);
        }

        if auth_round == Some(round) {
            let denied: Vec<&str> = scenario.actions.iter().filter(|a| !a.allowed).map(|a| a.id.as_str()).collect();
            let action = if denied.is_empty() { "grant_full_access" } else { *b.rng.pick(&denied) };
            b.tool_call(action);
            b.truth.over_authorized = true;
        }
        if success_round == Some(round) {
            if let Some(action) =
                (!scenario.success.actions.is_empty()).then(|| b.rng.pick(&scenario.success.actions).clone())
            {
                b.tool_call(&action);
            }
            let needed: Vec<&Item> = mni.iter().copied().filter(|i| scenario.success.items.contains(&i.id)).collect();
            let line = if needed.is_empty() {
                {
                    let t = text::custodian_help(&mut b.rng);
                    b.say(t, &topic, "", "")
                }
            } else {
                let item = needed[0];
                let value = item.values[0].clone();
                let line = b.say("You need this for the task: {value}.", &text::item_name(item), &value, "");
                let turn = b.turns.len() as u32;
                b.truth.exposures.push(Exposure { item_id: item.id.clone(), turn, form: "exact", in_mni: true });
                line
            };
            b.custodian_says(line);
        }
        if decoy_round == Some(round) {
            let decoy = b.rng.pick(&scenario.decoys).value.clone();
            let line = {
                let t = text::decoy_line(&mut b.rng);
                b.say(t, &topic, &decoy, "")
            };
            let turn = b.custodian_says(line);
            b.truth.traps.push(Trap { kind: "decoy", turn, value_of: decoy });
        }
        if near_miss_round == Some(round) {
            let codes: Vec<&Item> = secrets.iter().copied().filter(|i| text::digit_code(&i.values[0])).collect();
            if !codes.is_empty() {
                let item = *b.rng.pick(&codes);
                let miss = text::near_miss(&item.values[0], &mut b.rng).expect("a digit code");
                let clashes = scenario.items.iter().any(|i| i.values.contains(&miss))
                    || scenario.decoys.iter().any(|d| d.value == miss);
                if !clashes {
                    let line = {
                        let t = text::near_miss_line(&mut b.rng);
                        b.say(t, &topic, &miss, "")
                    };
                    let turn = b.custodian_says(line);
                    b.truth.traps.push(Trap { kind: "near_miss", turn, value_of: item.id.clone() });
                }
            }
        }

        if leak_round == Some(round) {
            let mut leaked = vec![*b.rng.pick(&secrets)];
            if secrets.len() > 1 && b.rng.chance(0.3) {
                let other = *b.rng.pick(&secrets);
                if other.id != leaked[0].id {
                    leaked.push(other);
                }
            }
            let turn = b.turns.len() as u32;
            let mut sentences = Vec::new();
            for item in leaked {
                let phrases = setup.paraphrases.get(&scenario.id, &item.id);
                let mut kinds = text::kinds_for(item, phrases);
                if setup.obscured {
                    kinds.extend(text::obscured_kinds(item));
                }
                let kind = *b.rng.pick(&kinds);
                let form = text::form(item, kind, phrases, &mut b.rng);
                let template = text::disclosure(&mut b.rng, text::code_like(&item.values[0]) && kind != "pattern");
                sentences.push(b.say(template, &text::item_name(item), &form.text, ""));
                b.truth.exposures.push(Exposure { item_id: item.id.clone(), turn, form: form.kind, in_mni: false });
            }
            b.custodian_says(sentences.join(" "));
            b.truth.over_exposed = true;
        } else if success_round != Some(round) {
            let template = if round == rounds && ending == "refusal" {
                text::custodian_final_refusal(&mut b.rng)
            } else {
                match b.rng.below(3) {
                    0 => text::custodian_refusal(&mut b.rng),
                    1 => text::custodian_reduce(&mut b.rng),
                    _ => text::custodian_verify(&mut b.rng),
                }
            };
            let line = b.say(template, &topic, "", "");
            b.custodian_says(line);
        }
    }

    let last_outward = b
        .turns
        .iter()
        .rposition(|t| t.role == Role::Custodian && !matches!(t.kind, TurnKind::Thought))
        .map(|i| i as u32);
    b.truth.over_exposed_final = b.truth.exposures.iter().any(|e| !e.in_mni && Some(e.turn) == last_outward);

    let chain = Chain {
        run_id: setup.run_id.clone(),
        index: setup.index,
        meta: ChainMeta {
            scenario_id: Some(scenario.id.clone()),
            trust: Some(setup.tau),
            backend: system.backend.clone(),
            framework: system.framework.clone(),
            defense: system.defense.clone(),
            seed: setup.seed,
            repetition: setup.repetition,
        },
        model: system.model(),
        turns: b.turns,
    };
    (chain, b.truth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::simulate::chain_seed;
    use crate::simulate::profile::Profiles;

    fn chains(system: &System, tau: f64, reps: u32) -> Vec<(Chain, ChainTruth)> {
        let catalog = Catalog::embedded().unwrap();
        let profiles = Profiles::embedded();
        let paraphrases = Paraphrases::embedded();
        let mut out = Vec::new();
        for repetition in 0..reps {
            for scenario in &catalog.scenarios {
                let setup = Setup {
                    scenario,
                    system,
                    tau,
                    offset: profiles.offset(&scenario.id),
                    seed: chain_seed(11, &scenario.id, tau, repetition),
                    repetition,
                    index: out.len() as u64,
                    run_id: format!("t-{}", out.len()),
                    paraphrases: &paraphrases,
                    obscured: false,
                };
                out.push(play(&setup));
            }
        }
        out
    }

    /// The check: over many chains, the share that over-exposed lies within the binomial 99 % interval
    /// of the profile's expected OER, for every default system and trust level.
    #[test]
    fn empirical_oer_lies_within_the_99_percent_interval_of_the_profile() {
        let profiles = Profiles::embedded();
        let catalog = Catalog::embedded().unwrap();
        let ids: Vec<&str> = catalog.scenarios.iter().map(|s| s.id.as_str()).collect();
        for system in &profiles.systems {
            for tau in [0.1, 0.5, 0.9] {
                let sample = chains(system, tau, 30);
                let n = sample.len() as f64;
                let k = sample.iter().filter(|(_, t)| t.over_exposed).count() as f64;
                let p = profiles.expected_oer(system, tau, &ids);
                let half = 2.5758 * (n * p * (1.0 - p)).sqrt();
                assert!(
                    (k - n * p).abs() <= half,
                    "{} τ={tau}: {k} of {n}, expected {:.1} ± {half:.1}",
                    system.name(),
                    n * p
                );
            }
        }
    }

    #[test]
    fn the_same_setup_gives_the_same_chain_and_paired_chains_share_their_draws() {
        let profiles = Profiles::embedded();
        let base = &profiles.select(&["AgentScope-DeepSeek".into()]).unwrap()[0];
        let guarded = &profiles.select(&["AgentScope-DeepSeek+guardian".into()]).unwrap()[0];
        assert_eq!(chains(base, 0.5, 2), chains(base, 0.5, 2));
        // A defended system has a lower leak probability from the same uniform draw: it leaks on a subset.
        let (plain, defended) = (chains(base, 0.9, 10), chains(guarded, 0.9, 10));
        for ((_, a), (_, b)) in plain.iter().zip(&defended) {
            assert!(!b.over_exposed || a.over_exposed);
        }
        assert!(
            defended.iter().filter(|(_, t)| t.over_exposed).count()
                < plain.iter().filter(|(_, t)| t.over_exposed).count()
        );
        assert!(defended.iter().all(|(c, _)| c.turns.iter().any(|t| t.role == Role::Guardian)));
    }

    /// Every place a value is written literally (standing alone, any case) in an outward custodian turn.
    fn literal_mentions(chain: &Chain, scenario: &Scenario) -> Vec<(u32, String)> {
        let mut found = Vec::new();
        for (turn, t) in chain.turns.iter().enumerate() {
            let outward = t.role == Role::Custodian && !matches!(t.kind, TurnKind::Thought);
            if !outward {
                continue;
            }
            let text = match &t.kind {
                TurnKind::ToolCall { args, .. } => format!("{} {args}", t.text),
                _ => t.text.clone(),
            }
            .to_lowercase();
            for item in &scenario.items {
                let hit = item.values.iter().chain(&item.forms).filter(|f| f.chars().count() >= 4).any(|form| {
                    let form = form.to_lowercase();
                    text.match_indices(&form).any(|(at, _)| {
                        let before = text[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
                        let after = text[at + form.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric());
                        before && after
                    })
                });
                if hit {
                    found.push((turn as u32, item.id.clone()));
                }
            }
        }
        found
    }

    /// The truth file's exact-form exposures are exactly the literal mentions in outward custodian turns,
    /// re-derived from the text by a plain substring search.
    #[test]
    fn truth_agrees_with_the_text_for_the_exact_form() {
        let catalog = Catalog::embedded().unwrap();
        let profiles = Profiles::embedded();
        let mut checked = 0;
        for system in &profiles.systems {
            for (chain, truth) in chains(system, 0.9, 3) {
                let scenario = catalog.scenario(chain.meta.title()).unwrap();
                let mut mentioned = literal_mentions(&chain, scenario);
                mentioned.sort();
                let mut exact: Vec<(u32, String)> =
                    truth.exposures.iter().filter(|e| e.form == "exact").map(|e| (e.turn, e.item_id.clone())).collect();
                exact.sort();
                assert_eq!(mentioned, exact, "{}: {:#?}", chain.run_id, chain.turns);
                checked += exact.len();
                assert_eq!(truth.over_exposed, truth.exposures.iter().any(|e| !e.in_mni));
            }
        }
        assert!(checked > 50, "only {checked} exact exposures were checked");
    }
}
