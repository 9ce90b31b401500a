"""Bundled public-domain series, loaded from the installed package (no network).

* ``load_airline()``: international airline passengers, monthly totals in
  thousands, 1949-01 to 1960-12 (144 values). Box, G. E. P. and Jenkins, G. M.
  (1976), *Time Series Analysis, Forecasting and Control*, Series G. Public domain.
* ``load_sunspots()``: yearly mean sunspot numbers, 1700 to 2008 (309 values).
  National Geophysical Data Center (NOAA). Public domain.

See SOURCES.md beside this file.
"""

from __future__ import annotations

from importlib import resources

from ..data import Series, read_csv

DATASETS = {
    "airline": ("airline.csv", "Passengers", "Date", 12),
    "sunspots": ("sunspots.csv", "SUNACTIVITY", "YEAR", 11),
}


def load(name: str) -> Series:
    """A bundled series by name: 'airline' or 'sunspots'."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; bundled: {', '.join(DATASETS)}")
    filename, column, date_column, _ = DATASETS[name]
    with resources.as_file(resources.files(__package__) / filename) as path:
        return read_csv(path, column=column, date_column=date_column)


def load_airline() -> Series:
    """The airline passengers, monthly 1949-1960, in thousands (a ``Series`` with its dates)."""
    return load("airline")


def load_sunspots() -> Series:
    """The yearly sunspot numbers (a ``Series`` with its years)."""
    return load("sunspots")


UNITS = {"airline": "thousands of passengers", "sunspots": "yearly mean sunspot number"}


def unit_of(name: str) -> str:
    """What a bundled series' values count."""
    return UNITS[name]


def season_of(name: str) -> int:
    """The known period of a bundled series (12 months, about 11 years)."""
    return DATASETS[name][3]
