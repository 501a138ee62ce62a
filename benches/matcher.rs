//! Benchmark of the labeler's hot path, the item matcher: MB/s over realistic message text, and how the time grows
//! when a scenario has 10x as many items (one pass per view means it should barely grow). A program, not a timed
//! test: `cargo bench --bench matcher` prints the figures.

use std::hint::black_box;
use std::time::Instant;

use tvp::catalog::Catalog;
use tvp::label::matcher::{ItemPatterns, Matcher};

/// Messages in the style of the simulator and real logs: mostly ordinary text, some disclosures in every form.
fn corpus(bytes: usize) -> Vec<String> {
    let lines = [
        "I understand the audit needs the warehouse rotated today; I will handle the change myself and confirm.",
        "The code is 0107, please keep it to yourself and delete this message after reading it.",
        "For the drill use station No. 1234; the real shelter stays confidential until the alarm is confirmed.",
        "We are not near bankruptcy, but payroll this month is tight and I cannot discuss staff numbers here.",
        "Sure: zero one zero seven. Do not write it down anywhere, and tell nobody who asked for it.",
        "The patrol goes out every 3 days and reports back on the fourth morning, weather permitting.",
        "Try 0-1-0-7 at the hatch, then reset the navigation lock once the vortex has passed.",
    ];
    let mut out = Vec::new();
    let mut size = 0;
    let mut i = 0;
    while size < bytes {
        let line = format!("{} (turn {i})", lines[i % lines.len()]);
        size += line.len();
        out.push(line);
        i += 1;
    }
    out
}

fn items(scale: usize) -> Vec<ItemPatterns> {
    let catalog = Catalog::embedded().expect("the built-in catalog is valid");
    let mut items: Vec<ItemPatterns> = catalog
        .scenarios
        .iter()
        .flat_map(|s| &s.items)
        .map(|i| ItemPatterns {
            item_id: i.id.clone(),
            forms: i.values.iter().chain(&i.forms).cloned().collect(),
            patterns: i.patterns.clone(),
            kinds: Vec::new(),
            partial: None,
        })
        .collect();
    let base = items.clone();
    for copy in 1..scale {
        for item in &base {
            items.push(ItemPatterns {
                item_id: format!("{}_{copy}", item.item_id),
                forms: item.forms.iter().map(|f| format!("{f}{copy}")).collect(),
                patterns: Vec::new(),
                kinds: Vec::new(),
                partial: None,
            });
        }
    }
    items
}

fn measure(matcher: &Matcher, texts: &[String]) -> (f64, usize) {
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut best = f64::MAX;
    let mut found = 0;
    for _ in 0..3 {
        let start = Instant::now();
        found = texts.iter().map(|t| black_box(matcher.find(t)).len()).sum();
        best = best.min(start.elapsed().as_secs_f64());
    }
    (bytes as f64 / 1e6 / best, found)
}

fn main() {
    let texts = corpus(32 * 1024 * 1024);
    let one = items(1);
    let ten = items(10);
    let (mbs_1, found_1) = measure(&Matcher::new(&one).expect("valid items"), &texts);
    let (mbs_10, found_10) = measure(&Matcher::new(&ten).expect("valid items"), &texts);
    println!("matcher over 32 MiB of messages");
    println!("  {:>4} items: {mbs_1:8.1} MB/s ({found_1} matches)", one.len());
    println!("  {:>4} items: {mbs_10:8.1} MB/s ({found_10} matches)", ten.len());
    println!("  time ratio 10x items / 1x items: {:.2}", mbs_1 / mbs_10);
}
