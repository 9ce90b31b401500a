"""More calibration windows for small panels: the statistical member's errors at earlier origins.

The intervals are calibrated on the errors of the validation windows (``intervals``): one window
per series on a large panel, a horizon's worth of overlapping windows per series on a small one.
A small panel's windows all lie in the last two horizons of its few series, and they are also
where early stopping and the weight on Theta were chosen: whatever happened in that stretch is
all the calibration knows. Measured on seven classic single series, four origins each, the 80% and
95% bands then held 66% and 81% of the values.

So a panel of fewer than ``SMALL`` series is also calibrated on its own history. At the latest
``ORIGINS`` origins of each series, half a horizon apart, the statistical member (Theta beside
Naive2, with the fitted share) is fitted on the values before the origin and forecasts the next
horizon; its errors, normalised as the validation scores are, join the table. The statistical
member is refitted at every origin, so nothing in those errors was trained on the values they
score (only Theta's share was chosen, on the latest ones), and it costs milliseconds. Its errors
are larger than the combination's wherever the networks help, so the bands widen toward the
statistical member's; the point forecasts do not change.
"""

from __future__ import annotations

import numpy as np

from . import hybrid, intervals
from .windows import Panel

SMALL = 64  # panels of fewer series (``windows.validation_split``'s ``at_least``)
ORIGINS = 10  # earlier origins per series: the latest five horizons of its history, half a horizon apart


def history_scores(pn: Panel, shifts, horizon: int, season: int, share: float) -> np.ndarray:
    """(rows, horizon) normalised errors of the statistical member from the latest ``ORIGINS`` origins of each
    series whose next ``horizon`` values are known, half a horizon apart; empty where no series is long enough
    (an origin needs two seasons and two horizons of values before it)."""
    step, first = max(1, horizon // 2), max(2 * season + 2, 2 * horizon)
    rows = []
    for i in range(len(pn.length)):
        y = pn.series(i)
        origins = range(len(y) - horizon, first - 1, -step)[:ORIGINS]
        for o in origins:
            z_stat = hybrid.log_theta(y[:o], horizon, season, shifts[i], share)
            z_true = np.log(y[o : o + horizon] + shifts[i])
            rows.append((z_true - z_stat) / intervals.log_scale(y[:o], season, shifts[i]))
    return np.array(rows, dtype=np.float32).reshape(-1, horizon)
