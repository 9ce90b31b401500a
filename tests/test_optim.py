"""Optimizers and clipping follow PyTorch's rules; losses have exact gradients."""

import numpy as np
import pytest

from conftest import HAVE_TORCH
from recurrent import losses, optim
from recurrent.gradcheck import numerical_gradient, relative_error

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, weight_decay=0.01)),
]


def grad_sequence(rng, shapes, steps=5):
    return [{k: rng.normal(size=s) for k, s in shapes.items()} for _ in range(steps)]


@pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed")
@pytest.mark.parametrize("name,kwargs", CASES)
def test_updates_match_torch_optim(name, kwargs):
    import torch

    rng = np.random.default_rng(0)
    shapes = {"w": (3, 4), "b": (4,)}
    start = {k: rng.normal(size=s) for k, s in shapes.items()}
    grads = grad_sequence(rng, shapes)
    ours = {k: v.copy() for k, v in start.items()}
    opt = getattr(optim, name)(**kwargs)
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
    topt = getattr(torch.optim, name)(list(tparams.values()), **kwargs)
    for g in grads:
        opt.step(ours, {k: v.copy() for k, v in g.items()})
        for k, p in tparams.items():
            p.grad = torch.tensor(g[k])
        topt.step()
    for k in shapes:
        np.testing.assert_allclose(ours[k], tparams[k].detach().numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_state_dict_round_trip_continues_identically(name, kwargs):
    rng = np.random.default_rng(1)
    shapes = {"w": (2, 3)}
    grads = grad_sequence(rng, shapes, 6)
    a = {"w": rng.normal(size=(2, 3))}
    b = {"w": a["w"].copy()}
    opt_a = getattr(optim, name)(**kwargs)
    opt_b = getattr(optim, name)(**kwargs)
    for g in grads[:3]:
        opt_a.step(a, {k: v.copy() for k, v in g.items()})
        opt_b.step(b, {k: v.copy() for k, v in g.items()})
    restored = optim.from_config(opt_b.state_dict()["config"]).load_state_dict(opt_b.state_dict())
    for g in grads[3:]:
        opt_a.step(a, {k: v.copy() for k, v in g.items()})
        restored.step(b, {k: v.copy() for k, v in g.items()})
    np.testing.assert_array_equal(a["w"], b["w"])


def test_sgd_by_hand():
    p = {"w": np.array([1.0, -2.0])}
    opt = optim.SGD(lr=0.5, momentum=0.5)
    opt.step(p, {"w": np.array([2.0, 2.0])})  # buffer = g
    np.testing.assert_allclose(p["w"], [0.0, -3.0])
    opt.step(p, {"w": np.array([2.0, 2.0])})  # buffer = 0.5 * 2 + 2 = 3
    np.testing.assert_allclose(p["w"], [-1.5, -4.5])


@pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed")
def test_clip_grad_norm_matches_torch():
    import torch

    rng = np.random.default_rng(2)
    g = {"a": rng.normal(size=(3, 3)), "b": rng.normal(size=(5,))}
    tp = [
        torch.zeros(3, 3, dtype=torch.float64, requires_grad=True),
        torch.zeros(5, dtype=torch.float64, requires_grad=True),
    ]
    for p, k in zip(tp, "ab"):
        p.grad = torch.tensor(g[k])
    total_t = torch.nn.utils.clip_grad_norm_(tp, 1.5)
    total = optim.clip_grad_norm(g, 1.5)
    assert abs(total - float(total_t)) < 1e-12
    for p, k in zip(tp, "ab"):
        np.testing.assert_allclose(g[k], p.grad.numpy(), rtol=0, atol=1e-14)


def test_clipping_by_hand():
    g = {"a": np.array([3.0, 4.0])}
    assert optim.clip_grad_norm(g, 10.0) == 5.0
    np.testing.assert_array_equal(g["a"], [3.0, 4.0])  # below the bound: untouched
    assert optim.clip_grad_norm(g, 1.0) == 5.0
    np.testing.assert_allclose(np.linalg.norm(g["a"]), 1.0, rtol=1e-6)
    g = {"a": np.array([-3.0, 0.5, 7.0])}
    optim.clip_grad_value(g, 1.0)
    np.testing.assert_array_equal(g["a"], [-1.0, 0.5, 1.0])


@pytest.mark.parametrize(
    "bad", [dict(lr=0), dict(lr=-1), dict(lr=float("nan")), dict(momentum=-0.1), dict(lr=0.1, nesterov=True)]
)
def test_bad_optimizer_settings(bad):
    with pytest.raises(ValueError, match="SGD"):
        optim.SGD(**bad)


def test_unknown_optimizer_and_loss_names():
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'"):
        optim.get("adamm")
    with pytest.raises(ValueError, match="unknown loss 'l2'"):
        losses.get("l2")
    assert isinstance(optim.get("ADAM"), optim.Adam)


@pytest.mark.parametrize("name", ["mse", "mae"])
def test_regression_losses_values_and_gradients(name):
    rng = np.random.default_rng(3)
    p, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    value, grad = losses.get(name)(p, y)
    expected = np.mean((p - y) ** 2) if name == "mse" else np.mean(np.abs(p - y))
    assert abs(value - expected) < 1e-15
    num = numerical_gradient(lambda: losses.get(name)(p, y)[0], p)
    assert relative_error(grad, num) < 1e-7


def test_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(4)
    z, labels = rng.normal(size=(5, 2, 4)), rng.integers(0, 4, size=(5, 2))
    value, grad = losses.cross_entropy(z, labels)
    ref = -np.mean([np.log(np.exp(z[i, j, labels[i, j]]) / np.exp(z[i, j]).sum()) for i in range(5) for j in range(2)])
    assert abs(value - ref) < 1e-12
    num = numerical_gradient(lambda: losses.cross_entropy(z, labels)[0], z)
    assert relative_error(grad, num) < 1e-7
    big = np.array([[1000.0, 0.0]])  # no overflow for large logits
    assert losses.cross_entropy(big, np.array([1]))[0] == pytest.approx(1000.0)


def test_loss_shape_errors():
    with pytest.raises(ValueError, match=r"mse: expected target of shape \(4, 1\)"):
        losses.mse(np.zeros((4, 1)), np.zeros((4,)))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        losses.cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
