//! Byte positions inside a JSON document that `serde_json::Value` forgets: where each element of an array starts and
//! where the value of an object member starts.
//!
//! One-document adapters parse the whole file with serde_json (which reports a broken document with its line and
//! column), then ask this module where each record sits so messages carry their `source_offset` and rejects their
//! line. The scanner only skips over strings and brackets; it is meant for documents serde_json has already accepted,
//! and answers `None` (never panics) on anything it does not expect, so callers fall back to the enclosing record.

/// Index of the first byte at or after `i` that is not JSON whitespace.
pub fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Index just past the string that opens at `bytes[i] == b'"'`.
fn string_end(bytes: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// Index just past the JSON value that starts at or after `start` (leading whitespace skipped).
pub fn value_end(bytes: &[u8], start: usize) -> Option<usize> {
    let i = skip_ws(bytes, start);
    match bytes.get(i)? {
        b'"' => string_end(bytes, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < bytes.len() {
                match bytes[j] {
                    b'"' => {
                        j = string_end(bytes, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < bytes.len() && !matches!(bytes[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// Start offsets of the elements of the array that starts at or after `start`.
pub fn array_elements(bytes: &[u8], start: usize) -> Option<Vec<usize>> {
    let mut i = skip_ws(bytes, start);
    if *bytes.get(i)? != b'[' {
        return None;
    }
    i = skip_ws(bytes, i + 1);
    let mut starts = Vec::new();
    if *bytes.get(i)? == b']' {
        return Some(starts);
    }
    loop {
        starts.push(i);
        i = skip_ws(bytes, value_end(bytes, i)?);
        match bytes.get(i)? {
            b',' => i = skip_ws(bytes, i + 1),
            b']' => return Some(starts),
            _ => return None,
        }
    }
}

/// Start offset of the value of member `key` of the object that starts at or after `start`.
pub fn object_member(bytes: &[u8], start: usize, key: &str) -> Option<usize> {
    let mut i = skip_ws(bytes, start);
    if *bytes.get(i)? != b'{' {
        return None;
    }
    i = skip_ws(bytes, i + 1);
    loop {
        if *bytes.get(i)? != b'"' {
            return None;
        }
        let key_end = string_end(bytes, i)?;
        let raw = &bytes[i + 1..key_end - 1];
        let matches = if raw.contains(&b'\\') {
            serde_json::from_slice::<String>(&bytes[i..key_end]).is_ok_and(|k| k == key)
        } else {
            raw == key.as_bytes()
        };
        i = skip_ws(bytes, key_end);
        if *bytes.get(i)? != b':' {
            return None;
        }
        i = skip_ws(bytes, i + 1);
        if matches {
            return Some(i);
        }
        i = skip_ws(bytes, value_end(bytes, i)?);
        match bytes.get(i)? {
            b',' => i = skip_ws(bytes, i + 1),
            _ => return None,
        }
    }
}

/// The member names of the object that starts at or after `start`, in file order (`serde_json::Map` sorts them).
pub fn object_keys(bytes: &[u8], start: usize) -> Option<Vec<String>> {
    let mut i = skip_ws(bytes, start);
    if *bytes.get(i)? != b'{' {
        return None;
    }
    i = skip_ws(bytes, i + 1);
    let mut keys = Vec::new();
    if *bytes.get(i)? == b'}' {
        return Some(keys);
    }
    loop {
        if *bytes.get(i)? != b'"' {
            return None;
        }
        let key_end = string_end(bytes, i)?;
        keys.push(serde_json::from_slice::<String>(&bytes[i..key_end]).ok()?);
        i = skip_ws(bytes, key_end);
        if *bytes.get(i)? != b':' {
            return None;
        }
        i = skip_ws(bytes, value_end(bytes, i + 1)?);
        match bytes.get(i)? {
            b',' => i = skip_ws(bytes, i + 1),
            b'}' => return Some(keys),
            _ => return None,
        }
    }
}

/// Start offset of the value reached by following object member names from the value at `start`.
pub fn member_path(bytes: &[u8], start: usize, keys: &[&str]) -> Option<usize> {
    keys.iter().try_fold(start, |at, key| object_member(bytes, at, key))
}

/// 1-based line number of byte `offset`.
pub fn line_at(bytes: &[u8], offset: usize) -> i64 {
    1 + bytes[..offset.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_elements_and_members_past_tricky_strings() {
        let doc = br#"[ {"a": "x]\"}", "traj": [1, {"b": [2]}, "s,t"]}, 7 ,"z"]"#;
        let elements = array_elements(doc, 0).unwrap();
        assert_eq!(elements.len(), 3);
        assert_eq!(doc[elements[1]], b'7');
        assert_eq!(doc[elements[2]], b'"');
        let traj = object_member(doc, elements[0], "traj").unwrap();
        let inner = array_elements(doc, traj).unwrap();
        assert_eq!(inner.len(), 3);
        assert_eq!(&doc[inner[1]..value_end(doc, inner[1]).unwrap()], br#"{"b": [2]}"#);
        assert_eq!(object_member(doc, elements[0], "missing"), None);
        assert_eq!(member_path(br#"{"env": {"h\u0069story": {"storage": []}}}"#, 0, &["env", "history"]), Some(25));
        assert_eq!(object_keys(br#"{"b": {"x": 1}, "a": [], "c\u0064": 2}"#, 0).unwrap(), ["b", "a", "cd"]);
    }

    #[test]
    fn gives_up_quietly_on_broken_input() {
        assert_eq!(array_elements(b"[1, 2", 0), None);
        assert_eq!(array_elements(b"{}", 0), None);
        assert_eq!(object_member(b"{\"a\" 1}", 0, "a"), None);
        assert_eq!(value_end(b"", 0), None);
        assert_eq!(line_at(b"a\nb\nc", 4), 3);
    }
}
