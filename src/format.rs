//! The formats tvp reads, one enum: each format's `--format` name, the framework that writes it, what files it
//! reads and which canonical fields it lacks. Ingest's registry pairs each with its adapter, the simulator's writers
//! encode each, and `tvp formats` lists them; no other place spells a format's name.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A transcript format, in the order detection tries them (most specific first, generic JSONL last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    AgentLeak,
    Autogen02Log,
    Autogen02Sqlite,
    MagenticOne,
    Autogen02Chat,
    Autogen04,
    AgentScope,
    CrewAiLog,
    CrewAiOutput,
    LangSmith,
    LangGraph,
    Inspect,
    OpenAiAgents,
    OtelGenAiJsonl,
    OtelGenAi,
    Langfuse,
    CamelWorkforce,
    CamelModelLog,
    CamelRoleplay,
    MetagptTeam,
    MetagptLog,
    TauBench,
    Jsonl,
}

impl Format {
    /// Every format, in detection order.
    pub const ALL: [Format; 23] = [
        Format::AgentLeak,
        Format::Autogen02Log,
        Format::Autogen02Sqlite,
        Format::MagenticOne,
        Format::Autogen02Chat,
        Format::Autogen04,
        Format::AgentScope,
        Format::CrewAiLog,
        Format::CrewAiOutput,
        Format::LangSmith,
        Format::LangGraph,
        Format::Inspect,
        Format::OpenAiAgents,
        Format::OtelGenAiJsonl,
        Format::OtelGenAi,
        Format::Langfuse,
        Format::CamelWorkforce,
        Format::CamelModelLog,
        Format::CamelRoleplay,
        Format::MetagptTeam,
        Format::MetagptLog,
        Format::TauBench,
        Format::Jsonl,
    ];

