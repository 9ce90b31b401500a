"""Dates read as a calendar reads them: parsed, their frequency inferred, continued correctly."""

import numpy as np
import pytest

from recurrent.cli import main
from recurrent.forecast import calendar
from recurrent.forecast.files import next_labels, season_of_labels
from recurrent.forecast.tables import load_series


@pytest.mark.parametrize(
    "given, rule, season, expected",
    [
        (["1990-10-01", "1990-11-01", "1990-12-01"], "MS", 12, ["1991-01-01", "1991-02-01", "1991-03-01"]),
        (["2019-12-31", "2020-01-31", "2020-02-29"], "ME", 12, ["2020-03-31", "2020-04-30", "2020-05-31"]),
        (["2023-11-30", "2023-12-31", "2024-01-31"], "ME", 12, ["2024-02-29", "2024-03-31", "2024-04-30"]),
        (["2009-01-01", "2009-04-01", "2009-07-01"], "QS", 4, ["2009-10-01", "2010-01-01", "2010-04-01"]),
        (["2009-03-31", "2009-06-30", "2009-09-30"], "QE", 4, ["2009-12-31", "2010-03-31", "2010-06-30"]),
        (["2001-01-01", "2002-01-01", "2003-01-01"], "YS", 1, ["2004-01-01", "2005-01-01", "2006-01-01"]),
        (["2001-12-31", "2002-12-31"], "YE", 1, ["2003-12-31", "2004-12-31", "2005-12-31"]),
        (["2020-01-05", "2020-01-12", "2020-01-19"], "W-SUN", 52, ["2020-01-26", "2020-02-02", "2020-02-09"]),
        (["2020-12-23", "2020-12-30"], "W-WED", 52, ["2021-01-06", "2021-01-13", "2021-01-20"]),
        (["2017-11-08", "2017-11-09", "2017-11-10", "2017-11-13"], "B", 5, ["2017-11-14", "2017-11-15", "2017-11-16"]),
        (["2017-11-06", "2017-11-07", "2017-11-09", "2017-11-10"], "D", 7, ["2017-11-11", "2017-11-12", "2017-11-13"]),
        (["2020-02-27", "2020-02-28", "2020-02-29"], "D", 7, ["2020-03-01", "2020-03-02", "2020-03-03"]),
        (["2000-08-27 22:00:00", "2000-08-27 23:00:00"], "h", 24, ["2000-08-28 00:00:00", "2000-08-28 01:00:00"]),
        (["2000-08-27 23:00:00", "2000-08-27 23:30:00"], "30min", 48, ["2000-08-28 00:00:00", "2000-08-28 00:30:00"]),
        (["2000-08-27 23:45", "2000-08-28 00:00"], "15min", 96, ["2000-08-28 00:15:00", "2000-08-28 00:30:00"]),
        (["28.12.2020", "29.12.2020", "30.12.2020"], "D", 7, ["31.12.2020", "01.01.2021", "02.01.2021"]),
        (["2000-10", "2000-11", "2000-12"], "MS", 12, ["2001-01", "2001-02", "2001-03"]),
        (["1999Q3", "1999Q4"], "QS", 4, ["2000Q1", "2000Q2", "2000Q3"]),
        (["1998", "1999"], "YS", 1, ["2000", "2001", "2002"]),
        (["2020-01-15", "2020-02-15"], "M", 12, ["2020-03-15", "2020-04-15", "2020-05-15"]),
        (["2020-01-31", "2020-03-31"], "2ME", 6, ["2020-05-31", "2020-07-31", "2020-09-30"]),
    ],
)
def test_each_frequency_is_inferred_and_continued(given, rule, season, expected):
    parsed = calendar.parse(given)
    got = calendar.infer(parsed.values)
    assert got.alias == rule and calendar.season_of(got) == season
    assert next_labels(given, len(expected)) == expected
    assert season_of_labels(given) == season


def test_a_hundred_months_on_stay_on_the_month():
    labels = next_labels(["1990-11-01", "1990-12-01"], 100)
    assert labels[1] == "1991-02-01" and labels[-1] == "1999-04-01"
    assert all(lab.endswith("-01") for lab in labels)


