"""Prediction intervals (conformal, per horizon step) and rolling-origin backtests."""

import json
import statistics

import numpy as np
import pytest

import recurrent
from recurrent import Forecaster
from recurrent.cli import main
from recurrent.forecast import intervals, metrics

FAST = dict(hidden_size=8, n_models=1, max_steps=120, eval_every=20, patience=3, progress=False)


def noisy_panel(noise, n=300, length=48, horizon=4, seed=0):
    """Series of a known shape times independent noise: (histories, the next `horizon` values)."""
    rng = np.random.default_rng(seed)
    hist, future = {}, {}
    for k in range(n):
        t = np.arange(length + horizon)
        shape = 10 ** rng.uniform(1, 3) * (1 + 0.3 * np.sin(2 * np.pi * t / 4))
        e = 0.1 * (rng.normal(size=len(t)) if noise == "gaussian" else rng.standard_t(3, size=len(t)) / np.sqrt(3))
        y = shape * np.exp(e)
        hist[f"s{k}"], future[f"s{k}"] = y[:length], y[length:]
    return hist, future


@pytest.mark.parametrize("noise", ["gaussian", "student-t3"])
def test_intervals_cover_what_they_promise_on_fresh_values(noise):
    hist, future = noisy_panel(noise)
    f = Forecaster(horizon=4, season=4, **FAST, seed=0).fit(hist)
    out = f.predict(level=[80, 95])
    actual = np.concatenate([future[k] for k in hist])
    for lv, lo_ok, hi_ok in ((80, 74, 86), (95, 91, 98.5)):  # 1,200 points: about 4 standard errors
        lo = np.concatenate([out[k][f"lo-{lv}"] for k in hist])
        hi = np.concatenate([out[k][f"hi-{lv}"] for k in hist])
        assert lo_ok <= metrics.coverage(actual, lo, hi) <= hi_ok, (noise, lv)
        assert np.all(lo < np.concatenate([out[k]["forecast"] for k in hist]))


def test_uncalibrated_bands_would_fail_that_test():
    """The check above can fail: halving the calibrated widths drops the 80% coverage well below 74%."""
    hist, future = noisy_panel("gaussian")
    f = Forecaster(horizon=4, season=4, **FAST, seed=0).fit(hist)
    f.calibration_ = f.calibration_ / 2
    out = f.predict(level=[80])
    actual = np.concatenate([future[k] for k in hist])
    cov = metrics.coverage(
        actual, np.concatenate([out[k]["lo-80"] for k in hist]), np.concatenate([out[k]["hi-80"] for k in hist])
    )
    assert cov < 60


def test_widths_grow_with_the_horizon_and_quantiles_sit_inside():
    rng = np.random.default_rng(1)
    Y = {f"w{k}": 100 * np.exp(np.cumsum(0.03 * rng.normal(size=60))) for k in range(80)}  # random walks
    f = Forecaster(horizon=6, season=1, **FAST, seed=0).fit(Y)
    out = f.predict(level=[80, 95], quantiles=[0.1, 0.5, 0.9])
    for d in out.values():
        width = np.log(d["hi-95"]) - np.log(d["lo-95"])
        assert np.all(np.diff(width) >= -1e-9)
        assert np.all(d["lo-95"] <= d["lo-80"]) and np.all(d["hi-80"] <= d["hi-95"])
        assert np.all(d["lo-80"] <= d["q0.5"]) and np.all(d["q0.5"] <= d["hi-80"])
    widths = np.array([np.log(d["hi-80"] / d["lo-80"]) for d in out.values()])
    assert widths[:, -1].mean() > 1.5 * widths[:, 0].mean()  # a random walk spreads like sqrt(h)
    assert list(out["w0"]) == ["forecast", "lo-80", "hi-80", "lo-95", "hi-95", "q0.1", "q0.5", "q0.9"]


