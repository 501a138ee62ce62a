//! LangSmith run exports (`langsmith/part-NNN.jsonl`, many chains per file), one run per line as `list_runs`
//! exports write them: a root `chain` run (the graph) and, per recorded message, an `llm` run whose
//! `outputs.generations[0][0].message` is the generated LangChain message, or a `tool` run whose `outputs.output` is
//! the tool's answer; every child carries `extra.metadata.langgraph_node` = the agent and a `dotted_order` that
//! puts it in time order. The trace id is the run id (LangSmith's own ids are UUIDs; the adapter takes any string).
//!
//! The messages are LangGraph's (see `langgraph.rs`): a thought is a `thinking` block of the speaker's next message
//! or tool call when that directly follows it, else alone (and the adapter then reads an empty message beside it).
//! Cannot carry: recipients (derived as for LangGraph); the tool result's speaker (the tool); a tool call's note
//! text (content is the arguments, re-serialized as compact JSON with sorted keys); the run's condition.

use serde_json::json;

use super::langgraph::lc_messages;
use super::{Part, hash, to_vec, ts_iso_micros, uuid};
use crate::error::Result;
use crate::format::Format;
use crate::simulate::chain::{Chain, TurnKind};

fn dotted(ts_us: i64, id: &str) -> String {
    format!("{}Z{id}", super::utc(ts_us).format("%Y%m%dT%H%M%S%6f"))
}

pub(super) fn encode(chain: &Chain) -> Result<Vec<Part>> {
    let run = &chain.run_id;
    let (first, last) = (chain.started_at_us(), chain.turns.last().map_or(0, |t| t.ts_us));
    let root_id = uuid(run, 0, "langsmith-root");
    let root_dotted = dotted(first, &root_id);
    let mut lines = vec![json!({
        "id": root_id, "name": "LangGraph", "run_type": "chain", "trace_id": run, "parent_run_id": null,
        "dotted_order": root_dotted, "start_time": ts_iso_micros(first), "end_time": ts_iso_micros(last),
        "inputs": {"messages": []}, "outputs": null, "extra": {"metadata": {"thread_id": run}}, "error": null,
        "session_name": "tvp-simulate", "tags": [],
    })];
    for (n, message) in lc_messages(chain) {
        let turn = &chain.turns[n];
        let id = uuid(run, hash(run, n as u64, "langsmith") >> 1, "langsmith-run");
        let at = ts_iso_micros(turn.ts_us);
        let (name, run_type, agent, outputs) = match &turn.kind {
            TurnKind::ToolResult { name } => {
                let caller = turn.recipients.first().unwrap_or(&turn.speaker);
                (name.as_str(), "tool", caller.as_str(), json!({"output": turn.text}))
            }
            _ => (
                "ChatOpenAI",
                "llm",
                turn.speaker.as_str(),
                json!({"generations": [[{"text": "", "type": "ChatGeneration", "message": message}]]}),
            ),
        };
        lines.push(json!({
            "id": id, "name": name, "run_type": run_type, "trace_id": run, "parent_run_id": root_id,
            "dotted_order": format!("{root_dotted}.{}", dotted(turn.ts_us, &id)), "start_time": at, "end_time": at,
            "inputs": {}, "outputs": outputs,
            "extra": {"metadata": {"langgraph_node": agent, "ls_model_name": chain.model, "thread_id": run}},
            "error": null, "session_name": "tvp-simulate", "tags": [],
        }));
    }
    let mut bytes = Vec::with_capacity(512 * lines.len());
    for line in &lines {
        bytes.extend(to_vec(line)?);
        bytes.push(b'\n');
    }
    Ok(vec![Part::Append { dir: Format::LangSmith.name(), prefix: "part", ext: "jsonl", bytes }])
}
