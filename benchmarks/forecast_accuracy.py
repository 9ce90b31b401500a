"""Forecast accuracy of the default Forecaster on the bundled series, over several seeds.

    python -m benchmarks.forecast_accuracy [--seeds 5]

airline: fit on the first 132 months, forecast the last 12 in one go (no refit).
sunspots: fit on all but the last 20 years, forecast them in one go (season 11).
Prints a Markdown table of RMSE (median, min-max over seeds) beside the naive and
seasonal-naive baselines, and the wall time of one default fit.
"""

import argparse
import platform
import time

import numpy as np

from recurrent import Forecaster, datasets

from . import machine_line

REFERENCE = {"airline": "SARIMA(0,1,1)(0,1,1)12 on logs 18.59, Holt-Winters 15.81"}


def run(name, holdout, season, seeds):
    y = datasets.load(name).values
    rows, times = [], []
    for seed in range(seeds):
        t0 = time.perf_counter()
        report = Forecaster(horizon=holdout, season=season, seed=seed, progress=False).evaluate(y, holdout=holdout)
        times.append(time.perf_counter() - t0)
        rows.append(report["metrics"])
    model = np.array([r["model"]["rmse"] for r in rows])
    mase_ = np.array([r["model"]["mase"] for r in rows])
    return {
        "name": name,
        "holdout": holdout,
        "season": season,
        "rmse": model,
        "mase": mase_,
        "naive": rows[0]["naive"]["rmse"],
        "seasonal_naive": rows[0]["seasonal_naive"]["rmse"],
        "seconds": np.array(times),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    print(f"{machine_line()}, {platform.machine()}, {time.strftime('%Y-%m-%d')}")
    print()
    print(
        "| series | forecast | model RMSE median (min-max) | per seed | model MASE median | naive | seasonal naive | "
        "fit time median (max) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, holdout, season in (("airline", 12, 12), ("sunspots", 20, 11)):
        r = run(name, holdout, season, args.seeds)
        print(
            f"| {name} | last {holdout}, season {season} | {np.median(r['rmse']):.2f} ({r['rmse'].min():.2f}-"
            f"{r['rmse'].max():.2f}) | {', '.join(f'{v:.2f}' for v in r['rmse'])} | {np.median(r['mase']):.3f} | "
            f"{r['naive']:.2f} | {r['seasonal_naive']:.2f} | {np.median(r['seconds']):.1f} s "
            f"({r['seconds'].max():.1f} s) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
