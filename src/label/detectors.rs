//! Built-in secret detectors: secrets whose values nobody listed, found by their shape and checked where the shape
//! has a check (Luhn for card numbers, mod-97 for IBANs, the structure of a JWT, the issuing rules of a US SSN).
//!
//! In: a text. Out: spans with the detector's name (the exposure's match kind is `detector:<name>`). Look-alikes
//! are rejected on purpose: hashes, UUIDs, order numbers, version strings, and the example keys providers publish
//! as fakes in their documentation (AWS's `AKIAIOSFODNN7EXAMPLE`).

use std::sync::LazyLock;

use base64::Engine;
use regex::Regex;

/// One detector: a name (stable: it is the match kind's suffix and the policy's name for it), what it finds, a
/// pattern for candidates and a check each candidate must pass.
pub struct Detector {
    pub name: &'static str,
    /// The match kind of its findings: `detector:<name>`.
    pub match_kind: &'static str,
    pub kind: &'static str,
    pub description: &'static str,
    pattern: &'static str,
    check: fn(&str) -> bool,
}

/// Every built-in detector, in the order they claim overlapping spans.
pub const DETECTORS: [Detector; 13] = [
    Detector {
        name: "pem_private_key",
        match_kind: "detector:pem_private_key",
        kind: "private_key",
        description: "PEM private key blocks (RSA, EC, OpenSSH, PKCS#8, encrypted)",
        pattern: r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----[\s\S]{16,}?-----END (?:[A-Z]+ )*PRIVATE KEY-----",
        check: |_| true,
    },
    Detector {
        name: "anthropic_api_key",
        match_kind: "detector:anthropic_api_key",
        kind: "api_key",
        description: "Anthropic API keys (sk-ant-…)",
        pattern: r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,120}\b",
        check: not_example,
    },
    Detector {
        name: "openai_api_key",
        match_kind: "detector:openai_api_key",
        kind: "api_key",
        description: "OpenAI API keys (sk-…, sk-proj-…, sk-svcacct-…)",
        pattern: r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}\b|\bsk-[A-Za-z0-9]{48}\b",
        check: not_example,
    },
    Detector {
        name: "aws_access_key_id",
        match_kind: "detector:aws_access_key_id",
        kind: "api_key",
        description: "AWS access key ids (AKIA…, ASIA…)",
        pattern: r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b",
        check: not_example,
    },
    Detector {
        name: "github_token",
        match_kind: "detector:github_token",
        kind: "api_key",
        description: "GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)",
        pattern: r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        check: not_example,
    },
    Detector {
        name: "slack_token",
        match_kind: "detector:slack_token",
        kind: "api_key",
        description: "Slack tokens (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxe-)",
        pattern: r"\bxox[bpares]-(?:[0-9]{8,13}-){1,3}[A-Za-z0-9-]{20,}\b",
        check: not_example,
    },
    Detector {
        name: "google_api_key",
        match_kind: "detector:google_api_key",
        kind: "api_key",
        description: "Google API keys (AIza…)",
        pattern: r"\bAIza[0-9A-Za-z_-]{35}(?:[^0-9A-Za-z_-]|$)",
        check: not_example,
    },
    Detector {
        name: "jwt",
        match_kind: "detector:jwt",
        kind: "token",
        description: "JSON Web Tokens whose header decodes to JSON with an `alg`",
        pattern: r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}\b",
        check: jwt_header,
    },
    Detector {
        name: "payment_card",
        match_kind: "detector:payment_card",
        kind: "card_number",
        description: "payment card numbers (13-19 digits, Visa/Mastercard/Amex/Discover/JCB/Diners prefixes, Luhn-checked)",
        pattern: r"\b(?:\d[ -]?){12,18}\d\b",
        check: card,
    },
    Detector {
        name: "iban",
        match_kind: "detector:iban",
        kind: "bank_account",
        description: "IBANs (country code, check digits, mod-97-checked)",
        pattern: r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
        check: iban,
    },
    Detector {
        name: "us_ssn",
        match_kind: "detector:us_ssn",
        kind: "national_id",
        description: "US Social Security numbers (AAA-GG-SSSS; never 000/666/9xx, 00 or 0000)",
        pattern: r"\b\d{3}-\d{2}-\d{4}\b",
        check: ssn,
    },
    Detector {
        name: "email",
        match_kind: "detector:email",
        kind: "email",
        description: "email addresses",
        pattern: r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
        check: |_| true,
    },
    Detector {
        name: "phone",
        match_kind: "detector:phone",
        kind: "phone",
        description: "phone numbers (international +CC…, or North American (NXX) NXX-XXXX)",
        pattern: r"(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){2,3}|\(\d{3}\) ?\d{3}[ .-]\d{4}|\b\d{3}[.-]\d{3}[.-]\d{4})\b",
        check: phone,
    },
];

