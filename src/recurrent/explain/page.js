// The explorable worked example: forward pass, backpropagation through time and one SGD step of a
// scalar LSTM, GRU or RNN, recomputed in the page whenever an input, the target, the learning rate
// or a weight changes. The equations are the library's (recurrent/cells/reference.py), written for
// one input and one hidden unit; the numbers equal the Python library's to rounding.

const DATA = JSON.parse(document.getElementById("trace-data").textContent);

const sigmoid = (a) => 1 / (1 + Math.exp(-a));
const ACT = {
  tanh: { f: Math.tanh, d: (out) => 1 - out * out, tex: "tanh" },
  relu: { f: (a) => Math.max(a, 0), d: (out) => (out > 0 ? 1 : 0), tex: "relu" },
};
// A given number (an input, a weight, the learning rate): up to 4 significant figures.
const given = (v) => String(Number(v.toPrecision(4)));
// An updated weight with the digits that show how it moved from the old value (tex.changed).
const changed = (v, old) => {
  let n = v;
  for (let d = 4; d < 16; d++) {
    n = Number(v.toPrecision(d));
    if (v === old || n !== old) break;
  }
  return String(n);
};
const paren = (v) => (v < 0 ? "(" + fmt(v) + ")" : fmt(v));

// ---- the model ------------------------------------------------------------------------------

function forward(cell, w, xs, nonlin) {
  const steps = [];
  let h = 0, c = 0;
  xs.forEach((x, k) => {
    const t = k + 1, s = { t, x, h_prev: h, c_prev: c, eq: {} };
    if (cell === "lstm") {
      for (const [g, key] of [["i", "i"], ["f", "f"], ["g", "g"], ["o", "o"]]) {
        const a = w["W_" + key] * x + w["W_h" + key] * h + w["b_" + key];
        s["a_" + g] = a;
        s[g] = g === "g" ? Math.tanh(a) : sigmoid(a);
        const fn = g === "g" ? "tanh" : "σ";
        s.eq[g] = `${g}_${t} = ${fn}(W_${key} x_${t} + W_h${key} h_${t - 1} + b_${key}) = ` +
          `${fn}(${fmt(w["W_" + key])}·${paren(x)} + ${fmt(w["W_h" + key])}·${paren(h)} + ${paren(w["b_" + key])}) = ` +
          `${fn}(${fmt(a)}) = ${fmt(s[g])}`;
      }
      s.c = s.f * c + s.i * s.g;
      s.eq.c = `c_${t} = f_${t} c_${t - 1} + i_${t} g_${t} = ${fmt(s.f)}·${paren(c)} + ${fmt(s.i)}·${paren(s.g)} = ${fmt(s.c)}`;
      s.h = s.o * Math.tanh(s.c);
      s.eq.h = `h_${t} = o_${t} tanh(c_${t}) = ${fmt(s.o)}·tanh(${fmt(s.c)}) = ${fmt(s.h)}`;
      c = s.c;
    } else if (cell === "gru") {
      for (const g of ["r", "z"]) {
        const a = w["W_" + g] * x + w["W_h" + g] * h + w["b_" + g];
        s["a_" + g] = a;
        s[g] = sigmoid(a);
        s.eq[g] = `${g}_${t} = σ(W_${g} x_${t} + W_h${g} h_${t - 1} + b_${g}) = ` +
          `σ(${fmt(w["W_" + g])}·${paren(x)} + ${fmt(w["W_h" + g])}·${paren(h)} + ${paren(w["b_" + g])}) = ` +
          `σ(${fmt(a)}) = ${fmt(s[g])}`;
      }
      s.ah_n = w.W_hn * h + w.b_hn;
      s.a_n = w.W_n * x + w.b_n + s.r * s.ah_n;
      s.n = Math.tanh(s.a_n);
      s.eq.n = `n_${t} = tanh(W_n x_${t} + b_n + r_${t} (W_hn h_${t - 1} + b_hn)) = ` +
        `tanh(${fmt(w.W_n)}·${paren(x)} + ${paren(w.b_n)} + ${fmt(s.r)}·(${fmt(w.W_hn)}·${paren(h)} + ${paren(w.b_hn)})) = ` +
        `tanh(${fmt(s.a_n)}) = ${fmt(s.n)}`;
      s.h = (1 - s.z) * s.n + s.z * h;
      s.eq.h = `h_${t} = (1 - z_${t}) n_${t} + z_${t} h_${t - 1} = (1 - ${fmt(s.z)})·${paren(s.n)} + ${fmt(s.z)}·${paren(h)} = ${fmt(s.h)}`;
    } else {
      const act = ACT[nonlin];
      s.a = w.W_x * x + w.W_h * h + w.b_h;
      s.h = act.f(s.a);
      s.eq.h = `h_${t} = ${act.tex}(W_x x_${t} + W_h h_${t - 1} + b_h) = ` +
        `${act.tex}(${fmt(w.W_x)}·${paren(x)} + ${fmt(w.W_h)}·${paren(h)} + ${paren(w.b_h)}) = ${act.tex}(${fmt(s.a)}) = ${fmt(s.h)}`;
    }
    h = s.h;
    steps.push(s);
  });
  return steps;
}

