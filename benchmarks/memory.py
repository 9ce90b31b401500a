"""Peak memory of one training step, full BPTT against segments with recomputation.

    python -m benchmarks.memory [--T 1000] [--segment 50]

Measured with tracemalloc (NumPy reports its allocations to it): the peak of
forward + backward for an LSTM, against the size of what BPTT must keep for every
step (gates, cell states, tanh(c), the stacked [x; h; 1]), and the same with
``forward(..., segment=k)``, which keeps only the outputs and a state every k steps
and recomputes each segment during backward. The cells' work-buffer pool is off while
the peak is traced (its reused buffers would not show as allocations); the times are
taken with it on, as a program runs.
"""

import argparse
import time
import tracemalloc

import numpy as np

import recurrent


def step(layer, x, segment):
    _, _, cache = layer.forward(x, segment=segment)
    layer.backward(np.ones(x.shape[:2] + (layer.hidden_size,), x.dtype), cache)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--N", type=int, default=32)
    ap.add_argument("--T", type=int, default=1000)
    ap.add_argument("--D", type=int, default=32)
    ap.add_argument("--H", type=int, default=256)
    ap.add_argument("--segment", type=int, default=50)
    a = ap.parse_args()
    layer = recurrent.LSTM(a.D, a.H, seed=0)
    x = np.random.default_rng(0).standard_normal((a.N, a.T, a.D)).astype(np.float32)
    kept = 4 * a.T * a.N * (4 * a.H + a.H * 2 + (a.D + a.H + 1)) / 2**20  # G, C and tanh(c), Z in float32
    print(f"LSTM N={a.N} T={a.T} D={a.D} H={a.H}, float32; BPTT keeps about {kept:.0f} MiB of activations")
    print("| mode | peak memory of forward + backward | time |")
    print("|---|---|---|")
    for seg in (None, a.segment):
        step(layer, x, seg)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            step(layer, x, seg)
            times.append(time.perf_counter() - t0)
        previous = recurrent.set_buffer_limit(0)  # every buffer fresh, so that tracemalloc sees it
        tracemalloc.start()
        step(layer, x, seg)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        recurrent.set_buffer_limit(previous)
        name = "full BPTT" if seg is None else f"segment={seg} (recompute)"
        print(f"| {name} | {peak:.0f} MiB | {np.median(times):.2f} s |")


if __name__ == "__main__":
    main()
