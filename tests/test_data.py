"""CSV loading: the formats people have, and one-line errors naming line and column."""

import numpy as np
import pytest

from recurrent import datasets
from recurrent.data import read_csv


def write(tmp_path, text, name="s.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.mark.parametrize(
    "text",
    [
        "date,value\n2020-01,1.5\n2020-02,2\n2020-03,3.25\n",
        "\ufeffdate,value\r\n2020-01,1.5\r\n2020-02,2\r\n2020-03,3.25\r\n",  # BOM + CRLF
        "date;value\n2020-01;1.5\n2020-02;2\n2020-03;3.25\n",
        "date\tvalue\n2020-01\t1.5\n2020-02\t2\n2020-03\t3.25\n",
        "date,value\n\n2020-01,1.5\n2020-02,2\n\n2020-03,3.25\n",  # blank lines
    ],
)
def test_formats(tmp_path, text):
    s = read_csv(write(tmp_path, text), date_column="date")
    np.testing.assert_array_equal(s.values, [1.5, 2.0, 3.25])
    assert s.dates == ["2020-01", "2020-02", "2020-03"] and s.name == "value"


def test_columns_by_name_and_index_and_no_header(tmp_path):
    p = write(tmp_path, "a,b,c\n1,10,100\n2,20,200\n")
    assert list(read_csv(p, column="b").values) == [10, 20]
    assert list(read_csv(p, column=0).values) == [1, 2]
    assert list(read_csv(p, column="-1").values) == [100, 200]
    q = write(tmp_path, "1,10\n2,20\n3,30\n", "nh.csv")
    s = read_csv(q)
    assert list(s.values) == [10, 20, 30] and s.name == "column 1"
    assert list(read_csv(q, column=0, header=False).values) == [1, 2, 3]


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "the file is empty"),
        ("\n\n  \n", "the file is empty"),
        ("date,value\n", "no data rows after the header"),
        ("date,value\n2020-01,1\n2020-02,abc\n", "line 3, column 'value': 'abc' is not a number"),
        ("date,value\n2020-01,1\n2020-02,\n2020-03,3\n", "line 3, column 'value': missing value"),
        ("date,value\n2020-01,1\n2020-02,NaN\n", "line 3, column 'value': missing value"),
        ("date,value\n2020-01,1\n2020-02,inf\n", "line 3, column 'value': 'inf' is not finite"),
        ("date,value\n2020-01,1\n2020-02,2,9\n", "line 3: expected 2 fields like the first row, got 3"),
    ],
)
def test_bad_files(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        read_csv(write(tmp_path, text))


def test_bad_column_choices(tmp_path):
    p = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(ValueError, match="no column named 'z'; the columns are 'a', 'b'"):
        read_csv(p, column="z")
    with pytest.raises(ValueError, match="column index 5 is out of range; the file has 2 columns"):
        read_csv(p, column=5)
    with pytest.raises(ValueError, match="not UTF-8"):
        read_csv(write(tmp_path, "a,b\n1,\xe9\n", "latin.csv", encoding="latin-1"))
    with pytest.raises(ValueError, match="`fill` must be one of"):
        read_csv(p, fill="zero")


def test_fill_gaps_only_when_asked(tmp_path):
    p = write(tmp_path, "t,v\n1,1\n2,\n3,\n4,4\n5,nan\n6,6\n")
    np.testing.assert_array_equal(read_csv(p, fill="ffill").values, [1, 1, 1, 4, 4, 6])
    np.testing.assert_array_equal(read_csv(p, fill="interpolate").values, [1, 2, 3, 4, 5, 6])
    q = write(tmp_path, "t,v\n1,\n2,2\n", "first.csv")
    with pytest.raises(ValueError, match="the first value is missing"):
        read_csv(q, fill="ffill")
    np.testing.assert_array_equal(read_csv(q, fill="interpolate").values, [2, 2])


def test_bundled_datasets_load_offline():
    a = datasets.load_airline()
    assert len(a) == 144 and a.values[0] == 112 and a.values[-1] == 432 and a.dates[0] == "1949-01"
    s = datasets.load_sunspots()
    assert len(s) == 309 and s.dates[-1] == "2008" and s.values[0] == 5
    with pytest.raises(ValueError, match="unknown dataset 'gold'"):
        datasets.load("gold")
