"""The classic scalar RNN: forward, loss, BPTT gradients and one SGD step, every number printed.

python examples/scalar_rnn_bptt.py
"""

from recurrent import Sequential, classic, losses, optim

layer, readout, x, y = classic.scalar_rnn()
h, _, cache = layer.forward(x)
out, rcache = readout.forward(h)
loss, dout = losses.mse(out, y)
print("hidden states:", h.ravel())
print("outputs:      ", out.ravel())
print("loss:         ", loss)
dh, g_out = readout.backward(dout, rcache)
_, _, g = layer.backward(dh, cache)
for name, val in [
    ("dL_dWy", g_out["weight"]),
    ("dL_dby", g_out["bias"]),
    ("dL_dWx", g["weight_ih_l0"]),
    ("dL_dWh", g["weight_hh_l0"]),
    ("dL_dbh", g["bias_ih_l0"]),
]:
    print(f"{name}: {float(val.ravel()[0])!r}")

model = Sequential([layer, readout])
model.fit(
    x, y, optimizer=optim.SGD(lr=0.01), epochs=1, batch_size=1, shuffle=False, progress=False, freeze=["0.bias_hh_l0"]
)  # the hand model has one bias: keep the second at 0
print("updated parameters:")
for name, val in classic.to_notation(layer, readout).items():
    print(f"  {name}: {float(val.ravel()[0])!r}")
