"""Dropout between stacked layers (PyTorch's semantics) and the train/eval switch."""

import numpy as np
import pytest

import recurrent
from conftest import CELLS, random_state
from recurrent import gradcheck


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_dropout_acts_between_layers_in_training_only(cell):
    layer = CELLS[cell](3, 64, num_layers=3, dtype=np.float64, seed=0, dropout=0.25)
    x = np.random.default_rng(0).normal(size=(8, 5, 3))
    y, _, cache = layer.forward(x)
    masks = cache["masks"]
    assert len(masks) == 2 and all(m.shape == (8, 5, 64) for m in masks)
    for m in masks:  # inverted dropout: zeros with probability p, the rest scaled by 1/(1 - p)
        assert set(np.unique(m)) == {0.0, 1 / 0.75}
        assert abs(np.mean(m == 0) - 0.25) < 0.03
    # the same as three one-layer layers with the masks between them
    inp = x
    for k in range(3):
        one = CELLS[cell](3 if k == 0 else 64, 64, dtype=np.float64)
        one.load_state_dict({n.replace(f"_l{k}", "_l0"): v for n, v in layer.params.items() if n.endswith(f"_l{k}")})
        inp = one(inp)[0] * (masks[k] if k < 2 else 1)
    np.testing.assert_allclose(y, inp, rtol=0, atol=1e-12)
    layer.eval()
    assert layer.forward(x)[2]["masks"] == []
    np.testing.assert_array_equal(layer(x)[0], CELLS[cell](3, 64, num_layers=3, dtype=np.float64, seed=0)(x)[0])
    assert layer.train() is layer and layer.training


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidir", [False, True])
def test_gradients_through_a_fixed_dropout_mask_match_central_differences(cell, bidir, backend):
    rng = np.random.default_rng(1)
    layer = CELLS[cell](2, 3, num_layers=2, bidirectional=bidir, dtype=np.float64, seed=1, dropout=0.5)
    x = rng.normal(size=(3, 4, 2))
    masks = layer.forward(x)[2]["masks"]
    result = gradcheck(layer, x, state=random_state(layer, 3, rng), masks=masks, lengths=[4, 2, 3])
    assert result.max_error <= 1e-6, str(result)


def test_fit_drops_predict_does_not_and_the_seed_repeats_the_run():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(40, 6, 2)), rng.normal(size=(40, 1))

    def run():
        model = recurrent.Sequential(
            [
                recurrent.LSTM(2, 8, num_layers=2, dtype=np.float64, seed=0, dropout=0.3),
                recurrent.LastStep(),
                recurrent.Linear(8, 1, dtype=np.float64, seed=1),
            ]
        )
        model.fit(X, Y, epochs=3, batch_size=16, seed=0, progress=False)
        return model

    a, b = run(), run()
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert a.training  # fit leaves the mode it found
    np.testing.assert_array_equal(a.predict(X), a.predict(X))  # no dropout in predict
    a.eval()
    np.testing.assert_array_equal(a.predict(X), a(X))
    a.train()
    assert not np.array_equal(a(X), a(X))  # a forward in training mode draws new masks


def test_dropout_survives_save_and_load(tmp_path):
    model = recurrent.Sequential([recurrent.GRU(2, 4, num_layers=2, seed=0, dropout=0.2), recurrent.LastStep()])
    model.save(tmp_path / "m.safetensors")
    loaded = recurrent.load(tmp_path / "m.safetensors")
    assert loaded.layers[0].dropout == 0.2
    assert "dropout=0.2" in repr(loaded)


@pytest.mark.parametrize("value,error", [(1.0, ValueError), (-0.1, ValueError), ("0.5", TypeError), (True, TypeError)])
def test_a_dropout_outside_zero_to_one_is_refused(value, error):
    with pytest.raises(error, match=r"`dropout` must be .*\[0, 1\)"):
        recurrent.LSTM(2, 3, num_layers=2, dropout=value)


def test_masks_of_the_wrong_shape_are_refused():
    layer = recurrent.LSTM(2, 3, num_layers=2, dropout=0.5, seed=0)
    with pytest.raises(ValueError, match="list of 1 dropout masks of shape"):
        layer.forward(np.zeros((2, 4, 2), np.float32), masks=[np.ones((2, 3, 3))])


def test_a_torch_module_brings_its_dropout_and_mode():
    torch = pytest.importorskip("torch", reason="torch not installed (pip install torch==2.13.0)")
    m = torch.nn.GRU(3, 4, num_layers=2, dropout=0.4, batch_first=True).double().eval()
    layer = recurrent.interop.from_torch(m)
    assert layer.dropout == 0.4 and not layer.training
    x = np.random.default_rng(3).normal(size=(2, 5, 3))
    np.testing.assert_allclose(layer(x)[0], m(torch.tensor(x))[0].detach().numpy(), rtol=0, atol=1e-12)
