// Entry point: sign-in, hash routing (#/orders/…), and the live feed handed to the open view.
import { api, session } from './api.js';
import { clear, errorBox, loading } from './dom.js';
import { LiveFeed } from './live.js';

const views = {
  overview: () => import('./views/overview.js'),
  leaderboard: () => import('./views/leaderboard.js'),
  orders: () => import('./views/orders.js'),
  order: () => import('./views/order.js'),
  inventory: () => import('./views/inventory.js'),
  imports: () => import('./views/imports.js'),
  queues: () => import('./views/queues.js'),
  queue: () => import('./views/queue.js'),
  notifications: () => import('./views/notifications.js'),
};

/** '#/orders/abc?status=x' -> { name: 'order', params: { id: 'abc' }, query }. */
function parseRoute(hash) {
  const [path, search = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(search));
  if (parts.length === 0) return { name: 'overview', params: {}, query };
  if (parts[0] === 'orders' && parts[1]) return { name: 'order', params: { id: parts[1] }, query };
  if (parts[0] === 'queues' && parts[1]) return { name: 'queue', params: { name: parts[1] }, query };
  return { name: views[parts[0]] ? parts[0] : 'overview', params: {}, query };
}

const $ = (id) => document.getElementById(id);
let current = null;
let renderSeq = 0;

async function route() {
  const seq = ++renderSeq;
  const { name, params, query } = parseRoute(location.hash);
  current?.dispose?.();
  current = null;
  const nav = name === 'order' ? 'orders' : name === 'queue' ? 'queues' : name;
  for (const a of document.querySelectorAll('#nav a[data-route]')) a.toggleAttribute('aria-current', a.dataset.route === nav);
  $('nav').classList.remove('open');
  $('menu-toggle').setAttribute('aria-expanded', 'false');
  const root = clear($('view'), loading());
  root.dataset.view = name;
  try {
    const view = await views[name]();
    if (seq !== renderSeq) return;
    clear(root);
    const handle = await view.render(root, params, query);
    if (seq !== renderSeq) return handle?.dispose?.();
    current = handle ?? {};
  } catch (err) {
    if (seq === renderSeq) clear(root, errorBox(err));
  }
}

// Live events: at most one refresh of the open view per second, the last one always delivered.
let pending = null;
let lastRun = 0;
let timer = null;
function onLive(type, data) {
  pending = { type, data };
  if (timer) return;
  const wait = Math.max(0, lastRun + 1000 - Date.now());
  timer = setTimeout(() => {
    timer = null;
    lastRun = Date.now();
    const event = pending;
    pending = null;
    current?.onLive?.(event.type, event.data);
  }, wait);
}

const feed = new LiveFeed(onLive, (state) => {
  $('live').dataset.state = state;
  $('live').title = { on: 'Live updates on', connecting: 'Connecting live updates…', off: 'Live updates off' }[state];
});

async function showShell() {
  $('login').hidden = true;
  $('shell').hidden = false;
  try {
    const tenant = await api('/tenant');
    $('tenant-name').textContent = tenant.name;
  } catch {
    // shown on the first view that fails
  }
  feed.start();
  await route();
}

function showLogin(message) {
  feed.stop();
  current?.dispose?.();
  current = null;
  $('shell').hidden = true;
  $('login').hidden = false;
  const error = $('login-error');
  error.hidden = !message;
  error.textContent = message ?? '';
  $('api-key').focus();
}

function init() {
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = $('api-key').value.trim();
    const button = e.target.querySelector('button');
    button.disabled = true;
    try {
      await api('/tenant', { key });
      session.set(key);
      $('api-key').value = '';
      await showShell();
    } catch (err) {
      showLogin(err.status === 401 ? 'This API key is unknown or revoked.' : err.message);
    } finally {
      button.disabled = false;
    }
  });
  $('logout').addEventListener('click', () => {
    session.clear();
    showLogin();
  });
  $('menu-toggle').addEventListener('click', () => {
    const open = $('nav').classList.toggle('open');
    $('menu-toggle').setAttribute('aria-expanded', String(open));
  });
  window.addEventListener('ordersys:unauthorized', () => {
    session.clear();
    showLogin('The API key was refused (revoked?). Sign in again.');
  });
  window.addEventListener('hashchange', () => {
    if (session.key) void route();
  });
  if (session.key) void showShell();
  else showLogin();
}

init();
