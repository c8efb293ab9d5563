// Revenue (bars, left axis) and orders (line, right axis) per day as inline SVG, sized to its box.
import { h, money, number } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten. */
function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

export function revenueChart(days, currency, width) {
  const height = Math.max(180, Math.min(280, Math.round(width * 0.4)));
  const pad = { top: 12, right: 40, bottom: 26, left: width < 500 ? 52 : 72 };
  const w = Math.max(10, width - pad.left - pad.right);
  const ih = height - pad.top - pad.bottom;
  const maxRevenue = niceMax(Math.max(...days.map((d) => d.revenue), 0));
  const maxOrders = niceMax(Math.max(...days.map((d) => d.ordersCompleted), 0));
  const step = w / days.length;
  const barW = Math.max(1, step * 0.7);
  const svg = s('svg', { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Revenue and orders per day, ${currency}` });
  const g = s('g', { transform: `translate(${pad.left},${pad.top})` });
  svg.append(g);

  for (let i = 0; i <= 4; i++) {
    const y = ih - (ih * i) / 4;
    g.append(s('line', { x1: 0, x2: w, y1: y, y2: y, class: 'grid' }));
    g.append(s('text', { x: -6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, money(Math.round((maxRevenue * i) / 4), currency, { trim: true })));
    g.append(s('text', { x: w + 6, y: y + 4, class: 'axis' }, number((maxOrders * i) / 4)));
  }
  const labelEvery = Math.ceil(days.length / Math.max(2, Math.floor(w / 60)));
  days.forEach((d, i) => {
    const x = i * step + (step - barW) / 2;
    const bh = (d.revenue / maxRevenue) * ih;
    const bar = s('rect', { x, y: ih - bh, width: barW, height: Math.max(0, bh), class: 'bar', 'data-date': d.date });
    bar.append(s('title', {}, `${d.date}: ${money(d.revenue, currency)}, ${d.ordersCompleted} orders`));
    g.append(bar);
    if (i % labelEvery === 0 || i === days.length - 1) {
      g.append(s('text', { x: i * step + step / 2, y: ih + 18, 'text-anchor': 'middle', class: 'axis' }, d.date.slice(5)));
    }
  });
  const points = days.map((d, i) => `${(i * step + step / 2).toFixed(1)},${(ih - (d.ordersCompleted / maxOrders) * ih).toFixed(1)}`);
  g.append(s('polyline', { points: points.join(' '), class: 'line' }));

  const legend = h('p', { class: 'legend muted small' }, h('span', { class: 'swatch swatch-bar' }), ` Revenue (${currency}, left)  `, h('span', { class: 'swatch swatch-line' }), ' Orders completed (right)');
  return h('figure', { class: 'chart-figure' }, svg, legend);
}
