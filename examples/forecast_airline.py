"""Forecast the airline passengers with the default Forecaster, and score it honestly.

    python examples/forecast_airline.py

Fits on the first 132 months, forecasts the last 12 in one go, prints the table against the
naive and seasonal-naive baselines, then refits on all 144 months and forecasts 1961 with
its 80% prediction interval.
"""

from recurrent import Forecaster, datasets

series = datasets.load_airline()
report = Forecaster(seed=0, progress=False).evaluate(series.values, holdout=12)
print(f"{'month':>8} {'actual':>7} {'model':>7} {'seas.naive':>10}")
for month, a, f, s in zip(
    series.dates[-12:], report["actual"], report["forecast"], report["baselines"]["seasonal_naive"]
):
    print(f"{month:>8} {a:7.0f} {f:7.0f} {s:10.0f}")
for name, m in report["metrics"].items():
    print(f"{name:>15}: RMSE {m['rmse']:6.2f}  sMAPE {m['smape']:5.2f}  MASE {m['mase']:.3f}")
print(report["verdict"])

forecaster = Forecaster(horizon=12, seed=0, progress=False).fit(series.values)
out = forecaster.predict(level=[80])
print("1961, 80% interval:", " ".join(f"{lo:.0f}-{hi:.0f}" for lo, hi in zip(out["lo-80"], out["hi-80"])))
print("1961:", " ".join(f"{v:.0f}" for v in out["forecast"]))