/// The default set a policy enables when it names none: all of them.
pub fn default_set() -> Vec<&'static str> {
    DETECTORS.iter().map(|d| d.name).collect()
}

pub fn by_name(name: &str) -> Option<&'static Detector> {
    DETECTORS.iter().find(|d| d.name == name)
}

static COMPILED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    DETECTORS.iter().map(|d| Regex::new(d.pattern).expect("built-in detector patterns compile")).collect()
});

/// A detected secret: the detector's index in [`DETECTORS`] and the byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub detector: usize,
    pub start: usize,
    pub end: usize,
}

/// Every secret the enabled detectors find in `text`, by position; a span claimed by an earlier detector is not
/// reported again by a later one.
pub fn detect(text: &str, enabled: &[usize]) -> Vec<Detected> {
    let mut found: Vec<Detected> = Vec::new();
    for &index in enabled {
        let detector = &DETECTORS[index];
        for m in COMPILED[index].find_iter(text) {
            let value = m.as_str().trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-');
            let (start, end) = (m.start(), m.start() + value.len());
            if !(detector.check)(value) || found.iter().any(|f| f.start < end && start < f.end) {
                continue;
            }
            found.push(Detected { detector: index, start, end });
        }
    }
    found.sort_by_key(|f| f.start);
    found
}

/// Providers publish fake keys for their documentation; they say so in the key.
fn not_example(value: &str) -> bool {
    let upper = value.to_ascii_uppercase();
    !(upper.contains("EXAMPLE") || upper.contains("XXXXXXXX") || upper.contains("DUMMY"))
}

fn jwt_header(value: &str) -> bool {
    let Some(header) = value.split('.').next() else { return false };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')) else {
        return false;
    };
    serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|v| v.get("alg").is_some())
}

fn digits(value: &str) -> Vec<u32> {
    value.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// Whether the digits pass the Luhn check (payment card numbers).
pub fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    sum.is_multiple_of(10)
}

/// A card number: an issuer's prefix and length, a consistent grouping, and the Luhn check.
fn card(value: &str) -> bool {
    let d = digits(value);
    let separators: Vec<char> = value.chars().filter(|c| !c.is_ascii_digit()).collect();
    if separators.windows(2).any(|w| w[0] != w[1]) {
        return false;
    }
    let n = d.len();
    let prefix = |k: usize| d.iter().take(k).fold(0u32, |acc, &x| acc * 10 + x);
    let issuer = match d.first() {
        Some(4) => matches!(n, 13 | 16 | 19),
        Some(5) => (51..=55).contains(&prefix(2)) && n == 16,
        Some(2) => (2221..=2720).contains(&prefix(4)) && n == 16,
        Some(3) => {
            (matches!(prefix(2), 34 | 37) && n == 15)
                || ((3528..=3589).contains(&prefix(4)) && (16..=19).contains(&n))
                || ((matches!(prefix(2), 36 | 38 | 39) || (300..=305).contains(&prefix(3))) && (14..=19).contains(&n))
        }
        Some(6) => (prefix(4) == 6011 || prefix(2) == 65 || (644..=649).contains(&prefix(3))) && (16..=19).contains(&n),
        _ => false,
    };
    issuer && luhn(&d) && d.iter().any(|&x| x != d[0])
}

/// IBAN lengths by country (the common ones; others are accepted by the checksum alone at 15-34 characters).
fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "DE" => 22,
        "GB" | "IE" => 22,
        "FR" | "IT" | "MC" => 27,
        "ES" | "SE" => 24,
        "NL" => 18,
        "BE" => 16,
        "CH" | "LI" => 21,
        "AT" => 20,
        "PL" => 28,
        "PT" => 25,
        "NO" => 15,
        "DK" | "FI" => 18,
        "LU" => 20,
        _ => return None,
    })
}

fn iban(value: &str) -> bool {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    if iban_length(&compact[..2]).is_some_and(|n| n != compact.len()) {
        return false;
    }
    let rearranged = format!("{}{}", &compact[4..], &compact[..4]);
    let mut remainder = 0u64;
    for c in rearranged.chars() {
        let v = match c.to_digit(36) {
            Some(v) => v as u64,
            None => return false,
        };
        remainder = if v >= 10 { (remainder * 100 + v) % 97 } else { (remainder * 10 + v) % 97 };
    }
    remainder == 1
}

