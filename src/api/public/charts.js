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
