"""The table of date continuations in docs/forecasting.md: for each frequency, the last three input
dates and the first three forecast dates through the command line's reader (a CSV file read by
``tables.load_series``, continued by ``calendar``) and through a pandas DataFrame (the dates a
``Forecaster.predict`` of a frame gets, ``frames.future_dates``).

    python -m benchmarks.calendar_table
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from recurrent.forecast import frames
from recurrent.forecast.files import next_labels
from recurrent.forecast.tables import load_series

CASES = [  # (what, pandas frequency for the input dates, start, text format of the CSV cells)
    ("year starts", "YS", "2001-01-01", "%Y-%m-%d"),
    ("year ends", "YE", "2001-12-31", "%Y-%m-%d"),
    ("quarter starts", "QS", "2008-01-01", "%Y-%m-%d"),
    ("quarter ends", "QE", "2008-03-31", "%Y-%m-%d"),
    ("month starts", "MS", "1990-01-01", "%Y-%m-%d"),
    ("month ends (leap year)", "ME", "2023-06-30", "%Y-%m-%d"),
    ("weeks on Sunday", "W-SUN", "2020-01-05", "%Y-%m-%d"),
    ("weeks on Wednesday", "W-WED", "2020-10-07", "%Y-%m-%d"),
    ("business days", "B", "2017-10-02", "%Y-%m-%d"),
    ("days", "D", "2020-02-10", "%Y-%m-%d"),
    ("hours", "h", "2000-08-27 00:00", "%Y-%m-%d %H:%M:%S"),
    ("30 minutes", "30min", "2000-08-27 12:00", "%Y-%m-%d %H:%M:%S"),
    ("15 minutes", "15min", "2000-08-27 18:00", "%Y-%m-%d %H:%M:%S"),
    ("days, dd.mm.yyyy", "D", "2020-12-10", "%d.%m.%Y"),
    ("months, yyyy-mm", "MS", "2000-01-01", "%Y-%m"),
]


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for what, freq, start, fmt in CASES:
            dates = pd.date_range(start, periods=24, freq=freq)
            y = 10 + np.arange(24.0)
            path = Path(d) / "s.csv"
            path.write_text("date,y\n" + "".join(f"{t.strftime(fmt)},{v}\n" for t, v in zip(dates, y)))
            got = load_series(path)
            (uid,) = got.series
            cli = next_labels(got.dates[uid], 3, got.freq)
            frame = frames.future_dates(pd.DatetimeIndex(dates), None, 3)
            frame_text = [t.strftime(fmt) for t in frame] if frame is not None else ["(none)"]
            rows.append((what, str(got.freq), got.season, got.dates[uid][-3:], cli, frame_text))
    print(
        "| frequency | rule | season | last three input dates | first three forecast dates (CLI) | DataFrame | same |"
    )
    print("|---|---|---|---|---|---|---|")
    for what, rule, season, last, cli, frame in rows:
        same = "yes" if cli == frame else "no"
        print(f"| {what} | {rule} | {season} | {', '.join(last)} | {', '.join(cli)} | {', '.join(frame)} | {same} |")


if __name__ == "__main__":
    main()