def test_conformal_quantile_and_pooling():
    table = np.arange(1.0, 201.0)[:, None] * np.ones((1, 3))  # 200 scores a step: per-step quantiles
    qt = intervals.quantile_table(table, [0.1, 0.9])
    np.testing.assert_array_equal(qt[1], [181.0] * 3)  # ceil(201 * 0.9) = 181st
    np.testing.assert_array_equal(qt[0], [20.0] * 3)  # floor(201 * 0.1) = 20th
    few = np.array([[1.0, 2.0], [-1.0, -2.0], [0.5, 1.0], [-0.5, -1.0]])  # 4 a step: one shape, scaled
    qt = intervals.quantile_table(few, [0.05, 0.95])
    np.testing.assert_allclose(qt[:, 1], 2 * qt[:, 0])


def test_containers_and_save_load_keep_the_intervals(tmp_path):
    pd = pytest.importorskip("pandas")
    hist, _ = noisy_panel("gaussian", n=20)
    f = Forecaster(horizon=4, season=4, **FAST, seed=0).fit(hist)
    d = f.predict(level=[80])
    path = tmp_path / "f.safetensors"
    f.save(path)
    back = recurrent.load(path)
    for k in hist:
        np.testing.assert_array_equal(back.predict(level=[80])[k]["hi-80"], d[k]["hi-80"])
    lst = f.predict(list(hist.values())[:2], level=80)
    assert isinstance(lst, list) and set(lst[0]) == {"forecast", "lo-80", "hi-80"}
    one = f.predict(hist["s0"], level=[95])
    assert isinstance(one, dict) and one["lo-95"].shape == (4,)
    frame = pd.DataFrame(
        [(k, t, v) for k, y in hist.items() for t, v in enumerate(y)], columns=["unique_id", "ds", "y"]
    )
    df = f.predict(frame, level=[80, 95])
    assert list(df.columns) == [
        "unique_id",
        "ds",
        "recurrent",
        "recurrent-lo-80",
        "recurrent-hi-80",
        "recurrent-lo-95",
        "recurrent-hi-95",
    ]
    np.testing.assert_allclose(df[df.unique_id == "s3"]["recurrent-hi-80"].to_numpy(), d["s3"]["hi-80"])
    f.calibration_ = None  # as a file saved before intervals
    f.save(tmp_path / "old.safetensors")
    with pytest.raises(ValueError, match="holds no interval calibration"):
        recurrent.load(tmp_path / "old.safetensors").predict(level=[80])


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(level=[0]), "`level` must hold numbers strictly between 0 and 100"),
        (dict(level=[100]), "`level` must hold numbers strictly between 0 and 100"),
        (dict(level=["80"]), "`level` must hold numbers"),
        (dict(quantiles=[1.0]), "`quantiles` must hold numbers strictly between 0 and 1"),
        (dict(quantiles=[-0.1]), "`quantiles` must hold numbers strictly between 0 and 1"),
    ],
)
def test_bad_levels_and_quantiles(kwargs, message):
    hist, _ = noisy_panel("gaussian", n=5)
    f = Forecaster(horizon=4, season=4, **FAST, seed=0).fit(hist)
    with pytest.raises(ValueError, match=message):
        f.predict(**kwargs)


# ---- backtests ---------------------------------------------------------------------------------


