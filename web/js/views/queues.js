// The Horizon view: every pg-boss queue with its counts, throughput and wait; red above the threshold.
import { api } from '../api.js';
import { clear, duration, errorBox, h, number, section, table } from '../dom.js';

export async function render(root) {
  const body = h('div');
  const updated = h('span', { class: 'muted small' });
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Queues'), updated), body);
  let timer = null;
  let stopped = false;

  async function refresh() {
    try {
      const data = await api('/queues');
      const alerts = data.queues.filter((q) => q.alert).length;
      clear(
        body,
        alerts ? h('p', { class: 'alert-banner', role: 'alert' }, `${alerts} queue${alerts > 1 ? 's have' : ' has'} jobs waiting longer than ${duration(data.alertWaitSeconds)}.`) : null,
        section(
          'Job queues',
          table(
            [
              'Queue',
              { label: 'Waiting', class: 'num' },
              { label: 'Active', class: 'num' },
              { label: 'Completed (15 min)', class: 'num' },
              { label: 'Failed', class: 'num' },
              { label: 'Jobs / min', class: 'num' },
              { label: 'Oldest wait', class: 'num' },
            ],
            data.queues.map((q) => ({
              attrs: { 'data-queue': q.name, class: q.alert ? 'alert' : '' },
              cells: [
                h('a', { href: `#/queues/${encodeURIComponent(q.name)}` }, q.name),
                [number(q.waiting), q.deferred ? h('span', { class: 'muted small' }, ` (${number(q.deferred)} later)`) : null],
                number(q.active),
                number(q.completed),
                q.failed ? h('a', { href: `#/queues/${encodeURIComponent(q.name)}`, class: 'failed-count' }, number(q.failed)) : '0',
                number(q.perMinute),
                h('span', { class: q.alert ? 'wait alert-text' : 'wait' }, duration(q.oldestWaitSeconds)),
              ],
            })),
          ),
          h('p', { class: 'muted small' }, `Red: the oldest waiting job has waited more than ${duration(data.alertWaitSeconds)} (QUEUE_WAIT_ALERT_SECONDS). Completed: jobs finished in the last 15 minutes. Failed jobs are kept until pg-boss archives them.`),
        ),
      );
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      clear(body, errorBox(err));
    }
    if (!stopped) timer = setTimeout(refresh, 2000);
  }
  await refresh();
  return {
    dispose() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
