// Upload a CSV (streamed as text/csv), watch its progress, download the rejected lines.
import { api, download, qs, session } from '../api.js';
import { badge, clear, dateTime, errorBox, h, number, section, table } from '../dom.js';

const PRESETS = ['native', 'uci'];
/** POST /imports needs an operator key: a viewer is not offered a form that would answer 403. */
const IMPORT_ROLES = ['operator', 'admin'];

/** XHR rather than fetch: it reports upload progress, so a big file shows movement at once. */
function upload(file, params, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/imports${qs(params)}`);
    xhr.setRequestHeader('authorization', `Bearer ${session.key}`);
    xhr.setRequestHeader('content-type', 'text/csv');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new Error(body?.error?.message ?? `Upload failed (${xhr.status}).`));
    };
    xhr.onerror = () => reject(new Error('The upload was interrupted.'));
    xhr.send(file);
  });
}

function progressBar(fraction) {
  const pct = Math.round(fraction * 100);
  const fill = h('span', { class: 'progress-fill' });
  fill.style.width = `${pct}%`;
  return h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct }, fill, h('span', { class: 'progress-label' }, `${pct} %`));
}

export async function render(root) {
  // Not known (the read failed): offer the form, and the server decides.
  const role = await api('/tenant').then((t) => t.role ?? null, () => null);
  const canImport = role === null || IMPORT_ROLES.includes(role);
  const file = h('input', { type: 'file', name: 'file', accept: '.csv,text/csv', required: true, 'aria-label': 'CSV file' });
  const preset = h('select', { name: 'preset', 'aria-label': 'Format' }, PRESETS.map((p) => h('option', { value: p }, p)));
  const create = h('input', { type: 'checkbox', name: 'createProducts' });
  const stock = h('input', { type: 'number', name: 'defaultStock', min: 0, value: 100, class: 'narrow', 'aria-label': 'Stock of created products' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Upload');
  const form = h(
    'form',
    { class: 'filters upload', id: 'upload-form' },
    file,
    h('label', {}, 'Format ', preset),
    h('label', {}, create, ' create unknown SKUs with stock ', stock),
    submit,
  );
  const watch = h('div', { id: 'import-watch' });
  const recent = h('div', { id: 'imports-recent' });
  const uploader = canImport ? form : h('p', { class: 'muted small', id: 'upload-needs-operator' }, 'Importing needs an operator or admin key.');
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Imports')), section('Upload a CSV', uploader, watch), section('Recent imports', recent));

  let poll = null;
  let disposed = false;

  function showImport(imp) {
    const done = imp.status === 'completed' || imp.status === 'failed';
    clear(
      watch,
      h(
        'div',
        { class: 'import-card', 'data-import-id': imp.id, 'data-status': imp.status },
        h('p', {}, h('strong', {}, imp.fileName), ' ', badge(imp.status), ' ', h('span', { class: 'muted small' }, imp.phase)),
        progressBar(imp.progress),
        h(
          'p',
          { class: 'small counts' },
          `${number(imp.counts.linesRead)} lines read · ${number(imp.counts.linesAccepted)} accepted · ${number(imp.counts.linesRejected)} rejected · `,
          `${number(imp.counts.ordersCreated)} orders created · ${number(imp.counts.ordersExisting)} already present · ${number(imp.counts.ordersRejected)} orders rejected`,
        ),
        imp.error ? h('p', { class: 'error' }, imp.error) : null,
        done && imp.counts.linesRejected > 0
          ? h('button', { type: 'button', class: 'ghost', id: 'download-errors', onclick: () => download(`/imports/${imp.id}/errors`, `import-${imp.id}-errors.csv`).catch((e) => watch.append(errorBox(e))) }, 'Download rejected lines (CSV)')
          : null,
      ),
    );
    return done;
  }

  function follow(id) {
    clearTimeout(poll);
    const tick = async () => {
      try {
        const imp = await api(`/imports/${id}`);
        if (disposed) return;
        if (showImport(imp)) return void loadRecent();
      } catch (err) {
        watch.append(errorBox(err));
        return;
      }
      poll = setTimeout(tick, 500);
    };
    void tick();
  }

  async function loadRecent() {
    try {
      const { items } = await api('/imports?limit=10');
      clear(
        recent,
        table(
          ['File', 'Status', 'Progress', { label: 'Orders', class: 'num' }, { label: 'Rejected lines', class: 'num' }, 'Started'],
          items.map((i) => [
            h('a', { href: '#/imports', onclick: (e) => (e.preventDefault(), follow(i.id)) }, i.fileName),
            badge(i.status),
            progressBar(i.progress),
            number(i.counts.ordersCreated),
            number(i.counts.linesRejected),
            dateTime(i.createdAt),
          ]),
          { empty: 'No imports yet.' },
        ),
      );
    } catch (err) {
      clear(recent, errorBox(err));
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    submit.disabled = true;
    clearTimeout(poll);
    // The server reads while the bytes arrive: the upload is the first half of the bar.
    clear(watch, h('p', {}, `Uploading ${chosen.name}…`), progressBar(0));
    try {
      const params = { preset: preset.value, fileName: chosen.name, ...(create.checked && { createProducts: 'true', defaultStock: stock.value }) };
      const imp = await upload(chosen, params, (f) => clear(watch, h('p', {}, `Uploading ${chosen.name}…`), progressBar(f / 2)));
      showImport(imp);
      follow(imp.id);
      form.reset();
    } catch (err) {
      clear(watch, errorBox(err));
    } finally {
      submit.disabled = false;
    }
  });

  await loadRecent();
  return {
    dispose() {
      disposed = true;
      clearTimeout(poll);
    },
  };
}
