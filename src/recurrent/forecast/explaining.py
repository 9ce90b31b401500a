"""Why a forecast is what it is: its parts as the forecaster combines them, and each input's share, exactly.

    ex = f.explain()                 # or f.explain(Y_new, ids=["store 3"])
    ex["store 3"].table()            # the parts and the largest attributions per forecast step
    ex["store 3"].to_json()

**The parts.** For series i and forecast step h the forecaster computes, in log values (``predict``)::

    log f_h = w * (level + net_h) + (1 - w) * theta_h        f_h = exp(log f_h) - shift

``level`` is log(last value + shift); ``net_h`` is the networks' median log-ratio (at each step the
middle network, or the mean of the two middle ones); ``theta_h`` the statistical member (Theta, damped
toward Naive2 by its share); ``w`` the weight on the networks. Each is reported.

**The attributions.** ``net_h`` is explained by integrated gradients (Sundararajan et al. 2017) from the
*naive window*: every past value equal to the last one (a flat history: relative log value 0 at every
position, the padding flags as they are) and every covariate at its training mean (standardised 0). It is
the input whose natural forecast is the naive one, so an attribution says how much a value's departure from
the last value (or a covariate's from its mean) moved the forecast. For the network(s) at the median of step
h, each input's attribution is

    A_h[k] = (x_k - x0_k) * integral_0^1 d net_h / d x_k (x0 + a (x - x0)) da

with the integral by Gauss-Legendre quadrature (``points`` nodes) over gradients from the library's own
backward pass (float64 copies of the networks), so that sum_k A_h[k] = net_h(x) - net_h(x0)
(completeness; the ``residual`` reports what quadrature leaves, about 1e-12 for smooth networks at 16 points).
So, exactly: log f_h = w * (level + baseline_h + sum_k A_h[k]) + (1 - w) * theta_h. Attributions are given
in log values (the networks' space) per past position of the series (``positions``), per past covariate
and per known-ahead covariate at the forecast steps, and in the series' units split in proportion
(``units``: the change from the baseline forecast to the forecast, shared as the log attributions share it).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import hybrid
from .attribution import integrated_gradients, median_shares, naive_window
from .inference import jsonable, names, prepare, sort_series, standard_covariates
from .windows import Panel, gather, log_shift


@dataclass
class Explanation:
    """One series' forecast taken apart (see the module's text); arrays over forecast steps h = 1..H."""

    id: object
    forecast: np.ndarray  # (H,) in the series' units, as predict gives it
    log_forecast: np.ndarray  # (H,) log(f + shift)
    shift: float
    level: float  # log(last value + shift)
    weight: float  # w, the networks' weight
    networks: np.ndarray  # (H,) net_h: the networks' median log-ratio
    baseline: np.ndarray  # (H,) net_h at the naive window
    theta: np.ndarray | None  # (H,) the statistical member's log forecast (None when w = 1)
    positions: np.ndarray  # (P,) indices into the series of the window's values
    values: np.ndarray  # (H, P) attributions of the past values, log
    covariates: np.ndarray  # (H, P, K) of the past covariates (K = 0 without), log
    future: np.ndarray  # (H, H, K_f) of the known-ahead covariates at each forecast step (K_f = 0 without), log
    residual: np.ndarray  # (H,) net_h - baseline_h - sum of the attributions (quadrature's remainder)
    covariate_names: list = field(default_factory=list)
    future_names: list = field(default_factory=list)
    labels: list | None = None  # (P,) the positions' dates as text, when the series came with dates

    def _at(self, j) -> str:
        return self.labels[j] if self.labels else str(self.positions[j])

    @property
    def units(self) -> np.ndarray:
        """(H, P): the past values' attributions in the series' units: the forecast's change from the baseline
        forecast, shared as the log attributions share the log change (exactly completing it)."""
        return self._to_units(self.values)

    def _to_units(self, a):
        change_log = self.weight * (self.networks - self.baseline)  # log f - log f0
        base = np.exp(self.log_forecast - change_log) - self.shift
        change = self.forecast - base
        scale = np.where(np.abs(change_log) > 1e-12, change / np.where(change_log == 0, 1, change_log), 0.0)
        scale = np.where(np.abs(change_log) > 1e-12, scale, np.exp(self.log_forecast))  # the slope at f
        return self.weight * a * scale.reshape((-1,) + (1,) * (a.ndim - 1))

    def top(self, step: int, k: int = 5) -> list:
        """The ``k`` largest attributions (by size) of forecast step ``step`` (1-based): (what, log value)."""
        h = int(step) - 1
        items = [(f"value at {self._at(j)}", self.values[h, j]) for j in range(len(self.positions))]
        items += [
            (f"{n} at {self._at(j)}", self.covariates[h, j, c])
            for j in range(len(self.positions))
            for c, n in enumerate(self.covariate_names)
        ]
        items += [
            (f"{n} at forecast step {s + 1}", self.future[h, s, c])
            for s in range(self.future.shape[1])
            for c, n in enumerate(self.future_names)
        ]
        return sorted(items, key=lambda kv: -abs(kv[1]))[:k]

    def table(self, k: int = 3) -> str:
        """A Markdown table: per step the forecast, its parts and its ``k`` largest attributions."""
        head = "| h | forecast | level | networks | naive window | attributed | theta | w | top inputs (log) |"
        rows = [head, "|" + "---|" * 9]
        if self.weight == 0:  # the attributions explain a part the forecast does not use
            rows.insert(0, "The networks have weight 0 here: the forecast is the statistical member's (theta).\n")
        for h in range(len(self.forecast)):
            top = "; ".join(f"{what}: {v:+.4f}" for what, v in self.top(h + 1, k))
            theta = "" if self.theta is None else f"{self.theta[h]:.4f}"
            rows.append(
                f"| {h + 1} | {self.forecast[h]:.4g} | {self.level:.4f} | {self.networks[h]:+.4f} | "
                f"{self.baseline[h]:+.4f} | {self.networks[h] - self.baseline[h]:+.4f} | {theta} | {self.weight:g} | "
                f"{top} |"
            )
        return "\n".join(rows)

    def to_json(self) -> dict:
        """Every field as plain lists and numbers (``json.dumps`` takes it)."""
        out = {}
        for name in self.__dataclass_fields__:
            v = getattr(self, name)
            out[name] = v.tolist() if isinstance(v, np.ndarray) else (v.item() if isinstance(v, np.generic) else v)
        out["units"] = self.units.tolist()
        json.dumps(out)  # fails here, not in the caller, if anything is not plain
        return out


def explain_batch(f, batch, usable, ahead=None, points=16) -> dict:
    """id -> ``Explanation`` for the series at positions ``usable`` of ``batch`` (a read ``panel.Batch``)."""
    H, K_f = f.horizon, getattr(f, "n_future_", 0)
    series = [batch.values[k] for k in usable]
    shifts = np.array([log_shift(s) for s in series])
    covs = standard_covariates(f, batch, usable)
    fut = None
    if ahead is not None:
        fut = [(ahead[k] - f.cov_mean_[-K_f:]) / f.cov_std_[-K_f:] for k in usable]
    pn = Panel([np.log(s + c) for s, c in zip(series, shifts)], covs, K_f, fut)
    ends = pn.length - 1
    Lmax = max(L for L, _ in f.networks_)
    nets, xs = [], []
    for L, net in f.networks_:
        x, _, _, lev = gather(pn.values, pn, np.arange(len(series)), ends, L, H)
        nets.append(net.astype(np.float64))
        xs.append(x.astype(np.float64))
    outs = np.stack([n.forward(x)[0] for n, x in zip(nets, xs)])  # (J, B, H): each network's log-ratios
    share = median_shares(outs)  # (J, B, H): 1, 1/2 or 0
    parts = []
    for (L, _), net, x in zip(f.networks_, nets, xs):
        rows = np.argwhere(share[len(parts)] > 0)  # (i, h): only where this network is at the median
        a, fx, fx0, used = integrated_gradients(net, x, naive_window(x, L), rows, points)
        full = np.zeros((len(x), H) + x.shape[1:])
        full[rows[:, 0], rows[:, 1]] = a
        parts.append((L, full, fx, fx0))
    theta = None
    if f.weight_ < 1:
        theta = np.array(hybrid.log_theta_many(series, H, f.season_, shifts, share=getattr(f, "theta_share_", 1.0)))
    return {
        batch.ids[k]: _one(f, i, k, batch, parts, share, lev, theta, shifts, ends, Lmax) for i, k in enumerate(usable)
    }


def _one(f, i, k, batch, parts, share, lev, theta, shifts, ends, Lmax) -> Explanation:
    """The explanation of the i-th explained series (position k of the batch)."""
    H, K_f, n_cov = f.horizon, getattr(f, "n_future_", 0), getattr(f, "n_covariates_", 0)
    P = min(Lmax, ends[i] + 1)
    positions = np.arange(ends[i] - P + 1, ends[i] + 1)
    values, covs, future = np.zeros((H, P)), np.zeros((H, P, n_cov)), np.zeros((H, H, K_f))
    net, base = np.zeros(H), np.zeros(H)
    for j, (L, a, fx, fx0) in enumerate(parts):
        c = share[j, i][:, None]  # (H, 1)
        net += share[j, i] * fx[i]
        base += share[j, i] * fx0[i]
        keep = min(L, P)  # the window's last `keep` positions lie inside the series
        values[:, P - keep :] += c * a[i, :, L - keep : L, 0]
        if n_cov:
            covs[:, P - keep :] += c[..., None] * a[i, :, L - keep : L, 2:]
        if K_f:
            future += c[..., None] * a[i, :, L:, :K_f]
    total = values.sum(axis=1) + covs.sum(axis=(1, 2)) + future.sum(axis=(1, 2))
    w = float(f.weight_)
    logf = w * (lev[i] + net) + (0.0 if theta is None else (1 - w) * theta[i])
    names = list(getattr(f, "cov_names_", [])) or [f"covariate {c + 1}" for c in range(n_cov)]
    return Explanation(
        id=batch.ids[k],
        forecast=np.exp(logf) - shifts[i],
        log_forecast=logf,
        shift=float(shifts[i]),
        level=float(lev[i]),
        weight=w,
        networks=net,
        baseline=base,
        theta=None if theta is None else theta[i],
        positions=positions,
        values=values,
        covariates=covs,
        future=future,
        residual=net - base - total,
        covariate_names=names[:n_cov],
        future_names=names[n_cov - K_f :] if K_f else [],
        labels=_labels(batch, k, positions),
    )


def _labels(batch, k, positions):
    """The positions' dates as text (``2003-01-01``; the time of day only where there is one), or None."""
    dates = batch.dates[k] if batch.dates is not None else None
    if dates is None or len(dates) <= int(positions[-1]):
        return None
    return [_text(dates[int(p)]) for p in positions]