def test_numbered_labels_and_text():
    assert next_labels(["day 9", "day 10"], 2) == ["day 11", "day 12"]
    assert next_labels(["5", "10"], 2) == ["15", "20"]
    assert next_labels(["a", "b"], 2) == ["+1", "+2"]


def test_alias_override_and_bad_aliases():
    assert next_labels(["2020-01-01"], 2, freq="MS") == ["2020-02-01", "2020-03-01"]
    assert next_labels(["2020-01-31"], 2, freq="ME") == ["2020-02-29", "2020-03-31"]
    assert next_labels(["2020-01-03"], 2, freq="B") == ["2020-01-06", "2020-01-07"]
    assert calendar.from_alias("W").alias == "W-SUN" and calendar.from_alias("QE-DEC").alias == "QE"
    for bad in ("fortnightly", "W-XYZ", "0D"):
        with pytest.raises(ValueError, match="freq"):
            calendar.from_alias(bad)


def test_day_first_and_month_first_told_apart():
    assert calendar.parse(["13/01/2000", "14/01/2000"]).kind == "dmy/"
    assert calendar.parse(["01/13/2000", "01/14/2000"]).kind == "mdy/"
    assert next_labels(["9/1/2000", "10/1/2000"], 2) == ["11/1/2000", "12/1/2000"]  # month first, unpadded
    assert next_labels(["01/02/2000", "01/03/2000"], 1, dayfirst=True) == ["01/04/2000"]  # months, day first
    iso = ["2000-01-02", "2000-01-03"]
    assert next_labels(iso, 1, dayfirst=True) == next_labels(iso, 1) == ["2000-01-04"]  # ignored for ISO
    with pytest.raises(ValueError, match="13/13/2000"):
        calendar.parse(["13/01/2000", "13/13/2000"])
    with pytest.raises(ValueError, match="2000-02-30"):
        calendar.parse(["2000-02-29", "2000-02-30"])


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_dates_are_ordered_as_dates_not_as_text(tmp_path):
    for dates in (["2000-9", "2000-10", "2000-11"], ["9/1/2000", "10/1/2000", "11/1/2000"], ["day 9", "day 10"]):
        body = "".join(f"a,{d},{k}\n" for k, d in enumerate(dates, 1))
        got = load_series(write(tmp_path, "l.csv", "unique_id,ds,y\n" + body), id_column="unique_id")
        assert got.series["a"].tolist() == list(range(1, len(dates) + 1))
    bad = write(tmp_path, "b.csv", "unique_id,ds,y\na,2000-10,1\na,2000-9,2\n")
    with pytest.raises(ValueError, match=r"line 3, id 'a': date '2000-9' comes after '2000-10'"):
        load_series(bad, id_column="unique_id")


