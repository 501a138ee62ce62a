//! Fit: per-system trust-risk curves, the test of whether systems differ, trust budgets and defense effects, from
//! the metrics stage's chain outcomes (SPEC §6).
//!
//! Per system, the binomial GLM `logit p = b0 + b1 τ (+ b2 τ²)` is fitted by IRLS to the chains pooled over
//! scenarios at each τ; AIC picks the shape. The trust budget τ*(ε) is the largest τ whose upper 95 % band stays
//! ≤ ε. Systems differ when a model with a system × τ interaction beats one shared curve (likelihood ratio).
//! A defended system (`+guardian`, ...) is compared with its undefended twin: ΔOER per τ with a Newcombe interval
//! and the relative change, an exact McNemar test on chains paired by (scenario, τ, seed), and ΔAD with a
//! bootstrap interval over scenarios.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::metrics::{BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED, Metrics, SystemKey, Weights, trust_key};
use crate::schema::Table;
use crate::stats::{
    McNemar, RateEffect, SystemPoint, TrustFit, TrustPoint, TrustShape, ad_effect, fit_trust_by_aic, mcnemar_pairs,
    rate_effect, systems_differ, tau_star,
};
use crate::store::Store;

/// The default ε of the trust budget.
pub const DEFAULT_EPSILON: f64 = 0.1;

#[derive(Debug, Clone, Serialize)]
pub struct ShapeFit {
    pub shape: &'static str,
    pub chosen: bool,
    /// (estimate, low, high) per coefficient b0, b1 (, b2).
    pub coefficients: Vec<(f64, f64, f64)>,
    /// Chain-level AIC, deviance and log-likelihood (statsmodels' on one row per chain).
    pub aic: f64,
    pub deviance: f64,
    pub llf: f64,
    /// Grouped-binomial deviance over the pooled (τ, k, n) rows: goodness of fit against the τ-saturated model.
    pub deviance_grouped: f64,
    pub converged: bool,
    /// Of the fitted curve at the lowest, middle and highest trust level: (p(mid) − p(low)) − (p(high) − p(mid)).
    pub curvature: Option<f64>,
    pub tau_star: Option<f64>,
    #[serde(skip)]
    pub fit: TrustFit,
}

#[derive(Debug, Clone, Serialize)]
pub struct SystemFit {
    pub system: SystemKey,
    pub chains: u64,
    /// Pooled (τ, over-exposed, chains).
    pub points: Vec<(f64, u64, u64)>,
    /// The same curvature measured on the pooled observed OER.
    pub observed_curvature: Option<f64>,
    pub shapes: Vec<ShapeFit>,
    /// Why no fit was made (fewer than two trust levels, say).
    pub note: Option<String>,
}

