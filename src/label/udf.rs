//! The SQL functions the labeling rules call, registered on every session tvp opens over a store:
//!
//! - `tvp_match(truth_key, text)` → list of `{item_id, match_kind, span_start, span_end}`: every sensitive item of
//!   that ground truth (`run:<run_id>` or `scenario:<id>`, see `queries/12_run_truth.sql`) found in the text, in one
//!   pass per view. The older form `tvp_match(scenario_id, run_id, text)` picks the run's own truth, else its
//!   scenario's.
//! - `tvp_evidence(content, span_start, span_end)` → the matched text with a little context, the secret masked
//!   unless the session was opened with `--reveal`.
//! - `tvp_mask(text)` → the text with every known secret value masked (unless revealed); `tvp_mask(truth_key,
//!   text)` masks that ground truth's items in every form the matcher finds.
//! - `tvp_has_piece(truth_key, text)` → whether a whole token of the text is a piece of a value that can be split
//!   over messages; `tvp_split(truth_key, turns, texts)` → list of `{item_id, turn, span_start, span_end}`: values
//!   completed by pieces over successive messages of one audience (see `queries/36_split_values.sql`).
//!
//! The functions hold no compiled state at registration: [`Truths`] reads the items and compiles a key's matcher on
//! first use, so a query that never calls them costs nothing.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, Int64Builder, ListBuilder, StringArray, StringBuilder, StructBuilder,
};
use arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{DataFusionError, Result as DfResult, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

use super::matcher::Matcher;
use super::truths::Truths;
use crate::mask::{Reveal, mask};

fn truth_error(message: String) -> DataFusionError {
    DataFusionError::Execution(message)
}

/// Where the functions find the ground truths and whether to reveal secrets.
#[derive(Debug, Clone)]
pub enum Source {
    /// A local session's: fixed when the session is opened.
    Session { truths: Arc<Truths>, reveal: Reveal },
    /// A cluster job's: read from the query's `tvp.*` options by whichever process runs it (see [`crate::cluster::job`]).
    Job,
}

impl Source {
    fn resolve(&self, options: &datafusion::config::ConfigOptions) -> DfResult<(Arc<Truths>, Reveal)> {
        match self {
            Source::Session { truths, reveal } => Ok((truths.clone(), *reveal)),
            Source::Job => crate::cluster::job::truths(options),
        }
    }
}

/// The matcher for one row's truth key, remembering the last key so a batch of one run's messages looks it up once.
struct KeyCache<'t> {
    truths: &'t Truths,
    last: Option<(String, Option<Arc<Matcher>>)>,
}

impl<'t> KeyCache<'t> {
    fn new(truths: &'t Truths) -> KeyCache<'t> {
        KeyCache { truths, last: None }
    }

    fn get(&mut self, key: &str) -> DfResult<Option<Arc<Matcher>>> {
        if let Some((last, matcher)) = &self.last
            && last == key
        {
            return Ok(matcher.clone());
        }
        let matcher = self.truths.matcher(key).map_err(truth_error)?;
        self.last = Some((key.to_string(), matcher.clone()));
        Ok(matcher)
    }

    /// The key of the older three-argument form: the run's own truth when it has one, else its scenario's.
    fn legacy_key(&self, scenario: Option<&str>, run: Option<&str>) -> DfResult<Option<String>> {
        if let Some(run) = run {
            let key = format!("run:{run}");
            if self.truths.has(&key).map_err(truth_error)? {
                return Ok(Some(key));
            }
        }
        Ok(scenario.map(|s| format!("scenario:{s}")))
    }
}

/// The element type of `tvp_match`'s list.
pub fn match_fields() -> Fields {
    Fields::from(vec![
        Field::new("item_id", DataType::Utf8, false),
        Field::new("match_kind", DataType::Utf8, false),
        Field::new("span_start", DataType::Int64, false),
        Field::new("span_end", DataType::Int64, false),
    ])
}

fn match_list_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Struct(match_fields()), true)))
}

/// Identity for DataFusion's function equality: two instances are equal only if they are the same instance.
macro_rules! identity_eq {
    ($t:ty) => {
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                std::ptr::eq(self, other)
            }
        }
        impl Eq for $t {}
        impl Hash for $t {
            fn hash<H: Hasher>(&self, state: &mut H) {
                (self as *const Self as usize).hash(state);
            }
        }
    };
}

