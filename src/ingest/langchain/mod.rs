//! LangChain and LangGraph: message lists and LangGraph state dumps, and LangSmith run exports; the message decoder
//! they share is in [`crate::ingest::common::langchain`].

pub mod langgraph;
pub mod langsmith;
