"""forecast with --future-columns, --future, --covariate-columns, --static, --calendar (recurrent.cli.covariates)."""

import numpy as np
import pandas as pd
import pytest

from recurrent.cli import main

FAST = ["--steps", "150", "--models", "1", "--quiet"]


@pytest.fixture()
def files(tmp_path):
    rng = np.random.default_rng(0)
    rows, fut = [], []
    for i in range(6):
        ds = pd.date_range("2020-01-06", periods=58, freq="W-MON")
        promo = (rng.random(58) < 0.25).astype(int)
        y = 100 * (1 + 0.2 * np.sin(np.arange(58) / 8)) * (1 + 0.5 * promo) * np.exp(rng.normal(0, 0.02, 58))
        for k, (d, v, p) in enumerate(zip(ds, y, promo)):
            (rows if k < 50 else fut).append({"store": f"s{i}", "ds": d.date().isoformat(), "y": v, "promo": p})
    pd.DataFrame(rows).to_csv(tmp_path / "sales.csv", index=False)
    truth = pd.DataFrame(fut)
    truth.drop(columns="y").to_csv(tmp_path / "next.csv", index=False)
    pd.DataFrame({"store": [f"s{i}" for i in range(6)], "kind": ["a", "b"] * 3}).to_csv(tmp_path / "stores.csv",
                                                                                         index=False)  # fmt: skip
    return tmp_path, truth


def test_known_ahead_promotions_from_files(files, capsys):
    d, truth = files
    args = ["forecast", str(d / "sales.csv"), "--id-column", "store", "--horizon", "8", *FAST]
    assert main([*args, "--future-columns", "promo", "--future", str(d / "next.csv"), "--static",
                 str(d / "stores.csv"), "--calendar", "month", "-o", str(d / "out.csv")]) == 0  # fmt: skip
    out = pd.read_csv(d / "out.csv")
    assert list(out.columns) == ["store", "ds", "recurrent"] and len(out) == 6 * 8
    assert out["ds"].iloc[0] == "2020-12-21" and "recurrent" in capsys.readouterr().out
    lift = out["recurrent"].to_numpy()[truth["promo"].to_numpy() == 1].mean()
    plain = out["recurrent"].to_numpy()[truth["promo"].to_numpy() == 0].mean()
    assert lift > 1.25 * plain  # the promoted weeks are forecast higher


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--future-columns", "promo"], "--future-columns need --future FILE.csv"),
        (["--future-columns", "price", "--future", "{d}/next.csv"], "has no covariate column 'price'"),
        (["--future-columns", "promo", "--future", "{d}/sales.csv"], "futr_df has no row for series 's0' at ds"),
        (["--calendar", "fortnight"], "unknown calendar feature 'fortnight'"),
        (["--static", "{d}/next.csv"], "static_df has two rows for series"),
    ],
)
def test_bad_covariate_options_end_in_one_line(files, capsys, extra, message):
    d, _ = files
    extra = [e.format(d=d) for e in extra]
    code = main(["forecast", str(d / "sales.csv"), "--id-column", "store", "--horizon", "8", *FAST, *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_quantiles_on_the_command_line(tmp_path, capsys):
    assert main(["forecast", *FAST, "--quantiles", "0.1", "0.9", "-o", str(tmp_path / "q.csv")]) == 0
    out = pd.read_csv(tmp_path / "q.csv")
    assert list(out.columns)[-2:] == ["recurrent-q0.1", "recurrent-q0.9"]
    assert np.all(out["recurrent-q0.1"] <= out["recurrent-q0.9"])
    assert main(["forecast", "--quantiles", "1.5"]) == 2
    assert "strictly between 0 and 1" in capsys.readouterr().err


def test_jobs_chooses_the_worker_processes(monkeypatch, capsys):
    seen = []
    real = __import__("recurrent").Forecaster.fit
    monkeypatch.setattr(
        "recurrent.Forecaster.fit", lambda self, *a, **k: seen.append(self.n_jobs) or real(self, *a, **k)
    )
    assert main(["forecast", *FAST, "--jobs", "1"]) == 0 and seen == [1]
    assert main(["forecast", "--jobs", "0"]) == 2 and "positive integer" in capsys.readouterr().err
