//! One simulated chain (episode) as the dialogue engine produces it and the format writers record it: the run's
//! condition and its turns in order, each with speaker, role, addressees, kind and text.
//!
//! This is the contract between the engine and the writers in `formats/`: a writer records every turn, in order,
//! the way its framework would, so that ingesting the file gives back one message per turn with the same sender,
//! kind, content, tool name and arguments (a format that cannot carry something says so in its module header).

use crate::schema::kind;

/// The experimental condition of a chain: what the manifest and truth file record for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainMeta {
    /// None for a simulated deployment, which has no scenario and no trust level.
    pub scenario_id: Option<String>,
    pub trust: Option<f64>,
    pub backend: String,
    pub framework: String,
    /// `none`, `repartitioning` or `guardian`.
    pub defense: String,
    /// The chain's own seed (derived from the corpus seed and the chain's index).
    pub seed: u64,
    pub repetition: u32,
}

/// Who speaks a turn, by the scenario's roles.
impl ChainMeta {
    /// What the run is about, for the formats that title a run or a task: the scenario, else the framework.
    pub fn title(&self) -> &str {
        self.scenario_id.as_deref().unwrap_or(&self.framework)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Custodian,
    Seeker,
    Guardian,
    /// A tool answering a call (its speaker is the tool's name).
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Custodian => "custodian",
            Role::Seeker => "seeker",
            Role::Guardian => "guardian",
            Role::Tool => "tool",
        }
    }
}

/// What a turn is. Tool calls carry the action id as the tool name and JSON arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum TurnKind {
    /// Said to the recipients.
    Message,
    /// Private reasoning of the speaker (AgentScope `thought`, AutoGen `ThoughtEvent`): never outward.
    Thought,
    /// A tool call; `args` is a JSON object as text.
    ToolCall { name: String, args: String },
    /// The tool's answer to the preceding call of the same name.
    ToolResult { name: String },
}

impl TurnKind {
    /// The canonical `messages.kind` this turn ingests as.
    pub fn canonical(&self) -> &'static str {
        match self {
            TurnKind::Message => kind::MESSAGE,
            TurnKind::Thought => kind::THOUGHT,
            TurnKind::ToolCall { .. } => kind::TOOL_CALL,
            TurnKind::ToolResult { .. } => kind::TOOL_RESULT,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub speaker: String,
    pub role: Role,
    /// Addressees by name; a tool call is addressed to the tool (its name).
    pub recipients: Vec<String>,
    pub kind: TurnKind,
    /// The text: what is said, thought, or (for a tool call) a short note; a tool result's output.
    pub text: String,
    /// Microseconds since the Unix epoch, UTC; strictly increasing within a chain.
    pub ts_us: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// Unique within a corpus, e.g. `sim-s7-000042`; the ingested `runs.run_id`.
    pub run_id: String,
    /// The chain's index in the corpus (generation order).
    pub index: u64,
    pub meta: ChainMeta,
    /// The model name an LLM-call format records (e.g. `qwen-max`), derived from the backend.
    pub model: String,
    pub turns: Vec<Turn>,
}

impl Chain {
    /// Start of the chain: the first turn's timestamp.
    pub fn started_at_us(&self) -> i64 {
        self.turns.first().map_or(0, |t| t.ts_us)
    }
}
