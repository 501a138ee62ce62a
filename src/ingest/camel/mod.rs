//! CAMEL-AI: Workforce logs, model-call logs and role-playing transcripts.

pub mod camel_model_log;
pub mod camel_roleplay;
pub mod camel_workforce;
