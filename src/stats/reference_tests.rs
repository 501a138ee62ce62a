//! Acceptance tests against statsmodels/scipy: every number in `tests/fixtures/stats/reference.json` (written by
//! `scripts/stats_reference.py` from the CSV fixtures beside it) is recomputed here and compared to 1e-6: absolute for
//! values of magnitude ≤ 1, relative above, and relative as well for p-values so tiny ones are checked too.

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

/// Tracks the largest difference seen and fails on the first one out of tolerance.
#[derive(Default)]
struct Checker {
    max_abs: f64,
    count: usize,
}

impl Checker {
    fn check(&mut self, what: &str, got: f64, want: f64) {
        let d = (got - want).abs();
        assert!(d <= 1e-6 * want.abs().max(1.0), "{what}: got {got}, statsmodels {want} (diff {d:e})");
        self.max_abs = self.max_abs.max(d);
        self.count += 1;
    }

    /// For p-values: also relative, so 3e-8 is not "equal" to 0.
    fn check_p(&mut self, what: &str, got: f64, want: f64) {
        self.check(what, got, want);
        assert!((got - want).abs() <= 1e-6 * want.abs() + 1e-300, "{what}: got {got}, scipy {want} (relative)");
    }

    fn report(&self, section: &str) {
        eprintln!("{section}: {} numbers, max abs diff {:e}", self.count, self.max_abs);
    }
}

#[test]
fn wilson_matches_statsmodels() {
    let mut c = Checker::default();
    for case in reference()["wilson"].as_array().unwrap() {
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

#[test]
fn glm_fits_match_statsmodels() {
    let reference = reference();
    let points = trust_points();
    let mut c = Checker::default();
    let mut fits = 0;
    for (system, shapes) in reference["glm"].as_object().unwrap() {
        let pts: Vec<TrustPoint> =
            points.iter().filter(|p| &p.system == system).map(|p| TrustPoint { tau: p.tau, k: p.k, n: p.n }).collect();
        for (name, shape) in [("linear", TrustShape::Linear), ("quadratic", TrustShape::Quadratic)] {
            let want = &shapes[name];
            let fit = fit_trust(&pts, shape).unwrap();
            let g = &fit.glm;
            let tag = format!("{system} {name}");
            assert!(g.converged && !g.separation, "{tag} did not converge");
            assert_eq!(want["converged"], Value::Bool(true));
            for j in 0..g.n_coef() {
                c.check(&format!("{tag} params[{j}]"), g.coef[j], num(&want["params"][j]));
                c.check(&format!("{tag} bse[{j}]"), g.se[j], num(&want["bse"][j]));
                c.check(&format!("{tag} conf_int[{j}] lo"), g.ci[j].0, num(&want["conf_int"][j][0]));
                c.check(&format!("{tag} conf_int[{j}] hi"), g.ci[j].1, num(&want["conf_int"][j][1]));
            }
            c.check(&format!("{tag} llf"), g.llf, num(&want["llf"]));
            c.check(&format!("{tag} aic"), g.aic, num(&want["aic"]));
            c.check(&format!("{tag} deviance"), g.deviance, num(&want["deviance"]));
            for p in want["predict"].as_array().unwrap() {
                let tau = num(&p["tau"]);
                let got = fit.predict(tau);
                c.check(&format!("{tag} predict({tau}) mean"), got.p, num(&p["mean"]));
                c.check(&format!("{tag} predict({tau}) lo"), got.lo, num(&p["lo"]));
                c.check(&format!("{tag} predict({tau}) hi"), got.hi, num(&p["hi"]));
            }
            for t in want["tau_star"].as_array().unwrap() {
                let eps = num(&t["eps"]);
                let got = tau_star(&fit, eps);
                match t["tau"].as_f64() {
                    None => assert_eq!(got, None, "{tag} tau*({eps})"),
                    Some(w) => c.check(&format!("{tag} tau*({eps})"), got.expect("tau* exists"), w),
                }
            }
            fits += 1;
        }
    }
    assert_eq!(fits, 6);
    c.report("glm (params, bse, conf_int, llf, aic, deviance, predict bands, tau*)");
}

#[test]
fn systems_differ_matches_statsmodels() {
    let want = &reference()["systems_differ"];
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
    for case in reference()["chi2"].as_array().unwrap() {
        let (x, df) = (num(&case["x"]), num(&case["df"]));
        c.check_p(&format!("chi2.sf({x}, {df})"), chi2_sf(x, df), num(&case["sf"]));
    }
    c.report("chi2.sf");
}

#[test]
fn mcnemar_matches_statsmodels() {
    let reference = reference();
    let mut c = Checker::default();
    for case in reference["mcnemar"].as_array().unwrap() {
        let (b, cc) = (case["b"].as_u64().unwrap(), case["c"].as_u64().unwrap());
        let m = mcnemar_exact(b, cc);
        c.check(&format!("mcnemar {b},{cc} statistic"), m.statistic as f64, num(&case["statistic"]));
        c.check_p(&format!("mcnemar {b},{cc} p"), m.p, num(&case["p"]));
    }
    let pairs: Vec<(bool, bool)> =
        csv("paired.csv").iter().map(|r| (r["baseline"] == "1", r["defended"] == "1")).collect();
    let m = mcnemar_pairs(&pairs);
    let want = &reference["mcnemar_pairs"];
    assert_eq!((m.b, m.c), (want["b"].as_u64().unwrap(), want["c"].as_u64().unwrap()));
    c.check_p("mcnemar paired.csv p", m.p, num(&want["p"]));
    c.report("mcnemar");
}

#[test]
fn defense_intervals_match_statsmodels() {
    let mut c = Checker::default();
    for case in reference()["two_prop"].as_array().unwrap() {
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

/// AIC picks the same shape statsmodels' AIC would.
#[test]
fn aic_shape_choice_agrees_with_statsmodels() {
    let reference = reference();
    let points = trust_points();
    for (system, shapes) in reference["glm"].as_object().unwrap() {
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
