// One order: items, payments, refunds and its event timeline.
import { api } from '../api.js';
import { badge, dateTime, h, money, section, table } from '../dom.js';

function eventDetail(e, currency) {
  const d = e.data ?? {};
  const parts = [];
  if (e.fromStatus || e.toStatus) parts.push(`${e.fromStatus ?? '∅'} → ${e.toStatus ?? '∅'}`);
  if (d.reason) parts.push(String(d.reason));
  if (typeof d.amount === 'number') parts.push(money(d.amount, d.currency ?? currency));
  for (const [k, v] of Object.entries(d)) {
    if (['reason', 'amount', 'currency'].includes(k)) continue;
    parts.push(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  }
  return parts.join(' · ');
}

export async function render(root, { id }) {
  const o = await api(`/orders/${encodeURIComponent(id)}`);
  const refundCells = (r) => [
    String(r.id ?? '').slice(0, 8),
    typeof r.amount === 'number' ? money(r.amount, r.currency ?? o.currency) : '—',
    badge(String(r.status ?? '—')),
    String(r.reason ?? ''),
    dateTime(r.createdAt),
  ];
  root.append(
    h('div', { class: 'page-head' }, h('a', { href: '#/orders', class: 'back' }, '← Orders'), h('h1', {}, o.orderCode), badge(o.status)),
    h(
      'section',
      { class: 'card facts' },
      h(
        'dl',
        {},
        fact('Customer', `${o.customer.name} <${o.customer.email}>`),
        fact('Total', money(o.total, o.currency)),
        fact('Refunded', `${money(o.refundedTotal, o.currency)} (${o.refundStatus})`),
        fact('Placed', dateTime(o.placedAt)),
        fact('Source', o.importId ? `import ${o.importId.slice(0, 8)}` : o.source),
        o.failureReason ? fact('Failure', o.failureReason) : null,
      ),
    ),
    section(
      'Items',
      table(
        ['SKU', 'Product', { label: 'Qty', class: 'num' }, { label: 'Unit price', class: 'num' }, { label: 'Line total', class: 'num' }],
        o.items.map((i) => [i.sku, i.name, i.quantity, money(i.unitPrice, o.currency), money(i.lineTotal, o.currency)]),
      ),
    ),
    section(
      'Payments',
      table(
        ['Payment', { label: 'Amount', class: 'num' }, 'Status', 'Decline', 'Updated'],
        o.payments.map((p) => [p.id.slice(0, 8), money(p.amount, p.currency), badge(p.status), p.declineCode ?? '—', dateTime(p.updatedAt)]),
        { empty: 'No payment yet.' },
      ),
    ),
    section('Refunds', table(['Refund', { label: 'Amount', class: 'num' }, 'Status', 'Reason', 'Requested'], o.refunds.map(refundCells), { empty: 'No refunds.' })),
    section(
      'Timeline',
      h(
        'ol',
        { class: 'timeline', id: 'timeline' },
        o.events.map((e) =>
          h('li', { 'data-type': e.type }, h('span', { class: 'when muted small' }, dateTime(e.createdAt)), h('strong', { class: 'what' }, e.type), h('span', { class: 'detail' }, eventDetail(e, o.currency))),
        ),
      ),
    ),
  );
  return {
    // The order may move on while it is open: show the new state.
    async onLive() {
      const fresh = await api(`/orders/${encodeURIComponent(id)}`).catch(() => null);
      if (fresh && (fresh.events.length !== o.events.length || fresh.status !== o.status) && location.hash.includes(id)) window.dispatchEvent(new HashChangeEvent('hashchange'));
    },
  };
}

const fact = (label, value) => [h('dt', {}, label), h('dd', {}, value)];
