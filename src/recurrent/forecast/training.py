"""The global training loop: one network learns from windows of every series.

    for step in 1..max_steps:
        draw a batch of windows (a series uniformly, then one of its latest ends)
        out = net(x)                           # (B, H) log-ratios to the window's level
        loss = mean over existing targets of 200 tanh(|out - y| / 2)
        backward, clip, Adam step
        every eval_every steps: the same loss on each series' latest window, which
        training never sees; keep the best weights (early stopping)

The loss is the sMAPE of the forecast in original units, written in log-ratios:
for y = exp(a) and f = exp(b), 200 |y - f| / (y + f) = 200 tanh(|a - b| / 2). So
the network is trained on the competitions' own measure, bounded, and the same for
every scale. An epoch here is a fixed number of batches, never a pass over every
window: the cost of a fit does not grow with the number or the length of the series.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from ..layers import CELLS, LastStep, Linear, Patches
from ..optim import Adam, clip_grad_norm
from ..sequential import Sequential
from ..train import EarlyStopping
from .network import ForecastNet
from .windows import WindowSampler, gather


def smape_log_loss(pred, target, mask):
    """(value, dpred): mean over mask of 200 tanh(|pred - target| / 2)."""
    d = pred.astype(np.float64) - target
    t = np.tanh(np.abs(d) / 2)
    count = max(float(mask.sum()), 1.0)
    value = float((200.0 * t * mask).sum() / count)
    grad = 100.0 * (1 - t * t) * np.sign(d) * mask / count
    return value, grad.astype(pred.dtype)


def mape_log_loss(pred, target, mask):
    """(value, dpred): mean over mask of 100 |exp(pred - target) - 1|, the MAPE of f = y exp(pred - target).

    The difference is clipped at +-5 (a forecast 150 times too large) so one wild window
    cannot dominate a batch.
    """
    d = np.clip(pred.astype(np.float64) - target, -5.0, 5.0)
    e = np.exp(d)
    count = max(float(mask.sum()), 1.0)
    value = float((100.0 * np.abs(e - 1) * mask).sum() / count)
    grad = 100.0 * e * np.sign(d) * mask / count
    return value, grad.astype(pred.dtype)


LOSSES = {"smape": smape_log_loss, "mape": mape_log_loss}


def build_network(cell, n_inputs, hidden_size, num_layers, horizon, seed, patch=1) -> Sequential:
    """Patches(patch) (when patch > 1) -> cell -> LastStep -> Linear, the Linear zeroed."""
    layers = [Patches(patch)] if patch > 1 else []
    net = Sequential(
        layers
        + [
            CELLS[cell](n_inputs * patch, hidden_size, num_layers=num_layers, seed=seed),
            LastStep(),
            Linear(hidden_size, horizon, seed=seed + 1),
        ]
    )
    for p in net.layers[-1].params.values():
        p[...] = 0.0  # start as the naive forecast: every log-ratio 0
    return net


@dataclass(frozen=True)
class NetworkSettings:
    """How every network of an ensemble is built and trained: the Forecaster's settings that reach the
    training loop, in one object (``NetworkSettings.of(forecaster, history)``)."""

    horizon: int  # outputs per window
    cell: str = "lstm"  # "lstm", "gru" or "rnn"
    hidden_size: int = 32
    num_layers: int = 1
    lr: float = 3e-3  # Adam's learning rate
    batch_size: int = 64  # windows per step
    max_steps: int = 3000  # the most steps with validation (early stopping usually ends sooner)
    eval_every: int = 100  # steps between validation losses
    patience: int = 10  # evaluations without improvement before stopping
    history: int = 180  # how far back from each series' end windows are drawn
    loss: str = "smape"  # "smape" or "mape" (``LOSSES``)

    @classmethod
    def of(cls, f, history: int) -> NetworkSettings:
        """The settings of the fitted ``Forecaster`` ``f`` (its horizon, cell, sizes, optimiser and stopping)."""
        return cls(
            horizon=f.horizon,
            cell=f.cell,
            hidden_size=f.hidden_size,
            num_layers=f.num_layers,
            lr=f.lr,
            batch_size=f.batch_size,
            max_steps=f.max_steps,
            eval_every=f.eval_every,
            patience=f.patience,
            history=history,
            loss="smape" if f.loss == "both" else f.loss,
        )


def train_network(
    z, panel, settings: NetworkSettings, *, limit, val, lookback, seed, steps=None, bar=None, net=None, patch=1,
    spread=None, shares=None,
):  # fmt: skip
    """Train one network as ``settings`` say; returns ``(net, record)``.

    ``limit[i]``: how many of series i's values training may read (targets included).
    ``val``: ``(series_idx, ends)`` of the validation windows, or None. With ``steps``
    given, train exactly that many steps with no validation (the refit on all data),
    from ``net`` when given (continuing its training) or from a fresh network.
    ``record`` holds the validation curve and the best step. ``spread`` (a function handed in,
    ``recurrent.forecast.cluster.spreader(client)`` for a Dask client): each step's gradient is computed
    data-parallel, the batch's windows shared out over the workers. ``shares``: see ``batch_gradient``; a
    data-parallel run and one in this process with the same ``shares`` take the same steps bit for
    bit, and one without shares the same steps to rounding (which a long run amplifies).
    """
    st = settings
    horizon, batch_size, loss = st.horizon, st.batch_size, st.loss
    rng = np.random.default_rng(seed)
    if net is None:
        net = build_network(st.cell, panel.n_inputs, st.hidden_size, st.num_layers, horizon, seed, patch)
        if panel.n_future:  # a readout of the known-ahead covariates over the forecast steps beside it
            net = ForecastNet.build(net, lookback, panel.n_future, horizon, seed)
    opt = Adam(lr=st.lr)
    sampler = WindowSampler(limit, st.history, rng)
    total = steps if steps is not None else st.max_steps
    record = {"val_loss": [], "val_step": [], "best_step": total, "train_loss": []}
    if len(sampler) == 0:
        return net, {**record, "best_step": 0}
    if val is not None and steps is None:
        xv, yv, mv, _ = gather(z, panel, val[0], val[1], lookback, horizon)
    stopping, state = EarlyStopping(patience=st.patience, min_delta=1e-4), {"best": None, "best_epoch": None, "wait": 0}
    best_w, run = None, []
    for step in range(1, total + 1):
        i, e = sampler.draw(batch_size)
        x, y, m, _ = gather(z, panel, i, e, lookback, horizon, limit)
        value, grads = batch_gradient(net, x, y, m, loss, spread, shares)
        clip_grad_norm(grads, 1.0)
        opt.step(net.params, grads)
        run.append(value)
        if bar is not None:
            bar.update(1)
        if steps is None and val is not None and (step % st.eval_every == 0 or step == total):
            pv = net.predict(xv, batch_size=1024)
            vl, _ = LOSSES[loss](pv, yv, mv)
            record["val_loss"].append(vl)
            record["val_step"].append(step)
            record["train_loss"].append(float(np.mean(run)))
            run = []
            stop, improved = stopping.update(state, vl, step)  # the same rule as Sequential.fit's
            if improved:
                best_w, record["best_step"] = net.state_dict(), step
            if stop:
                if bar is not None:
                    bar.update(total - step)
                break
    if best_w is not None:
        net.load_state_dict(best_w)
    return net, record


def batch_gradient(net, x, y, m, loss, spread=None, shares=None):
    """(loss value, gradients) of one batch of windows: here, or shared out by ``spread``.

    ``shares=S`` cuts the batch into S contiguous shares, takes each share's gradient on its own
    and sums them weighted by their valid targets, in the shares' order (``sum_shares``).
    ``spread(net, x, y, m, loss, shares)`` computes the same on other machines: handed in (for a
    Dask client, ``recurrent.forecast.cluster.spreader(client)``) so that training imports no cluster
    code; each share is then a task on a worker (S defaults to the number of workers), and the same
    S here gives the same numbers bit for bit, however many workers there are.
    """
    if spread is not None:
        return spread(net, x, y, m, loss, shares)
    if shares is not None and shares > 1:
        return sum_shares([share_gradient(net, x[r], y[r], m[r], loss) for r in share_ranges(len(x), shares)])
    out, cache = net.forward(x)
    value, dout = LOSSES[loss](out, y, m)
    _, grads = net.backward(dout, cache)
    return value, grads


def share_ranges(n: int, shares: int) -> list:
    """``shares`` contiguous slices covering 0..n, as equal as they come (empty ones dropped)."""
    bounds = [round(k * n / shares) for k in range(shares + 1)]
    return [slice(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def share_gradient(net, x, y, m, loss):
    """One share's (mean loss, gradients, valid targets): its gradient is a mean over its own targets."""
    value, grads = batch_gradient(net, x, y, m, loss)
    return value, grads, float(m.sum())


def sum_shares(results):
    """The batch's (loss, gradients) from its shares' (loss, gradients, count), weighted by count and
    summed in the shares' order (a fixed order: the same sum every run, wherever they were computed).
    Equal to the whole batch's gradient up to rounding, since the loss is a mean over valid targets."""
    total = sum(c for _, _, c in results) or 1.0
    value = sum(v * c for v, _, c in results) / total
    grads = {k: sum(g[k] * (c / total) for _, g, c in results) for k in results[0][1]}
    return float(value), grads


class Progress:
    """A tqdm bar over training steps on a terminal; elsewhere one line per network on stderr."""

    def __init__(self, enabled, n_networks):
        self.enabled, self.n, self.k = enabled, n_networks, 0
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(desc="training", unit="step", file=sys.stderr, leave=False)

    def done(self, lookback, b, rec):
        """Report one network as trained."""
        self.k += 1
        if self.enabled and self.bar is None:
            best = rec.get("best_step")
            print(f"network {self.k}/{self.n}: lookback {lookback}, stopped at step {best}", file=sys.stderr)

    def close(self):
        """Close the progress bar, if one is shown."""
        if self.bar is not None:
            self.bar.close()
