//! OpenTelemetry GenAI spans in OTLP JSON lines (`otel-genai-jsonl`), one export request per line as the
//! collector's file exporter writes them, read in newline-aligned chunks; decoded as in [`super::otel_genai`].

use std::path::Path;

use serde_json::Value;

use crate::format::Format;
use crate::ingest::adapter::{Adapter, Input};
use crate::ingest::common::otlp::{Where, read_request, replay};
use crate::ingest::common::{for_each_line, json_error, sniff};
use crate::ingest::record::Parsed;

/// OTLP JSON lines, one request per line.
pub struct OtelGenAiJsonl;

impl Adapter for OtelGenAiJsonl {
    fn format(&self) -> Format {
        Format::OtelGenAiJsonl
    }
    fn sniff(&self, path: &Path, head: &[u8]) -> bool {
        let text = sniff::text(head);
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let first = lines.next().unwrap_or("");
        if !first.starts_with('{') || !first.contains("\"resourceSpans\"") {
            return false;
        }
        let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        let name = name.trim_end_matches(".gz").trim_end_matches(".zst");
        let named = name.ends_with(".jsonl") || name.ends_with(".ndjson");
        // A JSON document may be written on one line too: more lines of requests make it JSONL.
        named || (serde_json::from_str::<Value>(first).is_ok() && lines.next().is_some_and(|l| l.starts_with('{')))
    }
    fn line_oriented(&self) -> bool {
        true
    }

    fn parse(&self, input: &Input) -> Parsed {
        let mut parsed = Parsed::default();
        let mut spans = Vec::new();
        for_each_line(input, |line, offset, text| {
            let at = Where { place: format!("line {line}"), line: Some(line), offset: offset as usize };
            match serde_json::from_slice::<Value>(text) {
                Ok(request) => read_request(&request, &at, &mut spans, &mut parsed),
                Err(e) => {
                    parsed.read += 1;
                    parsed.reject(Some(line), Some(offset), json_error("OTLP JSON line", &e));
                }
            }
        });
        replay(spans, &mut parsed);
        parsed
    }
}
