#!/usr/bin/env python3
"""Reference values for tvp's `src/stats/` from statsmodels and scipy.

Reads the fixtures in tests/fixtures/stats/ and writes tests/fixtures/stats/reference.json, which the Rust unit tests in
src/stats/reference_tests.rs compare against (1e-7; every section must be present and non-empty). Regenerate after
changing a fixture:

    python3 scripts/stats_reference.py            # needs numpy, scipy, statsmodels (pip install statsmodels)

What is computed where:
- Wilson intervals: statsmodels.stats.proportion.proportion_confint(method="wilson").
- Binomial GLM, logit link, on CHAIN-LEVEL data: trust_grid.csv's (system, tau, k, n) rows are expanded to one row per
  chain with a 0/1 outcome (k ones, n-k zeros), and statsmodels GLM(...).fit() is run for [1, tau] and
  [1, tau, tau^2] per system: params, bse, conf_int(), llf, aic, deviance (all the chain-level model's); predictions
  with 95 % bands from get_prediction() (link-scale Wald, transformed back). The same model fitted on grouped endog
  [k, n-k] gives deviance_grouped and llf_grouped. The fit uses tol_criterion="params", tol=1e-13 so the covariance
  (which statsmodels takes from the last IRLS weights) is evaluated at the optimum; statsmodels' default fit (deviance
  criterion, tol=1e-8) stops one step earlier and its bse and conf_int are those of the previous iterate: its
  conf_int is kept as conf_int_default_fit to show that difference (tvp is compared with the converged one).
- Trust budget tau*(eps): first crossing of the upper band over eps on a 0.001 grid of statsmodels predictions, refined
  with scipy.optimize.brentq.
- Systems-differ LR test: pooled [1, tau] vs per-system intercept and slope (dummies + interaction), chain-level
  rows; chi2.sf.
- Cohen's kappa (kappa_cases.csv, rules x judge 2x2 tables): statsmodels.stats.inter_rater.cohens_kappa: kappa,
  std_kappa (the large-sample variance of Fleiss, Cohen & Everitt 1969) and kappa_low/kappa_upp (kappa -/+ z std);
  NaN (a variance that rounds below zero) is written as null.
- Labeling error (correction_cases.csv): sensitivity tp/(tp+fn) and specificity tn/(tn+fp) with Wilson intervals
  (proportion_confint); the Rogan-Gladen rate (p + sp - 1)/(se + sp - 1), unclamped and clamped to [0, 1], by the
  formula (a hand computation: no package offers it); binom.ppf quantiles of k/n as a check of the bootstrap with a
  perfect labeler.
- McNemar: statsmodels.stats.contingency_tables.mcnemar(table, exact=True).
- Defense effects: statsmodels confint_proportions_2indep(method="newcomb", compare="diff") and
  (method="log-adjusted", compare="ratio").
- chi2.sf: scipy.stats.chi2.sf.
"""

import csv
import json
import os

import numpy as np
import statsmodels.api as sm
from scipy import optimize, stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.inter_rater import cohens_kappa
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "tests", "fixtures", "stats")
EPSILONS = [0.2, 0.3, 0.5, 0.7]


def read(name):
    with open(os.path.join(FIX, name), newline="") as f:
        return list(csv.DictReader(f))


def finite(x):
    """A float, or None (JSON null) where statsmodels gives NaN (a variance that rounds below zero, say)."""
    x = float(x)
    return x if np.isfinite(x) else None


def design(tau, shape):
    tau = np.asarray(tau, dtype=float)
    cols = [np.ones_like(tau), tau] + ([tau**2] if shape == "quadratic" else [])
    return np.column_stack(cols)


def fit(X, k, n):
    """The grouped fit: endog [k, n-k]."""
    endog = np.column_stack([k, n - k])
    return sm.GLM(endog, X, family=sm.families.Binomial()).fit(tol=1e-13, tol_criterion="params", maxiter=1000)


