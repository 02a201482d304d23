// Progress charts: every <figure data-chart> holds its chart as JSON (progress/charts.py → Chart.to_json)
// and an empty role="img" box; this module draws the chart into the box with uPlot. Columns print their
// value above each non-empty bar, horizontal bars print their text at the bar's end, emphasised bars are
// hatched as well as shaded, and a marker draws a labelled dashed rule. Colours are app.css's variables,
// read again (and the charts redrawn) when the colour scheme changes; widths follow the page.
import uPlot from "./vendor/uPlot/uPlot.esm.js";

const FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif";
const SLOT = 22; // px per column at the least (wider when the values printed above need it)
const ROW = 24; // px per horizontal bar

function colours() {
  const css = getComputedStyle(document.documentElement);
  const read = (name) => css.getPropertyValue(name).trim();
  return {
    text: read("--fg"), axis: read("--chart-axis"), fill: read("--chart-fill"), page: read("--bg"),
    hatchBackground: read("--chart-hatch-bg"), hatchEdge: read("--chart-hatch-edge"), marker: read("--chart-marker"),
  };
}

// Diagonal strokes over a pale ground: emphasis that does not depend on telling colours apart.
function hatch(palette) {
  const size = Math.round(8 * devicePixelRatio);
  const tile = document.createElement("canvas");
  tile.width = tile.height = size;
  const ctx = tile.getContext("2d");
  ctx.fillStyle = palette.hatchBackground;
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = palette.hatchEdge;
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.beginPath();
  for (const offset of [-size, 0, size]) {
    ctx.moveTo(offset, size);
    ctx.lineTo(offset + size, 0);
  }
  ctx.stroke();
  return tile.getContext("2d").createPattern(tile, "repeat");
}

// Two series share the bars: solid ones and emphasised (hatched) ones, each null where the other draws.
function seriesData(chart) {
  const plain = chart.values.map((v, i) => (chart.emphasis[i] ? null : Math.min(v, chart.maximum)));
  const stressed = chart.values.map((v, i) => (chart.emphasis[i] ? Math.min(v, chart.maximum) : null));
  return [chart.values.map((_, i) => i), plain, stressed];
}

function barSeries(palette, size) {
  const paths = uPlot.paths.bars({ size });
  const hatched = hatch(palette);
  return [
    {},
    { fill: palette.fill, stroke: palette.fill, width: 0, paths, points: { show: false } },
    { fill: () => hatched, stroke: palette.hatchEdge, width: 1, paths, points: { show: false } },
  ];
}

function font(px) {
  return `${Math.round(px * devicePixelRatio)}px ${FONT}`;
}

// Text with a page-coloured box behind it, so it stays legible where it crosses the marker's rule.
function label(ctx, text, x, y, palette) {
  const width = ctx.measureText(text).width;
  const pad = 2 * devicePixelRatio;
  const height = 14 * devicePixelRatio;
  const left = ctx.textAlign === "center" ? x - width / 2 : x;
  const middle = ctx.textBaseline === "bottom" ? y - height / 2 : y;
  ctx.fillStyle = palette.page;
  ctx.fillRect(left - pad, middle - height / 2, width + 2 * pad, height);
  ctx.fillStyle = palette.text;
  ctx.fillText(text, x, y);
}

function drawColumnValues(u, chart, palette) {
  const ctx = u.ctx;
  ctx.save();
  ctx.font = font(11);
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  chart.values.forEach((value, i) => {
    if (!value) return;
    const x = u.valToPos(i, "x", true);
    const y = u.valToPos(Math.min(value, chart.maximum), "y", true) - 2 * devicePixelRatio;
    label(ctx, chart.texts[i], x, y, palette);
  });
  ctx.restore();
}

function drawBarTexts(u, chart, palette) {
  const ctx = u.ctx;
  ctx.save();
  ctx.font = font(12);
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  chart.values.forEach((value, i) => {
    const end = u.valToPos(Math.min(value, chart.maximum), "y", true);
    label(ctx, chart.texts[i], end + 6 * devicePixelRatio, u.valToPos(i, "x", true), palette);
  });
  ctx.restore();
}

