"""Forecasting on a Dask cluster (recurrent.forecast.cluster): a LocalCluster of two worker processes."""

import importlib.util
import subprocess
import sys
import warnings

import numpy as np
import pytest

import recurrent

HAVE_DASK = importlib.util.find_spec("distributed") is not None
pytestmark = pytest.mark.skipif(not HAVE_DASK, reason="dask not installed (pip install '.[dask]')")


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def _series(n=24, length=60, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    return {f"s{k}": 50 + 10 * np.sin(2 * np.pi * t / 12 + k) + rng.normal(0, 1, length) for k in range(n)}


@pytest.fixture(scope="module")
def fitted():
    return recurrent.Forecaster(horizon=6, max_steps=60, n_models=1, seed=0, progress=False).fit(_series())


def _close(a, b):
    assert list(a) == list(b)  # the series, in their order
    for k in a:
        for part in ("forecast", "lo-80", "hi-80"):
            np.testing.assert_allclose(b[k][part], a[k][part], rtol=1e-6, err_msg=f"{k} {part}")


def test_predict_partitioned_over_the_workers_equals_one_process(client, fitted):
    alone = fitted.predict(level=[80])
    fitted.scheduler = client
    try:
        spread = fitted.predict(level=[80])
        new = fitted.predict(_series(n=9, seed=1), level=[80])  # series the model never saw
    finally:
        fitted.scheduler = None
    _close(alone, spread)
    _close(fitted.predict(_series(n=9, seed=1), level=[80]), new)
    assert client.run(lambda: 1)  # the workers are still there


def test_evaluate_with_a_scheduler_scores_the_same(client):
    Y = _series(n=12, seed=2)
    one = recurrent.Forecaster(horizon=6, max_steps=40, n_models=1, seed=0, progress=False).evaluate(Y, holdout=6)
    two = recurrent.Forecaster(horizon=6, max_steps=40, n_models=1, seed=0, progress=False, scheduler=client).evaluate(
        Y, holdout=6
    )

    def numbers(d, path=()):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from numbers(v, path + (k,))
            elif isinstance(v, float):
                yield path + (k,), v

    got = dict(numbers(two["metrics"]))
    for key, v in numbers(one["metrics"]):
        assert abs(got[key] - v) <= 1e-6 * max(1, abs(v)), key


def test_the_scheduler_is_not_saved_and_does_not_travel(client, fitted, tmp_path):
    fitted.scheduler = client
    try:
        fitted.save(tmp_path / "f.safetensors")
        assert fitted.__getstate__()["scheduler"] is None
    finally:
        fitted.scheduler = None
    assert recurrent.load(tmp_path / "f.safetensors").scheduler is None


@pytest.mark.slow
def test_an_unreachable_or_malformed_scheduler_is_one_clear_line(tmp_path):
    from recurrent.forecast import cluster as distributed

    with pytest.raises(ValueError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        distributed.client_for("tcp://127.0.0.1:9", timeout=1)
    with pytest.raises(ValueError, match="`scheduler` must be None, 'local:N'"):
        recurrent.Forecaster(scheduler="cluster").fit(np.arange(30.0))
    with pytest.raises(ValueError, match="N >= 1"):
        recurrent.Forecaster(scheduler="local:0").fit(np.arange(30.0))
    for value, words in (("nowhere", "must be None, 'local:N'"), ("tcp://127.0.0.1:9", "cannot reach")):
        out = subprocess.run(
            [sys.executable, "-m", "recurrent", "forecast", "--scheduler", value, "--steps", "5", "--quiet"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert out.returncode == 2 and words in out.stderr, out.stderr[-500:]
        assert out.stderr.strip().count("\n") == 0 and "Traceback" not in out.stderr


def test_a_backtest_forecasts_each_window_on_the_workers_and_scores_the_same(client):
    Y = _series(n=10, length=48, seed=3)
    kw = dict(horizon=6, max_steps=30, n_models=1, seed=0, progress=False)
    one = recurrent.Forecaster(**kw).cross_validation(Y, n_windows=2)
    two = recurrent.Forecaster(**kw, scheduler=client).cross_validation(Y, n_windows=2)
    for name, row in one["metrics"].items():
        for metric, v in row.items():
            if isinstance(v, float):
                assert abs(two["metrics"][name][metric] - v) <= 1e-6 * max(1, abs(v)), (name, metric)


@pytest.mark.slow
def test_a_worker_killed_mid_forecast_loses_nothing(fitted, monkeypatch):
    """One of two workers dies while the partitions are being forecast: Dask reruns its tasks on the
    other (the fitted model was sent to both), and the answer equals the undisturbed one."""
    from recurrent.forecast import cluster as distributed

    monkeypatch.setattr(distributed, "PART_SERIES", 1000)
    Y = _series(n=16000, length=60, seed=4)
    want = fitted.predict(Y)
    cluster, c = _own_cluster()
    try:
        fitted.scheduler = c
        fitted.predict(dict(list(Y.items())[:50]))  # warm both workers
        got = _kill_one_worker_while(c, lambda: fitted.predict(Y))
    finally:
        fitted.scheduler = None
        c.close()
        cluster.close()
    assert list(got) == list(want)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-6)


def test_data_parallel_training_takes_the_same_steps(client):
    """The Forecaster's training loop with each step's gradient shared out over two workers: the
    same weights as one process after 40 steps, to 1e-12 in float64 (float32: to its rounding)."""
    from recurrent.forecast.cluster import spreader
    from recurrent.forecast.training import NetworkSettings, build_network, train_network
    from recurrent.forecast.windows import Panel, log_shift, to_z

    series = list(_series(n=30, length=60, seed=5).values())
    pn = Panel(series, None)
    z = to_z(pn, np.array([log_shift(s) for s in series]))
    st = NetworkSettings(horizon=6, hidden_size=8, batch_size=32, max_steps=40, eval_every=20, patience=5, history=30)
    kw = dict(limit=pn.length, val=None, lookback=24, seed=0, steps=40, patch=2)
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        start = build_network("lstm", pn.n_inputs, 8, 1, 6, 0, 2).astype(dtype)
        one, _ = train_network(z, pn, st, net=start.astype(dtype), **kw)
        two, _ = train_network(z, pn, st, net=start.astype(dtype), spread=spreader(client), **kw)
        for k in one.params:
            np.testing.assert_allclose(two.params[k], one.params[k], rtol=0, atol=tol, err_msg=f"{dtype} {k}")


@pytest.mark.slow
def test_data_parallel_shares_equal_the_same_shares_in_one_process_bit_for_bit(client):
    """With the batch cut into the same fixed shares, summed in the same order, a data-parallel run
    and a one-process run take the very same steps: equal weights bit for bit after 150 steps, in
    float32 and float64, with 3 shares on 2 workers."""
    from recurrent.forecast.cluster import spreader
    from recurrent.forecast.training import NetworkSettings, build_network, train_network
    from recurrent.forecast.windows import Panel, log_shift, to_z

    series = list(_series(n=30, length=60, seed=8).values())
    pn = Panel(series, None)
    z = to_z(pn, np.array([log_shift(s) for s in series]))
    st = NetworkSettings(horizon=6, hidden_size=8, batch_size=32, max_steps=150, eval_every=50, patience=5, history=30)
    kw = dict(limit=pn.length, val=None, lookback=24, seed=0, steps=150, patch=2, shares=3)
    for dtype in (np.float64, np.float32):
        start = build_network("lstm", pn.n_inputs, 8, 1, 6, 0, 2).astype(dtype)
        one, _ = train_network(z, pn, st, net=start.astype(dtype), **kw)
        two, _ = train_network(z, pn, st, net=start.astype(dtype), spread=spreader(client), **kw)
        for k in one.params:
            np.testing.assert_array_equal(two.params[k], one.params[k], err_msg=f"{dtype} {k}")


def test_fit_trains_the_ensembles_networks_on_the_workers_to_the_same_weights(client):
    Y = _series(n=16, length=60, seed=6)
    kw = dict(horizon=6, max_steps=60, n_models=2, seed=0, progress=False)
    one = recurrent.Forecaster(**kw).fit(Y)
    two = recurrent.Forecaster(**kw, scheduler=client).fit(Y)
    assert [L for L, _ in one.networks_] == [L for L, _ in two.networks_] and len(one.networks_) == 6
    for (_, a), (_, b) in zip(one.networks_, two.networks_):
        for k in a.params:
            np.testing.assert_allclose(b.params[k], a.params[k], rtol=0, atol=1e-6, err_msg=k)
    assert [r["best_step"] for r in one.records_] == [r["best_step"] for r in two.records_]
    assert one.weight_ == pytest.approx(two.weight_)


def _kill_one_worker_while(c, work):
    """Run ``work()`` in a thread, SIGKILL one of the two workers as soon as it is running a task of
    it, and return what ``work`` returned."""
    import os
    import signal
    import threading
    import time

    victim = sorted(c.scheduler_info()["workers"])[0]
    pid = c.run(os.getpid)[victim]
    result = {}
    runner = threading.Thread(target=lambda: result.update(out=work()))
    runner.start()
    deadline = time.monotonic() + 60
    while not c.processing().get(victim) and runner.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runner.is_alive() and c.processing().get(victim), "the work ended before a worker could be killed"
    os.kill(pid, signal.SIGKILL)
    runner.join(timeout=300)
    assert victim not in c.scheduler_info()["workers"]  # it died (the nanny starts a new one)
    return result["out"]


def _own_cluster():
    from distributed import Client, LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        return cluster, Client(cluster)


@pytest.mark.slow
def test_a_worker_killed_during_a_fit_gives_the_undisturbed_weights():
    """The ensemble's networks train one task each; one of the two workers dies mid-fit, Dask reruns
    its tasks on the other from the same seed and data, and the fitted weights equal an undisturbed fit's."""
    Y = _series(n=24, length=60, seed=7)
    kw = dict(horizon=6, max_steps=400, n_models=2, seed=0, progress=False)
    want = recurrent.Forecaster(**kw).fit(Y)
    cluster, c = _own_cluster()
    try:
        c.run(lambda: 1)  # both workers up
        got = _kill_one_worker_while(c, lambda: recurrent.Forecaster(**kw, scheduler=c).fit(Y))
    finally:
        c.close()
        cluster.close()
    got.scheduler = None  # its cluster is closed
    assert len(got.networks_) == len(want.networks_) == 6
    for (_, a), (_, b) in zip(want.networks_, got.networks_):
        for k in a.params:
            np.testing.assert_allclose(b.params[k], a.params[k], rtol=0, atol=1e-6, err_msg=k)
    np.testing.assert_allclose(np.stack(list(got.predict().values())), np.stack(list(want.predict().values())))


def test_many_files_are_read_and_forecast_on_the_workers(client, tmp_path):
    """A pattern's files read on the workers equal those read here; predict_files forecasts and writes
    each part on a worker, and its folder equals the one written in this process to float32 rounding."""
    from conftest import read_rows, write_files
    from recurrent.forecast import parts

    paths, Y = write_files(tmp_path / "in", n_files=4, per_file=5)
    here = parts.read_files(paths, {"id_column": "unique_id"})
    there = parts.read_files(paths, {"id_column": "unique_id"}, scheduler=client)
    assert list(there[0]) == list(here[0]) and there[1:] == here[1:]
    for k in here[0]:
        np.testing.assert_array_equal(there[0][k], here[0][k])
    f = recurrent.Forecaster(horizon=6, season=12, max_steps=60, n_models=1, seed=0, progress=False).fit(here[0])
    a = parts.predict_files(f, paths, tmp_path / "a", level=[80], id_column="unique_id")
    f.scheduler = client
    try:
        b = parts.predict_files(f, paths, tmp_path / "b", level=[80], id_column="unique_id")
    finally:
        f.scheduler = None
    assert [p["series"] for p in b["parts"]] == [5, 5, 5, 5] and b["rows"] == a["rows"] == 120
    for pa, pb in zip(a["parts"], b["parts"]):
        ra, rb = read_rows(tmp_path / "a" / pa["file"]), read_rows(tmp_path / "b" / pb["file"])
        assert [r[:2] for r in ra] == [r[:2] for r in rb]
        np.testing.assert_allclose(
            np.array([r[2:] for r in rb[1:]], float), np.array([r[2:] for r in ra[1:]], float), rtol=1e-6
        )


@pytest.mark.slow
def test_a_worker_killed_while_parts_are_written_leaves_the_folder_whole(fitted, tmp_path):
    """Parts written on two workers, one killed midway: its tasks rerun, each part is written whole
    (atomically) and the manifest lists every one with the bytes it holds."""
    import hashlib

    from conftest import write_files
    from recurrent.forecast import parts

    paths, _ = write_files(tmp_path / "in", n_files=12, per_file=300, length=60)
    want = parts.predict_files(fitted, paths, tmp_path / "want", id_column="unique_id")
    cluster, c = _own_cluster()
    try:
        c.run(lambda: 1)
        fitted.scheduler = c
        got = _kill_one_worker_while(
            c, lambda: parts.predict_files(fitted, paths, tmp_path / "got", id_column="unique_id")
        )
    finally:
        fitted.scheduler = None
        c.close()
        cluster.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["got", "in", "want"]  # no partial folder left
    assert [p["series"] for p in got["parts"]] == [p["series"] for p in want["parts"]]
    for p in got["parts"]:
        assert hashlib.sha256((tmp_path / "got" / p["file"]).read_bytes()).hexdigest() == p["sha256"]


def test_a_dask_dataframe_is_forecast_partition_by_partition(client):
    """predict(a Dask DataFrame) is a lazy Dask DataFrame, each partition forecast on a worker after
    the rows are shuffled on unique_id; computed, it equals predict(the pandas frame) to float32
    rounding. fit(a Dask DataFrame) gathers it and fits exactly as on the pandas frame."""
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe", reason="dask.dataframe needs pyarrow (pip install '.[dask]')")

    rng = np.random.default_rng(11)
    t = np.arange(48)
    df = pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": f"s{k}",
                    "ds": pd.date_range("2000-01-01", periods=48, freq="MS"),
                    "y": 100 + 20 * np.sin(2 * np.pi * t / 12 + k) + rng.normal(0, 2, 48),
                }
            )
            for k in range(12)
        ],
        ignore_index=True,
    ).sample(frac=1.0, random_state=0)  # rows of a series spread over the partitions
    ddf = dd.from_pandas(df, npartitions=4)
    kw = dict(horizon=6, max_steps=60, n_models=1, seed=0, progress=False)
    f = recurrent.Forecaster(**kw).fit(df)
    want = f.predict(df, level=[80]).sort_values(["unique_id", "ds"]).reset_index(drop=True)
    lazy = f.predict(ddf, level=[80])
    assert type(lazy).__module__.startswith("dask.") and list(lazy.columns) == list(want.columns)
    got = client.compute(lazy).result().sort_values(["unique_id", "ds"]).reset_index(drop=True)
    assert got["unique_id"].tolist() == want["unique_id"].tolist() and (got["ds"] == want["ds"]).all()
    for col in ("recurrent", "recurrent-lo-80", "recurrent-hi-80"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-6, err_msg=col)
    g = recurrent.Forecaster(**kw).fit(ddf)
    for (_, a), (_, b) in zip(f.networks_, g.networks_):
        for k in a.params:
            np.testing.assert_array_equal(b.params[k], a.params[k])
