// The number rule every page writes with (recurrent.explain.tex.figure); html.page_script puts it before each
// page's own script, in one strict script.
"use strict";

// A computed number as recurrent.explain.tex.figure writes it: 0 is "0"; from 1 up 3 decimals; below 1
// at least 3 significant figures; below 0.001 scientific (6.53e-6): never 0.000, never -0.000.
const fmt = (v) => {
  if (v === 0 || !Number.isFinite(v)) return v === 0 ? "0" : String(v);
  const a = Math.abs(v);
  if (a < 1e-3) return v.toExponential(2).replace("e+", "e");
  return v.toFixed(a >= 1 ? 3 : Math.max(3, 2 - Math.floor(Math.log10(a))));
};
