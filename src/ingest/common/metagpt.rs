//! What MetaGPT's two on-disk records share: the team roster and the `Message` → canonical message mapping.
//!
//! A MetaGPT `Message` (`metagpt/schema.py`) is `{id, content, instruct_content, role, cause_by, sent_from,
//! send_to}`. Agents appear under several labels: `role` is "Alice(Product Manager)" in older releases, the bare
//! profile ("Primary Analyst") in custom roles, or "assistant"/"user" in current ones; `sent_from` is the sending
//! Role's class path ("metagpt.roles.product_manager.ProductManager") or empty; `send_to` holds Role names, class
//! paths, or `<all>` (MetaGPT's default route: every member of the team). The [`Roster`] knows each member's name,
//! profile and addresses and maps any of those labels to one canonical agent name, the Role's `name` ("Alice").
//!
//! Mapping: sender = `sent_from` (resolved) or else `role` (resolved); the human requirement (`cause_by`
//! `...UserRequirement` from "Human"/"user") keeps its label and gets `sender_role` "user"; recipients = `send_to`
//! resolved, with `<all>` expanded to every other member; `channel` = `cause_by` (the action that produced the
//! message, e.g. "metagpt.actions.write_prd.WritePRD").

use serde_json::Value;

use crate::ingest::record::Message;

/// MetaGPT's broadcast address (`MESSAGE_ROUTE_TO_ALL`).
pub const TO_ALL: &str = "<all>";

/// One Role of a team.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Member {
    pub name: String,
    pub profile: String,
    /// Other labels messages use for this Role: class paths, `Name(Profile)`, `addresses` entries.
    pub aliases: Vec<String>,
}

/// The Roles of one team, in the order they were met.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub members: Vec<Member>,
}

impl Roster {
    /// Add a member, or merge what is new about it into the member with the same name.
    pub fn add(&mut self, name: &str, profile: &str, aliases: impl IntoIterator<Item = String>) {
        let name = name.trim();
        let profile = profile.trim();
        if name.is_empty() && profile.is_empty() {
            return;
        }
        let key = if name.is_empty() { profile } else { name };
        let index = match self.members.iter().position(|m| m.name == key) {
            Some(i) => i,
            None => {
                self.members.push(Member { name: key.to_string(), ..Member::default() });
                self.members.len() - 1
            }
        };
        let member = &mut self.members[index];
        if member.profile.is_empty() {
            member.profile = profile.to_string();
        }
        for alias in aliases {
            if !alias.is_empty() && !member.aliases.contains(&alias) {
                member.aliases.push(alias);
            }
        }
    }

    /// The member a label names: its name, profile, `Name(Profile)`, or one of its aliases.
    pub fn find(&self, label: &str) -> Option<&Member> {
        let label = label.trim();
        if label.is_empty() {
            return None;
        }
        let (bare, paren_profile) = split_setting(label);
        self.members.iter().find(|m| {
            m.name == label
                || m.profile == label
                || m.aliases.iter().any(|a| a == label)
                || (paren_profile.is_some() && m.name == bare)
        })
    }

    /// The canonical agent name for a label: the member's name, else the label with a `(Profile)` suffix or a
    /// module path removed ("Alice(Product Manager)" → "Alice", "metagpt.roles.architect.Architect" → "Architect").
    pub fn canonical(&self, label: &str) -> String {
        if let Some(member) = self.find(label) {
            return member.name.clone();
        }
        let label = label.trim();
        let (bare, _) = split_setting(label);
        if bare != label {
            return bare.to_string();
        }
        if !label.contains(' ') && label.contains('.') {
            return label.rsplit('.').next().unwrap_or(label).to_string();
        }
        label.to_string()
    }
}

/// "Alice(Product Manager)" → ("Alice", Some("Product Manager")); anything else → (label, None).
pub fn split_setting(label: &str) -> (&str, Option<&str>) {
    if let Some(open) = label.find('(')
        && label.ends_with(')')
        && open > 0
    {
        let name = label[..open].trim();
        let profile = &label[open + 1..label.len() - 1];
        if !name.is_empty() && !profile.contains('(') {
            return (name, Some(profile));
        }
    }
    (label, None)
}

/// Whether a message is the human requirement that starts a run.
pub fn is_requirement(message: &Value) -> bool {
    message.get("cause_by").and_then(Value::as_str).is_some_and(|c| c.ends_with("UserRequirement"))
}

