//! Exact McNemar test for paired chains (same scenario, τ and seed run with and without a defense).
//!
//! In: the two discordant counts, or the paired binary outcomes. Out: the two-sided exact binomial p-value
//! `min(1, 2 · P(X ≤ min(b, c)))` with `X ~ Bin(b + c, ½)`, exactly as
//! `statsmodels.stats.contingency_tables.mcnemar(table, exact=True)`. Concordant pairs carry no information.

use super::special::binom_cdf;

/// Result of an exact McNemar test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McNemar {
    /// Pairs exposed at baseline and not with the defense.
    pub b: u64,
    /// Pairs not exposed at baseline and exposed with the defense.
    pub c: u64,
    /// statsmodels' statistic: `min(b, c)`.
    pub statistic: u64,
    /// Two-sided exact p-value (1 when there are no discordant pairs).
    pub p: f64,
}

/// Exact two-sided McNemar p-value from the discordant counts `b` and `c`.
pub fn mcnemar_exact(b: u64, c: u64) -> McNemar {
    let statistic = b.min(c);
    let p = (2.0 * binom_cdf(statistic, b + c, 0.5)).min(1.0);
    McNemar { b, c, statistic, p }
}

/// McNemar test from paired outcomes `(baseline_exposed, defended_exposed)`.
pub fn mcnemar_pairs(pairs: &[(bool, bool)]) -> McNemar {
    let b = pairs.iter().filter(|(base, def)| *base && !*def).count() as u64;
    let c = pairs.iter().filter(|(base, def)| !*base && *def).count() as u64;
    mcnemar_exact(b, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // b = 5, c = 0: 2 · (1/32) = 0.0625
        assert!((mcnemar_exact(5, 0).p - 0.0625).abs() < 1e-15);
        assert_eq!(mcnemar_exact(0, 0).p, 1.0);
        assert_eq!(mcnemar_exact(4, 4).p, 1.0);
        let m = mcnemar_pairs(&[(true, false), (true, false), (false, true), (true, true), (false, false)]);
        assert_eq!((m.b, m.c, m.statistic), (2, 1, 1));
    }
}
