//! tvp: audit recorded LLM multi-agent transcripts for trust-induced over-exposure.
//!
//! The pipeline is ingest (framework logs → Arrow → Parquet store) → label (DataFusion SQL rules against the MNI
//! ground truth) → metrics and fits → report. This crate is the library; `src/main.rs` is a thin CLI over it.

pub mod catalog;
pub mod cluster;
pub mod error;
pub mod figures;
pub mod findings;
pub mod fit;
pub mod format;
pub mod ingest;
pub mod label;
pub mod mask;
pub mod metrics;
pub mod pipeline;
pub mod policy;
pub mod report;
pub mod schema;
pub mod simulate;
pub mod sql;
pub mod stats;
pub mod store;
pub mod validity;

pub use error::{Error, Result};
