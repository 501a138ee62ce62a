//! The canonical tables: one Arrow schema per table of the store and one constant per column name.
//!
//! Every stage (ingest, label, metrics, report) builds and reads batches through these definitions, so a column is
//! named in exactly one place. The README's "Tables" section documents the same columns for users of `tvp sql`.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Column names, shared by all tables that carry them.
pub mod col {
    // runs
    pub const RUN_ID: &str = "run_id";
    pub const SOURCE_FILE: &str = "source_file";
    pub const SOURCE_FORMAT: &str = "source_format";
    pub const SOURCE_HASH: &str = "source_hash";
    pub const FRAMEWORK: &str = "framework";
    pub const BACKEND: &str = "backend";
    pub const SCENARIO_ID: &str = "scenario_id";
    pub const TRUST: &str = "trust";
    pub const DEFENSE: &str = "defense";
    pub const SEED: &str = "seed";
    pub const REPETITION: &str = "repetition";
    pub const STARTED_AT: &str = "started_at";
    pub const N_MESSAGES: &str = "n_messages";
    pub const META_SOURCE: &str = "meta_source";
    pub const SYNTHETIC: &str = "synthetic";
    // messages
    pub const TURN: &str = "turn";
    pub const TS: &str = "ts";
    pub const SENDER: &str = "sender";
    pub const SENDER_ROLE: &str = "sender_role";
    pub const RECIPIENTS: &str = "recipients";
    pub const CHANNEL: &str = "channel";
    pub const KIND: &str = "kind";
    pub const CONTENT: &str = "content";
    pub const TOOL_NAME: &str = "tool_name";
    pub const TOOL_ARGS: &str = "tool_args";
    pub const MODEL: &str = "model";
    pub const IS_FINAL: &str = "is_final";
    pub const SOURCE_OFFSET: &str = "source_offset";
    // items and actions (ground truth)
    pub const SCOPE: &str = "scope";
    pub const ITEM_ID: &str = "item_id";
    pub const VALUE: &str = "value";
    pub const MATCH_FORMS: &str = "match_forms";
    pub const PATTERNS: &str = "patterns";
    pub const MATCH_KINDS: &str = "match_kinds";
    pub const IN_MNI: &str = "in_mni";
    pub const IS_DECOY: &str = "is_decoy";
    pub const PARTIAL: &str = "partial";
    pub const ACTION: &str = "action";
    pub const ALLOWED: &str = "allowed";
    pub const DESCRIPTION: &str = "description";
    // exposures and authorizations (labels)
    pub const MATCH_KIND: &str = "match_kind";
    pub const SPAN_START: &str = "span_start";
    pub const SPAN_END: &str = "span_end";
    pub const RULE: &str = "rule";
    pub const EVIDENCE: &str = "evidence";
    pub const ITEM_KIND: &str = "item_kind";
    pub const HOP: &str = "hop";
    pub const PATH: &str = "path";
    // outcomes
    pub const LABEL_SCOPE: &str = "label_scope";
    pub const OVER_EXPOSED: &str = "over_exposed";
    pub const N_EXPOSURES: &str = "n_exposures";
    pub const FIRST_EXPOSURE_TURN: &str = "first_exposure_turn";
    pub const TASK_SUCCESS: &str = "task_success";
    pub const OVER_AUTHORIZED: &str = "over_authorized";
    // rejects
    pub const FILE: &str = "file";
    pub const LINE: &str = "line";
    pub const BYTE_OFFSET: &str = "byte_offset";
    pub const REASON: &str = "reason";
    // sources
    pub const BYTES: &str = "bytes";
    pub const READ: &str = "read";
    pub const INGESTED: &str = "ingested";
    pub const REJECTED: &str = "rejected";
    pub const INGESTED_AT: &str = "ingested_at";
}

/// Values of `messages.kind`.
pub mod kind {
    pub const MESSAGE: &str = "message";
    pub const THOUGHT: &str = "thought";
    pub const TOOL_CALL: &str = "tool_call";
    pub const TOOL_RESULT: &str = "tool_result";
    pub const HANDOFF: &str = "handoff";
    pub const SYSTEM: &str = "system";
    pub const ALL: [&str; 6] = [MESSAGE, THOUGHT, TOOL_CALL, TOOL_RESULT, HANDOFF, SYSTEM];
}

