"""Forecasting a series: windows, scaling, an ensemble of small recurrent nets, baselines.

    from recurrent import Forecaster, datasets
    y = datasets.load_airline().values
    report = Forecaster(seed=0).evaluate(y, holdout=12)    # fit on y[:-12], forecast 12, compare
    f = Forecaster(horizon=12, seed=0).fit(y)
    f.predict()                                             # the next 12 values, original units

How it works (every step is fitted on the training series only):

1. ``log="auto"``: work with log values when the series is strictly positive, so
   trend and seasonal swings that grow with the level become additive.
2. Sliding windows of ``lookback`` steps. Each window is expressed relative to
   its own last value, ``z[t] - z[last]``: the network sees shapes, not levels,
   so a trend that has taken the series beyond anything seen in training does
   not put it out of range. Targets are the next ``horizon`` values relative
   to the same last value, standardised.
3. ``strategy="direct"``: one network outputs all ``horizon`` steps at once;
   ``"recursive"``: it outputs one step and is fed its own forecasts.
4. The readout starts at zero, so an untrained model forecasts the average
   change seen in training for each step ahead (a seasonal-naive-with-drift
   forecast for seasonal data); training can only move it where that helps on
   the validation windows (the latest ones), with early stopping.
5. ``n_models`` networks from different seeds are averaged.

Baselines for honest evaluation: naive (repeat the last value) and seasonal
naive (repeat the last season), scored with RMSE, MAE and MASE on the same points.
"""

from __future__ import annotations

import sys

import numpy as np

from . import _checks as chk
from . import io
from .layers import GRU, LSTM, RNN, LastStep, Linear
from .model import Sequential, model_from_meta
from .optim import Adam
from .train import EarlyStopping

CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}
SETTINGS = ("cell", "hidden_size", "num_layers", "lookback", "horizon", "season", "log", "strategy",
            "n_models", "epochs", "patience", "lr", "batch_size", "seed", "progress")


class NotFittedError(ValueError, AttributeError):
    """Raised when predicting with a forecaster that has not been fitted."""


# ---- metrics and baselines -------------------------------------------------------------------

def rmse(actual, forecast) -> float:
    return float(np.sqrt(np.mean((np.asarray(actual) - np.asarray(forecast)) ** 2)))


def mae(actual, forecast) -> float:
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(forecast))))


def mase(actual, forecast, train, m=1) -> float:
    """MAE scaled by the in-sample MAE of the (seasonal) naive forecast with period m."""
    train = np.asarray(train, dtype=np.float64)
    m = m if len(train) > m else 1
    scale = np.mean(np.abs(train[m:] - train[:-m]))
    return float(mae(actual, forecast) / scale) if scale > 0 else float("inf")


def naive_forecast(train, horizon) -> np.ndarray:
    return np.full(horizon, float(train[-1]))


def seasonal_naive_forecast(train, horizon, season) -> np.ndarray:
    """Repeat the last full season; with season <= 1, the naive forecast."""
    if season is None or season <= 1 or season > len(train):
        return naive_forecast(train, horizon)
    last = np.asarray(train[-season:], dtype=np.float64)
    return np.array([last[h % season] for h in range(horizon)])


