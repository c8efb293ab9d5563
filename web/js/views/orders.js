// Orders: search (code, or customer email / id), status filter, cursor paging ("Load more").
import { api, qs } from '../api.js';
import { badge, clear, dateTime, errorBox, h, money, section, table } from '../dom.js';

const STATUSES = ['pending', 'reserved', 'completed', 'shipped', 'delivered', 'failed', 'payment_failed', 'cancelled'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function render(root, _params, query) {
  const search = h('input', { type: 'search', name: 'q', placeholder: 'Order code, customer email or id', value: query.q ?? '', 'aria-label': 'Search orders' });
  const status = h('select', { name: 'status', 'aria-label': 'Status' }, h('option', { value: '' }, 'Any status'), STATUSES.map((s) => h('option', { value: s, selected: s === query.status }, s.replace('_', ' '))));
  const form = h('form', { class: 'filters', role: 'search' }, search, status, h('button', { type: 'submit', class: 'primary' }, 'Search'));
  const results = h('div', { id: 'orders-results' });
  const more = h('button', { type: 'button', class: 'ghost', hidden: true }, 'Load more');
  const note = h('p', { class: 'muted small' });
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Orders')), section('Find orders', form, note), results, h('div', { class: 'more' }, more));

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/orders${qs({ q: search.value.trim(), status: status.value })}`;
  });
  status.addEventListener('change', () => form.requestSubmit());

  const q = (query.q ?? '').trim();
  const byCode = q && !q.includes('@') && !UUID.test(q);
  let rows = [];
  let cursor = null;

  const draw = () =>
    clear(
      results,
      table(
        ['Order', 'Customer', 'Status', { label: 'Total', class: 'num' }, { label: 'Items', class: 'num' }, 'Placed'],
        rows.map((o) => ({
          attrs: { 'data-order-id': o.id },
          cells: [
            h('a', { href: `#/orders/${o.id}`, class: 'order-link' }, o.orderCode),
            h('span', {}, o.customer.name, h('br'), h('span', { class: 'muted small' }, o.customer.email)),
            [badge(o.status), o.refundStatus !== 'none' ? badge(`refund ${o.refundStatus}`, 'refund') : null],
            money(o.total, o.currency),
            o.itemsCount,
            dateTime(o.placedAt),
          ],
        })),
        { empty: q || query.status ? 'No order matches.' : 'No orders yet.' },
      ),
    );

  async function load(first) {
    more.disabled = true;
    try {
      if (byCode) {
        const data = await api(`/dashboard/orders/search${qs({ code: q, limit: 50 })}`);
        rows = query.status ? data.items.filter((o) => o.status === query.status) : data.items;
        cursor = null;
        note.textContent = 'Codes starting with the text, up to 50.';
      } else {
        const data = await api(`/orders${qs({ status: query.status, customer: q || undefined, limit: 50, cursor: first ? undefined : cursor })}`);
        rows = first ? data.items : rows.concat(data.items);
        cursor = data.nextCursor;
        note.textContent = q ? 'Orders of this customer, newest first.' : 'Newest first.';
      }
      draw();
    } catch (err) {
      clear(results, errorBox(err));
    } finally {
      more.disabled = false;
      more.hidden = !cursor;
    }
  }
  more.addEventListener('click', () => void load(false));
  await load(true);
  return {};
}