/// Values of `exposures.match_kind`.
pub mod match_kind {
    pub const EXACT: &str = "exact";
    pub const NORMALIZED: &str = "normalized";
    pub const SPELLED: &str = "spelled";
    pub const PATTERN: &str = "pattern";
    pub const EXTERNAL: &str = "external";
    /// A value spread over several messages to one recipient.
    pub const SPLIT: &str = "split";
    /// Part of a value, for items that opt in (`partial`).
    pub const PARTIAL: &str = "partial";
    pub const ALL: [&str; 7] = [EXACT, NORMALIZED, SPELLED, PATTERN, EXTERNAL, SPLIT, PARTIAL];
}

/// The tables of the store, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    Runs,
    Messages,
    Items,
    Actions,
    Exposures,
    Authorizations,
    Outcomes,
    Rejects,
    Sources,
    MetricsCells,
    MetricsDrift,
    MetricsSystems,
    Fits,
    ValidityAgreement,
    ReviewQueue,
    ValidityLabeler,
    ValidityCorrected,
}

impl Table {
    pub const ALL: [Table; 17] = [
        Table::Runs,
        Table::Messages,
        Table::Items,
        Table::Actions,
        Table::Exposures,
        Table::Authorizations,
        Table::Outcomes,
        Table::Rejects,
        Table::Sources,
        Table::MetricsCells,
        Table::MetricsDrift,
        Table::MetricsSystems,
        Table::Fits,
        Table::ValidityAgreement,
        Table::ReviewQueue,
        Table::ValidityLabeler,
        Table::ValidityCorrected,
    ];

    /// The table's name in the store and in SQL.
    pub fn name(self) -> &'static str {
        match self {
            Table::Runs => "runs",
            Table::Messages => "messages",
            Table::Items => "items",
            Table::Actions => "actions",
            Table::Exposures => "exposures",
            Table::Authorizations => "authorizations",
            Table::Outcomes => "outcomes",
            Table::Rejects => "rejects",
            Table::Sources => "sources",
            Table::MetricsCells => "metrics_cells",
            Table::MetricsDrift => "metrics_drift",
            Table::MetricsSystems => "metrics_systems",
            Table::Fits => "fits",
            Table::ValidityAgreement => "validity_agreement",
            Table::ReviewQueue => "review_queue",
            Table::ValidityLabeler => "validity_labeler",
            Table::ValidityCorrected => "validity_corrected",
        }
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn schema(self) -> SchemaRef {
        match self {
            Table::Runs => runs(),
            Table::Messages => messages(),
            Table::Items => items(),
            Table::Actions => actions(),
            Table::Exposures => exposures(),
            Table::Authorizations => authorizations(),
            Table::Outcomes => outcomes(),
            Table::Rejects => rejects(),
            Table::Sources => sources(),
            Table::MetricsCells => metrics_cells(),
            Table::MetricsDrift => metrics_drift(),
            Table::MetricsSystems => metrics_systems(),
            Table::Fits => fits(),
            Table::ValidityAgreement => validity_agreement(),
            Table::ReviewQueue => review_queue(),
            Table::ValidityLabeler => validity_labeler(),
            Table::ValidityCorrected => validity_corrected(),
        }
    }
}

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

/// A list of non-null strings, e.g. recipients or match forms.
pub fn utf8_list_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, false)))
}

/// Timestamps are microseconds in UTC; logs without a zone are read as UTC and say so in `tvp formats`.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// One row per recorded run (chain, episode): where it came from and its experimental condition.
pub fn runs() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::RUN_ID, false),
        utf8(col::SOURCE_FILE, false),
        utf8(col::SOURCE_FORMAT, false),
        utf8(col::SOURCE_HASH, false),
        utf8(col::FRAMEWORK, true),
        utf8(col::BACKEND, true),
        utf8(col::SCENARIO_ID, true),
        Field::new(col::TRUST, DataType::Float64, true),
        utf8(col::DEFENSE, true),
        Field::new(col::SEED, DataType::Int64, true),
        Field::new(col::REPETITION, DataType::Int32, true),
        Field::new(col::STARTED_AT, timestamp_type(), true),
        Field::new(col::N_MESSAGES, DataType::Int64, false),
        utf8(col::META_SOURCE, false),
        Field::new(col::SYNTHETIC, DataType::Boolean, false),
    ]))
}

