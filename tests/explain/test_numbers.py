"""One rule for printed numbers (``explain.tex.figure``): never 0.000 for a number that is not 0, never -0.000; an
updated weight shows the digits of its change; the trace's table, the worked example and the page follow it."""

import re

import numpy as np
import pytest

import recurrent
from recurrent import classic
from recurrent.explain.tex import _num, changed, figure


@pytest.mark.parametrize(
    "v, text",
    [
        (0.0, "0"),
        (-0.0, "0"),
        (-17.6743, "-17.674"),
        (0.62246, "0.622"),
        (0.5, "0.500"),
        (0.052345, "0.0523"),
        (-0.0012345, "-0.00123"),
        (0.00099996, "1.00e-3"),
        (6.5321e-6, "6.53e-6"),
        (-1e-9, "-1.00e-9"),
        (12345.678, "12345.678"),
    ],
)
def test_figure(v, text):
    assert figure(v) == text


def test_figure_keeps_three_significant_figures_and_never_a_bare_zero():
    rng = np.random.default_rng(0)
    for v in np.concatenate([rng.normal(size=500) * 10.0 ** rng.integers(-9, 3, 500), [5e-4, -5e-4, 1e-3]]):
        s = figure(v)
        assert float(s) != 0 and not re.fullmatch(r"-?0\.0+", s), (v, s)
        assert abs(float(s) - v) <= 5e-3 * abs(v) + 5e-4 * (abs(v) >= 1), (v, s)


def test_latex_writes_the_exponent_as_a_power_of_ten():
    assert _num(6.5321e-6) == "6.53 \\times 10^{-6}"
    assert _num(0.0001, given=True) == "0.0001" and _num(-0.0, given=True) == "0"


def test_an_update_shows_the_digits_of_its_change():
    assert changed(0.5 - 1e-4 * -0.286, 0.5) == "0.50003"
    assert changed(0.30029, 0.3) == "0.3003"
    assert changed(0.5, 0.5) == "0.5"
    assert changed(0.7428, 0.7) == "0.7428"


def test_the_worked_example_with_a_small_learning_rate_shows_each_weight_move():
    ex = classic.example("lstm-scalar")
    model = classic.example_model(ex["weights"], "lstm", True)
    tr = recurrent.trace(model, np.asarray(ex["inputs"], dtype=np.float64)[:, None], target=ex["target"])
    md = tr.markdown(lr=0.0001)
    updates = [ln for ln in md.splitlines() if "\\leftarrow" in ln and "\\eta" not in ln and "W \\leftarrow" not in ln]
    assert updates
    for line in updates:
        old = line.split("\\leftarrow ")[1].split(" - ")[0]
        new = line.rsplit(" = ", 1)[1].rstrip("$").replace(" \\times 10^{", "e").replace("}", "")
        assert float(old) != float(new) or "\\cdot 0 =" in line, line
    bare = re.compile(r"(?<![\d.])-?0\.0+(?![\d])")  # 0.000 or -0.000 as a whole number
    assert not bare.findall(md) and not bare.findall(tr.table())
    assert not re.search(r"(?<![\d.])-0(?![.\d])", tr.table())
