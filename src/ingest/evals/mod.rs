//! Records of evaluation harnesses and benchmarks: AgentLeak traces, tau-bench results and Inspect AI eval logs.

pub mod agentleak;
pub mod inspect;
pub mod taubench;
