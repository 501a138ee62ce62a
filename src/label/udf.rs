//! The SQL functions the labeling rules call, registered on every session tvp opens over a store:
//!
//! - `tvp_match(scenario_id, run_id, content)` → list of `{item_id, match_kind, span_start, span_end}`: every
//!   sensitive item of the run (its own ground truth, else its scenario's) found in the text, in one pass per view.
//! - `tvp_evidence(content, span_start, span_end)` → the matched text with a little context, the secret masked
//!   unless the session was opened with `--reveal`.
//! - `tvp_mask(text)` → the text with known secret values masked (unless revealed).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, Int64Builder, ListBuilder, StringArray, StringBuilder, StructBuilder,
};
use arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result as DfResult, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};

use super::matcher::Matcher;
use crate::mask::{Masker, Reveal};

/// Matchers keyed by whose items they hold: a run's own ground truth or a scenario's.
#[derive(Default)]
pub struct ItemIndex {
    pub by_run: HashMap<String, Matcher>,
    pub by_scenario: HashMap<String, Matcher>,
}

impl ItemIndex {
    fn matcher(&self, scenario: Option<&str>, run: Option<&str>) -> Option<&Matcher> {
        run.and_then(|r| self.by_run.get(r)).or_else(|| scenario.and_then(|s| self.by_scenario.get(s)))
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
    index: Arc<ItemIndex>,
}
identity_eq!(MatchItems);

impl std::fmt::Debug for ItemIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ItemIndex({} runs, {} scenarios)", self.by_run.len(), self.by_scenario.len())
    }
}

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
        let scenario = strings(&args.args[0], rows, "tvp_match")?;
        let run = strings(&args.args[1], rows, "tvp_match")?;
        let content = strings(&args.args[2], rows, "tvp_match")?;
        let fields = match_fields();
        let mut out = ListBuilder::new(StructBuilder::from_fields(fields.clone(), rows))
            .with_field(Arc::new(Field::new("item", DataType::Struct(fields), true)));
        for row in 0..rows {
            if let (Some(matcher), Some(text)) = (self.index.matcher(scenario.get(row), run.get(row)), content.get(row))
            {
                for found in matcher.find(text) {
                    let item = out.values();
                    item.field_builder::<StringBuilder>(0).expect("item_id").append_value(matcher.item_id(found.item));
                    item.field_builder::<StringBuilder>(1).expect("match_kind").append_value(found.kind);
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
    reveal: Reveal,
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
        let mut out = StringBuilder::new();
        for row in 0..rows {
            match (content.get(row), starts.is_valid(row) && ends.is_valid(row)) {
                (Some(text), true) => {
                    let (s, e) = (starts.value(row).max(0) as usize, ends.value(row).max(0) as usize);
                    out.append_value(evidence(text, s, e, self.reveal));
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
    masker: Arc<Masker>,
}
identity_eq!(MaskText);

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Masker")
    }
}

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
        let text = strings(&args.args[0], rows, "tvp_mask")?;
        let mut out = StringBuilder::new();
        for row in 0..rows {
            out.append_option(text.get(row).map(|t| self.masker.mask_text(t)));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The three functions, ready to register on a session.
pub fn functions(index: Arc<ItemIndex>, masker: Arc<Masker>, reveal: Reveal) -> Vec<ScalarUDF> {
    let text = |n: usize| Signature::exact(vec![DataType::Utf8; n], Volatility::Immutable);
    vec![
        ScalarUDF::new_from_impl(MatchItems { signature: text(3), index }),
        ScalarUDF::new_from_impl(Evidence {
            signature: Signature::exact(vec![DataType::Utf8, DataType::Int64, DataType::Int64], Volatility::Immutable),
            reveal,
        }),
        ScalarUDF::new_from_impl(MaskText { signature: text(1), masker }),
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
