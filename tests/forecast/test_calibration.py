"""Small panels are calibrated on their own history too (forecast/calibration.py)."""

import numpy as np
import pytest

import recurrent
from recurrent import Forecaster
from recurrent.forecast import calibration, hybrid, intervals

FAST = dict(hidden_size=8, n_models=1, max_steps=120, eval_every=20, patience=3, progress=False)


def seasonal(n_series, length=60, seed=0, calm_after=None):
    """Quarterly series times log-normal noise (0.1; 0.01 from ``calm_after`` on)."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    sd = np.where(t >= (calm_after or length), 0.01, 0.1)
    return {
        f"s{k}": 50 * (1 + 0.3 * np.sin(2 * np.pi * t / 4 + k)) * np.exp(sd * rng.normal(size=length))
        for k in range(n_series)
    }


def test_history_scores_are_the_statistical_members_errors_at_the_latest_origins_by_hand():
    y = seasonal(1, length=70)["s0"]
    f = Forecaster(horizon=6, season=4, seed=0, **FAST).fit({"a": y})
    pn, shift = f.train_panel_, f.train_shifts_
    got = calibration.history_scores(pn, shift, 6, 4, f.theta_share_)
    origins = [64, 61, 58, 55, 52, 49, 46, 43, 40, 37]  # the latest ten, half a horizon (3) apart
    assert got.shape == (calibration.ORIGINS, 6)
    for row, o in zip(got, origins):
        z_stat = hybrid.log_theta(y[:o], 6, 4, shift[0], f.theta_share_)
        want = (np.log(y[o : o + 6] + shift[0]) - z_stat) / intervals.log_scale(y[:o], 4, shift[0])
        np.testing.assert_allclose(row, want, rtol=1e-5, atol=1e-6)
    own = len(f.calibration_) - calibration.ORIGINS  # the fit's table: its validation windows, then these
    np.testing.assert_allclose(f.calibration_[own:], got)


def test_short_series_give_fewer_origins_or_none():
    f = Forecaster(horizon=4, season=4, seed=0, **FAST).fit({"a": seasonal(1, length=60)["s0"]})
    y = f.train_panel_.series(0)
    # an origin needs max(2 seasons + 2, 2 horizons) = 10 values before it: 56, 54, ..., 38 (ten of them)
    assert calibration.history_scores(f.train_panel_, f.train_shifts_, 4, 4, 1.0).shape == (10, 4)
    short = Forecaster(horizon=4, season=4, seed=0, **FAST).fit({"a": y[:16]})
    got = calibration.history_scores(short.train_panel_, short.train_shifts_, 4, 4, 1.0)
    assert got.shape == (2, 4)  # origins 12 and 10 only
    tiny = Forecaster(horizon=4, season=4, seed=0, **FAST).fit({"a": y[:12]})
    assert calibration.history_scores(tiny.train_panel_, tiny.train_shifts_, 4, 4, 1.0).shape == (0, 4)


def test_only_panels_smaller_than_the_threshold_take_their_history(monkeypatch):
    Y = seasonal(3)
    monkeypatch.setattr(calibration, "SMALL", 3)  # three series are not fewer than three
    alone = Forecaster(horizon=4, season=4, seed=0, **FAST).fit(Y)
    monkeypatch.setattr(calibration, "SMALL", 4)
    more = Forecaster(horizon=4, season=4, seed=0, **FAST).fit(Y)
    own = len(alone.calibration_)
    np.testing.assert_array_equal(more.calibration_[:own], alone.calibration_)  # the same fit, the same scores
    assert len(more.calibration_) == own + 3 * calibration.ORIGINS
    for k in Y:  # the same point forecasts (only the calibration table grew)
        a, b = alone.predict(level=[80])[k], more.predict(level=[80])[k]
        np.testing.assert_array_equal(a["forecast"], b["forecast"])


def test_a_calm_last_stretch_no_longer_decides_the_width_alone():
    """A series calm over its last three horizons but ten times rougher before: its own validation windows
    alone give bands for a calm series; with its history they widen toward the rough past."""
    Y = {"a": seasonal(1, length=80, calm_after=80 - 12)["s0"]}
    f = Forecaster(horizon=4, season=4, seed=0, **FAST).fit(Y)
    own = len(f.calibration_) - calibration.ORIGINS
    probs = intervals.probabilities([80], [])
    width_own = np.diff(intervals.quantile_table(f.calibration_[:own], probs), axis=0)
    width_all = np.diff(intervals.quantile_table(f.calibration_, probs), axis=0)
    assert np.all(width_all > 2 * width_own)


@pytest.mark.parametrize("combine", ["auto", "networks"])
def test_saved_and_loaded_small_panels_keep_the_whole_table(tmp_path, combine):
    f = Forecaster(horizon=4, season=4, seed=0, combine=combine, **FAST).fit(seasonal(2))
    f.save(tmp_path / "m.safetensors")
    g = recurrent.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(g.calibration_, f.calibration_)
    a, b = f.predict(level=[80, 95]), g.predict(level=[80, 95])
    np.testing.assert_allclose(a["s0"]["hi-95"], b["s0"]["hi-95"])