def detect_season(y, max_period=None, threshold=0.3):
    """The period with the strongest autocorrelation peak of the differenced series, or 1.

    Looks at lags 2..max_period (default n // 3) of the first difference (of the
    logs when the series is positive) and returns the lag of the highest local
    maximum above ``threshold``; 1 when there is none.
    """
    y = np.asarray(y, dtype=np.float64)
    z = np.log(y) if np.all(y > 0) else y
    d = np.diff(z)
    n = len(d)
    max_period = min(max_period or n // 3, n // 2)
    if max_period < 2 or np.std(d) == 0:
        return 1
    d = d - d.mean()
    acf = np.array([np.dot(d[:-k], d[k:]) / np.dot(d, d) if k else 1.0 for k in range(max_period + 2)])
    peaks = [k for k in range(2, max_period + 1) if acf[k] > threshold and acf[k] >= acf[k - 1] and acf[k] >= acf[k + 1]]
    return max(peaks, key=lambda k: acf[k]) if peaks else 1


# ---- the estimator ---------------------------------------------------------------------------

class Forecaster:
    """Forecast what comes next in a series with an ensemble of small recurrent networks.

    Args (stored as given; checked by ``fit``):
        cell: "lstm", "gru" or "rnn".
        hidden_size, num_layers: size of each network.
        lookback: steps each window shows the network (None: 3 seasons, fewer if the series is short).
        horizon: steps forecast at once (``predict`` can go further by iterating).
        season: the seasonal period (None: detected from the autocorrelation; 1: none).
        log: "auto" (log when every value > 0), True or False.
        strategy: "direct" (all steps at once) or "recursive" (one step, fed back).
        n_models: networks averaged, each from its own seed.
        epochs, patience, lr, batch_size: training (Adam, early stopping on the latest windows).
        seed: makes the whole fit reproducible.
        progress: a progress bar on stderr when it is a terminal.

    Learned attributes end in ``_``: ``season_``, ``lookback_``, ``log_``, ``models_``,
    ``series_``, ``histories_``.
    """

    def __init__(self, cell="lstm", hidden_size=32, num_layers=1, lookback=None, horizon=12, season=None,
                 log="auto", strategy="direct", n_models=5, epochs=300, patience=40, lr=0.01, batch_size=16,
                 seed=None, progress=True):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.lookback = lookback
        self.horizon = horizon
        self.season = season
        self.log = log
        self.strategy = strategy
        self.n_models = n_models
        self.epochs = epochs
        self.patience = patience
        self.lr = lr
        self.batch_size = batch_size
        self.seed = seed
        self.progress = progress

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in SETTINGS}

    def __repr__(self):
        return "Forecaster(" + ", ".join(f"{k}={v!r}" for k, v in self.get_params().items()) + ")"

    # ---- checks --------------------------------------------------------------------------
    def _check_settings(self):
        if self.cell not in CELLS:
            raise ValueError(f"Forecaster: `cell` must be one of {sorted(CELLS)}, got {self.cell!r}")
        for name in ("hidden_size", "num_layers", "horizon", "n_models", "epochs", "patience", "batch_size"):
            chk.positive_int("Forecaster", name, getattr(self, name))
        if self.lookback is not None:
            chk.positive_int("Forecaster", "lookback", self.lookback)
        if self.season is not None:
            chk.positive_int("Forecaster", "season", self.season)
        if self.log not in ("auto", True, False):
            raise ValueError(f"Forecaster: `log` must be 'auto', True or False, got {self.log!r}")
        if self.strategy not in ("direct", "recursive"):
            raise ValueError(f"Forecaster: `strategy` must be 'direct' or 'recursive', got {self.strategy!r}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not 0 < self.lr < np.inf:
            raise ValueError(f"Forecaster: `lr` must be a positive number, got {self.lr!r}")

    @staticmethod
    def _check_series(y, what="y") -> np.ndarray:
        y = chk.float_array("Forecaster", what, y, np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(f"Forecaster: expected {what} as a 1-D series, got shape {chk.shape_str(y.shape)}")
        return y

    def _check_covariates(self, cov, n, what="covariates"):
        if cov is None:
            return None
        cov = chk.float_array("Forecaster", what, cov, np.float64)
        if cov.ndim == 1:
            cov = cov[:, None]
        if cov.ndim != 2 or cov.shape[0] != n:
            raise ValueError(f"Forecaster: expected {what} of shape ({n}, K) (one row per value), "
                             f"got {chk.shape_str(cov.shape)}")
        return cov

    def _check_fitted(self):
        if not hasattr(self, "models_"):
            raise NotFittedError("This Forecaster is not fitted yet: call fit(y) before predict()")

    # ---- the transform -------------------------------------------------------------------
    def _to_z(self, y):
        if self.log_:
            if np.any(y <= 0):
                raise ValueError("Forecaster: this model works on log values and needs every value > 0 "
                                 f"(smallest given: {y.min():g})")
            return np.log(y)
        return y.copy()

    def _from_z(self, z):
        return np.exp(z) if self.log_ else z

    def _features(self, z, cov, end):
        """Inputs for the window ending at index ``end`` (inclusive): (lookback, F)."""
        L = self.lookback_
        rel = (z[end - L + 1:end + 1] - z[end]) / self.x_scale_
        if cov is None:
            return rel[:, None]
        c = (cov[end - L + 1:end + 1] - self.cov_mean_) / self.cov_std_
        return np.column_stack([rel, c])

    def _choose_lookback(self, n, out):
        if self.lookback is not None:
            return self.lookback
        s = self.season_
        candidates = [3 * s, 2 * s, s] if s > 1 else [max(2 * self.horizon, 12), self.horizon, 6]
        for L in candidates:
            if n - L - out + 1 >= max(30, 4 * self.horizon):
                return L
        return min(candidates)

    # ---- fit ------------------------------------------------------------------------------
    def fit(self, y, covariates=None) -> "Forecaster":
        """Fit on a 1-D series (and optional covariates, one row per value). Returns self."""
        self._check_settings()
        y = self._check_series(y)
        cov = self._check_covariates(covariates, len(y))
        n, H = len(y), self.horizon
        if n < 3:
            raise ValueError(f"Forecaster: the series has {n} values; at least a few dozen are needed")
        self.season_ = self.season if self.season is not None else detect_season(y)
        self.log_ = bool(np.all(y > 0)) if self.log == "auto" else bool(self.log)
        out = H if self.strategy == "direct" else 1
        self.lookback_ = self._choose_lookback(n, out)
        L = self.lookback_
        n_windows = n - L - out + 1
        if n_windows < 4:
            raise ValueError(f"Forecaster: the series has {n} values; with lookback {L} and horizon {out} it needs "
                             f"at least lookback + horizon + 3 = {L + out + 3} (give a shorter lookback or horizon)")
        z = self._to_z(y)

        ends = np.arange(L - 1, L - 1 + n_windows)                      # last input index of each window
        rel_in = np.stack([z[e - L + 1:e + 1] - z[e] for e in ends])
        rel_out = np.stack([z[e + 1:e + 1 + out] - z[e] for e in ends])  # (W, out)
        self.x_scale_ = float(rel_in.std()) or 1.0
        self.y_mean_ = rel_out.mean(axis=0)
        self.y_std_ = float(rel_out.std()) or 1.0
        if cov is not None:
            self.cov_mean_ = cov.mean(axis=0)
            self.cov_std_ = np.where(cov.std(axis=0) > 0, cov.std(axis=0), 1.0)
        X = np.stack([self._features(z, cov, e) for e in ends]).astype(np.float32)
        Y = ((rel_out - self.y_mean_) / self.y_std_).astype(np.float32)
        n_val = min(H, max(1, n_windows // 5))

        seeds = np.random.default_rng(self.seed).integers(0, 2**31 - 1, size=self.n_models)
        self.models_, self.histories_ = [], []
        bar = None
        if self.progress and sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=self.n_models, desc="fitting", unit="model", file=sys.stderr, leave=False)
        for s in seeds:
            s = int(s)
            model = Sequential([CELLS[self.cell](X.shape[2], self.hidden_size, num_layers=self.num_layers, seed=s),
                                LastStep(), Linear(self.hidden_size, out, seed=s + 1)])
            for p in model.layers[-1].params.values():
                p[...] = 0.0                     # start as the average-change forecast
            hist = model.fit(X[:-n_val], Y[:-n_val], validation_data=(X[-n_val:], Y[-n_val:]),
                             optimizer=Adam(lr=self.lr), epochs=self.epochs, batch_size=self.batch_size,
                             early_stopping=EarlyStopping(patience=self.patience), seed=s, progress=False)
            self.models_.append(model)
            self.histories_.append(hist)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        self.series_ = y
        self.covariates_ = cov
        return self

    # ---- predict --------------------------------------------------------------------------
    def _step(self, z, cov):
        """The ensemble's forecast of the next ``out`` values of z after its end."""
        x = self._features(z, cov, len(z) - 1)[None].astype(np.float32)
        outs = np.mean([m.predict(x)[0] for m in self.models_], axis=0).astype(np.float64)
        return z[-1] + self.y_mean_ + self.y_std_ * outs

    def predict(self, horizon=None, y=None, covariates=None) -> np.ndarray:
        """The next ``horizon`` values after the series (the training series, or ``y``), original units.

        Beyond the fitted horizon the forecast is iterated: its own values become history.
        Covariates, if the model has them, are known only up to the end of the series, so they
        are held at their last value while iterating.
        """
        self._check_fitted()
        horizon = self.horizon if horizon is None else chk.positive_int("predict", "horizon", horizon)
        if y is None:
            y, cov = self.series_, self.covariates_
        else:
            y = self._check_series(y)
            cov = self._check_covariates(covariates, len(y)) if self.covariates_ is not None else None
            if self.covariates_ is not None and cov is None:
                raise ValueError("Forecaster.predict: this model was fitted with covariates; pass them with y")
        if len(y) < self.lookback_:
            raise ValueError(f"Forecaster.predict: needs at least lookback = {self.lookback_} values, got {len(y)}")
        z = self._to_z(y)
        produced = []
        while len(produced) < horizon:
            nxt = self._step(z, cov)
            produced.extend(nxt)
            z = np.concatenate([z, nxt])
            if cov is not None:
                cov = np.vstack([cov, np.repeat(cov[-1:], len(nxt), axis=0)])
        return self._from_z(np.array(produced[:horizon]))

    # ---- evaluate -------------------------------------------------------------------------
    def evaluate(self, y, holdout, covariates=None) -> dict:
        """Fit on all but the last ``holdout`` values, forecast them in one go, and compare.

        Returns a dict with the forecast, the actual values and RMSE, MAE and MASE for the
        model, the naive and the seasonal-naive forecast on the same points, plus a plain
        ``verdict`` saying whether the model beat the seasonal-naive baseline. The
        forecaster is left fitted on the training part.
        """
        y = self._check_series(y)
        holdout = chk.positive_int("evaluate", "holdout", holdout)
        if holdout >= len(y) - 2:
            raise ValueError(f"evaluate: holdout {holdout} leaves too little to fit on ({len(y)} values)")
        cov = self._check_covariates(covariates, len(y))
        train, actual = y[:-holdout], y[-holdout:]
        self.fit(train, None if cov is None else cov[:-holdout])
        forecast = self.predict(holdout)
        m = self.season_
        candidates = {"model": forecast, "naive": naive_forecast(train, holdout),
                      "seasonal_naive": seasonal_naive_forecast(train, holdout, m)}
        metrics = {k: {"rmse": rmse(actual, f), "mae": mae(actual, f), "mase": mase(actual, f, train, m)}
                   for k, f in candidates.items()}
        beats = metrics["model"]["rmse"] < metrics["seasonal_naive"]["rmse"]
        sn = "seasonal-naive" if m > 1 else "naive (no season found)"
        verdict = (f"The model beats the {sn} baseline: RMSE {metrics['model']['rmse']:.4g} vs "
                   f"{metrics['seasonal_naive']['rmse']:.4g}." if beats else
                   f"The model does NOT beat the {sn} baseline (RMSE {metrics['model']['rmse']:.4g} vs "
                   f"{metrics['seasonal_naive']['rmse']:.4g}): prefer the baseline here, or give the model "
                   f"more data, a longer lookback or another season.")
        return {"holdout": holdout, "season": m, "forecast": forecast.tolist(), "actual": actual.tolist(),
                "baselines": {k: v.tolist() for k, v in candidates.items() if k != "model"},
                "metrics": metrics, "beats_seasonal_naive": bool(beats), "verdict": verdict}

    # ---- save and load --------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the fitted forecaster (settings, scaling, networks, series) atomically."""
        self._check_fitted()
        tensors = {"series": self.series_, "y_mean": self.y_mean_}
        if self.covariates_ is not None:
            tensors.update(covariates=self.covariates_, cov_mean=self.cov_mean_, cov_std=self.cov_std_)
        for k, m in enumerate(self.models_):
            tensors.update({f"model{k}/{name}": v for name, v in m.state_dict().items()})
        meta = {"kind": "forecaster", "settings": self.get_params(), "layers": self.models_[0].config(),
                "fitted": {"season": self.season_, "lookback": self.lookback_, "log": self.log_,
                           "x_scale": self.x_scale_, "y_std": self.y_std_, "n_models": len(self.models_)}}
        io.save_file(path, tensors, meta)

    @classmethod
    def _from_saved(cls, tensors, meta, path="forecaster"):
        try:
            f = cls(**meta["settings"])
            fitted = meta["fitted"]
            f.season_, f.lookback_, f.log_ = int(fitted["season"]), int(fitted["lookback"]), bool(fitted["log"])
            f.x_scale_, f.y_std_ = float(fitted["x_scale"]), float(fitted["y_std"])
            f.y_mean_, f.series_ = tensors["y_mean"], tensors["series"]
            f.covariates_ = tensors.get("covariates")
            if f.covariates_ is not None:
                f.cov_mean_, f.cov_std_ = tensors["cov_mean"], tensors["cov_std"]
            f.models_ = []
            for k in range(int(fitted["n_models"])):
                prefix = f"model{k}/"
                part = {name[len(prefix):]: v for name, v in tensors.items() if name.startswith(prefix)}
                f.models_.append(model_from_meta({"layers": meta["layers"]}, part, path))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path}: the forecaster description is damaged ({exc})") from None
        f.histories_ = []
        return f