function drawMarker(u, marker, palette) {
  const ctx = u.ctx;
  const x = u.valToPos(marker.value, "y", true);
  ctx.save();
  ctx.strokeStyle = palette.marker;
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
  ctx.beginPath();
  ctx.moveTo(x, u.bbox.top - 4 * devicePixelRatio);
  ctx.lineTo(x, u.bbox.top + u.bbox.height);
  ctx.stroke();
  ctx.fillStyle = palette.marker;
  ctx.font = font(12);
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(marker.label, x, u.bbox.top - 6 * devicePixelRatio);
  ctx.restore();
}

function textWidth(texts, px) {
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = `${px}px ${FONT}`;
  return Math.max(0, ...texts.map((text) => ctx.measureText(text).width));
}

function columnOptions(chart, palette, width) {
  const n = chart.values.length;
  const ticks = chart.labels.map((_, i) => i).filter((i) => i % chart.tickEvery === 0);
  const slot = Math.max(SLOT, Math.ceil(textWidth(chart.texts, 11)) + 6); // values never overlap
  return {
    width: Math.max(width, 16 + slot * Math.max(n, 1)),
    height: 200,
    padding: [20, 8, 0, 8],
    scales: {
      x: { time: false, range: () => [-0.5, Math.max(n, 1) - 0.5] },
      y: { range: () => [0, chart.maximum] },
    },
    axes: [
      {
        stroke: palette.text, font: `12px ${FONT}`, size: 30, gap: 4,
        grid: { show: false }, ticks: { stroke: palette.axis, size: 4 }, border: { show: true, stroke: palette.axis },
        splits: () => ticks, values: (u, splits) => splits.map((i) => chart.labels[i] ?? ""),
      },
      { show: false },
    ],
    series: barSeries(palette, [0.73, 40]),
    hooks: { draw: [(u) => drawColumnValues(u, chart, palette)] },
  };
}

function barOptions(chart, palette, width) {
  const n = Math.max(chart.values.length, 1);
  const left = 16 + Math.ceil(Math.max(60, textWidth(chart.labels, 12)));
  const room = 16 + Math.ceil(textWidth(chart.texts, 12)); // right of the bars, for their texts
  const top = chart.marker ? 24 : 6;
  return {
    width: Math.max(width, left + 200 + room),
    height: top + ROW * n + 8,
    padding: [top, room, 8, 0],
    scales: {
      x: { time: false, ori: 1, dir: -1, range: () => [-0.5, n - 0.5] },
      y: { ori: 0, range: () => [0, chart.maximum] },
    },
    axes: [
      {
        side: 3, stroke: palette.text, font: `12px ${FONT}`, size: left, gap: 6,
        grid: { show: false }, ticks: { show: false }, border: { show: true, stroke: palette.axis },
        splits: () => chart.labels.map((_, i) => i), values: (u, splits) => splits.map((i) => chart.labels[i] ?? ""),
      },
      { show: false, side: 0 },
    ],
    series: barSeries(palette, [2 / 3, 16]),
    hooks: {
      draw: [(u) => {
        if (chart.marker) drawMarker(u, chart.marker, palette);
        drawBarTexts(u, chart, palette);
      }],
    },
  };
}

function draw(figure) {
  const chart = JSON.parse(figure.querySelector("script.chart-data").textContent);
  const box = figure.querySelector(".chart-plot");
  const width = Math.floor(figure.querySelector(".progress-chart-scroll").clientWidth) - 2;
  const palette = colours();
  const options = chart.kind === "bars" ? barOptions(chart, palette, width) : columnOptions(chart, palette, width);
  box.replaceChildren();
  const plot = new uPlot(
    { ...options, legend: { show: false }, cursor: { show: false }, select: { show: false } },
    seriesData(chart),
    box,
  );
  box.dataset.drawn = chart.kind;
  return plot;
}

// One chart that cannot be drawn leaves its box empty (its table still says it all), not the others.
function drawEach(figures) {
  return figures.flatMap((figure) => {
    try {
      return [draw(figure)];
    } catch (error) {
      console.error("chart not drawn", figure, error);
      return [];
    }
  });
}

function drawAll() {
  const figures = [...document.querySelectorAll("figure[data-chart]")];
  let plots = drawEach(figures);
  const redraw = () => {
    plots.forEach((plot) => plot.destroy());
    plots = drawEach(figures);
  };
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redraw);
  let pending = null;
  let lastWidth = document.documentElement.clientWidth;
  window.addEventListener("resize", () => {
    if (document.documentElement.clientWidth === lastWidth) return;
    lastWidth = document.documentElement.clientWidth;
    clearTimeout(pending);
    pending = setTimeout(redraw, 150);
  });
}

drawAll();
