"""Forecasting many series (or one) with one global model, scored against the baselines.

    from recurrent import Forecaster
    f = Forecaster(horizon=12, seed=0).fit(Y)      # an array, a list, a dict or a long DataFrame
    f.predict()                                    # the next 12 values of each series, same container
    Forecaster(horizon=12, seed=0).evaluate(Y, holdout=12)["metrics"]

Modules: ``estimator`` (the Forecaster), ``panel`` (containers in and out), ``windows``
(normalisation and batches of windows), ``training`` (the global training loop),
``hybrid`` (the Theta member and its weight), ``baselines`` and ``metrics`` (naive,
seasonal naive, Naive2, SES, Theta; sMAPE, MASE, MAPE, RMSE), ``season`` (the period),
``calendar`` (dates parsed, their frequency as a calendar rule, continued), ``files`` and
``tables`` (CSV and Parquet in, forecasts out),
``intervals`` (conformal prediction intervals), ``evaluation`` (a holdout against the
baselines), ``backtest`` (rolling origins), ``persist`` (save and load), ``export`` (ONNX
graphs and a JSON recipe).
"""

from .baselines import naive, naive2, seasonal_naive, ses, theta
from .estimator import Forecaster, NotFittedError
from .metrics import mae, mape, mase, rmse, smape
from .season import detect_season

# the names the single-series forecaster had
naive_forecast = naive
seasonal_naive_forecast = seasonal_naive

__all__ = [
    "Forecaster",
    "NotFittedError",
    "detect_season",
    "mae",
    "mape",
    "mase",
    "naive",
    "naive2",
    "naive_forecast",
    "rmse",
    "seasonal_naive",
    "seasonal_naive_forecast",
    "ses",
    "smape",
    "theta",
]
