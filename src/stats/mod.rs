//! Statistics of the audit: rates with Wilson intervals, Authorization Drift, binomial GLM trust-risk fits, the trust
//! budget τ*, likelihood-ratio and exact McNemar tests, the scenario cluster bootstrap, defense effects, and the
//! validity of the labels: agreement with an external judge (Cohen's κ) and rates corrected for the labeler's
//! measured error (Rogan-Gladen) (SPEC §6).
//!
//! In: counts and rates the metrics stage computed from labeled chains. Out: plain numbers and small structs, no
//! Arrow; the fit and report stages turn them into tables. Every routine is checked against statsmodels/scipy on the
//! fixtures in `tests/fixtures/stats/` (`scripts/stats_reference.py` writes the expected values); pure Rust, the only
//! dependency is rayon for the bootstrap.

pub mod agreement;
pub mod bootstrap;
pub mod budget;
pub mod correction;
pub mod defense;
pub mod drift;
pub mod glm;
mod linalg;
pub mod lrt;
pub mod mcnemar;
pub mod rates;
pub mod special;

#[cfg(test)]
mod reference_tests;

pub use agreement::{Kappa, Table2x2, cohens_kappa};
pub use bootstrap::{BootstrapCi, cluster_bootstrap};
pub use budget::tau_star;
pub use correction::{Confusion, CorrectedRate, Proportion, RoganGladen, correct_rates, rogan_gladen};
pub use defense::{AdEffect, RateEffect, ad_effect, newcombe_diff, rate_effect, ratio_log_adjusted};
pub use drift::{ad, curvature};
pub use glm::{GlmError, GlmFit, GlmOptions, GroupedRow, Prediction, TrustFit, TrustPoint, TrustShape};
pub use glm::{fit_binomial, fit_trust, fit_trust_by_aic};
pub use lrt::{SystemPoint, SystemsTest, lr_test, systems_differ};
pub use mcnemar::{McNemar, mcnemar_exact, mcnemar_pairs};
pub use rates::{Z95, wilson};
pub use special::chi2_sf;
