"""Batches of different lengths (forward(..., lengths=) or mask=): each sequence stops at its own length."""

import itertools

import numpy as np
import pytest

import recurrent
from conftest import CELLS, random_state
from recurrent import gradcheck

CONFIGS = list(itertools.product(["lstm", "gru", "rnn"], [1, 2], [False, True]))


def _layer(cell, layers=1, bidir=False, D=3, H=4, seed=0):
    return CELLS[cell](D, H, num_layers=layers, bidirectional=bidir, dtype=np.float64, seed=seed)


def _h(state):
    return state.h if isinstance(state, recurrent.LSTMState) else state


@pytest.mark.parametrize("cell,layers,bidir", CONFIGS)
def test_each_sequence_runs_as_if_alone(cell, layers, bidir, backend, stretches):
    """Outputs up to each length, and the final state, equal a run of that sequence cut to its length;
    outputs past it are zero; whatever is in the padding changes nothing."""
    rng = np.random.default_rng(CONFIGS.index((cell, layers, bidir)))
    layer = _layer(cell, layers, bidir)
    lengths = np.array([6, 2, 4, 1, 6, 4])
    x = rng.normal(size=(6, 6, 3))
    state = random_state(layer, 6, rng)
    y, s, _ = layer.forward(x, state, lengths=lengths)
    x2 = x.copy()
    x2[np.arange(6)[None, :] >= lengths[:, None]] = 1e3  # different padding
    y2, s2, _ = layer.forward(x2, state, lengths=lengths)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(_h(s), _h(s2))
    for n, L in enumerate(lengths):
        one = (
            recurrent.LSTMState(state.h[:, n : n + 1], state.c[:, n : n + 1]) if cell == "lstm" else state[:, n : n + 1]
        )
        y1, s1, _ = layer.forward(x[n : n + 1, :L], one)
        np.testing.assert_allclose(y[n, :L], y1[0], rtol=0, atol=1e-12)
        assert np.all(y[n, L:] == 0)
        np.testing.assert_allclose(_h(s)[:, n], _h(s1)[:, 0], rtol=0, atol=1e-12)
        if cell == "lstm":
            np.testing.assert_allclose(s.c[:, n], s1.c[:, 0], rtol=0, atol=1e-12)


@pytest.fixture(params=["every-length", "chosen", "one-stretch"])
def stretches(request, monkeypatch):
    """Cut time at every distinct length, where the cost estimate says, or never: rows that end
    inside a stretch (their final state read from the middle, its gradient sent there) and rows
    that end at a cut must give the same numbers."""
    from recurrent.layers import lengths

    cost = {"every-length": 0, "chosen": lengths.CALL_COST, "one-stretch": 1e12}[request.param]
    monkeypatch.setattr(lengths, "CALL_COST", cost)
    return request.param


@pytest.mark.parametrize("cell,layers,bidir", CONFIGS)
def test_backward_with_lengths_matches_central_differences(cell, layers, bidir, backend, stretches):
    seed = CONFIGS.index((cell, layers, bidir))
    rng = np.random.default_rng(100 + seed)
    layer = _layer(cell, layers, bidir, D=2, H=3, seed=seed)
    x = rng.normal(size=(4, 5, 2))
    result = gradcheck(layer, x, state=random_state(layer, 4, rng), lengths=[5, 2, 3, 2], seed=seed)
    assert result.max_error <= 1e-6, str(result)


def test_the_plan_cuts_where_a_call_costs_less_than_the_padding_it_saves():
    from recurrent.layers.lengths import plan

    lengths = np.array([100] * 8 + [10] * 8)
    assert plan(lengths, step_flops=1e9).stretches == ((0, 10, 16), (10, 100, 8))  # big steps: cut
    assert plan(lengths, step_flops=1.0).stretches == ((0, 100, 16),)  # tiny steps: one call
    assert plan(np.array([3, 1, 2]), step_flops=1e12).stretches == ((0, 1, 3), (1, 2, 2), (2, 3, 1))


def test_nothing_flows_through_the_padding(backend):
    layer = _layer("lstm", 2, True)
    rng = np.random.default_rng(3)
    lengths = np.array([5, 2, 3])
    x = rng.normal(size=(3, 5, 3))
    y, s, cache = layer.forward(x, lengths=lengths)
    dy = rng.normal(size=y.shape)
    dx, _, grads = layer.backward(dy, cache)
    pad = np.arange(5)[None, :] >= lengths[:, None]
    assert np.all(dx[pad] == 0)
    dy2 = dy.copy()
    dy2[pad] = 7.0  # gradients on the (constant zero) padded outputs are ignored
    _, _, grads2 = layer.backward(dy2, cache)
    for k in grads:
        np.testing.assert_array_equal(grads[k], grads2[k])


