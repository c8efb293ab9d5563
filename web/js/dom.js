// Tiny DOM helpers: elements are built with h(), never from HTML strings, so data cannot inject markup.
import { minorDigits } from './currencies.js';

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** 123456 minor units, 2 digits -> "1234.56", exactly: 123456 / 100 is a float, and far from 0 a wrong one. */
function decimalText(minor, digits) {
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  const text = digits === 0 ? s : `${s.slice(0, -digits)}.${s.slice(-digits)}`;
  return minor < 0 ? `-${text}` : text;
}

/**
 * Integer minor units to "€1,234.50", divided by the server's ISO 4217 digits (currencies.js,
 * written from money.ts), never the browser's: Intl's own would show IDR 123,456.00 as
 * IDR 12,345,600. Intl still gives the symbol and grouping. `trim` drops a zero fraction (axes).
 */
export function money(minor, currency, { trim = false } = {}) {
  const digits = minorDigits(currency);
  // The API sends safe integers; anything else is shown as near as a float can.
  const text = Number.isSafeInteger(minor) ? decimalText(minor, digits) : String(minor / 10 ** digits);
  const shown = trim && minor % 10 ** digits === 0 ? 0 : digits;
  try {
    // A string is formatted as the exact decimal it spells (a number would be rounded first).
    return new Intl.NumberFormat(undefined, { style: 'currency', currency, minimumFractionDigits: shown, maximumFractionDigits: shown }).format(text);
  } catch {
    return `${text} ${currency}`;
  }
}

export const number = (n) => new Intl.NumberFormat().format(n);

export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 1) return '<1 s';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export const badge = (text, kind = text) => h('span', { class: `badge badge-${kind}` }, text.replaceAll('_', ' '));

/** A table inside a horizontally scrolling box (phones); rows are arrays of cells or { cells, attrs }. */
export function table(headers, rows, { empty = 'Nothing here yet.', caption } = {}) {
  const body = rows.length
    ? rows.map((r) => {
        const { cells, attrs } = Array.isArray(r) ? { cells: r, attrs: {} } : r;
        return h('tr', attrs, cells.map((c, i) => h('td', { 'data-label': headers[i]?.label ?? headers[i] ?? '', class: headers[i]?.class }, c)));
      })
    : [h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, empty))];
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', {}, caption ? h('caption', {}, caption) : null, h('thead', {}, h('tr', {}, headers.map((x) => h('th', { class: x?.class }, x?.label ?? x)))), h('tbody', {}, body)),
  );
}

export function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, err?.message ?? String(err));
}

export const loading = () => h('p', { class: 'muted loading' }, 'Loading…');

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}
