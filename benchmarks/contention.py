"""The forecaster on a busy machine: fit and forecast alone, then beside N busy processes, interleaved.

    python -m benchmarks.contention                    # M1 monthly, 2 busy neighbours, 2 rounds
    python -m benchmarks.contention --busy 2 --rounds 3 --data Tourism --category quarterly

Each busy neighbour is a process spinning in a Python loop (as another user's job would). A fair share of
C cores among the forecaster and N neighbours makes the forecaster at most (N + 1) / C times slower when
it uses every core (2 neighbours on 2 cores: 1.5x its quiet time for one thread's worth of work, more
when the forecaster would have used both). Reported: the quiet and the busy time of each round, and
their ratio; the load average beside each.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
import warnings
from contextlib import contextmanager

import numpy as np

from benchmarks import machine_line


def _spin(stop):
    x = 0
    while not stop.is_set():
        x += 1


@contextmanager
def neighbours(n: int, settle: float = 1.0):
    """``n`` processes spinning on the cores (as other users' jobs would) for the length of the block."""
    stop = mp.Event()
    procs = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(n)]
    for p in procs:
        p.start()
    time.sleep(settle)
    try:
        yield
    finally:
        stop.set()
        for p in procs:
            p.join(5)


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def fair_share(busy: int) -> float:
    """The slowdown a fair share gives a job using every core beside ``busy`` spinning processes."""
    return (busy + cores()) / cores()


def fit_time(train, h, m, seed=0, **settings) -> float:
    """Seconds to fit a default Forecaster on ``train`` and forecast it with 80% and 95% intervals."""
    from recurrent import Forecaster

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Forecaster(horizon=h, season=m, seed=seed, progress=False, **settings).fit(train).predict(level=[80, 95])
    return time.perf_counter() - t0


def run_once(data, category, seed=0) -> float:
    from benchmarks.mcomp import load

    series = [s for s in load(data) if s.type == category]
    train = {s.sn: np.asarray(s.x, dtype=np.float64) for s in series}
    return fit_time(train, series[0].h, series[0].period, seed)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="M1")
    ap.add_argument("--category", default="monthly")
    ap.add_argument("--busy", type=int, default=2, help="busy neighbour processes (default 2)")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    print(f"# {machine_line()}; cores {cores()}")
    run_once(args.data, args.category)  # compile and warm
    rows = []
    for r in range(args.rounds):
        quiet_load = os.getloadavg()[0]
        quiet = run_once(args.data, args.category)
        with neighbours(args.busy):
            busy = run_once(args.data, args.category)
            busy_load = os.getloadavg()[0]
        rows.append((quiet, busy, quiet_load, busy_load))
        print(f"round {r + 1}: quiet {quiet:.1f} s (load {quiet_load:.2f}), beside {args.busy} busy processes "
              f"{busy:.1f} s (load {busy_load:.2f}): {busy / quiet:.2f}x", flush=True)  # fmt: skip
        time.sleep(5.0)
    q, b = np.median([x[0] for x in rows]), np.median([x[1] for x in rows])
    print(f"\n{args.data} {args.category}: quiet {q:.1f} s, busy {b:.1f} s, median ratio {b / q:.2f}x")


if __name__ == "__main__":
    main()
