// One queue's failed jobs (of this tenant) with their error, and retry / discard.
import { api, qs } from '../api.js';
import { clear, dateTime, errorBox, h } from '../dom.js';

export async function render(root, { name }) {
  const list = h('div', { id: 'failed-jobs' });
  const more = h('button', { type: 'button', class: 'ghost', hidden: true }, 'Load more');
  const heading = h('h2', {}, 'Failed jobs');
  const message = h('p', { class: 'muted small', role: 'status' });
  root.append(
    h('div', { class: 'page-head' }, h('a', { href: '#/queues', class: 'back' }, '← Queues'), h('h1', {}, name)),
    h('section', { class: 'card' }, heading, message, list, h('div', { class: 'more' }, more)),
  );
  let cursor = null;
  let total = 0;

  let canAct = false; // a viewer key is not offered buttons that would answer 403

  function jobCard(job) {
    const act = async (action, button) => {
      button.disabled = true;
      try {
        await api(`/queues/${encodeURIComponent(name)}/jobs/${job.id}/${action}`, { method: 'POST' });
        card.remove();
        total -= 1;
        heading.textContent = `Failed jobs (${total})`;
        message.textContent = action === 'retry' ? `Job ${job.id.slice(0, 8)} queued again.` : `Job ${job.id.slice(0, 8)} discarded.`;
      } catch (err) {
        button.disabled = false;
        card.append(errorBox(err));
      }
    };
    const card = h(
      'article',
      { class: 'job', 'data-job-id': job.id },
      h('header', {}, h('code', {}, job.id), h('span', { class: 'muted small' }, ` failed ${dateTime(job.completedOn)} · attempt ${job.retryCount + 1} of ${job.retryLimit + 1}`)),
      h('p', { class: 'job-error' }, job.error),
      h('details', {}, h('summary', {}, 'Payload and output'), h('pre', {}, JSON.stringify({ data: job.data, output: job.output }, null, 2))),
      canAct
        ? h(
            'div',
            { class: 'actions' },
            h('button', { type: 'button', class: 'primary', 'data-action': 'retry', onclick: (e) => act('retry', e.currentTarget) }, 'Retry'),
            h('button', { type: 'button', class: 'danger', 'data-action': 'discard', onclick: (e) => act('discard', e.currentTarget) }, 'Discard'),
          )
        : h('p', { class: 'muted small' }, 'Retry and discard need an operator key.'),
    );
    return card;
  }

  async function load(first) {
    try {
      const page = await api(`/queues/${encodeURIComponent(name)}/failed${qs({ limit: 20, cursor: first ? undefined : cursor })}`);
      total = page.total;
      canAct = page.canAct;
      heading.textContent = `Failed jobs (${total})`;
      if (first) clear(list);
      if (first && page.items.length === 0) list.append(h('p', { class: 'muted empty' }, 'No failed jobs of yours in this queue.'));
      list.append(...page.items.map(jobCard));
      cursor = page.nextCursor;
      more.hidden = !cursor;
    } catch (err) {
      clear(list, errorBox(err));
    }
  }
  more.addEventListener('click', () => void load(false));
  await load(true);
  return {};
}
