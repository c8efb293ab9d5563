// Stock levels, lowest availability first; rows at or under their low-stock threshold stand out.
import { api, qs } from '../api.js';
import { badge, clear, errorBox, h, number, section, table } from '../dom.js';

const PAGE = 100;

export async function render(root, _params, query) {
  const offset = Math.max(0, Number(query.offset) || 0);
  const body = h('div');
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Inventory')), body);
  async function refresh() {
    try {
      const { items } = await api(`/inventory${qs({ limit: PAGE, offset })}`);
      const low = items.filter((p) => p.available <= p.lowStockThreshold).length;
      clear(
        body,
        section(
          low ? `Stock · ${low} low on this page` : 'Stock',
          table(
            ['SKU', 'Product', { label: 'On hand', class: 'num' }, { label: 'Reserved', class: 'num' }, { label: 'Available', class: 'num' }, { label: 'Low at', class: 'num' }],
            items.map((p) => ({
              attrs: { class: p.available <= p.lowStockThreshold ? 'low' : '' },
              cells: [p.sku, [p.name, p.available <= p.lowStockThreshold ? [' ', badge('low stock', 'low')] : null], number(p.onHand), number(p.reserved), number(p.available), number(p.lowStockThreshold)],
            })),
            { empty: 'No products.' },
          ),
          h(
            'div',
            { class: 'pager' },
            offset > 0 ? h('a', { href: `#/inventory${qs({ offset: Math.max(0, offset - PAGE) })}` }, '← Previous') : null,
            items.length === PAGE ? h('a', { href: `#/inventory${qs({ offset: offset + PAGE })}` }, 'Next →') : null,
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