impl SystemFit {
    pub fn chosen(&self) -> Option<&ShapeFit> {
        self.shapes.iter().find(|s| s.chosen)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SystemsDiffer {
    pub systems: Vec<String>,
    pub statistic: f64,
    pub df: f64,
    pub p: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DefenseAtTrust {
    pub trust: f64,
    /// ΔOER (defended − baseline) with its Newcombe 95 % interval, and the relative change with its interval.
    #[serde(skip)]
    pub effect: Option<RateEffect>,
    pub baseline: Option<f64>,
    pub defended: Option<f64>,
    pub diff: Option<(f64, f64, f64)>,
    pub relative: Option<(f64, f64, f64)>,
    /// Exact McNemar on chains paired by (scenario, τ, seed); `None` when no chains pair up.
    pub pairs: u64,
    #[serde(skip)]
    pub mcnemar: Option<McNemar>,
    pub mcnemar_p: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DefenseEffect {
    pub defended: SystemKey,
    pub baseline: SystemKey,
    pub per_trust: Vec<DefenseAtTrust>,
    /// Mean per-scenario AD (equal weights) of each arm, and ΔAD and its relative change with bootstrap intervals
    /// (estimate, low, high) over scenarios present in both.
    pub ad_baseline: f64,
    pub ad_defended: f64,
    pub ad_diff: (f64, f64, f64),
    pub ad_relative: (f64, f64, f64),
}

#[derive(Debug, Clone, Serialize)]
pub struct Fits {
    pub epsilon: f64,
    pub systems: Vec<SystemFit>,
    pub systems_differ: Option<SystemsDiffer>,
    pub defenses: Vec<DefenseEffect>,
}

fn shape_name(shape: TrustShape) -> &'static str {
    match shape {
        TrustShape::Linear => "linear",
        TrustShape::Quadratic => "quadratic",
    }
}

/// Lowest, middle and highest of the levels, when there are at least three.
fn three(levels: &[f64]) -> Option<[f64; 3]> {
    (levels.len() >= 3).then(|| [levels[0], levels[levels.len() / 2], levels[levels.len() - 1]])
}

pub fn fit(metrics: &Metrics, epsilon: f64) -> Fits {
    let mut systems = Vec::new();
    let mut differ_points = Vec::new();
    for system in metrics.systems() {
        let mut pooled: BTreeMap<i64, (f64, u64, u64)> = BTreeMap::new();
        for cell in metrics.cells.iter().filter(|c| c.system == system) {
            let entry = pooled.entry(trust_key(cell.trust)).or_insert((cell.trust, 0, 0));
            entry.1 += cell.over_exposed;
            entry.2 += cell.chains;
        }
        let points: Vec<(f64, u64, u64)> = pooled.into_values().collect();
        let chains = points.iter().map(|p| p.2).sum();
        let levels: Vec<f64> = points.iter().map(|p| p.0).collect();
        let observed_curvature = three(&levels).map(|t| {
            let oer = |tau: f64| points.iter().find(|p| p.0 == tau).map_or(f64::NAN, |p| p.1 as f64 / p.2 as f64);
            (oer(t[1]) - oer(t[0])) - (oer(t[2]) - oer(t[1]))
        });
        for p in &points {
            differ_points.push(SystemPoint { system: system.name(), tau: p.0, k: p.1, n: p.2 });
        }
        let mut entry = SystemFit {
            system: system.clone(),
            chains,
            points: points.clone(),
            observed_curvature,
            shapes: Vec::new(),
            note: None,
        };
        if points.len() < 2 {
            entry.note = Some("fewer than two trust levels: no trust-risk curve can be fitted".into());
            systems.push(entry);
            continue;
        }
        let trust_points: Vec<TrustPoint> = points.iter().map(|&(tau, k, n)| TrustPoint { tau, k, n }).collect();
        match fit_trust_by_aic(&trust_points) {
            Ok((chosen, linear, quadratic)) => {
                for fit in std::iter::once(linear).chain(quadratic) {
                    let g = &fit.glm;
                    entry.shapes.push(ShapeFit {
                        shape: shape_name(fit.shape),
                        chosen: fit.shape == chosen,
                        coefficients: g.coef.iter().zip(&g.ci).map(|(c, (lo, hi))| (*c, *lo, *hi)).collect(),
                        aic: g.aic,
                        deviance: g.deviance,
                        llf: g.llf,
                        deviance_grouped: g.deviance_grouped,
                        converged: g.converged,
                        curvature: three(&levels).map(|t| fit.curvature(t)),
                        tau_star: tau_star(&fit, epsilon),
                        fit,
                    });
                }
            }
            Err(e) => entry.note = Some(format!("the fit failed: {e}")),
        }
        systems.push(entry);
    }
    let systems_differ = (systems.len() >= 2)
        .then(|| systems_differ(&differ_points).ok())
        .flatten()
        .map(|t| SystemsDiffer { systems: t.systems, statistic: t.stat, df: t.df, p: t.p });
    Fits { epsilon, systems, systems_differ, defenses: defense_effects(metrics) }
}

fn defense_effects(metrics: &Metrics) -> Vec<DefenseEffect> {
    let all = metrics.systems();
    let mut effects = Vec::new();
    for defended in all.iter().filter(|s| !s.is_undefended()) {
        let baseline = defended.undefended();
        if !all.contains(&baseline) {
            continue;
        }
        // Chains of the baseline by (scenario, τ, seed), to pair with the defended ones.
        let mut base_chains: HashMap<(String, i64, i64), bool> = HashMap::new();
        for c in metrics.chains.iter().filter(|c| c.system == baseline) {
            if let Some(seed) = c.seed {
                base_chains.insert((c.scenario_id.clone(), trust_key(c.trust), seed), c.over_exposed);
            }
        }
        let mut per_trust = Vec::new();
        for trust in metrics.trust_levels() {
            let key = trust_key(trust);
            // Over-exposed and all chains of a system at this τ, pooled over scenarios.
            let counts = |s: &SystemKey| {
                metrics
                    .cells
                    .iter()
                    .filter(|c| c.system == *s && trust_key(c.trust) == key)
                    .fold((0, 0), |(k, n), c| (k + c.over_exposed, n + c.chains))
            };
            let ((kd, nd), (kb, nb)) = (counts(defended), counts(&baseline));
            if nd == 0 || nb == 0 {
                continue;
            }
            let effect = rate_effect(kd, nd, kb, nb);
            let pairs: Vec<(bool, bool)> = metrics
                .chains
                .iter()
                .filter(|c| c.system == *defended && trust_key(c.trust) == key)
                .filter_map(|c| {
                    let seed = c.seed?;
                    base_chains.get(&(c.scenario_id.clone(), key, seed)).map(|&base| (base, c.over_exposed))
                })
                .collect();
            let mcnemar = (!pairs.is_empty()).then(|| mcnemar_pairs(&pairs));
            per_trust.push(DefenseAtTrust {
                trust,
                baseline: effect.map(|e| e.baseline),
                defended: effect.map(|e| e.defended),
                diff: effect.map(|e| (e.diff, e.diff_ci.0, e.diff_ci.1)),
                relative: effect.and_then(|e| e.rel_change.map(|r| (r, e.rel_ci.0, e.rel_ci.1))),
                effect,
                pairs: pairs.len() as u64,
                mcnemar_p: mcnemar.as_ref().map(|m| m.p),
                mcnemar,
            });
        }
        let ad_of = |s: &SystemKey| -> BTreeMap<&str, f64> {
            metrics
                .drift
                .iter()
                .filter(|d| d.system == *s && d.weights == Weights::Equal)
                .map(|d| (d.scenario_id.as_str(), d.ad))
                .collect()
        };
        let (base_ad, def_ad) = (ad_of(&baseline), ad_of(defended));
        let paired: Vec<(f64, f64)> = base_ad.iter().filter_map(|(s, b)| def_ad.get(s).map(|d| (*b, *d))).collect();
        let effect = ad_effect(&paired, BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED);
        let mean = |xs: Vec<f64>| xs.iter().sum::<f64>() / xs.len().max(1) as f64;
        effects.push(DefenseEffect {
            defended: defended.clone(),
            baseline: baseline.clone(),
            per_trust,
            ad_baseline: mean(paired.iter().map(|p| p.0).collect()),
            ad_defended: mean(paired.iter().map(|p| p.1).collect()),
            ad_diff: (effect.diff.estimate, effect.diff.lo, effect.diff.hi),
            ad_relative: (effect.rel_change.estimate, effect.rel_change.lo, effect.rel_change.hi),
        });
    }
    effects
}

impl Fits {
    pub fn batch(&self) -> Result<RecordBatch> {
        let rows: Vec<(&SystemFit, &ShapeFit)> =
            self.systems.iter().flat_map(|s| s.shapes.iter().map(move |f| (s, f))).collect();
        let text = |f: &dyn Fn(&(&SystemFit, &ShapeFit)) -> String| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
        };
        let coef = |i: usize, part: usize| -> ArrayRef {
            Arc::new(Float64Array::from_iter(rows.iter().map(|(_, f)| {
                f.coefficients.get(i).map(|c| match part {
                    0 => c.0,
                    1 => c.1,
                    _ => c.2,
                })
            })))
        };
        let float = |f: &dyn Fn(&(&SystemFit, &ShapeFit)) -> Option<f64>| -> ArrayRef {
            Arc::new(Float64Array::from_iter(rows.iter().map(f)))
        };
        let columns: Vec<ArrayRef> = vec![
            text(&|(s, _)| s.system.name()),
            text(&|(s, _)| s.system.framework.clone()),
            text(&|(s, _)| s.system.backend.clone()),
            text(&|(s, _)| s.system.defense.to_string()),
            text(&|(_, f)| f.shape.to_string()),
            Arc::new(BooleanArray::from_iter(rows.iter().map(|(_, f)| Some(f.chosen)))),
            coef(0, 0),
            coef(0, 1),
            coef(0, 2),
            coef(1, 0),
            coef(1, 1),
            coef(1, 2),
            coef(2, 0),
            coef(2, 1),
            coef(2, 2),
            float(&|(_, f)| Some(f.aic)),
            float(&|(_, f)| Some(f.deviance)),
            float(&|(_, f)| Some(f.llf)),
            float(&|(_, f)| Some(f.deviance_grouped)),
            Arc::new(BooleanArray::from_iter(rows.iter().map(|(_, f)| Some(f.converged)))),
            float(&|(_, f)| f.curvature),
            float(&|_| Some(self.epsilon)),
            float(&|(_, f)| f.tau_star),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|(s, _)| s.chains as i64))),
        ];
        RecordBatch::try_new(Table::Fits.schema(), columns).map_err(|e| Error::Internal(format!("fits: {e}")))
    }

    pub fn write(&self, store: &Store) -> Result<()> {
        store.replace(Table::Fits, &[self.batch()?])
    }
}
