//! Binomial GLM with logit link, fitted by iteratively reweighted least squares (IRLS) on grouped counts, and the
//! trust-risk fits built on it.
//!
//! In: rows of (covariates `x_i`, successes `k_i`, trials `n_i`); chain-level data is the special case `n_i = 1`, and
//! grouping chains that share covariates gives the same coefficients and standard errors (only the log-likelihood's
//! constant changes). Out: a [`GlmFit`] with coefficients, standard errors from the inverse Fisher information at
//! the converged coefficients, Wald 95 % intervals at the exact normal quantile, and the log-likelihood, deviance and
//! AIC of the chain-level model: what statsmodels reports for the same fit on one row per chain with a 0/1 outcome
//! (`llf = Σ [k ln μ + (n−k) ln(1−μ)]`, `deviance = −2 llf`, `aic = −2 llf + 2p`), whatever the grouping of the
//! input. The grouped-binomial deviance and log-likelihood (with `ln C(n, k)`, what statsmodels reports for a fit on
//! `[k, n−k]` rows) are kept beside them as `deviance_grouped` and `llf_grouped`: the grouped deviance is the
//! goodness-of-fit statistic against the saturated model of the groups. Iterations and convergence are reported. Perfect separation never panics: the fit stops at `max_iter`, says
//! `converged = false` and `separation = true`, and keeps finite coefficients (standard errors may be infinite).
//! [`TrustShape`] builds the `[1, τ]` and `[1, τ, τ²]` designs of SPEC §6 and [`TrustFit::predict`] gives OER(τ) with
//! a Wald band on the logit scale mapped back through the logistic function (statsmodels' `get_prediction`).

use super::linalg::{chol_inverse, chol_solve, cholesky};
use super::rates::Z95;
use super::special::ln_choose;

/// One row of grouped binomial data.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedRow {
    /// Covariates, intercept included (the fit adds none).
    pub x: Vec<f64>,
    /// Chains with the event (over-exposure).
    pub k: u64,
    /// Chains.
    pub n: u64,
}

/// IRLS controls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GlmOptions {
    /// Iteration cap; a fit that reaches it reports `converged = false`.
    pub max_iter: usize,
    /// Convergence when every `|Δβ_j| ≤ tol · (1 + |β_j|)`.
    pub tol: f64,
}

impl Default for GlmOptions {
    fn default() -> Self {
        GlmOptions { max_iter: 100, tol: 1e-10 }
    }
}

/// Why a fit could not start. Non-convergence is not an error: it is reported on the [`GlmFit`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GlmError {
    #[error("no rows with trials to fit")]
    Empty,
    #[error("row {row} has {got} covariates, the first row has {expected}")]
    Dimension { row: usize, expected: usize, got: usize },
    #[error("row {row} has k = {k} events out of n = {n} trials")]
    CountsExceedTrials { row: usize, k: u64, n: u64 },
    #[error("row {row} has a non-finite covariate")]
    NonFinite { row: usize },
    #[error("the design matrix is rank-deficient (a covariate is constant or collinear with others)")]
    Singular,
}

