"""The Forecaster: conventions, transforms, baselines, save/load, bad input."""

import numpy as np
import pytest

import recurrent
from recurrent import Forecaster, datasets
from recurrent.forecast import (NotFittedError, detect_season, mase, naive_forecast, rmse,
                                seasonal_naive_forecast)

FAST = dict(hidden_size=8, n_models=1, epochs=30, patience=10, progress=False)


def test_constructor_only_stores_settings():
    f = Forecaster(cell="nope", horizon=-3)          # checked at fit, as scikit-learn does
    assert f.get_params()["cell"] == "nope" and not hasattr(f, "models_")
    with pytest.raises(ValueError, match="`cell` must be one of"):
        f.fit(np.arange(50.0))


def test_predict_before_fit_is_a_clear_error():
    with pytest.raises(NotFittedError, match="not fitted yet: call fit"):
        Forecaster().predict()


def test_baselines_reproduce_the_reference_figures_on_airline():
    y = datasets.load_airline().values
    train, test = y[:132], y[132:]
    assert round(rmse(test, naive_forecast(train, 12)), 2) == 102.98
    assert round(rmse(test, seasonal_naive_forecast(train, 12, 12)), 2) == 50.71
    train, test = y[:120], y[120:]
    assert round(rmse(test, naive_forecast(train, 24)), 2) == 137.33
    assert round(rmse(test, seasonal_naive_forecast(train, 24, 12)), 2) == 76.99
    # MASE: scaled by the in-sample seasonal-naive MAE
    assert mase([2.0, 4.0], [1.0, 1.0], [0.0, 1.0, 2.0, 3.0], m=1) == pytest.approx(2.0)


def test_season_detection():
    assert detect_season(datasets.load_airline().values[:132]) == 12
    rng = np.random.default_rng(0)
    assert detect_season(rng.normal(size=200)) == 1
    t = np.arange(120)
    assert detect_season(10 + np.sin(2 * np.pi * t / 7) + 0.01 * t) == 7


def test_a_clean_trend_and_season_is_forecast_closely_in_original_units():
    t = np.arange(120)
    y = 100 * np.exp(0.01 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12))
    f = Forecaster(horizon=12, season=12, hidden_size=16, n_models=1, epochs=200, seed=0, progress=False).fit(y[:108])
    pred = f.predict()
    assert f.log_ is True and f.lookback_ == 36
    assert pred.shape == (12,)
    assert rmse(y[108:], pred) < 0.02 * y[108:].mean()        # within 2% of the level
    assert rmse(y[108:], pred) < 0.2 * rmse(y[108:], seasonal_naive_forecast(y[:108], 12, 12))


def test_airline_beats_seasonal_naive_with_small_settings():
    y = datasets.load_airline().values
    report = Forecaster(n_models=2, epochs=150, seed=0, progress=False).evaluate(y, holdout=12)
    assert report["season"] == 12
    m = report["metrics"]
    assert m["seasonal_naive"]["rmse"] == pytest.approx(50.71, abs=0.005)
    assert m["model"]["rmse"] < 30 and report["beats_seasonal_naive"]
    assert report["verdict"].startswith("The model beats")
    assert len(report["forecast"]) == 12 and report["actual"] == list(y[-12:])


def test_verdict_says_so_when_the_baseline_wins():
    t = np.arange(96)
    y = 50 + 10 * np.sin(2 * np.pi * t / 12)        # exactly periodic: seasonal naive is perfect
    report = Forecaster(season=12, log=False, **FAST, seed=0).evaluate(y, holdout=12)
    assert report["metrics"]["seasonal_naive"]["rmse"] < 1e-9
    assert not report["beats_seasonal_naive"]
    assert "does NOT beat the seasonal-naive baseline" in report["verdict"]


def test_same_seed_same_forecast_and_save_load_round_trip(tmp_path):
    y = datasets.load_airline().values[:100]
    a = Forecaster(**FAST, seed=3).fit(y)
    b = Forecaster(**FAST, seed=3).fit(y)
    np.testing.assert_array_equal(a.predict(), b.predict())
    path = tmp_path / "f.safetensors"
    a.save(path)
    back = recurrent.load(path)
    assert isinstance(back, Forecaster) and back.get_params() == a.get_params()
    np.testing.assert_array_equal(back.predict(), a.predict())
    np.testing.assert_array_equal(back.predict(30), a.predict(30))
    np.testing.assert_array_equal(back.predict(5, y=y[:80]), a.predict(5, y=y[:80]))


def test_iterated_forecast_beyond_the_horizon_starts_with_the_direct_one():
    y = datasets.load_airline().values[:100]
    f = Forecaster(horizon=6, **FAST, seed=0).fit(y)
    long = f.predict(15)
    assert long.shape == (15,)
    np.testing.assert_array_equal(long[:6], f.predict())
    assert np.all(np.isfinite(long)) and np.all(long > 0)


def test_recursive_strategy_and_other_cells():
    y = datasets.load_sunspots().values[:150]
    for kw in (dict(strategy="recursive"), dict(cell="gru"), dict(cell="rnn")):
        f = Forecaster(horizon=10, season=11, **FAST, seed=0, **kw).fit(y)
        p = f.predict()
        assert p.shape == (10,) and np.all(np.isfinite(p))
        assert f.log_ is False                          # sunspots has zeros: no log


def test_covariates_are_used_and_checked():
    rng = np.random.default_rng(0)
    driver = rng.normal(size=130)
    y = 10 + np.cumsum(0.1 * rng.normal(size=130)) + np.concatenate([[0], driver[:-1]])  # y follows driver
    f = Forecaster(horizon=1, season=1, lookback=5, log=False, hidden_size=16, n_models=1, epochs=200,
                   seed=0, progress=False).fit(y[:120], covariates=driver[:120])
    assert f.models_[0].layers[0].input_size == 2
    errs = [abs(f.predict(1, y=y[:k], covariates=driver[:k])[0] - y[k]) for k in range(120, 130)]
    naive = [abs(y[k - 1] - y[k]) for k in range(120, 130)]
    assert np.mean(errs) < 0.7 * np.mean(naive)
    with pytest.raises(ValueError, match=r"expected covariates of shape \(120, K\)"):
        Forecaster(**FAST).fit(y[:120], covariates=driver[:100])
    with pytest.raises(ValueError, match="fitted with covariates; pass them with y"):
        f.predict(1, y=y[:125])


@pytest.mark.parametrize("kwargs,y,message", [
    ({}, np.arange(10.0), "the series has 10 values; .* it needs at least"),
    ({}, np.zeros((20, 2)), "expected y as a 1-D series"),
    ({}, [1.0, np.nan, 3.0] * 20, "`y` must be finite"),
    ({"log": True}, np.arange(-5.0, 55.0), "needs every value > 0"),
    ({"strategy": "both"}, np.arange(1.0, 61.0), "`strategy` must be 'direct' or 'recursive'"),
    ({"lookback": 0}, np.arange(1.0, 61.0), "`lookback` must be positive, got 0"),
    ({"lr": -1}, np.arange(1.0, 61.0), "`lr` must be a positive number"),
])
def test_bad_input(kwargs, y, message):
    with pytest.raises(ValueError, match=message):
        Forecaster(**{**FAST, **kwargs}).fit(y)