def chains(tau, k, n, *extra):
    """One row per chain: tau (and any extra per-row columns) repeated n times, outcome 1 for k of them."""
    reps = np.asarray(n, dtype=int)
    y = np.concatenate([np.r_[np.ones(int(ki)), np.zeros(int(ni - ki))] for ki, ni in zip(k, n)])
    return (np.repeat(np.asarray(tau, float), reps), y) + tuple(np.repeat(np.asarray(e), reps, axis=0) for e in extra)


def fit_chains(X, y, **kw):
    """The chain-level fit: one 0/1 row per chain."""
    opts = dict(tol=1e-13, tol_criterion="params", maxiter=1000) if not kw.get("default") else {}
    return sm.GLM(y, X, family=sm.families.Binomial()).fit(**opts)


def band(res, tau, shape):
    sf = res.get_prediction(design(tau, shape)).summary_frame(alpha=0.05)
    return sf["mean"].to_numpy(), sf["mean_ci_lower"].to_numpy(), sf["mean_ci_upper"].to_numpy()


def tau_star(res, shape, eps):
    grid = np.round(np.arange(0, 1001) * 0.001, 12)
    _, _, hi = band(res, grid, shape)
    if hi[0] > eps:
        return None
    over = np.nonzero(hi > eps)[0]
    if len(over) == 0:
        return 1.0
    i = over[0]
    f = lambda t: band(res, [t], shape)[2][0] - eps
    return optimize.brentq(f, grid[i - 1], grid[i], xtol=1e-14, rtol=4 * np.finfo(float).eps)


def glm_section(rows):
    out = {}
    systems = sorted({r["system"] for r in rows})
    for s in systems:
        sub = [r for r in rows if r["system"] == s]
        tau = np.array([float(r["tau"]) for r in sub])
        k = np.array([float(r["k"]) for r in sub])
        n = np.array([float(r["n"]) for r in sub])
        out[s] = {}
        ctau, y = chains(tau, k, n)
        for shape in ["linear", "quadratic"]:
            res = fit_chains(design(ctau, shape), y)
            default = fit_chains(design(ctau, shape), y, default=True)
            grouped = fit(design(tau, shape), k, n)
            assert np.allclose(res.params, grouped.params, rtol=0, atol=1e-10)
            ptau = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
            mean, lo, hi = band(res, ptau, shape)
            out[s][shape] = {
                "params": res.params.tolist(),
                "bse": res.bse.tolist(),
                "conf_int": res.conf_int(alpha=0.05).tolist(),
                "llf": float(res.llf),
                "aic": float(res.aic),
                "deviance": float(res.deviance),
                "deviance_grouped": float(grouped.deviance),
                "llf_grouped": float(grouped.llf),
                "conf_int_default_fit": default.conf_int(alpha=0.05).tolist(),
                "n_chains": int(len(y)),
                "converged": bool(res.converged),
                "predict": [{"tau": t, "mean": m, "lo": l, "hi": h} for t, m, l, h in zip(ptau, mean, lo, hi)],
                "tau_star": [{"eps": e, "tau": tau_star(res, shape, e)} for e in EPSILONS],
            }
    return out


def systems_differ(rows):
    systems = sorted({r["system"] for r in rows})
    m = len(systems)
    tau = np.array([float(r["tau"]) for r in rows])
    k = np.array([float(r["k"]) for r in rows])
    n = np.array([float(r["n"]) for r in rows])
    idx = np.array([systems.index(r["system"]) for r in rows])
    tau, y, idx = chains(tau, k, n, idx)
    reduced = fit_chains(design(tau, "linear"), y)
    dummies = np.column_stack([(idx == j).astype(float) for j in range(1, m)])
    X = np.column_stack([np.ones_like(tau), tau, dummies, dummies * tau[:, None]])
    full = fit_chains(X, y)
    stat = 2 * (full.llf - reduced.llf)
    df = X.shape[1] - 2
    return {
        "systems": systems,
        "llf_reduced": float(reduced.llf),
        "llf_full": float(full.llf),
        "full_params": full.params.tolist(),
        "stat": float(stat),
        "df": df,
        "p": float(stats.chi2.sf(stat, df)),
    }