function compute(model) {
  const { cell, w, xs, target, lr, manyToOne, nonlin } = model;
  const steps = forward(cell, w, xs, nonlin);
  const T = steps.length;
  // readout and loss: mean squared error, over the one output or over every step's
  const outs = manyToOne ? [T - 1] : steps.map((_, k) => k);
  const targets = manyToOne ? [target[0]] : target;
  const dys = new Array(T).fill(0); // dL/dy_t (the readout's output)
  let loss = 0;
  const preds = [];
  outs.forEach((k, j) => {
    const y = w.W_y * steps[k].h + w.b_y;
    preds.push(y);
    loss += (y - targets[j]) ** 2 / outs.length;
    dys[k] = 2 * (y - targets[j]) / outs.length;
  });
  const g = {}, terms = {};
  Object.keys(w).forEach((k) => ((g[k] = 0), (terms[k] = [])));
  const add = (key, d, src) => {  // one step's part of a weight's gradient (src null: a bias), kept for its equation
    g[key] += src === null ? d : d * src;
    terms[key].push(src === null ? paren(d) : `${paren(d)}·${paren(src)}`);
  };
  steps.forEach((s, k) => {
    if (outs.includes(k)) {
      add("W_y", dys[k], s.h);
      add("b_y", dys[k], null);
    }
  });
  // backpropagation through time, last step first
  const back = [];
  let dh_next = 0, dc_next = 0;
  for (let k = T - 1; k >= 0; k--) {
    const s = steps[k], t = s.t, b = { t, dy: dys[k] * w.W_y, eq: {} };
    const dh = b.dy + dh_next;
    b.dh = dh;
    b.eq.dh = `dL/dh_${t} = W_y dL/dy_${t} + (from step ${t + 1}) = ${fmt(w.W_y)}·${paren(dys[k])} + ${paren(dh_next)} = ${fmt(dh)}`;
    if (cell === "lstm") {
      const tc = Math.tanh(s.c);
      const dc = dc_next + dh * s.o * (1 - tc * tc);
      b.dc = dc;
      b.da_o = dh * tc * s.o * (1 - s.o);
      b.da_i = dc * s.g * s.i * (1 - s.i);
      b.da_f = dc * s.c_prev * s.f * (1 - s.f);
      b.da_g = dc * s.i * (1 - s.g * s.g);
      b.eq.dc = `dL/dc_${t} = dL/dc from step ${t + 1} + dL/dh_${t} o_${t} (1 - tanh² c_${t}) = ` +
        `${paren(dc_next)} + ${paren(dh)}·${fmt(s.o)}·(1 - ${fmt(tc)}²) = ${fmt(dc)}`;
      b.eq.da_o = `dL/da_o = dL/dh_${t} tanh(c_${t}) o_${t}(1 - o_${t}) = ${paren(dh)}·${fmt(tc)}·${fmt(s.o)}·(1 - ${fmt(s.o)}) = ${fmt(b.da_o)}`;
      b.eq.da_i = `dL/da_i = dL/dc_${t} g_${t} i_${t}(1 - i_${t}) = ${paren(dc)}·${paren(s.g)}·${fmt(s.i)}·(1 - ${fmt(s.i)}) = ${fmt(b.da_i)}`;
      b.eq.da_f = `dL/da_f = dL/dc_${t} c_${t - 1} f_${t}(1 - f_${t}) = ${paren(dc)}·${paren(s.c_prev)}·${fmt(s.f)}·(1 - ${fmt(s.f)}) = ${fmt(b.da_f)}`;
      b.eq.da_g = `dL/da_g = dL/dc_${t} i_${t} (1 - g_${t}²) = ${paren(dc)}·${fmt(s.i)}·(1 - ${fmt(s.g)}²) = ${fmt(b.da_g)}`;
      for (const [gate, key] of [["i", "i"], ["f", "f"], ["g", "g"], ["o", "o"]]) {
        add("W_" + key, b["da_" + gate], s.x);
        add("W_h" + key, b["da_" + gate], s.h_prev);
        add("b_" + key, b["da_" + gate], null);
      }
      dc_next = dc * s.f;
      dh_next = w.W_hi * b.da_i + w.W_hf * b.da_f + w.W_hg * b.da_g + w.W_ho * b.da_o;
    } else if (cell === "gru") {
      b.da_n = dh * (1 - s.z) * (1 - s.n * s.n);
      b.da_z = dh * (s.h_prev - s.n) * s.z * (1 - s.z);
      b.da_r = b.da_n * s.ah_n * s.r * (1 - s.r);
      b.dah_n = b.da_n * s.r;
      b.eq.da_n = `dL/da_n = dL/dh_${t} (1 - z_${t}) (1 - n_${t}²) = ${paren(dh)}·(1 - ${fmt(s.z)})·(1 - ${fmt(s.n)}²) = ${fmt(b.da_n)}`;
      b.eq.da_z = `dL/da_z = dL/dh_${t} (h_${t - 1} - n_${t}) z_${t}(1 - z_${t}) = ${paren(dh)}·(${fmt(s.h_prev)} - ${fmt(s.n)})·${fmt(s.z)}·(1 - ${fmt(s.z)}) = ${fmt(b.da_z)}`;
      b.eq.da_r = `dL/da_r = dL/da_n (W_hn h_${t - 1} + b_hn) r_${t}(1 - r_${t}) = ${paren(b.da_n)}·${paren(s.ah_n)}·${fmt(s.r)}·(1 - ${fmt(s.r)}) = ${fmt(b.da_r)}`;
      b.eq.dah_n = `dL/d(W_hn h + b_hn) = dL/da_n r_${t} = ${paren(b.da_n)}·${fmt(s.r)} = ${fmt(b.dah_n)}`;
      for (const gate of ["r", "z"]) {
        add("W_" + gate, b["da_" + gate], s.x);
        add("W_h" + gate, b["da_" + gate], s.h_prev);
        add("b_" + gate, b["da_" + gate], null);
      }
      add("W_n", b.da_n, s.x);
      add("b_n", b.da_n, null);
      add("W_hn", b.dah_n, s.h_prev);
      add("b_hn", b.dah_n, null);
      dh_next = dh * s.z + w.W_hr * b.da_r + w.W_hz * b.da_z + w.W_hn * b.dah_n;
    } else {
      b.da = dh * ACT[nonlin].d(s.h);
      b.eq.da = nonlin === "relu"
        ? `dL/da_${t} = dL/dh_${t} · relu'(a_${t}) = ${paren(dh)}·${s.h > 0 ? 1 : 0} = ${fmt(b.da)}`
        : `dL/da_${t} = dL/dh_${t} (1 - h_${t}²) = ${paren(dh)}·(1 - ${fmt(s.h)}²) = ${fmt(b.da)}`;
      add("W_x", b.da, s.x);
      add("W_h", b.da, s.h_prev);
      add("b_h", b.da, null);
      dh_next = w.W_h * b.da;
    }
    back.push(b);
  }
  const updated = {};
  Object.keys(w).forEach((k) => (updated[k] = w[k] - lr * g[k]));
  return { steps, preds, targets, loss, back, grads: g, terms, updated, w };
}

