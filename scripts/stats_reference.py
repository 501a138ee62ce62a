#!/usr/bin/env python3
"""Reference values for tvp's `src/stats/` from statsmodels and scipy.

Reads the fixtures in tests/fixtures/stats/ and writes tests/fixtures/stats/reference.json, which the Rust unit tests in
src/stats/reference_tests.rs compare against (1e-6). Regenerate after changing a fixture:

    python3 scripts/stats_reference.py            # needs numpy, scipy, statsmodels (pip install statsmodels)

What is computed where:
- Wilson intervals: statsmodels.stats.proportion.proportion_confint(method="wilson").
- Binomial GLM, logit link, grouped endog [k, n-k]: statsmodels GLM(...).fit() for [1, tau] and [1, tau, tau^2] per system:
  params, bse, conf_int(), llf, aic, deviance; predictions with 95 % bands from get_prediction() (link-scale Wald,
  transformed back). The fit uses tol_criterion="params", tol=1e-13 so the covariance (which statsmodels takes from the
  last IRLS weights) is evaluated at the optimum; statsmodels' default deviance criterion stops one step earlier.
- Trust budget tau*(eps): first crossing of the upper band over eps on a 0.001 grid of statsmodels predictions, refined
  with scipy.optimize.brentq.
- Systems-differ LR test: pooled [1, tau] vs per-system intercept and slope (dummies + interaction); chi2.sf.
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
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "tests", "fixtures", "stats")
EPSILONS = [0.2, 0.3, 0.5, 0.7]


def read(name):
    with open(os.path.join(FIX, name), newline="") as f:
        return list(csv.DictReader(f))


def design(tau, shape):
    tau = np.asarray(tau, dtype=float)
    cols = [np.ones_like(tau), tau] + ([tau**2] if shape == "quadratic" else [])
    return np.column_stack(cols)


def fit(X, k, n):
    endog = np.column_stack([k, n - k])
    return sm.GLM(endog, X, family=sm.families.Binomial()).fit(tol=1e-13, tol_criterion="params", maxiter=1000)


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
        for shape in ["linear", "quadratic"]:
            res = fit(design(tau, shape), k, n)
            ptau = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
            mean, lo, hi = band(res, ptau, shape)
            out[s][shape] = {
                "params": res.params.tolist(),
                "bse": res.bse.tolist(),
                "conf_int": res.conf_int(alpha=0.05).tolist(),
                "llf": float(res.llf),
                "aic": float(res.aic),
                "deviance": float(res.deviance),
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
    reduced = fit(design(tau, "linear"), k, n)
    dummies = np.column_stack([(idx == j).astype(float) for j in range(1, m)])
    X = np.column_stack([np.ones_like(tau), tau, dummies, dummies * tau[:, None]])
    full = fit(X, k, n)
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

    with open(os.path.join(FIX, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
