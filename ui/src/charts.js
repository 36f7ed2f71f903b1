// A small SVG line chart: a few series over the last minutes, scaled to their maximum.
const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 320;
const HEIGHT = 90;
const PAD = { left: 4, right: 4, top: 14, bottom: 4 };

function element(name, attributes) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

export class Chart {
  // series: [{key, label, color}]; windowMs: the time shown; format: the y axis's numbers
  constructor(container, series, windowMs, format = (v) => v.toFixed(1)) {
    this.series = series;
    this.windowMs = windowMs;
    this.format = format;
    this.svg = element("svg", {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      class: "chart",
      role: "img",
      preserveAspectRatio: "none",
    });
    container.append(this.svg);
    const legend = document.createElement("div");
    legend.className = "legend";
    for (const s of series) {
      const item = document.createElement("span");
      item.innerHTML = `<i style="background:${s.color}"></i>`;
      item.append(s.label);
      legend.append(item);
    }
    const span = document.createElement("span");
    span.className = "window";
    span.textContent = `last ${Math.round(windowMs / 60000)} minutes`;
    legend.append(span);
    container.append(legend);
  }

  // points: [{t, [key]: value|null}], oldest first; t in ms
  draw(points) {
    const windowMs = this.windowMs;
    const svg = this.svg;
    svg.replaceChildren();
    const now = points.length ? points[points.length - 1].t : 0;
    let max = 0;
    for (const p of points) for (const s of this.series) max = Math.max(max, p[s.key] ?? 0);
    const top = max > 0 ? max * 1.1 : 1;
    const x = (t) => PAD.left + (1 - (now - t) / windowMs) * (WIDTH - PAD.left - PAD.right);
    const y = (v) => HEIGHT - PAD.bottom - (v / top) * (HEIGHT - PAD.top - PAD.bottom);
    svg.append(element("line", { x1: 0, x2: WIDTH, y1: y(0), y2: y(0), class: "axis" }));
    const label = element("text", { x: PAD.left, y: 10, class: "scale" });
    label.textContent = `max ${this.format(max)}`;
    svg.append(label);
    for (const s of this.series) {
      const coords = points
        .filter((p) => p[s.key] != null && now - p.t <= windowMs)
        .map((p) => `${x(p.t).toFixed(1)},${y(p[s.key]).toFixed(1)}`);
      if (coords.length < 2) continue;
      svg.append(
        element("polyline", {
          points: coords.join(" "),
          fill: "none",
          stroke: s.color,
          "stroke-width": 1.6,
          "vector-effect": "non-scaling-stroke",
        }),
      );
    }
  }
}