// ---- reading the fields -----------------------------------------------------------------------

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

function readModel() {
  const bad = [];
  const num = (el) => {
    const ok = NUMBER.test(el.value);
    el.classList.toggle("invalid", !ok);
    el.setAttribute("aria-invalid", ok ? "false" : "true");
    if (!ok) bad.push(el.dataset.label);
    return ok ? parseFloat(el.value) : NaN;
  };
  const w = {};
  document.querySelectorAll("input[data-weight]").forEach((el) => (w[el.dataset.weight] = num(el)));
  const xs = [...document.querySelectorAll("input[data-input]")].map(num);
  const target = [...document.querySelectorAll("input[data-target]")].map(num);
  const lr = num(document.getElementById("lr"));
  return bad.length ? { bad } : { cell: DATA.cell, nonlin: DATA.nonlinearity, manyToOne: DATA.many_to_one, w, xs, target, lr };
}

// ---- rendering ----------------------------------------------------------------------------------

function cellHtml(value, eq, key, t, text) {
  const title = eq ? ` title="${eq.replace(/"/g, "&quot;")}"` : "";
  const show = text ?? fmt(value);
  if (predicting() && eq && !revealed.has(`${key}|${t}`)) {  // predict, then reveal: the number waits for a guess
    return `<td tabindex="0" class="hidden" data-key="${key}" data-t="${t}" data-value="${value}" data-shown="${show}"${title}>?</td>`;
  }
  return `<td tabindex="0" data-key="${key}" data-t="${t}" data-value="${value}"${title}>${show}</td>`;
}

