"""Pictures (matplotlib is an optional extra: pip install 'recurrent[plot]')."""

from __future__ import annotations

import io as _io

import numpy as np

from .cells.spec import SPECS
from .safefiles import atomic_write_bytes


def require_matplotlib():
    """Import matplotlib with a headless backend, or raise ImportError with the install line."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'recurrent[plot]'") from None
    return plt


def save_figure(fig, path) -> None:
    """Write the figure atomically, as PNG unless the name ends in .pdf or .svg."""
    from pathlib import Path

    plt = require_matplotlib()
    buf = _io.BytesIO()
    kind = Path(path).suffix.lower().lstrip(".")
    fig.savefig(buf, format=kind if kind in ("pdf", "svg") else "png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


PANELS = {name: list(f.labels) for name, f in SPECS.items()}


def plot_trace(tr, path, cell_index=0) -> None:
    """Heatmaps (units x steps) of every gate, the cell state and h for one layer and direction."""
    plt = require_matplotlib()
    ct = tr.cells[cell_index]
    panels = PANELS[tr.cell]
    T, H = np.shape(ct.values["h"])
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(max(4, 0.6 * T + 2), 1.1 * len(panels) * max(1, H / 4) + 0.8), squeeze=False
    )
    for ax, (key, title) in zip(axes[:, 0], panels):
        data = np.asarray(ct.values[key]).T  # (H, T)
        gate = key not in ("c", "h", "g", "n")
        vmax = 1.0 if gate else max(1.0, float(np.abs(data).max()))
        im = ax.imshow(
            data,
            aspect="auto",
            cmap="viridis" if gate else "RdBu_r",
            vmin=0.0 if gate else -vmax,
            vmax=vmax,
            interpolation="nearest",
        )
        if T * H <= 60:
            for (u, t), v in np.ndenumerate(data):
                r, g, b, _ = im.cmap(im.norm(v))  # white on dark cells, black on light
                dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
                ax.text(t, u, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if dark else "black")
        ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
        ax.set_yticks(range(H))
        ax.set_yticklabels([f"unit {u + 1}" for u in range(H)], fontsize=6 if H > 8 else 7)
        ax.set_xticks(range(T))
        ax.set_xticklabels([str(t + 1) for t in range(T)])
        fig.colorbar(im, ax=ax, fraction=0.03, pad=0.01)
    axes[-1, 0].set_xlabel("time step")
    fig.suptitle(f"{tr.cell.upper()} layer {ct.layer + 1}{' (reverse)' if ct.direction else ''}: activations by step")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))  # room for the title above the first panel
    save_figure(fig, path)


def _as_dates(labels):
    """The labels as datetime64 when every one is a date (YYYY, YYYY-MM, YYYY-MM-DD, YYYYQn), else None."""
    import re

    if not labels:
        return None
    out = []
    for lab in labels:
        t = str(lab).strip()
        q = re.fullmatch(r"(\d{4})\s*-?Q([1-4])", t)
        if q:
            t = f"{q.group(1)}-{3 * int(q.group(2)) - 2:02d}"
        elif re.fullmatch(r"\d{4}", t):
            t = f"{t}-01"
        elif not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", t):
            return None
        try:
            out.append(np.datetime64(t, "D"))
        except ValueError:
            return None
    return np.array(out)


def zoom_start(n_history, horizon, season) -> int:
    """Where the close-up begins: the last few seasons (at least 3, or 4 horizons) before the forecast."""
    keep = max(3 * max(season, 1), 4 * horizon, 24)
    return max(0, n_history - keep)


def plot_forecast(
    path,
    values,
    n_train,
    forecast,
    *,
    labels=None,
    future_labels=None,
    baselines=None,
    season=1,
    bands=None,
    title="forecast",
    ylabel=None,
) -> None:
    """History, the held-out values (if any), the forecast and the baselines' forecasts.

    ``labels``: one per value of ``values`` (dates are drawn on a date axis), and
    ``future_labels`` for the forecast's steps past the end. ``baselines``: name ->
    forecast, drawn dashed. ``bands``: level -> (lower, upper), shaded. A long series
    gets a second panel, a close-up of its last seasons and the forecast. The legend
    sits outside the axes; the file's type follows its suffix (.png, .pdf, .svg).
    """
    plt = require_matplotlib()
    y = np.asarray(values, dtype=np.float64)
    forecast = np.asarray(forecast, dtype=np.float64)
    h = len(forecast)
    n_all = max(len(y), n_train + h)
    dates = None
    if labels is not None:
        more = list(future_labels or [])[: max(0, n_all - len(labels))]
        dates = _as_dates(list(labels) + more)
        if dates is not None and len(dates) < n_all:
            dates = None
    x = dates if dates is not None else np.arange(n_all)
    start = zoom_start(n_train, h, season)
    views = [0, start] if start > 0 and n_train > 200 else [0]
    fig, axes = plt.subplots(len(views), 1, figsize=(10, 3.4 * len(views) + 0.6), squeeze=False)
    fx = x[n_train : n_train + h]
    for ax, lo in zip(axes[:, 0], views):
        ax.plot(x[lo:n_train], y[lo:n_train], color="0.25", lw=1, label="history")
        if n_train < len(y):
            ax.plot(x[n_train : len(y)], y[n_train:], color="tab:green", lw=1.5, zorder=3, label="held out (actual)")
        for level, (b_lo, b_hi) in sorted((bands or {}).items(), reverse=True):
            ax.fill_between(
                fx, b_lo, b_hi, color="tab:red", alpha=0.12 + 0.1 * (level < 90), lw=0, label=f"{level:g}% interval"
            )
        for k, (name, b) in enumerate((baselines or {}).items()):
            ax.plot(
                fx,
                b,
                lw=1,
                ls=(0, (4, 2)) if k % 2 == 0 else (0, (1, 1.5)),
                color=f"C{(k + 4) % 10}",
                label=name.replace("_", " "),
            )
        ax.plot(fx, forecast, color="tab:red", lw=1.8, marker="." if h <= 60 else None, ms=4, label="forecast")
        ax.axvline(x[n_train - 1] if dates is not None else n_train - 0.5, color="0.6", lw=0.8, ls="--")
        if ylabel:
            ax.set_ylabel(ylabel, parse_math=False)
        ax.margins(x=0.01)
        if lo > 0:
            ax.set_title(f"the last {n_train - lo} values and the forecast", fontsize=10)
    axes[0, 0].set_title(title, parse_math=False)  # ids and titles are text, never mathtext
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    if dates is None:
        axes[-1, 0].set_xlabel("step")
        if labels is not None and len(labels) == len(y):
            for ax, lo in zip(axes[:, 0], views):
                ticks = np.unique(np.linspace(lo, len(y) - 1, 6).astype(int))
                ax.set_xticks(ticks, [str(labels[t]) for t in ticks])
    else:
        import matplotlib.dates as mdates

        for ax in axes[:, 0]:
            locator = mdates.AutoDateLocator()
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    fig.tight_layout()
    save_figure(fig, path)


def plot_many(path, items, season=1, total=None, title="forecasts") -> None:
    """A grid (two columns) of the first few series, each its last seasons, the forecast and bands.

    ``items``: (name, values, n_train, forecast, bands or None). ``total``: how many series
    there are in all (the title says how many are shown).
    """
    plt = require_matplotlib()
    k = len(items)
    cols = 1 if k == 1 else 2
    rows = -(-k // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 2.6 * rows + 0.6), squeeze=False)
    for ax in axes.ravel()[k:]:
        ax.set_visible(False)
    for ax, (name, values, n_train, forecast, bands) in zip(axes.ravel(), items):
        y = np.asarray(values, dtype=np.float64)
        h = len(forecast)
        lo = zoom_start(n_train, h, season)
        ax.plot(np.arange(lo, n_train), y[lo:n_train], color="0.25", lw=1, label="history")
        if n_train < len(y):
            ax.plot(np.arange(n_train, len(y)), y[n_train:], color="tab:green", lw=1.5, zorder=3, label="held out")
        fx = np.arange(n_train, n_train + h)
        for level, (b_lo, b_hi) in sorted((bands or {}).items(), reverse=True):
            ax.fill_between(fx, b_lo, b_hi, color="tab:red", alpha=0.12 + 0.1 * (level < 90), lw=0, label=f"{level:g}%")
        ax.plot(fx, forecast, color="tab:red", lw=1.5, label="forecast")
        ax.set_title(str(name), fontsize=9, parse_math=False)
        ax.tick_params(labelsize=7)
    shown = f"the first {k} of {total} series" if total and total > k else f"{k} series"
    fig.suptitle(f"{title}: {shown}", parse_math=False)
    axes[0, 0].legend(fontsize=7, loc="upper left", frameon=False)
    fig.tight_layout()
    save_figure(fig, path)


def plot_flow(flow, path, title=None) -> None:
    """The lab's per-step gradient norms (``explain.flow``) on a log scale: |dL/dh_t| per cell, the LSTM's
    |dL/dc_t| dashed; a truncated run's zeros are left out."""
    plt = require_matplotlib()
    fig, ax = plt.subplots(figsize=(7, 4))
    for cell, res in flow.items():
        for q, style in (("dh", "-"), ("dc", "--")):
            if q not in res:
                continue
            t = np.arange(1, len(res[q]) + 1)
            keep = res[q] > 0
            ax.semilogy(t[keep], res[q][keep], style, marker=".", label=f"{cell.upper()} |dL/d{q[1]}_t|")
    ax.set_xlabel("step t (the loss reads step T only)")
    ax.set_ylabel("gradient norm")
    ax.set_title(title or "how far back the gradient reaches")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def plot_explanation(ex, values, path) -> None:
    """One series' explanation (``Forecaster.explain``): the series' latest values and the forecast above, the
    attributions of each forecast step to each past value (log values) as a heatmap below."""
    plt = require_matplotlib()
    P, H = len(ex.positions), len(ex.forecast)
    fig, (top, low) = plt.subplots(2, 1, figsize=(max(6, 0.25 * (P + H) + 2), 6.5), height_ratios=[1, 1.3])
    t_hist = ex.positions
    top.plot(t_hist, np.asarray(values)[t_hist], color="#333", marker=".", label="the window the networks read")
    top.plot(np.arange(t_hist[-1] + 1, t_hist[-1] + 1 + H), ex.forecast, color="#0b57d0", marker="o", label="forecast")
    top.legend(fontsize=8)
    top.set_title(f"series {ex.id!r}: the forecast and what drove it")
    vmax = float(np.abs(ex.values).max()) or 1.0
    im = low.imshow(ex.values, aspect="auto", cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest",
                    extent=(t_hist[0] - 0.5, t_hist[-1] + 0.5, H + 0.5, 0.5))  # fmt: skip
    low.set_xlabel("position in the series (the past values read)")
    low.set_ylabel("forecast step")
    fig.colorbar(im, ax=low, fraction=0.03, pad=0.01, label="attribution (log)")
    fig.tight_layout()
    save_figure(fig, path)
