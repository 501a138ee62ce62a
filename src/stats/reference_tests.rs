//! Acceptance tests against statsmodels/scipy: every number in `tests/fixtures/stats/reference.json` (written by
//! `scripts/stats_reference.py` from the CSV fixtures beside it) is recomputed here and compared to 1e-7: absolute for
//! values of magnitude ≤ 1, relative above, and relative as well for p-values so tiny ones are checked too. The GLM
//! references are statsmodels' fits on chain-level data (one 0/1 row per chain). A test fails when its reference
//! section is missing or empty, or when it compared no number at all (issue 13: an empty reference passed before).

use std::path::PathBuf;

use serde_json::Value;

use super::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stats").join(name)
}

fn reference() -> Value {
    let text =
        std::fs::read_to_string(fixture("reference.json")).expect("reference.json (run scripts/stats_reference.py)");
    serde_json::from_str(&text).expect("reference.json parses")
}

/// Rows of a small comma-separated fixture as header → field maps.
fn csv(name: &str) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture exists");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines.next().expect("header").split(',').map(str::to_owned).collect();
    lines.map(|l| header.iter().cloned().zip(l.split(',').map(str::to_owned)).collect()).collect()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// A reference section that must be a non-empty array.
fn section<'a>(reference: &'a Value, name: &str) -> &'a Vec<Value> {
    let cases = reference
        .get(name)
        .unwrap_or_else(|| panic!("reference.json has no `{name}` section (run scripts/stats_reference.py)"))
        .as_array()
        .unwrap_or_else(|| panic!("reference.json `{name}` is not an array"));
    assert!(!cases.is_empty(), "reference.json `{name}` is empty: nothing would be checked");
    cases
}

/// A reference section that must be a non-empty object.
fn object<'a>(reference: &'a Value, name: &str) -> &'a serde_json::Map<String, Value> {
    let map = reference
        .get(name)
        .unwrap_or_else(|| panic!("reference.json has no `{name}` section (run scripts/stats_reference.py)"))
        .as_object()
        .unwrap_or_else(|| panic!("reference.json `{name}` is not an object"));
    assert!(!map.is_empty(), "reference.json `{name}` is empty: nothing would be checked");
    map
}

/// Tolerance of every comparison: absolute up to magnitude 1, relative above.
const TOL: f64 = 1e-7;

/// Tracks the largest difference seen and fails on the first one out of tolerance.
#[derive(Default)]
struct Checker {
    max_abs: f64,
    max_rel: f64,
    count: usize,
}

impl Checker {
    fn check(&mut self, what: &str, got: f64, want: f64) {
        let d = (got - want).abs();
        assert!(d <= TOL * want.abs().max(1.0), "{what}: got {got}, statsmodels {want} (diff {d:e})");
        self.max_abs = self.max_abs.max(d);
        self.max_rel = self.max_rel.max(d / want.abs().max(1.0));
        self.count += 1;
    }

    /// For p-values: also relative, so 3e-8 is not "equal" to 0.
    fn check_p(&mut self, what: &str, got: f64, want: f64) {
        self.check(what, got, want);
        assert!((got - want).abs() <= TOL * want.abs() + 1e-300, "{what}: got {got}, scipy {want} (relative)");
    }

    /// Print the largest differences; fails when nothing was compared.
    fn report(&self, section: &str) {
        assert!(self.count > 0, "{section}: no number was compared");
        eprintln!(
            "{section}: {} numbers, max abs diff {:e}, max diff scaled by max(1, |want|) {:e}",
            self.count, self.max_abs, self.max_rel
        );
    }
}

#[test]
fn wilson_matches_statsmodels() {
    let mut c = Checker::default();
    for case in section(&reference(), "wilson") {
        let (k, n) = (case["k"].as_u64().unwrap(), case["n"].as_u64().unwrap());
        let (lo, hi) = wilson(k, n).unwrap();
        c.check(&format!("wilson {k}/{n} lo"), lo, num(&case["lo"]));
        c.check(&format!("wilson {k}/{n} hi"), hi, num(&case["hi"]));
    }
    c.report("wilson");
}

fn trust_points() -> Vec<SystemPoint> {
    csv("trust_grid.csv")
        .into_iter()
        .map(|r| SystemPoint {
            system: r["system"].clone(),
            tau: r["tau"].parse().unwrap(),
            k: r["k"].parse().unwrap(),
            n: r["n"].parse().unwrap(),
        })
        .collect()
}