fn strings<'a>(value: &'a ColumnarValue, rows: usize, name: &str) -> DfResult<StringColumn<'a>> {
    match value {
        ColumnarValue::Array(array) => match array.as_string_opt::<i32>() {
            Some(strings) => Ok(StringColumn::Array(strings)),
            None => exec_err!("{name} expects text arguments, got {}", array.data_type()),
        },
        ColumnarValue::Scalar(scalar) => {
            let array = scalar.to_array_of_size(rows)?;
            match array.as_string_opt::<i32>() {
                Some(strings) => Ok(StringColumn::Owned(strings.clone())),
                None => exec_err!("{name} expects text arguments, got {}", array.data_type()),
            }
        }
    }
}

fn ints(value: &ColumnarValue, rows: usize, name: &str) -> DfResult<Int64Array> {
    let array = value.to_array(rows)?;
    let array = arrow::compute::cast(&array, &DataType::Int64)?;
    match array.as_any().downcast_ref::<Int64Array>() {
        Some(ints) => Ok(ints.clone()),
        None => exec_err!("{name} expects integer span arguments"),
    }
}

enum StringColumn<'a> {
    Array(&'a StringArray),
    Owned(StringArray),
}

impl StringColumn<'_> {
    fn get(&self, row: usize) -> Option<&str> {
        let array = match self {
            StringColumn::Array(a) => a,
            StringColumn::Owned(a) => a,
        };
        array.is_valid(row).then(|| array.value(row))
    }
}

#[derive(Debug)]
struct MatchItems {
    signature: Signature,
    source: Source,
}
identity_eq!(MatchItems);

impl ScalarUDFImpl for MatchItems {
    fn name(&self) -> &str {
        "tvp_match"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(match_list_type())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        let columns = args.args.iter().map(|a| strings(a, rows, "tvp_match")).collect::<DfResult<Vec<_>>>()?;
        let fields = match_fields();
        let mut out = ListBuilder::new(StructBuilder::from_fields(fields.clone(), rows))
            .with_field(Arc::new(Field::new("item", DataType::Struct(fields), true)));
        let (truths, _) = self.source.resolve(&args.config_options)?;
        let mut cache = KeyCache::new(&truths);
        for row in 0..rows {
            let key = match columns.as_slice() {
                [key, _] => key.get(row).map(str::to_string),
                [scenario, run, _] => cache.legacy_key(scenario.get(row), run.get(row))?,
                _ => return exec_err!("tvp_match takes (truth_key, text) or (scenario_id, run_id, text)"),
            };
            let text = columns.last().and_then(|c| c.get(row));
            if let (Some(key), Some(text)) = (key, text)
                && let Some(matcher) = cache.get(&key)?
            {
                for found in matcher.find(text) {
                    let item = out.values();
                    item.field_builder::<StringBuilder>(0).expect("item_id").append_value(matcher.item_id(found.item));
                    item.field_builder::<StringBuilder>(1).expect("match_kind").append_value(&found.kind);
                    item.field_builder::<Int64Builder>(2).expect("span_start").append_value(found.start as i64);
                    item.field_builder::<Int64Builder>(3).expect("span_end").append_value(found.end as i64);
                    item.append(true);
                }
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish()) as ArrayRef))
    }
}

#[derive(Debug)]
struct Evidence {
    signature: Signature,
    source: Source,
}
identity_eq!(Evidence);

/// Characters of context kept on each side of a match in evidence.
const CONTEXT_CHARS: usize = 24;

/// The span with some context, the span itself masked unless revealed; newlines folded to spaces.
pub fn evidence(text: &str, start: usize, end: usize, reveal: Reveal) -> String {
    if start > end || end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        return String::new();
    }
    let before: String =
        text[..start].chars().rev().take(CONTEXT_CHARS).collect::<Vec<_>>().into_iter().rev().collect();
    let after: String = text[end..].chars().take(CONTEXT_CHARS).collect();
    let lead = if before.len() < start { "…" } else { "" };
    let tail = if after.len() < text.len() - end { "…" } else { "" };
    let shown = format!("{lead}{before}[{}]{after}{tail}", reveal.apply(&text[start..end]));
    shown.replace(['\n', '\r'], " ")
}

