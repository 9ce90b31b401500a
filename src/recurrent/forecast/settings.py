"""The Forecaster's settings: their names, their checks, and the window lengths they imply."""

from __future__ import annotations

import numbers
import re

import numpy as np

from .. import _checks as chk
from ..layers import CELLS
from .ahead import check_calendar

SETTINGS = (
    "horizon",
    "season",
    "cell",
    "hidden_size",
    "num_layers",
    "lookbacks",
    "n_models",
    "max_steps",
    "batch_size",
    "lr",
    "patience",
    "eval_every",
    "history",
    "refit",
    "combine",
    "loss",
    "patch",
    "min_length",
    "seed",
    "progress",
    "alias",
    "calendar",
    "holidays",
    "n_jobs",
)

DEFAULT_ALIAS = "recurrent"  # the forecast's column in tables, as the Nixtla libraries name a model's
_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,39}$")


def column_names(alias: str, keys) -> dict:
    """Table columns in the Nixtla libraries' convention: "forecast" -> alias, "lo-80" ->
    "<alias>-lo-80", "q0.1" -> "<alias>-q0.1"; other keys (baselines, "actual" -> "y") as they are."""
    out = {}
    for k in keys:
        if k == "forecast":
            out[k] = alias
        elif k == "actual":
            out[k] = "y"
        elif k.startswith(("lo-", "hi-", "q")):
            out[k] = f"{alias}-{k}"
        else:
            out[k] = k
    return out


MAX_HORIZON = 10_000  # steps forecast at once; also the ceiling on a saved forecaster's horizon
MAX_HIDDEN = 4_096  # units per network: far beyond what a forecaster's small networks need
MAX_MODELS = 1_000  # networks per lookback
MAX_LOOKBACK = 40_000  # values per input window
MAX_SEASON = 10_000  # the longest seasonal period (a week of minutes is 10,080: pass season=None there)
PATCH_STEPS = 12  # with patch=None, no network runs more recurrent steps than this


def check(f) -> None:
    """ValueError naming the first of a Forecaster's settings that is out of range."""
    if f.cell not in CELLS:
        raise ValueError(f"Forecaster: `cell` must be one of {sorted(CELLS)}, got {f.cell!r}")
    _check_sizes(f)
    _check_choices(f)
    check_calendar("Forecaster", getattr(f, "calendar", None), getattr(f, "holidays", None))
    n_jobs = getattr(f, "n_jobs", None)
    if n_jobs is not None and n_jobs != -1:
        chk.positive_int("Forecaster", "n_jobs", n_jobs)


def _check_sizes(f) -> None:
    """The whole-number settings: positive, and within the ceilings that keep a fit in memory."""
    for name in (
        "horizon",
        "hidden_size",
        "num_layers",
        "n_models",
        "max_steps",
        "batch_size",
        "patience",
        "eval_every",
        "min_length",
    ):
        chk.positive_int("Forecaster", name, getattr(f, name))
    for name in ("season", "history", "patch"):
        if getattr(f, name) is not None:
            chk.positive_int("Forecaster", name, getattr(f, name))
    limits = (
        ("horizon", MAX_HORIZON),
        ("season", MAX_SEASON),
        ("hidden_size", MAX_HIDDEN),
        ("n_models", MAX_MODELS),
        ("patch", MAX_LOOKBACK),
    )
    for name, most in limits:
        if getattr(f, name) is not None and getattr(f, name) > most:
            raise ValueError(f"Forecaster: `{name}` must be at most {most:,}, got {getattr(f, name)}")
    if f.lookbacks is not None:
        lbs = [f.lookbacks] if isinstance(f.lookbacks, numbers.Integral) else list(f.lookbacks)
        if not lbs:
            raise ValueError("Forecaster: `lookbacks` must name at least one window length, got []")
        for v in lbs:
            chk.positive_int("Forecaster", "lookbacks", v)
            if v > MAX_LOOKBACK:
                raise ValueError(f"Forecaster: `lookbacks` must be at most {MAX_LOOKBACK:,}, got {v:,}")


def _check_choices(f) -> None:
    """The learning rate, the loss, the refit, the combination and the alias."""
    if not chk.is_real(f.lr) or not 0 < f.lr < np.inf:
        raise ValueError(f"Forecaster: `lr` must be a positive number, got {f.lr!r}")
    if f.loss not in ("smape", "mape", "both"):
        raise ValueError(f"Forecaster: `loss` must be 'smape', 'mape' or 'both', got {f.loss!r}")
    if f.refit not in ("continue", "scratch", False, True):
        raise ValueError(f"Forecaster: `refit` must be 'continue', 'scratch' or False, got {f.refit!r}")
    alias = getattr(f, "alias", DEFAULT_ALIAS)
    if not isinstance(alias, str) or not _ALIAS.match(alias) or alias in ("unique_id", "ds", "y", "cutoff"):
        raise ValueError(
            f"Forecaster: `alias` must be a column name of letters, digits, _ and . (not unique_id, ds, y or "
            f"cutoff), got {alias!r}"
        )
    c = f.combine
    if not ((isinstance(c, str) and c in ("auto", "networks")) or (chk.is_real(c) and 0 <= c <= 1)):
        raise ValueError(f"Forecaster: `combine` must be 'auto', 'networks' or a weight in [0, 1], got {c!r}")


def lookbacks(given, horizon: int, season: int) -> list[int]:
    """The window lengths: ``given`` as a list, or 2, 3 and 5 horizons (N-BEATS ensembles over lookbacks of 2 to 7
    horizons), at least a season and a bit more, each a season longer than the one before."""
    if given is not None:
        return [int(given)] if isinstance(given, numbers.Integral) else [int(v) for v in given]
    H, m = horizon, season
    lo = max(2 * H, m + 1 if m > 1 else 2, 4)
    return sorted({lo, max(3 * H, lo + max(m, 1)), max(5 * H, lo + 2 * max(m, 1))})


def patched(lookbacks: list[int], patch: int | None) -> tuple[list[int], list[int]]:
    """(lookbacks, patch sizes): each lookback rounded up to a whole number of patches; with
    ``patch=None`` the patch is the smallest that keeps a network within PATCH_STEPS steps."""
    out_l, out_p = [], []
    for L in lookbacks:
        p = patch or -(-L // PATCH_STEPS)
        out_l.append(p * -(-L // p))
        out_p.append(p)
    return out_l, out_p
