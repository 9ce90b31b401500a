"""Saving and loading: safetensors + JSON, atomic, checked; checkpoints survive kill -9."""

import json
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import recurrent
from recurrent import GRU, LSTM, RNN, LastStep, Linear, Sequential, optim, store

ROOT = Path(__file__).resolve().parents[1]


def model(dtype=np.float32):
    return Sequential(
        [
            LSTM(3, 4, num_layers=2, bidirectional=True, dtype=dtype, seed=0),
            LastStep(),
            Linear(8, 2, dtype=dtype, seed=1),
        ]
    )


def test_save_load_round_trip(tmp_path):
    for m in [
        model(),
        Sequential([GRU(2, 3, dtype=np.float64, seed=2), Linear(3, 1, dtype=np.float64)]),
        Sequential([RNN(1, 2, nonlinearity="relu", seed=3)]),
    ]:
        path = tmp_path / "m.safetensors"
        m.save(path)
        back = recurrent.load(path)
        assert back.config() == m.config()
        for k, v in m.params.items():
            assert back.params[k].dtype == v.dtype and back.params[k].tobytes() == v.tobytes()
        x = np.random.default_rng(0).normal(size=(2, 5, m.layers[0].input_size))
        np.testing.assert_array_equal(back.predict(x), m.predict(x))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left behind


def test_file_is_plain_safetensors_with_json_metadata(tmp_path):
    from safetensors.numpy import load_file

    path = tmp_path / "m.safetensors"
    model().save(path)
    tensors = load_file(str(path))
    assert "0.weight_ih_l0_reverse" in tensors
    n = struct.unpack("<Q", path.read_bytes()[:8])[0]
    meta = json.loads(json.loads(path.read_bytes()[8 : 8 + n])["__metadata__"]["recurrent"])
    assert meta["kind"] == "sequential" and meta["library_version"] == recurrent.__version__
    assert meta["tensors_sha256"] == store.tensors_sha256(tensors)
    assert meta["sha256"] == store.file_sha256(tensors, meta)
    assert meta["layers"][0] == {
        "type": "LSTM",
        "config": {
            "input_size": 3,
            "hidden_size": 4,
            "num_layers": 2,
            "bidirectional": True,
            "dtype": "float32",
            "seed": 0,
        },
    }


def test_truncated_tampered_and_foreign_files_are_refused(tmp_path):
    from safetensors.numpy import save_file

    path = tmp_path / "m.safetensors"
    model().save(path)
    data = path.read_bytes()
    cases = {
        "truncated": (data[: len(data) // 2], "truncated or corrupt"),
        "short": (data[:5], "only 5 bytes"),
        "tampered": (data[:-3] + bytes([data[-3] ^ 0xFF]) + data[-2:], "checksum mismatch"),
        "random": (os.urandom(200), "not a recurrent file|truncated"),
        "empty": (b"", "only 0 bytes"),
    }
    for name, (content, message) in cases.items():
        bad = tmp_path / f"{name}.safetensors"
        bad.write_bytes(content)
        with pytest.raises(ValueError, match=message):
            recurrent.load(bad)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": np.zeros(3, dtype=np.float32)}, str(foreign))
    with pytest.raises(ValueError, match="no recurrent metadata"):
        recurrent.load(foreign)
    with pytest.raises(FileNotFoundError):
        recurrent.load(tmp_path / "missing.safetensors")


def test_a_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    model().save(path)
    before = path.read_bytes()

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        Sequential([LSTM(3, 4, seed=9), LastStep(), Linear(4, 2)]).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


CHILD = """
import sys, numpy as np
sys.path.insert(0, {tests!r})
from test_io import run
run({ckpt!r}, epochs={epochs})
"""


def run(ckpt, epochs, resume=None):
    """The training run both processes perform: fixed seeds, a checkpoint every epoch."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(400, 12, 3))
    Y = np.stack([X[:, :, 0].mean(1), X[:, -1, 2]], 1)
    m = Sequential([LSTM(3, 16, seed=0), LastStep(), Linear(16, 2, seed=1)])
    m.fit(
        X,
        Y,
        optimizer=optim.Adam(lr=0.005),
        epochs=epochs,
        batch_size=16,
        seed=3,
        validation_split=0.1,
        early_stopping=recurrent.EarlyStopping(patience=50),
        progress=False,
        checkpoint=ckpt,
        resume=resume,
    )
    return m


def test_killed_run_resumes_to_bitwise_identical_weights(tmp_path):
    epochs = 40
    ckpt = tmp_path / "ckpt.safetensors"
    code = CHILD.format(tests=str(Path(__file__).parent), ckpt=str(ckpt), epochs=epochs)
    child = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path)
    deadline = time.time() + 120
    seen = 0
    while seen < 3 and time.time() < deadline and child.poll() is None:  # wait for the third checkpoint
        if ckpt.exists():
            seen = store.load_file(ckpt, kind="checkpoint")[1]["epoch"]
        time.sleep(0.002)
    time.sleep(0.013)  # then somewhere inside the next epoch
    assert child.poll() is None, "the child finished before it could be killed; make its run longer"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    _, meta = store.load_file(ckpt, kind="checkpoint")
    assert 1 <= meta["epoch"] < epochs

    resumed = run(str(ckpt), epochs, resume=str(ckpt))
    straight = run(None, epochs)
    for k, v in straight.params.items():
        assert resumed.params[k].tobytes() == v.tobytes(), k
    _, meta = store.load_file(ckpt, kind="checkpoint")
    assert meta["epoch"] == epochs


def test_resume_refuses_another_models_checkpoint(tmp_path):
    ckpt = tmp_path / "c.safetensors"
    X, Y = np.zeros((4, 3, 3)), np.zeros((4, 2))
    model().fit(X, Y, epochs=1, progress=False, checkpoint=ckpt)
    other = Sequential([GRU(3, 4), LastStep(), Linear(4, 2)])
    with pytest.raises(ValueError, match="checkpoint is for a different model"):
        other.fit(X, Y, epochs=2, progress=False, resume=ckpt)
    m = model()
    m.save(tmp_path / "plain.safetensors")
    with pytest.raises(ValueError, match="holds a 'sequential', expected a 'checkpoint'"):
        m.fit(X, Y, epochs=2, progress=False, resume=tmp_path / "plain.safetensors")
