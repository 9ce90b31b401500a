"""The exercise checker: a learner's own (independent) solutions pass, and each classic mistake, made in the text of
such a solution, is caught at the right quantity with its named hint; starters, bad files and the command line."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recurrent.cells import reference
from recurrent.cli import main
from recurrent.explain import exercises, mistakes

ROOT = Path(__file__).resolve().parents[2]

HELPERS = """
import numpy as np

def sig(a):
    return 1 / (1 + np.exp(-a))

def dsig(s):
    return s * (1 - s)

def dtanh(t):
    return 1 - t ** 2
"""

LSTM = (
    HELPERS
    + """
def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    H = h.shape[1]
    a = x @ w_ih.T + h @ w_hh.T + b_ih + b_hh
    i, f, g, o = sig(a[:, :H]), sig(a[:, H:2*H]), np.tanh(a[:, 2*H:3*H]), sig(a[:, 3*H:])
    c2 = f * c + i * g
    h2 = o * np.tanh(c2)
    return h2, c2, {"x": x, "h": h, "c": c, "i": i, "f": f, "g": g, "o": o, "c2": c2, "w_ih": w_ih, "w_hh": w_hh}

def lstm_step_backward(dh_new, dc_new, k):
    t = np.tanh(k["c2"])
    dc = dc_new + dh_new * k["o"] * dtanh(t)
    di = dc * k["g"] * dsig(k["i"])
    df = dc * k["c"] * dsig(k["f"])
    dg = dc * k["i"] * dtanh(k["g"])
    do = dh_new * t * dsig(k["o"])
    da = np.hstack([di, df, dg, do])
    grads = {"weight_ih": da.T @ k["x"], "weight_hh": da.T @ k["h"], "bias_ih": da.sum(0), "bias_hh": da.sum(0)}
    return da @ k["w_ih"], da @ k["w_hh"], dc * k["f"], grads
"""
)

GRU = (
    HELPERS
    + """
def gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    H = h.shape[1]
    gx, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    r = sig(gx[:, :H] + gh[:, :H])
    z = sig(gx[:, H:2*H] + gh[:, H:2*H])
    n = np.tanh(gx[:, 2*H:] + r * gh[:, 2*H:])
    return (1 - z) * n + z * h, {"x": x, "h": h, "r": r, "z": z, "n": n, "hn": gh[:, 2*H:], "w_ih": w_ih, "w_hh": w_hh}

def gru_step_backward(dh_new, k):
    dn = dh_new * (1 - k["z"]) * dtanh(k["n"])
    dz = dh_new * (k["h"] - k["n"]) * dsig(k["z"])
    dr = dn * k["hn"] * dsig(k["r"])
    dax = np.hstack([dr, dz, dn])
    dah = np.hstack([dr, dz, dn * k["r"]])
    grads = {"weight_ih": dax.T @ k["x"], "weight_hh": dah.T @ k["h"], "bias_ih": dax.sum(0), "bias_hh": dah.sum(0)}
    return dax @ k["w_ih"], dah @ k["w_hh"] + dh_new * k["z"], grads
"""
)

RNN = """
import numpy as np

def dtanh(t):
    return 1 - t ** 2

def rnn_step(x, h, w_ih, w_hh, b_ih, b_hh):
    h2 = np.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
    return h2, {"x": x, "h": h, "h2": h2, "w_ih": w_ih, "w_hh": w_hh}

def rnn_step_backward(dh_new, k):
    da = dh_new * dtanh(k["h2"])
    grads = {"weight_ih": da.T @ k["x"], "weight_hh": da.T @ k["h"], "bias_ih": da.sum(0), "bias_hh": da.sum(0)}
    return da @ k["w_ih"], da @ k["w_hh"], grads
