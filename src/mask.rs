//! Masking of secret values in everything tvp prints or writes, unless the user asks with `--reveal`.
//!
//! A masked value keeps a short prefix so a reader can tell items apart (`0107` → `01**`) and hides the rest,
//! keeping the length so spans still line up with the original text.

/// Whether secrets are shown as they are or masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reveal {
    #[default]
    Masked,
    Shown,
}

impl Reveal {
    pub fn from_flag(reveal: bool) -> Reveal {
        if reveal { Reveal::Shown } else { Reveal::Masked }
    }

    pub fn apply(self, secret: &str) -> String {
        match self {
            Reveal::Shown => secret.to_string(),
            Reveal::Masked => mask(secret),
        }
    }
}

/// Keep the first two characters of a value of four or more (none of a shorter one, where two would give half
/// away), star the rest; whitespace stays so phrases keep their shape.
pub fn mask(secret: &str) -> String {
    let keep = if secret.chars().count() >= 4 { 2 } else { 0 };
    secret.chars().enumerate().map(|(i, c)| if i < keep || c.is_whitespace() { c } else { '*' }).collect()
}

/// Masks every whole occurrence of known secret values in free text (query results, evidence), case-insensitively,
/// in one pass over the text. Whole means what the matcher means by standing alone: `2512` is masked in
/// `code 2512` but not inside `25123`; where a value is part of a longer name (`mistral-large-2512`), the caller
/// decides by column whether the text can carry secrets at all (see `sql::sensitive_columns`).
#[derive(Debug)]
pub struct Masker {
    automaton: Option<aho_corasick::AhoCorasick>,
}

impl Masker {
    /// Values shorter than three characters are left alone: masking them would blank ordinary words and digits.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Masker {
        let mut patterns: Vec<&str> = secrets.into_iter().filter(|s| s.trim().chars().count() >= 3).collect();
        patterns.sort_unstable();
        patterns.dedup();
        let automaton = if patterns.is_empty() {
            None
        } else {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(&patterns)
                .ok()
        };
        Masker { automaton }
    }

    pub fn mask_text<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        let Some(automaton) = &self.automaton else { return text.into() };
        let mut out = String::new();
        let mut last = 0;
        for m in automaton.find_iter(text) {
            if !crate::label::matcher::standalone(text, m.start(), m.end()) {
                continue;
            }
            out.push_str(&text[last..m.start()]);
            out.push_str(&mask(&text[m.start()..m.end()]));
            last = m.end();
        }
        if last == 0 {
            return text.into();
        }
        out.push_str(&text[last..]);
        out.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_a_short_prefix_and_the_length() {
        assert_eq!(mask("0107"), "01**");
        assert_eq!(mask("8848"), "88**");
        assert_eq!(mask("123"), "***");
        assert_eq!(mask("every 3 days"), "ev*** * ****");
        assert_eq!(mask(""), "");
        for s in ["0107", "near bankruptcy", "x"] {
            assert_eq!(mask(s).chars().count(), s.chars().count());
            assert_ne!(mask(s), s);
        }
    }

    #[test]
    fn masker_hides_every_occurrence_in_one_pass() {
        let masker = Masker::new(["0107", "Near Bankruptcy", "ab"]);
        assert_eq!(
            masker.mask_text("code 0107, again 0107; near bankruptcy"),
            "code 01**, again 01**; ne** **********"
        );
        assert_eq!(masker.mask_text("ab cd"), "ab cd");
        // Only whole occurrences: a value inside a longer number or word is not that value.
        assert_eq!(masker.mask_text("10107 and a0107 but 0107"), "10107 and a0107 but 01**");
        assert_eq!(Masker::new([]).mask_text("0107"), "0107");
    }

    #[test]
    fn reveal_shows_the_value() {
        assert_eq!(Reveal::from_flag(true).apply("0107"), "0107");
        assert_eq!(Reveal::from_flag(false).apply("0107"), "01**");
    }
}
