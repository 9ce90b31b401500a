"""Time recurrent's LSTM, GRU and RNN against PyTorch's on this CPU, side by side.

    python -m benchmarks.compare                          # every shape, cell and phase
    python -m benchmarks.compare --shapes small,medium --cells lstm --repeats 7
    python -m benchmarks.compare --backend numpy          # the NumPy path even where numba is installed
    python -m benchmarks.compare --forecaster             # also the global forecaster's training throughput
    python -m benchmarks.compare --shapes small --busy 2  # contention: each row beside 2 spinning processes

Both run in this process, float32, torch with set_num_threads(2), interleaved: ours,
sleep, re-warm torch, torch, sleep. The sleep lets OpenBLAS' worker threads stop spinning
(they steal a core for about 0.1 s after a call). Reported: median time (min-max) of each,
the ratio ours/theirs (below 1: we are faster), our GFLOP/s and the fraction of this
machine's GEMM peak (a 2048^3 float32 matmul, measured in the same process; the BLAS library
and the kernel it runs are printed first). FLOPs: forward 2*T*N*G*H*(D+H); training (forward +
backward with the input gradient) three times that. ``--forecaster`` adds the training
throughput of the Forecaster's default network (windows per second, ours only).
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from benchmarks import machine_line

SHAPES = {  # name: (N, T, D, H)
    "tiny": (1, 3, 1, 1),
    "small": (32, 50, 8, 64),
    "medium": (64, 100, 32, 256),
    "large": (64, 100, 512, 1024),
    "db-h512-n64-t25": (64, 25, 512, 512),
    "db-h256-n32-t150": (32, 150, 256, 256),
    "db-h1024-n16-t25": (16, 25, 1024, 1024),
    "inf-h512-n1-t25": (1, 25, 512, 512),
    "inf-h256-n1-t150": (1, 150, 256, 256),
    "stream-h256-n1-t100": (1, 100, 32, 256),
}
PHASES = {"inf-h512-n1-t25": ("forward",), "inf-h256-n1-t150": ("forward",), "stream-h256-n1-t100": ("forward",)}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def gemm_peak(n=2048, repeats=5):
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _calls(cell, N, T, D, H, seed=0):
    import torch

    import recurrent
    from recurrent.interop import to_torch

    ours = {"lstm": recurrent.LSTM, "gru": recurrent.GRU, "rnn": recurrent.RNN}[cell](D, H, seed=seed)
    theirs = to_torch(ours)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D)).astype(np.float32)
    dy = rng.standard_normal((N, T, H)).astype(np.float32)
    xt, dyt = torch.from_numpy(x), torch.from_numpy(dy)

    def ours_fwd():
        ours.forward(x)

    def ours_train():
        _, _, cache = ours.forward(x)
        ours.backward(dy, cache)

    def torch_fwd():
        with torch.no_grad():
            theirs(xt)

    def torch_train():
        xg = xt.clone().requires_grad_(True)
        theirs.zero_grad(set_to_none=True)
        theirs(xg)[0].backward(dyt)

    return {"forward": (ours_fwd, torch_fwd), "training": (ours_train, torch_train)}


def measure(fn_ours, fn_theirs, repeats, min_time=0.05):
    """Interleaved medians. Each sample runs enough calls to last ``min_time`` seconds."""

    def calibrate(fn):
        fn()
        t = _timed(fn)
        return max(1, int(min_time / max(t, 1e-9)))

    k_ours, k_theirs = calibrate(fn_ours), calibrate(fn_theirs)
    a, b = [], []
    for _ in range(repeats):
        time.sleep(0.2)
        fn_ours()  # re-warm after the pause
        a.append(_timed(lambda: [fn_ours() for _ in range(k_ours)]) / k_ours)
        time.sleep(0.2)
        fn_theirs()
        b.append(_timed(lambda: [fn_theirs() for _ in range(k_theirs)]) / k_theirs)
    return np.array(a), np.array(b)


def fmt_t(s):
    return f"{s * 1e6:.0f} us" if s < 1e-3 else f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def main(argv=None):
    import torch

    import recurrent

    ap = argparse.ArgumentParser(description="recurrent vs PyTorch on this CPU")
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated: " + ", ".join(SHAPES))
    ap.add_argument("--cells", default="lstm,gru,rnn")
    ap.add_argument("--phases", default="forward,training")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--forecaster", action="store_true", help="also time the forecaster's training (windows/s)")
    ap.add_argument(
        "--busy",
        type=int,
        default=0,
        help="contention mode: each row measured again beside N processes spinning on the cores, and the "
        "slowdowns against the fair share ((N + cores) / cores) printed",
    )
    ap.add_argument(
        "--backend",
        default="auto",
        choices=("auto", "numpy", "numba"),
        help="recurrent's elementwise path (default: numba when installed)",
    )
    args = ap.parse_args(argv)
    recurrent.set_backend(args.backend)
    used = recurrent.get_backend()
    if used == "numba":
        import numba

        used = f"numba {numba.__version__}"
    torch.set_num_threads(2)
    peak = gemm_peak()
    print(
        f"# recurrent {recurrent.__version__} ({used} backend) vs torch {torch.__version__} (CPU, 2 threads), "
        f"NumPy {np.__version__}, Python {platform.python_version()}, {platform.machine()}, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    print(f"# {machine_line()}")
    print(f"# float32 GEMM peak of this machine: {peak:.1f} GFLOP/s; median of {args.repeats} interleaved runs")
    print()
    if args.busy:
        from .contention import fair_share

        print(f"Contention: beside {args.busy} busy processes; fair share {fair_share(args.busy):.2f}x the quiet time")
        print("| cell | shape | phase | ours quiet / busy | torch quiet / busy | ours slowdown | torch slowdown |")
        print("|---|---|---|---|---|---|---|")
    else:
        print("| cell | shape (N, T, D, H) | phase | ours | torch | ours/torch | our GFLOP/s | % of peak |")
        print("|---|---|---|---|---|---|---|---|")
    for cell in args.cells.split(","):
        for name in args.shapes.split(","):
            N, T, D, H = SHAPES[name]
            calls = _calls(cell, N, T, D, H)
            for phase in args.phases.split(","):
                if phase not in PHASES.get(name, ("forward", "training")):
                    continue
                a, b = measure(*calls[phase], repeats=args.repeats)
                if args.busy:
                    _busy_row(cell, name, phase, calls[phase], a, b, args)
                    continue
                flops = 2 * T * N * GATES[cell] * H * (D + H) * (3 if phase == "training" else 1)
                gf = flops / np.median(a) / 1e9
                print(
                    f"| {cell} | {name} ({N}, {T}, {D}, {H}) | {phase} | {fmt_t(np.median(a))} "
                    f"({fmt_t(a.min())}-{fmt_t(a.max())}) | {fmt_t(np.median(b))} "
                    f"({fmt_t(b.min())}-{fmt_t(b.max())}) "
                    f"| **{np.median(a) / np.median(b):.2f}x** | {gf:.1f} | {100 * gf / peak:.0f}% |",
                    flush=True,
                )
    if args.forecaster:
        rate, steps, batch = forecaster_throughput(args.repeats)
        print()
        print(
            f"Forecaster training (LSTM 32, lookback 36 read in 12 patches of 3, horizon 12, batch {batch}): "
            f"{rate:,.0f} windows/s ({steps} steps per sample, median of {args.repeats})"
        )


def _busy_row(cell, name, phase, calls, a, b, args):
    """The row again beside ``args.busy`` spinning processes (benchmarks.contention's), printed with the quiet one."""
    from .contention import neighbours

    with neighbours(args.busy, settle=0.5):
        a2, b2 = measure(*calls, repeats=args.repeats)
    qa, qb, ba, bb = (float(np.median(v)) for v in (a, b, a2, b2))
    print(
        f"| {cell} | {name} | {phase} | {fmt_t(qa)} / {fmt_t(ba)} | {fmt_t(qb)} / {fmt_t(bb)} | "
        f"**{ba / qa:.2f}x** | {bb / qb:.2f}x |",
        flush=True,
    )


def forecaster_throughput(repeats=5, steps=200):
    """Windows per second through the Forecaster's training loop: its default network (LSTM, 32 units)
    on 500 synthetic monthly series of 120 values, lookback 36, horizon 12, batch 64."""
    from recurrent.forecast.training import NetworkSettings, train_network
    from recurrent.forecast.windows import Panel, log_shift, to_z

    rng = np.random.default_rng(0)
    t = np.arange(120)
    series = [
        100 + 10 * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 6)) + rng.normal(0, 2, 120) + 0.3 * t for _ in range(500)
    ]
    pn = Panel(series, None)
    z = to_z(pn, np.array([log_shift(s) for s in series]))
    st = NetworkSettings(horizon=12, batch_size=64, max_steps=steps, eval_every=100, patience=10, history=180)
    args = dict(limit=pn.length, val=None, lookback=36, seed=0, steps=steps, patch=3)
    train_network(z, pn, st, **{**args, "steps": 5})  # compile and warm
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        train_network(z, pn, st, **args)
        rates.append(steps * 64 / (time.perf_counter() - t0))
    return float(np.median(rates)), steps, 64


if __name__ == "__main__":
    main()
