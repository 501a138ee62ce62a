//! Helpers sniffers share for reading JSON-ish heads (a file's first bytes).

/// The head as text with leading whitespace (and a UTF-8 BOM) skipped.
pub fn text(head: &[u8]) -> &str {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // The head may end inside a multi-byte character.
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
    };
    text.trim_start()
}

/// Whether every needle occurs in the head.
pub fn has_all(head: &[u8], needles: &[&str]) -> bool {
    let text = text(head);
    needles.iter().all(|n| text.contains(n))
}
