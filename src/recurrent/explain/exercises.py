"""Exercises that check themselves: a learner's step forward and backward against the reference.

Write any of these in one Python file (the starters are in ``examples/exercises/``), with the
signatures, shapes and names of ``cells/reference.py`` (batch first: x (N, D), h and c (N, H);
PyTorch's weights, gate blocks stacked i, f, g, o for the LSTM and r, z, n for the GRU):

    lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh)   -> (h_new, c_new, cache)
    lstm_step_backward(dh_new, dc_new, cache)    -> (dx, dh, dc, grads)
    gru_step(x, h, w_ih, w_hh, b_ih, b_hh)       -> (h_new, cache)
    gru_step_backward(dh_new, cache)             -> (dx, dh, grads)
    rnn_step(x, h, w_ih, w_hh, b_ih, b_hh)       -> (h_new, cache)        (tanh)
    rnn_step_backward(dh_new, cache)             -> (dx, dh, grads)

``grads`` is a dict with ``weight_ih``, ``weight_hh``, ``bias_ih`` and ``bias_hh``, summed over
the batch; ``cache`` is whatever your backward needs (a dict with the gates under their letters
lets the checker name a wrong gate). Then ``recurrent check FILE.py`` (or ``check(load(FILE))``)
runs each cell you wrote on a scalar case (N = D = H = 1) and a vector one (N = 2, D = 3, H = 4),
in float64 with fixed random numbers, and compares, in the order they are computed, every gate,
the new state, then dc, dh, dx and the four weight gradients with the reference (to 1e-7 relative),
and your backward with central differences of your own forward (to 1e-6). The first wrong quantity
is named with both numbers, and where a classic mistake (``mistakes``) gives exactly your number,
its hint. Checking runs your file as Python runs it: check only code you would run yourself.
"""

from __future__ import annotations

import os
import runpy
import traceback
from dataclasses import dataclass

import numpy as np

from ..cells import reference
from ..gradcheck import numerical_gradient, relative_error
from . import mistakes

CELLS = ("lstm", "gru", "rnn")
CASES = {"scalar": (1, 1, 1), "vector": (2, 3, 4)}  # N, D, H
GATES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"), "rnn": ()}
BLOCKS = {"lstm": 4, "gru": 3, "rnn": 1}
RTOL, FD_TOL = 1e-7, 1e-6


