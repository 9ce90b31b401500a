"""Forecasting many series on a Dask cluster: throughput of local:1 against local:2.

    python -m benchmarks.scaling [--series 200000] [--length 120] [--files N]

A global forecaster is fitted once (in this process) on 200 synthetic monthly series; then
``predict`` forecasts ``--series`` new synthetic series of ``--length`` values, once in this
process and once on each scheduler. Reported: seconds, series per second, the speed-up of
local:2 over local:1, and each worker's peak resident memory (VmHWM, read on the workers).

With ``--files N`` the new series are first written to N long CSV files (in a temporary folder)
and ``recurrent.forecast.parts.predict_files`` reads, forecasts and writes each file on a
worker; the calling process's own peak memory is reported beside the workers'.
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
    ap.add_argument("--files", type=int, help="read the series from this many CSV files, write a part per file")
    args = ap.parse_args(argv)
    print(f"# {machine_line()}")
    warnings.simplefilter("ignore")
    f = recurrent.Forecaster(horizon=12, n_models=1, max_steps=300, seed=0, progress=False)
    f.fit(synthetic(200, args.length, 0))
    if args.files:
        return many_files(f, args)
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
            from recurrent.forecast.cluster import client_for

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


def write_files(folder, n_series, length, n_files):
    """The synthetic series as ``n_files`` long CSV files (unique_id, ds, y), written in chunks."""
    paths = []
    for k, part in enumerate(np.array_split(np.arange(n_series), n_files)):
        Y = synthetic(len(part), length, 1 + k)
        path = f"{folder}/series-{k:03d}.csv"
        with open(path, "w") as out:
            out.write("unique_id,ds,y\n")
            for uid, v in zip(part, Y):
                out.write("".join(f"s{uid},{t},{x:.3f}\n" for t, x in enumerate(v)))
        paths.append(path)
    return paths


def many_files(f, args):
    import tempfile

    from recurrent.forecast import parts
    from recurrent.forecast.cluster import client_for

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        paths = write_files(tmp, args.series, args.length, args.files)
        print(f"wrote {args.series:,} series to {args.files} files in {time.perf_counter() - t0:.1f} s")
        rows = []
        for k, scheduler in enumerate(("local:1", "local:2")):
            f.scheduler = scheduler
            client_for(scheduler).run(lambda: 1)  # start the cluster before timing
            t0 = time.perf_counter()
            m = parts.predict_files(f, paths, f"{tmp}/out-{k}", id_column="unique_id")
            seconds = time.perf_counter() - t0
            assert m["series"] == args.series
            mem = ", ".join(f"{v:.0f} MiB" for v in client_for(scheduler).run(peak_mib).values())
            rows.append((scheduler, seconds, args.series / seconds, mem, peak_mib()))
    print(f"\n{args.series:,} series of {args.length} values in {args.files} files, horizon 12\n")
    print("| where | seconds | series/s | peak memory per worker | calling process peak |")
    print("|---|---|---|---|---|")
    for where, s, rate, peak, me in rows:
        print(f"| {where} | {s:.1f} | {rate:,.0f} | {peak} | {me:.0f} MiB |")
    print(f"\nlocal:2 over local:1: {rows[0][1] / rows[1][1]:.2f}x")


if __name__ == "__main__":
    main()
