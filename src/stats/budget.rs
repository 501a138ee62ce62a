//! Trust budget τ*(ε): how much trust a system can be given before its over-exposure risk may exceed ε.
//!
//! In: a per-system [`TrustFit`] and a tolerated OER ε. Out: the largest τ in [0, 1] such that the upper 95 % band of
//! the predicted OER stays ≤ ε for every τ' ≤ τ (SPEC §6). Conservative by construction: it bounds the band, not the
//! point estimate, and it stops at the first crossing even when a quadratic fit dips back under ε later.

use super::glm::TrustFit;

/// Grid step of the scan before the crossing is refined by bisection.
pub const TAU_GRID_STEP: f64 = 0.001;

/// τ*(ε): scans τ = 0, 0.001, …, 1 for the first level whose upper band exceeds `eps`, then bisects between it and
/// the last level under `eps` to 1e-12. `None` when the band already exceeds `eps` at τ = 0 (or `eps` is NaN);
/// `Some(1.0)` when it never does. A crossing narrower than the grid step can be missed (the band is smooth, so
/// only a fit with extreme curvature could do that).
pub fn tau_star(fit: &TrustFit, eps: f64) -> Option<f64> {
    let over = |t: f64| {
        let hi = fit.predict(t).hi;
        hi > eps || hi.is_nan() || eps.is_nan()
    };
    if over(0.0) {
        return None;
    }
    let steps = (1.0 / TAU_GRID_STEP).round() as usize;
    let mut last_ok = 0.0;
    for i in 1..=steps {
        let t = (i as f64 * TAU_GRID_STEP).min(1.0);
        if over(t) {
            let (mut lo, mut hi) = (last_ok, t);
            while hi - lo > 1e-12 {
                let mid = 0.5 * (lo + hi);
                if over(mid) { hi = mid } else { lo = mid }
            }
            return Some(lo);
        }
        last_ok = t;
    }
    Some(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::glm::{TrustPoint, TrustShape, fit_trust};

    fn rising() -> TrustFit {
        let pts = [
            TrustPoint { tau: 0.1, k: 2, n: 40 },
            TrustPoint { tau: 0.5, k: 12, n: 40 },
            TrustPoint { tau: 0.9, k: 28, n: 40 },
        ];
        fit_trust(&pts, TrustShape::Linear).unwrap()
    }

    #[test]
    fn tau_star_is_monotone_in_eps_and_sits_on_the_band() {
        let fit = rising();
        let mut prev = -1.0;
        for eps in [0.15, 0.2, 0.3, 0.4, 0.5, 0.6] {
            let t = tau_star(&fit, eps).unwrap();
            assert!(t >= prev, "eps {eps}: {t} < {prev}");
            prev = t;
            if t < 1.0 {
                assert!((fit.predict(t).hi - eps).abs() < 1e-9, "band at τ* should touch ε");
            }
        }
    }

    #[test]
    fn tau_star_edges() {
        let fit = rising();
        assert_eq!(tau_star(&fit, 0.01), None);
        assert_eq!(tau_star(&fit, 0.99), Some(1.0));
        assert_eq!(tau_star(&fit, f64::NAN), None);
    }
}
