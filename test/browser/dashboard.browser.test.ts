import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.js';
import { onPostgres } from '../backend.js';
import { testConfig } from '../context.js';
import { createTestDatabase, type TestDatabase } from '../db.js';
import { newApiKey, newProduct, newTenant } from '../factories.js';

/*
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) against the real
 * server with its workers: sign in, upload a CSV and watch it finish, see the KPIs move without a
 * reload, open an order's timeline, retry a failed job. Screenshots at 1280 px and 390 px go to
 * artifacts/screenshots/<backend>/.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI) throw new Error(`Chromium not found at ${CHROMIUM}: CI installs it with apt-get install chromium (.ci/run).`);

const SHOTS = path.resolve('artifacts/screenshots', onPostgres ? 'postgres' : 'pglite');
const FAILING = 'dashboard_test_failing';
const IDLE = 'dashboard_test_idle';
const ORDERS = 8;

/** A native-format file: ORDERS good orders placed an hour ago, and two lines that must be rejected. */
function csvFile(skus: string[], tag: string): string {
  const at = new Date(Date.now() - 3_600_000).toISOString().slice(0, 19) + 'Z';
  const lines = ['order_code,order_date,customer_email,customer_name,sku,product_name,quantity,unit_price,currency'];
  for (let i = 1; i <= ORDERS; i++) {
    lines.push(`IMP-${tag}-${i},${at},buyer${i}@example.com,Buyer ${i},${skus[i % skus.length]},Thing,${1 + (i % 3)},10.00,EUR`);
  }
  lines.push(`IMP-${tag}-bad1,${at},not-an-email,Bad Buyer,${skus[0]},Thing,1,10.00,EUR`);
  lines.push(`IMP-${tag}-bad2,${at},bad2@example.com,Bad Buyer,${skus[0]},Thing,0,10.00,EUR`);
  return `${lines.join('\n')}\n`;
}

