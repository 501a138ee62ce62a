//! Span exports of tracing tools: OpenTelemetry GenAI (OTLP JSON, one document or one per line), the OpenAI Agents
//! SDK's traces and Langfuse exports. LLM-call turns are read by [`crate::ingest::common::llm_calls`].

pub mod langfuse;
pub mod openai_agents;
pub mod otel_genai;
pub mod otel_genai_jsonl;
