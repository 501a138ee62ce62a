//! Literal search for the matcher: every occurrence of a set of literal forms in a text, overlapping ones included.
//!
//! A set searched in many texts (a scenario's items) is compiled into an Aho-Corasick automaton. A small set that
//! serves one run's few messages (a run's own ground truth) is searched form by form with `memchr`'s substring
//! finder instead: building an automaton costs more than such a run's whole search (measured on AgentLeak, where
//! each of 996 runs has its own 13 items, the builds were a quarter of labeling's CPU time).
//! Both report occurrences in the same order, the automaton's: by end, then longest first, then by form index,
//! so the matcher claims the same spans either way.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use memchr::memmem::Finder;

use super::matcher::Reuse;

/// Sets of at most this many forms, used once, are searched form by form.
const FEW_FORMS: usize = 32;

/// A compiled set of literal forms.
pub enum Literals {
    Automaton(AhoCorasick),
    /// One finder per form (lower-cased when the search ignores ASCII case).
    Few {
        finders: Vec<Finder<'static>>,
        case_insensitive: bool,
    },
}

/// One occurrence: the form's index in the set and its byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub form: usize,
    pub start: usize,
    pub end: usize,
}

impl Literals {
    /// The search for `forms` (`None` when there are none), matching ASCII letters in any case if asked.
    pub fn build(forms: &[String], case_insensitive: bool, reuse: Reuse) -> Option<Literals> {
        if forms.is_empty() {
            return None;
        }
        if reuse == Reuse::Once && forms.len() <= FEW_FORMS && forms.iter().all(|f| !f.is_empty()) {
            let finders = forms
                .iter()
                .map(|f| {
                    let needle = if case_insensitive { f.to_ascii_lowercase() } else { f.clone() };
                    Finder::new(needle.as_bytes()).into_owned()
                })
                .collect();
            return Some(Literals::Few { finders, case_insensitive });
        }
        let kind = match reuse {
            // A run's own truth searches a handful of messages: the noncontiguous NFA is the cheapest automaton to
            // build (a contiguous one is built from it), and a DFA pays off only over many texts.
            Reuse::Once => Some(AhoCorasickKind::NoncontiguousNFA),
            Reuse::Many => None,
        };
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(case_insensitive)
            .match_kind(MatchKind::Standard)
            .kind(kind)
            .build(forms)
            .ok()
            .map(Literals::Automaton)
    }

    /// Every occurrence of every form in `text`, overlapping ones included, ordered by end, then longest first,
    /// then by form index (the order of Aho-Corasick's overlapping search).
    pub fn find_overlapping(&self, text: &str) -> Vec<Occurrence> {
        match self {
            Literals::Automaton(ac) => ac
                .find_overlapping_iter(text)
                .map(|m| Occurrence { form: m.pattern().as_usize(), start: m.start(), end: m.end() })
                .collect(),
            Literals::Few { finders, case_insensitive } => {
                let lowered;
                let haystack = if *case_insensitive && text.bytes().any(|b| b.is_ascii_uppercase()) {
                    lowered = text.to_ascii_lowercase();
                    lowered.as_bytes()
                } else {
                    text.as_bytes()
                };
                let mut found = Vec::new();
                for (form, finder) in finders.iter().enumerate() {
                    let len = finder.needle().len();
                    let mut from = 0;
                    while let Some(at) = haystack.get(from..).and_then(|rest| finder.find(rest)) {
                        let start = from + at;
                        found.push(Occurrence { form, start, end: start + len });
                        from = start + 1;
                    }
                }
                found.sort_unstable_by_key(|o| (o.end, std::cmp::Reverse(o.end - o.start), o.form));
                found
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn automaton(forms: &[String], case_insensitive: bool) -> Literals {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(case_insensitive)
            .match_kind(MatchKind::Standard)
            .build(forms)
            .unwrap();
        Literals::Automaton(ac)
    }

    /// The form-by-form search reports exactly the automaton's occurrences, in its order: overlapping forms,
    /// forms that are suffixes or prefixes of others, repeated forms, self-overlapping forms, any ASCII case.
    #[test]
    fn few_forms_report_what_the_automaton_reports_in_its_order() {
        let forms: Vec<String> = ["abab", "bab", "ab", "Ab", "John Smith", "smith", "aaa", "Σσ", "ßa", "b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let texts =
            ["ababab aaaaa JOHN SMITH john smith, Smith", "xxabab-ABAB bab ab aaa Σσ ΣΣ ßA ßa", "", "no match here"];
        // Plus pseudo-random texts over a small alphabet, where occurrences overlap a lot.
        let mut seed = 7u64;
        let mut random = Vec::new();
        for _ in 0..200 {
            let mut t = String::new();
            for _ in 0..40 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                t.push(['a', 'b', 'A', 'B', ' ', 'ß'][(seed >> 33) as usize % 6]);
            }
            random.push(t);
        }
        for case_insensitive in [true, false] {
            let few = Literals::build(&forms, case_insensitive, Reuse::Once).unwrap();
            assert!(matches!(few, Literals::Few { .. }));
            let ac = automaton(&forms, case_insensitive);
            for text in texts.iter().copied().chain(random.iter().map(String::as_str)) {
                assert_eq!(few.find_overlapping(text), ac.find_overlapping(text), "{text:?} ({case_insensitive})");
            }
        }
        let found = Literals::build(&forms, true, Reuse::Once).unwrap().find_overlapping("JOHN SMITH");
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn large_or_reused_sets_get_an_automaton() {
        let many: Vec<String> = (0..FEW_FORMS + 1).map(|n| format!("form{n}")).collect();
        assert!(matches!(Literals::build(&many, true, Reuse::Once), Some(Literals::Automaton(_))));
        assert!(matches!(Literals::build(&many[..2], true, Reuse::Many), Some(Literals::Automaton(_))));
        assert!(Literals::build(&[], true, Reuse::Once).is_none());
    }
}