/// One row per message, thought, tool call or tool result, in the order the run produced them.
pub fn messages() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::RUN_ID, false),
        Field::new(col::TURN, DataType::Int32, false),
        Field::new(col::TS, timestamp_type(), true),
        utf8(col::SENDER, false),
        utf8(col::SENDER_ROLE, true),
        Field::new(col::RECIPIENTS, utf8_list_type(), false),
        utf8(col::CHANNEL, true),
        utf8(col::KIND, false),
        utf8(col::CONTENT, false),
        utf8(col::TOOL_NAME, true),
        utf8(col::TOOL_ARGS, true),
        utf8(col::MODEL, true),
        Field::new(col::IS_FINAL, DataType::Boolean, false),
        Field::new(col::SOURCE_OFFSET, DataType::Int64, false),
    ]))
}

/// Ground truth: one row per sensitive item or decoy, scoped to a catalog scenario or to one run.
pub fn items() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::SCOPE, false),
        utf8(col::SCENARIO_ID, true),
        utf8(col::RUN_ID, true),
        utf8(col::ITEM_ID, false),
        utf8(col::KIND, false),
        utf8(col::VALUE, false),
        Field::new(col::MATCH_FORMS, utf8_list_type(), false),
        Field::new(col::PATTERNS, utf8_list_type(), false),
        Field::new(col::MATCH_KINDS, utf8_list_type(), false),
        Field::new(col::IN_MNI, DataType::Boolean, false),
        Field::new(col::IS_DECOY, DataType::Boolean, false),
        Field::new(col::PARTIAL, DataType::Int32, true),
    ]))
}

/// Ground truth: one row per action a scenario (or run) knows, with whether it is within the minimum authorization.
pub fn actions() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::SCOPE, false),
        utf8(col::SCENARIO_ID, true),
        utf8(col::RUN_ID, true),
        utf8(col::ACTION, false),
        Field::new(col::ALLOWED, DataType::Boolean, false),
        utf8(col::DESCRIPTION, true),
    ]))
}

/// Labels: one row per item found outside the MNI in an outward message, with its provenance.
pub fn exposures() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::RUN_ID, false),
        Field::new(col::TURN, DataType::Int32, false),
        utf8(col::SENDER, false),
        Field::new(col::RECIPIENTS, utf8_list_type(), false),
        utf8(col::ITEM_ID, false),
        utf8(col::MATCH_KIND, false),
        Field::new(col::SPAN_START, DataType::Int64, false),
        Field::new(col::SPAN_END, DataType::Int64, false),
        utf8(col::RULE, false),
        utf8(col::EVIDENCE, false),
        utf8(col::ITEM_KIND, true),
        utf8(col::CHANNEL, true),
        Field::new(col::HOP, DataType::Int32, false),
        Field::new(col::PATH, utf8_list_type(), false),
    ]))
}

/// Session table `external_labels`: a judge's or a human's labels merged by `tvp label --labels`.
pub fn external_labels() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::RUN_ID, false),
        Field::new(col::TURN, DataType::Int32, false),
        utf8(col::ITEM_ID, false),
        utf8("source", true),
    ]))
}

/// Session table `roles`: which agent names a catalog scenario gives which role.
pub fn roles() -> SchemaRef {
    Arc::new(Schema::new(vec![utf8(col::SCENARIO_ID, false), utf8("agent", false), utf8("role", false)]))
}

/// Session table `success_conditions`: a scenario's success condition, one row per action or item it names.
pub fn success_conditions() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::SCENARIO_ID, false),
        utf8("require", false),
        utf8(col::KIND, false),
        utf8("ref", false),
    ]))
}

