"""Fitting a Forecaster on a batch of series: season, lookbacks, the panel, the networks, the combination.

``Forecaster.fit`` reads and checks the input; ``fit_batch`` does the rest and sets the learned
attributes. How a fit works (the modules beside this one hold each step):

1. ``panel``: the series are read from their container; each keeps its id.
2. ``season``: the period comes from ``season=``, else from the dates' frequency, else
   from the autocorrelation.
3. ``windows``: every series becomes log values (shifted where not positive); windows
   are drawn per batch and expressed relative to their own last value.
4. ``training``, ``ensemble``: for each lookback and each seed, a network is trained on windows of
   all series with early stopping on each series' latest ``horizon`` values, then
   (``refit="continue"``) trained on for a quarter as many steps on everything, so the
   latest values are learnt too.
5. ``hybrid``, ``ensemble``: the networks' median is combined with a Theta forecast in log values
   (its drift damped toward Naive2 where that did better), with the weight that did best on the
   validation windows.
6. ``intervals``: that combination's errors on the validation windows calibrate the
   prediction intervals; on a small panel, ``calibration`` adds the statistical member's errors
   at earlier origins of each series' history.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._threads import one_blas_thread
from . import calibration, exog, panel, settings
from .ensemble import combination, train_ensemble
from .inference import sort_series, standard_covariates
from .season import common_season, detect_season
from .windows import Panel, log_shift, to_z, validation_split


@one_blas_thread  # small products: a second thread buys nothing here and spins against other work
def fit_batch(f, batch, static_df=None):
    """Fit the Forecaster ``f`` on ``batch`` (a read ``panel.Batch``; ``static_df``: its static features);
    returns ``f``."""
    exog.lay_out(f, batch, static_df, "Forecaster.fit")  # static and calendar columns beside the covariates
    f.batch_ = batch
    f.n_covariates_ = 0 if batch.covariates is None else batch.covariates[0].shape[1]
    usable, f.methods_, f.skipped_ = sort_series(batch, f.min_length, f.combine, "fit", stacklevel=5)
    if len(f.skipped_) == len(batch.values):
        raise ValueError(
            f"Forecaster.fit: every series has fewer than 2 values "
            f"(the longest has {max(len(v) for v in batch.values)})"
        )
    H = f.horizon
    if f.season is not None:
        f.season_ = f.season
    else:
        f.season_ = panel.season_of_batch(batch) or (
            detect_season(batch.values[0]) if len(batch.values) == 1 else common_season(batch.values)
        )
    if not usable:  # every series constant or short: nothing to learn
        warnings.warn(
            f"Forecaster.fit: no series can train the networks (each is constant or shorter than "
            f"min_length={f.min_length}); every series gets the naive forecast",
            stacklevel=4,
        )
        f.lookbacks_, f.patches_, f.networks_, f.records_, f.weight_, f.theta_share_ = [], [], [], [], 1.0, 1.0
        f.calibration_ = None
        f.usable_ = []
        return f
    chosen = settings.lookbacks(f.lookbacks, f.horizon, f.season_)
    f.lookbacks_, f.patches_ = settings.patched(chosen, f.patch)
    series = [batch.values[k] for k in usable]
    if f.n_covariates_:
        every = np.concatenate([batch.covariates[k] for k in usable])
        f.cov_mean_, std = every.mean(axis=0), every.std(axis=0)
        f.cov_std_ = np.where(std > 0, std, 1.0)
    pn = Panel(series, standard_covariates(f, batch, usable), f.n_future_)
    shifts = np.array([log_shift(s) for s in series])
    z = to_z(pn, shifts)
    n = pn.length
    limit, val = validation_split(n, H, seed=f.seed)
    history = f.history or max(20 if f.season_ <= 1 else 15 * f.season_, 2000 // len(series))
    f.networks_, f.records_, val_out = train_ensemble(f, z, pn, limit, val, history)
    f.weight_, f.theta_share_, f.calibration_ = combination(f, z, pn, shifts, val, val_out)
    if f.calibration_ is not None and len(series) < calibration.SMALL:  # few series: their history too
        more = calibration.history_scores(pn, shifts, H, f.season_, f.theta_share_)
        f.calibration_ = np.concatenate([f.calibration_, more])
    f.train_panel_, f.train_shifts_, f.usable_ = pn, shifts, usable
    return f
