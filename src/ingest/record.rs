//! What an adapter produces from one file (or one chunk of a large line-oriented file): runs with their metadata,
//! messages in the canonical shape, per-run ground truth when the log carries it, and rejects with their location.
//!
//! `read` counts the records the adapter looked at (lines of a JSONL file, entries of a message list, or the whole
//! file for one-document formats); every one of them ends up ingested or in `rejects`, which the ingester checks.

use crate::schema::kind;

/// Experimental condition of a run; fields the log does not carry stay `None` and may come from a manifest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunMeta {
    pub framework: Option<String>,
    pub backend: Option<String>,
    pub scenario_id: Option<String>,
    pub trust: Option<f64>,
    pub defense: Option<String>,
    pub seed: Option<i64>,
    pub repetition: Option<i32>,
    /// Marked synthetic (simulated) by its manifest.
    pub synthetic: Option<bool>,
    /// Microseconds since the Unix epoch, UTC.
    pub started_at: Option<i64>,
}

impl RunMeta {
    /// Whether the log itself set any of the experimental condition.
    pub fn has_condition(&self) -> bool {
        self.scenario_id.is_some() || self.trust.is_some() || self.defense.is_some() || self.seed.is_some()
    }

    /// Fill the fields this one lacks from `other` (the log wins over a manifest).
    pub fn fill_from(&mut self, other: &RunMeta) {
        fn fill<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>) {
            if mine.is_none() {
                *mine = theirs.clone();
            }
        }
        fill(&mut self.framework, &other.framework);
        fill(&mut self.backend, &other.backend);
        fill(&mut self.scenario_id, &other.scenario_id);
        fill(&mut self.trust, &other.trust);
        fill(&mut self.defense, &other.defense);
        fill(&mut self.seed, &other.seed);
        fill(&mut self.repetition, &other.repetition);
        fill(&mut self.synthetic, &other.synthetic);
        fill(&mut self.started_at, &other.started_at);
    }
}

/// One run (chain, episode) found in a source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunInfo {
    pub run_id: String,
    pub meta: RunMeta,
}

/// One message, thought, tool call or tool result.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub run_id: String,
    /// Order within the run, from 0. Adapters may leave -1 ("in order of appearance"): the writer then numbers
    /// the run's messages as they arrive, which is file order, chunks included.
    pub turn: i32,
    pub ts: Option<i64>,
    pub sender: String,
    pub sender_role: Option<String>,
    pub recipients: Vec<String>,
    pub channel: Option<String>,
    pub kind: &'static str,
    pub content: String,
    pub tool_name: Option<String>,
    pub tool_args: Option<String>,
    pub model: Option<String>,
    pub is_final: bool,
    /// Byte offset of the record in the source file.
    pub source_offset: i64,
}

impl Message {
    /// A plain message with the fields every format has; the rest is set by the adapter as it knows them.
    pub fn new(run_id: &str, sender: &str, content: impl Into<String>, source_offset: usize) -> Message {
        Message {
            run_id: run_id.to_string(),
            turn: -1,
            ts: None,
            sender: sender.to_string(),
            sender_role: None,
            recipients: Vec::new(),
            channel: None,
            kind: kind::MESSAGE,
            content: content.into(),
            tool_name: None,
            tool_args: None,
            model: None,
            is_final: false,
            source_offset: source_offset as i64,
        }
    }
}

/// Ground truth carried by a log for one of its runs (AgentLeak's vault and allowed set, say).
#[derive(Debug, Clone, PartialEq)]
pub struct RunItem {
    pub run_id: String,
    pub item_id: String,
    pub kind: String,
    pub value: String,
    pub match_forms: Vec<String>,
    /// The match kinds that count for this item (`exact`, `normalized`, ...); empty means every kind.
    pub match_kinds: Vec<String>,
    pub in_mni: bool,
    pub is_decoy: bool,
}

/// An action a log declares for one of its runs, with whether it is authorized.
#[derive(Debug, Clone, PartialEq)]
pub struct RunAction {
    pub run_id: String,
    pub action: String,
    pub allowed: bool,
    pub description: Option<String>,
}

/// A record that could not be ingested; `line` is 1-based.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub line: Option<i64>,
    pub byte_offset: Option<i64>,
    pub reason: String,
}

/// Everything an adapter made of one input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub runs: Vec<RunInfo>,
    pub messages: Vec<Message>,
    pub items: Vec<RunItem>,
    pub actions: Vec<RunAction>,
    pub rejects: Vec<Reject>,
    /// Records looked at, counted as they are read (lines, list entries, documents).
    pub read: u64,
    /// Records that made it into a table (a message, a run's ground truth, a header that set run metadata).
    pub ingested: u64,
}

impl Parsed {
    /// A whole input refused with one reason (unparseable document, unknown format, ...).
    pub fn rejected(reason: impl Into<String>, line: Option<i64>, byte_offset: Option<i64>) -> Parsed {
        Parsed { rejects: vec![Reject { line, byte_offset, reason: reason.into() }], read: 1, ..Parsed::default() }
    }

    pub fn reject(&mut self, line: Option<i64>, byte_offset: Option<i64>, reason: impl Into<String>) {
        self.rejects.push(Reject { line, byte_offset, reason: reason.into() });
    }

    /// Records neither ingested nor rejected: an adapter bug the ingester turns into a reject, never a silent loss.
    pub fn unaccounted(&self) -> i64 {
        self.read as i64 - self.ingested as i64 - self.rejects.len() as i64
    }

    /// Append another part (a later chunk of the same file).
    pub fn extend(&mut self, other: Parsed) {
        self.runs.extend(other.runs);
        self.messages.extend(other.messages);
        self.items.extend(other.items);
        self.actions.extend(other.actions);
        self.rejects.extend(other.rejects);
        self.read += other.read;
        self.ingested += other.ingested;
    }
}
