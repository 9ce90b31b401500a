"""The command line: output, exit codes, one-line errors."""

import json
import subprocess
import sys

import pytest

from recurrent.cli import main


def test_demo_prints_the_classic_table(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Time Step 2:\n  Forget gate (f_t): 0.736" in out
    assert "  Output gate (o_t): 0.846" in out
    assert "Predicted next value: 3.483" in out


def test_gradcheck_json(capsys):
    assert main(["gradcheck", "--cell", "rnn", "--layers", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["max_error"] < 1e-6
    assert "weight_hh_l1" in data["errors"]


@pytest.mark.parametrize("argv", [["gradcheck", "--layers", "0"], ["nope"], ["gradcheck", "--cell", "lsmt"], []])
def test_bad_arguments_exit_2_with_one_line(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    if argv:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_python_dash_m_and_help():
    r = subprocess.run([sys.executable, "-m", "recurrent", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "demo" in r.stdout
    r = subprocess.run([sys.executable, "-m", "recurrent", "gradcheck", "--steps", "x"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