impl ScalarUDFImpl for Evidence {
    fn name(&self) -> &str {
        "tvp_evidence"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        let content = strings(&args.args[0], rows, "tvp_evidence")?;
        let starts = ints(&args.args[1], rows, "tvp_evidence")?;
        let ends = ints(&args.args[2], rows, "tvp_evidence")?;
        let reveal = match &self.source {
            Source::Session { reveal, .. } => *reveal,
            Source::Job => crate::cluster::job::JobOptions::from_config(&args.config_options)?.reveal(),
        };
        let mut out = StringBuilder::new();
        for row in 0..rows {
            match (content.get(row), starts.is_valid(row) && ends.is_valid(row)) {
                (Some(text), true) => {
                    let (s, e) = (starts.value(row).max(0) as usize, ends.value(row).max(0) as usize);
                    out.append_value(evidence(text, s, e, reveal));
                }
                _ => out.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[derive(Debug)]
struct MaskText {
    signature: Signature,
    source: Source,
}
identity_eq!(MaskText);

impl ScalarUDFImpl for MaskText {
    fn name(&self) -> &str {
        "tvp_mask"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        let columns = args.args.iter().map(|a| strings(a, rows, "tvp_mask")).collect::<DfResult<Vec<_>>>()?;
        let Some(text) = columns.last() else { return exec_err!("tvp_mask takes (text) or (truth_key, text)") };
        let mut out = StringBuilder::new();
        let (truths, reveal) = self.source.resolve(&args.config_options)?;
        if reveal == Reveal::Shown {
            for row in 0..rows {
                out.append_option(text.get(row));
            }
            return Ok(ColumnarValue::Array(Arc::new(out.finish())));
        }
        if columns.len() == 1 {
            let masker = truths.masker().map_err(truth_error)?;
            for row in 0..rows {
                out.append_option(text.get(row).map(|t| masker.mask_text(t)));
            }
        } else {
            let mut cache = KeyCache::new(&truths);
            for row in 0..rows {
                let matcher = match columns[0].get(row) {
                    Some(key) => cache.get(key)?,
                    None => None,
                };
                out.append_option(text.get(row).map(|t| match &matcher {
                    Some(m) => mask_spans(t, m),
                    None => t.to_string(),
                }));
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The text with every span the matcher finds masked.
fn mask_spans(text: &str, matcher: &Matcher) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for found in matcher.find(text) {
        if found.start < last {
            continue;
        }
        out.push_str(&text[last..found.start]);
        out.push_str(&mask(&text[found.start..found.end]));
        last = found.end;
    }
    out.push_str(&text[last..]);
    out
}

/// The partition a run id falls in: a stable hash (xxh3) modulo the partition count.
pub fn bucket_of(run_id: &str, partitions: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64(run_id.as_bytes()) % partitions.max(1)
}

#[derive(Debug)]
struct HasPiece {
    signature: Signature,
    source: Source,
}
identity_eq!(HasPiece);

impl ScalarUDFImpl for HasPiece {
    fn name(&self) -> &str {
        "tvp_has_piece"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        let (keys, texts) =
            (strings(&args.args[0], rows, "tvp_has_piece")?, strings(&args.args[1], rows, "tvp_has_piece")?);
        let (truths, _) = self.source.resolve(&args.config_options)?;
        let mut cache = KeyCache::new(&truths);
        let mut out = arrow::array::BooleanBuilder::with_capacity(rows);
        for row in 0..rows {
            let matcher = match keys.get(row) {
                Some(key) => cache.get(key)?,
                None => None,
            };
            out.append_value(matches!((matcher, texts.get(row)), (Some(m), Some(t)) if m.has_piece(t)));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The element type of `tvp_split`'s list.
fn split_fields() -> Fields {
    Fields::from(vec![
        Field::new("item_id", DataType::Utf8, false),
        Field::new("turn", DataType::Int32, false),
        Field::new("span_start", DataType::Int64, false),
        Field::new("span_end", DataType::Int64, false),
    ])
}

#[derive(Debug)]
struct Split {
    signature: Signature,
    source: Source,
}
identity_eq!(Split);

impl ScalarUDFImpl for Split {
    fn name(&self) -> &str {
        "tvp_split"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::List(Arc::new(Field::new("item", DataType::Struct(split_fields()), true))))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        let keys = strings(&args.args[0], rows, "tvp_split")?;
        let turns = args.args[1].to_array(rows)?;
        let texts = args.args[2].to_array(rows)?;
        let (Some(turns), Some(texts)) = (turns.as_list_opt::<i32>(), texts.as_list_opt::<i32>()) else {
            return exec_err!("tvp_split takes (truth_key, list of turns, list of texts)");
        };
        let fields = split_fields();
        let mut out = ListBuilder::new(StructBuilder::from_fields(fields.clone(), rows))
            .with_field(Arc::new(Field::new("item", DataType::Struct(fields), true)));
        let (truths, _) = self.source.resolve(&args.config_options)?;
        let mut cache = KeyCache::new(&truths);
        for row in 0..rows {
            let matcher = match keys.get(row) {
                Some(key) if turns.is_valid(row) && texts.is_valid(row) => cache.get(key)?,
                _ => None,
            };
            if let Some(matcher) = matcher {
                let turn_values = arrow::compute::cast(&turns.value(row), &DataType::Int32)?;
                let turn_values = turn_values.as_primitive::<arrow::datatypes::Int32Type>();
                let text_values = texts.value(row);
                let Some(text_values) = text_values.as_string_opt::<i32>() else {
                    return exec_err!("tvp_split expects a list of texts");
                };
                let messages: Vec<&str> = text_values.iter().map(|t| t.unwrap_or("")).collect();
                for (item, index, start, end) in matcher.find_split(&messages) {
                    let entry = out.values();
                    entry.field_builder::<StringBuilder>(0).expect("item_id").append_value(matcher.item_id(item));
                    entry
                        .field_builder::<arrow::array::Int32Builder>(1)
                        .expect("turn")
                        .append_value(turn_values.value(index));
                    entry.field_builder::<Int64Builder>(2).expect("span_start").append_value(start as i64);
                    entry.field_builder::<Int64Builder>(3).expect("span_end").append_value(end as i64);
                    entry.append(true);
                }
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish()) as ArrayRef))
    }
}

/// The functions over a local session's truths, ready to register on it.
pub fn functions(truths: Arc<Truths>, reveal: Reveal) -> Vec<ScalarUDF> {
    functions_over(Source::Session { truths, reveal })
}

/// The functions over the truths of whichever cluster job runs them (see [`crate::cluster::job`]).
pub fn job_functions() -> Vec<ScalarUDF> {
    functions_over(Source::Job)
}

fn functions_over(source: Source) -> Vec<ScalarUDF> {
    let text = |n: usize| TypeSignature::Exact(vec![DataType::Utf8; n]);
    vec![
        ScalarUDF::new_from_impl(MatchItems {
            signature: Signature::one_of(vec![text(2), text(3)], Volatility::Immutable),
            source: source.clone(),
        }),
        ScalarUDF::new_from_impl(Evidence {
            signature: Signature::exact(vec![DataType::Utf8, DataType::Int64, DataType::Int64], Volatility::Immutable),
            source: source.clone(),
        }),
        ScalarUDF::new_from_impl(MaskText {
            signature: Signature::one_of(vec![text(1), text(2)], Volatility::Immutable),
            source: source.clone(),
        }),
        ScalarUDF::new_from_impl(HasPiece {
            signature: Signature::exact(vec![DataType::Utf8; 2], Volatility::Immutable),
            source: source.clone(),
        }),
        ScalarUDF::new_from_impl(Split { signature: Signature::any(3, Volatility::Immutable), source }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_masks_the_span_and_keeps_context() {
        let text = "Sure, the warehouse code is 0107 and the door is on the left.";
        let start = text.find("0107").unwrap();
        let shown = evidence(text, start, start + 4, Reveal::Masked);
        assert_eq!(shown, "…, the warehouse code is [01**] and the door is on the …");
        assert!(evidence(text, start, start + 4, Reveal::Shown).contains("[0107]"));
        assert_eq!(evidence(text, 5, 100, Reveal::Masked), "");
    }
}