def test_a_mask_is_read_as_lengths_and_whole_lengths_change_nothing(backend):
    layer = _layer("gru", 1, True)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 4, 3))
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], dtype=bool)
    y_m, s_m, _ = layer.forward(x, mask=mask)
    y_l, s_l, _ = layer.forward(x, lengths=[4, 2, 1])
    np.testing.assert_array_equal(y_m, y_l)
    np.testing.assert_array_equal(s_m, s_l)
    y_full, s_full, _ = layer.forward(x, lengths=[4, 4, 4])
    y, s, _ = layer.forward(x)
    np.testing.assert_array_equal(y_full, y)
    np.testing.assert_array_equal(s_full, s)


def test_float32_lengths_run_on_both_paths(backend):
    layer = recurrent.LSTM(3, 8, num_layers=2, bidirectional=True, seed=0)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5, 7, 3)).astype(np.float32)
    y, s, cache = layer.forward(x, lengths=[7, 1, 3, 5, 5])
    ref = layer.astype(np.float64).forward(x.astype(np.float64), lengths=[7, 1, 3, 5, 5])[0]
    assert y.dtype == np.float32 and np.abs(y - ref).max() < 1e-5
    dx, _, grads = layer.backward(np.ones_like(y), cache)
    assert dx.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(lengths=[3, 0]), ValueError, r"lengths must be in 1\.\.3 .*lengths\[1\] = 0"),
        (dict(lengths=[3, 4]), ValueError, r"lengths must be in 1\.\.3"),
        (dict(lengths=[3]), ValueError, r"expected lengths of shape \(2,\)"),
        (dict(lengths=[2.5, 1]), ValueError, r"whole numbers in 1\.\.3"),
        (dict(lengths=["3", "1"]), TypeError, "whole numbers"),
        (dict(lengths=[True, True]), TypeError, "whole numbers"),
        (dict(mask=[[1, 0, 1], [1, 1, 1]]), ValueError, r"right-padded.*row 0 is not: \[1, 0, 1\]"),
        (dict(mask=np.ones((2, 4), bool)), ValueError, r"expected mask of shape \(2, 3\)"),
        (dict(mask=[[0.5, 1, 1], [1, 1, 1]]), ValueError, "booleans"),
        (dict(mask=[["a", "b", "c"], ["a", "b", "c"]]), TypeError, "booleans"),
        (dict(mask=[[0, 0, 0], [1, 1, 1]]), ValueError, r"lengths\[0\] = 0"),
        (dict(lengths=[3, 1], mask=np.ones((2, 3), bool)), ValueError, "not both"),
        (dict(lengths=[3, 1], segment=1), ValueError, "cannot be used together"),
    ],
)
def test_bad_lengths_and_masks_are_refused(kwargs, error, match):
    layer = recurrent.LSTM(2, 3, seed=0)
    with pytest.raises(error, match=match):
        layer.forward(np.zeros((2, 3, 2), np.float32), **kwargs)


def test_per_step_records_refuse_lengths():
    layer = _layer("rnn")
    y, _, cache = layer.forward(np.ones((2, 3, 3)), lengths=[3, 1])
    with pytest.raises(ValueError, match="without `lengths`"):
        layer.backward(np.ones_like(y), cache, record={})


def _model(cell="lstm", bidir=False, last=True, seed=0):
    layers = [CELLS[cell](2, 4, bidirectional=bidir, dtype=np.float64, seed=seed)]
    width = 8 if bidir else 4
    layers += [recurrent.LastStep()] if last else []
    layers += [recurrent.Linear(width, 3, dtype=np.float64, seed=seed + 1)]
    return recurrent.Sequential(layers)


