"""Many files in, a file per part out (recurrent.forecast.parts), in this process: the pattern, the
merge, the output folder written whole or not at all, and the command line over them."""

import hashlib
import json

import numpy as np
import pytest

import recurrent
from conftest import read_rows, write_files
from recurrent.cli import main
from recurrent.forecast import parts

FAST = ["--models", "1", "--steps", "60", "--quiet"]


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(9)
    t = np.arange(48)
    Y = {f"t{k}": 100 + 20 * np.sin(2 * np.pi * t / 12 + k) + rng.normal(0, 2, 48) for k in range(12)}
    return recurrent.Forecaster(horizon=6, season=12, max_steps=60, n_models=1, seed=0, progress=False).fit(Y)


def test_a_pattern_reads_every_file_as_one_collection(tmp_path):
    paths, Y = write_files(tmp_path / "in")
    assert parts.is_pattern(str(tmp_path / "in" / "*.csv")) and not parts.is_pattern(paths[0])
    found = parts.expand(str(tmp_path / "in" / "sales-*.csv"))
    assert found == sorted(paths)
    got, dates, season, groups = parts.read_files(found, {"id_column": "unique_id"})
    assert list(got) == list(Y) and season == 12
    for k in Y:
        np.testing.assert_array_equal(got[k], Y[k])
    assert dates["f2s3"][:2] == ["2000-01", "2000-02"]
    assert [len(ids) for _, ids in groups] == [4, 4, 4] and groups[1] == (paths[1], ["f1s0", "f1s1", "f1s2", "f1s3"])
    with pytest.raises(ValueError, match="no file matches"):
        parts.expand(str(tmp_path / "none-*.csv"))


def test_the_same_series_in_two_files_is_refused_naming_both(tmp_path, fitted):
    paths, _ = write_files(tmp_path / "in", n_files=2)
    text = open(paths[0]).read().splitlines()
    with open(paths[1], "a") as f:
        f.write("\n".join(line for line in text[1:] if line.startswith("f0s1,")) + "\n")
    with pytest.raises(ValueError, match=r"'f0s1' is in .*sales-0.csv and in .*sales-1.csv"):
        parts.read_files(paths, {"id_column": "unique_id"})
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="'f0s1' is in"):
        parts.predict_files(fitted, paths, out, id_column="unique_id")
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["in"]  # nothing left behind


def test_predict_files_writes_a_part_per_file_and_a_manifest_equal_to_predict(tmp_path, fitted):
    paths, Y = write_files(tmp_path / "in")
    out = tmp_path / "out"
    manifest = parts.predict_files(fitted, paths, out, level=[80], model="m.safetensors", id_column="unique_id")
    names = ["manifest.json", "part-00000.csv", "part-00001.csv", "part-00002.csv"]
    assert sorted(p.name for p in out.iterdir()) == names
    assert json.loads((out / "manifest.json").read_text()) == manifest
    assert manifest["series"] == 12 and manifest["rows"] == 12 * 6 and manifest["horizon"] == 6
    assert manifest["columns"] == ["unique_id", "ds", "recurrent", "recurrent-lo-80", "recurrent-hi-80"]
    want = fitted.predict(Y, level=[80])
    for k, part in enumerate(manifest["parts"]):
        data = (out / part["file"]).read_bytes()
        assert part["source"] == paths[k] and part["series"] == 4 and part["rows"] == 24
        assert part["sha256"] == hashlib.sha256(data).hexdigest()
        rows = read_rows(out / part["file"])
        assert rows[0] == manifest["columns"]
        for uid, ds, *vals in rows[1:]:
            assert uid.startswith(f"f{k}s")
            step = [r for r in rows[1:] if r[0] == uid].index([uid, ds, *vals])
            for col, v in zip(("forecast", "lo-80", "hi-80"), vals):
                assert float(v) == pytest.approx(want[uid][col][step], rel=1e-6)  # float32: other batch rows
        assert rows[1][1] == "2003-05"  # the month after the 40 values from 2000-01
    with pytest.raises(ValueError, match="not empty"):
        parts.predict_files(fitted, paths, out, id_column="unique_id")


def test_a_failing_part_leaves_no_folder(tmp_path, fitted):
    paths, _ = write_files(tmp_path / "in")
    with open(paths[2], "a") as f:
        f.write("f2s0,2099-01,not-a-number\n")
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="not-a-number"):
        parts.predict_files(fitted, paths, out, id_column="unique_id")
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["in"]


def test_cli_forecast_and_predict_over_a_pattern_into_folders(tmp_path, capsys):
    paths, Y = write_files(tmp_path / "in")
    pattern = str(tmp_path / "in" / "*.csv")
    model, out = tmp_path / "m.safetensors", tmp_path / "fc"
    argv = ["forecast", pattern, "--id-column", "unique_id", "--horizon", "6", "--save", str(model), "--json"]
    assert main([*argv, "-o", f"{out}/", *FAST]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_series"] == 12 and data["series"] == f"3 files matching {pattern}"
    manifest = json.loads((out / "manifest.json").read_text())
    assert [p["series"] for p in manifest["parts"]] == [4, 4, 4] and manifest["rows"] == 72
    first = read_rows(out / "part-00000.csv")[1]
    assert first[0] == "f0s0" and float(first[2]) == pytest.approx(data["forecasts"]["f0s0"][0], rel=1e-9)

    again = tmp_path / "again"
    assert main(["predict", str(model), pattern, "--id-column", "unique_id", "-o", f"{again}/"]) == 0
    assert "12 series from 3 files: 72 forecast rows in 3 part files" in capsys.readouterr().out
    for k in range(3):  # the same rows; the values to float32 rounding (a part's products run on fewer rows)
        ra, rb = read_rows(again / f"part-0000{k}.csv"), read_rows(out / f"part-0000{k}.csv")
        assert [r[:2] for r in ra] == [r[:2] for r in rb]
        np.testing.assert_allclose([float(r[2]) for r in ra[1:]], [float(r[2]) for r in rb[1:]], rtol=1e-6)
    assert main(["predict", str(model), pattern, "--id-column", "unique_id", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["forecasts"]["f2s3"] == data["forecasts"]["f2s3"]
    listing = tmp_path / "listing.csv"
    assert main(["predict", str(model), pattern, "--id-column", "unique_id", "-o", str(listing)]) == 0
    assert f"... and 2 more series (all of them are in {listing})" in capsys.readouterr().out
    assert len(listing.read_text().splitlines()) == 1 + 12 * 6


@pytest.mark.parametrize(
    "argv, message",
    [
        (["forecast", "{tmp}/nothing-*.csv", "--id-column", "unique_id"], "no file matches"),
        (["forecast", "{tmp}/in/*.csv", "--id-column", "unique_id", "-o", "{tmp}/in/"], "is not empty"),
        (["forecast", "{tmp}/in/*.csv", "--id-column", "unique_id", "-o", "{tmp}/no/such/"], "does not exist"),
    ],
)
def test_cli_bad_patterns_and_folders_exit_2_with_one_line(tmp_path, capsys, argv, message):
    write_files(tmp_path / "in")
    assert main([a.format(tmp=tmp_path) for a in argv] + FAST) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
