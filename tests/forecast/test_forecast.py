"""The Forecaster: many series in and out, one global model, baselines, save/load, bad input."""

import json
import struct
import warnings

import numpy as np
import pytest

import recurrent
from recurrent import Forecaster, datasets
from recurrent.forecast import (
    NotFittedError,
    baselines,
    detect_season,
    mase,
    naive_forecast,
    rmse,
    seasonal_naive_forecast,
    smape,
)

FAST = dict(hidden_size=8, n_models=1, max_steps=120, eval_every=20, patience=3, progress=False)


def panel(n=12, length=40, seed=0):
    """Series of different levels and lengths sharing one seasonal shape and growth."""
    rng = np.random.default_rng(seed)
    out = {}
    for k in range(n):
        L = length - (k % 4) * 5
        t = np.arange(L)
        out[f"s{k}"] = (
            10 ** rng.uniform(1, 4)
            * np.exp(0.01 * t)
            * (1 + 0.2 * np.sin(2 * np.pi * t / 4))
            * np.exp(0.01 * rng.normal(size=L))
        )
    return out


def test_constructor_only_stores_settings():
    f = Forecaster(cell="nope", horizon=-3)  # checked at fit, as scikit-learn does
    assert f.get_params()["cell"] == "nope" and not hasattr(f, "networks_")
    with pytest.raises(ValueError, match="`cell` must be one of"):
        f.fit(np.arange(1.0, 50.0))


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
    assert mase([2.0, 4.0], [1.0, 1.0], [0.0, 1.0, 2.0, 3.0], m=1) == pytest.approx(2.0)


def test_smape_mase_and_their_degenerate_cases():
    assert smape([100.0, 200.0], [110.0, 180.0]) == pytest.approx(np.mean([200 * 10 / 210, 200 * 20 / 380]))
    assert smape([0.0], [0.0]) == 0.0
    assert np.isnan(mase([5.0], [4.0], [3.0, 3.0, 3.0]))  # constant history: no scale, not inf
    assert np.isnan(recurrent.forecast.mape([0.0, 1.0], [1.0, 1.0]))


def test_naive2_and_seasonality_test_against_a_hand_calculation():
    t = np.arange(48)
    season = np.array([0.8, 1.0, 1.3, 0.9])
    y = (100 + t) * season[t % 4]
    noise = 100 + np.random.default_rng(0).normal(size=48)
    assert baselines.is_seasonal(y, 4) and not baselines.is_seasonal(noise, 4)
    si = baselines.seasonal_indices(y, 4)
    # the centred 2x4 moving average of a linear trend is the trend itself, so the ratios are
    # season / mean(season) exactly where the trend is linear
    np.testing.assert_allclose(si, season / season.mean(), rtol=2e-3)
    f = baselines.naive2(y, 4, 4)
    np.testing.assert_allclose(f, y[-1] / si[3] * si[[0, 1, 2, 3]], rtol=1e-12)
    assert np.allclose(baselines.naive2(noise, 3, 4), noise[-1])  # not seasonal: plain naive


def test_ses_and_theta_match_statsmodels_where_they_should():
    sm = pytest.importorskip("statsmodels.tsa.holtwinters")
    rng = np.random.default_rng(1)
    y = 50 + np.cumsum(rng.normal(size=60))
    fit = sm.SimpleExpSmoothing(y, initialization_method="estimated").fit()
    assert baselines.ses(y, 3)[0] == pytest.approx(fit.forecast(1)[0], rel=2e-3)
    # theta with alpha from the same grid: the drift term is b/2 (h - 1 + (1 - (1-a)^n)/a)
    alpha, level = baselines.ses_fit(y)
    b = np.polyfit(np.arange(60), y, 1)[0]
    np.testing.assert_allclose(baselines.theta(y, 3), level + b / 2 * (np.arange(3) + (1 - (1 - alpha) ** 60) / alpha))