/// A fitted binomial GLM.
#[derive(Debug, Clone, PartialEq)]
pub struct GlmFit {
    /// Coefficients β, in the order of the covariates.
    pub coef: Vec<f64>,
    /// Standard errors, `sqrt(diag((Xᵀ W X)⁻¹))`; infinite when the information matrix is singular at the end.
    pub se: Vec<f64>,
    /// Wald 95 % intervals `β ± z se` with `z = Φ⁻¹(0.975)` ([`Z95`], not 1.96).
    pub ci: Vec<(f64, f64)>,
    /// Covariance of β, row-major `p × p`.
    pub cov: Vec<f64>,
    /// Chain-level (Bernoulli) deviance `−2 llf`: statsmodels' `deviance` on one row per chain.
    pub deviance: f64,
    /// Chain-level log-likelihood `Σ [k ln μ + (n−k) ln(1−μ)]`: statsmodels' `llf` on one row per chain.
    pub llf: f64,
    /// Chain-level AIC `−2 llf + 2p`: statsmodels' `aic` on one row per chain.
    pub aic: f64,
    /// Grouped-binomial residual deviance `2 Σ [k ln(k/nμ) + (n−k) ln((n−k)/(n(1−μ)))]` over the input rows:
    /// statsmodels' `deviance` on `[k, n−k]` rows, the goodness of fit against the rows' saturated model.
    pub deviance_grouped: f64,
    /// Grouped-binomial log-likelihood `llf + Σ ln C(n, k)`: statsmodels' `llf` on `[k, n−k]` rows.
    pub llf_grouped: f64,
    /// IRLS iterations run.
    pub iterations: usize,
    /// Whether the coefficients met the tolerance before `max_iter`.
    pub converged: bool,
    /// Not converged with fitted probabilities pinned at 0 or 1 where the data are all-or-nothing: the MLE does not
    /// exist (perfect or quasi-complete separation); coefficients are the last iterate, not estimates.
    pub separation: bool,
    /// Rows with at least one trial.
    pub n_rows: usize,
    /// Total trials (chains).
    pub n_trials: u64,
}

/// A prediction on the probability scale with its 95 % band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// Linear predictor `xᵀβ` (logit scale).
    pub eta: f64,
    /// Its standard error `sqrt(xᵀ Σ x)`.
    pub se_eta: f64,
    /// `expit(eta)`.
    pub p: f64,
    /// `expit(eta − z se_eta)`, `z = Φ⁻¹(0.975)`.
    pub lo: f64,
    /// `expit(eta + z se_eta)`.
    pub hi: f64,
}

/// Logistic function, written to avoid overflow for large `|x|`.
pub fn expit(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `p (1 − p)` at `p = expit(eta)`, kept positive and accurate in both tails.
fn expit_var(eta: f64) -> f64 {
    expit(eta) * expit(-eta)
}

fn xlogy(x: f64, y: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x * y.ln() }
}

struct Stats {
    /// Grouped-binomial deviance (the IRLS objective up to a constant).
    deviance: f64,
    /// Chain-level (Bernoulli) log-likelihood.
    llf: f64,
    /// `Σ ln C(n, k)`: the grouped log-likelihood's constant.
    ln_choose: f64,
}

fn goodness(rows: &[&GroupedRow], eta: &[f64]) -> Stats {
    let (mut deviance, mut llf, mut constant) = (0.0, 0.0, 0.0);
    for (r, &e) in rows.iter().zip(eta) {
        let (k, n) = (r.k as f64, r.n as f64);
        let (mu, one_minus) = (expit(e), expit(-e));
        // ln μ and ln(1 − μ) from eta directly: −ln(1 + e^{−η}) stays finite where μ rounds to 0 or 1.
        let (ln_mu, ln_1mu) = (-ln1p_exp(-e), -ln1p_exp(e));
        deviance += 2.0 * (xlogy(k, k / (n * mu)) + xlogy(n - k, (n - k) / (n * one_minus)));
        llf += xmul(k, ln_mu) + xmul(n - k, ln_1mu);
        constant += ln_choose(n, k);
    }
    Stats { deviance, llf, ln_choose: constant }
}

/// `x · y` with `0 · y = 0` even where `y` is infinite (a count of zero contributes nothing to the likelihood).
fn xmul(x: f64, y: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x * y }
}

