"""The cells' reusable work buffers: reused only when nothing refers to them, bounded, switchable off."""

import threading

import numpy as np
import pytest

import recurrent
from recurrent.cells import _buffers

F32, F64, U8 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.uint8)
BIG = (512, 1024)  # 2 MiB of float32: above the pooling threshold


@pytest.fixture(autouse=True)
def fresh_pool():
    previous = _buffers.set_buffer_limit(0)  # empty, then on again with the default limit
    _buffers.set_buffer_limit(previous)
    yield
    _buffers.set_buffer_limit(0)
    _buffers.set_buffer_limit(previous)


def _address(a):
    return a.__array_interface__["data"][0]


def test_small_arrays_are_plain_numpy():
    a = _buffers.empty((10, 10), F32)
    assert a.shape == (10, 10) and a.dtype == np.float32 and a.base is None
    assert _buffers.held_bytes() == 0


def test_a_dropped_buffer_is_reused():
    a = _buffers.empty(BIG, F32)
    assert a.shape == BIG and a.dtype == np.float32 and a.flags.c_contiguous
    where = _address(a)
    del a
    b = _buffers.empty(BIG, F32)
    assert _address(b) == where
    assert _buffers.held_bytes() == 2 * 2**20


def test_a_buffer_with_a_live_view_is_not_reused():
    a = _buffers.empty(BIG, F32)
    a[...] = 7.0
    view = a[3:, ::2].T  # a view alone keeps the buffer busy
    del a
    b = _buffers.empty(BIG, F32)
    b[...] = -1.0
    assert not np.shares_memory(b, view)
    assert np.all(view == 7.0)
    assert _buffers.held_bytes() == 4 * 2**20


def test_same_bytes_other_shape_and_dtype_share_a_buffer():
    a = _buffers.empty(BIG, F32)
    where = _address(a)
    del a
    b = _buffers.empty((256, 1024), F64)  # also 2 MiB
    assert b.dtype == np.float64 and b.shape == (256, 1024) and _address(b) == where


def test_limit_releases_free_buffers_and_zero_turns_pooling_off():
    a = _buffers.empty(BIG, F32)
    b = _buffers.empty(BIG, F32)
    del a
    assert _buffers.held_bytes() == 4 * 2**20
    _buffers.set_buffer_limit(3 * 2**20)  # the free one goes, the busy one stays
    assert _buffers.held_bytes() == 2 * 2**20
    c = _buffers.empty(BIG, F32)  # does not fit: a plain array
    assert c.base is None and _buffers.held_bytes() == 2 * 2**20
    assert _buffers.set_buffer_limit(0) == 3 * 2**20
    assert _buffers.held_bytes() == 0
    d = _buffers.empty(BIG, F32)
    assert d.base is None and _buffers.held_bytes() == 0
    del b, c, d


def test_oldest_free_buffer_goes_first_when_full():
    _buffers.set_buffer_limit(4 * 2**20)
    a = _buffers.empty((2 * 2**20,), U8)
    b = _buffers.empty((2**20,), U8)
    where_b = _address(b)
    del a, b  # both free; a is the older
    c = _buffers.empty((3 * 2**19,), U8)  # 1.5 MiB: 3 + 1.5 > 4, so a goes
    assert _buffers.held_bytes() == 2**20 + 3 * 2**19
    d = _buffers.empty((2**20,), U8)  # b is still there
    assert _address(d) == where_b
    del c, d


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (1.5, TypeError), ("1GB", TypeError), (True, TypeError)])
def test_bad_limit(bad, error):
    with pytest.raises(error, match="set_buffer_limit"):
        _buffers.set_buffer_limit(bad)


def test_threads_never_share_a_buffer():
    seen, errors = [], []

    def work():
        for _ in range(50):
            a = _buffers.empty(BIG, F32)
            a[...] = threading.get_ident()
            seen.append(a)  # every array stays alive: none may be handed out twice
        for a in seen[-50:]:
            if not np.all(a == a.flat[0]):
                errors.append(a)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    addresses = [_address(a) for a in seen]
    assert len(set(addresses)) == len(addresses) and not errors
    seen.clear()


@pytest.mark.parametrize("cls", [recurrent.LSTM, recurrent.GRU, recurrent.RNN])
def test_two_forwards_before_backward_keep_their_own_buffers(cls, backend):
    """Layers large enough to pool: interleaved calls give exactly what separate ones give."""
    layer = cls(40, 64, dtype=np.float64, seed=1)  # wide input; the RNN's da buffer alone is 1.3 MiB
    rng = np.random.default_rng(2)
    x1, x2 = rng.standard_normal((2, 64, 40, 40))
    dy = rng.standard_normal((64, 40, 64))
    previous = _buffers.set_buffer_limit(0)
    try:
        ref = [layer.backward(dy, layer.forward(x)[2]) for x in (x1, x2)]
        ref_y = [layer.forward(x)[0] for x in (x1, x2)]
    finally:
        _buffers.set_buffer_limit(previous)
    for _ in range(2):  # the second round runs on reused buffers
        y1, _, c1 = layer.forward(x1)
        y2, _, c2 = layer.forward(x2)
        got = [layer.backward(dy, c) for c in (c1, c2)]
        np.testing.assert_array_equal(y1, ref_y[0])
        np.testing.assert_array_equal(y2, ref_y[1])
        for (dx, _, grads), (rdx, _, rgrads) in zip(got, ref):
            np.testing.assert_array_equal(dx, rdx)
            for k in grads:
                np.testing.assert_array_equal(grads[k], rgrads[k])
        del y1, y2, c1, c2, got
    assert _buffers.held_bytes() > 0


def test_reference_counts_are_measured_and_without_them_nothing_is_pooled(monkeypatch):
    assert _buffers._FREE_REFS is not None and _buffers._calibrate() == _buffers._FREE_REFS
    monkeypatch.setattr(_buffers, "_FREE_REFS", None)  # an interpreter whose counts can't tell
    a = _buffers.empty(BIG, F32)
    assert a.base is None and _buffers.held_bytes() == 0
