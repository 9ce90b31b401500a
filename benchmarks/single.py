"""One series at a time: the default Forecaster against statsforecast's AutoETS on classic single series.

    python -m benchmarks.single [--seed 0]

The series the packages ship, of different frequencies: airline (bundled, monthly), statsmodels' co2
(weekly, gaps filled by the previous value), elnino (monthly sea temperature), macrodata's real GDP and
unemployment (quarterly), sunspots and the Nile (yearly). Each is cut before its last ``h`` values, both
methods forecast them in one go in the same run, and RMSE and MASE (against the in-sample seasonal naive)
are printed with the seasonal naive beside them. Needs the ``peers`` extra (statsforecast) and statsmodels.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from recurrent import Forecaster, datasets
from recurrent.forecast import baselines, metrics

from . import machine_line


def series() -> list:
    """(name, values, season, horizon) of each series."""
    import statsmodels.api as sm

    co2 = sm.datasets.co2.load_pandas().data["co2"].ffill().bfill().to_numpy()
    elnino = sm.datasets.elnino.load_pandas().data.iloc[:, 1:].to_numpy().ravel()
    macro = sm.datasets.macrodata.load_pandas().data
    return [
        ("airline (monthly)", datasets.load("airline").values, 12, 12),
        ("co2 (weekly)", co2, 52, 52),
        ("elnino (monthly)", elnino, 12, 12),
        ("real GDP (quarterly)", macro["realgdp"].to_numpy(), 4, 8),
        ("unemployment (quarterly)", macro["unemp"].to_numpy(), 4, 8),
        ("sunspots (yearly)", sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(), 11, 11),
        ("Nile (yearly)", sm.datasets.nile.load_pandas().data["volume"].to_numpy(), 1, 10),
    ]


def auto_ets(train, h, m):
    from statsforecast.models import AutoETS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AutoETS(season_length=m).forecast(y=np.asarray(train, dtype=np.float64), h=h)["mean"]


def rmse(y, f) -> float:
    return float(np.sqrt(np.mean((np.asarray(y) - np.asarray(f)) ** 2)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print(f"# {machine_line()}")
    cols = ["series", "n, h, season", "ours RMSE / MASE", "AutoETS RMSE / MASE", "seasonal naive RMSE", "ours s"]
    print("| " + " | ".join(cols + ["ours / ETS"]) + " |")
    print("|---|---|---|---|---|---|---|")
    wins = 0
    for name, y, m, h in series():
        y = np.asarray(y, dtype=np.float64)
        train, test = y[:-h], y[-h:]
        t0 = time.perf_counter()
        ours = Forecaster(horizon=h, season=m, seed=args.seed, progress=False).fit(train).predict()
        seconds = time.perf_counter() - t0
        ets = auto_ets(train, h, m)
        snaive = baselines.seasonal_naive(train, h, m)
        r_ours, r_ets = rmse(test, ours), rmse(test, ets)
        mase_ours, mase_ets = metrics.mase(test, ours, train, m), metrics.mase(test, ets, train, m)
        wins += r_ours <= r_ets
        print(
            f"| {name} | {len(y)}, {h}, {m} | {r_ours:.4g} / {mase_ours:.3f} | {r_ets:.4g} / {mase_ets:.3f} | "
            f"{rmse(test, snaive):.4g} | {seconds:.1f} | {r_ours / r_ets:.2f} |",
            flush=True,
        )
    print(f"\nat or below AutoETS's RMSE on {wins} of {len(series())} series")


if __name__ == "__main__":
    main()
