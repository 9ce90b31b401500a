"""Windows drawn from many series, each seen relative to its own level.

One network serves series of any level and scale because it never sees a level:

    z_t = log(y_t + shift)                 shift = 0 for a positive series; otherwise a
                                           per-series constant that makes it positive
    level = z_e                            e: the window's last input
    inputs  x_k = z_{e-L+1+k} - level      k = 0..L-1, 0 where the window starts before
                                           the series (with a padding flag 1 there)
    targets y_h = z_{e+h} - level          h = 1..H, masked past the series' end

So the network learns log-ratios to the latest value: shapes, growth rates and
seasonal swings, the same for a series of tens and one of millions (as ES-RNN and
N-BEATS normalise by the level of each window). Windows are drawn per batch, never
materialised for a whole collection: an index of (series, end) pairs is all that is
kept, and each batch gathers its values with one fancy-indexing step.
"""

from __future__ import annotations

import numpy as np


class Panel:
    """Many series of different lengths in one flat array: ``values[start[i]:start[i] + length[i]]``.

    ``covariates`` (optional): one (length[i], K) array per series, already standardised,
    kept flat as ``cov`` (total, K); each window then carries them beside its values. The last
    ``n_future`` of them are known ahead: ``ahead`` (optional) holds each series' rows after its
    end ((a_i, n_future) arrays, the values of the steps to forecast), and every window also
    carries them over its H forecast steps (``gather``).
    """

    def __init__(self, series, covariates=None, n_future=0, ahead=None):
        series = [np.asarray(s, dtype=np.float64) for s in series]
        self.length = np.array([len(s) for s in series], dtype=np.int64)
        self.start = np.concatenate([[0], np.cumsum(self.length)[:-1]]).astype(np.int64)
        self.values = np.concatenate(series) if series else np.zeros(0)
        # kept in float32, as the windows carry them (the same values as rounding them at every gather)
        self.cov = np.concatenate(covariates).astype(np.float32) if covariates is not None else None
        self.n_future = int(n_future)
        if self.n_future:  # each series' known-ahead rows: its own, then those after its end
            K = self.n_future
            rows = [
                np.concatenate([c[:, c.shape[1] - K :], a if a is not None else np.zeros((0, K))])
                for c, a in zip(covariates, ahead if ahead is not None else [None] * len(series))
            ]
            self.fut_length = np.array([len(r) for r in rows], dtype=np.int64)
            self.fut_start = np.concatenate([[0], np.cumsum(self.fut_length)[:-1]]).astype(np.int64)
            self.fut = np.concatenate(rows).astype(np.float32)

    @property
    def n_inputs(self) -> int:
        """Features a window step carries: the relative log value, the padding flag, the covariates."""
        return 2 + (0 if self.cov is None else self.cov.shape[1])

    def __len__(self):
        return len(self.length)

    def series(self, i) -> np.ndarray:
        """Series ``i``'s values (a view into the shared buffer)."""
        return self.values[self.start[i] : self.start[i] + self.length[i]]


def log_shift(y) -> float:
    """0 for a strictly positive series; otherwise what makes every value positive with room."""
    y = np.asarray(y, dtype=np.float64)
    lo = float(y.min())
    if lo > 0:
        return 0.0
    spread = float(np.mean(np.abs(y))) or 1.0
    return -lo + spread


def to_z(panel: Panel, shifts) -> np.ndarray:
    """The flat array of log values, each series with its own shift."""
    return np.log(panel.values + np.repeat(shifts, panel.length))


