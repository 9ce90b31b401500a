"""ONNX's recurrent operators in full: the onnx package's own node test cases, and every variant
written out and read back, checked against onnxruntime."""

import importlib
import importlib.util

import numpy as np
import pytest

import recurrent
from conftest import CELLS, VARIANTS

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("onnx") is None or importlib.util.find_spec("onnxruntime") is None,
    reason="onnx/onnxruntime not installed (pip install '.[onnx]')",
)


def _conformance_cases():
    """The LSTM, GRU and RNN cases the installed onnx package generates for its backend tests."""
    if importlib.util.find_spec("onnx") is None:
        return []
    import warnings

    import onnx.backend.test.case.node as node_cases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        node_cases._TargetOpType = None  # the generators run when their modules are imported
        start = len(node_cases._NodeTestCases)
        for name in ("lstm", "gru", "rnn"):
            importlib.import_module(f"onnx.backend.test.case.node.{name}")
        cases = node_cases._NodeTestCases[start:] or node_cases.collect_testcases()
    prefixes = ("test_lstm_", "test_gru_", "test_simple_rnn_", "test_rnn_")
    return sorted({c.name: c for c in cases if c.name.startswith(prefixes)}.values(), key=lambda c: c.name)


CONFORMANCE = _conformance_cases()


def test_every_generated_case_is_collected():
    assert len(CONFORMANCE) >= 18, [c.name for c in CONFORMANCE]


@pytest.mark.parametrize("case", CONFORMANCE, ids=[c.name for c in CONFORMANCE])
def test_onnx_node_test_cases_import_and_reproduce(case):
    from recurrent.interop import from_onnx
    from recurrent.interop.onnx import run_like_onnx
    from recurrent.interop.onnx_import import _attrs

    node = case.model.graph.node[0]
    inputs, expected = case.data_sets[0]
    given = dict(zip([i.name for i in case.model.graph.input], inputs))
    slots = list(node.input) + [""] * (8 - len(node.input))
    weights = {slots[k]: given[slots[k]] for k in (1, 2, 3, 7) if slots[k]}
    layer = from_onnx(case.model, dtype=np.float64, values=weights)
    runtime = [given[slots[k]] if slots[k] else None for k in (4, 5, 6)]
    got = run_like_onnx(layer, given[slots[0]], *runtime, layout=_attrs(node).get("layout", 0))
    want = iter(expected)
    for k, name in enumerate(node.output):
        if name:
            np.testing.assert_allclose(got[k], next(want), rtol=0, atol=1e-5, err_msg=f"{case.name}: {name}")


EXPORTED = VARIANTS + [("lstm", dict(reverse=True)), ("gru", dict(reverse=True, reset_after=False))]
EXPORTED += [("rnn", dict(nonlinearity="relu"))]
EXPORTS = [(c, o, b) for c, o in EXPORTED for b in (False, True) if not (b and o.get("reverse"))]


@pytest.mark.parametrize(
    "cell,options,bidir", EXPORTS, ids=[f"{c}-{'-'.join(o)}-{'bi' if b else 'one'}" for c, o, b in EXPORTS]
)
def test_variants_written_out_agree_with_onnxruntime_and_read_back(cell, options, bidir):
    """Two stacked layers, sequences of different lengths, a given initial state."""
    import onnxruntime as ort

    from recurrent.interop import from_onnx, to_onnx

    rng = np.random.default_rng(len(options))
    layer = CELLS[cell](3, 4, num_layers=2, bidirectional=bidir, seed=1, **options)
    x = rng.normal(size=(5, 6, 3)).astype(np.float32)
    lengths = np.array([6, 2, 4, 1, 5], np.int32)
    S = 2 * layer.num_directions
    h0, c0 = rng.normal(size=(2, S, 5, 4)).astype(np.float32)
    proto = to_onnx(layer, None, lengths=True, initial_state=True)
    feed = {"x": x, "lengths": lengths, "h0": h0, **({"c0": c0} if cell == "lstm" else {})}
    y_ort, h_ort = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feed)[
        :2
    ]
    state = recurrent.LSTMState(h0, c0) if cell == "lstm" else h0
    y, s, _ = layer.forward(x, state, lengths=lengths)
    np.testing.assert_allclose(y_ort, y, rtol=0, atol=1e-5)
    np.testing.assert_allclose(h_ort, s.h if cell == "lstm" else s, rtol=0, atol=1e-5)
    back = from_onnx(proto)
    # the same options, up to the float32 that ONNX stores alpha, beta and clip in
    got, want = back.options, layer.options
    assert [a[0] for a in got.acts] == [a[0] for a in want.acts] and back.reverse == layer.reverse
    assert (got.peepholes, got.input_forget, got.reset_after) == (want.peepholes, want.input_forget, want.reset_after)
    assert (got.clip is None) == (want.clip is None) and np.isclose(got.clip or 0, want.clip or 0)
    np.testing.assert_allclose(back.forward(x, state, lengths=lengths)[0], y, rtol=0, atol=1e-6)


def test_a_classifier_with_lengths_exports_its_last_real_steps():
    import onnxruntime as ort

    from recurrent.interop import to_onnx

    model = recurrent.Sequential(
        [recurrent.GRU(2, 4, bidirectional=True, seed=0), recurrent.LastStep(), recurrent.Linear(8, 3, seed=1)]
    )
    x = np.random.default_rng(3).normal(size=(4, 5, 2)).astype(np.float32)
    lengths = np.array([5, 1, 3, 2], np.int32)
    proto = to_onnx(model, None, lengths=True)
    y = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"x": x, "lengths": lengths}
    )[0]
    np.testing.assert_allclose(y, model.predict(x, lengths=lengths), rtol=0, atol=1e-5)
