"""Forecasting on a Dask cluster: the one module that knows about Dask (the optional ``dask`` extra).

    Forecaster(..., scheduler="local:2")            # a LocalCluster of 2 worker processes
    Forecaster(..., scheduler="tcp://host:8786")    # an existing cluster
    Forecaster(..., scheduler=client)               # a dask.distributed.Client you made
    recurrent forecast data.csv --id-column unique_id --scheduler local:2

With a scheduler, ``predict`` (and so ``evaluate``'s forecasts) is partitioned by series: the
fitted forecaster is sent to the workers once, each partition of series is forecast on a
worker, and the answers come back in the order of the series. The result equals the
single-process one to float32 rounding (the networks compute in float32 and a partition's
products run on fewer rows; relative differences of about 1e-8): each series' forecast
depends on its own values and the fitted networks only. Without a scheduler (the default) nothing here is imported.

The forecaster travels to the workers the way Dask moves any object (its serialisation, within
the cluster you trust); files are still read and written only as safetensors.
"""

from __future__ import annotations

import atexit
import re

import numpy as np

from . import inference
from .frames import check_long_columns
from .panel import Batch
from .settings import column_names
from .training import share_gradient, share_ranges, sum_shares

LOCAL = re.compile(r"^local:(\d+)$")
_CLIENTS: dict = {}  # scheduler string -> Client, for the life of the process
PART_SERIES = 20_000  # at most this many series per task: a worker's memory stays bounded


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ImportError("a scheduler needs Dask: pip install 'recurrent[dask]'") from None
    return distributed


def check_scheduler(value) -> None:
    """ValueError for a scheduler that is none of None, "local:N", "tcp://host:port" or a Client."""
    if value is None or _is_client(value):
        return
    if not isinstance(value, str) or not (LOCAL.match(value) or value.startswith(("tcp://", "tls://", "inproc://"))):
        raise ValueError(
            f"Forecaster: `scheduler` must be None, 'local:N', 'tcp://host:port' or a dask.distributed.Client, "
            f"got {value!r}"
        )
    m = LOCAL.match(value)
    if m and int(m.group(1)) < 1:
        raise ValueError(f"Forecaster: `scheduler` 'local:N' needs N >= 1 workers, got {value!r}")


def _is_client(value) -> bool:
    return type(value).__name__ == "Client" and hasattr(value, "submit")


