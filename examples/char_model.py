"""A character-level LSTM: learn to continue a short text, one character at a time.

    python examples/char_model.py [--epochs 60]

Many-to-many classification: at every step the model reads one character (one-hot)
and predicts the next with softmax cross-entropy. Then it writes text of its own,
feeding each sampled character back in and carrying the state from step to step.
The text is the opening of Lewis Carroll's "Alice's Adventures in Wonderland" (1865),
public domain.
"""

import argparse

import numpy as np

from recurrent import LSTM, Linear, Sequential, optim

TEXT = (
    "Alice was beginning to get very tired of sitting by her sister on the bank, and of having "
    "nothing to do: once or twice she had peeped into the book her sister was reading, but it had "
    "no pictures or conversations in it, 'and what is the use of a book,' thought Alice 'without "
    "pictures or conversations?' "
)


def windows(codes, T, K):
    starts = range(0, len(codes) - T - 1, 3)
    X = np.stack([np.eye(K, dtype=np.float32)[codes[s : s + T]] for s in starts])  # (N, T, K)
    Y = np.stack([codes[s + 1 : s + T + 1] for s in starts])  # (N, T) next characters
    return X, Y


def sample(layer, readout, chars, start, length, rng, temperature=0.5):
    K = len(chars)
    index = {c: k for k, c in enumerate(chars)}
    out, state = list(start), None
    x = np.eye(K, dtype=np.float32)[[index[c] for c in start]][None]  # prime with the start
    for _ in range(length):
        y, state = layer(x, state)
        logits = readout(y[:, -1])[0] / temperature
        p = np.exp(logits - logits.max())
        k = int(rng.choice(K, p=p / p.sum()))
        out.append(chars[k])
        x = np.eye(K, dtype=np.float32)[[k]][None]
    return "".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description="a character-level LSTM on a short text")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    chars = sorted(set(TEXT))
    codes = np.array([chars.index(c) for c in TEXT])
    X, Y = windows(codes, T=40, K=len(chars))
    layer, readout = LSTM(len(chars), 96, seed=args.seed), Linear(96, len(chars), seed=args.seed + 1)
    model = Sequential([layer, readout])
    hist = model.fit(
        X,
        Y,
        loss="cross_entropy",
        optimizer=optim.Adam(lr=0.01),
        epochs=args.epochs,
        batch_size=16,
        clip_norm=5.0,
        seed=args.seed,
        progress=False,
    )
    acc = float(np.mean(model.predict(X).argmax(-1) == Y))
    print(
        f"{len(chars)} characters, {len(X)} windows of 40; cross-entropy {hist.loss[0]:.3f} -> {hist.loss[-1]:.3f} "
        f"(uniform guessing: {np.log(len(chars)):.3f}); next-character accuracy {acc:.1%}"
    )
    print(sample(layer, readout, chars, "Alice ", 160, np.random.default_rng(args.seed)))
    return hist, acc


if __name__ == "__main__":
    main()