/// One row per chain (n = 1, k = 0 or 1) from grouped points, as the reference script expands them.
fn chain_level(points: &[TrustPoint]) -> Vec<TrustPoint> {
    points.iter().flat_map(|p| (0..p.n).map(move |i| TrustPoint { tau: p.tau, k: u64::from(i < p.k), n: 1 })).collect()
}

/// Issue 13: coefficients, standard errors, Wald intervals, llf, AIC and deviance equal statsmodels' fit on
/// chain-level rows, whether tvp is given the grouped counts or the chains; the grouped deviance and llf equal
/// statsmodels' fit on `[k, n−k]` rows.
#[test]
fn glm_fits_match_statsmodels_on_chain_level_data() {
    let reference = reference();
    let points = trust_points();
    let mut c = Checker::default();
    let mut default_fit_diff: f64 = 0.0;
    let mut fits = 0;
    for (system, shapes) in object(&reference, "glm") {
        let grouped: Vec<TrustPoint> =
            points.iter().filter(|p| &p.system == system).map(|p| TrustPoint { tau: p.tau, k: p.k, n: p.n }).collect();
        assert!(!grouped.is_empty(), "{system}: no rows in trust_grid.csv");
        let chains = chain_level(&grouped);
        for (name, shape) in [("linear", TrustShape::Linear), ("quadratic", TrustShape::Quadratic)] {
            let want = &shapes[name];
            assert_eq!(want["converged"], Value::Bool(true));
            assert_eq!(want["n_chains"].as_u64(), Some(chains.len() as u64));
            for (input, pts) in [("grouped", &grouped), ("chains", &chains)] {
                let fit = fit_trust(pts, shape).unwrap();
                let g = &fit.glm;
                let tag = format!("{system} {name} ({input} input)");
                assert!(g.converged && !g.separation, "{tag} did not converge");
                assert_eq!(g.n_trials, chains.len() as u64);
                assert_eq!(want["params"].as_array().map(Vec::len), Some(g.n_coef()), "{tag}");
                for j in 0..g.n_coef() {
                    c.check(&format!("{tag} params[{j}]"), g.coef[j], num(&want["params"][j]));
                    c.check(&format!("{tag} bse[{j}]"), g.se[j], num(&want["bse"][j]));
                    c.check(&format!("{tag} conf_int[{j}] lo"), g.ci[j].0, num(&want["conf_int"][j][0]));
                    c.check(&format!("{tag} conf_int[{j}] hi"), g.ci[j].1, num(&want["conf_int"][j][1]));
                    for (end, got) in [(0, g.ci[j].0), (1, g.ci[j].1)] {
                        let d = (got - num(&want["conf_int_default_fit"][j][end])).abs();
                        default_fit_diff = default_fit_diff.max(d);
                    }
                }
                c.check(&format!("{tag} llf"), g.llf, num(&want["llf"]));
                c.check(&format!("{tag} aic"), g.aic, num(&want["aic"]));
                c.check(&format!("{tag} deviance"), g.deviance, num(&want["deviance"]));
                if input == "grouped" {
                    c.check(&format!("{tag} deviance_grouped"), g.deviance_grouped, num(&want["deviance_grouped"]));
                    c.check(&format!("{tag} llf_grouped"), g.llf_grouped, num(&want["llf_grouped"]));
                }
                for p in section(want, "predict") {
                    let tau = num(&p["tau"]);
                    let got = fit.predict(tau);
                    c.check(&format!("{tag} predict({tau}) mean"), got.p, num(&p["mean"]));
                    c.check(&format!("{tag} predict({tau}) lo"), got.lo, num(&p["lo"]));
                    c.check(&format!("{tag} predict({tau}) hi"), got.hi, num(&p["hi"]));
                }
                for t in section(want, "tau_star") {
                    let eps = num(&t["eps"]);
                    let got = tau_star(&fit, eps);
                    match t["tau"].as_f64() {
                        None => assert_eq!(got, None, "{tag} tau*({eps})"),
                        Some(w) => c.check(&format!("{tag} tau*({eps})"), got.expect("tau* exists"), w),
                    }
                }
            }
            fits += 1;
        }
    }
    assert_eq!(fits, 6);
    c.report("glm, chain-level (params, bse, conf_int, llf, aic, deviance, grouped deviance/llf, predict, tau*)");
    // statsmodels' default fit stops one IRLS step early and takes bse from the previous iterate's weights: its
    // intervals are off by up to this much; tvp's equal the converged fit's.
    eprintln!("statsmodels default-fit conf_int vs tvp: max abs diff {default_fit_diff:e}");
}

