"""The ensemble trained in worker processes (Forecaster(n_jobs=...)): the very networks one process trains."""

import numpy as np
import pytest

import recurrent
from recurrent.forecast import processes


@pytest.mark.skipif(processes.workers_for(2, 2) < 2, reason="no fork on this system")
def test_networks_trained_in_worker_processes_equal_those_trained_here():
    rng = np.random.default_rng(4)
    t = np.arange(50)
    Y = {k: 50 + 10 * np.sin(2 * np.pi * t / 12 + k) + rng.normal(0, 1, 50) for k in range(5)}
    kw = dict(horizon=4, seed=0, progress=False, max_steps=120, n_models=2, eval_every=40)
    here = recurrent.Forecaster(**kw, n_jobs=1).fit(Y)
    there = recurrent.Forecaster(**kw, n_jobs=2).fit(Y)
    assert len(here.networks_) == len(there.networks_) == 6
    for (La, a), (Lb, b) in zip(here.networks_, there.networks_):
        assert La == Lb
        for k in a.params:
            np.testing.assert_array_equal(a.params[k], b.params[k])
    assert here.weight_ == there.weight_
    np.testing.assert_array_equal(here.predict()[0], there.predict()[0])


def test_the_number_of_workers_follows_n_jobs_and_the_networks():
    cores = processes.available_cores()
    assert processes.workers_for(1, 6) == 1 and processes.workers_for(8, 3) <= 3
    assert processes.workers_for(None, 100) in (1, min(cores, 100))
    with pytest.raises(ValueError, match="n_jobs"):
        recurrent.Forecaster(n_jobs=0).fit(np.arange(20.0))