def gather(z, panel: Panel, series_idx, ends, lookback, horizon, limit=None):
    """Inputs, targets and target mask for windows whose last input is z[ends] of each series.

    Returns ``x`` (B, L, 2 + K) float32 with the relative log values, the padding flag and
    the panel's K covariates (with known-ahead covariates, (B, L + H, 2 + K): H more steps whose
    first ``n_future`` channels hold their values at the forecast steps, 0 past what is known),
    ``y`` (B, H) float32 relative targets, ``mask`` (B, H) float32 (1 where the target
    exists within ``limit[i]`` values of the series; default its length), and the
    levels (B,) float64.
    """
    series_idx = np.asarray(series_idx, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    base = panel.start[series_idx]
    level = z[base + ends]
    pos = ends[:, None] - lookback + 1 + np.arange(lookback)  # (B, L) positions in each series
    inside = pos >= 0
    at = base[:, None] + np.maximum(pos, 0)
    B, L, K = len(series_idx), lookback, 0 if panel.cov is None else panel.cov.shape[1]
    x = np.zeros((B, L + (horizon if panel.n_future else 0), 2 + K), dtype=np.float32)  # filled in place
    x[:, :L, 0] = np.where(inside, z[at] - level[:, None], 0.0)
    x[:, :L, 1] = ~inside
    if K:  # covariates beside, 0 where padded
        np.copyto(x[:, :L, 2:], panel.cov[at], where=inside[..., None])
    if panel.n_future:
        _ahead_steps(panel, series_idx, ends, x[:, L:])
    n = panel.length[series_idx] if limit is None else np.asarray(limit)[series_idx]
    tpos = ends[:, None] + 1 + np.arange(horizon)  # (B, H)
    ok = tpos < n[:, None]
    yv = np.where(ok, z[base[:, None] + np.minimum(tpos, panel.length[series_idx][:, None] - 1)] - level[:, None], 0.0)
    return x, yv.astype(np.float32), ok.astype(np.float32), level


def _ahead_steps(panel: Panel, series_idx, ends, out):
    """Fill ``out`` (B, H, width), zeros: the known-ahead covariates at each window's forecast steps in its first
    channels (0 past what is known)."""
    pos = ends[:, None] + 1 + np.arange(out.shape[1])  # (B, H)
    known = pos < panel.fut_length[series_idx][:, None]
    where = panel.fut_start[series_idx][:, None] + np.minimum(pos, panel.fut_length[series_idx][:, None] - 1)
    np.copyto(out[..., : panel.n_future], panel.fut[where], where=known[..., None])


class WindowSampler:
    """Draws batches of (series, end) pairs: a series uniformly, then one of its latest ends.

    A window's end e runs over the last ``history`` admissible values of each series
    (N-BEATS' L_H: recent windows matter most, old ones from long series do not swamp
    short series), with at least one target inside ``limit`` (the training part).
    """

    def __init__(self, limit, history, rng):
        self.limit = np.asarray(limit, dtype=np.int64)
        self.hi = self.limit - 2  # last end with a target
        self.lo = np.maximum(0, self.hi - history + 1)
        self.usable = np.flatnonzero(self.hi >= 0)
        self.rng = rng

    def __len__(self):
        return len(self.usable)

    def draw(self, batch_size):
        """One batch of windows: (series indices, end positions), each end drawn uniformly from its
        series' allowed range."""
        i = self.usable[self.rng.integers(0, len(self.usable), size=batch_size)]
        e = self.lo[i] + (self.rng.random(batch_size) * (self.hi[i] - self.lo[i] + 1)).astype(np.int64)
        return i, e


def validation_split(n, H, at_least=64, at_most=5000, seed=None):
    """(limit, val): training reads values < limit[i]; val = (series, ends) of the validation windows.

    Each series' latest window (targets: its last H values) is held out; when there are
    fewer than ``at_least`` series, up to H of each series' latest windows are, so that
    early stopping on one series does not hang on one window's luck. Early stopping and
    the Theta weight are judged on at most ``at_most`` windows (a random subset, from the
    fit's seed, beyond that): every series' latest values are still held out of the
    training that stopping judges, and checking 5,000 windows says as much as 100,000.
    """
    per = int(min(H, max(1, -(-at_least // len(n)))))
    v = np.minimum(per, np.maximum(n - H - 1, 0))  # keep at least one input before
    limit = np.maximum(n - H - v + 1, 0)
    has = np.flatnonzero((limit >= 1) & (v >= 1))
    if not len(has):
        return np.maximum(n - H, 0), None
    idx = np.repeat(has, v[has])
    ends = (
        np.concatenate([np.arange(limit[i] - 1, limit[i] - 1 + v[i]) for i in has])
        if len(has) < at_most
        else limit[has] - 1
    )
    if len(idx) > at_most:
        pick = np.sort(np.random.default_rng(seed).choice(len(idx), size=at_most, replace=False))
        idx, ends = idx[pick], ends[pick]
    return limit, (idx, ends)
