"""A batch of different lengths against the same batch run whole: one training step each.

    python -m benchmarks.lengths [--repeats 21]

For each shape and cell, the same padded batch (N, T, D) runs forward and backward once
without lengths and once with each of three sets of lengths: uniform in 1..T (about half
the steps real), T-10..T (most real), and all T but one sequence of T/2. Reported: the
median time of interleaved runs and the ratio to the whole batch (below 1: faster, it
computes fewer steps), with the stretches the plan chose (``recurrent.layers.lengths``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import recurrent
from benchmarks import machine_line

SHAPES = {"small": (32, 50, 8, 64), "medium": (64, 100, 32, 256)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--cells", default="lstm,gru,rnn")
    args = ap.parse_args(argv)
    print(f"# {machine_line()}")
    print(f"# one training step (forward + backward), float32, median of {args.repeats} interleaved runs")
    print()
    print("| cell | shape (N, T, D, H) | whole batch | uniform 1..T | T-10..T | all T but one |")
    print("|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for cell in args.cells.split(","):
        for name, (N, T, D, H) in SHAPES.items():
            layer = {"lstm": recurrent.LSTM, "gru": recurrent.GRU, "rnn": recurrent.RNN}[cell](D, H, seed=0)
            x = rng.normal(size=(N, T, D)).astype(np.float32)
            variants = {
                "whole": None,
                "uniform": rng.integers(1, T + 1, size=N),
                "late": rng.integers(T - 10, T + 1, size=N),
                "one": np.r_[np.full(N - 1, T), T // 2],
            }
            times = {k: [] for k in variants}

            def step(lengths, layer=layer, x=x):
                y, _, cache = layer.forward(x, lengths=lengths)
                layer.backward(np.ones_like(y), cache)

            for lengths in variants.values():
                step(lengths)
            for _ in range(args.repeats):
                for k, lengths in variants.items():
                    t = time.perf_counter()
                    step(lengths)
                    times[k].append(time.perf_counter() - t)
            med = {k: float(np.median(v)) for k, v in times.items()}
            cells = []
            for k in ("uniform", "late", "one"):
                plan = layer.forward(x, lengths=variants[k])[2]["plan"]
                cells.append(f"{med[k] * 1e3:.2f} ms ({med[k] / med['whole']:.2f}x, {len(plan.stretches)} stretches)")
            print(f"| {cell} | {name} {(N, T, D, H)} | {med['whole'] * 1e3:.2f} ms | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
