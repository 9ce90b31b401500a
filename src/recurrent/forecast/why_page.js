// One series' explanation (forecast/why_page.py): the series and its forecast, the attributions shaded by value,
// and the parts and largest inputs of the step under the pointer. Every number is the library's.
const D = JSON.parse(document.getElementById("why-data").textContent);
const $ = (id) => document.getElementById(id);
const H = D.forecast.length, P = D.positions.length;
const forecast = () => ($("theta").checked ? D.forecast : D.networks_only);

function chart(current) {
  const f = forecast(), all = D.window.concat(f), W = Math.max(480, 14 * (P + H) + 60), Ht = 220, L = 50;
  const lo = Math.min(...all), hi = Math.max(...all), span = hi - lo || 1;
  const x = (i) => L + (i / (P + H - 1)) * (W - L - 10), y = (v) => 10 + ((hi - v) / span) * (Ht - 40);
  const pts = (vals, off) => vals.map((v, i) => `${x(i + off).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  let svg = `<svg viewBox="0 0 ${W} ${Ht}" width="${W}" height="${Ht}" role="img" aria-label="the series and its forecast">`;
  svg += `<text x="4" y="${y(hi) + 4}">${fmt(hi)}</text><text x="4" y="${y(lo) + 4}">${fmt(lo)}</text>`;
  svg += `<polyline fill="none" stroke="#333" stroke-width="2" points="${pts(D.window, 0)}"/>`;
  svg += `<polyline id="fc-line" fill="none" stroke="#0b57d0" stroke-width="2.5" points="${pts(f, P)}"/>`;
  f.forEach((v, h) => {
    svg += `<circle cx="${x(P + h)}" cy="${y(v)}" r="${h === current ? 7 : 5}" fill="${h === current ? "#b3261e" : "#0b57d0"}" ` +
      `data-step="${h + 1}" data-value="${v}" tabindex="0"><title>step ${h + 1}: ${fmt(v)}</title></circle>`;
  });
  $("chart").innerHTML = svg + "</svg>";
}

function shade(v, vmax) {
  const t = Math.min(1, Math.abs(v) / vmax), light = 97 - 47 * t;
  return `background:hsl(${v < 0 ? 215 : 5},70%,${light}%);color:${light < 62 ? "#fff" : "#000"}`;
}

function heat() {
  const vmax = Math.max(...D.values.flat().map(Math.abs)) || 1;
  const head = "<thead><tr><th>step</th>" + D.positions.map((p) => `<th scope="col">${p}</th>`).join("") + "</tr></thead>";
  const rows = D.values.map((row, h) => `<tr data-step="${h + 1}" tabindex="0"><th scope="row">${h + 1}</th>` +
    row.map((v, j) => `<td data-step="${h + 1}" data-pos="${D.positions[j]}" data-value="${v}" style="${shade(v, vmax)}">${fmt(v)}</td>`).join("") + "</tr>");
  $("heat").innerHTML = head + "<tbody>" + rows.join("") + "</tbody>";
}

function show(h) {
  // the parts of step h + 1 and its largest inputs
  const w = D.weight, theta = D.theta ? D.theta[h] : null;
  const lines = [
    `step ${h + 1}: forecast ${fmt(forecast()[h])}` + ($("theta").checked ? "" : " (the networks alone)"),
    `  log f = w (level + networks) + (1 - w) θ = ${fmt(w)} (${fmt(D.level)} + ${fmt(D.networks[h])})` +
      (theta === null ? "" : ` + ${fmt(1 - w)} · ${fmt(theta)}`),
    `  networks = naive window ${fmt(D.baseline[h])} + attributions ${fmt(D.networks[h] - D.baseline[h] - D.residual[h])}` +
      ` (+ residual ${fmt(D.residual[h])})`,
    "  largest inputs: " + D.top[h].map(([what, v]) => `${what} ${v >= 0 ? "+" : ""}${fmt(v)}`).join("; "),
  ];
  $("why").textContent = lines.join("\n");
  $("why").dataset.step = h + 1;
  document.querySelectorAll("#heat tbody tr").forEach((tr) => tr.classList.toggle("current", +tr.dataset.step === h + 1));
  chart(h);
}

function pick(ev) {
  const el = ev.target.closest("[data-step]");
  if (el) show(+el.dataset.step - 1);
}

["mouseover", "focusin", "click"].forEach((kind) => {
  $("chart").addEventListener(kind, pick);
  $("heat").addEventListener(kind, pick);
});
$("theta").addEventListener("change", () => show(+($("why").dataset.step || 1) - 1));
if (!D.theta) $("theta").disabled = true;
heat();
show(0);
document.body.dataset.ready = "true";
