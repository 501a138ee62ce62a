//! Defense effects: how much a defense (repartitioning, guardian) lowers OER and AD, with intervals.
//!
//! In: exposed/total chain counts with and without the defense (independent samples), or per-scenario AD values with
//! and without it. Out: the difference `p_def − p_base` with Newcombe's hybrid score interval (Newcombe 1998, method
//! 10: built from the two Wilson intervals; statsmodels `confint_proportions_2indep(method="newcomb")`), and the
//! relative change `p_def / p_base − 1` from the log risk ratio with ½ added to counts and totals (statsmodels
//! `method="log-adjusted"`, compare `"ratio"`, shifted by −1), which stays finite at 0 events. AD effects use the
//! scenario cluster bootstrap, resampling scenarios jointly for both arms. Paired chains go to [`super::mcnemar`].

use super::bootstrap::{BootstrapCi, cluster_bootstrap};
use super::rates::{Z95, rate, wilson};

/// Newcombe hybrid score interval for `p1 − p2` (independent proportions): `(diff, lo, hi)`.
/// `None` when either total is 0 or a count exceeds its total.
pub fn newcombe_diff(k1: u64, n1: u64, k2: u64, n2: u64) -> Option<(f64, f64, f64)> {
    let (p1, p2) = (rate(k1, n1)?, rate(k2, n2)?);
    let ((l1, u1), (l2, u2)) = (wilson(k1, n1)?, wilson(k2, n2)?);
    let d = p1 - p2;
    let lo = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let hi = d + ((p2 - l2).powi(2) + (u1 - p1).powi(2)).sqrt();
    Some((d, lo, hi))
}

/// 95 % interval for the risk ratio `p1 / p2` on the log scale with ½ added to each count and total
/// (statsmodels "log-adjusted"): `(lo, hi)`. `None` when either total is 0 or a count exceeds its total.
pub fn ratio_log_adjusted(k1: u64, n1: u64, k2: u64, n2: u64) -> Option<(f64, f64)> {
    rate(k1, n1)?;
    rate(k2, n2)?;
    let (c1, t1, c2, t2) = (k1 as f64 + 0.5, n1 as f64 + 0.5, k2 as f64 + 0.5, n2 as f64 + 0.5);
    let log_ratio = (c1 / t1 / (c2 / t2)).ln();
    let half = Z95 * (1.0 / c1 - 1.0 / t1 + 1.0 / c2 - 1.0 / t2).sqrt();
    Some(((log_ratio - half).exp(), (log_ratio + half).exp()))
}

/// Effect of a defense on a rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateEffect {
    pub baseline: f64,
    pub defended: f64,
    /// `defended − baseline` (negative: the defense lowers OER).
    pub diff: f64,
    /// Newcombe hybrid score 95 % interval of `diff`.
    pub diff_ci: (f64, f64),
    /// `defended / baseline − 1`; `None` when the baseline rate is 0.
    pub rel_change: Option<f64>,
    /// 95 % interval of the relative change (log-adjusted risk ratio − 1); defined even at 0 events.
    pub rel_ci: (f64, f64),
}

/// OER effect of a defense from independent chain counts. `None` when either arm has no chains.
pub fn rate_effect(k_def: u64, n_def: u64, k_base: u64, n_base: u64) -> Option<RateEffect> {
    let (diff, lo, hi) = newcombe_diff(k_def, n_def, k_base, n_base)?;
    let (rlo, rhi) = ratio_log_adjusted(k_def, n_def, k_base, n_base)?;
    let (defended, baseline) = (rate(k_def, n_def)?, rate(k_base, n_base)?);
    Some(RateEffect {
        baseline,
        defended,
        diff,
        diff_ci: (lo, hi),
        rel_change: (baseline > 0.0).then(|| defended / baseline - 1.0),
        rel_ci: (rlo - 1.0, rhi - 1.0),
    })
}

/// AD effect over scenarios, as bootstrap intervals of the mean difference and of the relative change of mean AD.
#[derive(Debug, Clone, PartialEq)]
pub struct AdEffect {
    /// `mean AD_def − mean AD_base` over scenarios.
    pub diff: BootstrapCi,
    /// `mean AD_def / mean AD_base − 1`.
    pub rel_change: BootstrapCi,
}

/// AD effect from per-scenario `(ad_baseline, ad_defended)` pairs: scenarios are resampled with replacement (the
/// same resample for both arms), `b` replicates under `seed`. Aggregation: plain mean of scenario ADs per arm.
pub fn ad_effect(per_scenario: &[(f64, f64)], b: usize, seed: u64) -> AdEffect {
    let means = |xs: &[&(f64, f64)]| {
        let n = xs.len() as f64;
        (xs.iter().map(|x| x.0).sum::<f64>() / n, xs.iter().map(|x| x.1).sum::<f64>() / n)
    };
    let diff = cluster_bootstrap(per_scenario, b, seed, |xs| {
        let (base, def) = means(xs);
        def - base
    });
    let rel_change = cluster_bootstrap(per_scenario, b, seed, |xs| {
        let (base, def) = means(xs);
        def / base - 1.0
    });
    AdEffect { diff, rel_change }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newcombe_contains_the_difference_and_handles_zeros() {
        let (d, lo, hi) = newcombe_diff(0, 20, 8, 20).unwrap();
        assert!((d + 0.4).abs() < 1e-15 && lo < d && d < hi && lo >= -1.0 && hi <= 1.0);
        assert_eq!(newcombe_diff(1, 0, 1, 2), None);
    }

    #[test]
    fn rate_effect_zero_baseline() {
        let e = rate_effect(0, 10, 0, 10).unwrap();
        assert_eq!(e.rel_change, None);
        assert!(e.rel_ci.0.is_finite() && e.rel_ci.1.is_finite() && e.rel_ci.0 < 0.0 && e.rel_ci.1 > 0.0);
    }

    #[test]
    fn ad_effect_same_resamples_for_both_statistics() {
        let data = [(0.08, 0.02), (0.02, 0.01), (0.05, 0.03), (0.10, 0.04), (0.0, 0.0)];
        let e = ad_effect(&data, 400, 9);
        assert!((e.diff.estimate + 0.03).abs() < 1e-12);
        assert!(e.diff.hi < 0.0, "all scenarios improve: {:?}", e.diff);
        assert!(e.rel_change.estimate < 0.0 && e.rel_change.hi < 0.0);
    }
}