// ---- predict, then reveal ---------------------------------------------------------------------------

const revealed = new Set();
const predicting = () => Boolean(document.getElementById("predict")?.checked);

function askGuess(td) {
  // the equation with its result hidden, a field for the learner's number and a button that reveals it
  const eq = td.getAttribute("title");
  const panel = document.getElementById("equation");
  panel.innerHTML = "";
  const text = document.createElement("div");
  text.textContent = eq.slice(0, eq.lastIndexOf(" = ")) + " = ?";
  const label = document.createElement("label");
  label.textContent = "your prediction ";
  const guess = document.createElement("input");
  guess.id = "guess";
  guess.type = "text";
  guess.inputMode = "decimal";
  label.appendChild(guess);
  const button = document.createElement("button");
  button.id = "reveal";
  button.textContent = "reveal";
  button.addEventListener("click", () => {
    const v = parseFloat(td.dataset.value), g = parseFloat(guess.value);
    revealed.add(`${td.dataset.key}|${td.dataset.t}`);
    td.textContent = td.dataset.shown;
    td.classList.remove("hidden");
    text.textContent = eq;
    const verdict = document.createElement("p");
    verdict.id = "verdict";
    verdict.textContent = Number.isFinite(g)
      ? `you said ${g}; it is ${td.dataset.shown} (off by ${fmt(Math.abs(g - v))})`
      : `it is ${td.dataset.shown}`;
    panel.appendChild(verdict);
  });
  panel.append(text, label, " ", button);
}

function table(id, head, rows) {
  const el = document.getElementById(id);
  el.innerHTML = "<thead><tr>" + head.map((h) => `<th scope="col">${h}</th>`).join("") + "</tr></thead><tbody>" +
    rows.join("") + "</tbody>";
}

const FORWARD_KEYS = { lstm: ["x", "i", "f", "g", "o", "c", "h"], gru: ["x", "r", "z", "n", "h"], rnn: ["x", "a", "h"] };
const BACK_KEYS = {
  lstm: ["dh", "dc", "da_i", "da_f", "da_g", "da_o"],
  gru: ["dh", "da_r", "da_z", "da_n", "dah_n"],
  rnn: ["dh", "da"],
};

