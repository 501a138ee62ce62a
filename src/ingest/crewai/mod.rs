//! CrewAI records → canonical messages, one run per file: the crew's `output_log_file` and TaskOutput/CrewOutput
//! dumps.
//!
//! `Crew(output_log_file=...)` logs each task twice through `FileHandler.log`: when it starts (`task_name`, `task` =
//! the description, `agent` = the agent's role, `status="started"`) and when it completes (the same plus `output` =
//! the raw result; releases before `output` existed put the result in `task`). A `.json` log is a list of those
//! entries with a `timestamp`; any other log is text, one `YYYY-MM-DD HH:MM:SS: key="value", ...` record per entry
//! (values are not escaped and may span lines). A TaskOutput / CrewOutput `model_dump` holds each task's
//! `description`, `agent` and `raw` result, and in recent releases the agent's LLM `messages`.
//!
//! A task start is a message from `crew` to the agent; a task result is the agent's message to the agents of the
//! later tasks (CrewAI passes earlier results on as context), or to `user` for the last task. An agent's own LLM
//! conversation, where a TaskOutput has it, is split in the ReAct form CrewAI prompts for: `Thought` text is a
//! THOUGHT, `Action`/`Action Input` a TOOL_CALL, `Observation` the TOOL_RESULT.

pub mod crewai_log;
pub mod crewai_output;
#[cfg(test)]
mod tests;
