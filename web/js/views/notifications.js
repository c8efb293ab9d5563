// Notification history with filters and totals.
import { api, qs } from '../api.js';
import { badge, clear, dateTime, errorBox, h, number, section, table } from '../dom.js';

const TYPES = ['order_confirmation', 'payment_failed', 'order_cancelled', 'order_shipped', 'order_delivered', 'refund_processed', 'import_finished'];
const STATUSES = ['queued', 'sent', 'failed'];
const CHANNELS = ['email', 'sms', 'push', 'log'];
const PAGE = 50;

const select = (name, label, values, chosen) =>
  h('select', { name, 'aria-label': label }, h('option', { value: '' }, `Any ${label.toLowerCase()}`), values.map((v) => h('option', { value: v, selected: v === chosen }, v.replaceAll('_', ' '))));

export async function render(root, _params, query) {
  const offset = Math.max(0, Number(query.offset) || 0);
  const form = h(
    'form',
    { class: 'filters' },
    select('type', 'Type', TYPES, query.type),
    select('status', 'Status', STATUSES, query.status),
    select('channel', 'Channel', CHANNELS, query.channel),
    h('label', {}, 'Since ', h('input', { type: 'date', name: 'since', value: query.since ?? '' })),
    h('button', { type: 'submit', class: 'primary' }, 'Filter'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = Object.fromEntries(new FormData(form));
    location.hash = `#/notifications${qs(f)}`;
  });
  const body = h('div');
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Notifications')), section('Filter', form), body);

  async function refresh() {
    try {
      const filter = { type: query.type, status: query.status, channel: query.channel, since: query.since };
      const data = await api(`/notifications${qs({ ...filter, limit: PAGE, offset })}`);
      const t = data.totals;
      clear(
        body,
        h('p', { class: 'totals' }, `${number(t.total)} in all · `, Object.entries(t.byStatus).map(([s, n]) => [badge(s), ` ${number(n)}  `])),
        section(
          'History',
          table(
            ['Created', 'Type', 'Channel', 'Recipient', 'Status', { label: 'Attempts', class: 'num' }, 'Last error', 'Order'],
            data.items.map((n) => [
              dateTime(n.createdAt),
              n.type.replaceAll('_', ' '),
              n.channel,
              n.recipient,
              badge(n.status),
              n.attempts,
              n.lastError ?? '',
              n.orderId ? h('a', { href: `#/orders/${n.orderId}` }, 'open') : '',
            ]),
            { empty: 'No notification matches.' },
          ),
          h(
            'div',
            { class: 'pager' },
            offset > 0 ? h('a', { href: `#/notifications${qs({ ...filter, offset: Math.max(0, offset - PAGE) })}` }, '← Newer') : null,
            offset + PAGE < t.total ? h('a', { href: `#/notifications${qs({ ...filter, offset: offset + PAGE })}` }, 'Older →') : null,
          ),
        ),
      );
    } catch (err) {
      clear(body, errorBox(err));
    }
  }
  await refresh();
  return { onLive: refresh };
}
