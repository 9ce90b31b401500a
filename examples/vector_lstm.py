"""A vectorized LSTM network trained with full BPTT: 100 sequences of 10 steps, 3 features, 2 targets.

A well-known from-scratch guide builds this network and stops at "backpropagation
would go here". This finishes it. The targets are random, so there is nothing to
generalise; the falling loss shows the gradients reach every weight.

    python examples/vector_lstm.py
"""

import numpy as np

from recurrent import LSTM, LastStep, Linear, Sequential, optim

rng = np.random.default_rng(0)
X = rng.normal(size=(100, 10, 3))  # 100 sequences, each of length 10, input_dim = 3
Y = rng.normal(size=(100, 2))  # 100 labels, output_dim = 2
model = Sequential([LSTM(3, 5, dtype=np.float64, seed=0), LastStep(), Linear(5, 2, dtype=np.float64, seed=1)])
history = model.fit(X, Y, loss="mse", optimizer=optim.Adam(lr=0.01), epochs=100, batch_size=10, seed=0, progress=False)
for epoch in (0, 9, 24, 49, 99):
    print(f"Epoch {epoch + 1}/100, Loss: {history.loss[epoch]:.4f}")