def test_backtest_windows_never_see_their_own_future(monkeypatch):
    hist, _ = noisy_panel("gaussian", n=6, length=40)
    hist["short"] = hist.pop("s5")[:25]
    seen = []
    real_fit = Forecaster.fit

    def spy(self, Y, covariates=None):
        seen.append({k: v.copy() for k, v in Y.items()})
        return real_fit(self, Y, covariates)

    monkeypatch.setattr(Forecaster, "fit", spy)
    f = Forecaster(horizon=4, season=4, **FAST, seed=0)
    r = f.cross_validation(hist, n_windows=3, step=2, level=[80], quantiles=[0.5])
    assert r["cutoffs"]["s0"] == [32, 34, 36] and r["cutoffs"]["short"] == [17, 19, 21]
    assert len(seen) == 3
    for w, fitted in enumerate(seen):
        for k, y in hist.items():
            cut = r["cutoffs"][k][w]
            np.testing.assert_array_equal(fitted[k], y[:cut])  # nothing at or past the origin
            np.testing.assert_array_equal(r["forecasts"][k]["actual"][w], y[cut : cut + 4])
    assert r["forecasts"]["s0"]["forecast"].shape == (3, 4)
    assert set(r["windows"][0]["metrics"]) == {"model", "naive", "seasonal_naive", "naive2"}
    model = r["metrics"]["model"]
    assert {"smape", "mase", "rmse", "coverage-80", "msis-80", "pinball-0.5"} <= set(model)
    naive = r["forecasts"]["s1"]["naive"][1]
    np.testing.assert_array_equal(naive, [hist["s1"][33]] * 4)  # the baseline on the same window
    expected = np.mean(
        [
            metrics.smape(r["forecasts"][k]["actual"][w], r["forecasts"][k]["forecast"][w])
            for k in hist
            for w in range(3)
        ]
    )
    assert model["smape"] == pytest.approx(expected)


def test_backtest_without_refit_fits_once():
    hist, _ = noisy_panel("gaussian", n=4, length=40)
    f = Forecaster(horizon=4, season=4, **FAST, seed=0)
    r = f.cross_validation(hist, n_windows=2, refit=False)
    assert r["refit"] is False and len(f.batch_.values[0]) == 32  # fitted on the oldest window only
    g = Forecaster(horizon=4, season=4, **FAST, seed=0).fit({k: v[:32] for k, v in hist.items()})
    np.testing.assert_array_equal(
        r["forecasts"]["s2"]["forecast"][1], g.predict({k: v[:36] for k, v in hist.items()})["s2"]
    )


def test_backtest_bad_input():
    hist, _ = noisy_panel("gaussian", n=3, length=20)
    f = Forecaster(horizon=4, season=4, **FAST, seed=0)
    with pytest.raises(ValueError, match=r"need at least 22 values in each series .*too short: 's0' \(20\)"):
        f.cross_validation(hist, n_windows=5)
    with pytest.raises(ValueError, match="`step` must be positive, got 0"):
        f.cross_validation(hist, n_windows=2, step=0)
    with pytest.raises(ValueError, match="`n_windows` must be positive"):
        f.cross_validation(hist, n_windows=0)


def test_backtest_of_a_dataframe_answers_in_long_format():
    pd = pytest.importorskip("pandas")
    hist, _ = noisy_panel("gaussian", n=3, length=30)
    dates = pd.date_range("2000-01-01", periods=30, freq="QS")
    frame = pd.DataFrame(
        [(k, d, v) for k, y in hist.items() for d, v in zip(dates, y)], columns=["unique_id", "ds", "y"]
    )
    r = Forecaster(horizon=4, **FAST, seed=0).cross_validation(frame, n_windows=2, level=[90])
    df = r["forecasts"]
    assert list(df.columns)[:5] == ["unique_id", "cutoff", "ds", "y", "recurrent"] and "recurrent-lo-90" in df.columns
    assert len(df) == 3 * 2 * 4 and (df["ds"] > df["cutoff"]).all()
    first = df[(df.unique_id == "s0") & (df.cutoff == dates[21])]
    np.testing.assert_array_equal(first["y"].to_numpy(), hist["s0"][22:26])


# ---- command line ------------------------------------------------------------------------------


def _long_file(tmp_path, n=12, length=40):
    hist, _ = noisy_panel("gaussian", n=n, length=length)
    path = tmp_path / "panel.csv"
    path.write_text(
        "unique_id,ds,y\n" + "".join(f"{k},{t},{v:.4f}\n" for k, y in hist.items() for t, v in enumerate(y))
    )
    return path, hist


CLI_FAST = ["--steps", "60", "--models", "1", "--hidden-size", "6", "--quiet"]


