"""What the classic hand calculation and the classic notebook of the scalar LSTM wrote, and where they slip.

The scalar LSTM that predicts the next value of [1, 2, 3] (``classic.SCALAR_LSTM``) circulates as a hand
calculation and as a notebook that trains it. Both are kept here as they were written, so that what they
get wrong is measured, not described:

- ``HAND``: every pre-activation the hand calculation writes, with the h it carries into the step.
  ``hand_slips()`` recomputes each one from the calculation's *own* carried h: the forget gates are all
  right, eight others are not (``SLIPS``), each a slip of its own, none inherited from another.
- ``notebook_training()``: the notebook's training loop as written (a sigmoid derivative taken of the
  already activated gate, no gradient carried back through time, a weight update after every step);
  its printed output stops at epoch 2,200 ("Predicted: 3.9885"), but run to its 9,000 epochs the
  wrong gradient still takes the prediction to 4.0000: a wrong gradient can lower the loss.
"""

from __future__ import annotations

import math

# (step, x, the h the calculation carries into the step, {gate: the pre-activation it writes})
HAND = (
    (2, 2.0, 0.257, {"f": 1.026, "i": 1.252, "g": 1.471, "o": 1.436}),
    (3, 3.0, 0.611, {"f": 1.561, "i": 1.882, "g": 2.183, "o": 2.244}),
    (4, 4.0, 0.841, {"f": 2.084, "i": 2.536, "g": 2.652, "o": 3.336}),
)
WEIGHTS = {"f": (0.5, 0.1), "i": (0.6, 0.2), "g": (0.7, 0.3), "o": (0.8, 0.4)}  # (W_x, W_h), biases 0
SLIPS = 8  # what hand_slips() finds: every i, g and o from step 2 on but i_2


def hand_slips(tolerance=0.0015) -> list:
    """[(step, gate, written, recomputed)] where the written pre-activation differs from W_x x + W_h h (with the
    calculation's own carried h) by more than its rounding (``tolerance``)."""
    out = []
    for step, x, h, written in HAND:
        for gate, value in written.items():
            wx, wh = WEIGHTS[gate]
            right = wx * x + wh * h
            if abs(right - value) > tolerance:
                out.append((step, gate, value, right))
    return out


def _sigmoid(x, derivative=False):
    s = 1 / (1 + math.exp(-x))
    return s * (1 - s) if derivative else s


def _tanh(x, derivative=False):
    return 1 - math.tanh(x) ** 2 if derivative else math.tanh(x)


def notebook_training(epochs=9000, every=100) -> list:
    """[(epoch, loss, predicted)] printed every ``every`` epochs by the notebook's loop, run as written: per step,
    the forward pass, then an update from that step's own error with the derivatives taken of the activated gates
    (``_sigmoid(o_t, derivative=True)``) and h_{t-1}, c_{t-1} held constant."""
    w = {"W_f": 0.5, "W_hf": 0.1, "b_f": 0.0, "W_i": 0.6, "W_hi": 0.2, "b_i": 0.0, "W_c": 0.7, "W_hc": 0.3}
    w.update({"b_c": 0.0, "W_o": 0.8, "W_ho": 0.4, "b_o": 0.0, "W_y": 4.0, "b_y": 0.0})
    lr, target, printed = 0.01, 4.0, []
    for epoch in range(epochs):
        h_prev, c_prev = 0.0, 0.0
        for x in (1.0, 2.0, 3.0):
            f = _sigmoid(w["W_f"] * x + w["W_hf"] * h_prev + w["b_f"])
            i = _sigmoid(w["W_i"] * x + w["W_hi"] * h_prev + w["b_i"])
            g = _tanh(w["W_c"] * x + w["W_hc"] * h_prev + w["b_c"])
            c = f * c_prev + i * g
            o = _sigmoid(w["W_o"] * x + w["W_ho"] * h_prev + w["b_o"])
            h = o * _tanh(c)
            y = w["W_y"] * h + w["b_y"]
            _notebook_update(w, lr, x, h_prev, c_prev, (f, i, g, c, o, h), y - target)
            h_prev, c_prev = h, c
        if epoch % every == 0:
            printed.append((epoch, (y - target) ** 2, y))
    return printed