def test_season_detection_prefers_the_fundamental_period():
    assert detect_season(datasets.load_airline().values[:132]) == 12
    rng = np.random.default_rng(0)
    assert detect_season(rng.normal(size=200)) == 1
    t = np.arange(400)
    assert detect_season(10 + np.sin(2 * np.pi * t / 7) + 0.01 * t) == 7
    assert detect_season(10 + np.sin(2 * np.pi * t / 50)) == 50
    t = np.arange(600)  # weeks drift against years: peaks at 52, 104-105, 156-157
    weekly = 300 + 0.03 * t + 3 * np.sin(2 * np.pi * t / 52.18) + 0.02 * rng.normal(size=600)
    assert detect_season(weekly) == 52


def test_weekly_co2_gets_52_not_a_multiple():
    co2 = pytest.importorskip("statsmodels.datasets.co2")
    y = co2.load_pandas().data["co2"].interpolate().bfill().to_numpy()
    assert detect_season(y) == 52


def test_every_container_round_trips_in_its_own_kind():
    Y = panel()
    f = Forecaster(horizon=4, **FAST, seed=0).fit(Y)
    out = f.predict()
    assert isinstance(out, dict) and list(out) == list(Y) and all(v.shape == (4,) for v in out.values())
    as_list = f.predict(list(Y.values()))
    assert isinstance(as_list, list) and len(as_list) == len(Y)
    for a, b in zip(as_list, out.values()):
        np.testing.assert_array_equal(a, b)  # the same series give the same forecast
    one = f.predict(Y["s0"])
    assert isinstance(one, np.ndarray) and one.shape == (4,)
    np.testing.assert_array_equal(one, out["s0"])


def test_long_dataframe_in_and_out_with_future_dates():
    pd = pytest.importorskip("pandas")
    Y = panel(n=6)
    rows = [(k, d, v) for k, y in Y.items() for d, v in zip(pd.date_range("2000-01-01", periods=len(y), freq="QS"), y)]
    df = pd.DataFrame(rows, columns=["unique_id", "ds", "y"]).sample(frac=1.0, random_state=0)  # any order
    f = Forecaster(horizon=3, **FAST, seed=0).fit(df)
    assert f.season_ == 4  # from the quarterly dates
    out = f.predict()
    assert list(out.columns) == ["unique_id", "ds", "recurrent"] and len(out) == 6 * 3
    last = df[df.unique_id == "s1"].ds.max()
    assert list(out[out.unique_id == "s1"].ds) == list(pd.date_range(last, periods=4, freq="QS")[1:])
    np.testing.assert_allclose(
        out[out.unique_id == "s0"]["recurrent"].to_numpy(),
        Forecaster(horizon=3, **FAST, seed=0).fit(Y).predict()["s0"],
        rtol=1e-12,
    )
    ints = pd.DataFrame({"unique_id": ["a"] * 20, "ds": np.arange(1990, 2010), "y": np.arange(1.0, 21.0)})
    assert list(Forecaster(horizon=2, **FAST, seed=0).fit(ints).predict().ds) == [2010, 2011]


def test_unseen_series_are_forecast_at_their_own_level():
    Y = panel(n=16)
    f = Forecaster(horizon=4, **FAST, seed=0).fit(Y)
    new = {"big": Y["s3"] * 1000.0, "small": Y["s3"] / 1000.0}
    out = f.predict(new)
    np.testing.assert_allclose(out["big"] / 1000.0, f.predict({"x": Y["s3"]})["x"], rtol=1e-9)
    np.testing.assert_allclose(out["small"] * 1000.0, f.predict({"x": Y["s3"]})["x"], rtol=1e-9)


def test_the_global_model_learns_the_shared_shape():
    Y = panel(n=20, length=48)
    train = {k: v[:-4] for k, v in Y.items()}
    f = Forecaster(
        horizon=4,
        hidden_size=16,
        n_models=1,
        max_steps=600,
        eval_every=50,
        patience=4,
        combine="networks",
        progress=False,
        seed=0,
    ).fit(train)
    out = f.predict()
    err = np.mean([smape(Y[k][-4:], out[k]) for k in Y])
    naive = np.mean([smape(Y[k][-4:], naive_forecast(train[k], 4)) for k in Y])
    snaive = np.mean([smape(Y[k][-4:], seasonal_naive_forecast(train[k], 4, 4)) for k in Y])
    assert err < 0.5 * naive and err < 0.8 * snaive, (err, naive, snaive)


