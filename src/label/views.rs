//! Views of a text beyond the literal one, for the matcher: Unicode-folded text and decoded tokens.
//!
//! - [`fold`]: NFKC compatibility forms (full-width `０１０７` → `0107`, ligatures), zero-width characters and soft
//!   hyphens removed, lower case; with a map from each folded byte back to the original, so spans stay exact.
//! - [`encoded_tokens`]: the tokens of a text that look encoded (base64 standard or URL-safe, hex, percent-encoding,
//!   `\u` escapes), each decoded, with the transform's name. A token is decoded only when the result is mostly
//!   printable text: hashes, UUIDs, commit ids, data URIs, random ciphertext never pass that test, so they never
//!   reach the matcher.
//! - [`rot13`] and [`reversed`]: forms of a secret written in ROT13 or backwards, searched as literal forms.

use base64::Engine;
use unicode_normalization::UnicodeNormalization;

/// Characters removed before matching: they are invisible and only break a value apart.
fn invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Whether a text needs folding at all (plain ASCII does not: the automata ignore ASCII case).
pub fn needs_folding(text: &str) -> bool {
    !text.is_ascii()
}

/// A folded form of a literal (an item's value): the same folding the text gets.
pub fn fold_form(form: &str) -> String {
    fold(form).0
}

/// The folded text and, for each of its bytes, the byte offset in `text` of the character it came from.
pub fn fold(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len());
    for (offset, c) in text.char_indices() {
        if c.is_ascii() {
            // NFKC leaves ASCII as it is and no ASCII character is invisible: the common case needs no tables.
            out.push(c.to_ascii_lowercase());
            map.push(offset);
            continue;
        }
        if invisible(c) {
            continue;
        }
        for normal in std::iter::once(c).nfkc() {
            if invisible(normal) {
                continue;
            }
            for lower in normal.to_lowercase() {
                let before = out.len();
                out.push(lower);
                map.extend(std::iter::repeat_n(offset, out.len() - before));
            }
        }
    }
    (out, map)
}

/// The span in the original text of a span `[start, end)` of a folded text, using the fold's map.
pub fn unfold_span(text: &str, map: &[usize], start: usize, end: usize) -> (usize, usize) {
    let first = map[start];
    let last = map[end - 1];
    (first, last + text[last..].chars().next().map_or(1, char::len_utf8))
}

/// A token of a text that decoded to printable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub start: usize,
    pub end: usize,
    /// The transform: `base64`, `hex`, `percent`, `unicode-escape`.
    pub transform: &'static str,
    pub text: String,
}

/// Tokens shorter than this are not decoded: `MDEw` is as likely a word as an encoding.
const MIN_TOKEN: usize = 8;

fn token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'_' | b'-' | b'%' | b'\\')
}

/// Every token of `text` that decodes (by the first transform that applies) to mostly printable text.
pub fn encoded_tokens(text: &str) -> Vec<Decoded> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !token_char(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && token_char(bytes[i]) {
            i += 1;
        }
        // Trailing padding-like punctuation of a sentence is not part of a token ("…Nw==." keeps "==").
        let token = &text[start..i];
        if token.len() >= MIN_TOKEN
            && let Some((transform, decoded)) = decode(token)
        {
            out.push(Decoded { start, end: i, transform, text: decoded });
        }
    }
    out
}

/// Decode one token by the first transform whose alphabet it fits and whose result is printable.
fn decode(token: &str) -> Option<(&'static str, String)> {
    if token.contains('%') {
        return percent_decode(token).filter(|d| printable(d)).map(|d| ("percent", d));
    }
    if token.contains("\\u") {
        return unicode_unescape(token).filter(|d| printable(d)).map(|d| ("unicode-escape", d));
    }
    if token.len().is_multiple_of(2)
        && token.bytes().all(|b| b.is_ascii_hexdigit())
        && let Some(d) = hex_decode(token).filter(|d| printable(d))
    {
        return Some(("hex", d));
    }
    if !looks_base64(token) {
        return None;
    }
    base64_decode(token).filter(|d| printable(d)).map(|d| ("base64", d))
}