/// Session table `label_settings`: one row with the labeling scope (`chain` or `final`) and whether pieces of a
/// split value sent to different recipients add up.
pub fn label_settings() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::SCOPE, false),
        Field::new("split_across_recipients", DataType::Boolean, false),
    ]))
}

/// Labels: one row per action performed in a run, with whether it was allowed.
pub fn authorizations() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::RUN_ID, false),
        Field::new(col::TURN, DataType::Int32, false),
        utf8(col::SENDER, false),
        utf8(col::ACTION, false),
        Field::new(col::ALLOWED, DataType::Boolean, false),
        utf8(col::RULE, false),
        utf8(col::EVIDENCE, false),
    ]))
}

/// Labels: one row per run, the chain-level verdicts the metrics are computed from.
pub fn outcomes() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::RUN_ID, false),
        utf8(col::SCENARIO_ID, true),
        Field::new(col::TRUST, DataType::Float64, true),
        utf8(col::LABEL_SCOPE, false),
        Field::new(col::OVER_EXPOSED, DataType::Boolean, false),
        Field::new(col::N_EXPOSURES, DataType::Int64, false),
        Field::new(col::FIRST_EXPOSURE_TURN, DataType::Int32, true),
        Field::new(col::TASK_SUCCESS, DataType::Boolean, true),
        Field::new(col::OVER_AUTHORIZED, DataType::Boolean, false),
    ]))
}

/// Quarantine: one row per input record (or whole file) that could not be ingested, and why.
pub fn rejects() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::FILE, false),
        Field::new(col::LINE, DataType::Int64, true),
        Field::new(col::BYTE_OFFSET, DataType::Int64, true),
        utf8(col::SOURCE_FORMAT, true),
        utf8(col::REASON, false),
    ]))
}

/// The ingest ledger: one row per source file ingested, with its record accounting (read = ingested + rejected)
/// and content hash (a file whose hash is here is not ingested again).
pub fn sources() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::FILE, false),
        utf8(col::SOURCE_HASH, false),
        utf8(col::SOURCE_FORMAT, true),
        Field::new(col::BYTES, DataType::Int64, false),
        Field::new(col::READ, DataType::Int64, false),
        Field::new(col::INGESTED, DataType::Int64, false),
        Field::new(col::REJECTED, DataType::Int64, false),
        Field::new(col::INGESTED_AT, timestamp_type(), false),
    ]))
}

fn f64_col(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Float64, nullable)
}

fn i64_col(name: &str) -> Field {
    Field::new(name, DataType::Int64, false)
}

/// The system columns every metrics table starts with: its name and parts (backend × framework × defense).
fn system_fields() -> Vec<Field> {
    vec![utf8("system", false), utf8(col::FRAMEWORK, false), utf8(col::BACKEND, false), utf8(col::DEFENSE, false)]
}

/// Metrics: one row per (system, scenario, τ): chains, OER with its Wilson 95 % interval, task success and
/// over-authorization rates, and the label scope the outcomes were made with.
pub fn metrics_cells() -> SchemaRef {
    let mut fields = system_fields();
    fields.extend([
        utf8(col::SCENARIO_ID, false),
        f64_col(col::TRUST, false),
        i64_col("chains"),
        i64_col("over_exposed"),
        f64_col("oer", false),
        f64_col("oer_low", false),
        f64_col("oer_high", false),
        i64_col("success_known"),
        i64_col("succeeded"),
        f64_col("success_rate", true),
        f64_col("success_low", true),
        f64_col("success_high", true),
        i64_col("over_authorized"),
        f64_col("over_authorization_rate", false),
        utf8(col::LABEL_SCOPE, false),
    ]);
    Arc::new(Schema::new(fields))
}

/// Metrics: Authorization Drift per (system, scenario): the weighted population variance of OER over the trust
/// levels, with `weights` = `equal` (1/|T|) or `size` (∝ chains at each τ).
pub fn metrics_drift() -> SchemaRef {
    let mut fields = system_fields();
    fields.extend([
        utf8(col::SCENARIO_ID, false),
        utf8("weights", false),
        Field::new("levels", DataType::Int32, false),
        f64_col("oer_mean", false),
        f64_col("ad", false),
    ]);
    Arc::new(Schema::new(fields))
}

