//! Property tests of ingest invariants on random valid generic-JSONL corpora: every record read is ingested, and
//! every column survives the JSON → Arrow → Parquet → SQL round trip.

use std::collections::BTreeMap;

use arrow::array::{Array, BooleanArray, Int32Array, ListArray, StringArray, TimestampMicrosecondArray};
use proptest::prelude::*;
use tvp::ingest::{Options, Quiet, ingest};
use tvp::store::Store;

#[derive(Debug, Clone)]
struct Line {
    run: usize,
    sender: String,
    recipients: Vec<String>,
    channel: Option<String>,
    kind: &'static str,
    content: String,
    ts: Option<i64>,
    is_final: bool,
}

fn line() -> impl Strategy<Value = Line> {
    (
        0usize..4,
        "[A-Za-z][A-Za-z0-9_]{0,8}",
        prop::collection::vec("[a-z]{1,6}", 0..3),
        prop::option::of("[a-z0-9]{1,4}"),
        prop::sample::select(tvp::schema::kind::ALL.to_vec()),
        // Any text, including quotes, backslashes, newlines and non-ASCII.
        "\\PC{0,40}",
        // Microseconds since the epoch (2001 to 2096), the unit the store keeps.
        prop::option::of(1_000_000_000_000_000i64..4_000_000_000_000_000),
        any::<bool>(),
    )
        .prop_map(|(run, sender, recipients, channel, kind, content, ts, is_final)| Line {
            run,
            sender,
            recipients,
            channel,
            kind,
            content,
            ts,
            is_final,
        })
}

fn to_jsonl(lines: &[Line]) -> String {
    let mut out = String::new();
    for l in lines {
        let mut o = serde_json::json!({
            "run_id": format!("run-{}", l.run),
            "sender": l.sender,
            "recipients": l.recipients,
            "kind": l.kind,
            "content": l.content,
            "is_final": l.is_final,
        });
        if let Some(c) = &l.channel {
            o["channel"] = c.clone().into();
        }
        if let Some(ts) = l.ts {
            o["ts"] = ts.into();
        }
        out.push_str(&o.to_string());
        out.push('\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn generic_jsonl_round_trips_through_the_store(lines in prop::collection::vec(line(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("corpus.jsonl");
        std::fs::write(&file, to_jsonl(&lines)).unwrap();
        let store = Store::create(&dir.path().join("store")).unwrap();
        let options = Options { format: None, manifest: None, strict: false };
        let summary = ingest(&[file], &store, &options, &Quiet).unwrap();
        prop_assert_eq!(summary.read, lines.len() as u64);
        prop_assert_eq!(summary.ingested, summary.read);
        prop_assert_eq!(summary.rejected, 0);

        let runtime = tokio::runtime::Runtime::new().unwrap();
        let batches = runtime.block_on(async {
            let ctx = tvp::sql::session(&store).await.unwrap();
            tvp::sql::query(&ctx, "SELECT run_id, turn, sender, recipients, channel, kind, content, ts, is_final FROM messages ORDER BY run_id, turn").await.unwrap()
        });
        // Expected: per run, lines in file order with turns 0, 1, 2, ...
        let mut by_run: BTreeMap<String, Vec<&Line>> = BTreeMap::new();
        for l in &lines {
            by_run.entry(format!("run-{}", l.run)).or_default().push(l);
        }
        let expected: Vec<(String, i32, &Line)> = by_run
            .iter()
            .flat_map(|(run, ls)| ls.iter().enumerate().map(move |(t, l)| (run.clone(), t as i32, *l)))
            .collect();
        let mut row = 0;
        for batch in &batches {
            let s = |i: usize| batch.column(i).as_any().downcast_ref::<StringArray>().unwrap().clone();
            let (run_id, sender, channel, kind, content) = (s(0), s(2), s(4), s(5), s(6));
            let turn = batch.column(1).as_any().downcast_ref::<Int32Array>().unwrap();
            let recipients = batch.column(3).as_any().downcast_ref::<ListArray>().unwrap();
            let ts = batch.column(7).as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap();
            let is_final = batch.column(8).as_any().downcast_ref::<BooleanArray>().unwrap();
            for i in 0..batch.num_rows() {
                let (run, t, l) = &expected[row];
                prop_assert_eq!(run_id.value(i), run.as_str());
                prop_assert_eq!(turn.value(i), *t);
                prop_assert_eq!(sender.value(i), l.sender.as_str());
                let got: Vec<String> = recipients.value(i).as_any().downcast_ref::<StringArray>().unwrap().iter().map(|v| v.unwrap().to_string()).collect();
                prop_assert_eq!(&got, &l.recipients);
                prop_assert_eq!(channel.is_valid(i).then(|| channel.value(i).to_string()), l.channel.clone());
                prop_assert_eq!(kind.value(i), l.kind);
                prop_assert_eq!(content.value(i), l.content.as_str());
                prop_assert_eq!(ts.is_valid(i).then(|| ts.value(i)), l.ts);
                prop_assert_eq!(is_final.value(i), l.is_final);
                row += 1;
            }
        }
        prop_assert_eq!(row, lines.len());
    }
}