def client_for(scheduler, timeout: float = 5.0):
    """The Client a scheduler setting stands for (made once per process and kept), or None."""
    if scheduler is None:
        return None
    if _is_client(scheduler):
        return scheduler
    check_scheduler(scheduler)
    cached = _CLIENTS.get(scheduler)
    if cached is not None and cached.status == "running":
        return cached
    distributed = _import_distributed()
    m = LOCAL.match(scheduler)
    if m:
        cluster = distributed.LocalCluster(
            n_workers=int(m.group(1)), threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = distributed.Client(cluster)
    else:
        client = _connect(distributed, scheduler, timeout)
    if not _CLIENTS:
        atexit.register(close_all)
    _CLIENTS[scheduler] = client
    return client


def _connect(distributed, scheduler, timeout):
    """A Client of the scheduler at an address, within a deadline: Dask's own timeout covers the
    connection, not a peer that accepts it and never answers (or answers as something else: an
    HTTP server's reply read as a frame length asks for exabytes). ValueError naming the address."""
    import threading

    box = {}

    def attempt():
        try:
            box["client"] = distributed.Client(scheduler, timeout=f"{timeout}s")
        except BaseException as e:  # reported below, in the caller's thread
            box["error"] = e

    thread = threading.Thread(target=attempt, name="recurrent-connect", daemon=True)
    thread.start()
    thread.join(3 * timeout + 5)
    if thread.is_alive():
        raise ValueError(f"the address {scheduler} accepted a connection but did not answer as a Dask scheduler")
    e = box.get("error")
    if isinstance(e, (OSError, TimeoutError)):
        raise ValueError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
    if e is not None:
        raise ValueError(
            f"the address {scheduler} did not answer as a Dask scheduler ({type(e).__name__}: {str(e)[:200]})"
        ) from None
    return box["client"]


def close_all() -> None:
    """Close the clients (and local clusters) made here; a later use makes them again."""
    for client in list(_CLIENTS.values()):
        cluster = client.cluster
        try:
            client.close()
            if cluster is not None:
                cluster.close()
        except Exception:  # closing at exit: nothing left to report to
            pass
    _CLIENTS.clear()


def partitions(n: int, parts: int) -> list:
    """``parts`` contiguous ranges covering 0..n, as equal as they come (empty ones dropped)."""
    return [range(r.start, r.stop) for r in share_ranges(n, parts)]


def sub_batch(batch, rows):
    """The series at ``rows`` of a batch, as a batch of their own."""
    pick = list(rows)
    return Batch(
        batch.kind,
        [batch.ids[k] for k in pick],
        [batch.values[k] for k in pick],
        None if batch.dates is None else [batch.dates[k] for k in pick],
        batch.freq,
        None if batch.covariates is None else [batch.covariates[k] for k in pick],
    )


_TUNED = False


def _keep_freed_memory() -> None:
    """Once per worker process: let glibc keep freed memory for reuse.

    Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536. Setting it also fixes glibc's
    mmap threshold at 128 KiB, so every array above that is mapped fresh from the system and
    page-faulted in, and freed memory goes straight back: a partition's forecast ran 3.7x
    slower than in the calling process. Heap arrays up to 32 MiB and a 256 MiB trim threshold
    give the calling process's speed back.
    """
    global _TUNED
    if _TUNED:
        return
    _TUNED = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD: keep up to 256 MiB of freed memory
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: arrays up to 32 MiB from the heap, not mmap
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def _pack(batch, rows):
    """The series at ``rows`` for the trip to a worker: their values as one flat array and lengths
    (one buffer instead of one per series, which Dask's messages carry far faster)."""
    part = sub_batch(batch, rows)
    lengths = np.array([len(v) for v in part.values], dtype=np.int64)
    flat = np.concatenate(part.values) if part.values else np.zeros(0)
    part.values = None
    return part, flat, lengths


def _forecast_part(f, part, flat, lengths, horizon, where, warn, levels, quantiles):
    """On a worker: one partition's forecasts, sent back as stacked arrays (one per column)."""
    _keep_freed_memory()
    part.values = np.split(flat, np.cumsum(lengths)[:-1]) if len(lengths) else []
    out, methods = inference.forecast_batch(f, part, horizon, where, warn, levels, quantiles)
    ids = list(out)
    if not ids:
        return ids, {}, methods
    first = out[ids[0]]
    if isinstance(first, dict):
        return ids, {k: np.stack([out[u][k] for u in ids]) for k in first}, methods
    return ids, {None: np.stack([out[u] for u in ids])}, methods


def forecast_batch(client, f, batch, horizon, where, warn=True, levels=(), quantiles=(), parts=None):
    """``inference.forecast_batch`` partitioned by series over the client's workers: the same answer."""
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    n = len(batch.values)
    chunks = partitions(n, parts or max(4 * n_workers, -(-n // PART_SERIES)))
    # the fitted forecaster, sent once; a key of its own each call (hash=False): scattering the same
    # object again under its content hash races with the release of the earlier call's copy, and the
    # scheduler may then drop the data a task needs ("lost dependencies")
    remote = client.scatter(f, broadcast=True, hash=False)
    futures = [
        client.submit(_forecast_part, remote, *_pack(batch, r), horizon, where, warn, levels, quantiles, pure=False)
        for r in chunks
    ]
    out, methods = {}, {}
    for fut in futures:  # in the order of the series
        ids, stacked, m = fut.result()
        for j, uid in enumerate(ids):
            out[uid] = stacked[None][j] if None in stacked else {k: v[j] for k, v in stacked.items()}
        methods.update(m)
    return out, methods


def _run_part(fn, shared, call):
    _keep_freed_memory()
    return fn(*call) if shared is None else fn(shared, *call)


def map_parts(scheduler, fn, calls, shared=None):
    """``fn(*call)`` for each call, one task each on the scheduler's workers, the results in the
    order of ``calls``; with ``shared``, ``fn(shared, *call)``, ``shared`` sent to every worker once.
    A task whose worker is lost is run again on another (Dask's own rescheduling)."""
    client = client_for(scheduler)
    remote = None if shared is None else client.scatter(shared, broadcast=True, hash=False)
    futures = [client.submit(_run_part, fn, remote, tuple(call), pure=False) for call in calls]
    return [f.result() for f in futures]


# ---- a Dask DataFrame in, a Dask DataFrame out ------------------------------------------------


def predict_frame(f, ddf, horizon, levels=(), quantiles=(), covariates=None):
    """The forecasts of a Dask DataFrame's series (long format: unique_id, ds, y), as a Dask
    DataFrame computed lazily, one task per partition. The rows are first shuffled on
    unique_id, so that every series lies in one partition; the fitted forecaster enters the
    graph once (a delayed value), not once per partition. Columns: unique_id, ds, forecast
    and the intervals' and quantiles' columns, as ``predict`` names them for a pandas frame."""
    import dask
    import pandas as pd

    check_long_columns(ddf.columns, "Forecaster.predict")
    sample = f.predict({"_": f.batch_.values[0]}, horizon=horizon, level=levels or None, quantiles=quantiles or None)
    keys = list(sample["_"]) if isinstance(sample["_"], dict) else ["forecast"]
    keys = [column_names(f.alias, keys)[k] for k in keys]
    ds_dtype = ddf["ds"].dtype if "ds" in ddf.columns else np.dtype(np.int64)
    if not (pd.api.types.is_datetime64_any_dtype(ds_dtype) or pd.api.types.is_integer_dtype(ds_dtype)):
        ds_dtype = np.dtype(np.int64)  # dates given as text are not continued: positions 1, 2, ... as in pandas
    meta = pd.DataFrame(
        {"unique_id": pd.Series([], dtype=ddf["unique_id"].dtype), "ds": pd.Series([], dtype=ds_dtype)}
        | {k: pd.Series([], dtype=np.float64) for k in keys}
    )
    model = dask.delayed(f, pure=True, traverse=False)
    return ddf.shuffle("unique_id").map_partitions(
        _predict_partition, model, horizon, levels, quantiles, covariates, meta, meta=meta
    )


def _predict_partition(pdf, f, horizon, levels, quantiles, covariates, meta):
    """On a worker: one partition's forecasts as a pandas frame shaped like ``meta``."""
    _keep_freed_memory()
    if len(pdf) == 0:
        return meta
    out = f.predict(pdf, horizon=horizon, level=levels or None, quantiles=quantiles or None, covariates=covariates)
    try:
        out["ds"] = out["ds"].astype(meta["ds"].dtype)
    except (TypeError, ValueError):  # e.g. dates whose frequency could not be inferred: positions
        pass
    return out[list(meta.columns)]


# ---- data-parallel training ------------------------------------------------------------------


def _share_gradient(net, params, x, y, m, loss):
    """On a worker: one share's (mean loss, gradients, valid targets) for the given weights."""
    _keep_freed_memory()
    net.load_state_dict(params)
    return share_gradient(net, x, y, m, loss)


def spreader(client):
    """The ``spread`` function ``training.train_network`` takes: each batch's gradient shared out over
    ``client``'s workers (``batch_gradient``)."""
    return lambda net, x, y, m, loss, shares=None: batch_gradient(client, net, x, y, m, loss, shares)


def batch_gradient(client, net, x, y, m, loss, shares=None):
    """One batch's (loss, gradients) computed data-parallel: the windows cut into ``shares``
    contiguous shares (default: one per worker), each share's gradient a task on a worker for the
    current weights, and the results summed by ``training.sum_shares`` in the shares' order, as
    ``training.batch_gradient(..., shares=S)`` sums them in one process: the same numbers."""
    key = (id(net), tuple((k, v.shape, v.dtype.str) for k, v in net.params.items()))
    if _SKELETONS.get("key") != key:  # the network's structure, sent to every worker once per fit
        _SKELETONS.update(key=key, remote=client.scatter(net, broadcast=True))
    shares = shares or max(1, len(client.scheduler_info().get("workers", {})))
    params = {k: np.array(v) for k, v in net.params.items()}
    futures = [
        client.submit(_share_gradient, _SKELETONS["remote"], params, x[r], y[r], m[r], loss, pure=False)
        for r in share_ranges(len(x), shares)
    ]
    return sum_shares([f.result() for f in futures])


_SKELETONS: dict = {}


# ---- the ensemble's networks on the workers ------------------------------------------------------------


def _train_one(train, z, pn, limit, val, job, options):
    _keep_freed_memory()
    L, p, s = job[0], job[1], job[3]
    return train(z, pn, limit, val, L, p, s, *job[4:], **options)


def train_networks(scheduler, train, z, pn, limit, val, jobs, options):
    """The ensemble's networks trained on the workers, one task each (the data sent once); the
    results in the order of ``jobs``."""
    client = client_for(scheduler)
    data = client.scatter([z, pn, limit, val], broadcast=True, hash=False)
    futures = [client.submit(_train_one, train, *data, job, options, pure=False) for job in jobs]
    return [f.result() for f in futures]