def test_a_sequence_classifier_reads_each_sequence_to_its_own_end():
    model = _model("gru", bidir=True)
    rng = np.random.default_rng(7)
    x, lengths = rng.normal(size=(4, 6, 2)), np.array([6, 3, 1, 4])
    y = model.predict(x, lengths=lengths, batch_size=3)  # batches split the lengths too
    for n, L in enumerate(lengths):
        np.testing.assert_allclose(y[n], model.predict(x[n : n + 1, :L])[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("last", [True, False], ids=["many-to-one", "per-step"])
def test_model_gradients_with_lengths_match_central_differences(last):
    from recurrent import numerical_gradient, relative_error

    model = _model("lstm", bidir=True, last=last, seed=3)
    rng = np.random.default_rng(8)
    x, lengths = rng.normal(size=(3, 5, 2)), np.array([2, 5, 3])
    target = rng.normal(size=(3, 3) if last else (3, 5, 3))
    from recurrent.train import batch_loss

    value, dpred, weight, cache = batch_loss(model, recurrent.losses.mse, x, target, lengths)
    assert weight == (3 if last else 10)
    _, grads = model.backward(dpred, cache)
    for name, p in model.params.items():
        numeric = numerical_gradient(lambda: batch_loss(model, recurrent.losses.mse, x, target, lengths)[0], p)
        assert relative_error(grads[name], numeric) <= 1e-6, name


def test_per_step_losses_ignore_padded_targets():
    model = _model("rnn", last=False)
    rng = np.random.default_rng(9)
    x, lengths = rng.normal(size=(3, 4, 2)), np.array([4, 1, 2])
    Y = rng.normal(size=(3, 4, 3))
    Y2 = Y.copy()
    Y2[np.arange(4)[None, :] >= lengths[:, None]] = 1e6
    assert model.evaluate(x, Y, lengths=lengths) == model.evaluate(x, Y2, lengths=lengths)
    pred = model.predict(x, lengths=lengths)
    real = np.arange(4)[None, :] < lengths[:, None]
    np.testing.assert_allclose(model.evaluate(x, Y, lengths=lengths), np.mean((pred[real] - Y[real]) ** 2), rtol=1e-12)
    labels = rng.integers(0, 3, size=(3, 4))
    value, grad, count = recurrent.losses.masked(recurrent.losses.cross_entropy, pred, labels, lengths)
    assert count == 7 and np.all(grad[~real] == 0)
    np.testing.assert_allclose(value, recurrent.losses.cross_entropy(pred[real], labels[real])[0], rtol=1e-12)


def test_fit_with_lengths_learns_and_never_reads_the_padding():
    """A sequence's class is the sign of its sum over its real steps; padding holds noise that would
    flip it. Two fits whose padding differs end with the same weights, bit for bit."""
    rng = np.random.default_rng(10)
    N, T = 96, 8
    lengths = rng.integers(2, T + 1, size=N)
    x = rng.normal(size=(N, T, 1))
    real = np.arange(T)[None, :] < lengths[:, None]
    labels = (np.where(real, x[..., 0], 0).sum(axis=1) > 0).astype(int)
    noisy = x.copy()
    noisy[~real] = rng.normal(size=(~real).sum(), scale=10)[:, None]

    def trained(data):
        model = recurrent.Sequential(
            [
                recurrent.GRU(1, 8, dtype=np.float64, seed=0),
                recurrent.LastStep(),
                recurrent.Linear(8, 2, dtype=np.float64, seed=1),
            ]
        )
        hist = model.fit(
            data,
            labels,
            loss="cross_entropy",
            epochs=30,
            batch_size=32,
            seed=0,
            progress=False,
            mask=real,
            optimizer=recurrent.optim.Adam(lr=3e-2),
            validation_split=0.25,
        )
        return model, hist

    a, hist = trained(x)
    b, _ = trained(noisy)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert hist.loss[-1] < 0.5 * hist.loss[0]
    accuracy = np.mean(a.predict(x, lengths=lengths).argmax(axis=1) == labels)
    assert accuracy > 0.85


def test_sequential_refuses_bad_lengths_and_patches():
    model = _model()
    with pytest.raises(ValueError, match=r"Sequential: lengths must be in 1\.\.3"):
        model.predict(np.zeros((2, 3, 2)), lengths=[4, 1])
    with pytest.raises(ValueError, match="not both"):
        model.predict(np.zeros((2, 3, 2)), lengths=[3, 1], mask=np.ones((2, 3), bool))
    patched = recurrent.Sequential([recurrent.Patches(2), recurrent.LSTM(4, 3, seed=0)])
    with pytest.raises(ValueError, match="Patches cannot read"):
        patched.predict(np.zeros((2, 4, 2), np.float32), lengths=[4, 2])
    with pytest.raises(ValueError, match=r"LastStep: lengths must be in 1\.\.3"):
        recurrent.LastStep().forward(np.zeros((2, 3, 1)), lengths=[0, 3])


def test_trace_of_a_padded_batch_follows_the_sample_over_its_own_steps():
    layer = _layer("lstm", D=2, H=3)
    rng = np.random.default_rng(11)
    x, lengths = rng.normal(size=(3, 5, 2)), np.array([5, 2, 4])
    state = random_state(layer, 3, rng)
    tr = recurrent.trace(layer, x, state=state, lengths=lengths, sample=2, dy=np.ones((1, 4, 3)))
    alone = recurrent.trace(
        layer, x[2:3, :4], state=recurrent.LSTMState(state.h[:, 2:3], state.c[:, 2:3]), dy=np.ones((1, 4, 3))
    )
    assert len(tr.main.values["h"]) == 4
    for key in tr.main.values:
        np.testing.assert_array_equal(tr.main.values[key], alone.main.values[key])
    with pytest.raises(ValueError, match="sample must be in 0..2"):
        recurrent.trace(layer, x, lengths=lengths, sample=3)
