"""Data-parallel training of the M1 monthly global model: one process against local:2.

    python -m benchmarks.data_parallel [--steps 300] [--scheduler local:2]

The first network of the ensemble ``Forecaster(horizon=18, season=12, seed=0)`` fits on M1's 617
monthly series (its lookback, patch, seed, training data and validation windows, exactly as
``fit`` builds them) trains with early stopping, at most ``--steps`` steps, once in this process
and once with each step's gradient computed data-parallel on the scheduler's workers
(``train_network(spread=spreader(client))``), in float64 and in float32. Reported: the steps taken and the best
step, the largest difference between the runs' weights, and the milliseconds per step each way (the
difference is the communication: the weights out, the tasks scheduled, the gradients back). A third
run in this process cuts each batch into the same 2 shares as the data-parallel run
(``shares=2``): the two should agree bit for bit.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import warnings

import numpy as np

from benchmarks import machine_line


class _Seen(Exception):
    """Raised once the first network's inputs are recorded: the fit need not go on."""


def captured_first_network():
    """(z, panel, limit, val, train_network's keywords) of the ensemble's first network, as fit makes them."""
    from benchmarks.mcomp import load
    from recurrent import Forecaster
    from recurrent.forecast import ensemble

    series = [s.x.astype(np.float64) for s in load("M1") if s.type == "monthly"]
    seen = {}

    def record(z, pn, limit, val, L, p, s, *, refit, settings, bar=None):
        seen.update(z=z, pn=pn, limit=limit, val=val, settings=settings, kw=dict(lookback=L, patch=p, seed=s))
        raise _Seen

    real, ensemble.one_network = ensemble.one_network, record
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Forecaster(horizon=18, season=12, seed=0, progress=False).fit(series)
    except _Seen:
        pass
    finally:
        ensemble.one_network = real
    return seen, len(series)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300, help="most training steps (early stopping may stop sooner)")
    ap.add_argument("--scheduler", default="local:2")
    args = ap.parse_args(argv)
    print(f"# {machine_line()}")
    from recurrent.forecast.cluster import client_for, spreader
    from recurrent.forecast.training import build_network, train_network

    seen, n_series = captured_first_network()
    st = dataclasses.replace(seen["settings"], max_steps=args.steps)
    kw = seen["kw"]
    client = client_for(args.scheduler)
    client.run(lambda: 1)
    pn = seen["pn"]
    print(
        f"M1 monthly: {n_series} series; network: {st.cell} {st.hidden_size} units, lookback "
        f"{kw['lookback']} in patches of {kw['patch']}, batch {st.batch_size}, at most {args.steps} steps"
    )
    print("\n| dtype | steps (best) | one process ms/step | data-parallel ms/step | communication ms/step | "
          "weights vs one process, whole batches | vs one process, the same 2 shares |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for dtype in (np.float64, np.float32):
        start = build_network(st.cell, pn.n_inputs, st.hidden_size, st.num_layers, st.horizon,
                              kw["seed"], kw["patch"]).astype(dtype)  # fmt: skip
        runs = []
        for c, shares in ((None, None), (None, 2), (client, 2)):
            t0 = time.perf_counter()
            net, rec = train_network(seen["z"], pn, st, limit=seen["limit"], val=seen["val"], net=start.astype(dtype),
                                     spread=c and spreader(c), shares=shares, **kw)  # fmt: skip
            seconds = time.perf_counter() - t0
            steps = rec["val_step"][-1] if rec["val_step"] else args.steps
            runs.append((net, f"{steps} ({rec['best_step']})", seconds / steps))
        (a, sa, ta), (b, sb, _), (d, sd, td) = runs

        def diff(p, q):
            return max(float(np.max(np.abs(p.params[k] - q.params[k]))) for k in p.params)

        steps = sa if sa == sb == sd else f"{sa} / {sb} / {sd}"
        print(
            f"| {np.dtype(dtype).name} | {steps} | {ta * 1e3:.2f} | {td * 1e3:.2f} | {(td - ta) * 1e3:.1f} | "
            f"{diff(a, d):.1e} | {diff(b, d):.1e} |"
        )


if __name__ == "__main__":
    main()
