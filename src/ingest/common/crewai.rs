//! What the CrewAI adapters share: who a task's result goes to.

/// The agents of later tasks (each once, not the sender), or `user` when none follows.
pub(crate) fn downstream<'a>(sender: &str, later_agents: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut recipients: Vec<String> = Vec::new();
    for agent in later_agents {
        if agent != sender && !recipients.iter().any(|r| r == agent) {
            recipients.push(agent.to_string());
        }
    }
    if recipients.is_empty() {
        recipients.push("user".into());
    }
    recipients
}