fn ssn(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let [area, group, serial] = parts.as_slice() else { return false };
    let area: u32 = area.parse().unwrap_or(0);
    area != 0 && area != 666 && area < 900 && *group != "00" && *serial != "0000"
        // The numbers the SSA voided after they were printed on sample cards.
        && value != "078-05-1120" && value != "219-09-9999"
}

/// A phone number has 8 to 15 digits, and not all the same.
fn phone(value: &str) -> bool {
    let d = digits(value);
    (8..=15).contains(&d.len()) && d.iter().any(|&x| x != d[d.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(&'static str, String)> {
        let all: Vec<usize> = (0..DETECTORS.len()).collect();
        detect(text, &all).into_iter().map(|d| (DETECTORS[d.detector].name, text[d.start..d.end].to_string())).collect()
    }

    /// Real-shaped secrets (made up here, with valid checksums) and look-alikes: every true case is found by its
    /// detector with its exact span, no look-alike by any detector (precision and recall 1.0 on this corpus).
    #[test]
    fn detectors_find_every_true_case_and_no_look_alike() {
        let openai = format!("sk-proj-{}T3BlbkFJ{}", "a1B2c3D4e5F6g7H8i9J0kLmN", "oPqRsTuVwXyZ0123456789ab");
        let anthropic =
            format!("sk-ant-api03-{}", "Zx9_Yw8-Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa".repeat(2) + "AbCdEfGhIjKlMn");
        let github = format!("ghp_{}", "R4nd0mT0k3nV4lu3F0rT3st1ngOnly12345A");
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhZ0Qn\n-----END RSA PRIVATE KEY-----";
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let positives: Vec<(&str, String)> = vec![
            ("openai_api_key", openai),
            ("anthropic_api_key", anthropic),
            ("aws_access_key_id", "AKIA2OGYBAH6TQXVKP4M".into()),
            ("github_token", github),
            ("slack_token", "xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx".into()),
            ("google_api_key", "AIzaSyD4x9Qk2LmNpQrStUvWxYz0123456789Ab".into()),
            ("pem_private_key", pem.into()),
            ("jwt", jwt.into()),
            ("payment_card", "4111 1111 1111 1111".into()),
            ("payment_card", "5500-0000-0000-0004".into()),
            ("payment_card", "378282246310005".into()),
            ("iban", "DE89 3704 0044 0532 0130 00".into()),
            ("iban", "GB82WEST12345698765432".into()),
            ("us_ssn", "123-45-6789".into()),
            ("email", "jane.doe+billing@example-mail.co.uk".into()),
            ("phone", "+1 415 555 0132".into()),
            ("phone", "(212) 555-0147".into()),
            ("phone", "+44 20 7946 0958".into()),
        ];
        for (name, value) in &positives {
            let text = format!("Here: {value}, thanks.");
            assert_eq!(names(&text), vec![(*name, value.clone())], "{name}");
        }
        let look_alikes = [
            "AKIAIOSFODNN7EXAMPLE",                                             // AWS's documented fake key
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",                         // and its fake secret
            "sk-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",              // placeholder
            "d41d8cd98f00b204e9800998ecf8427e",                                 // md5
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", // sha256
            "550e8400-e29b-41d4-a716-446655440000",                             // uuid
            "order 4111 1111 1111 1112",                                        // fails Luhn
            "order number 1234567890123456",                                    // no issuer, fails Luhn
            "tracking 1Z999AA10123456784",                                      // UPS
            "version 1.2.3, build 2024.06.01, v10.0.19045",
            "DE89 3704 0044 0532 0130 01", // IBAN with a wrong check
            "000-12-3456 and 666-12-3456 and 123-00-4567 and 078-05-1120",
            "eyJub3QiOiJhIGp3dCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLWxpa2UtdGV4dA", // header without alg
            "user at example dot com, @handle, a@b",
            "call extension 4411, room 555-01, 2024-06-01",
            "0000000000",
        ];
        for text in look_alikes {
            assert!(names(text).is_empty(), "{text}: {:?}", names(text));
        }
    }

    #[test]
    fn every_detector_has_a_unique_name_and_a_checked_pattern() {
        let mut seen = std::collections::HashSet::new();
        for d in &DETECTORS {
            assert!(seen.insert(d.name), "{}", d.name);
            assert_eq!(d.match_kind, format!("detector:{}", d.name));
            assert!(by_name(d.name).is_some());
        }
        assert_eq!(COMPILED.len(), DETECTORS.len());
        assert_eq!(default_set().len(), DETECTORS.len());
    }
}
