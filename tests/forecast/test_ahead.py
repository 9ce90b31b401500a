"""Known-ahead covariates, calendar features, holidays and static features (recurrent.forecast.ahead, exog,
network): the lift they carry is learnt, the future of y is never read, they survive save/load, and every bad
input is named."""

import importlib.util

import numpy as np
import pandas as pd
import pytest

import recurrent
from recurrent.forecast import ahead
from recurrent.forecast.windows import Panel, gather

needs_holidays = pytest.mark.skipif(
    importlib.util.find_spec("holidays") is None, reason="the holidays extra (pip install holidays)"
)
FAST = dict(horizon=6, seed=0, progress=False, max_steps=300, n_models=1, eval_every=50)


def promo_panel(n=30, T=72, H=6, lift=0.5, seed=0):
    """Monthly series whose values rise by ``lift`` in their promotion months: (Y, promo) over T + H values."""
    rng = np.random.default_rng(seed)
    t = np.arange(T + H)
    Y, P = {}, {}
    for i in range(n):
        promo = (rng.random(T + H) < 0.2).astype(float)
        base = 100 * (1 + 0.3 * np.sin(2 * np.pi * t / 12 + i))
        Y[f"s{i}"] = base * (1 + lift * promo) * np.exp(rng.normal(0, 0.02, T + H))
        P[f"s{i}"] = promo
    return Y, P


def smape(a, b):
    return float(np.mean(200 * np.abs(a - b) / (np.abs(a) + np.abs(b))))


@pytest.fixture(scope="module")
def promo_fit():
    Y, P = promo_panel()
    train = {k: v[:72] for k, v in Y.items()}
    f = recurrent.Forecaster(**FAST).fit(train, future_covariates={k: p[:72, None] for k, p in P.items()})
    return f, Y, P


def test_a_known_ahead_promotion_is_learnt(promo_fit):
    """sales = base x 1.5 in promotion months: with the promotions known ahead the error is under half of the
    error without them, and switching one step's promotion on multiplies that step by about 1.5."""
    f, Y, P = promo_fit
    train = {k: v[:72] for k, v in Y.items()}
    with_fc = f.predict(futr_df={k: p[72:, None] for k, p in P.items()})
    without = recurrent.Forecaster(**FAST).fit(train).predict()
    e_with = np.mean([smape(Y[k][72:], with_fc[k]) for k in Y])
    e_without = np.mean([smape(Y[k][72:], without[k]) for k in Y])
    assert e_with < 0.5 * e_without, (e_with, e_without)
    off = {k: np.zeros((6, 1)) for k in P}
    on = {k: np.eye(6)[:, 2:3] for k in P}  # a promotion in step 3 only
    a, b = f.predict(futr_df=off), f.predict(futr_df=on)
    ratio = np.median([b[k][2] / a[k][2] for k in P])
    assert 1.35 < ratio < 1.65, ratio
    assert np.median([abs(b[k][0] / a[k][0] - 1) for k in P]) < 0.08  # the other steps hardly move


def test_windows_never_read_the_future_of_y():
    """The packed window reads y up to its end only: y's values after it changed to anything leave x as it was,
    and the known-ahead rows hold the covariates of exactly the H steps after the end."""
    rng = np.random.default_rng(1)
    y = np.exp(rng.normal(size=40))
    cov = rng.normal(size=(40, 2))
    pn = Panel([y], [cov], n_future=1)
    z = np.log(y)
    x, _, _, _ = gather(z, pn, [0], [29], 12, 4)
    z2 = z.copy()
    z2[30:] = 1e6
    x2, _, _, _ = gather(z2, pn, [0], [29], 12, 4)
    np.testing.assert_array_equal(x, x2)
    assert x.shape == (1, 16, 4)
    np.testing.assert_allclose(x[0, 12:, 0], cov[30:34, 1], rtol=1e-6)  # the known-ahead column at steps 30..33
    np.testing.assert_array_equal(x[0, 12:, 1:], 0)


