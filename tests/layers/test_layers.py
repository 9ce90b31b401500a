"""Layer behaviour: the naive oracle, step-vs-sequence, caches, parameters, dtypes, bad input."""

import math

import numpy as np
import pytest

import oracle
import recurrent
from conftest import CELLS, random_state
from recurrent import GRU, LSTM, RNN, Linear, LSTMState


def _gate_rows(w, G, H):
    return [w[k * H : (k + 1) * H].tolist() for k in range(G)]


def test_lstm_matches_the_naive_per_unit_oracle(rng):
    N, T, D, H = 2, 4, 3, 2
    layer = LSTM(D, H, dtype=np.float64, seed=0)
    x, state = rng.normal(size=(N, T, D)), random_state(layer, N, rng)
    y, s, _ = layer.forward(x, state)
    p = layer.params
    W = dict(zip("ifgo", _gate_rows(p["weight_ih_l0"], 4, H)))
    U = dict(zip("ifgo", _gate_rows(p["weight_hh_l0"], 4, H)))
    b = dict(zip("ifgo", _gate_rows(p["bias_ih_l0"] + p["bias_hh_l0"], 4, H)))
    for n in range(N):
        outs, h, c = oracle.lstm_sequence(x[n].tolist(), state.h[0, n].tolist(), state.c[0, n].tolist(), W, U, b)
        np.testing.assert_allclose(y[n], outs, rtol=0, atol=1e-13)
        np.testing.assert_allclose(s.c[0, n], c, rtol=0, atol=1e-13)


def test_gru_matches_the_naive_per_unit_oracle(rng):
    N, T, D, H = 2, 4, 3, 2
    layer = GRU(D, H, dtype=np.float64, seed=0)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(1, N, H))
    y, _, _ = layer.forward(x, h0)
    p = layer.params
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    parts = [dict(zip("rzn", _gate_rows(p[k], 3, H))) for k in names]
    for n in range(N):
        outs, _ = oracle.gru_sequence(x[n].tolist(), h0[0, n].tolist(), *parts)
        np.testing.assert_allclose(y[n], outs, rtol=0, atol=1e-13)


