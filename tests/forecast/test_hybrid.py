"""The statistical member: Theta damped toward Naive2 by a share chosen, with the weight, on the validation windows;
kept in saved files and in the ONNX recipe."""

import numpy as np
import pytest

import recurrent
from recurrent import Forecaster
from recurrent.forecast import baselines, hybrid


def _seasonal(n, growth, rng):
    t = np.arange(n)
    return 100 * np.exp(growth * t + rng.normal(0, 0.02, n)) * (1 + 0.2 * np.sin(2 * np.pi * t / 4))


@pytest.mark.parametrize("share", [1.0, 0.5, 0.0])
def test_the_member_for_many_series_equals_one_at_a_time_at_every_share(share):
    rng = np.random.default_rng(3)
    series = [_seasonal(n, 0.01, rng) for n in (12, 30, 30, 41)]
    shifts = [0.0, 0.0, 2.0, 0.0]
    many = hybrid.log_theta_many(series, 5, 4, shifts, share=share)
    for s, c, z in zip(series, shifts, many):
        np.testing.assert_allclose(z, hybrid.log_theta(s, 5, 4, c, share=share), rtol=0, atol=1e-12)


def test_the_two_parts_are_theta_and_the_competitions_naive2():
    rng = np.random.default_rng(4)
    series = [_seasonal(40, 0.02, rng), _seasonal(40, -0.01, rng)]
    theta, naive = hybrid.log_members_many(series, 6, 4)
    for s, t, v in zip(series, theta, naive):
        want = baselines.all_baselines(s, 6, 4, names=("naive2", "theta"))
        np.testing.assert_allclose(np.exp(v), want["naive2"], rtol=1e-10)
        np.testing.assert_allclose(t, hybrid.log_theta(s, 6, 4), rtol=0, atol=1e-12)
        half = hybrid.log_theta(s, 6, 4, share=0.5)
        np.testing.assert_allclose(half, 0.5 * (t + v), rtol=0, atol=1e-12)


def test_choose_damps_a_trend_that_stopped_and_keeps_one_that_went_on():
    rng = np.random.default_rng(5)
    theta = np.cumsum(np.full((50, 6), 0.05), axis=1) + rng.normal(0, 0.01, (50, 6))  # Theta: a steady rise
    naive = np.zeros((50, 6))  # Naive2: flat
    z_net = rng.normal(0, 0.5, (50, 6))  # networks far off: the weight goes to the statistical member
    mask = np.ones((50, 6))
    assert hybrid.choose(z_net, (theta, naive), naive + rng.normal(0, 0.005, (50, 6)), mask) == (0.0, 0.0)
    assert hybrid.choose(z_net, (theta, naive), theta.copy(), mask) == (0.0, 1.0)
    half = 0.5 * theta + rng.normal(0, 0.002, (50, 6))
    assert hybrid.choose(z_net, (theta, naive), half, mask, loss="mape") == (0.0, 0.5)
    # equal members: a tie keeps Theta alone, at the weight Theta alone gets
    w = hybrid.choose(z_net, (theta, theta), theta, mask, shares=(1.0,))[0]
    assert hybrid.choose(z_net, (theta, theta), theta, mask) == (w, 1.0)


def _stopped_panel():
    """Series that grew for years and then stopped growing: the latest values are flat."""
    rng = np.random.default_rng(6)
    out = {}
    for k in range(12):
        rise = np.exp(0.08 * np.arange(22) + rng.normal(0, 0.01, 22))
        out[k] = 50 * np.concatenate([rise, np.full(10, rise[-1]) * np.exp(rng.normal(0, 0.01, 10))])
    return out


def test_a_fit_chooses_the_share_and_a_saved_file_keeps_it(tmp_path):
    f = Forecaster(horizon=4, season=1, seed=0, progress=False, max_steps=60, n_models=1, combine=0.0)
    f.fit(_stopped_panel())
    assert f.theta_share_ < 1.0  # the trend that stopped in the validation windows is damped
    path = tmp_path / "f.safetensors"
    f.save(path)
    g = recurrent.load(path)
    assert g.theta_share_ == f.theta_share_
    a, b = f.predict(), g.predict()
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-12)
        # combine=0: the statistical member alone, with the chosen share
        s = _stopped_panel()[k]
        np.testing.assert_allclose(np.log(a[k]), hybrid.log_theta(s, 4, 1, share=f.theta_share_), rtol=1e-9)
