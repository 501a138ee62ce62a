//! The report's "Labeling validity" section: how far the rules agree with an external judge (Cohen's κ per item
//! kind, the review queue of disagreements) and, given a validation set, the labeler's measured sensitivity and
//! specificity with the OERs corrected for them (Rogan-Gladen). When a part has no input, the section says which
//! input would make it.
//!
//! In: the store's `validity_*` and `review_queue` tables (written by `tvp validity`, and by `tvp run`, which uses
//! the simulator's truth file as the validation set). Out: report tables.

use arrow::array::{ArrayRef, AsArray, RecordBatch};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::SessionContext;

use super::tables::Table;
use crate::error::Result;
use crate::sql::{query, sql_error};

/// How many disagreements the report lists (the table in the store has them all).
const REVIEW_ROWS: usize = 50;

/// The validity tables as the report shows them; an empty table means that part had no input.
#[derive(Debug, Clone)]
pub struct Validity {
    pub agreement: Table,
    pub review: Table,
    pub review_total: usize,
    pub labeler: Table,
    pub corrected: Table,
}

/// Read the validity tables of the store behind `ctx`.
pub async fn read(ctx: &SessionContext) -> Result<Validity> {
    let agreement = table(
        ctx,
        "SELECT item_kind AS \"item kind\", units, both, rule_only AS \"rules only\", judge_only AS \"judge only\", \
                neither, round(kappa, 3) AS \"κ\", \
                concat('[', round(kappa_low, 3), ', ', round(kappa_high, 3), ']') AS \"95 % interval\" \
         FROM validity_agreement ORDER BY item_kind",
    )
    .await?;
    let review = table(
        ctx,
        &format!(
            "SELECT run_id AS run, item_id AS item, item_kind AS \"item kind\", disagreement, \
                    array_to_string(rule_turns, ', ') AS \"rule turns\", \
                    array_to_string(judge_turns, ', ') AS \"judge turns\" \
             FROM review_queue ORDER BY item_kind, run_id, item_id LIMIT {REVIEW_ROWS}"
        ),
    )
    .await?;
    let total = query(ctx, "SELECT count(*) AS n FROM review_queue").await?;
    let review_total = total
        .first()
        .and_then(|b| b.column_by_name("n"))
        .and_then(|c| c.as_primitive_opt::<arrow::datatypes::Int64Type>().map(|a| a.value(0) as usize))
        .unwrap_or(0);
    let labeler = table(
        ctx,
        "SELECT measure, concat(k, ' / ', n) AS \"k / n\", round(value, 4) AS value, \
                concat('[', round(low, 4), ', ', round(high, 4), ']') AS \"Wilson 95 %\", source, file \
         FROM validity_labeler ORDER BY measure",
    )
    .await?;
    let corrected = table(
        ctx,
        "SELECT concat(framework, '-', coalesce(backend, '?'), CASE WHEN defense = 'none' OR defense IS NULL THEN '' \
                       ELSE concat('+', defense) END) AS system, trust AS \"τ\", chains, \
                round(oer, 3) AS \"OER\", concat('[', round(oer_low, 3), ', ', round(oer_high, 3), ']') AS \"Wilson\", \
                round(corrected, 3) AS corrected, \
                concat('[', round(corrected_low, 3), ', ', round(corrected_high, 3), ']') AS \"bootstrap 95 %\", \
                CASE WHEN clamped THEN 'clamped to [0, 1]' ELSE '' END AS note \
         FROM validity_corrected WHERE aggregation = 'pooled' ORDER BY system, trust",
    )
    .await?;
    Ok(Validity { agreement, review, review_total, labeler, corrected })
}

/// A query's result as a report table (every cell formatted as text, nulls empty).
async fn table(ctx: &SessionContext, sql: &str) -> Result<Table> {
    let frame = ctx.sql(sql).await.map_err(sql_error)?;
    let header: Vec<String> = frame.schema().fields().iter().map(|f| f.name().clone()).collect();
    let batches: Vec<RecordBatch> = frame.collect().await.map_err(sql_error)?;
    let options = FormatOptions::default().with_null("");
    let mut rows = Vec::new();
    for batch in &batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c: &ArrayRef| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(sql_error)?;
        for row in 0..batch.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(row).to_string()).collect());
        }
    }
    Ok(Table { header, rows })
}
