//! Likelihood-ratio tests between nested binomial GLMs, in particular "do systems differ in their trust-risk curve".
//!
//! In: the log-likelihoods of a reduced and a full model and the difference in parameters; or per-system trust counts.
//! Out: the statistic `2 (ll_full − ll_reduced)` and its chi-square p-value (`scipy.stats.chi2.sf`). The systems test
//! compares one pooled curve `logit p = β0 + β1 τ` against a curve per system (system dummies and system × τ
//! interaction), with `2 (m − 1)` degrees of freedom for `m` systems.

use super::glm::{GlmError, GlmFit, GlmOptions, GroupedRow, fit_binomial};
use super::special::chi2_sf;

/// LR statistic and p-value. The statistic is clamped at 0 (a reduced model can beat the full one only by rounding).
pub fn lr_test(ll_reduced: f64, ll_full: f64, df: f64) -> (f64, f64) {
    let stat = (2.0 * (ll_full - ll_reduced)).max(0.0);
    (stat, chi2_sf(stat, df))
}

/// Chains of one system at one trust level.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemPoint {
    pub system: String,
    pub tau: f64,
    pub k: u64,
    pub n: u64,
}

/// Result of [`systems_differ`].
#[derive(Debug, Clone, PartialEq)]
pub struct SystemsTest {
    /// Systems in the order of the full model's dummies; the first is the baseline.
    pub systems: Vec<String>,
    pub reduced: GlmFit,
    pub full: GlmFit,
    pub stat: f64,
    pub df: f64,
    pub p: f64,
}

/// Design row of the full model: `[1, τ, d_2, …, d_m, d_2 τ, …, d_m τ]` with `d_j` the dummy of system `j`.
pub fn full_design_row(system_index: usize, m: usize, tau: f64) -> Vec<f64> {
    let mut x = vec![0.0; 2 * m];
    x[0] = 1.0;
    x[1] = tau;
    if system_index > 0 {
        x[1 + system_index] = 1.0;
        x[m + system_index] = tau;
    }
    x
}

/// Test whether systems differ: reduced `[1, τ]` pooled over systems vs full model with system dummies and
/// system × τ interaction. Systems are sorted by name; the first is the baseline (the test does not depend on it).
/// Both fits must start; either may be non-converged (check `reduced.converged` and `full.converged` before
/// trusting `p`).
pub fn systems_differ(points: &[SystemPoint]) -> Result<SystemsTest, GlmError> {
    let mut systems: Vec<String> = points.iter().map(|p| p.system.clone()).collect();
    systems.sort();
    systems.dedup();
    let m = systems.len();
    let index = |s: &str| systems.binary_search_by(|x| x.as_str().cmp(s)).unwrap_or(0);
    let reduced_rows: Vec<GroupedRow> =
        points.iter().map(|p| GroupedRow { x: vec![1.0, p.tau], k: p.k, n: p.n }).collect();
    let full_rows: Vec<GroupedRow> =
        points.iter().map(|p| GroupedRow { x: full_design_row(index(&p.system), m, p.tau), k: p.k, n: p.n }).collect();
    let reduced = fit_binomial(&reduced_rows, GlmOptions::default())?;
    let full = fit_binomial(&full_rows, GlmOptions::default())?;
    let df = (full.n_coef() - reduced.n_coef()) as f64;
    let (stat, p) = lr_test(reduced.llf, full.llf, df);
    Ok(SystemsTest { systems, reduced, full, stat, df, p })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lr_test_known_value() {
        // stat 3.841458820694124 on 1 df is the 5 % critical value.
        let (s, p) = lr_test(-10.0, -10.0 + 3.841_458_820_694_124 / 2.0, 1.0);
        assert!((s - 3.841_458_820_694_124).abs() < 1e-12 && (p - 0.05).abs() < 1e-12);
        assert_eq!(lr_test(-5.0, -5.0 - 1e-13, 2.0), (0.0, 1.0));
    }

    #[test]
    fn identical_systems_do_not_differ() {
        let mut pts = Vec::new();
        for sys in ["a", "b"] {
            for (tau, k) in [(0.1, 3), (0.5, 8), (0.9, 15)] {
                pts.push(SystemPoint { system: sys.into(), tau, k, n: 20 });
            }
        }
        let t = systems_differ(&pts).unwrap();
        assert_eq!(t.df, 2.0);
        assert!(t.stat < 1e-8 && t.p > 0.999_999, "{} {}", t.stat, t.p);
    }
}
