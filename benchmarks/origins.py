"""How hard each forecast origin was: seasonal naive's and Theta's errors at the test origin and the three before it.

    python -m benchmarks.origins [--data M1|Tourism]

For each category, every series (training and test parts joined, positive values only) is cut
at the test origin and at 1, 2 and 3 horizons before it; seasonal naive and Theta forecast the
next horizon from each cut, and the mean absolute log error divided by the series' scale
(``intervals.log_scale`` of the history, as the intervals' scores are) is printed per origin.
Intervals calibrated on the latest held-out horizon (origin 1) cover as promised on the test
origin only when the test origin is about as hard: this shows whether it was.
"""

from __future__ import annotations

import argparse

import numpy as np

from recurrent.forecast import baselines, intervals

from . import machine_line
from .mcomp import load

METHODS = ("seasonal_naive", "theta")


def origin_errors(series, back, method) -> list:
    """Per series cut ``back`` horizons before the test origin: mean |log y - log f| / scale."""
    out = []
    for s in series:
        y = np.concatenate([np.asarray(s.x, dtype=np.float64), np.asarray(s.xx, dtype=np.float64)])
        h, m = s.h, s.period
        cut = len(y) - (back + 1) * h
        if cut < 2 * m + 2 or np.any(y <= 0):
            continue
        hist, fut = y[:cut], y[cut : cut + h]
        f = baselines.all_baselines(hist, h, m, names=(method,))[method]
        err = np.abs(np.log(fut) - np.log(np.maximum(f, 1e-9)))
        out.append(float(err.mean()) / intervals.log_scale(hist, m))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", choices=["M1", "Tourism"], action="append")
    args = ap.parse_args(argv)
    print(f"# {machine_line()}")
    print("| data, category | method | test origin | 1 horizon before | 2 before | 3 before |")
    print("|---|---|---|---|---|---|")
    for name in args.data or ["M1", "Tourism"]:
        data = load(name)
        for cat in ("yearly", "quarterly", "monthly"):
            series = [s for s in data if s.type == cat]
            for method in METHODS:
                cells = []
                for back in range(4):
                    e = origin_errors(series, back, method)
                    cells.append(f"{np.mean(e):.3f} ({len(e)})")
                print(f"| {name} {cat} | {method} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
