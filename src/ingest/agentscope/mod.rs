//! AgentScope's own logs, all four on-disk generations (its OpenTelemetry spans are read by
//! [`crate::ingest::spans::otel_genai`]).

// The file is named for the format it reads, as every adapter file is.
#[allow(clippy::module_inception)]
pub mod agentscope;
