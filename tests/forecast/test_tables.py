"""forecast.tables: the readers a file's layout needs, and forecasts written out."""

import csv

import numpy as np
import pytest

from recurrent.forecast.tables import forecasts_json, load_series, write_backtest, write_forecasts


def test_bundled_series_and_its_season():
    got = load_series(None, dataset="airline")
    (label,) = got.series
    assert label.startswith("airline (") and got.season == 12 and not got.many
    assert len(got.series[label]) == 144 and got.dates[label][0] == "1949-01"


def test_long_file_reads_every_series_with_its_dates(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "unique_id,ds,y\n" + "".join(f"{u},2020-{m:02d},{k + m}\n" for k, u in enumerate("ab") for m in range(1, 13))
    )
    got = load_series(path, id_column="unique_id")
    assert got.many and sorted(got.series) == ["a", "b"] and got.season == 12
    np.testing.assert_array_equal(got.series["b"], np.arange(2, 14))
    assert got.dates["a"][-1] == "2020-12"


def test_layout_options_without_a_file_are_refused_and_decimal_applies_to_one_column(tmp_path):
    with pytest.raises(ValueError, match="read a CSV file"):
        load_series(None, id_column="id")
    path = tmp_path / "one.csv"
    path.write_text("month;y\n" + "".join(f"2020-{m:02d};{m},5\n" for m in range(1, 13)))
    got = load_series(path, decimal=",")
    assert list(got.series.values())[0][:2].tolist() == [1.5, 2.5] and got.season == 12


def test_forecasts_written_long_with_bands_and_as_json(tmp_path):
    fc = {"a": np.array([1.0, 2.0])}
    labels = {"a": ["2021-01", "2021-02"]}
    bands = {"a": {"lo-80": np.array([0.5, 1.5]), "hi-80": np.array([1.5, 2.5])}}
    write_forecasts(tmp_path / "f.csv", fc, labels, bands=bands)
    rows = list(csv.reader(open(tmp_path / "f.csv")))
    assert rows == [
        ["unique_id", "ds", "recurrent", "recurrent-lo-80", "recurrent-hi-80"],
        ["a", "2021-01", "1", "0.5", "1.5"],
        ["a", "2021-02", "2", "1.5", "2.5"],
    ]
    assert forecasts_json(fc, labels, many=False, bands=bands) == {
        "forecast": [1.0, 2.0],
        "dates": labels["a"],
        "intervals": {"lo-80": [0.5, 1.5], "hi-80": [1.5, 2.5]},
    }


def test_backtest_windows_written_long_with_their_origins(tmp_path):
    per = {
        "a": {"actual": np.array([[5.0, 6.0], [7.0, 8.0]]), "forecast": np.array([[5.5, 6.5], [7.5, 8.5]])},
        "b": {"actual": np.array([[1.0, 2.0], [3.0, 4.0]]), "forecast": np.array([[1.5, 2.5], [3.5, 4.5]])},
    }
    cutoffs = {"a": [4, 6], "b": [3, 5]}
    dates = {"a": [f"2020-{m:02d}" for m in range(1, 9)], "b": None}
    path = tmp_path / "cv.csv"
    write_backtest(path, per, cutoffs, dates, horizon=2)
    rows = list(csv.reader(open(path)))
    assert rows[0] == ["unique_id", "cutoff", "ds", "y", "recurrent"]
    assert len(rows) == 1 + 2 * 2 * 2
    # a's second window starts after its 6th value: the origin is the 6th date, the first target the 7th
    assert rows[3][:3] == ["a", "2020-06", "2020-07"] and float(rows[3][3]) == 7.0 and float(rows[3][4]) == 7.5
    # without dates, positions are counted from 1
    assert rows[5][:3] == ["b", "3", "4"] and float(rows[5][4]) == 1.5


@pytest.mark.parametrize("seed", range(6))
def test_the_column_reader_and_the_row_reader_agree_on_every_long_file(tmp_path, seed, monkeypatch):
    """read_long_csv's whole-column path gives exactly the row-by-row reader's answer, and hands
    over to it for any file it cannot vouch for (the refusal then names the line as before)."""
    from recurrent.forecast import files

    rng = np.random.default_rng(seed)
    lines = ["unique_id,ds,y"]
    rows = []
    for k in range(int(rng.integers(1, 6))):
        dates = [f"{2000 + m // 12}-{m % 12 + 1:02d}" if seed % 2 else str(m) for m in range(int(rng.integers(1, 9)))]
        rows += [(f" s{k} ", d, f"{rng.normal(100, 10):.3f}") for d in dates]
    order = rng.permutation(len(rows)) if seed % 3 == 0 else np.arange(len(rows))  # ids interleaved
    kept = [rows[i] for i in order]
    if seed == 4:
        kept.append(kept[0])  # the same (id, date) twice: refused, with its line
    if seed == 5:
        kept.append(("s0", kept[0][1], "NA"))  # a missing value: refused (or filled) by the row reader
    lines += [",".join(r) for r in kept]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n\n")

    def every_reader(**kw):
        """pandas' reader, the whole-column reader, the careful reader: each turned off in turn."""
        got = []
        for off in ((), ("read_long_pandas",), ("read_long_pandas", "read_long_columns")):
            for name in off:
                monkeypatch.setattr(files, name, lambda *a, **k: None)
            try:
                got.append(files.read_long_csv(path, **kw))
            except ValueError as e:
                got.append(str(e))
            monkeypatch.undo()
        return got

    *fast, slow = every_reader()
    for one in fast:
        if isinstance(slow, str):
            assert one == slow and "line" in slow
            continue
        assert list(one[0]) == list(slow[0]) and one[1] == slow[1]
        for k in slow[0]:
            np.testing.assert_array_equal(one[0][k], slow[0][k])
            assert one[0][k].dtype == np.float64