    /// The `--format` name, e.g. `agentleak`.
    pub fn name(self) -> &'static str {
        match self {
            Format::AgentLeak => "agentleak",
            Format::Autogen02Log => "autogen02-log",
            Format::Autogen02Sqlite => "autogen02-sqlite",
            Format::MagenticOne => "magentic-one",
            Format::Autogen02Chat => "autogen02-chat",
            Format::Autogen04 => "autogen04",
            Format::AgentScope => "agentscope",
            Format::CrewAiLog => "crewai-log",
            Format::CrewAiOutput => "crewai-output",
            Format::LangSmith => "langsmith",
            Format::LangGraph => "langgraph",
            Format::Inspect => "inspect",
            Format::OpenAiAgents => "openai-agents",
            Format::OtelGenAiJsonl => "otel-genai-jsonl",
            Format::OtelGenAi => "otel-genai",
            Format::Langfuse => "langfuse",
            Format::CamelWorkforce => "camel-workforce",
            Format::CamelModelLog => "camel-model-log",
            Format::CamelRoleplay => "camel-roleplay",
            Format::MetagptTeam => "metagpt-team",
            Format::MetagptLog => "metagpt-log",
            Format::TauBench => "taubench",
            Format::Jsonl => "jsonl",
        }
    }

    /// The framework that writes it, as stored in `runs.framework` (an adapter may name a more precise one per run).
    pub fn framework(self) -> &'static str {
        match self {
            Format::AgentLeak => "AgentLeak",
            Format::Autogen02Log => "AutoGen 0.2",
            Format::Autogen02Sqlite => "AutoGen 0.2",
            Format::MagenticOne => "Magentic-One (AutoGen)",
            Format::Autogen02Chat => "AutoGen 0.2",
            Format::Autogen04 => "AutoGen 0.4",
            Format::AgentScope => "AgentScope",
            Format::CrewAiLog => "CrewAI",
            Format::CrewAiOutput => "CrewAI",
            Format::LangSmith => "LangSmith",
            Format::LangGraph => "LangGraph",
            Format::Inspect => "Inspect AI",
            Format::OpenAiAgents => "OpenAI Agents SDK",
            Format::OtelGenAiJsonl => "OpenTelemetry GenAI",
            Format::OtelGenAi => "OpenTelemetry GenAI",
            Format::Langfuse => "Langfuse",
            Format::CamelWorkforce => "CAMEL",
            Format::CamelModelLog => "CAMEL",
            Format::CamelRoleplay => "CAMEL",
            Format::MetagptTeam => "MetaGPT",
            Format::MetagptLog => "MetaGPT",
            Format::TauBench => "tau-bench",
            Format::Jsonl => "generic",
        }
    }

    /// One line for `tvp formats`: what files it reads.
    pub fn reads(self) -> &'static str {
        match self {
            Format::AgentLeak => {
                "AgentLeak benchmark traces (.json): vault → items, allowed_set → MNI, channel_messages → messages"
            }
            Format::Autogen02Log => {
                "AutoGen 0.2 / AG2 runtime file log (runtime.log): received_message events → messages, tool calls and \
                results; LLM calls → model; one run per logging session"
            }
            Format::Autogen02Sqlite => {
                "AutoGen 0.2 / AG2 runtime SQLite log (logs.db): events → messages, tool calls and results; \
                chat_completions → model; one run per session_id"
            }
            Format::MagenticOne => {
                "Magentic-One histories as exported by the Who&When dataset (.json): history of {content, role} with \
                labels such as \"Orchestrator (-> WebSurfer)\" and \"Orchestrator (thought)\""
            }
            Format::Autogen02Chat => {
                "AutoGen 0.2 / AG2 chat histories (.json): ChatResult.chat_history, groupchat.messages, lists of \
                ChatResults, Who&When CaptainAgent exports"
            }
            Format::Autogen04 => {
                "AutoGen AgentChat 0.4+ TaskResult / message dumps, team and agent state (save_state), autogen-core \
                LLMMessage histories (.json)"
            }
            Format::AgentScope => {
                "AgentScope logs: runs/<run>/logging.chat (0.0/0.1 Msg lines, DictDialogAgent thought/speak), memory exports \
                (.json Msg lists), 1.x session state (.json), 2.x sessions/<id>/context.jsonl"
            }
            Format::CrewAiLog => {
                "CrewAI output_log_file logs: .json lists of {timestamp, task_name, task, agent, status, output} and text \
                lines `YYYY-MM-DD HH:MM:SS: task_name=\"...\", task=\"...\", agent=\"...\", status=\"...\"`"
            }
            Format::CrewAiOutput => {
                "CrewAI TaskOutput / CrewOutput dumps (.json: {description, agent, raw, ...} or {raw, tasks_output, \
                token_usage}, or a list of them)"
            }
            Format::LangSmith => {
                "LangSmith run exports (.json list or .jsonl of runs with run_type, trace_id, inputs/outputs): one run per \
                trace, messages from llm and tool runs (or the root run's final state)"
            }
            Format::LangGraph => {
                "LangChain message lists (messages_to_dict, lc-serialized) and LangGraph state, checkpoint and thread-history \
                dumps (.json with values.messages, channel_values.messages or messages)"
            }
            Format::Inspect => {
                "Inspect AI eval logs (.json EvalLog and .eval zip archives): one run per sample and epoch, messages from \
                sample.messages"
            }
            Format::OpenAiAgents => {
                "OpenAI Agents SDK trace exports (.json {\"data\": [...]} payloads, .jsonl of trace/span objects): \
                generation, function and handoff spans → messages, tool calls, handoffs"
            }
            Format::OtelGenAiJsonl => {
                "OpenTelemetry GenAI spans, OTLP JSON lines (.jsonl, one export request per line, as the collector's file \
                exporter writes): chat, invoke_agent and execute_tool spans → messages, tool calls"
            }
            Format::OtelGenAi => {
                "OpenTelemetry GenAI spans, OTLP JSON (.json, one export request): chat, invoke_agent and execute_tool \
                spans → messages, tool calls"
            }
            Format::Langfuse => {
                "Langfuse trace exports (.json trace with observations, lists and {data: [...]} pages, .jsonl): generations, \
                agents and tools → messages, tool calls"
            }
            Format::CamelWorkforce => {
                "CAMEL Workforce event logs (.json array of worker_created/task_* events): one record per event; \
                assignments → handoffs, completions → worker replies"
            }
            Format::CamelModelLog => {
                "CAMEL model-call logs (camel_logs/<agent_id>/conv_*.json): the call's new prompt messages and the \
                model's reply; replayed history is consumed once"
            }
            Format::CamelRoleplay => {
                "CAMEL RolePlaying dumps (ai_society/code style .json with role_1, role_2, message_1..n): one record per \
                message plus the session header"
            }
            Format::MetagptTeam => {
                "MetaGPT team storage (storage/team/team.json): env.history (Memory or flat text) or the roles' memories → \
                messages, env.roles → the team"
            }
            Format::MetagptLog => {
                "MetaGPT loguru logs (logs/<date>.txt): one record per publish_message entry; other entries are \
                diagnostics used only for the roster and model; runs split at Team.invest / a new human requirement"
            }
            Format::TauBench => {
                "tau-bench result files (.json array of {task_id, trial, reward, info, traj}): one run per task and trial, \
                one record per result and per trajectory message"
            }
            Format::Jsonl => {
                "generic JSONL (.jsonl): one message per line with run_id, sender, recipients, channel, content (see README)"
            }
        }
    }

    /// Canonical fields the format does not record (`tvp formats` and the README say so).
    pub fn lacks(self) -> &'static str {
        match self {
            Format::AgentLeak => "per-message timestamps (the trace time is the run start); trust, defense, seed",
            Format::Autogen02Log => {
                "turn numbers (file order); sender roles; trust, scenario, defense, seed (use a manifest); function-use \
                records name no function (matched to the tool call they execute)"
            }
            Format::Autogen02Sqlite => {
                "byte offsets and line numbers (rows are located by table and row id); turn numbers (timestamp order); \
                sender roles; trust, scenario, defense, seed (use a manifest)"
            }
            Format::MagenticOne => {
                "timestamps; models; turn numbers (list order); tool calls (agents report their web and code actions as \
                text); recipients of agents' replies (derived: broadcast to the team); run ids (file name and hash)"
            }
            Format::Autogen02Chat => {
                "timestamps; models; turn numbers (list order); recipients (derived: each message goes to all other \
                participants of the chat); run ids (file name and hash, or `chat_id`); trust, scenario, defense, seed"
            }
            Format::Autogen04 => {
                "models (models_usage counts tokens only); timestamps in LLM contexts and before 0.5 (created_at); turn \
                numbers (list order); recipients (derived: team chat → all other participants, LLM context → the agent \
                answered or answering, handoffs → target); run ids unless the team state has one; trust, scenario, seed"
            }
            Format::AgentScope => {
                "recipients (derived: msghub broadcast to every other participant of the run; tool calls go to the tool, \
                tool results to the caller); backend model; time zone (0.x/1.x timestamps are local time, read as UTC); \
                trust, defense, scenario, seed"
            }
            Format::CrewAiLog => {
                "recipients (derived: a task start goes from `crew` to its agent; a task result goes to the agents of the \
                later tasks, which receive it as context, or to `user` after the last task); the agents' reasoning and tool \
                calls; run id (one run per file, named after it); model; time zone (local time, read as UTC); trust, \
                defense, scenario, seed"
            }
            Format::CrewAiOutput => {
                "timestamps; recipients (derived: a task's description goes from `crew` to its agent; a task result goes to \
                the agents of the later tasks, which receive it as context, or to `user` after the last task); model; \
                run id (one run per crew output, named after the file); trust, defense, scenario, seed"
            }
            Format::LangSmith => {
                "recipients (derived: every other participant of the trace, tool calls to the tool, results to the caller, \
                transfer_to_<agent> handoffs to the agent); agent names where neither the message name nor LangGraph \
                metadata gives one (the run name is used); trust, defense, scenario, seed"
            }
            Format::LangGraph => {
                "timestamps (LangChain messages carry none); recipients (derived: the shared message state reaches every \
                other participant, tool calls go to the tool, results to the caller, transfer_to_<agent> handoffs to the \
                agent); run id unless the dump has a thread_id; trust, defense, scenario, seed"
            }
            Format::Inspect => {
                "agent names (one assistant per sample; recipients derived: two-party chat with tools); timestamps of \
                system and user messages; trust, defense (unless the sample or task metadata sets them)"
            }
            Format::OpenAiAgents => {
                "message text when the Responses model was used (its spans keep only a response id); per-message \
                timestamps (span start and end stand in); recipients of agent replies (derived: the last user-role \
                speaker of the call's input)"
            }
            Format::OtelGenAiJsonl => {
                "message timestamps (span start and end stand in); recipients of replies (derived: the last \
                user-role speaker of the call's input); message text unless the instrumentation captured content"
            }
            Format::OtelGenAi => {
                "message timestamps (span start and end stand in); recipients of replies (derived: the last \
                user-role speaker of the call's input); message text unless the instrumentation captured content"
            }
            Format::Langfuse => {
                "the framework that produced the trace (recorded as Langfuse); per-message timestamps (observation start \
                and end stand in); agent names unless AGENT observations or metadata give them; recipients of replies \
                (derived: the last user-role speaker of the call's input)"
            }
            Format::CamelWorkforce => {
                "the agents' intermediate turns and tool calls (only task descriptions and result summaries are logged); \
                recipients derived (coordinator ↔ worker); backend model"
            }
            Format::CamelModelLog => {
                "agent and user names (the agent is \"assistant\", its counterpart \"user\"); recipients derived \
                (two-party exchange); time zone of the timestamps (local time, read as UTC)"
            }
            Format::CamelRoleplay => {
                "timestamps; backend model; recipients derived (two-party chat: each message goes to the other role)"
            }
            Format::MetagptTeam => {
                "timestamps; a run id (one file = one run); the backend model unless an action names it; in the flat-text \
                history layout, cause_by and send_to (recipients derived: the rest of the team)"
            }
            Format::MetagptLog => {
                "run ids (runs are numbered in file order); time zone (local time, read as UTC); the agents' private \
                prompts (aask entries are not messages)"
            }
            Format::TauBench => {
                "timestamps; agent names (the parties are \"user\", \"assistant\" and the tools); recipients derived \
                (two-party chat plus tools); the backend model unless info records it; trust, scenario"
            }
            Format::Jsonl => "nothing: every canonical field has a key; absent optional keys stay null",
        }
    }

    /// The format of a name, case-insensitively.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(name: &str) -> Result<Format> {
        Format::from_name(name).ok_or_else(|| Error::UnknownFormat { name: name.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        for format in Format::ALL {
            assert_eq!(format.name().parse::<Format>().unwrap(), format);
            assert_eq!(Format::from_name(&format.name().to_uppercase()), Some(format));
            assert_eq!(Format::ALL.iter().filter(|f| f.name() == format.name()).count(), 1, "{format}");
        }
        assert!("no-such-format".parse::<Format>().is_err());
    }
}
