// charts.js: small hand-drawn SVG charts (no library): bars over time and
// ranked horizontal bars. Labels come from the wire and go in as SVG text
// nodes (textContent), never markup. Colours come from CSS classes so the
// dark theme and print styles restyle them.

import { el } from './format.js';

const S = (tag, attrs, ...kids) => el(`svg:${tag}`, attrs, ...kids);

function niceMax(v) {
  if (v <= 5) return Math.max(1, v);
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return v;
}

// points: [{t: RFC3339, n}], fmt(t) -> tick label, tip(t, n) -> tooltip.
export function timeBars(points, { width = 560, height = 150, cls = 'c-alerts', label = '', fmt, tip, num }) {
  const padL = 36, padB = 20, padT = 8, padR = 6;
  const w = width - padL - padR, h = height - padB - padT;
  const max = niceMax(Math.max(0, ...points.map((p) => p.n)));
  const bw = points.length ? w / points.length : w;
  const svg = S('svg', { viewBox: `0 0 ${width} ${height}`, class: `chart ${cls}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'none' });
  for (const f of [0, 0.5, 1]) {
    const y = padT + h - f * h;
    svg.append(S('line', { x1: padL, x2: width - padR, y1: y, y2: y, class: 'grid-line' }),
      S('text', { x: padL - 4, y: y + 3, class: 'tick', 'text-anchor': 'end' }, num(Math.round(max * f))));
  }
  points.forEach((p, i) => {
    const bh = max ? (p.n / max) * h : 0;
    const r = S('rect', { x: padL + i * bw + (bw > 4 ? 1 : 0), y: padT + h - bh, width: Math.max(1, bw - (bw > 4 ? 2 : 0)), height: Math.max(p.n ? 1 : 0, bh), class: 'bar' });
    r.append(S('title', null, tip(p.t, p.n)));
    svg.append(r);
  });
  const every = Math.max(1, Math.ceil(points.length / 6));
  points.forEach((p, i) => {
    if (i % every) return;
    svg.append(S('text', { x: padL + i * bw + bw / 2, y: height - 5, class: 'tick', 'text-anchor': 'middle' }, fmt(p.t)));
  });
  return svg;
}

// items: [{label, n}] ranked; long labels are cut with an ellipsis, the full
// text stays in the tooltip.
export function rankBars(items, { width = 360, row = 20, cls = 'c-rank', label = '', num, labelW = 150 }) {
  const height = Math.max(row, items.length * row);
  const max = Math.max(1, ...items.map((i) => i.n));
  const barW = width - labelW - 52;
  const svg = S('svg', { viewBox: `0 0 ${width} ${height}`, class: `chart rank ${cls}`, role: 'img', 'aria-label': label });
  items.forEach((it, i) => {
    const y = i * row;
    const text = String(it.label);
    const fit = Math.floor(labelW / 7) - 1; // 11px monospace is ~6.6px a character
    const short = text.length > fit ? `${text.slice(0, fit - 1)}…` : text;
    const g = S('g', { class: 'rank-row' });
    g.append(S('title', null, `${text}: ${num(it.n)}`),
      S('text', { x: 0, y: y + row * 0.68, class: 'rank-label', 'data-wire': '' }, short),
      S('rect', { x: labelW, y: y + 4, width: Math.max(2, (it.n / max) * barW), height: row - 8, rx: 2, class: 'bar' }),
      S('text', { x: labelW + Math.max(2, (it.n / max) * barW) + 4, y: y + row * 0.68, class: 'rank-n' }, num(it.n)));
    svg.append(g);
  });
  return svg;
}
