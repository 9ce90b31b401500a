"""The Forecaster: one global model over many series (or one), networks and Theta combined.

    from recurrent import Forecaster
    f = Forecaster(horizon=6, seed=0).fit({"a": y_a, "b": y_b, ...})   # or a list, a DataFrame
    f.predict()                  # {"a": next 6 values, "b": ...}, the container given to fit
    f.predict(Y_new)             # series the model never saw
    report = Forecaster(horizon=12, seed=0).evaluate(Y, holdout=12)      # scored against baselines

How a fit works, step by step: ``recurrent.forecast.fitting``.

``inference`` forecasts with the fitted networks (``predict``); ``evaluation`` (a holdout
scored with the baselines), ``backtest`` (rolling origins),
``persist`` and ``export`` work on a fitted Forecaster.

A series too short for the networks (fewer than ``min_length`` values) gets the naive
forecast, named in ``methods_`` and in a warning; a series of fewer than 2 values is
left out with a warning; neither stops the rest.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .. import _checks as chk
from .. import store
from . import cluster, explaining, frames, intervals, panel, settings
from .backtest import cross_validation
from .evaluation import evaluate
from .export import export_onnx
from .fitting import fit_batch
from .inference import forecast_batch, insample_of, prepare, sort_series
from .paths import simulate
from .persist import load_forecaster, save_forecaster


class NotFittedError(ValueError, AttributeError):
    """Raised when predicting with a forecaster that has not been fitted."""


class Forecaster:
    """Forecast many series (or one) with one global ensemble of small recurrent networks.

    Args (stored as given; checked by ``fit``):
        horizon: steps forecast at once (``predict`` can go further by iterating).
        season: the seasonal period (None: from the dates' frequency, else detected; 1: none).
        cell: "lstm", "gru" or "rnn"; hidden_size, num_layers: each network's size.
        lookbacks: window lengths, one group of networks each (None: 2 and 3 horizons,
            at least one season and a bit more).
        n_models: networks per lookback, each from its own seed.
        max_steps, batch_size, lr, patience, eval_every: training (Adam; a step is one
            batch of windows; validation every ``eval_every`` steps, stopping after
            ``patience`` checks without improvement).
        history: how many of each series' latest windows are drawn from (None: 20 for yearly
            data, 15 seasons otherwise, and at least 2,000 shared out over the series).
        refit: "continue" (go on training each early-stopped network on every value,
            including the held-out latest ones, for a quarter of its steps), "scratch"
            (a fresh network on every value for the chosen steps; twice the time) or False.
        combine: "auto" (weight on Theta chosen on validation windows), "networks" or
            a number in [0, 1], the weight on the networks.
        loss: what training and the combination weight minimise: "both" (every other network trained on
            the sMAPE, the rest on the MAPE, the weight on their sum), "smape" or "mape".
        patch: values read per recurrent step (None: enough that no network runs more than 12
            steps, a lookback of 36 as 12 steps of 3 values; 1: one value a step).
        min_length: the fewest values a series needs for the networks (fewer: naive).
        seed: makes the whole fit reproducible, bitwise.
        progress: a progress bar on stderr on a terminal, a line per network elsewhere.
        n_jobs: worker processes training the networks side by side (None or -1: the cores this process may
            use; 1: here, one after another); the same networks either way.
        scheduler: None (everything in this process), "local:N" (a local Dask cluster of N
            worker processes), "tcp://host:port" or a ``dask.distributed.Client``: ``fit`` then
            trains the networks on the workers (the same ensemble) and ``predict`` forecasts
            partitions of the series there (``recurrent.forecast.cluster``; the ``dask`` extra). A
            run-time choice: not saved with the model.
        calendar: features from the dates, known ahead (``["month", "dayofweek"]``: ``ahead.CALENDAR``);
            holidays: a country ("US"): how many public holidays fall in each step (the ``holidays`` extra).
        alias: the forecast's column name in tables, intervals as ``<alias>-lo-80``, as the Nixtla libraries
            name a model's columns (their evaluation and plotting helpers take the output unchanged).

    Learned attributes end in ``_``: ``season_``, ``lookbacks_`` (each a whole number of ``patches_``),
    ``networks_``, ``weight_``, ``methods_`` (id -> how it is forecast), ``skipped_``, ``records_``.
    """

    def __init__(
        self,
        horizon=12,
        season=None,
        cell="lstm",
        hidden_size=32,
        num_layers=1,
        lookbacks=None,
        n_models=2,
        max_steps=3000,
        batch_size=64,
        lr=3e-3,
        patience=10,
        eval_every=100,
        history=None,
        refit="continue",
        combine="auto",
        loss="both",
        patch=None,
        min_length=3,
        seed=None,
        progress=True,
        scheduler=None,
        alias=settings.DEFAULT_ALIAS,
        calendar=None,
        holidays=None,
        n_jobs=None,
    ):
        for k, v in locals().items():
            if k != "self":
                setattr(self, k, v)

    def __getstate__(self):
        """What travels to a Dask worker: everything but the scheduler (a Client does not travel)."""
        return {**self.__dict__, "scheduler": None}

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's settings (scikit-learn's contract; ``deep`` changes nothing: no
        setting is itself an estimator)."""
        return {k: getattr(self, k) for k in (*settings.SETTINGS, "scheduler")}

    def set_params(self, **params) -> Forecaster:
        """Change settings by name (checked by the next ``fit``); returns self. An unknown name is a
        ValueError naming it."""
        valid = (*settings.SETTINGS, "scheduler")
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"Forecaster.set_params: no setting {k!r}; the settings are {', '.join(valid)}")
            setattr(self, k, v)
        return self

    def methods_of(self, Y=None) -> dict:
        """id -> how ``predict(Y)`` forecasts each series ("networks+theta", "naive (a constant
        series)", ...), without forecasting; by default the training series."""
        self._check_fitted()
        batch = self.batch_ if Y is None else panel.read_batch(Y, "Forecaster.methods_of")
        usable, methods, _ = sort_series(batch, self.min_length, self.combine, "predict", warn=False)
        if not self.networks_:
            methods.update({batch.ids[k]: "naive (no series could train the networks)" for k in usable})
        return methods

    def __repr__(self):
        return "Forecaster(" + ", ".join(f"{k}={v!r}" for k, v in self.get_params().items()) + ")"

    def _check_fitted(self):
        if not hasattr(self, "networks_"):
            raise NotFittedError("This Forecaster is not fitted yet: call fit(Y) before predict()")

    # ---- fit ------------------------------------------------------------------------------
    def fit(
        self, Y, covariates=None, *, future_covariates=None, static_df=None, id_col="unique_id", time_col="ds",
        target_col="y",
    ) -> Forecaster:  # fmt: skip
        """Fit on one series or many (an array, a list, a dict or a long DataFrame). Returns self.

        ``covariates`` (past covariates): values known beside each series up to its end (a
        temperature, a competitor's price), one row per value, in the container of Y: an (n, K)
        array for one series, a list or dict of them, or, for a DataFrame, the names of its
        columns. ``future_covariates``: the same for values also known ahead (promotions, prices,
        a law in force); ``predict`` then takes their values over the forecast steps (``futr_df``).
        ``static_df``: one row per series (``unique_id`` and its features; categories become one
        column per level). All are standardised over the training values and fed to the networks
        (``recurrent.forecast.exog``); ``predict`` on new series needs theirs.

        A DataFrame may be pandas, polars or a pyarrow Table (answers come in the same kind), its
        columns named as the Nixtla libraries let them be named (``id_col``, ``time_col``,
        ``target_col``); the training series' answers keep those names.
        """
        settings.check(self)
        cluster.check_scheduler(self.scheduler)
        cluster.client_for(self.scheduler)  # an unreachable scheduler stops the fit before it starts
        if frames.is_dask_frame(Y):  # training draws windows from every series: they come here
            Y = Y.compute()
        columns = (id_col, time_col, target_col)
        batch = panel.read_batch(Y, "Forecaster.fit", covariates, columns, future_covariates)
        return fit_batch(self, batch, static_df)

    # ---- predict --------------------------------------------------------------------------
    def predict(
        self,
        Y=None,
        horizon: int | None = None,
        *,
        y=None,
        level=None,
        quantiles=None,
        covariates=None,
        futr_df=None,
        future_covariates=None,
        static_df=None,
        id_col="unique_id",
        time_col="ds",
        target_col="y",
    ):
        """The next ``horizon`` values of each series, in the container the series came in.

        ``Y``: series to forecast (any container ``fit`` takes), by default the training
        series. ``predict(12)`` is read as ``predict(horizon=12)``; ``y=`` is the
        one-series spelling of ``Y``. Beyond the fitted horizon the forecast is iterated.

        A Dask DataFrame (long format, as a pandas one) gives a Dask DataFrame of forecasts,
        lazily: its series are shuffled so that each lies in one partition, and each partition
        is forecast where it is computed (``recurrent.forecast.cluster.predict_frame``).

        ``level=[80, 95]`` adds prediction intervals and ``quantiles=[0.1, 0.9]`` quantiles,
        calibrated on the fit's held-out windows (``recurrent.forecast.intervals``): each
        series' answer is then a dict of arrays, "forecast", "lo-80", "hi-80", ..., "q0.1",
        ... (DataFrame columns of those names). ``covariates``, ``future_covariates`` and ``static_df``:
        those of new series ``Y``, as ``fit`` took them (a frame's columns are read by their fitted
        names). ``futr_df``: the known-ahead covariates over the ``horizon`` forecast steps, Nixtla's
        frame (``unique_id``, ``ds``, the columns) or (horizon, K) arrays in the series' container.
        """
        self._check_fitted()
        if isinstance(Y, (int, np.integer)) and not isinstance(Y, bool):
            Y, horizon = None, Y
        if y is not None:
            Y = y
        horizon = self.horizon if horizon is None else chk.positive_int("predict", "horizon", horizon)
        if horizon > settings.MAX_HORIZON:
            raise ValueError(f"predict: `horizon` must be at most {settings.MAX_HORIZON:,}, got {horizon:,}")
        levels, qs = intervals.check_levels(level), intervals.check_quantiles(quantiles)
        if frames.is_dask_frame(Y):
            return cluster.predict_frame(self, Y, horizon, levels, qs, covariates)
        given = {"covariates": covariates, "future_covariates": future_covariates, "static_df": static_df}
        batch, ahead = prepare(self, Y, horizon, given, futr_df, (id_col, time_col, target_col))
        fc, _ = self._forecast(batch, horizon, "predict", Y is not None, levels, qs, ahead)  # fit warned already
        return panel.write_batch(batch, fc, horizon, self.alias)

    def predict_insample(self, Y=None, step_size: int = 1, **columns):
        """In-sample one-step-ahead forecasts ("fitted values") and residuals, as the Nixtla
        libraries' ``predict_insample``: for each series and each origin t (from ``min_length`` on,
        every ``step_size``-th), what ``predict`` gives for value t from the values before it (the
        networks and Theta combined as in ``predict``; NaN where there is no origin).

        Returns, in the container of ``Y`` (default the training series): for an array ``{"fitted", "residuals"}``,
        for a list or dict one such dict per series, for a DataFrame the long frame ``id, ds, y, <alias>``.
        Costs one forecast per origin: a series of n values costs n forecasts.
        """
        return insample_of(self, Y, step_size, columns)

    def _forecast(self, batch, horizon, where, warn, levels=(), quantiles=(), ahead=None):
        """``inference.forecast_batch``, on the scheduler's workers when there is one."""
        if self.scheduler is None or len(batch.values) < 2 or ahead is not None:
            return forecast_batch(self, batch, horizon, where, warn, levels, quantiles, ahead)
        sort_series(batch, self.min_length, self.combine, where, warn, stacklevel=4)  # the warnings, here
        client = cluster.client_for(self.scheduler)
        return cluster.forecast_batch(client, self, batch, horizon, where, False, levels, quantiles)

    def export_onnx(self, directory: str | os.PathLike, opset: int = 14) -> Path:
        """Write one ONNX graph per network and ``forecaster.json`` (the recipe) into a new folder.

        See ``recurrent.forecast.export`` for the recipe; returns the folder's path.
        """
        return export_onnx(self, directory, opset=opset)

    def explain(self, Y=None, ids=None, *, points=16, covariates=None, future_covariates=None, static_df=None,
                futr_df=None) -> dict:  # fmt: skip
        """id -> ``Explanation``: each forecast taken apart exactly (``recurrent.forecast.explaining``): its parts,
        and the networks' part attributed to every input by integrated gradients from the naive window."""
        self._check_fitted()
        given = {"covariates": covariates, "future_covariates": future_covariates, "static_df": static_df}
        return explaining.explain(self, Y, ids, points, given, futr_df)

    def cross_validation(
        self,
        Y,
        n_windows: int = 3,
        step: int | None = None,
        refit: bool = True,
        level=None,
        quantiles=None,
        covariates=None,
        *,
        future_covariates=None,
        static_df=None,
        id_col="unique_id",
        time_col="ds",
        target_col="y",
    ) -> dict:
        """A rolling-origin backtest: ``n_windows`` forecasts of ``horizon`` values from origins
        ``step`` apart (default: the horizon) at the end of each series, each fitted only on
        what came before its origin (refit each window unless ``refit=False``), scored with the
        baselines on the same windows. See ``recurrent.forecast.backtest``. The forecaster is
        left fitted on the latest window's histories.
        """

        columns = (id_col, time_col, target_col)
        return cross_validation(
            self, Y, n_windows, step, refit, level, quantiles, covariates, columns, future_covariates, static_df
        )

    def simulate(self, Y=None, horizon=None, num_samples: int = 100, seed=None, **predict_kw) -> dict:
        """id -> (num_samples, horizon) sample paths drawn from the calibrated per-step distributions
        (``recurrent.forecast.paths``); ``Y`` a dict of arrays or None (the training series)."""
        return simulate(self, Y, horizon, num_samples, seed, **predict_kw)

    # ---- evaluate ---------------------------------------------------------------------------
    def evaluate(self, Y, holdout: int, covariates=None, *, future_covariates=None, static_df=None) -> dict:
        """Fit without each series' last ``holdout`` values, forecast them, score against baselines.

        Returns a dict: ``metrics`` (the mean sMAPE, MASE, MAPE and RMSE over series for the
        model, naive, seasonal naive and Naive2), ``per_series``, ``wins``/``losses``
        against seasonal naive (by MAE, per series), ``verdict``, ``notes``, and for one series
        the ``forecast``, ``actual`` and ``baselines`` themselves. A series too short to hold
        out from is left out and named. The forecaster is left fitted on the training part.
        See ``recurrent.forecast.evaluation``.
        """

        return evaluate(self, Y, holdout, covariates, future_covariates, static_df)

    # ---- save and load ---------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted forecaster (networks, training series, settings, dates) to one safetensors file,
        atomically."""

        self._check_fitted()
        save_forecaster(self, path)


def _rebuild(tensors, meta, path):

    return load_forecaster(Forecaster, tensors, meta, path)


store.register_kind("forecaster", _rebuild)
