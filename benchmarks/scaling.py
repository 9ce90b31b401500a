"""Forecasting many series on a Dask cluster: throughput of local:1 against local:2.

    python -m benchmarks.scaling [--series 200000] [--length 120]

A global forecaster is fitted once (in this process) on 200 synthetic monthly series; then
``predict`` forecasts ``--series`` new synthetic series of ``--length`` values, once in this
process and once on each scheduler. Reported: seconds, series per second, the speed-up of
local:2 over local:1, and each worker's peak resident memory (VmHWM, read on the workers).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import recurrent
from benchmarks import machine_line


def synthetic(n, length, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    level = rng.uniform(20, 200, size=(n, 1))
    Y = level * (1 + 0.2 * np.sin(2 * np.pi * t / 12 + phase)) + rng.normal(0, 2, size=(n, length)) + 0.1 * t
    return list(Y)


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM), in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=200_000)
    ap.add_argument("--length", type=int, default=120)
    args = ap.parse_args(argv)
    print(f"# {machine_line()}")
    warnings.simplefilter("ignore")
    f = recurrent.Forecaster(horizon=12, n_models=1, max_steps=300, seed=0, progress=False)
    f.fit(synthetic(200, args.length, 0))
    Y = synthetic(args.series, args.length, 1)
    rows = []
    for scheduler in (None, "local:1", "local:2"):
        f.scheduler = scheduler
        if scheduler is not None:
            f.predict(Y[:1000])  # start the cluster and send the model before timing
        t0 = time.perf_counter()
        out = f.predict(Y)
        seconds = time.perf_counter() - t0
        peak = ""
        if scheduler is not None:
            from recurrent.distributed import client_for

            mem = client_for(scheduler).run(peak_mib)
            peak = ", ".join(f"{v:.0f} MiB" for v in mem.values())
        rows.append((scheduler or "this process", seconds, args.series / seconds, peak))
        assert len(out) == args.series
    print(f"\n{args.series:,} series of {args.length} values, horizon 12, one LSTM network + Theta\n")
    print("| where | seconds | series/s | peak memory per worker |")
    print("|---|---|---|---|")
    for where, s, rate, peak in rows:
        print(f"| {where} | {s:.1f} | {rate:,.0f} | {peak} |")
    print(f"\nlocal:2 over local:1: {rows[1][1] / rows[2][1]:.2f}x")


if __name__ == "__main__":
    main()