/// Metrics: system-level aggregates, each labeled with how it was computed (`aggregation`): OER, task success
/// and over-authorization per τ, and AD, as the mean of per-scenario values or as the pooled value.
pub fn metrics_systems() -> SchemaRef {
    let mut fields = system_fields();
    fields.extend([
        utf8("metric", false),
        f64_col(col::TRUST, true),
        utf8("aggregation", false),
        f64_col("value", false),
        f64_col("low", true),
        f64_col("high", true),
        utf8("interval", true),
        i64_col("chains"),
        Field::new("scenarios", DataType::Int32, false),
    ]);
    Arc::new(Schema::new(fields))
}

/// Fits: per system and shape, the binomial GLM `logit p = b0 + b1 τ (+ b2 τ²)` by IRLS, with Wald 95 %
/// intervals, AIC, whether AIC chose it, curvature of the fitted curve and the trust budget τ*(ε). `aic`,
/// `deviance` and `llf` are the chain-level model's (statsmodels' on one row per chain, 0/1 outcome);
/// `deviance_grouped` is the grouped-binomial deviance over the pooled (τ, k, n) rows.
pub fn fits() -> SchemaRef {
    let mut fields = system_fields();
    fields.extend([
        utf8("shape", false),
        Field::new("chosen", DataType::Boolean, false),
        f64_col("b0", false),
        f64_col("b0_low", false),
        f64_col("b0_high", false),
        f64_col("b1", false),
        f64_col("b1_low", false),
        f64_col("b1_high", false),
        f64_col("b2", true),
        f64_col("b2_low", true),
        f64_col("b2_high", true),
        f64_col("aic", false),
        f64_col("deviance", false),
        f64_col("llf", false),
        f64_col("deviance_grouped", false),
        Field::new("converged", DataType::Boolean, false),
        f64_col("curvature", true),
        f64_col("epsilon", false),
        f64_col("tau_star", true),
        i64_col("chains"),
    ]);
    Arc::new(Schema::new(fields))
}

fn i32_list_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Int32, false)))
}

/// Validity: agreement between the rules and an external judge per item kind (and `all`), at run × item level:
/// the 2 × 2 counts, observed and chance agreement, Cohen's κ with its large-sample standard error and Wald 95 %
/// interval (statsmodels' `cohens_kappa`; null where κ or the variance is undefined), and how the interval was made.
pub fn validity_agreement() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::ITEM_KIND, false),
        i64_col("units"),
        i64_col("both"),
        i64_col("rule_only"),
        i64_col("judge_only"),
        i64_col("neither"),
        f64_col("observed_agreement", false),
        f64_col("expected_agreement", false),
        f64_col("kappa", true),
        f64_col("kappa_se", true),
        f64_col("kappa_low", true),
        f64_col("kappa_high", true),
        utf8("interval", false),
    ]))
}

/// Validity: one row per run × item the rules and the judge disagree on, for a human to review: who says what
/// (`disagreement` = `rule_only` or `judge_only`) and the turns each side labeled.
pub fn review_queue() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8(col::RUN_ID, false),
        utf8(col::SCENARIO_ID, true),
        Field::new(col::TRUST, DataType::Float64, true),
        utf8(col::ITEM_ID, false),
        utf8(col::ITEM_KIND, false),
        utf8("disagreement", false),
        Field::new("rules_say", DataType::Boolean, false),
        Field::new("judge_says", DataType::Boolean, false),
        Field::new("rule_turns", i32_list_type(), false),
        Field::new("judge_turns", i32_list_type(), false),
        Field::new("rule_match_kinds", utf8_list_type(), false),
    ]))
}

