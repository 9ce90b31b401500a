"""Hostile and damaged files, odd output paths, locked-down machines: each ends in a clean
refusal or a correct result. Device nodes, FIFOs and read-only places are made in the test's
own temporary folder, never the system's."""

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save

import recurrent
from recurrent import GRU, LSTM, Forecaster, LastStep, Linear, Sequential, safefiles, store
from recurrent.cli import main

SRC = Path(recurrent.__file__).parent


@pytest.fixture(scope="module")
def forecaster_file(tmp_path_factory):
    y = {"a": np.sin(np.arange(60) / 3) + 2, "b": np.cos(np.arange(50) / 4) + 3}
    f = Forecaster(horizon=4, n_models=1, max_steps=40, eval_every=20, seed=0, progress=False).fit(y)
    path = tmp_path_factory.mktemp("f") / "f.safetensors"
    f.save(path)
    return path


def rewrite(src, dst, edit, checksum=True):
    """A copy of a recurrent file with its metadata edited by ``edit(meta)`` and the checksum
    recomputed (as an attacker would: it is a plain SHA-256)."""
    tensors, meta = store.load_file(src)
    edit(meta)
    if checksum:
        meta["sha256"] = store.file_sha256(tensors, meta) if meta.get("format_version") != 1 else meta["sha256"]
    Path(dst).write_bytes(save(tensors, metadata={"recurrent": json.dumps(meta)}))
    return dst


def test_a_theta_share_not_offered_is_refused_and_an_older_file_reads_as_theta_alone(forecaster_file, tmp_path):
    bad = rewrite(forecaster_file, tmp_path / "bad.safetensors", lambda m: m["fitted"].update(theta_share=0.3))
    with pytest.raises(ValueError, match="theta_share` must be 1, 0.5 or 0, got 0.3"):
        recurrent.load(bad)
    old = rewrite(forecaster_file, tmp_path / "old.safetensors", lambda m: m["fitted"].pop("theta_share"))
    assert recurrent.load(old).theta_share_ == 1.0


def test_a_file_cannot_choose_a_scheduler_or_any_unknown_setting(forecaster_file, tmp_path):
    for key, value in [("scheduler", "tcp://127.0.0.1:9"), ("__class__", "os.system"), ("progress", "yes")]:
        bad = rewrite(
            forecaster_file, tmp_path / "bad.safetensors", lambda m, kv=(key, value): m["settings"].update([kv])
        )
        with pytest.raises(ValueError, match=key):
            recurrent.load(bad)
    assert recurrent.load(forecaster_file).scheduler is None
    assert main(["predict", str(tmp_path / "bad.safetensors")]) == 2


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda m: m["fitted"].update(weight=float("nan")), "weight"),
        (lambda m: m["fitted"].update(weight=5), "weight"),
        (lambda m: m["fitted"].update(weight=-3), "weight"),
        (lambda m: m["fitted"].update(season=0), "season"),
        (lambda m: m["fitted"].update(season=10**30), "season"),
        (lambda m: m["series"].update(ids=["a", "a"]), "appears twice"),
        (lambda m: m["series"].update(ids=["a"]), "list of 2"),
        (lambda m: m["series"].update(kind="module"), "kind"),
        (lambda m: m["series"].update(freq="'; import os"), "freq"),
        (lambda m: m["fitted"].update(lookbacks=[8, 12, 16, 20]), "lookbacks"),
        (lambda m: m["fitted"].update(methods="x"), "methods"),
        (lambda m: m.update(fitted=[]), "fitted"),
        (lambda m: m.update(settings={"horizon": 10**12}), "horizon"),
        (lambda m: m.update(settings=[]), "settings"),
        (lambda m: m.update(layers={"a": 1}), "layers"),
        (lambda m: m["layers"][0][0].update(type="os.system"), "unknown layer"),
        (lambda m: m["layers"][0][1]["config"].update(hidden_size=10**9), "declare"),
        (lambda m: m["layers"][0][1]["config"].update(command="ls"), "no setting"),
        (lambda m: m.pop("series"), "series"),
    ],
)
def test_damaged_or_hostile_metadata_is_refused_by_name(forecaster_file, tmp_path, edit, words):
    bad = rewrite(forecaster_file, tmp_path / "bad.safetensors", edit)
    with pytest.raises(ValueError, match=words):
        recurrent.load(bad)


