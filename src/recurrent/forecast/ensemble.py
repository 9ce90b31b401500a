"""Training a Forecaster's networks and choosing how they are combined with Theta.

``train_ensemble`` trains, for each lookback and each seed, one network with early
stopping on the validation windows and then on every value (``refit``); ``combination``
chooses the weight on the networks and calibrates the intervals on those same windows.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import cluster, hybrid, intervals, processes
from .training import NetworkSettings, Progress, train_network
from .windows import Panel, gather


def train_ensemble(f, z, pn: Panel, limit, val, history: int):
    """(networks [(lookback, net)], records, validation outputs) for the Forecaster ``f``'s settings.

    With a scheduler (``f.scheduler``) the networks train on the workers, one task each, the
    data sent once; every network is trained by the same code from the same seed, so the
    ensemble is the one the calling process would train.
    """
    seeds = np.random.default_rng(f.seed).integers(0, 2**31 - 1, size=(len(f.lookbacks_), f.n_models))
    settings = NetworkSettings.of(f, history)
    jobs = [
        (L, p, b, int(seeds[a, b])) for a, (L, p) in enumerate(zip(f.lookbacks_, f.patches_)) for b in range(f.n_models)
    ]
    options = dict(refit=f.refit, settings=settings)
    if f.loss == "both":  # every other network of each lookback trained on the MAPE: an ensemble over two losses
        jobs = [(L, p, b, s, "mape" if b % 2 else "smape") for L, p, b, s in jobs]
    progress = Progress(f.progress, len(jobs))
    workers = processes.workers_for(getattr(f, "n_jobs", 1), len(jobs))
    if f.scheduler is not None and len(jobs) > 1:
        results = cluster.train_networks(f.scheduler, one_network, z, pn, limit, val, jobs, options)
    elif workers > 1:  # side by side on this machine's cores
        results = processes.train_networks(workers, one_network, z, pn, limit, val, jobs, options)
    else:
        results = (one_network(z, pn, limit, val, *job_args(job), bar=progress.bar, **options) for job in jobs)
    networks, records, val_out = [], [], []
    for (L, _, b, *_), (net, rec, out) in zip(jobs, results):
        networks.append((L, net))
        records.append(rec)
        if out is not None:
            val_out.append(out)
        progress.done(L, b, rec)
    progress.close()
    return networks, records, val_out


def job_args(job) -> tuple:
    """(lookback, patch, seed, loss or None) of a job (lookback, patch, model index, seed[, loss])."""
    return job[0], job[1], job[3], (job[4] if len(job) > 4 else None)


def one_network(z, pn, limit, val, L, p, s, loss=None, *, refit, settings: NetworkSettings, bar=None):
    """One network of the ensemble: trained with early stopping on the validation windows, then on
    every value (``refit``), with its own ``loss`` where given. Returns (net, record, its validation
    outputs or None)."""
    if loss is not None:
        settings = dataclasses.replace(settings, loss=loss)
    H, n = settings.horizon, pn.length
    eval_every, max_steps = settings.eval_every, settings.max_steps
    common = dict(lookback=L, bar=bar)
    out = None
    if val is not None:
        net, rec = train_network(z, pn, settings, limit=limit, val=val, seed=s, patch=p, **common)
        xv, _, _, lev = gather(z, pn, val[0], val[1], L, H)
        out = lev[:, None] + net.predict(xv, batch_size=1024).astype(np.float64)
        steps = max(rec["best_step"], eval_every)
    else:
        rec, steps = {"best_step": None}, max(max_steps // 4, 1)
    if val is None or refit == "scratch":
        net, _ = train_network(z, pn, settings, limit=n, val=None, seed=s, steps=steps, patch=p, **common)
    elif refit:  # continue on every value, a quarter as long again
        more = max(steps // 4, 1)
        net, _ = train_network(z, pn, settings, limit=n, val=None, seed=s + 1, steps=more, net=net, **common)
    return net, rec, out


def combination(f, z, pn: Panel, shifts, val, val_out):
    """(weight on the networks, Theta's share in the statistical member, calibration scores or None), all from the
    validation windows."""
    fixed = 1.0 if f.combine == "networks" else (None if isinstance(f.combine, str) else float(f.combine))
    if val is None or not val_out:
        return (0.5 if fixed is None else fixed), 1.0, None
    H = f.horizon
    z_net = np.median(np.array(val_out), axis=0)
    _, _, mask, _ = gather(z, pn, val[0], val[1], 1, H)
    z_true = np.array(
        [
            np.pad(
                z[pn.start[i] + e + 1 : pn.start[i] + min(e + 1 + H, pn.length[i])],
                (0, max(0, e + 1 + H - pn.length[i])),
            )
            for i, e in zip(*val)
        ]
    )
    w, share, z_pred = 1.0 if fixed is None else fixed, 1.0, z_net
    if fixed is None or fixed < 1:
        members = hybrid.log_members_many([pn.series(i)[: e + 1] for i, e in zip(*val)], H, f.season_, shifts[val[0]])
        members = tuple(np.array(m) for m in members)
        if fixed is None:
            w, share = hybrid.choose(z_net, members, z_true, mask, f.loss)
        else:
            w, share = fixed, hybrid.choose(z_net, members, z_true, mask, f.loss, weights=(fixed,))[1]
        z_pred = z_net if w >= 1 else w * z_net + (1 - w) * (share * members[0] + (1 - share) * members[1])
    scales = np.array([intervals.log_scale(pn.series(i)[: e + 1], f.season_, shifts[i]) for i, e in zip(*val)])
    return w, share, intervals.scores(z_true, z_pred, mask, scales).astype(np.float32)