describe.runIf(hasChromium)('dashboard in the browser', () => {
  let database: TestDatabase;
  let server: RunningServer;
  let browser: Browser;
  let base: string;
  let key: string;
  let viewerKey: string;
  let tenantId: string;
  let failedJobId: string;
  let skus: string[];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    database = await createTestDatabase();
    await database.db.close(); // the server opens it itself
    let config = testConfig({ GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5', QUEUE_WAIT_ALERT_SECONDS: '5', HOST: '127.0.0.1' }, database);
    if (database.dataDir) config = { ...config, database: { kind: 'pglite', dataDir: database.dataDir } };
    server = await startServer(config, 'all', async (ctx) => {
      await ctx.queue.boss.createQueue(FAILING);
      await ctx.queue.boss.createQueue(IDLE);
    });
    base = server.url!;
    const db = server.ctx.db;
    const tenant = await newTenant(db);
    tenantId = tenant.id;
    key = await newApiKey(db, tenant, 'operator');
    viewerKey = await newApiKey(db, tenant, 'viewer');
    skus = [];
    for (let i = 0; i < 3; i++) skus.push((await newProduct(db, tenant, { stock: 1000, price: 1000 })).sku);

    // A job that failed for good (no worker serves this queue), and one waiting past the threshold.
    const boss = server.ctx.queue.boss;
    await boss.send(FAILING, { tenantId }, { retryLimit: 0 });
    const [job] = await boss.fetch(FAILING);
    failedJobId = job!.id;
    await boss.fail(FAILING, failedJobId, { message: 'card processor exploded' });
    await boss.send(IDLE, { tenantId }, { startAfter: new Date(Date.now() - 120_000) });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await database?.close();
  });

  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && !/401|Unauthorized/.test(msg.text()) && pageErrors.push(msg.text()));
    return page;
  }

  async function signIn(page: Page, hash = '', as = key): Promise<void> {
    await page.goto(`${base}/dashboard/${hash}`);
    await page.fill('#api-key', as);
    await page.click('#login-form button[type=submit]');
    await page.locator('#shell').waitFor({ state: 'visible' });
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const kpi = (page: Page, name: string) => page.locator(`[data-currency="EUR"] [data-kpi="${name}"] .kpi-value`);

  it('signs in, imports a CSV, and shows the KPIs move without a reload', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const overview = await newPage(context);

    await overview.goto(`${base}/dashboard/`);
    await overview.fill('#api-key', 'osk_wrong_key');
    await overview.click('#login-form button[type=submit]');
    await expect.poll(() => overview.textContent('#login-error')).toMatch(/unknown or revoked/);
    await overview.fill('#api-key', key);
    await overview.click('#login-form button[type=submit]');
    await kpi(overview, 'ordersCompleted').waitFor();
    expect(await kpi(overview, 'ordersCompleted').textContent()).toBe('0');
    await expect.poll(() => overview.getAttribute('#live', 'data-state')).toBe('on');
    // (Strings, not functions: the test is type-checked without the DOM library.)
    await overview.evaluate("window.loadedOnce = 'still the same page'");
    await shot(overview, 'overview-before-1280');

    // A second tab (its own sessionStorage: it signs in too) uploads the file.
    const imports = await newPage(context);
    await signIn(imports, '#/imports');
    await imports.locator('#upload-form input[type=file]').setInputFiles({ name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(csvFile(skus, 'A')) });
    await imports.click('#upload-form button[type=submit]');
    const card = imports.locator('#import-watch .import-card');
    await card.locator('[role=progressbar][aria-valuenow="100"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => card.getAttribute('data-status')).toBe('completed');
    expect(await card.locator('.progress-label').textContent()).toBe('100 %');
    expect(await card.locator('.counts').textContent()).toMatch(new RegExp(`${ORDERS} orders created`));
    const [download] = await Promise.all([imports.waitForEvent('download'), imports.click('#download-errors')]);
    const rejected = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    expect(rejected[0]).toBe('line,field,reason,raw');
    expect(rejected.slice(1).map((l) => l.split(',')[0])).toEqual([String(ORDERS + 2), String(ORDERS + 3)]);
    await shot(imports, 'imports-1280');

    // The first tab was never reloaded: the live feed brought the new figures.
    await expect.poll(() => kpi(overview, 'ordersCompleted').textContent(), { timeout: 60_000 }).toBe(String(ORDERS));
    await expect.poll(() => overview.locator('[data-status="completed"] .count').textContent(), { timeout: 10_000 }).toBe(String(ORDERS));
    expect(await overview.evaluate('window.loadedOnce')).toBe('still the same page');
    expect(await overview.locator('#chart svg rect.bar').count()).toBe(30);
    await shot(overview, 'overview-after-1280');
    await context.close();
  }, 180_000);

  it('offers a viewer key no upload form, only a note that importing needs an operator key', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await newPage(context);
    await signIn(page, '#/imports', viewerKey);
    // The note takes the form's place in the same render: once it shows, no form is coming.
    await page.locator('#view[data-view="imports"] #upload-needs-operator').waitFor();
    expect(await page.textContent('#upload-needs-operator')).toBe('Importing needs an operator or admin key.');
    expect(await page.locator('#upload-form').count()).toBe(0);
    await context.close();
  }, 60_000);

  it("opens an order's timeline from the list, and the other pages", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await newPage(context);
    await signIn(page, '#/orders');
    await page.fill('input[name=q]', 'IMP-A-3');
    await page.click('form[role=search] button[type=submit]');
    await page.locator('a.order-link', { hasText: 'IMP-A-3' }).click();
    const timeline = page.locator('#timeline');
    await timeline.locator('li[data-type="order.completed"]').waitFor();
    const types = await timeline.locator('li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-type')));
    expect(types.slice(0, 3)).toEqual(['order.created', 'order.reserved', 'order.completed']);
    await shot(page, 'order-1280');

    for (const [hash, name, ready] of [
      ['#/orders', 'orders', 'a.order-link'],
      ['#/leaderboard', 'leaderboard', 'table tbody tr td'],
      ['#/inventory', 'inventory', 'table tbody tr td'],
      ['#/notifications', 'notifications', 'table'],
    ] as const) {
      await page.goto(`${base}/dashboard/${hash}`);
      await page.locator(`#view[data-view="${name}"] ${ready}`).first().waitFor();
      await shot(page, `${name}-1280`);
    }
    await context.close();
  }, 120_000);

  it('shows the queues, the wait alert in red, and retries a failed job', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await newPage(context);
    await signIn(page, '#/queues');
    const failing = page.locator(`tr[data-queue="${FAILING}"]`);
    await expect.poll(() => failing.locator('.failed-count').textContent()).toBe('1');
    await expect.poll(() => page.locator(`tr[data-queue="${IDLE}"]`).getAttribute('class')).toBe('alert');
    expect(await page.evaluate(`getComputedStyle(document.querySelector('tr[data-queue="${IDLE}"] .wait')).color`)).toBe('rgb(207, 34, 46)');
    await page.locator('.alert-banner').waitFor();
    await shot(page, 'queues-1280');

    await failing.locator('.failed-count').click();
    const job = page.locator(`article.job[data-job-id="${failedJobId}"]`);
    expect(await job.locator('.job-error').textContent()).toBe('card processor exploded');
    await shot(page, 'queue-failed-1280');
    await job.locator('button[data-action=retry]').click();
    await job.waitFor({ state: 'detached' });
    expect(await page.textContent('[role=status]')).toMatch(/queued again/);
    const { rows } = await server.ctx.db.query<{ state: string; retryLimit: number }>(
      `SELECT state::text, retry_limit AS "retryLimit" FROM pgboss.job WHERE name = $1 AND id = $2`,
      [FAILING, failedJobId],
    );
    expect(rows[0]).toEqual({ state: 'retry', retryLimit: 1 });
    await context.close();
  }, 120_000);

  it('fits a 390 px phone screen on every page', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await newPage(context);
    await signIn(page);
    await kpi(page, 'ordersCompleted').waitFor();
    await page.click('#menu-toggle');
    await page.locator('#nav a[data-route=queues]').waitFor({ state: 'visible' });
    await shot(page, 'menu-390');
    await page.click('#nav a[data-route=queues]');
    await page.locator(`tr[data-queue="${FAILING}"]`).waitFor();
    const { rows } = await server.ctx.db.query<{ id: string }>(`SELECT id FROM orders WHERE tenant_id = $1 ORDER BY order_code LIMIT 1`, [tenantId]);
    for (const [hash, name, ready] of [
      ['', 'overview', '#chart svg'],
      ['#/orders', 'orders', 'a.order-link'],
      [`#/orders/${rows[0]!.id}`, 'order', '#timeline li'],
      ['#/imports', 'imports', 'table'],
      ['#/queues', 'queues', 'table'],
      ['#/leaderboard', 'leaderboard', 'table'],
      ['#/inventory', 'inventory', 'table'],
      ['#/notifications', 'notifications', 'table'],
    ] as const) {
      await page.goto(`${base}/dashboard/${hash}`);
      await page.locator(`#view[data-view="${name}"] ${ready}`).first().waitFor();
      // Wide tables scroll inside their box; the page itself must not scroll sideways.
      expect(await page.evaluate('document.documentElement.scrollWidth'), name).toBeLessThanOrEqual(390);
      await shot(page, `${name}-390`);
    }
    await context.close();
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