def _text(d) -> str:
    text = str(d)
    return text[:10] if text.endswith(" 00:00:00") else text


def explain(f, Y=None, ids=None, points=16, given=None, futr_df=None, columns=("unique_id", "ds", "y")) -> dict:
    """``Forecaster.explain``: id -> ``Explanation`` for the series asked (``ids``; default all) of ``Y`` (default
    the training series). A series the networks do not forecast (a fallback) is refused by name when asked for,
    and left out with a warning otherwise."""
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or not 2 <= points <= 256:
        raise ValueError(f"explain: `points` must be a whole number from 2 to 256, got {points!r}")
    given = given or {"covariates": None, "future_covariates": None, "static_df": None}
    batch, ahead = prepare(f, Y, f.horizon, given, futr_df, columns)
    usable, methods, _ = sort_series(batch, f.min_length, f.combine, "explain", warn=False)
    if not f.networks_:
        usable = []
    known = {jsonable(u): k for k, u in enumerate(batch.ids)}
    if ids is not None:
        wanted = list(ids) if isinstance(ids, (list, tuple, np.ndarray)) else [ids]
        unknown = [u for u in wanted if jsonable(u) not in known]
        if unknown:
            raise ValueError(f"explain: unknown series id(s) {names(unknown)}; the series are {names(batch.ids)}")
        rows = [known[jsonable(u)] for u in wanted]
        for k in rows:
            if k not in usable:
                uid = batch.ids[k]
                why = methods.get(uid, "left out (fewer than 2 values)") if f.networks_ else "naive (no networks)"
                raise ValueError(
                    f"explain: series {jsonable(uid)!r} is forecast by a fallback, {why}: it has no attribution "
                    "beyond its rule (its forecast repeats its last value)"
                )
        asked = set(rows)
        usable = [k for k in usable if k in asked]
    else:
        taken = set(usable)
        left = [uid for k, uid in enumerate(batch.ids) if k not in taken]
        if left:
            warnings.warn(
                f"explain: {len(left)} series forecast by a fallback (naive: short, constant or left out) have no "
                f"attribution and are left out: {names(left)}",
                stacklevel=3,
            )
    return explain_batch(f, batch, usable, ahead, points) if usable else {}