def test_the_future_readout_has_exact_gradients():
    """The summed network's gradients equal central differences in float64."""
    from recurrent.forecast.network import ForecastNet
    from recurrent.forecast.training import build_network

    rng = np.random.default_rng(2)
    net = ForecastNet.build(build_network("lstm", 4, 3, 1, 2, 0, 2), 4, 2, 2, 0).astype(np.float64)
    for p in net.params.values():
        p[...] = rng.normal(0, 0.5, p.shape)
    x = rng.normal(size=(3, 6, 4))
    out, cache = net.forward(x)
    dy = rng.normal(size=out.shape)
    _, grads = net.backward(dy, cache)
    for name in ("future.weight", "future.bias", "1.weight_hh_l0", "3.bias"):
        p = net.params[name]
        for idx in [(0,) * p.ndim, tuple(s - 1 for s in p.shape)]:
            keep = p[idx]
            p[idx] = keep + 1e-6
            up = float((net.forward(x)[0] * dy).sum())
            p[idx] = keep - 1e-6
            down = float((net.forward(x)[0] * dy).sum())
            p[idx] = keep
            assert abs((up - down) / 2e-6 - grads[name][idx]) < 1e-7, name


def test_save_and_load_keep_the_covariates_and_their_readout(promo_fit, tmp_path):
    f, _, P = promo_fit
    fut = {k: p[72:, None] for k, p in P.items()}
    f.save(tmp_path / "f.safetensors")
    back = recurrent.load(tmp_path / "f.safetensors")
    assert back.future_names_ == f.future_names_ and back.n_future_ == 1
    a, b = f.predict(futr_df=fut), back.predict(futr_df=fut)
    for k in a:
        np.testing.assert_allclose(b[k], a[k], rtol=1e-6)


def frame_panel(n=6, T=48, seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        ds = pd.date_range("2019-01-01", periods=T + 6, freq="MS")
        price = 10 + rng.normal(0, 1, T + 6)
        y = 200 * np.exp(-0.1 * (price - 10)) * (1 + 0.2 * np.sin(np.arange(T + 6))) + rng.normal(0, 1, T + 6)
        kind = "store" if i % 2 else "warehouse"
        rows += [{"unique_id": f"u{i}", "ds": d, "y": v, "price": p, "kind": kind} for d, v, p in zip(ds, y, price)]
    df = pd.DataFrame(rows)
    train = df.groupby("unique_id").head(T).reset_index(drop=True)
    futr = df.groupby("unique_id").tail(6)[["unique_id", "ds", "price"]].reset_index(drop=True)
    static = df.drop_duplicates("unique_id")[["unique_id", "kind"]].reset_index(drop=True)
    static["size"] = np.arange(len(static), dtype=float)
    return train, futr, static


@pytest.fixture(scope="module")
def frame_fit():
    if importlib.util.find_spec("holidays") is None:
        pytest.skip("the holidays extra (pip install holidays)")
    train, futr, static = frame_panel()
    f = recurrent.Forecaster(**{**FAST, "max_steps": 100}, calendar=["month", "weekofyear"], holidays="US")
    f.fit(train, future_covariates=["price"], static_df=static)
    return f, train, futr, static


def test_frames_with_calendar_holidays_and_static_features(frame_fit, tmp_path):
    f, train, futr, static = frame_fit
    assert f.cov_names_[:3] == ["kind=store", "kind=warehouse", "size"]
    assert f.future_names_ == ["price"] and f.cov_names_[-1] == "holidays" and "month=12" in f.cov_names_
    assert f.n_future_ == 1 + 12 + 2 + 1
    out = f.predict(futr_df=futr)
    assert list(out.columns) == ["unique_id", "ds", "recurrent"] and len(out) == 6 * 6
    f.save(tmp_path / "f.safetensors")
    back = recurrent.load(tmp_path / "f.safetensors")
    pd.testing.assert_frame_equal(back.predict(futr_df=futr), out, rtol=1e-6)
    new = train.assign(unique_id=train["unique_id"] + "-new")  # unseen series: their own static rows and futr_df
    got = f.predict(new, futr_df=futr.assign(unique_id=futr["unique_id"] + "-new"),
                    static_df=static.assign(unique_id=static["unique_id"] + "-new"))  # fmt: skip
    np.testing.assert_allclose(got["recurrent"].to_numpy(), out["recurrent"].to_numpy(), rtol=1e-5)


@needs_holidays
def test_calendar_features_and_holiday_counts():
    ds = pd.date_range("2024-01-01", periods=12, freq="MS")
    cols = ahead.calendar_features(ds, ("month", "quarter"), "US", "MS")
    names = ahead.calendar_names(("month", "quarter"), "US")
    assert cols.shape == (12, 12 + 4 + 1) and names[0] == "month=1" and names[12] == "quarter=1"
    np.testing.assert_array_equal(cols[:, :12], np.eye(12))
    # US federal holidays 2024: Jan 1 and 15, Feb 19, May 27, Jun 19, Jul 4, Sep 2, Oct 14, Nov 11 and 28, Dec 25
    np.testing.assert_array_equal(cols[:, -1], [2, 1, 0, 0, 1, 1, 1, 0, 1, 1, 2, 1])
    daily = pd.date_range("2024-07-03", periods=3, freq="D")
    np.testing.assert_array_equal(ahead.calendar_features(daily, (), "US", "D")[:, 0], [0, 1, 0])
    dow = ahead.calendar_features(pd.date_range("2024-01-01", periods=7, freq="D"), ("dayofweek",), None, "D")
    np.testing.assert_array_equal(dow, np.eye(7))  # 2024-01-01 was a Monday: dayofweek=0


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda fu: fu[fu["unique_id"] != "u1"], "futr_df has no rows for series 'u1'"),
        (lambda fu: fu.drop(index=fu.index[(fu["unique_id"] == "u2")][3]), "no row for series 'u2' at ds .*step 4"),
        (lambda fu: fu.drop(columns="price"), "futr_df has no column 'price'"),
        (lambda fu: fu.assign(price=np.where(fu.index == 7, np.nan, fu["price"])), "futr_df has price = nan"),
        (lambda fu: fu.assign(ds=fu["ds"] + pd.DateOffset(months=1)), "must start right after the series' last date"),
        (lambda fu: None, "fitted with 1 known-ahead covariates .*futr_df="),
    ],
)
def test_bad_future_frames_are_named(frame_fit, change, message):
    f, _, futr, _ = frame_fit
    with pytest.raises(ValueError, match=message):
        f.predict(futr_df=change(futr.copy()))