@pytest.mark.parametrize("nonlinearity,act", [("tanh", math.tanh), ("relu", lambda a: max(a, 0.0))])
def test_rnn_matches_the_naive_per_unit_oracle(rng, nonlinearity, act):
    layer = RNN(3, 4, nonlinearity=nonlinearity, dtype=np.float64, seed=0)
    x, h0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(1, 2, 4))
    y, _, _ = layer.forward(x, h0)
    p = layer.params
    for n in range(2):
        outs, _ = oracle.rnn_sequence(
            x[n].tolist(),
            h0[0, n].tolist(),
            p["weight_ih_l0"].tolist(),
            p["weight_hh_l0"].tolist(),
            (p["bias_ih_l0"] + p["bias_hh_l0"]).tolist(),
            act,
        )
        np.testing.assert_allclose(y[n], outs, rtol=0, atol=1e-13)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_sequence_equals_stepping_with_carried_state(cell, rng):
    N, T, D, H = 3, 6, 2, 4
    layer = CELLS[cell](D, H, num_layers=2, dtype=np.float64, seed=1)
    x, state0 = rng.normal(size=(N, T, D)), random_state(layer, N, rng)
    y, s_T, cache = layer.forward(x, state0)
    dy, ds_T = rng.normal(size=y.shape), random_state(layer, N, rng)
    dx, ds0, grads = layer.backward(dy, cache, ds_T)

    state, caches, ys = state0, [], []
    for t in range(T):
        y_t, state, c = layer.forward(x[:, t : t + 1], state)
        ys.append(y_t)
        caches.append(c)
    np.testing.assert_allclose(np.concatenate(ys, axis=1), y, rtol=0, atol=1e-14)
    for a, b in zip(np.atleast_1d(state), np.atleast_1d(s_T)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)

    ds, dxs, total = ds_T, [], {k: 0.0 for k in grads}
    for t in reversed(range(T)):
        dx_t, ds, g = layer.backward(dy[:, t : t + 1], caches[t], ds)
        dxs.insert(0, dx_t)
        total = {k: total[k] + g[k] for k in g}
    np.testing.assert_allclose(np.concatenate(dxs, axis=1), dx, rtol=0, atol=1e-12)
    for a, b in zip(np.atleast_1d(ds), np.atleast_1d(ds0)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    for k in grads:
        np.testing.assert_allclose(total[k], grads[k], rtol=0, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_backward_on_an_earlier_cache_is_unaffected_by_later_calls(cell, rng):
    layer = CELLS[cell](2, 3, bidirectional=True, dtype=np.float64, seed=2)
    x1, x2 = rng.normal(size=(2, 4, 2)), rng.normal(size=(5, 3, 2))
    y1, _, cache1 = layer.forward(x1)
    dy = rng.normal(size=y1.shape)
    expected = layer.backward(dy, cache1)
    _, _, cache2 = layer.forward(x2)
    layer.backward(rng.normal(size=(5, 3, 6)), cache2)
    got = layer.backward(dy, cache1)
    np.testing.assert_array_equal(got[0], expected[0])
    for k in expected[2]:
        np.testing.assert_array_equal(got[2][k], expected[2][k])


@pytest.mark.parametrize("cell,G", [("lstm", 4), ("gru", 3), ("rnn", 1)])
def test_parameters_have_torch_names_shapes_and_init(cell, G):
    layer = CELLS[cell](3, 5, num_layers=2, bidirectional=True, seed=0)
    names = []
    for k in range(2):
        for sfx in ("", "_reverse"):
            names += [f"weight_ih_l{k}{sfx}", f"weight_hh_l{k}{sfx}", f"bias_ih_l{k}{sfx}", f"bias_hh_l{k}{sfx}"]
    assert list(layer.params) == names
    assert layer.params["weight_ih_l0"].shape == (G * 5, 3)
    assert layer.params["weight_ih_l1_reverse"].shape == (G * 5, 10)
    assert layer.params["weight_hh_l1"].shape == (G * 5, 5)
    assert layer.params["bias_hh_l0"].shape == (G * 5,)
    allv = np.concatenate([v.ravel() for v in layer.params.values()])
    bound = 1 / math.sqrt(5)
    assert allv.dtype == np.float32 and np.all(np.abs(allv) <= bound)
    assert allv.min() < -0.8 * bound and allv.max() > 0.8 * bound  # spans the range
    same = CELLS[cell](3, 5, num_layers=2, bidirectional=True, seed=0)
    other = CELLS[cell](3, 5, num_layers=2, bidirectional=True, seed=1)
    assert all(np.array_equal(layer.params[k], same.params[k]) for k in names)
    assert not np.array_equal(layer.params["weight_ih_l0"], other.params["weight_ih_l0"])


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_float32_agrees_with_float64(cell, rng):
    l64 = CELLS[cell](3, 4, num_layers=2, dtype=np.float64, seed=0)
    l32 = l64.astype(np.float32)
    x = rng.normal(size=(2, 5, 3))
    y64, _, c64 = l64.forward(x)
    y32, s32, c32 = l32.forward(x)
    assert y32.dtype == np.float32 and np.asarray(s32[0] if cell == "lstm" else s32).dtype == np.float32
    np.testing.assert_allclose(y32, y64, atol=1e-5)
    dy = rng.normal(size=y64.shape)
    g64, g32 = l64.backward(dy, c64)[2], l32.backward(dy, c32)[2]
    for k in g64:
        assert g32[k].dtype == np.float32
        np.testing.assert_allclose(g32[k], g64[k], atol=1e-4)


def test_call_returns_output_and_state_and_accepts_lists():
    layer = LSTM(1, 2, seed=0)
    y, state = layer([[[1.0], [2.0], [3.0]]])
    assert y.shape == (1, 3, 2) and isinstance(state, LSTMState)
    assert state.h.shape == state.c.shape == (1, 1, 2)
    np.testing.assert_array_equal(state.h[0], y[:, -1])


def test_bidirectional_output_halves(rng):
    """The forward half of y ends at the last step, the reverse half at the first."""
    layer = GRU(2, 3, bidirectional=True, dtype=np.float64, seed=0)
    x = rng.normal(size=(2, 5, 2))
    y, h, _ = layer.forward(x)
    np.testing.assert_array_equal(h[0], y[:, -1, :3])
    np.testing.assert_array_equal(h[1], y[:, 0, 3:])
    fwd = GRU(2, 3, dtype=np.float64).load_state_dict(
        {k.replace("_reverse", ""): v for k, v in layer.params.items() if k.endswith("_reverse")}
    )
    y_rev, _, _ = fwd.forward(x[:, ::-1])
    np.testing.assert_allclose(y[:, :, 3:], y_rev[:, ::-1], rtol=0, atol=1e-15)


def test_linear_on_vectors_and_sequences(rng):
    lin = Linear(3, 2, dtype=np.float64, seed=0)
    x = rng.normal(size=(4, 5, 3))
    y3 = lin(x)
    assert y3.shape == (4, 5, 2)
    np.testing.assert_allclose(y3[:, -1], lin(x[:, -1]), rtol=0, atol=1e-15)
    np.testing.assert_allclose(y3, x @ lin.params["weight"].T + lin.params["bias"], rtol=0, atol=1e-15)
    assert list(lin.params) == ["weight", "bias"] and lin.params["weight"].shape == (2, 3)


# ---- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x,message",
    [
        (np.zeros((4, 7, 2)), r"LSTM: expected x of shape \(N, T, 3\), got \(4, 7, 2\)"),
        (np.zeros((7, 3)), r"expected x of shape \(N, T, 3\), got \(7, 3\) \(one sequence\? pass x\[None\]\)"),
        (np.zeros((0, 7, 3)), r"at least one sequence and one step, got \(0, 7, 3\)"),
        (np.full((1, 2, 3), np.nan), r"`x` must be finite, got nan at index \(0, 0, 0\)"),
    ],
)
def test_bad_x_is_refused_with_what_was_expected(x, message):
    with pytest.raises(ValueError, match=message):
        LSTM(3, 4).forward(x)


def test_bad_x_types():
    with pytest.raises(TypeError, match="`x` must be an array of numbers"):
        LSTM(3, 4).forward([["a", "b", "c"]])
    with pytest.raises(TypeError, match="`x` must be an array of numbers"):
        RNN(1, 1).forward([[[1.0], [2.0, 3.0]]])


def test_bad_states_are_refused():
    x = np.zeros((2, 3, 3))
    with pytest.raises(ValueError, match=r"expected state.h of shape \(2, 2, 4\) \(L\*dirs, N, H\), got \(1, 2, 4\)"):
        LSTM(3, 4, num_layers=2).forward(x, LSTMState(np.zeros((1, 2, 4)), np.zeros((2, 2, 4))))
    with pytest.raises(TypeError, match=r"expected state as LSTMState\(h, c\), got ndarray"):
        LSTM(3, 4).forward(x, np.zeros((1, 2, 4)))
    with pytest.raises(TypeError, match="expected state as one array"):
        GRU(3, 4).forward(x, (np.zeros((1, 2, 4)), np.zeros((1, 2, 4))))
    with pytest.raises(ValueError, match=r"expected state of shape \(1, 2, 4\)"):
        RNN(3, 4).forward(x, np.zeros((1, 3, 4)))
    with pytest.raises(ValueError, match="must be finite"):
        RNN(3, 4).forward(x, np.full((1, 2, 4), np.inf))


def test_bad_backward_arguments():
    layer = GRU(3, 4)
    y, _, cache = layer.forward(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"GRU: expected dy of shape \(2, 3, 4\), got \(2, 3, 5\)"):
        layer.backward(np.zeros((2, 3, 5)), cache)
    with pytest.raises(ValueError, match="`cache` must come from this layer's forward"):
        layer.backward(y, LSTM(3, 4).forward(np.zeros((2, 3, 3)))[2])
    with pytest.raises(ValueError, match=r"expected dstate of shape \(1, 2, 4\)"):
        layer.backward(y, cache, np.zeros((1, 1, 4)))


@pytest.mark.parametrize(
    "kwargs,exc,message",
    [
        ({"hidden_size": 0}, ValueError, "`hidden_size` must be positive, got 0"),
        ({"input_size": -2}, ValueError, "`input_size` must be positive, got -2"),
        ({"num_layers": 1.5}, TypeError, "`num_layers` must be an int, got float 1.5"),
        ({"hidden_size": True}, TypeError, "`hidden_size` must be an int, got bool"),
        ({"dtype": np.int32}, TypeError, "`dtype` must be float32 or float64, got int32"),
        ({"bidirectional": "yes"}, TypeError, "`bidirectional` must be True or False"),
    ],
)
def test_bad_constructor_arguments(kwargs, exc, message):
    args = {"input_size": 3, "hidden_size": 4, **kwargs}
    with pytest.raises(exc, match=message):
        LSTM(**args)


def test_unknown_nonlinearity():
    with pytest.raises(ValueError, match="`nonlinearity` must be 'tanh' or 'relu', got 'sigmoid'"):
        RNN(2, 3, nonlinearity="sigmoid")


def test_load_state_dict_names_the_bad_key_and_changes_nothing():
    layer = LSTM(3, 4, seed=0)
    before = layer.state_dict()
    sd = layer.state_dict()
    del sd["weight_hh_l0"]
    with pytest.raises(ValueError, match=r"missing key 'weight_hh_l0' \(expected shape \(16, 4\)\)"):
        layer.load_state_dict(sd)
    with pytest.raises(ValueError, match="unexpected key 'weight_ih_l1'"):
        layer.load_state_dict({**before, "weight_ih_l1": np.zeros((16, 4))})
    bad = {**before, "bias_ih_l0": np.ones(12), "weight_ih_l0": np.ones((16, 3))}
    with pytest.raises(ValueError, match=r"'bias_ih_l0' expected shape \(16,\), got \(12,\)"):
        layer.load_state_dict(bad)
    for k, v in before.items():
        np.testing.assert_array_equal(layer.params[k], v)
    with pytest.raises(TypeError, match="expected a dict of arrays"):
        layer.load_state_dict([1, 2])


def test_state_dict_is_a_copy():
    layer = RNN(2, 2, seed=0)
    sd = layer.state_dict()
    sd["weight_ih_l0"][:] = 99
    assert not np.any(layer.params["weight_ih_l0"] == 99)
    assert layer.num_parameters() == 4 + 4 + 2 + 2  # W_ih (2, 2), W_hh (2, 2), two biases (2,)


def test_repr():
    assert (
        repr(LSTM(3, 5, num_layers=2, bidirectional=True))
        == "LSTM(3, 5, num_layers=2, bidirectional=True, dtype=float32)"
    )
    assert repr(RNN(1, 1, nonlinearity="relu")) == "RNN(1, 1, dtype=float32, nonlinearity='relu')"
    assert recurrent.__version__


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("N", [1, 3])
def test_forward_and_backward_leave_their_inputs_alone(cell, N, rng):
    """A (H, 1) transpose counts as contiguous: a backward that updated its state
    gradient in place once wrote into the caller's array when N = 1."""
    layer = CELLS[cell](2, 3, num_layers=2, bidirectional=True, dtype=np.float64, seed=0)
    x, state = rng.normal(size=(N, 4, 2)), random_state(layer, N, rng)
    parts = lambda s: list(s) if isinstance(s, tuple) else [s]  # LSTMState is a tuple
    copies = [np.array(a) for a in (x, *parts(state))]
    y, _, cache = layer.forward(x, state)
    dy, dstate = rng.normal(size=y.shape), random_state(layer, N, rng)
    before = [np.array(a) for a in (dy, *parts(dstate))]
    layer.backward(dy, cache, dstate)
    for a, b in zip((x, *parts(state)), copies):
        np.testing.assert_array_equal(a, b)
    for a, b in zip((dy, *parts(dstate)), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("segment", [1, 3, 5])
def test_segmented_forward_gives_the_same_gradients_with_less_memory(cell, segment, rng):
    layer = CELLS[cell](3, 4, num_layers=2, bidirectional=True, dtype=np.float64, seed=0)
    x, state = rng.normal(size=(2, 11, 3)), random_state(layer, 2, rng)
    y, s, full = layer.forward(x, state)
    y2, s2, seg = layer.forward(x, state, segment=segment)
    np.testing.assert_array_equal(y, y2)
    dy, ds = rng.normal(size=y.shape), random_state(layer, 2, rng)
    a, b = layer.backward(dy, full, ds), layer.backward(dy, seg, ds)
    np.testing.assert_allclose(b[0], a[0], rtol=0, atol=1e-13)
    for u, v in zip(np.atleast_1d(b[1]), np.atleast_1d(a[1])):
        np.testing.assert_allclose(u, v, rtol=0, atol=1e-13)
    for k in a[2]:
        np.testing.assert_allclose(b[2][k], a[2][k], rtol=0, atol=1e-13, err_msg=k)


def test_segmented_cache_is_smaller():
    import tracemalloc

    layer = LSTM(8, 64, seed=0)
    x = np.random.default_rng(0).standard_normal((16, 400, 8)).astype(np.float32)
    peaks = {}
    for seg in (None, 20):
        tracemalloc.start()
        _, _, cache = layer.forward(x, segment=seg)
        layer.backward(np.ones((16, 400, 64), np.float32), cache)
        peaks[seg] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del cache
    assert peaks[20] < 0.5 * peaks[None]


def test_patches_group_consecutive_steps_and_back(rng):
    x = rng.normal(size=(2, 6, 3))
    p = recurrent.Patches(2)
    y, cache = p.forward(x)
    assert y.shape == (2, 3, 6)
    np.testing.assert_array_equal(y[1, 2], np.concatenate([x[1, 4], x[1, 5]]))  # step 2 = input steps 4, 5
    dy = rng.normal(size=y.shape)
    dx, grads = p.backward(dy, cache)
    assert grads == {} and dx.shape == x.shape
    np.testing.assert_array_equal(dx[0, 3], dy[0, 1, 3:])
    with pytest.raises(ValueError, match=r"T a multiple of 4, got \(2, 6, 3\)"):
        recurrent.Patches(4).forward(x)
    with pytest.raises(ValueError, match="size"):
        recurrent.Patches(0)


def test_patched_sequential_saves_and_loads(tmp_path, rng):
    net = recurrent.Sequential([recurrent.Patches(2), LSTM(4, 3, seed=0), recurrent.LastStep(), Linear(3, 1, seed=1)])
    net.save(tmp_path / "m.safetensors")
    back = recurrent.load(tmp_path / "m.safetensors")
    x = rng.normal(size=(3, 8, 2)).astype(np.float32)
    assert repr(back.layers[0]) == "Patches(2)"
    np.testing.assert_array_equal(back.predict(x), net.predict(x))


def test_one_registry_of_cell_facts_agrees_with_the_layers_and_the_frameworks():
    from recurrent.cells.spec import SPECS
    from recurrent.layers import CELLS, cell_name

    for name, f in SPECS.items():
        layer = CELLS[name](2, 3)
        assert cell_name(layer) == name and layer.num_gates == f.num_gates == len(f.hand)
        assert layer.has_cell_state == f.has_cell_state
        assert sorted(f.to_keras) == sorted(f.to_onnx) == list(range(f.num_gates))
        assert set(f.equation_order) == set(f.gates)
        assert type(layer).__name__ == f.layer and layer.options.acts == f.defaults
        assert len(f.activation_roles.split(",")) == len(f.defaults)
        assert set(f.recurrent_through_gate) <= set(f.gates) and dict(f.symbols).keys() <= {*f.gates, "c", "h"}
    ours = SPECS["lstm"].gates
    assert tuple(ours[k] for k in SPECS["lstm"].to_onnx) == ("i", "o", "f", "g")  # ONNX: i, o, f, c
    assert tuple(SPECS["gru"].gates[k] for k in SPECS["gru"].to_keras) == ("z", "r", "n")  # Keras: z, r, h
    with pytest.raises(TypeError, match="expected an LSTM, GRU or RNN layer, got Linear"):
        cell_name(Linear(2, 2))