def test_inconsistent_series_lengths_are_refused(forecaster_file, tmp_path):
    tensors, meta = store.load_file(forecaster_file)
    tensors["series/lengths"] = tensors["series/lengths"] + np.array([1, -1])
    tensors["series/lengths"][0] += 5
    meta["tensors_sha256"] = store.tensors_sha256(tensors)
    meta["sha256"] = store.file_sha256(tensors, meta)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(save(tensors, metadata={"recurrent": json.dumps(meta)}))
    with pytest.raises(ValueError, match="series lengths"):
        recurrent.load(bad)


def test_deep_json_and_a_huge_declared_layer_are_refused_quickly_and_small(tmp_path):
    m = Sequential([LSTM(1, 2, seed=0), LastStep(), Linear(2, 1, seed=0)])
    m.save(tmp_path / "m.safetensors")
    huge = rewrite(
        tmp_path / "m.safetensors",
        tmp_path / "huge.safetensors",
        lambda meta: meta["layers"][0]["config"].update(hidden_size=200_000, num_layers=50),
    )
    deep = tmp_path / "deep.safetensors"
    deep.write_bytes(save({"x": np.zeros(1)}, metadata={"recurrent": "[" * 100_000 + "]" * 100_000}))
    for path in (huge, deep):
        tracemalloc.start()
        with pytest.raises(ValueError):
            recurrent.load(path)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 100e6, peak


def test_version_1_cannot_be_claimed_to_skip_the_metadata_checksum(forecaster_file, tmp_path):
    def downgrade(meta):
        meta["format_version"] = 1
        meta["sha256"] = meta["tensors_sha256"]
        meta["fitted"]["weight"] = 0.9

    bad = rewrite(forecaster_file, tmp_path / "v1.safetensors", downgrade, checksum=False)
    with pytest.raises(ValueError, match="version 1"):
        recurrent.load(bad)
    m = Sequential([GRU(2, 3, seed=0), LastStep(), Linear(3, 1, seed=0)])
    m.save(tmp_path / "m.safetensors")
    bad = rewrite(tmp_path / "m.safetensors", tmp_path / "m1.safetensors", downgrade_model, checksum=False)
    with pytest.raises(ValueError, match="version 1"):
        recurrent.load(bad)


def downgrade_model(meta):
    meta["format_version"] = 1
    meta["sha256"] = meta["tensors_sha256"]


def test_a_genuine_version_1_model_still_loads(tmp_path):
    m = Sequential([GRU(2, 3, seed=0), LastStep(), Linear(3, 1, seed=0)])
    tensors = m.state_dict()
    meta = {"kind": "sequential", "layers": m.config(), "format_version": 1, "library_version": "0.1.0"}
    meta["sha256"] = store.tensors_sha256(tensors)
    (tmp_path / "old.safetensors").write_bytes(save(tensors, metadata={"recurrent": json.dumps(meta)}))
    back = recurrent.load(tmp_path / "old.safetensors")
    x = np.ones((2, 4, 2), np.float32)
    assert np.array_equal(back.predict(x), m.predict(x))


def test_trailing_bytes_and_oversized_headers_are_refused(tmp_path):
    m = Sequential([LSTM(1, 2, seed=0), LastStep(), Linear(2, 1, seed=0)])
    m.save(tmp_path / "m.safetensors")
    data = (tmp_path / "m.safetensors").read_bytes()
    (tmp_path / "t.safetensors").write_bytes(data + b"\0" * 100)
    with pytest.raises(ValueError, match="declares"):
        recurrent.load(tmp_path / "t.safetensors")
    (tmp_path / "h.safetensors").write_bytes((10**15).to_bytes(8, "little") + b"{}")
    with pytest.raises(ValueError, match="header length"):
        recurrent.load(tmp_path / "h.safetensors")