"""

SOLUTIONS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}

# (cell, text replaced, replacement, the quantity flagged first, the mistake named)
BROKEN = [
    ("lstm", "return s * (1 - s)", "return sig(s) * (1 - sig(s))", "dh", "activated_sigmoid"),
    ("lstm", "return 1 - t ** 2", "return 1 - np.tanh(t) ** 2", "dc", "activated_tanh"),
    ("lstm", "dc = dc_new + dh_new", "dc = dh_new", "dc", "no_carry"),
    ("lstm", 'dc * k["f"], grads', "dc, grads", "dc", "no_forget"),
    ("lstm", 'da @ k["w_hh"], dc', "0 * dh_new, dc", "dh", "no_recurrent"),
    ("lstm", '"bias_hh": da.sum(0)}', '"bias_hh": da.sum(0) / 2}', "bias_hh", "bias_half"),
    (
        "lstm",
        '"bias_ih": da.sum(0), "bias_hh": da.sum(0)}',
        '"bias_ih": 2 * da.sum(0), "bias_hh": da.sum(0)}',
        "bias_ih",
        "bias_double",
    ),
    ("gru", "return s * (1 - s)", "return sig(s) * (1 - sig(s))", "dh", "activated_sigmoid"),
    ("gru", "return 1 - t ** 2", "return 1 - np.tanh(t) ** 2", "dh", "activated_tanh"),
    ("gru", 'dah @ k["w_hh"] + dh_new * k["z"]', 'dah @ k["w_hh"]', "dh", "no_direct"),
    ("gru", 'dah @ k["w_hh"] + dh_new * k["z"]', 'dh_new * k["z"]', "dh", "no_recurrent"),
    ("gru", 'dah = np.hstack([dr, dz, dn * k["r"]])', "dah = dax", "dh", "reset_outside"),
    ("rnn", "return 1 - t ** 2", "return 1 - np.tanh(t) ** 2", "dh", "activated_tanh"),
    ("rnn", 'da @ k["w_hh"], grads', "0 * dh_new, grads", "dh", "no_recurrent"),
    ("rnn", '"bias_hh": da.sum(0)}', '"bias_hh": 2 * da.sum(0)}', "bias_hh", "bias_double"),
]


def _write(tmp_path, text, name="mine.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_a_learners_own_correct_solution_passes_scalar_and_vector(tmp_path, cell):
    results = exercises.check(exercises.load(_write(tmp_path, SOLUTIONS[cell])))
    assert [(r.cell, r.case) for r in results] == [(cell, "scalar"), (cell, "vector")]
    assert all(r.ok for r in results), "\n".join(map(str, results))
    assert all(r.fd_error < 1e-6 for r in results)


def test_the_reference_cells_pass_every_check():
    functions = {n: getattr(reference, n) for c in exercises.CELLS for n in (f"{c}_step", f"{c}_step_backward")}
    results = exercises.check(functions)
    assert len(results) == 6 and all(r.ok for r in results)


@pytest.mark.parametrize("cell, old, new, quantity, mistake", BROKEN, ids=[f"{b[0]}-{b[4]}" for b in BROKEN])
def test_each_classic_mistake_is_named_with_its_hint(tmp_path, cell, old, new, quantity, mistake):
    text = SOLUTIONS[cell]
    assert text.count(old) == 1
    results = exercises.check(exercises.load(_write(tmp_path, text.replace(old, new))))
    vector = results[1]
    assert not vector.ok and vector.quantity == quantity and vector.mistake == mistake
    assert vector.hint == mistakes.HINTS[mistake]
    want = mistakes.backward(cell, _ref_cache(cell), *_seeds(cell))[quantity]
    np.testing.assert_allclose(vector.expected, want, rtol=1e-12)  # the reference's number, shown beside the learner's
    assert not np.allclose(vector.got, want)


def _ref_cache(cell):
    v = exercises.case_inputs(cell, "vector")
    return getattr(reference, f"{cell}_step")(*exercises._inputs_forward(cell, v))[-1]


def _seeds(cell):
    v = exercises.case_inputs(cell, "vector")
    return (v["dh_new"], v["dc_new"]) if cell == "lstm" else (v["dh_new"],)


def test_a_wrong_gate_order_in_the_forward_is_named(tmp_path):
    broken = LSTM.replace("sig(a[:, :H]), sig(a[:, H:2*H])", "sig(a[:, H:2*H]), sig(a[:, :H])")
    r = exercises.check(exercises.load(_write(tmp_path, broken)))[1]
    assert (r.quantity, r.ok) == ("i", False)
    assert "reference's f" in r.hint and "i, f, g, o" in r.hint


def test_the_gru_written_with_z_on_the_candidate_is_caught_at_the_new_state(tmp_path):
    broken = GRU.replace("(1 - z) * n + z * h, {", "z * n + (1 - z) * h, {")
    r = exercises.check(exercises.load(_write(tmp_path, broken)))[1]
    assert r.quantity == "h_new" and "(1 - z) n + z h" in r.hint


def test_a_gradient_not_summed_over_the_batch_gets_the_shape_hint(tmp_path):
    broken = RNN.replace('"bias_ih": da.sum(0)', '"bias_ih": da')
    r = exercises.check(exercises.load(_write(tmp_path, broken)))[1]
    assert r.quantity == "bias_ih" and "summed over the batch" in r.hint


def test_a_backward_right_by_the_reference_but_not_by_its_own_forward_cannot_pass(tmp_path):
    # a forward that agrees with the reference only at the checked inputs is impossible to fake here, so check the
    # finite-difference comparison directly: a backward off by 1e-3 in one weight fails it
    functions = exercises.load(_write(tmp_path, RNN))
    v = exercises.case_inputs("rnn", "vector")
    out = functions["rnn_step_backward"](v["dh_new"], functions["rnn_step"](*exercises._inputs_forward("rnn", v))[1])
    assert exercises._fd_error(functions["rnn_step"], "rnn", v, out) < 1e-8
    out[2]["weight_hh"][0, 0] += 1e-3
    assert exercises._fd_error(functions["rnn_step"], "rnn", v, out) > 1e-6


def test_the_starters_load_and_say_what_is_not_written_yet():
    for cell in exercises.CELLS:
        results = exercises.check(exercises.load(ROOT / "examples" / "exercises" / f"{cell}.py"))
        assert [r.ok for r in results] == [False, False]
        assert results[0].hint == f"{cell}_step is not written yet"


def test_an_error_in_the_learners_code_is_reported_with_its_line(tmp_path):
    broken = RNN.replace("h2 = np.tanh(", "h2 = np.tanh(undefined_name + ")  # line 8 of the file
    r = exercises.check(exercises.load(_write(tmp_path, broken)))[0]
    assert "NameError" in r.hint and "line 8" in r.hint


@pytest.mark.parametrize(
    "text, message",
    [("def f(:\n", "line 1"), ("x = 1\n", "defines none of"), ("raise RuntimeError('boom')\n", "RuntimeError: boom")],
)
def test_bad_files_are_refused_in_one_line(tmp_path, capsys, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match="check: "):
        exercises.load(path)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_the_command_line_exit_status_and_json(tmp_path, capsys):
    good, bad = (
        _write(tmp_path, LSTM, "good.py"),
        _write(tmp_path, LSTM.replace("dc = dc_new + dh_new", "dc = dh_new"), "bad.py"),
    )
    assert main(["check", str(good)]) == 0
    assert "right" in capsys.readouterr().out
    assert main(["check", str(bad), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False and doc["results"][1]["mistake"] == "no_carry" and doc["results"][1]["quantity"] == "dc"
    assert main(["check", str(good), "--cell", "gru"]) == 2  # a cell the file does not write


def test_check_runs_as_a_module_command(tmp_path):
    path = _write(tmp_path, RNN)
    run = subprocess.run([sys.executable, "-m", "recurrent", "check", str(path)], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.count("right") == 2
