//! TEMPORARY local scaffold (never committed): replaced by the formats branch.
use super::chain::Chain;
use std::io::Write;
pub fn names() -> Vec<&'static str> {
    vec!["jsonl"]
}
pub fn native(_framework: &str) -> &'static str {
    "jsonl"
}
pub struct Encoded {
    bytes: Vec<u8>,
}
pub fn encode(_format: &str, chain: &Chain) -> crate::Result<Encoded> {
    let mut bytes = Vec::new();
    for (i, t) in chain.turns.iter().enumerate() {
        let v = serde_json::json!({"run_id": chain.run_id, "turn": i, "sender": t.speaker, "sender_role": t.role.as_str(), "recipients": t.recipients, "kind": t.kind.canonical(), "content": t.text,
          "tool_name": match &t.kind { super::chain::TurnKind::ToolCall{name, ..} | super::chain::TurnKind::ToolResult{name} => Some(name.clone()), _ => None },
          "tool_args": match &t.kind { super::chain::TurnKind::ToolCall{args, ..} => Some(args.clone()), _ => None }});
        serde_json::to_writer(&mut bytes, &v).unwrap();
        bytes.push(b'\n');
    }
    Ok(Encoded { bytes })
}
pub struct Sink {
    f: std::io::BufWriter<std::fs::File>,
    path: std::path::PathBuf,
}
impl Sink {
    pub fn new(out: &std::path::Path) -> crate::Result<Sink> {
        let path = out.join("chains.jsonl");
        Ok(Sink { f: std::io::BufWriter::new(std::fs::File::create(&path).unwrap()), path })
    }
    pub fn put(&mut self, e: Encoded) -> crate::Result<u64> {
        self.f.write_all(&e.bytes).unwrap();
        Ok(e.bytes.len() as u64)
    }
    pub fn finish(mut self) -> crate::Result<Vec<std::path::PathBuf>> {
        self.f.flush().unwrap();
        Ok(vec![self.path])
    }
}
