"""Pictures (matplotlib is an optional extra: pip install 'recurrent[plot]')."""

from __future__ import annotations

import io as _io

import numpy as np


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
    from .io import atomic_write_bytes

    plt = require_matplotlib()
    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


PANELS = {"lstm": [("i", "input gate i"), ("f", "forget gate f"), ("g", "candidate g (C~)"), ("o", "output gate o"),
                   ("c", "cell state c"), ("h", "hidden state h")],
          "gru": [("r", "reset gate r"), ("z", "update gate z"), ("n", "candidate n"), ("h", "hidden state h")],
          "rnn": [("h", "hidden state h")]}


def plot_trace(tr, path, cell_index=0) -> None:
    """Heatmaps (units x steps) of every gate, the cell state and h for one layer and direction."""
    plt = require_matplotlib()
    ct = tr.cells[cell_index]
    panels = PANELS[tr.cell]
    T, H = np.shape(ct.values["h"])
    fig, axes = plt.subplots(len(panels), 1, figsize=(max(4, 0.6 * T + 2), 1.1 * len(panels) * max(1, H / 4) + 0.8),
                             squeeze=False)
    for ax, (key, title) in zip(axes[:, 0], panels):
        data = np.asarray(ct.values[key]).T                    # (H, T)
        gate = key not in ("c", "h", "g", "n")
        vmax = 1.0 if gate else max(1.0, float(np.abs(data).max()))
        im = ax.imshow(data, aspect="auto", cmap="viridis" if gate else "RdBu_r",
                       vmin=0.0 if gate else -vmax, vmax=vmax, interpolation="nearest")
        if T * H <= 60:
            for (u, t), v in np.ndenumerate(data):
                ax.text(t, u, f"{v:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if gate and v < 0.5 else "black")
        ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
        ax.set_yticks(range(H))
        ax.set_xticks(range(T))
        ax.set_xticklabels([str(t + 1) for t in range(T)])
        fig.colorbar(im, ax=ax, fraction=0.03, pad=0.01)
    axes[-1, 0].set_xlabel("time step")
    fig.suptitle(f"{tr.cell.upper()} layer {ct.layer + 1}{' (reverse)' if ct.direction else ''}: activations by step")
    fig.tight_layout()
    save_figure(fig, path)


def plot_forecast(path, series, n_train, forecast, title="forecast") -> None:
    """History, the held-out values (if any) and the forecast starting after ``n_train`` values."""
    plt = require_matplotlib()
    y = np.asarray(series.values)
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(range(n_train), y[:n_train], color="0.3", label="history")
    if n_train < len(y):
        ax.plot(range(n_train, len(y)), y[n_train:], color="tab:green", label="held out (actual)")
    ax.plot(range(n_train, n_train + len(forecast)), forecast, color="tab:red", marker=".", label="forecast")
    ax.axvline(n_train - 0.5, color="0.7", lw=1, ls="--")
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.set_ylabel(series.name)
    ax.legend(loc="upper left")
    fig.tight_layout()
    save_figure(fig, path)