def test_short_series_get_a_named_fallback_and_tiny_ones_are_left_out():
    Y = {**panel(n=6), "two": np.array([5.0, 6.0]), "one": np.array([3.0])}
    with pytest.warns(UserWarning) as caught:
        f = Forecaster(horizon=4, min_length=3, **FAST, seed=0).fit(Y)
    text = " ".join(str(w.message) for w in caught)
    assert "'one'" in text and "'two'" in text
    assert f.methods_["two"].startswith("naive") and f.skipped_ == ["one"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = f.predict()
    assert "one" not in out and np.all(out["two"] == 6.0)
    short = {k: v[:3] for k, v in panel(n=5).items()}  # shorter than the horizon: still forecast
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = Forecaster(horizon=6, **FAST, seed=0).fit(short).predict()
    assert all(np.all(np.isfinite(v)) and v.shape == (6,) for v in g.values())


def test_series_with_zeros_and_negatives_are_forecast():
    rng = np.random.default_rng(0)
    Y = [np.abs(rng.normal(size=30)).round(), rng.normal(size=30) - 2.0, np.zeros(30)]
    out = Forecaster(horizon=3, **FAST, seed=0).fit(Y).predict()
    assert all(np.all(np.isfinite(v)) for v in out)
    np.testing.assert_allclose(out[2], 0.0, atol=1e-9)


def test_same_seed_same_forecast_bitwise_and_save_load_round_trip(tmp_path):
    Y = panel()
    a = Forecaster(horizon=4, **FAST, seed=3).fit(Y)
    b = Forecaster(horizon=4, **FAST, seed=3).fit(Y)
    for k in Y:
        np.testing.assert_array_equal(a.predict()[k], b.predict()[k])
    path = tmp_path / "f.safetensors"
    a.save(path)
    back = recurrent.load(path)
    assert isinstance(back, Forecaster) and back.get_params() == a.get_params()
    for k in Y:
        np.testing.assert_array_equal(back.predict()[k], a.predict()[k])
        with pytest.warns(UserWarning, match="past the fitted horizon"):
            np.testing.assert_array_equal(back.predict(9)[k], a.predict(9)[k])
    np.testing.assert_array_equal(back.predict(Y["s2"][:20]), a.predict(Y["s2"][:20]))


def test_a_saved_forecaster_with_edited_metadata_is_refused(tmp_path):
    path = tmp_path / "f.safetensors"
    Forecaster(horizon=4, **FAST, seed=0).fit(panel()).save(path)
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    meta = json.loads(header["__metadata__"]["recurrent"])
    meta["fitted"]["weight"] = 0.3
    header["__metadata__"]["recurrent"] = json.dumps(meta)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + n :])
    with pytest.raises(ValueError, match="checksum mismatch: the metadata was changed"):
        recurrent.load(path)


def test_iterated_forecast_beyond_the_horizon_starts_with_the_direct_one():
    y = datasets.load_airline().values[:100]
    f = Forecaster(horizon=6, **FAST, seed=0).fit(y)
    with pytest.warns(UserWarning, match="horizon 15 is past the fitted horizon 6"):
        long = f.predict(15)
    assert long.shape == (15,)
    np.testing.assert_array_equal(long[:6], f.predict())
    assert np.all(np.isfinite(long)) and np.all(long > 0)


def test_evaluate_scores_many_series_against_the_baselines():
    Y = panel(n=8)
    r = Forecaster(horizon=4, **FAST, seed=0).evaluate(Y, holdout=4)
    assert r["n_series"] == 8 and set(r["metrics"]) == {"model", "naive", "seasonal_naive", "naive2"}
    assert r["wins"] + r["losses"] + r["ties"] == 8
    s0 = r["per_series"][0]
    assert s0["naive"]["smape"] == pytest.approx(smape(Y["s0"][-4:], naive_forecast(Y["s0"][:-4], 4)))
    assert r["metrics"]["naive"]["smape"] == pytest.approx(np.mean([s["naive"]["smape"] for s in r["per_series"]]))
    assert "sMAPE" in r["verdict"]


