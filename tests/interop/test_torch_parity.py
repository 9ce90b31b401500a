"""Parity with PyTorch: weights copied by name, outputs and gradients to 1e-10 (float64).

The golden files in tests/fixtures/torch/ (made by make_torch_fixtures.py) are
checked everywhere; where torch is installed the same configurations, and
some random ones, are also run live.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import recurrent
from conftest import CELLS, HAVE_TORCH

FIXTURES = Path(__file__).parents[1] / "fixtures" / "torch"
INDEX = json.loads((FIXTURES / "index.json").read_text())["configs"]
TOL = 1e-10


def check_against(ref, cfg):
    kwargs = {"nonlinearity": cfg["nonlinearity"]} if cfg["cell"] == "rnn" else {}
    layer = CELLS[cfg["cell"]](
        cfg["D"], cfg["H"], num_layers=cfg["layers"], bidirectional=cfg["bidirectional"], dtype=np.float64, **kwargs
    )
    layer.load_state_dict({k[len("param.") :]: v for k, v in ref.items() if k.startswith("param.")})
    lstm = cfg["cell"] == "lstm"
    state = recurrent.LSTMState(ref["h0"], ref["c0"]) if lstm else ref["h0"]
    y, s, cache = layer.forward(ref["x"], state, lengths=ref.get("lengths"))  # lengths: packed sequences
    np.testing.assert_allclose(y, ref["y"], rtol=0, atol=TOL)
    np.testing.assert_allclose(s.h if lstm else s, ref["h_T"], rtol=0, atol=TOL)
    if lstm:
        np.testing.assert_allclose(s.c, ref["c_T"], rtol=0, atol=TOL)
    dstate = recurrent.LSTMState(ref["dh_T"], ref["dc_T"]) if lstm else ref["dh_T"]
    dx, ds0, grads = layer.backward(ref["dy"], cache, dstate)
    np.testing.assert_allclose(dx, ref["grad.x"], rtol=0, atol=TOL)
    np.testing.assert_allclose(ds0.h if lstm else ds0, ref["grad.h0"], rtol=0, atol=TOL)
    if lstm:
        np.testing.assert_allclose(ds0.c, ref["grad.c0"], rtol=0, atol=TOL)
    torch_names = [k[len("param.") :] for k in ref if k.startswith("param.")]
    assert list(grads) == torch_names == list(layer.params)
    for name in torch_names:
        np.testing.assert_allclose(grads[name], ref[f"grad.{name}"], rtol=0, atol=TOL, err_msg=name)


@pytest.mark.parametrize("cfg", INDEX, ids=[c["name"] for c in INDEX])
def test_golden_torch_fixture(cfg, backend):
    with np.load(FIXTURES / f"{cfg['name']}.npz", allow_pickle=False) as f:
        ref = dict(f)
    check_against(ref, cfg)


@pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed (pip install torch==2.13.0)")
@pytest.mark.parametrize("seed", range(12))
def test_live_torch_random_configs(seed, backend):
    sys.path.insert(0, str(FIXTURES.parent))
    from make_torch_fixtures import torch_reference

    rng = np.random.default_rng(1000 + seed)
    cell = ["lstm", "gru", "rnn"][seed % 3]
    N, T, D, H = (int(v) for v in rng.integers(1, 6, size=4))
    cfg = {
        "cell": cell,
        "N": N,
        "T": T,
        "D": D,
        "H": H,
        "layers": int(rng.integers(1, 3)),
        "bidirectional": bool(rng.integers(0, 2)),
        "nonlinearity": ["tanh", "relu"][seed % 2] if cell == "rnn" else None,
    }
    lengths = tuple(int(v) for v in rng.integers(1, T + 1, size=N)) if seed >= 6 else None  # packed sequences
    ref = torch_reference(
        cell, N, T, D, H, cfg["layers"], cfg["bidirectional"], cfg["nonlinearity"], 1000 + seed, lengths
    )
    check_against(ref, cfg)


@pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed (pip install torch==2.13.0)")
def test_fixtures_are_reproducible_with_live_torch():
    sys.path.insert(0, str(FIXTURES.parent))
    from make_torch_fixtures import torch_reference

    packed = next(c for c in INDEX if "lengths" in c)
    for cfg in (INDEX[2], packed):
        keys = ("cell", "N", "T", "D", "H", "layers", "bidirectional", "nonlinearity", "seed")
        ref = torch_reference(*(cfg[k] for k in keys), cfg.get("lengths"))
        with np.load(FIXTURES / f"{cfg['name']}.npz", allow_pickle=False) as f:
            for k in f.files:
                np.testing.assert_allclose(f[k], ref[k], rtol=0, atol=1e-12, err_msg=f"{cfg['name']}: {k}")


@pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed (pip install torch==2.13.0)")
def test_load_state_dict_takes_torch_tensors_and_float32():
    import torch

    torch.manual_seed(0)
    m = torch.nn.LSTM(3, 4, batch_first=True)
    ours = recurrent.LSTM(3, 4).load_state_dict(m.state_dict())
    x = np.random.default_rng(0).normal(size=(2, 6, 3)).astype(np.float32)
    y_t, (h_t, c_t) = m(torch.tensor(x))
    y, s = ours(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, y_t.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(s.c, c_t.detach().numpy(), atol=1e-6)
