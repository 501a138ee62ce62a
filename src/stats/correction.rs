//! Rates corrected for labeling error: the labeler's sensitivity and specificity from a validation set, and the
//! Rogan-Gladen estimator of the true rate with a bootstrap interval.
//!
//! In: the validation set's confusion counts (chains whose true over-exposure is known, against what the labeler
//! said) and the observed counts `(k, n)` of the rates to correct. Out: sensitivity `tp / (tp + fn)` and specificity
//! `tn / (tn + fp)` with Wilson 95 % intervals, and per rate the Rogan-Gladen estimate
//! `(p + sp − 1) / (se + sp − 1)` (Rogan & Gladen 1978), clamped to [0, 1] (the raw value and whether it was clamped
//! are kept: an observed rate below `1 − sp` or above `se` is outside what the labeler's error can explain), with a
//! percentile 95 % interval from a parametric bootstrap that redraws all three inputs: per replicate, the labeled
//! positives among the validation positives (`Bin(tp + fn, se)`), the labeled negatives among the validation
//! negatives (`Bin(tn + fp, sp)`), and each observed count (`Bin(n, p)`), which is resampling each with replacement.
//! One draw of (se, sp) per replicate is shared by every rate, as one labeler made all of them. The validation set
//! and the rates are taken to be independent samples. Replicate `i` uses its own generator seeded from
//! `(seed, i)`, so the interval is the same for a seed whatever the thread count. Replicates where
//! `se + sp ≤ 1` have no estimate; they are dropped and counted.

use rayon::prelude::*;

use super::bootstrap::{Xoshiro256, percentile_sorted};
use super::rates::wilson;

/// A validation set's confusion counts: truth against the labeler, one unit per chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Confusion {
    pub true_positives: u64,
    pub false_negatives: u64,
    pub true_negatives: u64,
    pub false_positives: u64,
}

impl Confusion {
    /// Count one chain.
    pub fn add(&mut self, truth: bool, labeled: bool) {
        match (truth, labeled) {
            (true, true) => self.true_positives += 1,
            (true, false) => self.false_negatives += 1,
            (false, false) => self.true_negatives += 1,
            (false, true) => self.false_positives += 1,
        }
    }

    pub fn positives(&self) -> u64 {
        self.true_positives + self.false_negatives
    }

    pub fn negatives(&self) -> u64 {
        self.true_negatives + self.false_positives
    }

    /// Sensitivity with its Wilson interval; `None` without true positives in the set.
    pub fn sensitivity(&self) -> Option<Proportion> {
        Proportion::new(self.true_positives, self.positives())
    }

    /// Specificity with its Wilson interval; `None` without true negatives in the set.
    pub fn specificity(&self) -> Option<Proportion> {
        Proportion::new(self.true_negatives, self.negatives())
    }
}

/// `k / n` with its Wilson 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Proportion {
    pub k: u64,
    pub n: u64,
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Proportion {
    pub fn new(k: u64, n: u64) -> Option<Proportion> {
        let (lo, hi) = wilson(k, n)?;
        Some(Proportion { k, n, value: k as f64 / n as f64, lo, hi })
    }
}

/// A Rogan-Gladen estimate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RoganGladen {
    /// `(p + sp − 1) / (se + sp − 1)` before clamping.
    pub raw: f64,
    /// `raw` clamped to [0, 1].
    pub value: f64,
    /// Whether clamping changed it.
    pub clamped: bool,
}

/// The Rogan-Gladen estimate of a true rate from an observed rate `p`; `None` when `se + sp ≤ 1` (a labeler no
/// better than chance carries no information about the true rate).
pub fn rogan_gladen(p: f64, se: f64, sp: f64) -> Option<RoganGladen> {
    // Written with the false-positive rate `1 − sp` so a perfect labeler returns `p` exactly.
    let false_positive_rate = 1.0 - sp;
    let youden = se - false_positive_rate;
    if youden.is_nan() || youden <= 0.0 || p.is_nan() {
        return None;
    }
    let raw = (p - false_positive_rate) / youden;
    let value = raw.clamp(0.0, 1.0);
    Some(RoganGladen { raw, value, clamped: value != raw })
}

/// A corrected rate with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CorrectedRate {
    /// Observed `k / n`.
    pub observed: f64,
    pub estimate: RoganGladen,
    /// Percentile 2.5 % and 97.5 % of the replicates (of the clamped estimate).
    pub lo: f64,
    pub hi: f64,
    /// Replicates with an estimate, and without one (`se* + sp* ≤ 1`).
    pub replicates: usize,
    pub dropped: usize,
}

/// Uniform in [0, 1) from the top 53 bits.
fn uniform(rng: &mut Xoshiro256) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// `Bin(n, p) / n` by counting `n` Bernoulli draws (resampling `n` units with replacement); 0 for `n = 0`.
fn redraw(rng: &mut Xoshiro256, n: u64, p: f64) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    let hits = (0..n).filter(|_| uniform(rng) < p).count();
    hits as f64 / n as f64
}

