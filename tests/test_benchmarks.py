"""The peer benchmark's own arithmetic (benchmarks.peers): the paired comparison, the sign test, and the peer
runner on a handful of series (where the peers extra is installed)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import peers


def test_the_sign_test_is_the_exact_binomial():
    assert peers.sign_test(8, 2) == pytest.approx(2 * (1 + 10 + 45) / 1024)
    assert peers.sign_test(5, 5) == 1.0 and peers.sign_test(0, 0) == 1.0
    assert peers.sign_test(0, 12) == pytest.approx(2 / 4096)


def test_the_paired_comparison_counts_wins_ties_and_the_mean():
    ours, theirs = [1.0, 2.0, 3.0, 4.0, np.nan], [2.0, 2.0, 1.0, 5.0, 1.0]
    got = peers.paired(ours, theirs)
    assert got["n"] == 4 and got["mean_diff"] == pytest.approx((-1 + 0 + 2 - 1) / 4)
    assert got["win_rate"] == pytest.approx((2 + 0.5) / 4)
    lo, hi = got["ci95"]
    assert -1.0 <= lo <= got["mean_diff"] <= hi <= 2.0
    assert got["sign_p"] == pytest.approx(peers.sign_test(2, 1))


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("statsforecast") is None, reason="the peers extra")
def test_the_peer_runner_on_a_handful_of_series():
    rng = np.random.default_rng(0)
    t = np.arange(40)
    train = {k: 50 + 10 * np.sin(2 * np.pi * t / 4 + k) + rng.normal(0, 1, 40) for k in range(3)}
    got, seconds = peers.statsforecast_peers(train, 3, 4)
    assert set(got) == {*peers.STATS, "median(ETS,DOTM,CES)", "median(ETS,DOTM,CES,ARIMA)"}
    for name, per in got.items():
        for k in train:
            e = per[k]
            assert e["forecast"].shape == (3,) and np.all(np.isfinite(e["forecast"]))
            assert np.all(e[95][0] <= e[80][0] + 1e-9) and np.all(e[80][1] <= e[95][1] + 1e-9), name
    med = np.median([got[n][0]["forecast"] for n in ("AutoETS", "DynamicOptimizedTheta", "AutoCES")], axis=0)
    np.testing.assert_allclose(got["median(ETS,DOTM,CES)"][0]["forecast"], med)
    lgb, sec = peers.lightgbm_peer(train, 3, 4)
    assert lgb["LightGBM"][2]["forecast"].shape == (3,) and sec >= 0


def test_the_neural_peers_run_alone_without_the_statistical_ones(monkeypatch):
    """``--neural`` without ``--peers``: only neuralforecast's models are run and scored (stubbed here: their
    training takes minutes); the statistical peers and LightGBM are not called."""
    from benchmarks import mcomp

    def refuse(*a, **k):
        raise AssertionError("the statistical peers ran")

    def stub(train, h, m):
        return {"NHITS": {k: {"forecast": np.full(h, 10.0)} for k in train}}, {"NHITS": 1.5}

    monkeypatch.setattr(peers, "statsforecast_peers", refuse)
    monkeypatch.setattr(peers, "lightgbm_peer", refuse)
    monkeypatch.setattr(peers, "neural_peers", stub)
    train = {"a": np.arange(1.0, 13.0), "b": np.full(12, 5.0)}
    test = {"a": np.array([13.0, 14.0]), "b": np.array([5.0, 5.0])}
    seconds = {}
    got = mcomp._peer_scores(train, test, 2, 1, False, True, seconds)
    assert set(got) == {"NHITS"} and seconds == {"NHITS": 1.5}
    assert got["NHITS"][1]["mape"] == pytest.approx(100.0)  # 10 against 5: twice the actual
    assert got["NHITS"][0]["smape"] == pytest.approx(np.mean([200 * 3 / 23, 200 * 4 / 24]))


def test_busy_neighbours_spin_for_the_block_and_are_gone_after_it():
    import multiprocessing as mp

    from benchmarks.contention import neighbours

    before = set(mp.active_children())
    with neighbours(2, settle=0.05):
        spinning = [p for p in mp.active_children() if p not in before]
        assert len(spinning) == 2 and all(p.is_alive() for p in spinning)
    assert not any(p.is_alive() for p in spinning)
