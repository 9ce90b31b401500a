// The gradient-flow lab's page (explain/flow_page.py): the chart and the table for the sliders' setting, from
// the library's numbers carried in the page; truncation applied here (the last k steps kept, the rest 0).
const D = JSON.parse(document.getElementById("flow-data").textContent);
const COLORS = { rnn: "#b3261e", gru: "#1b6e20", lstm: "#0b57d0", lstm_dc: "#6a3d9a" };
const $ = (id) => document.getElementById(id);
function series() {
  // the chosen setting's norms per step, truncation applied: name -> array
  const fb = +$("fb").value, sc = +$("sc").value, k = +$("trunc").value, T = D.steps;
  const pick = { rnn: D.rnn[sc], gru: D.gru[fb][sc], lstm: D.lstm[fb][sc], lstm_dc: D.lstm_dc[fb][sc] };
  const out = {};
  for (const [name, v] of Object.entries(pick)) {
    if (!$("show-" + name.split("_")[0]).checked) continue;
    out[name] = v.map((x, t) => (k > 0 && t < T - k ? 0 : x));
  }
  return out;
}
function draw() {
  $("fb-out").textContent = D.forget_biases[+$("fb").value];
  $("sc-out").textContent = D.scales[+$("sc").value];
  $("trunc-out").textContent = +$("trunc").value ? $("trunc").value + " steps" : "none (full BPTT)";
  const s = series(), W = 640, H = 320, L = 60, B = 30, T = D.steps, lo = -12, hi = 2;
  const x = (t) => L + (t / (T - 1)) * (W - L - 10), y = (v) => 10 + ((hi - Math.log10(v)) / (hi - lo)) * (H - B - 10);
  let svg = `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="gradient norm by step">`;
  for (let e = lo; e <= hi; e += 2) svg += `<line x1="${L}" x2="${W - 10}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#bbb"/>` +
    `<text x="4" y="${y(10 ** e) + 4}">1e${e}</text>`;
  svg += `<text x="${L}" y="${H - 6}">step 1</text><text x="${W - 60}" y="${H - 6}">step ${T}</text>`;
  for (const [name, v] of Object.entries(s)) {
    const pts = v.map((val, t) => (val > 0 ? `${x(t).toFixed(1)},${y(Math.max(val, 10 ** lo)).toFixed(1)}` : null)).filter(Boolean);
    svg += `<polyline fill="none" stroke="${COLORS[name]}" stroke-width="2.5" points="${pts.join(" ")}" data-series="${name}"` +
      `${name === "lstm_dc" ? ' stroke-dasharray="6 4"' : ""}/>`;
  }
  $("chart").innerHTML = svg + "</svg>";
  const names = Object.keys(s);
  const label = { rnn: "RNN |dL/dh_t|", gru: "GRU |dL/dh_t|", lstm: "LSTM |dL/dh_t|", lstm_dc: "LSTM |dL/dc_t|" };
  $("numbers").innerHTML = "<thead><tr><th>t</th>" + names.map((n) => `<th style="color:${COLORS[n]}">${label[n]}</th>`).join("") +
    "</tr></thead><tbody>" + [0, 9, 19, 29, T - 1].map((t) => `<tr><th>${t + 1}</th>` +
    names.map((n) => `<td data-series="${n}" data-t="${t + 1}" data-value="${s[n][t]}">${fmt(s[n][t])}</td>`).join("") + "</tr>").join("") + "</tbody>";
}
document.querySelectorAll("input").forEach((el) => el.addEventListener("input", draw));
draw();
document.body.dataset.ready = "true";
