"""The BLAS thread count around the forecaster's work (recurrent._threads): one thread inside, the caller's
count put back after every call and after an exception, and the caller's own NumPy work untouched."""

import numpy as np
import pytest

import recurrent
from recurrent import _threads
from recurrent.forecast import ensemble

pytestmark = pytest.mark.skipif(_threads.blas_thread_count() is None, reason="no OpenBLAS found in this process")


@pytest.mark.filterwarnings("ignore:Forecaster.fit. left out")
def test_fit_and_predict_run_on_one_blas_thread_and_put_the_count_back(monkeypatch):
    seen = []
    real = ensemble.train_ensemble

    def spy(*args, **kwargs):
        seen.append(_threads.blas_thread_count())
        return real(*args, **kwargs)

    monkeypatch.setattr("recurrent.forecast.fitting.train_ensemble", spy)
    with _threads.blas_threads(2):
        before = _threads.blas_thread_count()
        Y = [np.arange(30.0) + k for k in range(3)]
        f = recurrent.Forecaster(horizon=2, max_steps=20, n_models=1, progress=False, seed=0).fit(Y)
        assert seen == [1] and _threads.blas_thread_count() == before == 2
        f.predict()
        assert _threads.blas_thread_count() == 2
        with pytest.raises(ValueError, match="fewer than 2 values"):
            recurrent.Forecaster(progress=False).fit([[1.0], [2.0]])
        assert _threads.blas_thread_count() == 2


def test_the_count_is_restored_after_an_exception_and_nested_blocks():
    with _threads.blas_threads(2):
        with pytest.raises(KeyError):
            with _threads.blas_threads(1):
                assert _threads.blas_thread_count() == 1
                with _threads.blas_threads(1):
                    pass
                assert _threads.blas_thread_count() == 1
                raise KeyError
        assert _threads.blas_thread_count() == 2
