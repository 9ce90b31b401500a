"""How far back a gradient reaches: |dL/dh_t| (and the LSTM's |dL/dc_t|) at every step, RNN, GRU and LSTM side by side.

    flow = gradient_flow(steps=30, forget_bias=3.0)
    flow["lstm"]["dc"]      # (steps,) the norm of dL/dc_t, t = 1..steps
    print(table(flow))

The three cells read the same inputs x_1..x_T (one feature, seeded) from a zero state, and the loss
is one number read from the last step only, L = v . h_T; so dL/dh_t says how much of what happened
at step t can still change the loss T - t steps later. The numbers are the per-step records of the
layers' own backpropagation through time (``backward(..., record=)``, float64): nothing here
computes a gradient itself.

What to try (``recurrent flow --help``):

- **vanishing**: the plain RNN's norms fall by a roughly constant factor a step (|W_hh| times the
  tanh's slope); ``recurrent_scale`` above about 1.5 makes them grow instead (exploding).
- **the forget path**: the LSTM's dL/dc_{t-1} = dL/dc_t f_t + (what comes through h), so with the
  forget gate near 1 (``forget_bias`` 3: sigmoid(3) = 0.95) the cell state carries the gradient
  across many steps; with the default bias 0 (f about 0.5) it halves a step. For the GRU the same
  knob is the update gate's bias (z near 1 keeps the old state: h_t = (1 - z) n + z h_{t-1}).
- **clipping** (``clip=c``): the gradient's global norm capped at c scales every step's part by one factor:
  an exploding gradient is bounded, a vanishing one is not revived.
- **truncation** (``truncate=k``): truncated BPTT backpropagates through the last k steps only;
  the state before them enters as a constant, so every earlier step's gradient is exactly 0.
"""

from __future__ import annotations

import numpy as np

from ..layers import GRU, LSTM, RNN
from .tex import figure

CELLS = {"rnn": RNN, "gru": GRU, "lstm": LSTM}
KEEP_GATE = {"lstm": 1, "gru": 1, "rnn": None}  # the gate block the bias knob moves: LSTM's f, GRU's z


def network(cell, hidden=8, forget_bias=0.0, recurrent_scale=1.0, seed=0):
    """The layer the lab runs: seeded weights (PyTorch's uniform(-1/sqrt(H), 1/sqrt(H))), W_hh times
    ``recurrent_scale``, and the keep gate's two biases set to add up to ``forget_bias``."""
    layer = CELLS[cell](1, hidden, dtype=np.float64, seed=seed)
    p = layer.params
    p["weight_hh_l0"] *= recurrent_scale
    block = KEEP_GATE[cell]
    if block is not None:
        rows = slice(block * hidden, (block + 1) * hidden)
        p["bias_ih_l0"][rows] = forget_bias
        p["bias_hh_l0"][rows] = 0.0
    return layer


def inputs(steps, hidden=8, seed=0):
    """(x (1, steps, 1), v (hidden,)): the sequence every cell reads and the loss's readout L = v . h_T."""
    rng = np.random.default_rng([seed, steps])
    return rng.normal(size=(1, steps, 1)), rng.normal(size=hidden) / np.sqrt(hidden)


def cell_flow(cell, steps=30, hidden=8, forget_bias=0.0, recurrent_scale=1.0, truncate=None, seed=0) -> dict:
    """One cell's per-step norms: {"dh": (steps,), "dc": (steps,) for the LSTM, "grads": the per-step records
    (dh (steps, hidden), dc), "loss": L}; steps before the last ``truncate`` get 0."""
    x, v = inputs(steps, hidden, seed)
    layer = network(cell, hidden, forget_bias, recurrent_scale, seed)
    k = steps if truncate is None else min(int(truncate), steps)
    state = None
    if k < steps:  # the state before the window: computed, then held constant (nothing flows back into it)
        _, state, _ = layer.forward(x[:, : steps - k])
    y, _, cache = layer.forward(x[:, steps - k :], state)
    dy = np.zeros_like(y)
    dy[0, -1] = v
    record = {}
    _, _, grads = layer.backward(dy, cache, record=record)
    rec = record[(0, 0)]
    norm = float(np.sqrt(sum(float(np.sum(g**2)) for g in grads.values())))
    out = {"loss": float(y[0, -1] @ v), "grads": {}, "grad_norm": norm}
    for name in ("dh", "dc"):
        if name in rec:
            full = np.zeros((steps, hidden))
            full[steps - k :] = rec[name][0]
            out["grads"][name] = full
            out[name] = np.linalg.norm(full, axis=1)
    return out


def gradient_flow(
    steps=30, hidden=8, forget_bias=0.0, recurrent_scale=1.0, truncate=None, seed=0, cells=None, clip=None
):
    """``cell_flow`` for each of ``cells`` (default RNN, GRU, LSTM) on the same inputs: cell -> its result.

    ``clip``: clip the gradient by its global norm (``train``'s ``clip_norm``): the whole parameter gradient
    ("grad_norm") is multiplied by min(1, clip / grad_norm) ("clip_factor"), and so is every step's part of it;
    the norms shown are scaled by that one factor. The curve keeps its shape: clipping bounds an exploding
    gradient and does nothing for a vanishing one."""
    _check(steps, hidden, recurrent_scale, truncate)
    if clip is not None and not (isinstance(clip, (int, float)) and not isinstance(clip, bool) and clip > 0):
        raise ValueError(f"gradient_flow: `clip` must be a positive number or None, got {clip!r}")
    out = {c: cell_flow(c, steps, hidden, forget_bias, recurrent_scale, truncate, seed) for c in (cells or list(CELLS))}
    if clip is not None:
        for res in out.values():
            res["clip_factor"] = min(1.0, clip / res["grad_norm"]) if res["grad_norm"] > 0 else 1.0
            for q in ("dh", "dc"):
                if q in res:
                    res[q] = res[q] * res["clip_factor"]
    return out


def _check(steps, hidden, recurrent_scale, truncate) -> None:
    for name, v in (("steps", steps), ("hidden", hidden)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= 10_000:
            raise ValueError(f"gradient_flow: `{name}` must be a whole number from 1 to 10000, got {v!r}")
    if truncate is not None and (isinstance(truncate, bool) or not isinstance(truncate, (int, np.integer))):
        raise ValueError(f"gradient_flow: `truncate` must be a whole number of steps or None, got {truncate!r}")
    if truncate is not None and truncate < 1:
        raise ValueError(f"gradient_flow: `truncate` must be at least 1, got {truncate}")
    if not np.isfinite(recurrent_scale):
        raise ValueError(f"gradient_flow: `recurrent_scale` must be a finite number, got {recurrent_scale!r}")


def table(flow, every=None) -> str:
    """A Markdown table: step t, then |dL/dh_t| per cell (and the LSTM's |dL/dc_t|); ``every``: show every k-th step
    (default: about 20 rows, the first and last always)."""
    steps = len(next(iter(flow.values()))["dh"])
    every = every or max(1, steps // 20)
    cols = [(c, "dh") for c in flow] + [(c, "dc") for c in flow if "dc" in flow[c]]
    head = "| t | " + " | ".join(f"{c.upper()} \\|dL/d{q[1]}_t\\|" for c, q in cols) + " |"
    rows = [head, "|" + "---|" * (len(cols) + 1)]
    for t in range(steps):
        if t % every and t not in (0, steps - 1):
            continue
        rows.append(f"| {t + 1} | " + " | ".join(figure(flow[c][q][t]) for c, q in cols) + " |")
    return "\n".join(rows)
