"""The classic hand calculation's eight slips and the classic notebook's training, measured; the worked example's
update equals a one-step fit with one bias frozen."""

import re

import numpy as np
import pytest

import recurrent
from recurrent import LastStep, Sequential, classic, handwork, optim

# The notebook's own printed output, epochs 0 to 2,200 (where its text stops): the predictions.
PRINTED = [3.6656, 4.1956, 3.9881, 3.9531, 3.9502, 3.9529, 3.9563, 3.9597, 3.9629, 3.9658, 3.9685, 3.9710,
           3.9734, 3.9755, 3.9774, 3.9792, 3.9809, 3.9824, 3.9839, 3.9852, 3.9864, 3.9875, 3.9885]  # fmt: skip


def test_the_hand_calculation_has_eight_slips_of_its_own_and_every_forget_gate_right():
    slips = handwork.hand_slips()
    assert len(slips) == handwork.SLIPS == 8
    assert [(s, g) for s, g, _, _ in slips] == [(2, "g"), (2, "o"), (3, "i"), (3, "g"), (3, "o"), (4, "i"),
                                               (4, "g"), (4, "o")]  # fmt: skip
    assert all(g != "f" for _, g, _, _ in slips)
    step3_g = next(s for s in slips if s[:2] == (3, "g"))
    assert step3_g[2] == pytest.approx(2.0 + 0.3 * 0.611, abs=5e-4)  # 0.7 * 3 written as 2.0, rounded
    assert step3_g[3] == pytest.approx(2.1 + 0.3 * 0.611)
    o2 = next(s for s in slips if s[:2] == (2, "o"))
    assert o2[3] == pytest.approx(0.8 * 2 + 0.4 * 0.257)


def test_the_notebooks_training_reproduces_its_printout_and_then_reaches_four():
    printed = handwork.notebook_training()
    assert [round(y, 4) for _, _, y in printed[: len(PRINTED)]] == PRINTED
    assert printed[0][1] == pytest.approx(0.1118, abs=5e-5)
    first = next(e for e, _, y in printed if f"{y:.4f}" == "4.0000")
    assert first == 8600 and printed[-1][0] == 8900
    assert all(f"{y:.4f}" == "4.0000" for e, _, y in printed if e >= first)


def test_the_worked_example_says_so_with_the_computed_numbers():
    layer, readout, x, _ = classic.scalar_lstm()
    tr = recurrent.trace(Sequential([layer, LastStep(), readout]), x[0])
    md = tr.markdown(lr=0.01, notes=handwork.hand_note(tr))
    assert "8 other pre-activations" in md and "$o_2$: 1.436 for 1.7028" in md and "from epoch 8,600" in md
    assert "does not depend\non" in md or "does not depend on" in md


@pytest.mark.parametrize("name", ["lstm-scalar", "rnn-scalar"])
def test_the_worked_examples_update_is_a_one_step_fit_with_bias_hh_frozen(name):
    ex = classic.example(name)
    model = classic.example_model(ex["weights"], ex["cell"], ex["many_to_one"])
    x = np.asarray(ex["inputs"], dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    tr = recurrent.trace(model, x, target=ex["target"])
    md = tr.markdown(lr=0.01)
    b = "b_f" if ex["cell"] == "lstm" else "b_h"
    line = next(ln for ln in md.splitlines() if ln.startswith(f"$${b} \\leftarrow"))
    shown = float(re.search(r"= (\S+)\$\$$", line).group(1))
    y = np.asarray(ex["target"], dtype=np.float64).reshape(1, -1) if ex["many_to_one"] else None
    target = y if y is not None else np.asarray(ex["target"], dtype=np.float64)[None, :, None]
    model.fit(x[None], target, optimizer=optim.SGD(lr=0.01), epochs=1, batch_size=1, progress=False,
              freeze=["0.bias_hh_l0"])  # fmt: skip
    after = classic.to_notation(model.layers[0], model.layers[-1])
    assert after[b].ravel()[0] == pytest.approx(shown, rel=1e-3)