def _notebook_update(w, lr, x, h_prev, c_prev, values, error):
    """The notebook's lstm_backward, line for line (its mistakes kept)."""
    f, i, g, c, o, h = values
    d_y = 2 * error
    d_h = d_y * w["W_y"]
    grads = {"W_y": d_y * h, "b_y": d_y}
    d_c = d_h * o * _tanh(c, derivative=True)
    for gate, d_out, slope in (
        ("o", d_h * _tanh(c), _sigmoid(o, derivative=True)),  # the slope at sigma(o), not at a
        ("f", d_c * c_prev, _sigmoid(f, derivative=True)),
        ("i", d_c * g, _sigmoid(i, derivative=True)),
        ("c", d_c * i, _tanh(g, derivative=True)),
    ):
        grads[f"W_{gate}"] = d_out * slope * x
        grads[f"W_h{gate}"] = d_out * slope * h_prev
        grads[f"b_{gate}"] = d_out * slope
    for k, v in grads.items():
        w[k] -= lr * v


HAND_NOTE = """A hand calculation of this example that circulates widely gets step 1 right (its $i_1 = 0.645$ is
0.6457 truncated) and carries $h_1 = 0.257$ (exactly {h1:.5f}). Recomputed from the $h$ it carries itself,
every forget gate it writes is right, but {n} other pre-activations are not, each a slip of its own:
{slips}. The slip in $o_2$, $\\sigma(1.436) = 0.808$ where the pre-activation is $0.8 \\cdot 2 + 0.4 \\cdot
h_1 = {a2:.5f}$ (so $o_2 = {o2:.3f}$, as above), makes its $h_2 = 0.611$ (right: {h2:.3f}); its
$c_2 = 0.985$ (right: {c2:.3f}) comes from the slip in $g_2$, not from $o_2$, which $c_2$ does not depend
on. Its $h_3 = 0.841$ (right: {h3:.3f}) adds step 3's own slips, among them $0.7 \\cdot 3$ written as 2.0.
It then runs a fourth step on $x_4 = 4$, the value it is trying to predict. The model's prediction is
$W_y h_3 = {pred:.3f}$.

The classic notebook that trains this model takes the sigmoid's derivative of the gate's *output*
again, $\\sigma(o)(1 - \\sigma(o))$, where it is $o(1 - o)$, and updates the weights from each step's own
error without carrying $\\partial L / \\partial h$ and $\\partial L / \\partial c$ back through time, as the
backward pass above does. Its loss still falls: run as written it prints 4.0000 from epoch {first} on
(its printed output stops at epoch 2,200, at 3.9885). A wrong gradient can lower a loss; a
finite-difference check (`recurrent gradcheck`) is what tells it apart."""

NAMES = {"f": "f", "i": "i", "g": "g", "o": "o"}


def hand_note(tr) -> str:
    """What the hand calculation and the notebook of the scalar LSTM get wrong, with the trace's numbers."""
    v = tr.main.values
    slips = "; ".join(
        f"${NAMES[g]}_{step}$: {written:g} for {right:.4f}".rstrip("0") for step, g, written, right in hand_slips()
    )
    first = next(e for e, _, y in notebook_training() if f"{y:.4f}" == "4.0000")
    return HAND_NOTE.format(
        h1=float(v["h"][0, 0]),
        n=len(hand_slips()),
        slips=slips,
        a2=float(v["a_o"][1, 0]),
        o2=float(v["o"][1, 0]),
        h2=float(v["h"][1, 0]),
        c2=float(v["c"][1, 0]),
        h3=float(v["h"][2, 0]),
        pred=float(tr.prediction.ravel()[0]),
        first=f"{first:,}",
    )