/// Correct each observed `(k, n)` for the labeling error measured by `validation`, with `b` bootstrap replicates
/// under `seed`. One entry per rate: `None` when `n = 0`, `k > n`, the validation set lacks positives or negatives,
/// or `se + sp ≤ 1`.
pub fn correct_rates(rates: &[(u64, u64)], validation: &Confusion, b: usize, seed: u64) -> Vec<Option<CorrectedRate>> {
    let (Some(se), Some(sp)) = (validation.sensitivity(), validation.specificity()) else {
        return vec![None; rates.len()];
    };
    let estimates: Vec<Option<(f64, RoganGladen)>> = rates
        .iter()
        .map(|&(k, n)| {
            let p = super::rates::rate(k, n)?;
            Some((p, rogan_gladen(p, se.value, sp.value)?))
        })
        .collect();
    if estimates.iter().all(Option::is_none) {
        return vec![None; rates.len()];
    }
    // replicates[i][j]: rate j in replicate i (NaN: no estimate).
    let replicates: Vec<Vec<f64>> = (0..b as u64)
        .into_par_iter()
        .map(|i| {
            let mut rng = Xoshiro256::for_replicate(seed, i);
            let se_star = redraw(&mut rng, se.n, se.value);
            let sp_star = redraw(&mut rng, sp.n, sp.value);
            rates
                .iter()
                .zip(&estimates)
                .map(|(&(_, n), est)| match est {
                    Some((p, _)) => {
                        let p_star = redraw(&mut rng, n, *p);
                        rogan_gladen(p_star, se_star, sp_star).map_or(f64::NAN, |r| r.value)
                    }
                    None => f64::NAN,
                })
                .collect()
        })
        .collect();
    estimates
        .iter()
        .enumerate()
        .map(|(j, est)| {
            let (p, estimate) = (*est)?;
            let mut column: Vec<f64> = replicates.iter().map(|r| r[j]).filter(|v| v.is_finite()).collect();
            column.sort_by(f64::total_cmp);
            Some(CorrectedRate {
                observed: p,
                estimate,
                lo: percentile_sorted(&column, 0.025),
                hi: percentile_sorted(&column, 0.975),
                replicates: column.len(),
                dropped: b - column.len(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn confusion(tp: u64, fn_: u64, tn: u64, fp: u64) -> Confusion {
        Confusion { true_positives: tp, false_negatives: fn_, true_negatives: tn, false_positives: fp }
    }

    #[test]
    fn rogan_gladen_by_hand() {
        // p = 0.3, se = 0.9, sp = 14/15: (0.3 + 14/15 − 1) / (0.9 + 14/15 − 1) = (7/30) / (5/6) = 0.28.
        let r = rogan_gladen(0.3, 0.9, 14.0 / 15.0).unwrap();
        assert!((r.raw - 0.28).abs() < 1e-15 && !r.clamped);
        let low = rogan_gladen(0.05, 0.9, 0.8).unwrap();
        assert!(low.clamped && low.value == 0.0 && low.raw < 0.0);
        let high = rogan_gladen(0.7, 0.6, 0.95).unwrap();
        assert!(high.clamped && high.value == 1.0 && high.raw > 1.0);
        assert_eq!(rogan_gladen(0.3, 0.5, 0.5), None);
        assert_eq!(rogan_gladen(0.3, 0.4, 0.5), None);
        // A perfect labeler changes nothing.
        assert_eq!(rogan_gladen(0.3, 1.0, 1.0).unwrap().value, 0.3);
    }

    #[test]
    fn bootstrap_is_seeded_and_thread_independent() {
        let v = confusion(45, 5, 140, 10);
        let rates = [(30, 100), (0, 20), (12, 12), (0, 0)];
        let a = correct_rates(&rates, &v, 400, 7);
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let b = one.install(|| correct_rates(&rates, &v, 400, 7));
        assert_eq!(a, b);
        assert_ne!(a, correct_rates(&rates, &v, 400, 8));
        let typical = a[0].unwrap();
        assert!(typical.lo < typical.estimate.value && typical.estimate.value < typical.hi, "{typical:?}");
        assert_eq!((typical.replicates, typical.dropped), (400, 0));
        assert!(a[1].unwrap().estimate.clamped && a[1].unwrap().lo == 0.0);
        assert!(a[2].unwrap().estimate.clamped && a[2].unwrap().hi == 1.0);
        assert_eq!(a[3], None);
    }

    #[test]
    fn no_validation_positives_or_negatives_means_no_correction() {
        assert_eq!(correct_rates(&[(3, 10)], &confusion(0, 0, 10, 1), 50, 1), vec![None]);
        assert_eq!(correct_rates(&[(3, 10)], &confusion(5, 1, 0, 0), 50, 1), vec![None]);
    }

    #[test]
    fn uncertainty_of_the_labeler_widens_the_interval() {
        // The same observed rate and point estimates of se and sp, from a validation set 100× smaller: wider.
        let rates = [(300, 1000)];
        let big = correct_rates(&rates, &confusion(900, 100, 900, 100), 1000, 3)[0].unwrap();
        let small = correct_rates(&rates, &confusion(9, 1, 9, 1), 1000, 3)[0].unwrap();
        assert!((big.estimate.value - small.estimate.value).abs() < 1e-12);
        assert!(small.hi - small.lo > 1.5 * (big.hi - big.lo), "{small:?} vs {big:?}");
    }
}