let RESULT = null;

function render(res) {
  RESULT = res;
  const cell = DATA.cell;
  const fk = FORWARD_KEYS[cell];
  table("forward", ["t"].concat(fk), res.steps.map((s) =>
    `<tr><th scope="row">${s.t}</th>` + fk.map((k) => cellHtml(s[k], s.eq[k], k, s.t)).join("") + "</tr>"));
  const bk = BACK_KEYS[cell];
  table("backward", ["t"].concat(bk), res.back.map((b) =>
    `<tr><th scope="row">${b.t}</th>` + bk.map((k) => cellHtml(b[k], b.eq[k], k, b.t)).join("") + "</tr>"));
  const lr = parseFloat(document.getElementById("lr").value);
  table("update", ["weight", "value", "dL/dw", "after one step"], DATA.order.map((k) => {
    const w = res.w[k];
    const after = changed(res.updated[k], w);
    const eq = `${k} ← ${k} - η dL/d${k} = ${given(w)} - ${given(lr)}·${paren(res.grads[k])} = ${after}`;
    const geq = `dL/d${k} = Σ over steps = ${res.terms[k].join(" + ") || "0"} = ${fmt(res.grads[k])}`;
    return `<tr><th scope="row">${k}</th>${cellHtml(w, null, "w", k, given(w))}` +
      `${cellHtml(res.grads[k], geq, "grad", k)}${cellHtml(res.updated[k], eq, "new", k, after)}</tr>`;
  }));
  const loss = document.getElementById("loss");
  loss.dataset.value = res.loss;
  loss.textContent = `prediction ${res.preds.map(fmt).join(", ")}; target ${res.targets.map(fmt).join(", ")}; ` +
    `loss (mean squared error) L = ${fmt(res.loss)}`;
  showStep();
}

function showStep() {
  if (!RESULT) return;
  const slider = document.getElementById("step");
  const k = parseInt(slider.value, 10) - 1;
  const s = RESULT.steps[k];
  document.getElementById("step-label").textContent = `step t = ${s.t} of ${RESULT.steps.length}`;
  slider.setAttribute("aria-valuetext", `step ${s.t} of ${RESULT.steps.length}`);
  drawDiagram(s, RESULT.back.find((b) => b.t === s.t));
  document.querySelectorAll("#forward tbody tr").forEach((tr, j) => tr.classList.toggle("current", j === k));
}

function explain(ev) {
  const td = ev.target.closest("td[title]");
  if (!td) return;
  if (td.classList.contains("hidden")) {
    if (ev.type === "click") askGuess(td);
    return;
  }
  document.getElementById("equation").textContent = td.getAttribute("title");
}

// ---- the diagram: values on the arrows, what feeds a node, the gradients -------------------------

const GRAD = {
  lstm: { h: ["dh", "dL/dh_t"], c: ["dc", "dL/dc_t"], i: ["da_i", "δ_i"], f: ["da_f", "δ_f"], g: ["da_g", "δ_g"], o: ["da_o", "δ_o"] },
  gru: { h: ["dh", "dL/dh_t"], r: ["da_r", "δ_r"], z: ["da_z", "δ_z"], n: ["da_n", "δ_n"] },
  rnn: { h: ["dh", "dL/dh_t"] },
};

function nodeValues(s) {
  // every node's value at step s: the keyed ones from the step, the products between them computed here
  const v = { x: s.x, h_prev: s.h_prev, c_prev: s.c_prev };
  for (const k of ["i", "f", "g", "o", "c", "r", "z", "n", "h"]) if (k in s) v[k] = s[k];
  if (DATA.cell === "lstm") Object.assign(v, { fc: s.f * s.c_prev, ig: s.i * s.g, tc: Math.tanh(s.c) });
  return v;
}