/// Validity: the labeler's chain-level sensitivity and specificity for over-exposure on a validation set (`source`
/// = `truth` or `validation`), with Wilson 95 % intervals, and how many runs of the set matched the store.
pub fn validity_labeler() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8("source", false),
        utf8(col::FILE, false),
        utf8("measure", false),
        i64_col("k"),
        i64_col("n"),
        f64_col("value", true),
        f64_col("low", true),
        f64_col("high", true),
        utf8("interval", false),
        i64_col("matched"),
        i64_col("unmatched"),
    ]))
}

/// Validity: next to each OER (per system × scenario × τ, `aggregation` = `cell`, and pooled over scenarios per
/// system × τ, `pooled`), the Rogan-Gladen rate corrected for the labeler's sensitivity and specificity, clamped to
/// [0, 1] (`corrected_raw` before clamping, `clamped` whether that changed it), with a bootstrap 95 % interval that
/// redraws sensitivity, specificity and the observed rate (`interval` says how; `replicates`/`dropped` count them).
pub fn validity_corrected() -> SchemaRef {
    let mut fields = system_fields();
    fields.extend([
        utf8(col::SCENARIO_ID, true),
        f64_col(col::TRUST, false),
        utf8("aggregation", false),
        i64_col("chains"),
        i64_col("over_exposed"),
        f64_col("oer", false),
        f64_col("oer_low", false),
        f64_col("oer_high", false),
        f64_col("corrected", true),
        f64_col("corrected_raw", true),
        Field::new("clamped", DataType::Boolean, true),
        f64_col("corrected_low", true),
        f64_col("corrected_high", true),
        i64_col("replicates"),
        i64_col("dropped"),
        utf8("interval", false),
    ]);
    Arc::new(Schema::new(fields))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use arrow::record_batch::RecordBatch;

    use super::*;

    #[test]
    fn every_table_builds_an_empty_batch_with_unique_columns() {
        for table in Table::ALL {
            let schema = table.schema();
            assert!(!schema.fields().is_empty(), "{} has no columns", table.name());
            let names: HashSet<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            assert_eq!(names.len(), schema.fields().len(), "{} repeats a column", table.name());
            let batch = RecordBatch::new_empty(schema.clone());
            assert_eq!(batch.num_columns(), schema.fields().len());
        }
    }

    #[test]
    fn table_names_round_trip_and_are_unique() {
        let names: HashSet<&str> = Table::ALL.iter().map(|t| t.name()).collect();
        assert_eq!(names.len(), Table::ALL.len());
        for table in Table::ALL {
            assert_eq!(Table::from_name(table.name()), Some(table));
        }
        assert_eq!(Table::from_name("metrics_typo"), None);
    }

    #[test]
    fn keys_the_stages_join_on_are_present_and_typed_alike() {
        // Labels join messages to items by run/scenario and report on runs; a renamed or retyped key breaks that.
        for (table, column) in [
            (Table::Runs, col::RUN_ID),
            (Table::Messages, col::RUN_ID),
            (Table::Items, col::RUN_ID),
            (Table::Actions, col::RUN_ID),
            (Table::Exposures, col::RUN_ID),
            (Table::Authorizations, col::RUN_ID),
            (Table::Outcomes, col::RUN_ID),
        ] {
            let field = table.schema().field_with_name(column).cloned();
            let field = field.unwrap_or_else(|_| panic!("{} lacks {column}", table.name()));
            assert_eq!(field.data_type(), &DataType::Utf8, "{}.{column}", table.name());
        }
        for table in [Table::Runs, Table::Items, Table::Actions, Table::Outcomes] {
            let field = table.schema().field_with_name(col::SCENARIO_ID).cloned().unwrap();
            assert_eq!(field.data_type(), &DataType::Utf8);
            assert!(field.is_nullable(), "a run without a scenario must still be stored");
        }
        assert_eq!(
            runs().field_with_name(col::TRUST).unwrap().data_type(),
            outcomes().field_with_name(col::TRUST).unwrap().data_type()
        );
    }

    #[test]
    fn message_recipients_are_a_list_of_strings() {
        let schema = messages();
        let field = schema.field_with_name(col::RECIPIENTS).unwrap();
        assert_eq!(field.data_type(), &utf8_list_type());
        assert!(kind::ALL.contains(&kind::THOUGHT));
    }
}
