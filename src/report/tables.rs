//! The report's tables, reshaped with polars (the long rows pivoted to one column per trust level) and rendered as
//! Markdown and HTML.

use std::sync::Arc;

use polars::prelude::*;

use super::OerRow;
use crate::error::{Error, Result};

/// A rendered table: header and cells as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn polars_error(e: PolarsError) -> Error {
    Error::Internal(format!("polars: {e}"))
}

/// Mean OER over sub-scenes per system (rows) and τ (columns), plus the number of sub-scenes.
pub fn oer_by_system(rows: &[OerRow]) -> Result<Table> {
    let labels: Vec<String> = rows.iter().map(|r| format!("OER τ={}", r.trust)).collect();
    let df = df!(
        "system" => rows.iter().map(|r| r.system.name()).collect::<Vec<_>>(),
        "trust" => rows.iter().map(|r| r.trust).collect::<Vec<_>>(),
        "level" => labels,
        "oer" => rows.iter().map(|r| r.oer).collect::<Vec<_>>(),
        "scenario" => rows.iter().map(|r| r.scenario_id.clone()).collect::<Vec<_>>(),
    )
    .map_err(polars_error)?;
    pivot_mean(df, "system", "oer")
}

/// Mean task success over sub-scenes per system and τ.
pub fn success_by_system(rows: &[OerRow]) -> Result<Table> {
    let kept: Vec<&OerRow> = rows.iter().filter(|r| r.success.is_some()).collect();
    let df = df!(
        "system" => kept.iter().map(|r| r.system.name()).collect::<Vec<_>>(),
        "trust" => kept.iter().map(|r| r.trust).collect::<Vec<_>>(),
        "level" => kept.iter().map(|r| format!("success τ={}", r.trust)).collect::<Vec<_>>(),
        "success" => kept.iter().map(|r| r.success.unwrap_or(f64::NAN)).collect::<Vec<_>>(),
        "scenario" => kept.iter().map(|r| r.scenario_id.clone()).collect::<Vec<_>>(),
    )
    .map_err(polars_error)?;
    pivot_mean(df, "system", "success")
}

/// Pivot `value` to one column per `level` (ordered by trust), averaged over sub-scenes, one row per `index`,
/// with the count of sub-scenes.
fn pivot_mean(df: DataFrame, index: &str, value: &str) -> Result<Table> {
    let levels = df
        .clone()
        .lazy()
        .select([col("trust"), col("level")])
        .unique_stable(None, UniqueKeepStrategy::First)
        .sort(["trust"], SortMultipleOptions::default())
        .select([col("level")])
        .collect()
        .map_err(polars_error)?;
    let counts = df.clone().lazy().group_by_stable([col(index)]).agg([col("scenario").n_unique().alias("sub-scenes")]);
    let wide = df
        .lazy()
        .select([col(index), col("level"), col(value)])
        .pivot(
            by_name(["level"], true, false),
            Arc::new(levels),
            by_name([index], true, false),
            by_name([value], true, false),
            element().mean(),
            true,
            "_".into(),
            polars::frame::PivotColumnNaming::Auto,
        )
        .join(counts, [col(index)], [col(index)], JoinArgs::new(JoinType::Left))
        .sort([index], SortMultipleOptions::default())
        .collect()
        .map_err(polars_error)?;
    Ok(render(&wide))
}

fn render(df: &DataFrame) -> Table {
    let header: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let rows = (0..df.height())
        .map(|i| {
            df.columns()
                .iter()
                .map(|c| match c.get(i) {
                    Ok(AnyValue::Float64(v)) => format!("{v:.3}"),
                    Ok(AnyValue::Null) => "-".into(),
                    Ok(AnyValue::String(s)) => s.to_string(),
                    Ok(AnyValue::StringOwned(s)) => s.to_string(),
                    Ok(other) => other.to_string(),
                    Err(_) => "?".into(),
                })
                .collect()
        })
        .collect();
    Table { header, rows }
}

impl Table {
    pub fn markdown(&self) -> String {
        let mut out = format!("| {} |\n|{}|\n", self.header.join(" | "), vec!["---"; self.header.len()].join("|"));
        for row in &self.rows {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        out
    }

    pub fn html(&self) -> String {
        let mut out = String::from("<table>\n<thead><tr>");
        for h in &self.header {
            out.push_str(&format!("<th>{}</th>", escape(h)));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for cell in row {
                out.push_str(&format!("<td>{}</td>", escape(cell)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
        out
    }
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::SystemKey;

    fn row(backend: &str, scenario: &str, trust: f64, oer: f64) -> OerRow {
        OerRow {
            system: SystemKey {
                framework: "F".into(),
                backend: backend.into(),
                defense: crate::metrics::Defense::None,
            },
            scenario_id: scenario.into(),
            trust,
            oer,
            chains: None,
            success: None,
        }
    }

    #[test]
    fn pivot_gives_one_column_per_trust_level_in_order_and_averages_sub_scenes() {
        let rows = vec![
            row("B", "S1", 0.9, 1.0),
            row("A", "S1", 0.1, 0.0),
            row("A", "S2", 0.1, 0.5),
            row("A", "S1", 0.9, 1.0),
            row("A", "S2", 0.9, 0.5),
            row("B", "S1", 0.1, 0.2),
        ];
        let t = oer_by_system(&rows).unwrap();
        assert_eq!(t.header, vec!["system", "OER τ=0.1", "OER τ=0.9", "sub-scenes"]);
        assert_eq!(t.rows[0], vec!["F-A", "0.250", "0.750", "2"]);
        assert_eq!(t.rows[1], vec!["F-B", "0.200", "1.000", "1"]);
        assert!(t.markdown().starts_with("| system | OER τ=0.1 |"));
        assert!(t.html().contains("<td>F-A</td>"));
    }
}
