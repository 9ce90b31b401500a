"""A deliberately naive oracle: one unit, one gate, one step at a time, in plain Python.

Written the way hand calculations are, with no NumPy broadcasting and no
stacked gates, so it shares no code and no layout trick with the library.
"""

import math


def sig(a):
    return 1.0 / (1.0 + math.exp(-a))


def dot(row, vec):
    return sum(w * v for w, v in zip(row, vec))


def lstm_sequence(xs, h, c, W, U, b):
    """xs: list of input vectors; W[g], U[g], b[g] for g in 'ifgo' as nested lists."""
    H = len(h)
    out = []
    for x in xs:
        pre = {g: [dot(W[g][j], x) + dot(U[g][j], h) + b[g][j] for j in range(H)] for g in "ifgo"}
        i = [sig(a) for a in pre["i"]]
        f = [sig(a) for a in pre["f"]]
        g = [math.tanh(a) for a in pre["g"]]
        o = [sig(a) for a in pre["o"]]
        c = [f[j] * c[j] + i[j] * g[j] for j in range(H)]
        h = [o[j] * math.tanh(c[j]) for j in range(H)]
        out.append(h)
    return out, h, c


def gru_sequence(xs, h, W, U, bx, bh):
    """GRU with b_hn inside the reset product (PyTorch's form)."""
    H = len(h)
    out = []
    for x in xs:
        r = [sig(dot(W["r"][j], x) + bx["r"][j] + dot(U["r"][j], h) + bh["r"][j]) for j in range(H)]
        z = [sig(dot(W["z"][j], x) + bx["z"][j] + dot(U["z"][j], h) + bh["z"][j]) for j in range(H)]
        n = [math.tanh(dot(W["n"][j], x) + bx["n"][j] + r[j] * (dot(U["n"][j], h) + bh["n"][j])) for j in range(H)]
        h = [(1 - z[j]) * n[j] + z[j] * h[j] for j in range(H)]
        out.append(h)
    return out, h


def rnn_sequence(xs, h, W, U, b, act=math.tanh):
    H = len(h)
    out = []
    for x in xs:
        h = [act(dot(W[j], x) + dot(U[j], h) + b[j]) for j in range(H)]
        out.append(h)
    return out, h
