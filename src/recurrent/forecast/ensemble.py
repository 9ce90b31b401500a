"""Training a Forecaster's networks and choosing how they are combined with Theta.

``train_ensemble`` trains, for each lookback and each seed, one network with early
stopping on the validation windows and then on every value (``refit``); ``combination``
chooses the weight on the networks and calibrates the intervals on those same windows.
"""

from __future__ import annotations

import numpy as np

from . import hybrid, intervals
from .training import Progress, train_network
from .windows import Panel, gather


def train_ensemble(f, z, pn: Panel, limit, val, history: int):
    """(networks [(lookback, net)], records, validation outputs) for the Forecaster ``f``'s settings."""
    H, n = f.horizon, pn.length
    seeds = np.random.default_rng(f.seed).integers(0, 2**31 - 1, size=(len(f.lookbacks_), f.n_models))
    train_args = dict(
        horizon=H,
        cell=f.cell,
        hidden_size=f.hidden_size,
        num_layers=f.num_layers,
        lr=f.lr,
        batch_size=f.batch_size,
        max_steps=f.max_steps,
        eval_every=f.eval_every,
        patience=f.patience,
        history=history,
        loss=f.loss,
    )
    progress = Progress(f.progress, len(f.lookbacks_) * f.n_models)
    networks, records, val_out = [], [], []
    for a, (L, p) in enumerate(zip(f.lookbacks_, f.patches_)):
        for b in range(f.n_models):
            s = int(seeds[a, b])
            common = dict(lookback=L, bar=progress.bar, **train_args)
            if val is not None:
                net, rec = train_network(z, pn, limit=limit, val=val, seed=s, patch=p, **common)
                xv, _, _, lev = gather(z, pn, val[0], val[1], L, H)
                val_out.append(lev[:, None] + net.predict(xv, batch_size=1024).astype(np.float64))
                steps = max(rec["best_step"], f.eval_every)
            else:
                rec, steps = {"best_step": None}, max(f.max_steps // 4, 1)
            if val is None or f.refit == "scratch":
                net, _ = train_network(z, pn, limit=n, val=None, seed=s, steps=steps, patch=p, **common)
            elif f.refit:  # continue on every value, a quarter as long again
                more = max(steps // 4, 1)
                net, _ = train_network(z, pn, limit=n, val=None, seed=s + 1, steps=more, net=net, **common)
            networks.append((L, net))
            records.append(rec)
            progress.done(L, b, rec)
    progress.close()
    return networks, records, val_out


def combination(f, z, pn: Panel, shifts, val, val_out):
    """(weight on the networks, calibration scores or None), both from the validation windows."""
    fixed = 1.0 if f.combine == "networks" else (None if isinstance(f.combine, str) else float(f.combine))
    if val is None or not val_out:
        return (0.5 if fixed is None else fixed), None
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
    z_theta = None
    if fixed is None or fixed < 1:
        z_theta = np.array(
            hybrid.log_theta_many([pn.series(i)[: e + 1] for i, e in zip(*val)], H, f.season_, shifts[val[0]])
        )
    w = hybrid.choose_weight(z_net, z_theta, z_true, mask, f.loss) if fixed is None else fixed
    z_pred = z_net if w >= 1 else w * z_net + (1 - w) * z_theta
    scales = np.array([intervals.log_scale(pn.series(i)[: e + 1], f.season_, shifts[i]) for i, e in zip(*val)])
    return w, intervals.scores(z_true, z_pred, mask, scales).astype(np.float32)
