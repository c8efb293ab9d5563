// Top customers by net spend, per currency.
import { api, qs } from '../api.js';
import { clear, errorBox, h, money, number, section, table } from '../dom.js';

export async function render(root, _params, query) {
  const limit = Number(query.limit) || 20;
  const body = h('div');
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Leaderboard')), body);
  async function refresh() {
    try {
      const data = await api(`/analytics/leaderboard${qs({ limit })}`);
      clear(
        body,
        data.leaderboards.length
          ? data.leaderboards.map((b) =>
              section(
                `Top customers · ${b.currency}`,
                table(
                  [{ label: '#', class: 'num' }, 'Customer', 'Email', { label: 'Net spend', class: 'num' }, { label: 'Orders', class: 'num' }],
                  b.customers.map((c) => [c.rank, c.name, c.email, money(c.netSpend, b.currency), number(c.orders)]),
                ),
              ),
            )
          : section('Top customers', h('p', { class: 'muted' }, 'No completed orders yet.')),
        h('p', { class: 'muted small' }, `Read from ${data.source}.`),
      );
    } catch (err) {
      clear(body, errorBox(err));
    }
  }
  await refresh();
  return { onLive: refresh };
}