function drawDiagram(s, b) {
  const gradients = Boolean(document.getElementById("gradients")?.checked);
  const values = nodeValues(s);
  document.querySelectorAll("#diagram text[data-show]").forEach((el) => {
    const key = el.dataset.show, grad = GRAD[DATA.cell][key];
    if (gradients) {
      el.textContent = grad ? `${grad[1]} = ${fmt(b[grad[0]])}` : el.dataset.name;
      if (grad) el.dataset.value = b[grad[0]];
      else delete el.dataset.value;
    } else {
      el.textContent = `${el.dataset.name} = ${fmt(values[key])}`;
      el.dataset.value = values[key];
    }
  });
  document.querySelectorAll("#diagram line").forEach((line) => {
    const v = values[line.dataset.from], title = line.querySelector("title");
    const ends = title.dataset.ends || (title.dataset.ends = title.textContent);
    title.textContent = `${ends}: ${fmt(v)}`;
    line.dataset.value = v;
  });
}

function chooseNode(ev) {
  const el = ev.target.closest("[data-node]");
  if (!el) return;
  const node = el.dataset.node;
  const sources = new Set();
  document.querySelectorAll("#diagram line").forEach((line) => {
    const feeds = line.dataset.to === node;
    line.classList.toggle("feeds", feeds);
    if (feeds) sources.add(line.dataset.from);
  });
  document.querySelectorAll("#diagram rect").forEach((r) => {
    r.classList.toggle("chosen", r.dataset.node === node);
    r.classList.toggle("source", sources.has(r.dataset.node));
  });
}

function recompute() {
  const model = readModel();
  const status = document.getElementById("status");
  if (model.bad) {
    status.textContent = `Not a number: ${model.bad.join(", ")}. The numbers below are those of the last valid fields.`;
    status.classList.add("warn");
    return;
  }
  status.textContent = "";
  status.classList.remove("warn");
  render(compute(model));
}

function inkOn(h, s, l) {
  // black or white, whichever contrasts more with the background hsl(h, s%, l%) (WCAG relative luminance)
  s /= 100; l /= 100;
  const k = (n) => (n + h / 30) % 12, a = s * Math.min(l, 1 - l);
  const rgb = [0, 8, 4].map((n) => l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1)));
  const lin = rgb.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const L = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  return (L + 0.05) / 0.05 >= 1.05 / (L + 0.05) ? "#000" : "#fff";
}

function heatmaps() {
  // vector models: each gate over time, a row per unit; the numbers are printed in the cells
  const box = document.getElementById("heatmaps");
  if (!DATA.heatmaps) return;
  box.innerHTML = DATA.heatmaps.map((hm) => {
    const rows = hm.values[0].map((_, u) => `<tr><th scope="row">unit ${u + 1}</th>` + hm.values.map((col, t) => {
      const v = col[u], light = 95 - 45 * Math.min(1, Math.abs(v)), hue = v < 0 ? 220 : 20;
      const ink = inkOn(hue, 70, light);
      return `<td data-key="${hm.key}" data-t="${t + 1}" data-u="${u + 1}" data-value="${v}" style="background:hsl(${hue},70%,${light}%);color:${ink}">${fmt(v)}</td>`;
    }).join("") + "</tr>");
    return `<h3>${hm.label}</h3><div class="scroll"><table class="heat"><thead><tr><th></th>` +
      hm.values.map((_, t) => `<th scope="col">t = ${t + 1}</th>`).join("") + `</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
  }).join("");
}

function start() {
  document.querySelectorAll("input[data-weight], input[data-input], input[data-target], #lr").forEach((el) =>
    el.addEventListener("input", recompute));
  const slider = document.getElementById("step");
  slider.addEventListener("input", showStep);
  ["forward", "backward", "update"].forEach((id) => {
    const el = document.getElementById(id);
    el.addEventListener("click", explain);
    el.addEventListener("focusin", explain);
  });
  document.getElementById("diagram").addEventListener("click", chooseNode);
  document.getElementById("gradients")?.addEventListener("change", showStep);
  document.getElementById("predict")?.addEventListener("change", () => { revealed.clear(); recompute(); });
  if (DATA.scalar) recompute();
  else heatmaps();
  document.body.dataset.ready = "true";
}

start();
