// Horizontal bar charts in plain SVG: one row per label, the value at the end of the bar. Accessible as an image
// with a text alternative that lists every value.
import { s } from './dom.js';

export function barChart({ title, data, color = 'var(--accent)', colorFor, width = 420, emptyText = 'Nothing to show' }) {
  const rows = data.filter((d) => d.value > 0);
  const desc = rows.length ? rows.map((d) => `${d.label}: ${d.value}`).join(', ') : emptyText;
  const rowH = 26;
  const labelW = 150;
  const valueW = 50;
  const height = Math.max(rows.length, 1) * rowH + 8;
  const max = Math.max(1, ...rows.map((d) => d.value));
  const barMax = width - labelW - valueW;
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': `${title}: ${desc}`, preserveAspectRatio: 'xMinYMin meet' },
    s('title', {}, `${title}: ${desc}`));
  if (!rows.length) {
    svg.append(s('text', { x: 0, y: 20, class: 'chart-empty' }, emptyText));
    return svg;
  }
  rows.forEach((d, i) => {
    const y = i * rowH + 4;
    const w = Math.max(2, (d.value / max) * barMax);
    svg.append(
      s('text', { x: labelW - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end', class: 'chart-label' }, d.label.length > 22 ? `${d.label.slice(0, 21)}…` : d.label),
      s('rect', { x: labelW, y: y + 3, width: w, height: rowH - 8, rx: 3, fill: (colorFor && colorFor(d)) || color }),
      s('text', { x: labelW + w + 6, y: y + rowH / 2 + 4, class: 'chart-value' }, String(d.value)),
    );
  });
  return svg;
}

/** A ring showing a ratio (0–1), e.g. the success rate. */
export function ring(ratio, label) {
  const r = 26;
  const c = 2 * Math.PI * r;
  const v = Math.max(0, Math.min(1, Number(ratio) || 0));
  return s('svg', { class: 'ring', viewBox: '0 0 64 64', width: 64, height: 64, role: 'img', 'aria-label': label },
    s('circle', { cx: 32, cy: 32, r, fill: 'none', stroke: 'var(--track)', 'stroke-width': 7 }),
    s('circle', { cx: 32, cy: 32, r, fill: 'none', stroke: v >= 0.9 ? 'var(--ok)' : v >= 0.6 ? 'var(--warn)' : 'var(--bad)', 'stroke-width': 7,
      'stroke-dasharray': `${(v * c).toFixed(2)} ${c.toFixed(2)}`, transform: 'rotate(-90 32 32)', 'stroke-linecap': 'round' }));
}

/**
 * A small line chart over time (one point per run): `series` share the x axis, each scaled to its own max unless
 * `max` is given. Accessible as an image whose label lists every value; the view shows the same numbers as a table.
 */
export function lineChart({ title, labels, series, width = 960, height = 240 }) {
  const padL = 44;
  const padR = 16;
  const padT = 12;
  const padB = 28;
  const n = labels.length;
  const desc = series.map((se) => `${se.name}: ${se.values.map((v, i) => `${labels[i]} ${v}`).join(', ')}`).join('; ');
  const svg = s('svg', { class: 'chart line-chart', viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': `${title}. ${desc || 'No runs'}`, preserveAspectRatio: 'xMinYMin meet' },
    s('title', {}, `${title}. ${desc || 'No runs'}`));
  if (!n) {
    svg.append(s('text', { x: 0, y: 20, class: 'chart-empty' }, 'No completed runs yet'));
    return svg;
  }
  const x = (i) => padL + (n === 1 ? (width - padL - padR) / 2 : (i * (width - padL - padR)) / (n - 1));
  svg.append(s('line', { x1: padL, y1: height - padB, x2: width - padR, y2: height - padB, stroke: 'var(--line)' }));
  labels.forEach((l, i) => {
    const anchor = n > 1 && i === 0 ? 'start' : n > 1 && i === n - 1 ? 'end' : 'middle';
    if (n <= 12 || i % Math.ceil(n / 12) === 0) svg.append(s('text', { x: x(i), y: height - 8, 'text-anchor': anchor, class: 'chart-label' }, l));
  });
  // The first series' scale on the left axis (its top and zero).
  if (series[0]) {
    const top = series[0].max ?? Math.max(1, ...series[0].values);
    svg.append(s('text', { x: padL - 6, y: padT + 4, 'text-anchor': 'end', class: 'chart-label' }, String(top)),
      s('text', { x: padL - 6, y: height - padB, 'text-anchor': 'end', class: 'chart-label' }, '0'));
  }
  // The other series' top, at the right end of the frame, in their colour.
  series.slice(1).filter((se, i, all) => all.findIndex((x) => x.max === se.max) === i).forEach((se, i) => {
    svg.append(s('text', { x: width - padR, y: padT - 2 + i * 12, 'text-anchor': 'end', class: 'chart-label' }, `${se.max ?? Math.max(1, ...se.values)} ${se.unit || se.name.toLowerCase()}`));
  });
  for (const se of series) {
    const max = se.max ?? Math.max(1, ...se.values);
    const y = (v) => padT + (1 - v / max) * (height - padT - padB);
    const pts = se.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    svg.append(s('polyline', { points: pts, fill: 'none', stroke: se.color, 'stroke-width': 2.5, 'stroke-dasharray': se.dash || undefined }));
    se.values.forEach((v, i) => svg.append(s('circle', { cx: x(i), cy: y(v), r: 3.5, fill: se.color }, s('title', {}, `${se.name} ${labels[i]}: ${v}`))));
  }
  return svg;
}