/// Base64 of text is mixed-case: a token with padding, `+` or `/`, or with two capitals and a lower-case letter or a
/// digit. Plain words, capitalized words and snake_case names (the bulk of a transcript's long tokens) are not tried.
fn looks_base64(token: &str) -> bool {
    if token.contains(['=', '+', '/']) {
        return true;
    }
    let upper = token.bytes().filter(u8::is_ascii_uppercase).count();
    upper >= 2 && token.bytes().any(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Mostly printable text: valid UTF-8 (checked by the caller's `String`), no control characters but whitespace,
/// and at least 90 % letters, digits, punctuation or spaces (all of them for short texts).
fn printable(text: &str) -> bool {
    let mut total = 0usize;
    let mut good = 0usize;
    for c in text.chars() {
        total += 1;
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
            return false;
        }
        if c.is_alphanumeric() || c.is_whitespace() || c.is_ascii_punctuation() {
            good += 1;
        }
    }
    total > 0 && if total <= 12 { good == total } else { good * 10 >= total * 9 }
}

fn percent_decode(token: &str) -> Option<String> {
    let bytes = token.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut escapes = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            escapes += 1;
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    (escapes > 0).then_some(())?;
    String::from_utf8(out).ok()
}

fn unicode_unescape(token: &str) -> Option<String> {
    let mut out = String::with_capacity(token.len());
    let mut rest = token;
    let mut escapes = 0;
    while let Some(at) = rest.find("\\u") {
        out.push_str(&rest[..at]);
        let hex = rest.get(at + 2..at + 6)?;
        out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
        escapes += 1;
        rest = &rest[at + 6..];
    }
    out.push_str(rest);
    (escapes > 0).then_some(out)
}

fn hex_decode(token: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> =
        (0..token.len()).step_by(2).map(|i| u8::from_str_radix(&token[i..i + 2], 16).ok()).collect();
    String::from_utf8(bytes?).ok()
}

fn base64_decode(token: &str) -> Option<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let url = token.contains(['-', '_']);
    if url && token.contains(['+', '/']) {
        return None;
    }
    let padded = token.ends_with('=');
    let engine = match (url, padded) {
        (false, true) => &STANDARD,
        (false, false) => &STANDARD_NO_PAD,
        (true, true) => &URL_SAFE,
        (true, false) => &URL_SAFE_NO_PAD,
    };
    String::from_utf8(engine.decode(token).ok()?).ok()
}

/// A form in ROT13 (letters rotated by 13, everything else kept).
pub fn rot13(form: &str) -> String {
    form.chars()
        .map(|c| match c {
            'a'..='z' => (((c as u8 - b'a') + 13) % 26 + b'a') as char,
            'A'..='Z' => (((c as u8 - b'A') + 13) % 26 + b'A') as char,
            _ => c,
        })
        .collect()
}

/// A form written backwards.
pub fn reversed(form: &str) -> String {
    form.chars().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_maps_full_width_and_invisible_characters_back_to_the_original() {
        let text = "code ０１０７ or 01\u{200B}07 or NEAR";
        let (folded, map) = fold(text);
        assert_eq!(folded, "code 0107 or 0107 or near");
        let at = folded.find("0107").unwrap();
        let (s, e) = unfold_span(text, &map, at, at + 4);
        assert_eq!(&text[s..e], "０１０７");
        let at = folded.rfind("0107").unwrap();
        let (s, e) = unfold_span(text, &map, at, at + 4);
        assert_eq!(&text[s..e], "01\u{200B}07");
        assert_eq!(fold_form("ＡＢ\u{00AD}Ｃ"), "abc");
    }

    #[test]
    fn every_encoding_of_a_value_decodes_back_to_it() {
        let cases = [
            ("MDEwNw==", "base64", "0107"),
            ("bmVhciBiYW5rcnVwdGN5", "base64", "near bankruptcy"),
            ("aGk_IGp1c3QgMDEwNw", "base64", "hi? just 0107"),
            ("30313037", "hex", "0107"),
            ("%30%31%30%37", "percent", "0107"),
            ("near%20bankruptcy", "percent", "near bankruptcy"),
            ("\\u0030\\u0031\\u0030\\u0037", "unicode-escape", "0107"),
        ];
        for (token, transform, decoded) in cases {
            let text = format!("see {token}, ok");
            let found = encoded_tokens(&text);
            assert_eq!(found.len(), 1, "{token}: {found:?}");
            assert_eq!((found[0].transform, found[0].text.as_str()), (transform, decoded), "{token}");
            assert_eq!(&text[found[0].start..found[0].end], token);
        }
    }

    #[test]
    fn hashes_ids_and_binary_do_not_decode() {
        for token in [
            "d41d8cd98f00b204e9800998ecf8427e",         // md5
            "da39a3ee5e6b4b0d3255bfef95601890afd80709", // sha1 / commit id
            "550e8400-e29b-41d4-a716-446655440000",     // uuid
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", // png
            "q8Zx7Jt2Lw0vRb9Ae3Ku1Ps5Ym4Nd6Hc",         // random
            "Evacuate",
            "Authorization",
            "2024-06-01T12:00:00",
            "12345678",
        ] {
            assert!(encoded_tokens(token).is_empty(), "{token}: {:?}", encoded_tokens(token));
        }
    }

    #[test]
    fn rot13_and_reversal_of_forms() {
        assert_eq!(rot13("Near bankruptcy 0107"), "Arne onaxehcgpl 0107");
        assert_eq!(reversed("0107"), "7010");
    }
}