def main():
    ref = {"generated_by": "scripts/stats_reference.py", "versions": {}}
    import scipy
    import statsmodels

    ref["versions"] = {"numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__}

    ref["wilson"] = []
    for r in read("wilson_cases.csv"):
        k, n = int(r["k"]), int(r["n"])
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        ref["wilson"].append({"k": k, "n": n, "lo": float(lo), "hi": float(hi)})

    grid = read("trust_grid.csv")
    ref["glm"] = glm_section(grid)
    ref["systems_differ"] = systems_differ(grid)

    ref["mcnemar"] = []
    for r in read("mcnemar_cases.csv"):
        b, c = int(r["b"]), int(r["c"])
        res = mcnemar(np.array([[7, b], [c, 9]]), exact=True)
        ref["mcnemar"].append({"b": b, "c": c, "statistic": float(res.statistic), "p": float(res.pvalue)})

    pairs = read("paired.csv")
    table = np.zeros((2, 2), dtype=int)
    for r in pairs:
        # rows: baseline exposed yes/no; columns: defended exposed yes/no → b = table[0,1], c = table[1,0]
        table[1 - int(r["baseline"]), 1 - int(r["defended"])] += 1
    res = mcnemar(table, exact=True)
    ref["mcnemar_pairs"] = {"b": int(table[0, 1]), "c": int(table[1, 0]), "statistic": float(res.statistic),
                            "p": float(res.pvalue)}

    ref["chi2"] = []
    for r in read("chi2_cases.csv"):
        x, df = float(r["x"]), float(r["df"])
        ref["chi2"].append({"x": x, "df": df, "sf": float(stats.chi2.sf(x, df))})

    ref["two_prop"] = []
    for r in read("two_prop.csv"):
        k1, n1, k2, n2 = (int(r[c]) for c in ["k_def", "n_def", "k_base", "n_base"])
        dlo, dhi = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff", alpha=0.05)
        rlo, rhi = confint_proportions_2indep(k1, n1, k2, n2, method="log-adjusted", compare="ratio", alpha=0.05)
        ref["two_prop"].append({"k_def": k1, "n_def": n1, "k_base": k2, "n_base": n2, "diff_lo": float(dlo),
                                "diff_hi": float(dhi), "ratio_lo": float(rlo), "ratio_hi": float(rhi)})

    ref["kappa"] = []
    for r in read("kappa_cases.csv"):
        a, b, c, d = (int(r[x]) for x in ["both", "rule_only", "judge_only", "neither"])
        res = cohens_kappa(np.array([[a, b], [c, d]]), return_results=True)
        ref["kappa"].append({"case": r["case"], "both": a, "rule_only": b, "judge_only": c, "neither": d,
                             "kappa": finite(res.kappa), "std_kappa": finite(res.std_kappa),
                             "kappa_low": finite(res.kappa_low), "kappa_upp": finite(res.kappa_upp)})

    ref["correction"] = []
    for r in read("correction_cases.csv"):
        tp, fn, tn, fp, k, n = (int(r[x]) for x in ["tp", "fn", "tn", "fp", "k", "n"])
        se, sp, p = tp / (tp + fn), tn / (tn + fp), k / n
        se_lo, se_hi = proportion_confint(tp, tp + fn, alpha=0.05, method="wilson")
        sp_lo, sp_hi = proportion_confint(tn, tn + fp, alpha=0.05, method="wilson")
        raw = (p + sp - 1) / (se + sp - 1)
        ref["correction"].append({
            "case": r["case"], "tp": tp, "fn": fn, "tn": tn, "fp": fp, "k": k, "n": n,
            "sensitivity": se, "sensitivity_lo": float(se_lo), "sensitivity_hi": float(se_hi),
            "specificity": sp, "specificity_lo": float(sp_lo), "specificity_hi": float(sp_hi),
            "rogan_gladen_raw": raw, "rogan_gladen": min(1.0, max(0.0, raw)), "clamped": not (0.0 <= raw <= 1.0),
            "binom_q025": float(stats.binom.ppf(0.025, n, p)) / n, "binom_q975": float(stats.binom.ppf(0.975, n, p)) / n,
        })

    with open(os.path.join(FIX, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1, sort_keys=True, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
