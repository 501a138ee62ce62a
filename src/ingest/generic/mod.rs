//! Formats of no framework: tvp's documented generic JSONL.

pub mod jsonl;
