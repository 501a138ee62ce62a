//! tvp's documented generic JSONL (`jsonl/part-NNN.jsonl`, many chains per file): one message per line with every
//! canonical field, the run's condition (framework, backend, scenario, trust, defense, seed, repetition) on its
//! first line. It imitates no framework; it is the format of frameworks tvp has no adapter for.
//!
//! Carries everything: sender, role, recipients, kind, text, tool name and arguments, time, model.

use serde::Serialize;

use super::{Part, to_vec, tool_of, ts_iso_micros};
use crate::error::Result;
use crate::format::Format;
use crate::simulate::chain::{Chain, TurnKind};

#[derive(Serialize)]
struct Line<'a> {
    run_id: &'a str,
    turn: usize,
    ts: String,
    sender: &'a str,
    sender_role: &'a str,
    recipients: &'a [String],
    kind: &'static str,
    content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_args: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    meta: Option<Meta<'a>>,
}

#[derive(Serialize)]
struct Meta<'a> {
    framework: &'a str,
    backend: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trust: Option<f64>,
    defense: &'a str,
    seed: u64,
    repetition: u32,
}

pub(super) fn encode(chain: &Chain) -> Result<Vec<Part>> {
    let mut bytes = Vec::with_capacity(256 * chain.turns.len());
    let m = &chain.meta;
    for (n, turn) in chain.turns.iter().enumerate() {
        let line = Line {
            run_id: &chain.run_id,
            turn: n,
            ts: ts_iso_micros(turn.ts_us),
            sender: &turn.speaker,
            sender_role: turn.role.as_str(),
            recipients: &turn.recipients,
            kind: turn.kind.canonical(),
            content: &turn.text,
            tool_name: tool_of(turn),
            tool_args: match &turn.kind {
                TurnKind::ToolCall { args, .. } => Some(args),
                _ => None,
            },
            model: matches!(turn.kind, TurnKind::Message | TurnKind::Thought | TurnKind::ToolCall { .. })
                .then_some(chain.model.as_str()),
            meta: (n == 0).then_some(Meta {
                framework: &m.framework,
                backend: &m.backend,
                scenario_id: m.scenario_id.as_deref(),
                trust: m.trust,
                defense: &m.defense,
                seed: m.seed,
                repetition: m.repetition,
            }),
        };
        bytes.extend(to_vec(&line)?);
        bytes.push(b'\n');
    }
    Ok(vec![Part::Append { dir: Format::Jsonl.name(), prefix: "part", ext: "jsonl", bytes }])
}