/// `ln(1 + e^x)` without overflow.
fn ln1p_exp(x: f64) -> f64 {
    if x > 35.0 { x + (-x).exp() } else { x.exp().ln_1p() }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Fisher information `Xᵀ W X` with `W = n μ (1 − μ)`.
fn information(rows: &[&GroupedRow], eta: &[f64], p: usize) -> Vec<f64> {
    let mut a = vec![0.0; p * p];
    for (r, &e) in rows.iter().zip(eta) {
        let w = r.n as f64 * expit_var(e);
        for i in 0..p {
            for j in 0..=i {
                a[i * p + j] += w * r.x[i] * r.x[j];
            }
        }
    }
    for i in 0..p {
        for j in 0..i {
            a[j * p + i] = a[i * p + j];
        }
    }
    a
}

/// Fit `logit P(event) = xᵀβ` by IRLS (Newton–Raphson for the canonical link) with step halving when the deviance
/// rises. Starts from statsmodels' `μ = (y + ½)/2`. Rows with `n = 0` are ignored.
pub fn fit_binomial(rows: &[GroupedRow], opts: GlmOptions) -> Result<GlmFit, GlmError> {
    let p = rows.first().map(|r| r.x.len()).ok_or(GlmError::Empty)?;
    for (i, r) in rows.iter().enumerate() {
        if r.x.len() != p {
            return Err(GlmError::Dimension { row: i, expected: p, got: r.x.len() });
        }
        if r.k > r.n {
            return Err(GlmError::CountsExceedTrials { row: i, k: r.k, n: r.n });
        }
        if r.x.iter().any(|v| !v.is_finite()) {
            return Err(GlmError::NonFinite { row: i });
        }
    }
    let rows: Vec<&GroupedRow> = rows.iter().filter(|r| r.n > 0).collect();
    if rows.is_empty() || p == 0 {
        return Err(GlmError::Empty);
    }

    // First step: weighted least squares on the working response at the starting μ.
    let mut eta: Vec<f64> = rows
        .iter()
        .map(|r| {
            let mu = (r.k as f64 / r.n as f64 + 0.5) / 2.0;
            (mu / (1.0 - mu)).ln()
        })
        .collect();
    let mut beta = irls_step(&rows, &eta, p).ok_or(GlmError::Singular)?;
    eta = rows.iter().map(|r| dot(&r.x, &beta)).collect();
    let mut dev = goodness(&rows, &eta).deviance;

    let mut converged = false;
    let mut iterations = 1;
    while iterations < opts.max_iter {
        iterations += 1;
        let Some(target) = irls_step(&rows, &eta, p) else { break };
        // Step halving: the full Newton step almost always lowers the deviance for the logit link; when it does not
        // (far from the optimum, or under separation) shorten it rather than oscillate.
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..30 {
            let cand: Vec<f64> = beta.iter().zip(&target).map(|(b, t)| b + step * (t - b)).collect();
            let cand_eta: Vec<f64> = rows.iter().map(|r| dot(&r.x, &cand)).collect();
            let cand_dev = goodness(&rows, &cand_eta).deviance;
            if cand_dev.is_finite() && cand_dev <= dev * (1.0 + 1e-12) + 1e-12 {
                accepted = Some((cand, cand_eta, cand_dev));
                break;
            }
            step /= 2.0;
        }
        let Some((cand, cand_eta, cand_dev)) = accepted else { break };
        let small = cand.iter().zip(&beta).all(|(n, o)| (n - o).abs() <= opts.tol * (1.0 + n.abs()));
        beta = cand;
        eta = cand_eta;
        dev = cand_dev;
        if small {
            converged = true;
            break;
        }
    }

    let stats = goodness(&rows, &eta);
    let info = information(&rows, &eta, p);
    let cov = match cholesky(&info, p) {
        Some(l) => chol_inverse(&l, p),
        None => {
            let mut c = vec![0.0; p * p];
            (0..p).for_each(|i| c[i * p + i] = f64::INFINITY);
            c
        }
    };
    let se: Vec<f64> = (0..p).map(|i| cov[i * p + i].max(0.0).sqrt()).collect();
    let ci = beta.iter().zip(&se).map(|(b, s)| (b - Z95 * s, b + Z95 * s)).collect();
    let separation = !converged
        && rows.iter().zip(&eta).any(|(r, &e)| {
            let mu = expit(e);
            (r.k == 0 && mu < 1e-6) || (r.k == r.n && mu > 1.0 - 1e-6)
        });
    Ok(GlmFit {
        aic: -2.0 * stats.llf + 2.0 * p as f64,
        coef: beta,
        se,
        ci,
        cov,
        deviance: -2.0 * stats.llf,
        llf: stats.llf,
        deviance_grouped: stats.deviance,
        llf_grouped: stats.llf + stats.ln_choose,
        iterations,
        converged,
        separation,
        n_rows: rows.len(),
        n_trials: rows.iter().map(|r| r.n).sum(),
    })
}

/// One IRLS update: solve `(Xᵀ W X) β = Xᵀ W z` with `z = η + (y − μ)/(μ(1−μ))`, written as
/// `Xᵀ (W η + n (y − μ))` so tiny weights never divide.
fn irls_step(rows: &[&GroupedRow], eta: &[f64], p: usize) -> Option<Vec<f64>> {
    let info = information(rows, eta, p);
    let mut rhs = vec![0.0; p];
    for (r, &e) in rows.iter().zip(eta) {
        let n = r.n as f64;
        let v = n * expit_var(e) * e + (r.k as f64 - n * expit(e));
        for (j, x) in r.x.iter().enumerate() {
            rhs[j] += x * v;
        }
    }
    let l = cholesky(&info, p)?;
    let beta = chol_solve(&l, p, &rhs);
    beta.iter().all(|b| b.is_finite()).then_some(beta)
}

impl GlmFit {
    /// Number of coefficients.
    pub fn n_coef(&self) -> usize {
        self.coef.len()
    }

    /// Prediction at covariates `x` (same length and order as the fit's rows).
    pub fn predict_x(&self, x: &[f64]) -> Prediction {
        let p = self.coef.len();
        let eta = dot(x, &self.coef);
        let mut var = 0.0;
        for i in 0..p {
            for j in 0..p {
                var += x[i] * self.cov[i * p + j] * x[j];
            }
        }
        let se_eta = var.max(0.0).sqrt();
        let (lo, hi) =
            if se_eta.is_finite() { (expit(eta - Z95 * se_eta), expit(eta + Z95 * se_eta)) } else { (0.0, 1.0) };
        Prediction { eta, se_eta, p: expit(eta), lo, hi }
    }
}

/// Shape of the trust-risk curve on the logit scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrustShape {
    /// `logit p = β0 + β1 τ`.
    Linear,
    /// `logit p = β0 + β1 τ + β2 τ²`.
    Quadratic,
}

