// Tiny DOM helpers: elements are built with h(), never from HTML strings, so data cannot inject markup.

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

const fractionDigits = new Map();
function digitsOf(currency) {
  if (!fractionDigits.has(currency)) {
    let d = 2;
    try {
      d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
    } catch {
      // unknown code: assume cents
    }
    fractionDigits.set(currency, d);
  }
  return fractionDigits.get(currency);
}

/** Integer minor units to "€1,234.50". */
export function money(minor, currency) {
  const digits = digitsOf(currency);
  const value = minor / 10 ** digits;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
  } catch {
    return `${value.toFixed(digits)} ${currency}`;
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