@dataclass
class Result:
    """One cell on one case: ``ok``, or the first wrong ``quantity`` with the numbers and a hint."""

    cell: str
    case: str
    ok: bool
    quantity: str = ""
    expected: object = None
    got: object = None
    hint: str = ""
    mistake: str = ""
    fd_error: float = float("nan")  # your backward against central differences of your forward

    def __str__(self) -> str:
        N, D, H = CASES[self.case]
        head = f"{self.cell}, {self.case} (N={N}, D={D}, H={H}): "
        if self.ok:
            return head + f"right (forward and backward; against finite differences {self.fd_error:.1e})"
        if self.expected is None:  # not written, raised, or returned the wrong kind of thing
            return head + f"{self.quantity}: {self.hint}"
        lines = [head + f"{self.quantity} is wrong"]
        if self.expected is not None:
            lines.append(f"  expected {_show(self.expected)}")
            lines.append(f"  got      {_show(self.got)}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


def _show(v) -> str:
    if isinstance(v, str):
        return v
    a = np.asarray(v, dtype=np.float64)
    return np.array2string(a, precision=6, floatmode="maxprec", separator=", ").replace("\n", "")


def load(path) -> dict:
    """The functions a learner's file defines (the file is run as Python runs it)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"check: expected a Python file with your step functions, got {path!r} (no such file)")
    try:
        space = runpy.run_path(path, run_name="__exercise__")
    except SyntaxError as exc:
        raise ValueError(f"check: {path} line {exc.lineno}: {exc.msg}") from None
    except Exception as exc:  # the learner's own module-level code failed
        raise ValueError(f"check: running {path} raised {type(exc).__name__}: {exc}") from None
    found = [n for c in CELLS for n in (f"{c}_step", f"{c}_step_backward") if callable(space.get(n))]
    if not found:
        raise ValueError(
            f"check: {path} defines none of lstm_step, gru_step, rnn_step (and their _backward); "
            "see examples/exercises/ for the signatures"
        )
    return {n: space[n] for n in found}


def case_inputs(cell, case, seed=0) -> dict:
    """The fixed random inputs of one case: x, h, (c,) the weights, and dh_new (and dc_new) for backward."""
    N, D, H = CASES[case]
    rng = np.random.default_rng([seed, CELLS.index(cell), N])
    k = BLOCKS[cell]
    out = {"x": rng.normal(size=(N, D)), "h": rng.normal(scale=0.5, size=(N, H))}
    if cell == "lstm":
        out["c"] = rng.normal(scale=0.5, size=(N, H))
    out["w_ih"] = rng.normal(scale=0.6, size=(k * H, D))
    out["w_hh"] = rng.normal(scale=0.6, size=(k * H, H))
    out["b_ih"] = rng.normal(scale=0.3, size=k * H)
    out["b_hh"] = rng.normal(scale=0.3, size=k * H)
    out["dh_new"] = rng.normal(size=(N, H))
    if cell == "lstm":
        out["dc_new"] = rng.normal(size=(N, H))
    return out


def check(functions, cells=None, seed=0) -> list:
    """Check every cell (of ``cells``) whose step ``functions`` (a dict, as ``load`` returns) defines, on
    both cases; a list of ``Result``."""
    results = []
    for cell in cells or CELLS:
        if f"{cell}_step" not in functions:
            continue
        for case in CASES:
            results.append(_check_one(functions, cell, case, seed))
    return results


def _inputs_forward(cell, v):
    names = ("x", "h", "c") if cell == "lstm" else ("x", "h")
    return [v[n] for n in names] + [v["w_ih"], v["w_hh"], v["b_ih"], v["b_hh"]]


def _call(fn, args, result, what):
    """fn(*args), or None with ``result`` saying what it raised (and where, in the learner's file)."""
    try:
        return fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    except NotImplementedError:
        result.quantity, result.hint = what, f"{fn.__name__} is not written yet"
    except Exception as exc:
        code = getattr(fn, "__code__", None)
        mine = [f for f in traceback.extract_tb(exc.__traceback__) if code and f.filename == code.co_filename]
        where = f" (line {mine[-1].lineno}: {mine[-1].line})" if mine else ""
        result.quantity, result.hint = what, f"{fn.__name__} raised {type(exc).__name__}: {exc}{where}"
    return None


def _check_one(functions, cell, case, seed) -> Result:
    v = case_inputs(cell, case, seed)
    result = Result(cell, case, ok=False)
    ref_step = getattr(reference, f"{cell}_step")
    ref_out = ref_step(*_inputs_forward(cell, v))
    got = _call(functions[f"{cell}_step"], _inputs_forward(cell, v), result, "the forward step")
    if got is None or not _forward_right(cell, got, ref_out, result):
        return result
    back = functions.get(f"{cell}_step_backward")
    if back is None:
        result.quantity, result.hint = "the backward step", f"write {cell}_step_backward to check it too"
        return result
    cache = got[-1]
    grads_in = [v["dh_new"], v["dc_new"]] if cell == "lstm" else [v["dh_new"]]
    out = _call(back, [*grads_in, cache], result, "the backward step")
    if out is None or not _backward_right(cell, out, ref_out[-1], v, result):
        return result
    result.fd_error = _fd_error(functions[f"{cell}_step"], cell, v, out)
    if not result.fd_error <= FD_TOL:
        result.quantity = "the backward step against finite differences of your forward"
        result.hint = f"relative error {result.fd_error:.1e} (above {FD_TOL:g})"
        return result
    result.ok = True
    return result


def _forward_right(cell, got, ref_out, result) -> bool:
    """Compare the gates (where the cache names them) and the new state(s); fill ``result`` at the first wrong."""
    n_out = 3 if cell == "lstm" else 2
    if not isinstance(got, tuple) or len(got) != n_out:
        result.quantity = f"what {cell}_step returns"
        result.hint = f"return a tuple of {n_out}: " + ("(h_new, c_new, cache)" if cell == "lstm" else "(h_new, cache)")
        return False
    ref_cache, cache = ref_out[-1], got[-1]
    pairs = [(g, ref_cache[g], cache.get(g)) for g in GATES[cell] if isinstance(cache, dict) and g in cache]
    if cell == "lstm":
        pairs.append(("c_new", ref_out[1], got[1]))
    pairs.append(("h_new", ref_out[0], got[0]))
    for name, want, have in pairs:
        if not _same(want, have):
            result.quantity, result.expected, result.got = name, want, have
            result.hint = _forward_hint(cell, name, have, ref_cache)
            return False
    return True


def _forward_hint(cell, name, have, ref_cache) -> str:
    """A hint where the learner's gate is another gate (the block order) or the wrong squashing."""
    for other in GATES[cell]:
        if other != name and _same(ref_cache[other], have):
            order = ", ".join(GATES[cell])
            return f"your {name} is the reference's {other}: the gate blocks of the weights are stacked {order}"
    if np.shape(have) != np.shape(ref_cache[name] if name in ref_cache else ref_cache["h"]):
        return f"expected shape {np.shape(ref_cache['h'])}, got {np.shape(have)}"
    if cell == "gru" and name == "h_new":
        return "PyTorch's GRU keeps the old state where z is 1: h' = (1 - z) n + z h"
    return "compare this line with the equation in cells/reference.py"


def _backward_right(cell, out, ref_cache, v, result) -> bool:
    n_out = 4 if cell == "lstm" else 3
    if not isinstance(out, tuple) or len(out) != n_out or not isinstance(out[-1], dict):
        result.quantity = f"what {cell}_step_backward returns"
        result.hint = "return " + ("(dx, dh, dc, grads)" if cell == "lstm" else "(dx, dh, grads)")
        result.hint += " with grads a dict of weight_ih, weight_hh, bias_ih, bias_hh"
        return False
    mine = {"dx": out[0], "dh": out[1], **({"dc": out[2]} if cell == "lstm" else {}), **out[-1]}
    dc_new = v.get("dc_new")
    right = mistakes.backward(cell, ref_cache, v["dh_new"], dc_new)
    for q in right:
        if q not in mine:
            result.quantity, result.hint = q, f"grads has no {q!r} (expected weight_ih, weight_hh, bias_ih, bias_hh)"
            return False
        if not _same(right[q], mine[q]):
            result.quantity, result.expected, result.got = q, right[q], mine[q]
            name = (
                mistakes.which(cell, q, mine[q], ref_cache, v["dh_new"], dc_new) if _shaped(right[q], mine[q]) else None
            )
            result.mistake = name or ""
            result.hint = mistakes.HINTS[name] if name else _shape_hint(right[q], mine[q])
            return False
    return True


def _shaped(want, have) -> bool:
    return np.shape(want) == np.shape(have)


def _shape_hint(want, have) -> str:
    if np.shape(want) != np.shape(have):
        extra = " (the weight gradients are summed over the batch)" if len(np.shape(have)) > len(np.shape(want)) else ""
        return f"expected shape {np.shape(want)}, got {np.shape(have)}{extra}"
    return "compare this quantity's line with cells/reference.py (and the chain rule through every use)"


def _same(want, have) -> bool:
    try:
        have = np.asarray(have, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return have.shape == np.shape(want) and bool(np.allclose(have, want, rtol=RTOL, atol=1e-12))


def _fd_error(step, cell, v, out) -> float:
    """Your backward against central differences of L = sum(dh_new h') (+ sum(dc_new c')) of your forward."""
    args = [a.copy() for a in _inputs_forward(cell, v)]

    def loss() -> float:
        o = step(*args)
        total = float(np.sum(v["dh_new"] * o[0]))
        return total + (float(np.sum(v["dc_new"] * o[1])) if cell == "lstm" else 0.0)

    grads = out[-1]
    analytic = [out[0], out[1]] + ([out[2]] if cell == "lstm" else [])
    analytic += [grads["weight_ih"], grads["weight_hh"], grads["bias_ih"], grads["bias_hh"]]
    numeric = [numerical_gradient(loss, a) for a in args]
    return max(relative_error(a, n) for a, n in zip(analytic, numeric))
