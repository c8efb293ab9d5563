// Today's KPIs, revenue and orders per day (30 days), orders per status; refreshed by live events.
import { api } from '../api.js';
import { revenueChart } from '../chart.js';
import { badge, clear, errorBox, h, money, number, section } from '../dom.js';

const DAY = 86_400_000;
const minusDays = (isoDay, n) => new Date(Date.parse(`${isoDay}T00:00:00Z`) - n * DAY).toISOString().slice(0, 10);

const TILES = [
  ['revenue', 'Revenue', true],
  ['ordersCompleted', 'Orders completed', false],
  ['averageOrderValue', 'Average order', true],
  ['refundsAmount', 'Refunded', true],
  ['ordersFailed', 'Failed', false],
  ['ordersCancelled', 'Cancelled', false],
];

export async function render(root) {
  const kpiBox = h('div', { class: 'kpis', id: 'kpis' });
  const chartBox = h('div', { class: 'chart-box', id: 'chart' });
  const statusBox = h('div', { id: 'statuses' });
  const updated = h('span', { class: 'muted small', id: 'updated' });
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Overview'), updated),
    section('Today', kpiBox),
    section('Last 30 days', chartBox),
    section('Orders per status', statusBox),
  );

  let series = null;
  let width = 0;
  const drawChart = () => {
    width = chartBox.clientWidth;
    if (!series) return;
    clear(chartBox, series.length ? series.map((s) => revenueChart(s.days, s.currency, width)) : h('p', { class: 'muted' }, 'No sales yet.'));
  };

  async function refresh() {
    try {
      const kpis = await api('/analytics/kpis');
      const [revenue, summary] = await Promise.all([
        api(`/analytics/revenue?from=${minusDays(kpis.to, 29)}&to=${kpis.to}`),
        api('/dashboard/summary'),
      ]);
      clear(
        kpiBox,
        kpis.currencies.length
          ? kpis.currencies.map((c) =>
              h(
                'div',
                { class: 'kpi-group', 'data-currency': c.currency },
                TILES.map(([key, label, isMoney]) =>
                  h('div', { class: 'kpi', 'data-kpi': key }, h('span', { class: 'kpi-label' }, label), h('strong', { class: 'kpi-value' }, isMoney ? money(c[key], c.currency) : number(c[key]))),
                ),
              ),
            )
          : h('p', { class: 'muted' }, 'No activity today.'),
        h('p', { class: 'muted small' }, `${kpis.from} in ${kpis.timeZone} · read from ${kpis.source}`),
      );
      series = revenue.series;
      drawChart();
      const max = Math.max(1, ...summary.statuses.map((s) => s.count));
      clear(
        statusBox,
        h(
          'ul',
          { class: 'status-bars' },
          summary.statuses.map((s) =>
            h(
              'li',
              { 'data-status': s.status },
              h('a', { href: `#/orders?status=${s.status}` }, badge(s.status)),
              h('span', { class: 'meter' }, meterFill(s.count / max, s.status)),
              h('strong', { class: 'count' }, number(s.count)),
            ),
          ),
        ),
        h('p', { class: 'muted small' }, `${number(summary.total)} orders in all`),
      );
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      clear(kpiBox, errorBox(err));
    }
  }

  await refresh();
  const onResize = () => {
    if (Math.abs(chartBox.clientWidth - width) > 20) drawChart();
  };
  window.addEventListener('resize', onResize);
  // Live events drive the refresh; this only covers a change the feed could not see.
  const safety = setInterval(() => void refresh(), 60_000);
  return {
    onLive: () => refresh(),
    dispose() {
      clearInterval(safety);
      window.removeEventListener('resize', onResize);
    },
  };
}

function meterFill(fraction, status) {
  const fill = h('span', { class: `meter-fill status-${status}` });
  fill.style.width = `${Math.max(fraction > 0 ? 2 : 0, Math.round(fraction * 100))}%`;
  return fill;
}