def test_loading_draws_no_weights_and_keeps_the_dropout_generator_where_it_was(tmp_path):
    m = Sequential([LSTM(3, 5, num_layers=2, dropout=0.3, seed=4), LastStep(), Linear(5, 2, seed=1)])
    m.save(tmp_path / "m.safetensors")
    back = recurrent.load(tmp_path / "m.safetensors")
    fresh = Sequential([LSTM(3, 5, num_layers=2, dropout=0.3, seed=4), LastStep(), Linear(5, 2, seed=1)])
    assert back.layers[0].rng.bit_generator.state == fresh.layers[0].rng.bit_generator.state
    for k, v in m.params.items():
        assert np.array_equal(back.params[k], v)


# ---- special files: made here, never the system's -------------------------------------------


def char_device(path):
    """A character-device node equal to /dev/null, made in the test's folder (needs root)."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError) as e:
        pytest.skip(f"cannot make a device node here ({e.strerror})")
    return path


def test_output_onto_a_device_node_writes_through_it_and_keeps_the_node(tmp_path):
    null = char_device(tmp_path / "null")
    m = Sequential([LSTM(1, 2, seed=0), LastStep(), Linear(2, 1, seed=0)])
    m.save(null)
    assert stat.S_ISCHR(os.stat(null).st_mode)
    safefiles.atomic_write_bytes(null, b"text")
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_a_fifo_is_written_in_place_when_read_and_refused_when_not(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="FIFO that nothing reads"):
        safefiles.atomic_write_bytes(fifo, b"x")
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    deadline = time.time() + 600  # only a hang guard: the reader thread opens its end at once
    while True:  # until the reader has opened its end
        try:
            safefiles.atomic_write_bytes(fifo, b"a,b\n1,2\n")
            break
        except ValueError:
            assert time.time() < deadline
            time.sleep(0.01)
    reader.join(600)
    assert got == [b"a,b\n1,2\n"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_special_files_are_refused_as_inputs_without_reading_or_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    paths = [fifo, tmp_path]
    try:
        os.mknod(tmp_path / "zero", 0o666 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero's numbers
        paths.append(tmp_path / "zero")
    except OSError:
        pass
    for p in paths:
        with pytest.raises(ValueError, match="expected a regular"):  # at once: a FIFO would block a reader
            recurrent.load(p)
        assert main(["predict", str(p)]) == 2


def test_other_special_targets_are_refused(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(ValueError, match="folder"):
        safefiles.atomic_write_bytes(tmp_path / "d", b"x")
    with pytest.raises(ValueError, match="does not exist"):
        safefiles.atomic_write_bytes(tmp_path / "nowhere" / "x.csv", b"x")


def test_planted_symlinks_at_temporary_names_are_never_followed(tmp_path):
    private = tmp_path / "private"
    private.write_text("secret")
    private.chmod(0o600)
    out = tmp_path / "out.csv"
    for pid in range(os.getpid() - 50, os.getpid() + 50):  # every name the old writer would have used
        (tmp_path / f".out.csv.{pid}.tmp").symlink_to(private)
    safefiles.atomic_write_bytes(out, b"a,b\n")
    assert private.read_text() == "secret" and out.read_bytes() == b"a,b\n"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o666 & ~safefiles._umask()


def test_a_symlinked_target_is_written_through_and_kept(tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old")
    real.chmod(0o640)
    (tmp_path / "link.csv").symlink_to(real)
    safefiles.atomic_write_bytes(tmp_path / "link.csv", b"new")
    assert (tmp_path / "link.csv").is_symlink() and real.read_text() == "new"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640


def test_leftovers_of_a_killed_writer_are_removed_by_the_next_write(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = tmp_path / f".out.csv.k3j2x.{dead.pid}.tmp"
    left.write_text("half")
    mine = tmp_path / f".out.csv.abcd.{os.getpid()}.tmp"  # a live writer's file stays
    mine.write_text("busy")
    partial = tmp_path / f".parts.partial-{dead.pid}"
    partial.mkdir()
    (partial / "part-00000.csv").write_text("half")
    safefiles.atomic_write_bytes(tmp_path / "out.csv", b"x")
    assert not left.exists() and mine.exists()
    from recurrent.forecast import parts

    folder = parts.Folder(tmp_path / "parts")
    assert not partial.exists()
    folder.abandon()


def test_a_symlinked_output_folder_receives_the_parts(tmp_path):
    from recurrent.forecast import parts

    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "out").symlink_to(real)
    folder = parts.Folder(tmp_path / "out")
    Path(folder.part(0)).write_text("a\n")
    folder.commit({"parts": []})
    assert (real / "part-00000.csv").read_text() == "a\n" and (tmp_path / "out").is_symlink()


def test_an_unwritable_output_folder_is_refused_before_any_fit(tmp_path, monkeypatch, capsys):
    import tempfile

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    monkeypatch.setattr(Forecaster, "fit", lambda *a, **k: pytest.fail("fitted before refusing"))
    assert main(["forecast", "-o", str(tmp_path / "out.csv")]) == 2
    assert "not writable" in capsys.readouterr().err
    assert main(["forecast", "-o", str(tmp_path / "parts") + "/"]) == 2
    assert "not writable" in capsys.readouterr().err


# ---- a read-only install -----------------------------------------------------------------------


READ_ONLY = """
import warnings, numpy as np
warnings.simplefilter("error")  # any fallback notice fails the run
import recurrent
from recurrent.cells import _fused
assert recurrent.get_backend() == "numba", recurrent.get_backend()
x = np.random.default_rng(0).normal(size=(2, 5, 3))
for cls in (recurrent.LSTM, recurrent.GRU, recurrent.RNN):
    layer = cls(3, 4, seed=0, dtype=np.float64)
    y, _, cache = layer.forward(x)
    dx = layer.backward(np.ones_like(y), cache)[0]
    recurrent.set_backend("numpy")
    y0, _, cache0 = layer.forward(x)
    dx0 = layer.backward(np.ones_like(y0), cache0)[0]
    recurrent.set_backend("auto")
    assert np.allclose(y, y0, atol=1e-12) and np.allclose(dx, dx0, atol=1e-12)
