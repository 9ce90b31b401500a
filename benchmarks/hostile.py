"""The memory and time each hostile or damaged file costs before it is refused.

    python -m benchmarks.hostile            # a table: case, refused?, peak traced memory, seconds

Each case is built in a temporary folder (FIFOs and device nodes too: never the system's), then
loaded as a user would load it; the peak is what tracemalloc sees (NumPy's allocations included)
during the refusal, the time is wall time. Target: under 100 MB and 1 s each.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from safetensors.numpy import save

import recurrent
from recurrent import LSTM, Forecaster, LastStep, Linear, Sequential, store


def _rewrite(src, dst, edit, checksum=True):
    tensors, meta = store.load_file(src)
    edit(meta)
    if checksum:
        meta["sha256"] = store.file_sha256(tensors, meta)
    Path(dst).write_bytes(save(tensors, metadata={"recurrent": json.dumps(meta)}))
    return dst


def cases(tmp: Path) -> list:
    """(name, a function that loads the hostile file and is expected to raise ValueError)."""
    model = tmp / "m.safetensors"
    Sequential([LSTM(1, 2, seed=0), LastStep(), Linear(2, 1, seed=0)]).save(model)
    fc = tmp / "f.safetensors"
    y = np.sin(np.arange(60) / 3) + 2
    Forecaster(horizon=4, n_models=1, max_steps=20, eval_every=10, seed=0, progress=False).fit(y).save(fc)
    out = []

    def add(name, path, loader=recurrent.load):
        out.append((name, lambda: loader(path)))

    add(
        "layer declaring hidden_size 200,000 x 50 layers",
        _rewrite(
            model, tmp / "a.safetensors", lambda m: m["layers"][0]["config"].update(hidden_size=200_000, num_layers=50)
        ),
    )
    add(
        "forecaster settings with a scheduler",
        _rewrite(fc, tmp / "b.safetensors", lambda m: m["settings"].update(scheduler="tcp://10.0.0.1:8786")),
    )
    add("fitted weight NaN", _rewrite(fc, tmp / "c.safetensors", lambda m: m["fitted"].update(weight=float("nan"))))
    add("season 10^30", _rewrite(fc, tmp / "d.safetensors", lambda m: m["fitted"].update(season=10**30)))

    def v1(m):
        m["format_version"] = 1
        m["sha256"] = m["tensors_sha256"]

    add("format version 1 claimed to skip the metadata checksum", _rewrite(fc, tmp / "e.safetensors", v1, False))
    (tmp / "g.safetensors").write_bytes((2**62).to_bytes(8, "little") + b"{}")
    add("header length 2^62", tmp / "g.safetensors")
    deep = tmp / "h.safetensors"
    deep.write_bytes(save({"x": np.zeros(1)}, metadata={"recurrent": "[" * 200_000 + "]" * 200_000}))
    add("metadata nested 200,000 deep", deep)
    big = tmp / "i.safetensors"
    big.write_bytes(model.read_bytes() + b"\0" * 50_000_000)
    add("50 MB of trailing bytes", big)
    fifo = tmp / "fifo.safetensors"
    os.mkfifo(fifo)
    add("a FIFO as the model", fifo)
    try:
        os.mknod(tmp / "zero", 0o666 | stat.S_IFCHR, os.makedev(1, 5))
        add("a /dev/zero node as the model", tmp / "zero")
        add("a /dev/zero node as a CSV", tmp / "zero", recurrent.read_csv)
    except OSError:
        pass
    csv = tmp / "long.csv"
    csv.write_text("ds,y\n1,2\n2," + "9" * 1_000_000 + "\n")
    add("a CSV field of 1,000,000 characters", csv, recurrent.read_csv)
    try:
        from onnx import helper

        from recurrent.interop import from_onnx, to_onnx

        proto = to_onnx(Sequential([LSTM(2, 3, seed=0), LastStep(), Linear(3, 1, seed=1)]), None)
        for k in range(200_000):
            proto.graph.node.append(helper.make_node("Identity", ["y"], [f"junk{k}"]))
        (tmp / "big.onnx").write_bytes(proto.SerializeToString())
        add("an ONNX graph of 200,000 nodes", tmp / "big.onnx", from_onnx)
    except ImportError:
        pass
    return out


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as d:
        rows = []
        for name, load in cases(Path(d)):
            tracemalloc.start()
            t0 = time.perf_counter()
            try:
                load()
                refused = "LOADED"
            except ValueError:
                refused = "refused"
            seconds = time.perf_counter() - t0
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            rows.append((name, refused, peak / 1e6, seconds))
    print(f"{'case':58} {'result':>8} {'peak MB':>8} {'seconds':>8}")
    for name, refused, mb, s in rows:
        print(f"{name:58} {refused:>8} {mb:8.1f} {s:8.3f}")


if __name__ == "__main__":
    main()