def test_a_gap_is_named_or_filled_and_a_contradicting_freq_refused(tmp_path, capsys):
    text = "unique_id,ds,y\n" + "".join(f"a,2020-{m:02d}-01,{m}\n" for m in (1, 2, 4, 5))
    path = write(tmp_path, "g.csv", text)
    with pytest.raises(ValueError, match=r"series 'a': no value for 2020-03-01 .* --fill"):
        load_series(path, id_column="unique_id")
    got = load_series(path, id_column="unique_id", fill="interpolate")
    assert got.series["a"].tolist() == [1, 2, 3, 4, 5] and got.dates["a"][2] == "2020-03-01"
    with pytest.raises(ValueError, match="does not lie on the steps"):
        load_series(path, id_column="unique_id", freq="W-SUN", fill="ffill")
    assert main(["forecast", str(path), "--id-column", "unique_id"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2020-03-01" in err


def test_a_panel_of_mixed_frequencies_names_the_minority(tmp_path):
    rows = [f"m,2020-{m:02d}-01,{m}" for m in range(1, 7)] + [f"d,2020-01-{d:02d},{d}" for d in range(1, 7)]
    rows += [f"n,2020-{m:02d}-01,{m}" for m in range(1, 7)]
    path = write(tmp_path, "mix.csv", "unique_id,ds,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(ValueError, match=r"2 are MS, but 'd' is D"):
        load_series(path, id_column="unique_id")


def test_a_date_column_under_any_name_and_its_season(tmp_path):
    text = "store,week,sales\n" + "".join(f"s1,2020-01-{d:02d},{d}\n" for d in (5, 12, 19, 26))
    got = load_series(write(tmp_path, "w.csv", text), id_column="store", column="sales")
    assert got.dates["s1"][-1] == "2020-01-26" and got.season == 52 and str(got.freq) == "W-SUN"
    assert next_labels(got.dates["s1"], 2) == ["2020-02-02", "2020-02-09"]


def test_ragged_wide_files_are_series_of_their_own_spans(tmp_path):
    text = "month,a,b,c\n2020-01,1,,5\n2020-02,2,,6\n2020-03,3,7,\n2020-04,4,8,\n"
    got = load_series(write(tmp_path, "w.csv", text), wide=True)
    assert got.series["a"].tolist() == [1, 2, 3, 4] and got.dates["a"][-1] == "2020-04"
    assert got.series["b"].tolist() == [7, 8] and got.dates["b"] == ["2020-03", "2020-04"]
    assert got.series["c"].tolist() == [5, 6] and got.dates["c"] == ["2020-01", "2020-02"]
    assert next_labels(got.dates["c"], 1) == ["2020-03"]


def test_a_european_one_series_export_end_to_end(tmp_path, capsys):
    rows = "".join(f"{d:02d}.{m:02d}.2020;{15000 + 100 * d + m}.{d:03d},{m:02d}\r\n" for m in (1, 2) for d in (1, 2))
    days = [f"{d:02d}.01.2020;1{d:01d}.136,00\r\n" for d in range(1, 10)]
    path = tmp_path / "eu.csv"
    path.write_bytes(("\ufeffDatum;Wert\r\n" + "".join(days)).encode("utf-8"))
    got = load_series(path)
    (uid,) = got.series
    assert got.series[uid][0] == 11136.0 and got.season == 7 and got.dates[uid][-1] == "09.01.2020"
    assert next_labels(got.dates[uid], 2) == ["10.01.2020", "11.01.2020"]
    del rows
    assert main(["forecast", str(path), "--horizon", "2", "--models", "1", "--steps", "50", "--json", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert '"10.01.2020"' in out and '"11.01.2020"' in out


def test_a_period_without_dates_is_found_in_the_values():
    from recurrent.forecast.season import detect_season

    rng = np.random.default_rng(0)
    t = np.arange(50_000)
    assert detect_season(10 + np.sin(2 * np.pi * t / 50) + 0.3 * rng.normal(size=t.size)) == 50
    walk = np.cumsum(rng.normal(size=2000)) + 100
    assert detect_season(walk) == 1


def test_a_saved_forecaster_continues_its_dates_after_load(tmp_path, capsys):
    import json

    days = np.busday_offset("2017-09-01", np.arange(40), roll="forward")
    text = "unique_id,ds,y\n" + "".join(f"s,{d},{100 + k + np.sin(k):.3f}\n" for k, d in enumerate(days))
    path = write(tmp_path, "b.csv", text)
    model = tmp_path / "m.safetensors"
    fast = ["--models", "1", "--steps", "50", "--quiet"]
    assert main(["forecast", str(path), "--id-column", "unique_id", "--horizon", "3", *fast, "--save", str(model)]) == 0
    capsys.readouterr()
    assert str(days[-1]) == "2017-10-26"  # a Thursday: Friday, then Monday and Tuesday
    assert main(["predict", str(model), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dates"] == ["2017-10-27", "2017-10-30", "2017-10-31"]
    import recurrent

    f = recurrent.load(model)
    assert str(f.date_labels_["rule"]) == "B" and f.date_labels_["tails"]["s"][-1] == "2017-10-26"


def test_standard_input_and_levels_before_the_file(tmp_path, capsys):
    import json
    import subprocess
    import sys

    text = "".join(f"{2000 + m // 12}-{m % 12 + 1:02d},{100 + m + 10 * (m % 12 == 0)}\n" for m in range(48))
    fast = ["--horizon", "2", "--models", "1", "--steps", "50", "--quiet", "--json"]
    run = subprocess.run(
        [sys.executable, "-m", "recurrent", "forecast", "-", *fast], input=text, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["dates"] == ["2004-01", "2004-02"]
    path = write(tmp_path, "one.csv", text)
    assert main(["forecast", "--level", "80", "95", str(path), *fast]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["dates"] == ["2004-01", "2004-02"] and set(got["intervals"]) == {"lo-80", "hi-80", "lo-95", "hi-95"}


def test_parquet_in_and_out_through_the_command_line(tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    dates = pd.date_range("2019-01-07", periods=40, freq="W-MON")
    frame = pd.DataFrame(
        [(f"p{k}", d, 30.0 + k + np.sin(t)) for k in range(2) for t, d in enumerate(dates)],
        columns=["unique_id", "ds", "y"],
    )
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    frame.to_parquet(src)
    got = load_series(src)
    assert str(got.freq) == "W-MON" and got.season == 52 and got.dates["p0"][-1] == "2019-10-07"
    argv = ["forecast", str(src), "--horizon", "2", "--models", "1", "--steps", "30", "--quiet", "-o", str(out)]
    assert main(argv) == 0
    back = pd.read_parquet(out)
    assert list(back.columns) == ["unique_id", "ds", "recurrent"]
    assert back["ds"].tolist() == [pd.Timestamp("2019-10-14"), pd.Timestamp("2019-10-21")] * 2
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    assert main(["forecast", str(tmp_path / "bad.parquet")]) == 2
    assert "not a readable Parquet file" in capsys.readouterr().err


def test_a_dataframe_goes_through_the_same_calendar():
    pd = pytest.importorskip("pandas")
    from recurrent import Forecaster

    fast = dict(hidden_size=8, n_models=1, max_steps=60, eval_every=20, patience=2, progress=False, seed=0)
    months = [f"{2000 + m // 12}-{m % 12 + 1}" for m in range(30)]  # 2000-1 ... 2000-9, 2000-10: text order is wrong
    frame = pd.DataFrame({"unique_id": "a", "ds": months[::-1], "y": np.arange(30.0)[::-1] + 10})
    out = Forecaster(horizon=3, **fast).fit(frame).predict()
    assert out["ds"].tolist() == ["2002-07", "2002-08", "2002-09"]
    days = pd.date_range("2017-10-02", periods=40, freq="B")
    f = Forecaster(horizon=2, **fast).fit(pd.DataFrame({"unique_id": "b", "ds": days, "y": np.arange(40.0) + 5}))
    assert f.season_ == 5 and f.predict()["ds"].tolist() == [pd.Timestamp("2017-11-27"), pd.Timestamp("2017-11-28")]
    gap = pd.DataFrame({"unique_id": "c", "ds": pd.date_range("2000-01-01", periods=20, freq="MS").delete(7), "y": 1.0})
    with pytest.raises(ValueError, match=r"series 'c': no value for 2000-08-01 .*reindex"):
        Forecaster(horizon=2, **fast).fit(gap.assign(y=np.arange(19.0)))
    mixed = pd.concat(
        [
            pd.DataFrame({"unique_id": "m", "ds": pd.date_range("2000-01-01", periods=20, freq="MS"), "y": 1.0}),
            pd.DataFrame({"unique_id": "d", "ds": pd.date_range("2000-01-01", periods=20, freq="D"), "y": 2.0}),
            pd.DataFrame({"unique_id": "n", "ds": pd.date_range("2001-01-01", periods=20, freq="MS"), "y": 3.0}),
        ]
    )
    with pytest.raises(ValueError, match=r"'d' is D"):
        Forecaster(horizon=2, **fast).fit(mixed)


def test_the_pandas_reader_and_the_careful_reader_agree_exactly(tmp_path, monkeypatch):
    pytest.importorskip("pandas")
    from recurrent.forecast import fastread, files

    rng = np.random.default_rng(3)
    rows = [(f" id{k % 7} ", f"2020-{1 + k // 7:02d}-01", f"{rng.normal():.6f}") for k in range(7 * 12)]
    rng.shuffle(rows[:20])  # first-seen order differs from sorted order; dates stay in order per id
    rows = sorted(rows, key=lambda r: (r[1], rng.random()))
    path = write(tmp_path, "l.csv", "unique_id,ds,y\n" + "".join(",".join(r) + "\n" for r in rows) + "\n")
    assert fastread.read_long_pandas(path, "unique_id", "ds", "y", None, None) is not None  # the fast path reads it
    fast = files.read_long_csv(path)
    monkeypatch.setattr(files, "read_long_pandas", lambda *a, **k: None)
    careful = files.read_long_csv(path)
    assert list(fast[0]) == list(careful[0]) and len(careful[0]) == 7
    for u in careful[0]:
        assert fast[0][u].tolist() == careful[0][u].tolist() and fast[1][u] == careful[1][u]
    bad = write(tmp_path, "bad.csv", "unique_id,ds,y\na,2020-01-01,1\na,2020-01-01,2\n")
    monkeypatch.undo()
    with pytest.raises(ValueError, match=r"line 3, id 'a': date '2020-01-01' appears twice"):
        files.read_long_csv(bad)


def test_an_unparseable_date_names_its_line_and_a_contradicting_freq_is_refused(tmp_path, capsys):
    bad = write(tmp_path, "x.csv", "unique_id,ds,y\na,2020-01-01,1\na,2020-02-01,2\na,2020-0x-01,3\n")
    with pytest.raises(ValueError, match=r"x.csv, line 4, id 'a': '2020-0x-01' is not a date"):
        load_series(bad, id_column="unique_id")
    ok = write(tmp_path, "m.csv", "unique_id,ds,y\n" + "".join(f"a,2020-{m:02d}-01,{m}\n" for m in range(1, 7)))
    assert main(["forecast", str(ok), "--id-column", "unique_id", "--freq", "W-SUN"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2020-02-01 does not lie on the steps of the frequency W-SUN" in err
    assert load_series(ok, id_column="unique_id", freq="MS").season == 12


def test_a_saved_frame_forecaster_continues_text_and_business_dates_after_load(tmp_path):
    pd = pytest.importorskip("pandas")
    import recurrent
    from recurrent import Forecaster

    fast = dict(hidden_size=8, n_models=1, max_steps=60, eval_every=20, patience=2, progress=False, seed=0)
    text = pd.DataFrame({"unique_id": "a", "ds": [f"{m + 1}/1/2000" for m in range(12)] * 1, "y": np.arange(12.0) + 3})
    days = pd.DataFrame(
        {"unique_id": "b", "ds": pd.date_range("2017-10-02", periods=30, freq="B"), "y": 1.0 + np.arange(30.0)}
    )
    for frame in (text, days):
        f = Forecaster(horizon=2, **fast).fit(frame)
        f.save(tmp_path / "f.safetensors")
        before, after = f.predict(), recurrent.load(tmp_path / "f.safetensors").predict()
        assert after["ds"].tolist() == before["ds"].tolist()
    assert before["ds"].tolist() == [pd.Timestamp("2017-11-13"), pd.Timestamp("2017-11-14")]
    f = Forecaster(horizon=2, **fast).fit(text)
    assert f.predict()["ds"].tolist() == ["1/1/2001", "2/1/2001"]


def test_the_onnx_recipe_says_how_the_dates_continue(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("onnx")
    import json

    from recurrent import Forecaster
    from recurrent.forecast.export import recipe

    fast = dict(hidden_size=8, n_models=1, max_steps=40, eval_every=20, patience=2, progress=False, seed=0)
    days = pd.DataFrame(
        {"unique_id": "b", "ds": pd.date_range("2017-10-02", periods=30, freq="B"), "y": 1.0 + np.arange(30.0)}
    )
    f = Forecaster(horizon=2, **fast).fit(days)
    assert recipe(f)["dates"]["rule"] == "B"
    assert Forecaster(horizon=2, **fast).fit(np.arange(30.0) + 1).export_onnx(tmp_path / "e").exists()
    assert json.loads((tmp_path / "e" / "forecaster.json").read_text())["dates"] is None


def test_dates_that_fit_no_single_frequency_name_the_two_steps(tmp_path):
    cells = ["2020-01-01 00:00", "2020-01-01 00:30", "2020-01-01 01:15"]
    with pytest.raises(ValueError, match=r"fit no single frequency: .* is 30 minutes but .* is 45 minutes"):
        calendar.infer(calendar.parse(cells).values, "f.csv, series 'a'")
    path = write(tmp_path, "i.csv", "unique_id,ds,y\n" + "".join(f"a,{c},{k}\n" for k, c in enumerate(cells)))
    with pytest.raises(ValueError, match=r"i.csv, series 'a': the dates fit no single frequency"):
        load_series(path, id_column="unique_id")
