"""The ensemble's networks trained side by side in worker processes on this machine (``Forecaster(n_jobs=...)``).

Each network of the ensemble is trained by the same code from its own seed, on one BLAS thread, so a
network trained in a worker is the very one the calling process would train (tested bit for bit). The
workers are forked from the calling process (Linux and other systems with ``fork``): they start with the
data, the compiled kernels and the settings in memory, and send back only the trained networks. Where
``fork`` is not available, inside a daemonic process (a Dask worker: its own thread count is the
cluster's to choose), or where a single network or a single core is asked for, the networks train here,
one after another.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor

_SHARED = {}  # what the forked workers read: the data and the training function


def available_cores() -> int:
    """The cores this process may run on (its affinity where the system says, else the CPU count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - systems without affinity
        return os.cpu_count() or 1


def workers_for(n_jobs, n_networks: int) -> int:
    """How many worker processes to train ``n_networks`` with: ``n_jobs`` (None or -1: every available core),
    at most one per network; 1 means here, in this process."""
    cores = available_cores()
    n = cores if n_jobs in (None, -1) else int(n_jobs)
    if "fork" not in mp.get_all_start_methods() or mp.current_process().daemon:
        return 1  # no fork here, or inside a daemonic worker (a Dask worker's process), which may not fork
    return max(1, min(n, n_networks))


def _one(job):
    train, z, pn, limit, val, options = _SHARED["args"]
    L, p, s = job[0], job[1], job[3]
    return train(z, pn, limit, val, L, p, s, *job[4:], **options)


def train_networks(workers: int, train, z, pn, limit, val, jobs, options):
    """``train(z, pn, limit, val, L, p, seed, **options)`` for every job, in ``workers`` forked processes; the
    results in the order of ``jobs``."""
    _SHARED["args"] = (train, z, pn, limit, val, options)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
            return list(pool.map(_one, jobs))
    finally:
        _SHARED.clear()