impl TrustShape {
    /// The design row at trust `tau`: `[1, τ]` or `[1, τ, τ²]`.
    pub fn row(self, tau: f64) -> Vec<f64> {
        match self {
            TrustShape::Linear => vec![1.0, tau],
            TrustShape::Quadratic => vec![1.0, tau, tau * tau],
        }
    }
}

/// Chains of one system at one trust level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrustPoint {
    pub tau: f64,
    /// Chains that over-exposed.
    pub k: u64,
    /// Chains.
    pub n: u64,
}

/// A per-system trust-risk fit.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustFit {
    pub shape: TrustShape,
    pub glm: GlmFit,
}

impl TrustFit {
    /// Predicted OER at `tau` with its 95 % band (Wald on the logit scale, mapped back).
    pub fn predict(&self, tau: f64) -> Prediction {
        self.glm.predict_x(&self.shape.row(tau))
    }

    /// Curvature of the fitted curve at three ordered trust levels (see [`super::drift::curvature`]).
    pub fn curvature(&self, taus: [f64; 3]) -> f64 {
        super::drift::curvature(taus.map(|t| (t, self.predict(t).p)))
    }
}

/// Fit one system's trust-risk curve of the given shape.
pub fn fit_trust(points: &[TrustPoint], shape: TrustShape) -> Result<TrustFit, GlmError> {
    let rows: Vec<GroupedRow> = points.iter().map(|pt| GroupedRow { x: shape.row(pt.tau), k: pt.k, n: pt.n }).collect();
    Ok(TrustFit { shape, glm: fit_binomial(&rows, GlmOptions::default())? })
}

