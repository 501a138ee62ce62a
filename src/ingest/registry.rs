//! The registry of formats: every adapter, in detection order (most specific first, generic JSONL last). Only this
//! file imports the adapters; they import the contract from [`super::adapter`], so the registry sits apart from what
//! it registers.

use std::path::Path;

use super::adapter::Adapter;
use super::{agentscope, autogen, camel, crewai, evals, generic, langchain, metagpt, spans};
use crate::format::Format;

/// Every format tvp reads, in the order detection tries them.
pub fn adapters() -> &'static [&'static dyn Adapter] {
    &[
        &evals::agentleak::AgentLeak,
        &autogen::autogen02_log::Autogen02Log,
        &autogen::autogen02_sqlite::Autogen02Sqlite,
        &autogen::magentic_one::MagenticOne,
        &autogen::autogen02_chat::Autogen02Chat,
        &autogen::autogen04::Autogen04,
        &agentscope::agentscope::AgentScope,
        &crewai::crewai_log::CrewAiLog,
        &crewai::crewai_output::CrewAiOutput,
        &langchain::langsmith::LangSmith,
        &langchain::langgraph::LangGraph,
        &evals::inspect::Inspect,
        &spans::openai_agents::OpenAiAgents,
        &spans::otel_genai_jsonl::OtelGenAiJsonl,
        &spans::otel_genai::OtelGenAi,
        &spans::langfuse::Langfuse,
        &camel::camel_workforce::CamelWorkforce,
        &camel::camel_model_log::CamelModelLog,
        &camel::camel_roleplay::CamelRoleplay,
        &metagpt::metagpt_team::MetagptTeam,
        &metagpt::metagpt_log::MetagptLog,
        &evals::taubench::TauBench,
        &generic::jsonl::GenericJsonl,
    ]
}

/// The adapter that reads `format`.
pub fn adapter(format: Format) -> &'static dyn Adapter {
    adapters().iter().copied().find(|a| a.format() == format).expect("every format has an adapter (tested)")
}

/// The adapter of a format name, case-insensitively.
pub fn by_name(name: &str) -> Option<&'static dyn Adapter> {
    Format::from_name(name).map(adapter)
}

/// The first adapter that recognizes the file.
pub fn detect(path: &Path, head: &[u8]) -> Option<&'static dyn Adapter> {
    adapters().iter().copied().find(|a| a.sniff(path, head))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_one_adapter_in_detection_order() {
        let formats: Vec<Format> = adapters().iter().map(|a| a.format()).collect();
        assert_eq!(formats, Format::ALL);
    }
}