def test_bad_static_and_covariate_inputs_are_named(frame_fit):
    f, train, futr, static = frame_fit
    new = train.assign(unique_id=train["unique_id"] + "-n")
    fut = futr.assign(unique_id=futr["unique_id"] + "-n")
    st = static.assign(unique_id=static["unique_id"] + "-n")
    with pytest.raises(ValueError, match="has no row for series 'u0-n'"):
        f.predict(new, futr_df=fut, static_df=st.iloc[1:])
    with pytest.raises(ValueError, match="two rows for series 'u0-n'"):
        f.predict(new, futr_df=fut, static_df=pd.concat([st, st.iloc[:1]]))
    with pytest.raises(ValueError, match="fitted with static features; pass static_df"):
        f.predict(new, futr_df=fut)
    with pytest.warns(UserWarning, match="'kind' of series 'u0-n' has the level 'depot', unseen at fit"):
        f.predict(new, futr_df=fut, static_df=st.assign(kind=np.where(st.index == 0, "depot", st["kind"])))
    with pytest.raises(ValueError, match="`calendar` names a feature twice|unknown calendar feature 'week'"):
        recurrent.Forecaster(calendar=["week"]).fit(train)
    with pytest.raises(ValueError, match="calendar features and holidays need dates"):
        recurrent.Forecaster(calendar=["month"], **FAST).fit(np.arange(40.0) + 1)
    with pytest.raises(ValueError, match="named both as a covariate and as a known-ahead one"):
        recurrent.Forecaster(**FAST).fit(train, covariates=["price"], future_covariates=["price"])