print("cached" if _fused.CACHED else "uncached")
"""


@pytest.mark.slow
def test_a_read_only_install_with_no_writable_cache_runs_the_compiled_kernels(tmp_path):
    """No cache folder anywhere: the package's folders hold a file named __pycache__ and HOME and
    XDG_CACHE_HOME lie under a regular file, so numba finds no cache location, as with a read-only
    site-packages and no home; as a non-root user the copy is also made read-only."""
    pytest.importorskip("numba")
    site = tmp_path / "site"
    shutil.copytree(SRC, site / "recurrent", ignore=shutil.ignore_patterns("__pycache__"))
    for d in [site, *[p for p in site.rglob("*") if p.is_dir()]]:
        (d / "__pycache__").write_text("")
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    if os.geteuid() != 0:
        for p in site.rglob("*"):
            p.chmod(0o555 if p.is_dir() else 0o444)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "RECURRENT_"))}
    env.update(
        HOME=str(blocker / "home"),
        XDG_CACHE_HOME=str(blocker / "cache"),
        PYTHONPATH=str(site),
        PYTHONDONTWRITEBYTECODE="1",
    )
    out = subprocess.run(
        [sys.executable, "-c", READ_ONLY], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "uncached"
    cli = subprocess.run(
        [sys.executable, "-m", "recurrent", "gradcheck", "--cell", "gru", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert cli.returncode == 0, cli.stderr[-2000:]


# ---- checkpoints -------------------------------------------------------------------------------


def dropout_run(ckpt, epochs, resume=None):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(64, 6, 3))
    Y = X[:, -1, :2]
    m = Sequential(
        [LSTM(3, 6, num_layers=2, dropout=0.3, recurrent_dropout=0.2, seed=0), LastStep(), Linear(6, 2, seed=1)]
    )
    m.fit(X, Y, epochs=epochs, batch_size=16, seed=3, progress=False, checkpoint=ckpt, resume=resume)
    return m


def test_resume_with_dropout_is_bitwise_the_uninterrupted_run(tmp_path):
    ckpt = tmp_path / "c.safetensors"
    dropout_run(ckpt, 6)  # stopped after 6 of 10 epochs
    resumed = dropout_run(None, 10, resume=ckpt)
    straight = dropout_run(None, 10)
    for k, v in straight.params.items():
        assert resumed.params[k].tobytes() == v.tobytes(), k


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda m: m.update(epoch=-5), "epoch"),
        (lambda m: m.update(epoch="3"), "epoch"),
        (lambda m: m.update(rng={"bit_generator": "MT19937"}), "rng"),
        (lambda m: m["rng"]["state"].update(state="x"), "rng"),
        (lambda m: m.update(layer_rngs=[None]), "layer_rngs"),
        (lambda m: m["history"].update(loss=[1.0]), "history.loss"),
        (lambda m: m["early_stopping"].update(wait=-1), "wait"),
        (lambda m: m["optimizer"].update(steps=-2), "steps"),
        (lambda m: m["optimizer"]["config"].update(type="Exec"), "optimizer"),
        (lambda m: m.pop("history"), "history"),
    ],
)
def test_damaged_checkpoints_are_refused_by_name(tmp_path, edit, words):
    ckpt = tmp_path / "c.safetensors"
    dropout_run(ckpt, 2)
    rewrite(ckpt, ckpt, edit)
    with pytest.raises(ValueError, match=words):
        dropout_run(None, 4, resume=ckpt)


# ---- ONNX import follows the data flow -----------------------------------------------------


def onnx_model(layers=None):
    pytest.importorskip("onnx")
    from recurrent.interop import to_onnx

    m = Sequential(layers or [LSTM(2, 3, seed=0), LastStep(), Linear(3, 1, seed=1)])
    return m, to_onnx(m, None)


def test_onnx_an_add_on_the_output_is_refused_not_skipped():
    pytest.importorskip("onnx")
    from onnx import helper, numpy_helper

    _, proto = onnx_model()
    g = proto.graph
    last = g.node[-1]  # Identity -> y
    last.output[0] = "y_pre"
    g.initializer.append(numpy_helper.from_array(np.array([100.0], np.float32), "hundred"))
    g.node.append(helper.make_node("Add", ["y_pre", "hundred"], ["y"]))
    with pytest.raises(ValueError, match="Add"):
        recurrent.interop.from_onnx(proto)


def test_onnx_a_cycle_or_a_node_reading_its_own_output_is_refused():
    pytest.importorskip("onnx")
    _, proto = onnx_model()
    lstm = next(n for n in proto.graph.node if n.op_type == "LSTM")
    lstm.input[0] = lstm.output[0]  # reads its own Y
    with pytest.raises(ValueError, match="data flow"):
        recurrent.interop.from_onnx(proto)
    _, proto = onnx_model()
    first = proto.graph.node[0]  # Transpose x -> m0_in; make it read a later node's output
    first.input[0] = proto.graph.node[-1].output[0]
    with pytest.raises(ValueError, match="data flow"):
        recurrent.interop.from_onnx(proto)


def test_onnx_operators_outside_the_patterns_are_named():
    pytest.importorskip("onnx")
    from onnx import helper

    _, proto = onnx_model()
    gather = next(n for n in proto.graph.node if n.op_type == "Gather")
    i = list(proto.graph.node).index(gather)
    proto.graph.node.insert(i, helper.make_node("Relu", [gather.input[0]], ["relu_out"]))
    gather.input[0] = "relu_out"
    with pytest.raises(ValueError, match="'Relu'"):
        recurrent.interop.from_onnx(proto)
    _, proto = onnx_model()
    t = next(n for n in proto.graph.node if n.op_type == "Transpose")
    del t.attribute[:]
    t.attribute.append(helper.make_attribute("perm", [2, 1, 0]))
    with pytest.raises(ValueError, match="perm"):
        recurrent.interop.from_onnx(proto)


def test_onnx_a_huge_graph_is_refused_before_it_is_walked(tmp_path):
    pytest.importorskip("onnx")
    from onnx import helper

    _, proto = onnx_model()
    g = proto.graph
    for k in range(200_000):
        g.node.append(helper.make_node("Identity", ["y"], [f"junk{k}"]))
    path = tmp_path / "big.onnx"
    path.write_bytes(proto.SerializeToString())
    with pytest.raises(ValueError, match="200,0.. nodes"):  # time and memory: benchmarks.hostile
        recurrent.interop.from_onnx(path)


def test_onnx_patches_survive_the_round_trip_and_special_files_are_refused(tmp_path):
    pytest.importorskip("onnx")
    from recurrent.interop import from_onnx
    from recurrent.layers import Patches

    m, proto = onnx_model([Patches(3), GRU(6, 4, seed=0), LastStep(), Linear(4, 2, seed=1)])
    back = from_onnx(proto)
    assert [type(x).__name__ for x in back.layers] == ["Patches", "GRU", "LastStep", "Linear"]
    x = np.random.default_rng(0).normal(size=(2, 9, 2)).astype(np.float32)
    np.testing.assert_array_equal(back.predict(x), m.predict(x))
    fifo = tmp_path / "m.onnx"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="FIFO"):
        from_onnx(fifo)
    (tmp_path / "junk.onnx").write_bytes(b"\xff" * 100)
    with pytest.raises(ValueError, match="not a readable ONNX model"):
        from_onnx(tmp_path / "junk.onnx")


# ---- sizes, cells and pages ------------------------------------------------------------------


def test_sizes_that_cannot_fit_are_refused_before_any_work(tmp_path, forecaster_file, capsys, monkeypatch):
    monkeypatch.setattr(Forecaster, "fit", lambda *a, **k: pytest.fail("fitted before refusing"))
    for argv, words in [
        (["predict", str(forecaster_file), "--horizon", "1000000000"], "--horizon"),
        (["forecast", "--horizon", "1000000000"], "--horizon"),
        (["forecast", "--season", "100000000"], "--season"),
        (["backtest", "--season", "100000000"], "--season"),
        (["backtest", "--windows", "1000000000000"], "windows"),
        (["forecast", "--hidden-size", "100000000"], "hidden_size"),
        (["forecast", "--models", "100000000"], "n_models"),
        (["forecast", "--lookback", "100000000"], "lookbacks"),
    ]:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err, (argv, err)
    with pytest.raises(ValueError, match="horizon"):
        recurrent.load(forecaster_file).predict(horizon=10**9)


def test_memory_error_is_one_line(monkeypatch, capsys):
    from recurrent.cli import forecasting

    def boom(*a, **k):
        raise MemoryError

    monkeypatch.setattr(forecasting, "load_series", boom)
    assert main(["forecast"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "out of memory" in err


def test_a_field_longer_than_the_csv_limit_names_its_line(tmp_path, capsys):
    path = tmp_path / "long.csv"
    path.write_text("ds,y\n1,2\n2," + "9" * 200_000 + "\n")
    with pytest.raises(ValueError, match="line 3"):
        recurrent.read_csv(path)
    assert main(["forecast", str(path)]) == 2
    assert "line 3" in capsys.readouterr().err


def test_text_cells_that_a_spreadsheet_would_run_are_escaped(tmp_path):
    from recurrent.forecast.files import safe_cell
    from recurrent.forecast.tables import write_forecasts

    fc = {"=cmd|' /C calc'!A0": np.array([1.5, 2.5]), "-5": np.array([1.0, 1.0]), "@SUM(A1)": np.array([3.0, 3.0])}
    labels = {u: ["+1", "+2"] for u in fc}
    write_forecasts(tmp_path / "f.csv", fc, labels)
    text = (tmp_path / "f.csv").read_text()
    assert "'=cmd|' /C calc'!A0,+1,1.5" in text and "\n-5,+1,1\n" in text and "'@SUM(A1)" in text
    assert "\n=" not in text and "\n@" not in text
    assert [safe_cell(v) for v in ("-3.5", "+2", "-x", "\tx", "ok")] == ["-3.5", "+2", "'-x", "'\tx", "ok"]


def test_a_page_with_a_non_finite_number_is_refused_and_nothing_written(tmp_path, capsys):
    out = tmp_path / "page.html"
    for lr in ("nan", "inf"):
        assert main(["explain", "--html", str(out), "--lr", lr]) == 2
        assert "finite" in capsys.readouterr().err and not out.exists()
    assert main(["explain", "--html", str(out)]) == 0
    page = out.read_text()
    payload = page.split("id='trace-data'>", 1)[1].split("</script>", 1)[0]
    json.loads(payload.replace("<\\/", "</"), parse_constant=lambda c: pytest.fail(f"{c} in the page's data"))


def test_an_id_is_drawn_as_text_not_mathtext(tmp_path):
    pytest.importorskip("matplotlib")
    from recurrent.plot import plot_forecast, plot_many

    y = np.arange(30.0)
    plot_forecast(tmp_path / "a.png", y, 24, np.arange(6.0), title=r"$\frac{$ broken")
    plot_many(tmp_path / "b.png", [(r"$\sqrt{$", y, 24, np.arange(6.0), None)], title="$x$")
    assert (tmp_path / "a.png").stat().st_size > 1000 and (tmp_path / "b.png").stat().st_size > 1000


# ---- Dask faults outside the documented ones ------------------------------------------------


def _peer(reply):
    """A TCP server on a free local port that answers each connection with ``reply`` (None: never)."""
    import socket

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            held.append(conn)
            if reply is not None:
                conn.recv(100)
                conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return srv, f"tcp://127.0.0.1:{srv.getsockname()[1]}"


@pytest.mark.slow
def test_an_address_that_answers_http_or_nothing_is_one_clear_error(capsys):
    pytest.importorskip("distributed")
    from recurrent.forecast.cluster import client_for

    srv, address = _peer(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    with pytest.raises(ValueError, match="did not answer as a Dask scheduler"):
        client_for(address, timeout=2)
    assert main(["forecast", "--scheduler", address, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did not answer as a Dask scheduler" in err
    srv.close()
    srv, address = _peer(None)
    with pytest.raises(ValueError, match="accepted a connection but did not answer"):
        client_for(address, timeout=0.5)
    srv.close()


SCHEDULER_CHILD = """
import sys
from recurrent.cli import main
sys.exit(main(["forecast", "--scheduler", sys.argv[1], "--models", "4", "--steps", "3000"]))
"""


@pytest.mark.slow
def test_a_scheduler_killed_mid_fit_is_one_line(tmp_path):
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    run = [sys.executable, "-m", "distributed.cli"]
    sched = subprocess.Popen(
        [*run[:2], "distributed.cli.dask_scheduler", "--port", str(port), "--no-dashboard"],
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    worker = subprocess.Popen(
        [*run[:2], "distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "2", "--no-dashboard"],
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", SCHEDULER_CHILD, address],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            cwd=tmp_path,
        )
        first = child.stderr.readline()  # "fitting ...": the networks are being trained on the workers
        assert first.startswith("fitting"), first
        time.sleep(1.5)
        sched.kill()
        rest = child.stderr.read()
        assert child.wait(timeout=240) == 2
        lines = [line for line in rest.splitlines() if not line.startswith("network ")]
        assert len(lines) == 1 and lines[0].startswith("recurrent: error: the Dask cluster failed"), rest[-2000:]
    finally:
        for p in (sched, worker):
            p.kill()
            p.wait()


def test_a_torch_layout_file_declaring_huge_layers_is_refused_on_import(tmp_path, capsys):
    layers = [{"type": "LSTM", "config": {"input_size": 1, "hidden_size": 500_000, "num_layers": 40}}]
    tensors = {"0.weight_ih_l0": np.zeros((8, 1), np.float32)}
    path = tmp_path / "t.safetensors"
    path.write_bytes(save(tensors, metadata={"format": "torch", "recurrent_layers": json.dumps(layers)}))
    tracemalloc.start()
    assert main(["import", str(path), "-o", str(tmp_path / "m.safetensors")]) == 2
    assert tracemalloc.get_traced_memory()[1] < 100e6
    tracemalloc.stop()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "declare" in err and not (tmp_path / "m.safetensors").exists()
    path.write_bytes(save(tensors, metadata={"format": "torch", "recurrent_layers": "[" * 100_000}))
    assert main(["import", str(path), "-o", str(tmp_path / "m.safetensors")]) == 2