def test_airline_beats_seasonal_naive_through_the_same_code_path():
    y = datasets.load_airline().values
    r = Forecaster(
        n_models=1, hidden_size=16, max_steps=400, eval_every=50, patience=3, progress=False, seed=0
    ).evaluate(y, holdout=12)
    assert r["season"] == 12
    assert r["metrics"]["seasonal_naive"]["rmse"] == pytest.approx(50.71, abs=0.005)
    assert r["metrics"]["model"]["rmse"] < 30 and r["verdict"].startswith("The model beats")
    assert len(r["forecast"]) == 12 and r["actual"] == list(y[-12:])


def test_other_cells():
    y = datasets.load_sunspots().values[:150]
    for cell in ("gru", "rnn"):
        p = Forecaster(horizon=10, season=11, cell=cell, **FAST, seed=0).fit(y).predict()
        assert p.shape == (10,) and np.all(np.isfinite(p))


@pytest.mark.parametrize(
    "kwargs,Y,error,message",
    [
        ({}, np.zeros((20, 2)), ValueError, "expected y as a 1-D series"),
        ({}, [1.0, np.nan, 3.0] * 20, ValueError, "missing or infinite value at position 1"),
        ({}, [], ValueError, "at least one series, got an empty list"),
        ({}, {}, ValueError, "at least one series, got an empty dict"),
        ({}, [5.0], ValueError, "every series has fewer than 2 values"),
        ({}, "sales.csv", TypeError, "expected a 1-D array, a list of arrays"),
        ({"horizon": 0}, np.arange(1.0, 61.0), ValueError, "`horizon` must be positive, got 0"),
        ({"lookbacks": 0}, np.arange(1.0, 61.0), ValueError, "`lookbacks` must be positive, got 0"),
        ({"lr": -1}, np.arange(1.0, 61.0), ValueError, "`lr` must be a positive number"),
        ({"combine": 2}, np.arange(1.0, 61.0), ValueError, "`combine` must be"),
        ({"loss": "mse"}, np.arange(1.0, 61.0), ValueError, "`loss` must be 'smape', 'mape' or 'both'"),
        ({"refit": "yes"}, np.arange(1.0, 61.0), ValueError, "`refit` must be"),
    ],
)
def test_bad_input(kwargs, Y, error, message):
    with pytest.raises(error, match=message), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a lone short series is also named in a warning
        Forecaster(**{**FAST, **kwargs}).fit(Y)


