//! Microsoft AutoGen and what is built on it: 0.2 / AG2 runtime logs (file and SQLite), saved 0.2 chat histories,
//! AgentChat 0.4 message lists and Magentic-One histories. What they share is in [`crate::ingest::common::autogen`].

pub mod autogen02_chat;
pub mod autogen02_log;
pub mod autogen02_sqlite;
pub mod autogen04;
pub mod magentic_one;
