"""Train the classic scalar LSTM (W_f = 0.5, ..., W_y = 4) to predict 4 after [1, 2, 3].

Plain SGD at lr 0.01, as the hand notebook does, but with the exact gradient
(full backpropagation through time). The notebook's hand-written backward took
the sigmoid's derivative at the wrong point and carried nothing through time;
it was still at 3.9885 after 2200 epochs. Here |4 - y| < 0.01 after 80 epochs.

    python examples/scalar_lstm_training.py
"""

from recurrent import LastStep, Sequential, classic, optim

layer, readout, x, target = classic.scalar_lstm()
model = Sequential([layer, LastStep(), readout])
print(f"before training: predicts {model.predict(x)[0, 0]:.4f} for target {target}")
# The hand model has one bias per gate; PyTorch's layout has two, so one is frozen.
history = model.fit(
    x, [[target]], optimizer=optim.SGD(lr=0.01), epochs=200, batch_size=1, progress=False, freeze=["0.bias_hh_l0"]
)
first = next(k for k, v in enumerate(history.loss) if v < 1e-4)
print(f"|4 - y| < 0.01 after {first} SGD steps; after {history.epochs}: predicts {model.predict(x)[0, 0]:.4f}")
print("trained weights, in the hand notation:")
for name, value in classic.to_notation(layer, readout).items():
    print(f"  {name:5s} {float(value.ravel()[0]):+.4f}")