/// Fit both shapes and pick the one with the lower AIC (ties and a non-converged quadratic go to the linear).
/// Returns `(chosen, linear, quadratic)`; the quadratic is `None` when it cannot be fitted (fewer than three levels).
pub fn fit_trust_by_aic(points: &[TrustPoint]) -> Result<(TrustShape, TrustFit, Option<TrustFit>), GlmError> {
    let lin = fit_trust(points, TrustShape::Linear)?;
    let quad = fit_trust(points, TrustShape::Quadratic).ok();
    let chosen = match &quad {
        Some(q) if q.glm.converged && q.glm.aic < lin.glm.aic => TrustShape::Quadratic,
        _ => TrustShape::Linear,
    };
    Ok((chosen, lin, quad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separation_reports_not_converged_without_nan() {
        let pts = [
            TrustPoint { tau: 0.1, k: 0, n: 10 },
            TrustPoint { tau: 0.3, k: 0, n: 10 },
            TrustPoint { tau: 0.7, k: 10, n: 10 },
            TrustPoint { tau: 0.9, k: 10, n: 10 },
        ];
        let fit = fit_trust(&pts, TrustShape::Linear).unwrap();
        assert!(!fit.glm.converged && fit.glm.separation, "{fit:?}");
        assert!(fit.glm.coef.iter().all(|b| b.is_finite()));
        assert!(!fit.glm.deviance.is_nan() && !fit.glm.llf.is_nan() && !fit.glm.aic.is_nan());
        let pr = fit.predict(0.5);
        assert!(!pr.p.is_nan() && !pr.lo.is_nan() && !pr.hi.is_nan());
    }

    #[test]
    fn all_zero_outcomes_do_not_panic() {
        let pts = [TrustPoint { tau: 0.1, k: 0, n: 5 }, TrustPoint { tau: 0.9, k: 0, n: 5 }];
        let fit = fit_trust(&pts, TrustShape::Linear).unwrap();
        assert!(!fit.glm.converged);
        assert!(fit.predict(0.5).p < 1e-3);
    }

    #[test]
    fn bad_designs_are_errors() {
        assert_eq!(fit_binomial(&[], GlmOptions::default()), Err(GlmError::Empty));
        let one_level = [TrustPoint { tau: 0.5, k: 3, n: 10 }, TrustPoint { tau: 0.5, k: 4, n: 10 }];
        assert_eq!(fit_trust(&one_level, TrustShape::Linear), Err(GlmError::Singular));
        let bad = [GroupedRow { x: vec![1.0], k: 4, n: 3 }];
        assert!(matches!(fit_binomial(&bad, GlmOptions::default()), Err(GlmError::CountsExceedTrials { .. })));
    }

    #[test]
    fn grouped_and_chain_level_agree_on_coefficients() {
        let grouped = [TrustPoint { tau: 0.1, k: 2, n: 5 }, TrustPoint { tau: 0.9, k: 4, n: 5 }];
        let mut chains = Vec::new();
        for pt in grouped {
            for i in 0..pt.n {
                chains.push(TrustPoint { tau: pt.tau, k: u64::from(i < pt.k), n: 1 });
            }
        }
        let a = fit_trust(&grouped, TrustShape::Linear).unwrap();
        let b = fit_trust(&chains, TrustShape::Linear).unwrap();
        for i in 0..2 {
            assert!((a.glm.coef[i] - b.glm.coef[i]).abs() < 1e-9);
            assert!((a.glm.se[i] - b.glm.se[i]).abs() < 1e-9);
        }
        // Issue 13: llf, deviance and AIC are the chain-level model's whatever the grouping of the input.
        assert!((a.glm.llf - b.glm.llf).abs() < 1e-9);
        assert!((a.glm.aic - b.glm.aic).abs() < 1e-9);
        assert!((a.glm.deviance - b.glm.deviance).abs() < 1e-9);
        assert!((a.glm.deviance + 2.0 * a.glm.llf).abs() < 1e-12);
        // The grouped constant is Σ ln C(n, k) = ln C(5, 2) + ln C(5, 4) = ln 10 + ln 5; on chains it is 0.
        assert!((a.glm.llf_grouped - a.glm.llf - 50f64.ln()).abs() < 1e-9);
        assert!((b.glm.llf_grouped - b.glm.llf).abs() < 1e-12);
        // On chains, the grouped deviance is the chain-level one (each chain its own group).
        assert!((b.glm.deviance_grouped - b.glm.deviance).abs() < 1e-9);
    }
}