/// A serialized MetaGPT `Message` as a canonical message, or why it cannot be read.
pub fn message_from(value: &Value, roster: &Roster, run_id: &str, offset: usize) -> Result<Message, String> {
    let Value::Object(fields) = value else {
        return Err(format!("expected a Message object, found {value}"));
    };
    let content = match fields.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(format!("`content` must be a string, found {other}")),
        None => return Err("Message has no `content`".into()),
    };
    let text = |key: &str| fields.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let role = text("role");
    let human = is_requirement(value) && role.is_none_or(|r| matches!(r, "Human" | "user"));
    let sender = if human {
        role.unwrap_or("Human").to_string()
    } else {
        match (text("sent_from"), role) {
            (Some(from), _) => roster.canonical(from),
            (None, Some(role)) => roster.canonical(role),
            (None, None) => return Err("Message has neither `sent_from` nor `role`".into()),
        }
    };
    let send_to: Vec<String> = match fields.get("send_to") {
        None | Some(Value::Null) => vec![TO_ALL.to_string()],
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(|| format!("`send_to` holds a non-string: {v}")))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("`send_to` must be a list of names, found {other}")),
    };
    let mut recipients: Vec<String> = Vec::new();
    for target in &send_to {
        let names: Vec<String> = if target == TO_ALL {
            roster.members.iter().map(|m| m.name.clone()).filter(|n| *n != sender).collect()
        } else {
            vec![roster.canonical(target)]
        };
        for name in names {
            if !recipients.contains(&name) {
                recipients.push(name);
            }
        }
    }

    let mut message = Message::new(run_id, &sender, content, offset);
    message.recipients = recipients;
    message.channel = text("cause_by").map(str::to_string);
    if human {
        message.sender_role = Some("user".into());
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn team() -> Roster {
        let mut roster = Roster::default();
        roster.add("Alice", "Product Manager", ["metagpt.roles.product_manager.ProductManager".to_string()]);
        roster.add("Bob", "Architect", ["metagpt.roles.architect.Architect".to_string()]);
        roster.add("Eve", "Project Manager", []);
        roster
    }

    #[test]
    fn labels_resolve_to_the_role_name() {
        let roster = team();
        assert_eq!(roster.canonical("Alice(Product Manager)"), "Alice");
        assert_eq!(roster.canonical("metagpt.roles.architect.Architect"), "Bob");
        assert_eq!(roster.canonical("Project Manager"), "Eve");
        assert_eq!(roster.canonical("Carol(QA Engineer)"), "Carol");
        assert_eq!(roster.canonical("metagpt.roles.engineer.Engineer"), "Engineer");
        assert_eq!(split_setting("(x)"), ("(x)", None));
    }

    #[test]
    fn messages_route_to_the_team() {
        let roster = team();
        let human = json!({"id": "1", "content": "Build a vault", "role": "Human",
            "cause_by": "metagpt.actions.add_requirement.UserRequirement", "sent_from": "", "send_to": ["<all>"]});
        let m = message_from(&human, &roster, "r", 0).unwrap();
        assert_eq!((m.sender.as_str(), m.sender_role.as_deref()), ("Human", Some("user")));
        assert_eq!(m.recipients, ["Alice", "Bob", "Eve"]);
        let prd = json!({"content": "PRD", "role": "Alice(Product Manager)",
            "cause_by": "metagpt.actions.write_prd.WritePRD",
            "sent_from": "metagpt.roles.product_manager.ProductManager", "send_to": ["<all>"]});
        let m = message_from(&prd, &roster, "r", 0).unwrap();
        assert_eq!(m.sender, "Alice");
        assert_eq!(m.recipients, ["Bob", "Eve"]);
        assert_eq!(m.channel.as_deref(), Some("metagpt.actions.write_prd.WritePRD"));
        let direct = json!({"content": "x", "role": "assistant", "sent_from": "metagpt.roles.architect.Architect",
            "send_to": ["Eve", "metagpt.roles.product_manager.ProductManager"]});
        assert_eq!(message_from(&direct, &roster, "r", 0).unwrap().recipients, ["Eve", "Alice"]);
        assert!(message_from(&json!({"role": "Human"}), &roster, "r", 0).unwrap_err().contains("no `content`"));
        assert!(message_from(&json!({"content": "x", "send_to": 3, "role": "a"}), &roster, "r", 0).is_err());
    }
}
