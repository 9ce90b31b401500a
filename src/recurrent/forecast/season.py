"""The seasonal period: from the dates' frequency when there are dates, else from the data."""

from __future__ import annotations

import numpy as np


def detect_season(y, max_period=None, threshold=0.3):
    """The fundamental period of the strongest autocorrelation peak of the differenced series, or 1.

    Looks at lags 2..max_period (default n // 3, at most 1000) of the first difference (of the logs
    when the series is positive) and finds the highest local maximum above
    ``threshold``. Peaks also appear at multiples of the period (104 and 156 for a
    weekly series with period 52): the shortest p = best / j (j whole) is returned whose
    every multiple i*p below the best lag has an autocorrelation of at least 0.8 of the
    best's within 1 + i // 4 lags (weeks drift against years, by 0.18 a year), so a multiple
    is never chosen over its fundamental, nor a period one shorter whose multiples drift a
    lag each. 1 when there is no peak.
    """
    y = np.asarray(y, dtype=np.float64)
    z = np.log(y) if np.all(y > 0) else y
    d = np.diff(z)
    n = len(d)
    max_period = min(max_period or min(n // 3, 1000), n // 2)
    if max_period < 2 or np.std(d) == 0:
        return 1
    d = d - d.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))  # autocorrelation by FFT: O(n log n) for long series
    spec = np.fft.rfft(d, size)
    acf = np.fft.irfft(spec * np.conj(spec), size)[: max_period + 2]
    acf = acf / acf[0]
    peaks = [
        k for k in range(2, max_period + 1) if acf[k] > threshold and acf[k] >= acf[k - 1] and acf[k] >= acf[k + 1]
    ]
    if not peaks:  # differencing buries a period under noise (a noisy sine): look at the levels
        acf, peaks = _level_peaks(z, max_period, threshold)
    if not peaks:
        return 1
    best = max(peaks, key=lambda k: acf[k])
    strong = 0.8 * acf[best]

    def near_peak(lag, tol):  # a strong autocorrelation within tol lags
        return lag - tol >= 2 and acf[lag - tol : lag + tol + 1].max() >= strong

    for j in range(best // 2, 1, -1):  # the most repetitions first: the shortest period
        p = int(round(best / j))
        if p >= 2 and all(near_peak(i * p, 1 + i // 4) for i in range(1, j)):
            return p
    return best


def _level_peaks(z, max_period, threshold):
    """The autocorrelation of the linearly detrended levels and its prominent peaks: a local maximum
    above ``threshold`` that rises at least 2 * ``threshold`` above the lowest value before it, so a
    trend or a random walk (whose autocorrelation only decays) shows none."""
    n = len(z)
    t = np.arange(n)
    r = z - np.polyval(np.polyfit(t, z, 1), t)
    if np.std(r) == 0:
        return None, []
    r = r - r.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(r, size)
    acf = np.fft.irfft(spec * np.conj(spec), size)[: max_period + 2]
    acf = acf / acf[0]
    low = np.minimum.accumulate(acf)
    peaks = [
        k
        for k in range(2, max_period + 1)
        if acf[k] > threshold and acf[k] >= acf[k - 1] and acf[k] >= acf[k + 1] and acf[k] - low[k] >= 2 * threshold
    ]
    return acf, peaks


def common_season(series) -> int:
    """The period most series show (ties: the smaller), for a collection without dates."""
    found = [detect_season(s) for s in series if len(s) >= 8]
    found = [s for s in found if s > 1]
    if not found:
        return 1
    values, counts = np.unique(found, return_counts=True)
    if counts.max() * 2 < len([s for s in series if len(s) >= 8]) * 0.5:
        return 1  # too few series agree on any period
    return int(values[np.argmax(counts)])
