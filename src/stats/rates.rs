//! Rates with Wilson score intervals.
//!
//! In: a count of chains with the event (`k`) out of `n` chains. Out: the rate and its 95 % Wilson interval, the
//! interval every OER in the report carries. Wilson rather than Wald because it stays inside [0, 1] and keeps a
//! non-zero width at 0/N and N/N, where audits of small grids often land (the paper's Table III has many 0 and 1).
//! Matches `statsmodels.stats.proportion.proportion_confint(k, n, method="wilson")`.

/// Two-sided 95 % standard normal quantile, `Φ⁻¹(0.975)`, as scipy's `norm.isf(0.025)`.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Point estimate `k / n`; `None` when `n = 0` or `k > n`.
pub fn rate(k: u64, n: u64) -> Option<f64> {
    (n > 0 && k <= n).then(|| k as f64 / n as f64)
}

/// 95 % Wilson score interval `(lo, hi)` for `k` events out of `n`.
///
/// `None` when `n = 0` (no chains: there is no rate to bound) or `k > n` (inconsistent counts); callers print a dash.
/// At `k = 0` the lower bound is exactly 0 and at `k = n` the upper bound is exactly 1 (the formula gives these up
/// to rounding; they are pinned so tables never show `-0.0000` or `1.0000` from `0.99999999`).
pub fn wilson(k: u64, n: u64) -> Option<(f64, f64)> {
    wilson_z(k, n, Z95)
}

/// Wilson score interval at an arbitrary normal quantile `z` (e.g. 2.5758 for 99 %).
pub fn wilson_z(k: u64, n: u64, z: f64) -> Option<(f64, f64)> {
    let p = rate(k, n)?;
    let nf = n as f64;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let center = (p + z2 / (2.0 * nf)) / denom;
    let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    let lo = if k == 0 { 0.0 } else { (center - half).max(0.0) };
    let hi = if k == n { 1.0 } else { (center + half).min(1.0) };
    Some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_honest_at_the_edges() {
        let (lo, hi) = wilson(0, 10).unwrap();
        assert_eq!(lo, 0.0);
        assert!((hi - 0.277_532_799_862_889_7).abs() < 1e-12, "{hi}");
        let (lo, hi) = wilson(10, 10).unwrap();
        assert_eq!(hi, 1.0);
        assert!((lo - (1.0 - 0.277_532_799_862_889_7)).abs() < 1e-12, "{lo}");
    }

    #[test]
    fn wilson_rejects_empty_and_inconsistent() {
        assert_eq!(wilson(0, 0), None);
        assert_eq!(wilson(3, 2), None);
        assert_eq!(rate(0, 0), None);
    }

    #[test]
    fn wilson_contains_the_rate() {
        for n in 1..40 {
            for k in 0..=n {
                let (lo, hi) = wilson(k, n).unwrap();
                let p = k as f64 / n as f64;
                assert!(lo <= p && p <= hi && (0.0..=1.0).contains(&lo) && hi <= 1.0, "{k}/{n}");
            }
        }
    }
}