def test_array_containers_check_the_future_shapes(promo_fit):
    f, _, P = promo_fit
    with pytest.raises(ValueError, match=r"expected futr_df of series 's0' of shape \(6, K\)"):
        f.predict(futr_df={k: p[72:75, None] for k, p in P.items()})
    with pytest.raises(ValueError, match="futr_df has 2 columns, expected 1"):
        f.predict(futr_df={k: np.zeros((6, 2)) for k in P})
    with pytest.raises(ValueError, match="futr_df is for a forecaster fitted with future_covariates"):
        recurrent.Forecaster(**FAST).fit(np.arange(40.0) + 1).predict(futr_df=np.zeros((6, 1)))
    with pytest.warns(UserWarning, match="past the fitted horizon 6"):
        longer = f.predict(horizon=9, futr_df={k: np.zeros((9, 1)) for k in P})  # iterated past H with them
    assert len(longer["s0"]) == 9


def test_backtests_cut_the_known_ahead_covariates_and_never_read_y_ahead(promo_fit):
    """cross_validation and evaluate give each window the promotions of its own forecast steps: with them the
    error is below the error without; y after each cutoff is never read (changing it leaves the forecasts)."""
    _, Y, P = promo_fit
    small = {k: Y[k] for k in list(Y)[:12]}
    fut = {k: P[k][:, None] for k in small}
    f = recurrent.Forecaster(**{**FAST, "max_steps": 150})
    cv = f.cross_validation(small, n_windows=2, future_covariates=fut)
    plain = recurrent.Forecaster(**{**FAST, "max_steps": 150}).cross_validation(small, n_windows=2)
    assert cv["metrics"]["model"]["smape"] < plain["metrics"]["model"]["smape"]
    changed = {k: np.concatenate([v[:72], v[72:] * 3]) for k, v in small.items()}  # after the cutoff (72)
    cv2 = recurrent.Forecaster(**{**FAST, "max_steps": 150}).cross_validation(
        changed, n_windows=1, future_covariates=fut
    )
    cv1 = recurrent.Forecaster(**{**FAST, "max_steps": 150}).cross_validation(small, n_windows=1, future_covariates=fut)
    for k in small:
        np.testing.assert_array_equal(cv1["forecasts"][k]["forecast"], cv2["forecasts"][k]["forecast"])
    rep = recurrent.Forecaster(**{**FAST, "max_steps": 150}).evaluate(small, holdout=6, future_covariates=fut)
    assert rep["metrics"]["model"]["smape"] < plain["metrics"]["model"]["smape"] * 1.5


def test_a_backtest_carries_the_calendar_columns_of_its_dates(frame_fit):
    _, train, _, static = frame_fit
    f = recurrent.Forecaster(**{**FAST, "max_steps": 60}, calendar=["month"])
    cv = f.cross_validation(train, n_windows=1, future_covariates=["price"], static_df=static)
    assert f.calendar == ["month"] and len(cv["forecasts"]) == 6 * 6  # the setting is back after the windows
    assert f.n_future_ == 1 + 12 and len(f.cov_names_) == 3 + 1 + 12  # kind (2 levels), size; price; 12 months


def test_onnx_export_carries_the_future_readout(promo_fit, tmp_path):
    """Each exported graph takes x (N, L, F) and future (N, H K) and equals the network on the packed window."""
    ort = pytest.importorskip("onnxruntime")
    import json

    f, _, _ = promo_fit
    folder = f.export_onnx(tmp_path / "onnx")
    desc = json.loads((folder / "forecaster.json").read_text())
    assert desc["known_ahead"] == 1 and desc["covariates"] == f.cov_names_
    rng = np.random.default_rng(5)
    for entry, (L, net) in zip(desc["networks"], f.networks_):
        x = rng.normal(size=(4, L + 6, net.window.layers[-3].input_size // entry["patch"])).astype(np.float32)
        x[:, L:, 1:] = 0
        session = ort.InferenceSession(str(folder / entry["file"]))
        got = session.run(None, {"x": x[:, :L], "future": np.ascontiguousarray(x[:, L:, :1]).reshape(4, 6)})[0]
        np.testing.assert_allclose(got, net.predict(x), rtol=1e-5, atol=1e-5)