def test_bad_dataframes():
    pd = pytest.importorskip("pandas")
    dup = pd.DataFrame({"unique_id": ["a", "a", "a"], "ds": [1, 1, 2], "y": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="row 1 repeats unique_id 'a' at ds 1"):
        Forecaster(**FAST).fit(dup)
    text = pd.DataFrame({"unique_id": ["a", "a"], "ds": [1, 2], "y": ["1.0", "x"]})
    with pytest.raises(ValueError, match=r"row 1 \(unique_id 'a'\) has y = 'x'"):
        Forecaster(**FAST).fit(text)
    with pytest.raises(ValueError, match="needs the columns unique_id, ds, y"):
        Forecaster(**FAST).fit(pd.DataFrame({"id": [1], "y": [1.0]}))


def test_theta_for_many_series_at_once_equals_one_at_a_time():
    from recurrent.forecast import hybrid

    rng = np.random.default_rng(2)
    series = [
        100 * np.exp(np.cumsum(rng.normal(0.01, 0.05, size=n))) * (1 + 0.3 * np.sin(np.arange(n) * np.pi / 2))
        for n in (12, 30, 30, 30, 41)
    ] + [np.abs(rng.normal(size=30)).round()]
    shifts = [0.0] * 5 + [1.5]
    many = hybrid.log_theta_many(series, 5, 4, shifts)
    for s, c, z in zip(series, shifts, many):
        np.testing.assert_allclose(z, hybrid.log_theta(s, 5, 4, c), rtol=0, atol=1e-12)
    assert baselines.seasonal_indices_many(np.stack(series[1:4]), 4).shape == (3, 4)


def test_validation_windows_are_held_out_and_capped():
    from recurrent.forecast.windows import validation_split as _validation_split

    n = np.array([40, 10, 3])
    limit, (idx, ends) = _validation_split(n, 4)  # few series: up to 4 latest windows each
    assert list(limit) == [33, 3, 0]
    assert list(idx) == [0] * 4 + [1] * 4 and list(ends[:4]) == [32, 33, 34, 35]
    assert all(e + 4 <= nn - 1 for e, nn in zip(ends, n[idx]))  # every target inside the series
    n = np.full(20_000, 50)
    limit, (idx, ends) = _validation_split(n, 6, seed=0)
    assert len(idx) == 5000 and np.all(ends == 43) and np.all(limit == 44)


def test_long_windows_are_read_in_patches_of_at_most_twelve_steps(tmp_path):
    Y = panel(n=6, length=60)
    f = Forecaster(horizon=8, season=4, lookbacks=[10, 30], **FAST, seed=0).fit(Y)
    # 10 values: one a step, 10 steps; 30 values: 3 a step, 10 steps
    assert f.patches_ == [1, 3] and f.lookbacks_ == [10, 30]
    first = [net.layers[0] for _, net in f.networks_]
    assert isinstance(first[0], recurrent.LSTM) and repr(first[1]) == "Patches(3)"
    assert f.networks_[1][1].layers[1].input_size == 6  # 3 values and 3 padding flags a step
    g = Forecaster(horizon=8, season=4, lookbacks=[26], **FAST, seed=0).fit(Y)
    assert g.patches_ == [3] and g.lookbacks_ == [27]  # rounded up to whole patches
    one = Forecaster(horizon=8, season=4, lookbacks=[30], patch=1, **FAST, seed=0).fit(Y)
    assert one.patches_ == [1] and isinstance(one.networks_[0][1].layers[0], recurrent.LSTM)
    f.save(tmp_path / "f.safetensors")
    back = recurrent.load(tmp_path / "f.safetensors")
    assert back.patches_ == [1, 3] and back.lookbacks_ == [10, 30]
    for k in Y:
        np.testing.assert_array_equal(back.predict()[k], f.predict()[k])
    with pytest.raises(ValueError, match="`patch` must be positive, got 0"):
        Forecaster(patch=0).fit(Y)


def test_only_constant_or_short_series_all_get_the_naive_forecast(tmp_path):
    with (
        pytest.warns(UserWarning, match="no series can train the networks"),
        pytest.warns(UserWarning, match="1 series shorter than min_length=3 get the naive forecast: 'short'"),
    ):
        f = Forecaster(horizon=3, **FAST, seed=0).fit({"flat": np.full(30, 5.0), "short": [1.0, 2.0]})
    fc = f.predict()
    np.testing.assert_array_equal(fc["flat"], [5.0] * 3)
    np.testing.assert_array_equal(fc["short"], [2.0] * 3)
    assert f.methods_ == {"flat": "naive (a constant series)", "short": "naive (2 values; the networks need 3)"}
    np.testing.assert_array_equal(f.predict([1.0, 4.0, 2.0, 8.0]), [8.0] * 3)
    assert f.methods_of([1.0, 4.0, 2.0, 8.0]) == {0: "naive (no series could train the networks)"}
    f.save(tmp_path / "f.safetensors")
    np.testing.assert_array_equal(recurrent.load(tmp_path / "f.safetensors").predict()["flat"], [5.0] * 3)


def test_a_mase_scale_made_by_one_jump_is_named():
    from recurrent.forecast.metrics import scale_dominated

    calm = 100 + np.sin(np.arange(60))
    jumpy = calm.copy()
    jumpy[10] = 1e9
    assert not scale_dominated(calm, 1) and scale_dominated(jumpy, 1)
    assert not scale_dominated(np.full(10, 3.0), 1)  # no scale at all is another case
    r = Forecaster(horizon=4, **FAST, seed=0).evaluate({"calm": calm, "jumpy": jumpy}, holdout=4)
    (note,) = r["notes"]
    assert note.startswith("MASE of 1 series rests on a few jumps") and note.endswith("'jumpy'")
    assert r["per_series"][1]["model"]["mase"] < 1e-6  # what the note warns about


def test_forecasting_past_the_fitted_horizon_says_so():
    f = Forecaster(horizon=4, **FAST, seed=0).fit(np.arange(1.0, 40.0))
    with pytest.warns(UserWarning, match="horizon 9 is past the fitted horizon 4; each further 4 steps"):
        assert len(f.predict(9)) == 9
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(f.predict(4)) == 4


def test_a_long_series_gets_its_period_not_one_less():
    """Multiples of 23 lie within a lag or so of multiples of 24 for a long way: the period must be 24."""
    rng = np.random.default_rng(2)
    n = 200_000
    t = np.arange(n)
    walk = np.cumsum(rng.normal(0, 0.002, size=n))
    walk -= np.linspace(0, walk[-1], n)
    y = 100 * np.exp(0.5 * t / n + walk) * (1 + 0.15 * np.sin(2 * np.pi * t / 24)) * np.exp(rng.normal(0, 0.02, n))
    assert detect_season(y) == 24


def leading_panel(n_series=30, n=80, seed=0):
    """Sales lifted 50% the step after a promotion is announced: the covariate leads the series."""
    rng = np.random.default_rng(seed)
    Y, C = {}, {}
    for k in range(n_series):
        promo = (rng.random(n) < 0.3).astype(float)
        lift = np.concatenate([[0.0], promo[:-1]])
        Y[f"s{k}"] = 100 * (k + 1) * np.exp(0.03 * rng.normal(size=n)) * (1 + 0.5 * lift)
        C[f"s{k}"] = promo
    return Y, C


def test_covariates_known_up_to_the_end_are_learnt_from():
    Y, C = leading_panel()
    kw = dict(FAST, max_steps=400, horizon=1, season=1, seed=0)
    without = Forecaster(**kw).evaluate(Y, holdout=1)["metrics"]["model"]["smape"]
    with_ = Forecaster(**kw).evaluate(Y, holdout=1, covariates=C)["metrics"]["model"]["smape"]
    assert with_ < 0.5 * without, (with_, without)


def test_covariates_in_every_container_and_through_save_load(tmp_path):
    Y, C = leading_panel(n_series=6, n=40)
    f = Forecaster(horizon=2, season=1, **FAST, seed=0).fit(Y, covariates=C)
    assert f.n_covariates_ == 1 and f.networks_[0][1].layers[0].input_size == 3
    fc = f.predict()
    ids = list(Y)
    lst = Forecaster(horizon=2, season=1, **FAST, seed=0).fit([Y[k] for k in ids], covariates=[C[k] for k in ids])
    np.testing.assert_array_equal(lst.predict()[2], fc["s2"])
    new = f.predict({"n": Y["s1"][:30]}, covariates={"n": np.column_stack([C["s1"][:30]])})
    assert new["n"].shape == (2,)
    with pytest.raises(ValueError, match="fitted with 1 covariates; pass the new series' covariates too"):
        f.predict({"n": Y["s1"][:30]})
    with pytest.raises(ValueError, match=r"expected covariates of series 'n' of shape \(30, K\)"):
        f.predict({"n": Y["s1"][:30]}, covariates={"n": C["s1"][:29]})
    with pytest.raises(ValueError, match="fitted with 1 covariates, got 2"):
        f.predict({"n": Y["s1"][:30]}, covariates={"n": np.ones((30, 2))})
    with pytest.raises(ValueError, match="covariates go with new series"):
        f.predict(covariates=C)
    with pytest.raises(ValueError, match="missing 's5'"):
        Forecaster(**FAST).fit(Y, covariates={k: C[k] for k in ids[:5]})
    f.save(tmp_path / "f.safetensors")
    back = recurrent.load(tmp_path / "f.safetensors")
    np.testing.assert_array_equal(back.predict()["s3"], fc["s3"])
    np.testing.assert_array_equal(back.predict({"n": Y["s1"][:30]}, covariates={"n": C["s1"][:30]})["n"], new["n"])
    with pytest.warns(UserWarning, match="past the fitted horizon"):
        assert len(f.predict(5)["s0"]) == 5  # iterated: covariates held at their last value


def test_covariates_from_dataframe_columns_and_in_backtests(monkeypatch):
    pd = pytest.importorskip("pandas")
    Y, C = leading_panel(n_series=4, n=30)
    frame = pd.DataFrame(
        [(k, t, Y[k][t], C[k][t]) for k in Y for t in range(30)], columns=["unique_id", "ds", "y", "promo"]
    )
    f = Forecaster(horizon=2, season=1, **FAST, seed=0).fit(frame, covariates=["promo"])
    g = Forecaster(horizon=2, season=1, **FAST, seed=0).fit(Y, covariates=C)
    np.testing.assert_array_equal(f.predict()["recurrent"].to_numpy()[:2], g.predict()["s0"])
    with pytest.raises(ValueError, match="covariate column 'price' is not in the DataFrame"):
        Forecaster(**FAST).fit(frame, covariates=["price"])
    seen = []
    real = Forecaster.fit
    monkeypatch.setattr(
        Forecaster,
        "fit",
        lambda self, Y, covariates=None, **kw: seen.append(covariates) or real(self, Y, covariates, **kw),
    )
    r = Forecaster(horizon=2, season=1, **FAST, seed=0).cross_validation(Y, n_windows=2, covariates=C)
    assert [len(c["s0"]) for c in seen] == r["cutoffs"]["s0"] == [26, 28]
    np.testing.assert_array_equal(seen[1]["s2"][:, 0], C["s2"][:28])


def test_the_scikit_learn_contract_holds():
    from sklearn.base import clone

    f = Forecaster(horizon=3, hidden_size=8, seed=4, scheduler=None)
    g = clone(f)
    assert g is not f and g.get_params() == f.get_params() and g.get_params(deep=False) == f.get_params()
    assert g.set_params(hidden_size=16, lr=0.01) is g and g.hidden_size == 16 and f.hidden_size == 8
    with pytest.raises(ValueError, match="no setting 'hiden_size'"):
        g.set_params(hiden_size=3)
    fitted = Forecaster(horizon=3, **FAST, seed=0).fit(np.sin(np.arange(40) / 3) + 5)
    before = dict(vars(fitted))
    fitted.predict()
    fitted.predict(np.arange(1.0, 30.0), level=[80])
    assert set(vars(fitted)) == set(before) and all(vars(fitted)[k] is before[k] for k in before)
    assert not hasattr(clone(fitted), "networks_")


def test_bounds_respect_the_data_and_constant_series_get_zero_width_bands():
    rng = np.random.default_rng(0)
    sales = {f"s{k}": np.where(rng.random(60) < 0.4, 0.0, rng.poisson(3, 60).astype(float)) for k in range(4)}
    f = Forecaster(horizon=6, **FAST, seed=0).fit(sales)
    out = f.predict(level=[80, 95], quantiles=[0.05])
    for d in out.values():
        assert all(np.all(v >= 0) for v in d.values())
    flat = Forecaster(horizon=4, **FAST, seed=0)
    with pytest.warns(UserWarning):
        flat.fit(np.zeros(176))
    got = flat.predict(level=[80])
    assert np.array_equal(got["lo-80"], np.zeros(4)) and np.array_equal(got["hi-80"], got["forecast"])


def test_utilsforecast_evaluates_and_plots_our_output_unchanged(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("matplotlib")
    from utilsforecast.evaluation import evaluate
    from utilsforecast.losses import coverage, mae, smape
    from utilsforecast.plotting import plot_series

    rng = np.random.default_rng(0)
    dates = pd.date_range("2000-01-01", periods=48, freq="MS")
    frame = pd.DataFrame(
        [(f"s{k}", d, 50 + 10 * np.sin(t / 2) + rng.normal()) for k in range(3) for t, d in enumerate(dates)],
        columns=["unique_id", "ds", "y"],
    )
    train, test = frame[frame.ds < dates[-6]], frame[frame.ds >= dates[-6]]
    f = Forecaster(horizon=6, **FAST, seed=0).fit(train)
    fc = f.predict(level=[80])
    assert list(fc.columns) == ["unique_id", "ds", "recurrent", "recurrent-lo-80", "recurrent-hi-80"]
    scored = evaluate(fc.merge(test, on=["unique_id", "ds"]), metrics=[mae, smape, coverage], level=[80])
    assert set(scored["metric"]) >= {"mae", "smape", "coverage_level80"} and scored["recurrent"].notna().all()
    fig = plot_series(train, fc, level=[80], engine="matplotlib")
    fig.savefig(tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 1000
    cv = Forecaster(horizon=6, **FAST, seed=0).cross_validation(train, n_windows=2, level=[80])["forecasts"]
    by_window = evaluate(cv, metrics=[mae], models=["recurrent", "naive"])
    assert len(by_window) == 3 * 2 and by_window["recurrent"].notna().all()
    path = tmp_path / "fc.csv"
    from recurrent.cli import main

    csv = tmp_path / "in.csv"
    frame.assign(ds=frame.ds.dt.strftime("%Y-%m-%d")).to_csv(csv, index=False)
    argv = ["forecast", str(csv), "--id-column", "unique_id", "--holdout", "6", "-o", str(path), "--quiet"]
    assert main([*argv, "--models", "1", "--steps", "30"]) == 0
    out = pd.read_csv(path, parse_dates=["ds"])
    assert list(out.columns) == ["unique_id", "ds", "recurrent", "y"]
    assert evaluate(out, metrics=[mae])["recurrent"].notna().all()


@pytest.mark.parametrize("library", ["polars", "arrow"])
def test_polars_and_arrow_frames_in_and_the_same_kind_out_with_their_own_column_names(library, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    dates = pd.date_range("2001-01-01", periods=30, freq="MS")
    base = pd.DataFrame(
        [(f"s{k}", d, 20 + k + np.sin(t / 2)) for k in range(3) for t, d in enumerate(dates)],
        columns=["store", "month", "sales"],
    )
    if library == "polars":
        pl = pytest.importorskip("polars")
        frame = pl.from_pandas(base)
    else:
        import pyarrow as pa

        frame = pa.Table.from_pandas(base, preserve_index=False)
    names = dict(id_col="store", time_col="month", target_col="sales")
    f = Forecaster(horizon=3, **FAST, seed=0).fit(frame, **names)
    out = f.predict(level=[80])
    assert type(out).__module__.split(".")[0] == ("polars" if library == "polars" else "pyarrow")

    def names_of(t):
        return list(t.column_names) if library == "arrow" else list(t.columns)

    assert names_of(out) == ["store", "month", "recurrent", "recurrent-lo-80", "recurrent-hi-80"]
    want = Forecaster(horizon=3, **FAST, seed=0).fit(
        base.rename(columns={"store": "unique_id", "month": "ds", "sales": "y"})
    )
    np.testing.assert_array_equal(np.asarray(out["recurrent"]), want.predict()["recurrent"].to_numpy())
    assert str(np.asarray(out["month"])[0])[:10] == "2003-07-01"
    cv = Forecaster(horizon=3, **FAST, seed=0).cross_validation(frame, n_windows=2, **names)["forecasts"]
    assert names_of(cv)[:5] == ["store", "cutoff", "month", "sales", "recurrent"]
    f.save(tmp_path / "f.safetensors")
    back = recurrent.load(tmp_path / "f.safetensors").predict()
    assert type(back).__module__.split(".")[0] == type(out).__module__.split(".")[0]


def test_in_sample_fitted_values_are_what_predict_gives_from_each_origin():
    pd = pytest.importorskip("pandas")
    y = 10 + np.sin(np.arange(40) / 3) + np.arange(40) / 10
    f = Forecaster(horizon=3, **FAST, seed=0).fit(y)
    got = f.predict_insample()
    assert np.all(np.isnan(got["fitted"][:3])) and np.all(np.isfinite(got["fitted"][3:]))
    for t in (3, 17, 39):
        # float32 networks: one origin alone or many in a batch round alike to 1e-6
        assert got["fitted"][t] == pytest.approx(f.predict(y[:t], horizon=1)[0], rel=1e-6)
    np.testing.assert_array_equal(got["residuals"], y - got["fitted"])
    sparse = f.predict_insample(step_size=5)["fitted"]
    assert np.isfinite(sparse[[3, 8, 13]]).all() and np.isnan(sparse[[4, 9]]).all()
    frame = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000-01-01", periods=40, freq="MS"), "y": y})
    g = Forecaster(horizon=3, **FAST, seed=0).fit(frame)
    df = g.predict_insample()
    assert list(df.columns) == ["unique_id", "ds", "y", "recurrent"] and len(df) == 40
    np.testing.assert_allclose(df["recurrent"].to_numpy()[3:], g.predict_insample(y)["fitted"][3:], rtol=1e-6)
