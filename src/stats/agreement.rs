//! Agreement between two binary labelers (the rules and an external judge): Cohen's κ with its 95 % interval.
//!
//! In: a 2 × 2 table of units (run × item pairs) by what each labeler says: both exposed, rules only, judge only,
//! neither. Out: observed and chance agreement, κ, its large-sample standard error (Fleiss, Cohen & Everitt 1969, the
//! variance statsmodels' `cohens_kappa` uses for its interval) and the Wald interval `κ ± z se` with
//! `z = Φ⁻¹(0.975)`. Matches `statsmodels.stats.inter_rater.cohens_kappa(table, return_results=True)`: `kappa`,
//! `std_kappa`, `kappa_low`, `kappa_upp` (the interval is not clamped to [−1, 1], as statsmodels does not). Where
//! the variance is not positive (perfect agreement, or one labeler using a single category) the Wald interval has
//! no width and is reported as `None`; κ itself is `None` when chance agreement is 1 (both labelers put every unit
//! in the same category), where it is 0/0.

use super::rates::Z95;

/// Units cross-classified by the rules (rows) and the judge (columns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Table2x2 {
    /// Both say exposed.
    pub both: u64,
    /// The rules say exposed, the judge does not.
    pub rule_only: u64,
    /// The judge says exposed, the rules do not.
    pub judge_only: u64,
    /// Neither says exposed.
    pub neither: u64,
}

impl Table2x2 {
    /// Count one unit.
    pub fn add(&mut self, rules: bool, judge: bool) {
        match (rules, judge) {
            (true, true) => self.both += 1,
            (true, false) => self.rule_only += 1,
            (false, true) => self.judge_only += 1,
            (false, false) => self.neither += 1,
        }
    }

    /// All units.
    pub fn n(&self) -> u64 {
        self.both + self.rule_only + self.judge_only + self.neither
    }
}

/// Cohen's κ of a [`Table2x2`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Kappa {
    /// Observed agreement `p_o`.
    pub observed: f64,
    /// Agreement expected by chance from the margins, `p_e`.
    pub expected: f64,
    /// `(p_o − p_e) / (1 − p_e)`.
    pub kappa: f64,
    /// Large-sample standard error (0 where the variance is not positive).
    pub se: f64,
    /// Wald 95 % interval `κ ± z se`; `None` where the variance is not positive.
    pub ci: Option<(f64, f64)>,
}

/// Cohen's κ with its interval; `None` for an empty table or when chance agreement is 1.
pub fn cohens_kappa(t: &Table2x2) -> Option<Kappa> {
    let n = t.n();
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    // p[i][j]: row i = rules (exposed, not), column j = judge (exposed, not).
    let p = [[t.both as f64 / nf, t.rule_only as f64 / nf], [t.judge_only as f64 / nf, t.neither as f64 / nf]];
    let row = [p[0][0] + p[0][1], p[1][0] + p[1][1]];
    let col = [p[0][0] + p[1][0], p[0][1] + p[1][1]];
    let observed = p[0][0] + p[1][1];
    let expected = row[0] * col[0] + row[1] * col[1];
    if expected >= 1.0 {
        return None;
    }
    let kappa = (observed - expected) / (1.0 - expected);
    // Fleiss, Cohen & Everitt (1969), in statsmodels' arrangement.
    let term_a: f64 = (0..2).map(|i| p[i][i] * (1.0 - (row[i] + col[i]) * (1.0 - kappa)).powi(2)).sum();
    let term_b = (1.0 - kappa).powi(2) * (p[0][1] * (col[0] + row[1]).powi(2) + p[1][0] * (col[1] + row[0]).powi(2));
    let term_c = (kappa - expected * (1.0 - kappa)).powi(2);
    let numerator = term_a + term_b - term_c;
    // The terms are O(1); a numerator within rounding of zero is a zero variance (statsmodels then gives a zero-width
    // interval or, when rounding makes it negative, NaN).
    let (se, ci) = if numerator > 1e-12 {
        let se = (numerator / (1.0 - expected).powi(2) / nf).sqrt();
        (se, Some((kappa - Z95 * se, kappa + Z95 * se)))
    } else {
        (0.0, None)
    };
    Some(Kappa { observed, expected, kappa, se, ci })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_example() {
        // Cohen's κ of [[20, 5], [10, 15]]: p_o = 0.7, p_e = 0.5 → κ = 0.4.
        let t = Table2x2 { both: 20, rule_only: 5, judge_only: 10, neither: 15 };
        let k = cohens_kappa(&t).unwrap();
        assert!((k.observed - 0.7).abs() < 1e-15 && (k.expected - 0.5).abs() < 1e-15);
        assert!((k.kappa - 0.4).abs() < 1e-15);
        let (lo, hi) = k.ci.unwrap();
        assert!(lo < 0.4 && 0.4 < hi);
    }

    #[test]
    fn degenerate_tables() {
        assert_eq!(cohens_kappa(&Table2x2::default()), None);
        // Both labelers say "not exposed" for every unit: chance agreement 1, κ is 0/0.
        assert_eq!(cohens_kappa(&Table2x2 { neither: 7, ..Table2x2::default() }), None);
        let perfect = cohens_kappa(&Table2x2 { both: 3, neither: 7, ..Table2x2::default() }).unwrap();
        assert_eq!((perfect.kappa, perfect.se, perfect.ci), (1.0, 0.0, None));
    }

    #[test]
    fn symmetric_in_the_labelers() {
        let a = cohens_kappa(&Table2x2 { both: 9, rule_only: 4, judge_only: 1, neither: 30 }).unwrap();
        let b = cohens_kappa(&Table2x2 { both: 9, rule_only: 1, judge_only: 4, neither: 30 }).unwrap();
        assert!((a.kappa - b.kappa).abs() < 1e-15 && (a.se - b.se).abs() < 1e-15);
    }
}
