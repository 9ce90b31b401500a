"""Reading a large long file: ours against pandas (and Parquet against pyarrow), each in its own
process so that peak memory is its own.

    python -m benchmarks.read_files [--series 100000] [--length 100]

Writes a long CSV (unique_id, ds, y: monthly dates) and the same as Parquet in a temporary folder,
then times, alternating: pandas.read_csv alone, pandas.read_csv + a groupby into one array per
series (what reading the series means), ``tables.load_series`` (ours: the series, their date
labels, the calendar's checks), and for Parquet pyarrow's read_table, read_table + groupby, ours.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

RUN = {
    "pandas read_csv": "import pandas as pd; pd.read_csv(P)",
    "pandas read_csv + groupby": (
        "import pandas as pd; df = pd.read_csv(P); "
        "{u: g['y'].to_numpy() for u, g in df.groupby('unique_id', sort=False)}"
    ),
    "ours (load_series)": "from recurrent.forecast.tables import load_series; load_series(P, id_column='unique_id')",
    "pyarrow read_table": "import pyarrow.parquet as pq; pq.read_table(Q)",
    "pyarrow read_table + groupby": (
        "import pyarrow.parquet as pq; df = pq.read_table(Q).to_pandas(); "
        "{u: g['y'].to_numpy() for u, g in df.groupby('unique_id', sort=False)}"
    ),
    "ours (Parquet)": "from recurrent.forecast.tables import load_series; load_series(Q)",
}
TIMED = """
import resource, time
P, Q = {csv!r}, {parquet!r}
t = time.perf_counter()
{code}
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def make(folder: Path, n_series: int, length: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    months = np.arange(np.datetime64("2010-01", "M"), np.datetime64("2010-01", "M") + length)
    dates = np.datetime_as_string(months.astype("datetime64[D]"))
    csv = folder / "long.csv"
    with open(csv, "w") as f:
        f.write("unique_id,ds,y\n")
        for s in range(n_series):
            y = 100 + np.cumsum(rng.normal(size=length))
            f.write("".join(f"id{s},{d},{v:.4f}\n" for d, v in zip(dates, y)))
    parquet = folder / "long.parquet"
    import pandas as pd

    pd.read_csv(csv, parse_dates=["ds"]).to_parquet(parquet)
    return csv, parquet


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--length", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        csv, parquet = make(Path(d), args.series, args.length)
        size = csv.stat().st_size / 1e6
        print(f"{args.series * args.length:,} rows, {size:.0f} MB of CSV; load {os.getloadavg()[0]:.2f}")
        best = {}
        for _ in range(args.repeat):
            for name, code in RUN.items():
                out = subprocess.run(
                    [sys.executable, "-c", TIMED.format(csv=str(csv), parquet=str(parquet), code=code)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                s, mb = map(float, out.stdout.split())
                best[name] = min(best.get(name, (s, mb)), (s, mb))
        for name, (s, mb) in best.items():
            print(f"{name:32} {s:7.2f} s  peak {mb:7.0f} MB")


if __name__ == "__main__":
    main()
