// Verdict plots in a result panel: loss per step (submission vs reference) with uPlot and, for 2-D problems,
// both paths over a contour plot drawn on a canvas, with the first diverging step marked on both. uPlot is
// the vendored ES module build, the same one the progress charts (static/charts.js) import.
import uPlot from "../vendor/uPlot/uPlot.esm.js";

// Colours are app.css's variables, read when the module is first loaded, so plots follow the light or dark scheme.
function chartColors() {
  const css = getComputedStyle(document.documentElement);
  const read = (name) => css.getPropertyValue(name).trim();
  return {
    reference: read("--chart-line-3"), submission: read("--chart-line-2"), marker: read("--chart-marker"),
    contour: read("--chart-contour"), background: read("--card"), text: read("--fg"), grid: read("--chart-grid"),
  };
}
const COLORS = chartColors();

function caseData(c) {
  const t = c.trajectory || c;
  return { loss: t.loss, path: t.path, contour: t.contour, quantity: t.quantity || "loss" };
}

function divergenceStep(c) {
  return c.first_divergence ? c.first_divergence.step : null;
}

function finiteOrNull(values, length) {
  const out = new Array(length);
  for (let i = 0; i < length; i++) {
    const v = values && i < values.length ? values[i] : null;
    out[i] = typeof v === "number" && Number.isFinite(v) ? v : null;
  }
  return out;
}

function markStep(u, step) {
  if (step == null) return;
  const x = u.valToPos(step, "x", true);
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = COLORS.marker;
  ctx.fillStyle = COLORS.marker;
  ctx.lineWidth = 2 * devicePixelRatio;
  ctx.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
  ctx.beginPath();
  ctx.moveTo(x, u.bbox.top);
  ctx.lineTo(x, u.bbox.top + u.bbox.height);
  ctx.stroke();
  ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.fillText(`diverges at step ${step}`, x + 4 * devicePixelRatio, u.bbox.top + 14 * devicePixelRatio);
  ctx.restore();
}

function axis(label) {
  return {
    label, stroke: COLORS.text, grid: { stroke: COLORS.grid }, ticks: { stroke: COLORS.grid },
    // Wide enough for the longest tick value (log-scale losses reach "100,000,000").
    size: (u, values) => 24 + 7 * Math.max(3, ...(values || []).map((v) => String(v).length)),
  };
}

function lossPlot(target, c, width) {
  const { loss, quantity } = caseData(c);
  if (!loss) return;
  const n = Math.max(loss.submission ? loss.submission.length : 0, loss.reference ? loss.reference.length : 0);
  if (n === 0) return;
  const xs = Array.from({ length: n }, (_, i) => i);
  const reference = finiteOrNull(loss.reference, n);
  const submission = finiteOrNull(loss.submission, n);
  const values = reference.concat(submission).filter((v) => v !== null);
  const logScale = values.length > 0 && values.every((v) => v > 0);
  const step = divergenceStep(c);
  const box = document.createElement("div");
  box.className = "drl-plot drl-plot-loss";
  target.appendChild(box);
  new uPlot({
    title: `${c.problem}: ${quantity} per step${logScale ? " (log scale)" : ""}`,
    width: width,
    height: 240,
    scales: { x: { time: false }, y: logScale ? { distr: 3 } : {} },
    series: [
      { label: "step" },
      { label: "reference", stroke: COLORS.reference, width: 2 },
      { label: "your code", stroke: COLORS.submission, width: 1.5, dash: [6, 3] },
    ],
    axes: [axis("step"), axis(quantity)],
    hooks: { draw: [(u) => markStep(u, step)] },
  }, [xs, reference, submission], box);
}

// Contour lines by marching squares over the grid z[row][col] at (x[col], y[row]).
function contourSegments(grid, level) {
  const { x, y, z } = grid;
  const segments = [];
  const lerp = (a, b, va, vb) => a + (b - a) * ((level - va) / (vb - va));
  for (let r = 0; r + 1 < y.length; r++) {
    for (let k = 0; k + 1 < x.length; k++) {
      const v = [z[r][k], z[r][k + 1], z[r + 1][k + 1], z[r + 1][k]];
      if (!v.every((value) => typeof value === "number" && Number.isFinite(value))) continue;
      const p = [[x[k], y[r]], [x[k + 1], y[r]], [x[k + 1], y[r + 1]], [x[k], y[r + 1]]];
      const crossings = [];
      for (let e = 0; e < 4; e++) {
        const a = e, b = (e + 1) % 4;
        if ((v[a] < level) !== (v[b] < level)) {
          crossings.push([lerp(p[a][0], p[b][0], v[a], v[b]), lerp(p[a][1], p[b][1], v[a], v[b])]);
        }
      }
      if (crossings.length >= 2) segments.push([crossings[0], crossings[1]]);
      if (crossings.length === 4) segments.push([crossings[2], crossings[3]]);
    }
  }
  return segments;
}