#[test]
fn systems_differ_matches_statsmodels() {
    let reference = reference();
    object(&reference, "systems_differ");
    let want = &reference["systems_differ"];
    let t = systems_differ(&trust_points()).unwrap();
    let mut c = Checker::default();
    let names: Vec<&str> = want["systems"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(t.systems, names);
    assert!(t.reduced.converged && t.full.converged);
    for (j, w) in want["full_params"].as_array().unwrap().iter().enumerate() {
        c.check(&format!("full params[{j}]"), t.full.coef[j], num(w));
    }
    c.check("llf reduced", t.reduced.llf, num(&want["llf_reduced"]));
    c.check("llf full", t.full.llf, num(&want["llf_full"]));
    c.check("LR stat", t.stat, num(&want["stat"]));
    assert_eq!(t.df, num(&want["df"]));
    c.check_p("LR p", t.p, num(&want["p"]));
    c.report("systems differ LR test");
}

#[test]
fn chi2_sf_matches_scipy() {
    let mut c = Checker::default();
    for case in section(&reference(), "chi2") {
        let (x, df) = (num(&case["x"]), num(&case["df"]));
        c.check_p(&format!("chi2.sf({x}, {df})"), chi2_sf(x, df), num(&case["sf"]));
    }
    c.report("chi2.sf");
}

#[test]
fn mcnemar_matches_statsmodels() {
    let reference = reference();
    let mut c = Checker::default();
    for case in section(&reference, "mcnemar") {
        let (b, cc) = (case["b"].as_u64().unwrap(), case["c"].as_u64().unwrap());
        let m = mcnemar_exact(b, cc);
        c.check(&format!("mcnemar {b},{cc} statistic"), m.statistic as f64, num(&case["statistic"]));
        c.check_p(&format!("mcnemar {b},{cc} p"), m.p, num(&case["p"]));
    }
    let pairs: Vec<(bool, bool)> =
        csv("paired.csv").iter().map(|r| (r["baseline"] == "1", r["defended"] == "1")).collect();
    let m = mcnemar_pairs(&pairs);
    object(&reference, "mcnemar_pairs");
    let want = &reference["mcnemar_pairs"];
    assert_eq!((m.b, m.c), (want["b"].as_u64().unwrap(), want["c"].as_u64().unwrap()));
    c.check_p("mcnemar paired.csv p", m.p, num(&want["p"]));
    c.report("mcnemar");
}

#[test]
fn defense_intervals_match_statsmodels() {
    let mut c = Checker::default();
    for case in section(&reference(), "two_prop") {
        let g = |k: &str| case[k].as_u64().unwrap();
        let (k1, n1, k2, n2) = (g("k_def"), g("n_def"), g("k_base"), g("n_base"));
        let tag = format!("{k1}/{n1} vs {k2}/{n2}");
        let e = rate_effect(k1, n1, k2, n2).unwrap();
        c.check(&format!("{tag} newcombe lo"), e.diff_ci.0, num(&case["diff_lo"]));
        c.check(&format!("{tag} newcombe hi"), e.diff_ci.1, num(&case["diff_hi"]));
        c.check(&format!("{tag} ratio lo"), e.rel_ci.0 + 1.0, num(&case["ratio_lo"]));
        c.check(&format!("{tag} ratio hi"), e.rel_ci.1 + 1.0, num(&case["ratio_hi"]));
    }
    c.report("defense effects");
}

#[test]
fn cohens_kappa_matches_statsmodels() {
    let mut c = Checker::default();
    for case in section(&reference(), "kappa") {
        let g = |k: &str| case[k].as_u64().unwrap();
        let t =
            Table2x2 { both: g("both"), rule_only: g("rule_only"), judge_only: g("judge_only"), neither: g("neither") };
        let tag = case["case"].as_str().unwrap().to_string();
        let k = cohens_kappa(&t).unwrap_or_else(|| panic!("{tag}: no kappa"));
        c.check(&format!("{tag} kappa"), k.kappa, num(&case["kappa"]));
        // Where statsmodels' variance is zero (a zero-width interval) or rounds below zero (NaN, null here), tvp
        // reports no interval and a zero standard error.
        match case["std_kappa"].as_f64().filter(|s| *s > 0.0) {
            Some(se) => {
                c.check(&format!("{tag} std_kappa"), k.se, se);
                let (lo, hi) = k.ci.unwrap_or_else(|| panic!("{tag}: no interval"));
                c.check(&format!("{tag} kappa_low"), lo, num(&case["kappa_low"]));
                c.check(&format!("{tag} kappa_upp"), hi, num(&case["kappa_upp"]));
            }
            None => assert_eq!((k.se, k.ci), (0.0, None), "{tag}"),
        }
    }
    c.report("cohens_kappa");
}

/// Sensitivity and specificity (Wilson, statsmodels), the Rogan-Gladen estimate (the formula, computed by the
/// reference script) and, with a perfect labeler, the bootstrap interval against scipy's binomial quantiles.
#[test]
fn corrected_rates_match_reference() {
    let mut c = Checker::default();
    for case in section(&reference(), "correction") {
        let g = |k: &str| case[k].as_u64().unwrap();
        let tag = case["case"].as_str().unwrap().to_string();
        let v = Confusion {
            true_positives: g("tp"),
            false_negatives: g("fn"),
            true_negatives: g("tn"),
            false_positives: g("fp"),
        };
        let (se, sp) = (v.sensitivity().unwrap(), v.specificity().unwrap());
        c.check(&format!("{tag} sensitivity"), se.value, num(&case["sensitivity"]));
        c.check(&format!("{tag} sensitivity lo"), se.lo, num(&case["sensitivity_lo"]));
        c.check(&format!("{tag} sensitivity hi"), se.hi, num(&case["sensitivity_hi"]));
        c.check(&format!("{tag} specificity"), sp.value, num(&case["specificity"]));
        c.check(&format!("{tag} specificity lo"), sp.lo, num(&case["specificity_lo"]));
        c.check(&format!("{tag} specificity hi"), sp.hi, num(&case["specificity_hi"]));
        let (k, n) = (g("k"), g("n"));
        let r = correct_rates(&[(k, n)], &v, 4000, 11)[0].unwrap_or_else(|| panic!("{tag}: no correction"));
        c.check(&format!("{tag} rogan_gladen raw"), r.estimate.raw, num(&case["rogan_gladen_raw"]));
        c.check(&format!("{tag} rogan_gladen"), r.estimate.value, num(&case["rogan_gladen"]));
        assert_eq!(Value::Bool(r.estimate.clamped), case["clamped"], "{tag} clamped");
        assert!(r.lo <= r.estimate.value && r.estimate.value <= r.hi, "{tag}: {r:?}");
        assert!((0.0..=1.0).contains(&r.lo) && (0.0..=1.0).contains(&r.hi), "{tag}: {r:?}");
        if tag == "perfect_labeler" {
            // se = sp = 1 in every replicate: the interval is the bootstrap's of k/n alone, within one step of the
            // binomial quantiles.
            let step = 1.0 / n as f64;
            assert!((r.lo - num(&case["binom_q025"])).abs() <= step + 1e-12, "{tag} lo {}", r.lo);
            assert!((r.hi - num(&case["binom_q975"])).abs() <= step + 1e-12, "{tag} hi {}", r.hi);
        }
    }
    c.report("sensitivity, specificity, Rogan-Gladen");
}

#[test]
#[should_panic(expected = "is empty")]
fn an_empty_reference_section_fails() {
    section(&serde_json::json!({ "wilson": [] }), "wilson");
}

#[test]
#[should_panic(expected = "has no `kappa` section")]
fn a_missing_reference_section_fails() {
    section(&serde_json::json!({ "wilson": [{ "k": 1 }] }), "kappa");
}

#[test]
#[should_panic(expected = "no number was compared")]
fn a_checker_that_compared_nothing_fails() {
    Checker::default().report("nothing");
}

/// AIC picks the same shape statsmodels' AIC would.
#[test]
fn aic_shape_choice_agrees_with_statsmodels() {
    let reference = reference();
    let points = trust_points();
    for (system, shapes) in object(&reference, "glm") {
        let pts: Vec<TrustPoint> =
            points.iter().filter(|p| &p.system == system).map(|p| TrustPoint { tau: p.tau, k: p.k, n: p.n }).collect();
        let (chosen, _, quad) = fit_trust_by_aic(&pts).unwrap();
        assert!(quad.is_some());
        let want = if num(&shapes["quadratic"]["aic"]) < num(&shapes["linear"]["aic"]) {
            TrustShape::Quadratic
        } else {
            TrustShape::Linear
        };
        assert_eq!(chosen, want, "{system}");
    }
}