def test_cli_forecast_and_predict_with_levels(tmp_path, capsys):
    path, hist = _long_file(tmp_path)
    out, model = tmp_path / "fc.csv", tmp_path / "m.safetensors"
    assert (
        main(
            [
                "forecast",
                str(path),
                "--id-column",
                "unique_id",
                "--horizon",
                "4",
                "--level",
                "80",
                "95",
                "-o",
                str(out),
                "--save",
                str(model),
                "--json",
                *CLI_FAST,
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert set(data["intervals"]["s0"]) == {"lo-80", "hi-80", "lo-95", "hi-95"}
    lines = out.read_text().splitlines()
    assert (
        lines[0] == "unique_id,ds,recurrent,recurrent-lo-80,recurrent-hi-80,recurrent-lo-95,recurrent-hi-95"
        and len(lines) == 1 + 12 * 4
    )
    assert main(["predict", str(model), "--level", "90", *["--horizon", "4"]]) == 0
    text = capsys.readouterr().out
    assert "lo-90" in text and "hi-90" in text
    assert main(["forecast", str(path), "--id-column", "unique_id", "--holdout", "4", "--level", "80", *CLI_FAST]) == 0
    assert "the 80% interval held" in capsys.readouterr().out
    assert main(["forecast", "--level", "0", *CLI_FAST]) == 2
    assert "strictly between 0 and 100" in capsys.readouterr().err


def test_cli_backtest(tmp_path, capsys):
    path, hist = _long_file(tmp_path, n=5)
    out = tmp_path / "bt.csv"
    assert (
        main(
            [
                "backtest",
                str(path),
                "--id-column",
                "unique_id",
                "--horizon",
                "4",
                "--windows",
                "2",
                "--level",
                "80",
                "-o",
                str(out),
                *CLI_FAST,
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "window 1" in text and "window 2" in text and "all windows" in text and "cover 80" in text
    lines = out.read_text().splitlines()
    assert (
        lines[0].startswith("unique_id,cutoff,ds,y,recurrent,recurrent-lo-80,recurrent-hi-80")
        and len(lines) == 1 + 5 * 2 * 4
    )
    assert (
        main(
            [
                "backtest",
                str(path),
                "--id-column",
                "unique_id",
                "--horizon",
                "4",
                "--windows",
                "3",
                "--step",
                "2",
                "--json",
                *CLI_FAST,
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["cutoffs"]["s0"] == [32, 34, 36] and len(data["windows"]) == 3
    assert (
        main(["backtest", str(path), "--id-column", "unique_id", "--horizon", "4", "--windows", "40", *CLI_FAST]) == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "too short" in err[0]


def test_cli_plot_of_many_series_is_a_grid_with_bands(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    import recurrent.plot

    figures = []
    monkeypatch.setattr(recurrent.plot, "save_figure", lambda fig, path: figures.append(fig))
    path, _ = _long_file(tmp_path, n=9)
    assert (
        main(
            [
                "forecast",
                str(path),
                "--id-column",
                "unique_id",
                "--horizon",
                "4",
                "--level",
                "80",
                "95",
                "--plot",
                str(tmp_path / "p.png"),
                "--steps",
                "60",
                "--models",
                "1",
                "--hidden-size",
                "6",
            ]
        )
        == 0
    )
    (fig,) = figures
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == [f"s{k}" for k in range(6)]
    assert fig._suptitle.get_text().endswith("the first 6 of 9 series")
    assert len(shown[0].collections) == 2  # the 80% and the 95% bands
    assert "--plot draws the first 6 of 9 series" in capsys.readouterr().err


def test_interval_scores_and_their_mean_by_hand():
    actual, train = np.array([10.0, 20.0]), np.array([1.0, 2.0, 3.0])  # in-sample naive MAE 1
    row = metrics.interval_scores(actual, {80: (np.array([9.0, 21.0]), np.array([11.0, 22.0]))}, train)
    assert row["coverage-80"] == 50.0  # 20 falls below [21, 22]
    assert row["msis-80"] == pytest.approx((2 + (1 + (2 / 0.2) * 1)) / 2)  # widths 2 and 1, one miss of 1
    agg = metrics.aggregate(
        [
            {**metrics.score(actual, actual, train), **row},
            {**metrics.score(actual, actual, train), "coverage-80": 100.0, "msis-80": np.nan},
        ]
    )
    assert agg["coverage-80"] == 75.0 and agg["msis-80"] == row["msis-80"] and agg["left_out"]["smape"] == 0


def test_the_scaled_crps_by_hand_and_against_the_sample_crps():
    actual, train = np.array([10.0, 14.0]), np.array([1.0, 3.0, 5.0])  # in-sample naive MAE 2
    grid = [round(0.05 * k, 2) for k in range(1, 20)]
    point = {q: np.array([12.0, 12.0]) for q in grid}  # a point forecast: the CRPS is its MAE, here 2
    assert metrics.scaled_crps(actual, point, train) == pytest.approx(2.0 / 2.0)
    assert metrics.mase(actual, point[0.5], train) == pytest.approx(1.0)
    mu, sd = 11.0, 2.0  # a normal forecast: the grid's CRPS tends to the closed form as the grid fills (0, 1)
    z = (actual - mu) / sd
    exact = sd * (z * (2 * np.array([statistics.NormalDist().cdf(v) for v in z]) - 1)
                  + 2 * np.exp(-z**2 / 2) / np.sqrt(2 * np.pi) - 1 / np.sqrt(np.pi))  # fmt: skip
    for n, within in ((19, 0.06), (999, 1e-3)):  # the benchmark's 19 quantiles overstate it by about 5%
        qs = [k / (n + 1) for k in range(1, n + 1)]
        normal = {q: np.full(2, mu + sd * statistics.NormalDist().inv_cdf(q)) for q in qs}
        got = metrics.scaled_crps(actual, normal, train)
        assert exact.mean() / 2.0 <= got <= exact.mean() / 2.0 * (1 + within)
    assert np.isnan(metrics.scaled_crps(actual, point, [5.0, 5.0]))  # no scale: nan


def test_sample_paths_follow_the_calibrated_quantiles_and_the_crps_is_exact():
    """Many paths' empirical quantiles equal predict's quantiles and intervals; the CRPS of samples equals its
    integral form, and a point mass scores its absolute error."""
    from recurrent.forecast.paths import crps

    rng = np.random.default_rng(0)
    t = np.arange(60)
    Y = {k: 100 + 10 * np.sin(2 * np.pi * t / 12 + k) + rng.normal(0, 3, 60) for k in range(8)}
    f = Forecaster(horizon=4, seed=0, progress=False, max_steps=150, n_models=1).fit(Y)
    paths = f.simulate(num_samples=20_000, seed=1)
    q = f.predict(quantiles=[0.1, 0.5, 0.9], level=[80])
    for k in Y:
        assert paths[k].shape == (20_000, 4)
        for p in (0.1, 0.5, 0.9):
            emp = np.quantile(paths[k], p, axis=0)
            np.testing.assert_allclose(emp, q[k][f"q{p:g}"], rtol=0.01)
        inside = np.mean((paths[k] >= q[k]["lo-80"]) & (paths[k] <= q[k]["hi-80"]), axis=0)
        assert np.all(np.abs(inside - 0.8) < 0.02), inside
    assert crps([3.0, 1.0], np.array([[1.0, 1.0]] * 5)) == pytest.approx(1.0)  # point mass: mean |y - x|
    s = rng.normal(size=(4000, 1))
    # N(0,1) against y = 0: CRPS = sigma (sqrt(2) - 1) / sqrt(pi) ... = 0.2337 for the standard normal
    assert crps([0.0], s) == pytest.approx((np.sqrt(2) - 1) / np.sqrt(np.pi), abs=0.02)
    with pytest.raises(ValueError, match="num_samples"):
        f.simulate(num_samples=0)
    one = Forecaster(horizon=2, seed=0, progress=False, max_steps=20, n_models=1).fit(Y[0])
    with pytest.raises(ValueError, match="as a dict of arrays"):  # refused before any forecast is made
        one.simulate()