function contourLevels(z, count) {
  const values = z.flat().filter(Number.isFinite).sort((a, b) => a - b);
  if (values.length === 0) return [];
  // Quantile levels follow the landscape's shape, whatever its range (Rosenbrock spans decades).
  return Array.from({ length: count }, (_, i) => values[Math.floor(((i + 0.5) / count) * (values.length - 1))]);
}

function normaliseGrid(contour) {
  const x = contour.x || contour.xs, y = contour.y || contour.ys, z = contour.z || contour.zs;
  return x && y && z ? { x, y, z } : null;
}

function pathPlot(target, c, width) {
  const { path, contour } = caseData(c);
  if (!path || !path.reference || path.reference.length === 0) return;
  const grid = contour ? normaliseGrid(contour) : null;
  const points = path.reference.concat(path.submission || []).filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
  const xs = (grid ? grid.x : []).concat(points.map((p) => p[0]));
  const ys = (grid ? grid.y : []).concat(points.map((p) => p[1]));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const size = Math.min(width, 420), pad = 28;
  const canvas = document.createElement("canvas");
  canvas.className = "drl-plot drl-plot-path";
  canvas.width = size * devicePixelRatio;
  canvas.height = size * devicePixelRatio;
  canvas.style.width = `${size}px`;
  canvas.style.height = `${size}px`;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${c.problem}: your path and the reference path over the contour plot`);
  const caption = document.createElement("p");
  caption.className = "drl-plot-caption muted";
  caption.textContent = `${c.problem}: paths over the loss contours — reference (green, solid), yours (red, dashed)`;
  target.appendChild(caption);
  target.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  ctx.scale(devicePixelRatio, devicePixelRatio);
  const sx = (v) => pad + ((v - x0) / (x1 - x0 || 1)) * (size - 2 * pad);
  const sy = (v) => size - pad - ((v - y0) / (y1 - y0 || 1)) * (size - 2 * pad);
  ctx.fillStyle = COLORS.background;
  ctx.fillRect(0, 0, size, size);
  if (grid) {
    ctx.strokeStyle = COLORS.contour;
    ctx.lineWidth = 1;
    for (const level of contourLevels(grid.z, 14)) {
      ctx.beginPath();
      for (const [a, b] of contourSegments(grid, level)) {
        ctx.moveTo(sx(a[0]), sy(a[1]));
        ctx.lineTo(sx(b[0]), sy(b[1]));
      }
      ctx.stroke();
    }
  }
  drawPath(ctx, path.reference, sx, sy, COLORS.reference, []);
  drawPath(ctx, path.submission || [], sx, sy, COLORS.submission, [6, 4]);
  const step = divergenceStep(c);
  const marked = path.submission && step != null ? path.submission[step] : null;
  if (marked) {
    ctx.strokeStyle = COLORS.marker;
    ctx.lineWidth = 2;
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.arc(sx(marked[0]), sy(marked[1]), 7, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.fillStyle = COLORS.marker;
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillText(`step ${step}`, sx(marked[0]) + 9, sy(marked[1]) - 9);
  }
}

function drawPath(ctx, points, sx, sy, color, dash) {
  const finite = points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
  if (finite.length === 0) return;
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.setLineDash(dash);
  ctx.beginPath();
  finite.forEach((p, i) => (i === 0 ? ctx.moveTo(sx(p[0]), sy(p[1])) : ctx.lineTo(sx(p[0]), sy(p[1]))));
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = color;
  ctx.beginPath();
  ctx.arc(sx(finite[0][0]), sy(finite[0][1]), 4, 0, 2 * Math.PI);
  ctx.fill();
}

export function drawVerdictPlots(root, verdict) {
  const slot = root.querySelector(".drl-plots");
  if (!slot || !verdict || !verdict.cases) return;
  slot.replaceChildren();
  const width = Math.max(320, Math.min(slot.clientWidth || 720, 900));
  verdict.cases.forEach((c) => {
    const figure = document.createElement("figure");
    figure.className = "drl-figure";
    slot.appendChild(figure);
    lossPlot(figure, c, width);
    pathPlot(figure, c, width);
    if (!figure.childElementCount) figure.remove();
  });
}
