import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMinor, minorDigits } from '../../src/platform/money.js';
import { createTestApp, type TestApp } from '../app.js';
import { newApiKey, newProduct, newTenant } from '../factories.js';
import { newOrder, placeOrders } from '../workflow.js';

/*
 * Amounts in the dashboard, in the browser that shows them: stored minor units are divided by the
 * server's ISO 4217 digits, never the browser's (CLDR gives IDR, IQD and 15 others other digits,
 * which showed IDR 123,456.00 as IDR 12,345,600). The page runs in en-US so strings can be exact.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI) throw new Error(`Chromium not found at ${CHROMIUM}: CI installs it with apt-get install chromium (.ci/run).`);

/** Intl puts no-break spaces between code and amount; the expectations are written with plain ones. */
const plain = (text: string | null) => text?.replace(/[\u00a0\u202f]/g, ' ');

describe.runIf(hasChromium)('money in the dashboard', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let base: string;
  let key: string;
  const orderIds: Record<string, string | undefined> = {};

  beforeAll(async () => {
    t = await createTestApp();
    const tenant = await newTenant(t.ctx.db);
    key = await newApiKey(t.ctx.db, tenant, 'viewer');
    for (const [currency, price] of [['IDR', 12_345_600], ['IQD', 1_500_000], ['JPY', 1500]] as const) {
      const { sku } = await newProduct(t.ctx.db, tenant, { currency, price });
      const order = newOrder({ [sku]: 1 }, { currency, orderCode: `MONEY-${currency}` });
      [orderIds[currency]] = await placeOrders(t.ctx, tenant.id, [{ ...order, items: [{ sku, quantity: 1, unitPrice: price }] }]);
    }
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC' });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** money() from the dashboard's own dom.js, run in the page, on each [minor, currency, options?]. */
  async function money(amounts: [number, string, { trim: boolean }?][]): Promise<string[]> {
    const page = await context.newPage();
    await page.goto(`${base}/dashboard/`);
    // (A string, not a function: the test is type-checked without the DOM library.)
    const shown = await page.evaluate(`import('${base}/dashboard/assets/js/dom.js').then((m) => ${JSON.stringify(amounts)}.map((args) => m.money(...args)))`);
    await page.close();
    return (shown as string[]).map((s) => plain(s)!);
  }

  it("divides by the server's digits where the browser's differ, and where they agree", async () => {
    expect(await money([[12_345_600, 'IDR'], [1_500_000, 'IQD'], [1500, 'JPY'], [1234, 'USD'], [-250, 'EUR'], [5, 'KWD'], [Number.MAX_SAFE_INTEGER, 'USD']])).toEqual([
      'IDR 123,456.00',
      'IQD 1,500.000',
      '¥1,500',
      '$12.34',
      '-€2.50',
      'KWD 0.005',
      '$90,071,992,547,409.91', // exact: as a float, / 100 would show .90
    ]);
  });

  it('leaves out a zero fraction only when asked (chart axes), in the digits of the currency', async () => {
    expect(await money([[150_000, 'IQD', { trim: true }], [150_001, 'IQD', { trim: true }], [500, 'USD', { trim: true }], [500, 'USD']])).toEqual([
      'IQD 150',
      'IQD 150.001',
      '$5',
      '$5.00',
    ]);
  });

  it("gives every ISO 4217 currency the server's digits", async () => {
    const codes = Intl.supportedValuesOf('currency');
    const shown = await money(codes.map((c) => [123_456_789, c]));
    // The number, whatever the symbol: '1,234,567.89' for 2 digits, '123,456,789' for 0.
    const wrong = codes
      .map((c, i) => ({ currency: c, shown: shown[i], want: formatMinor(123_456_789, minorDigits(c), true) }))
      .filter((r) => /\d[\d,]*(?:\.\d+)?/.exec(r.shown ?? '')?.[0] !== r.want);
    expect(wrong).toEqual([]);
  });

  it('shows IDR, IQD and JPY orders at their real size in the list and on the order page', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/dashboard/#/orders?q=MONEY-`);
    await page.fill('#api-key', key);
    await page.click('#login-form button[type=submit]');
    const total = (currency: string) => page.locator(`tr[data-order-id="${orderIds[currency]}"] td[data-label="Total"]`);
    await total('IQD').waitFor();
    expect(plain(await total('IDR').textContent())).toBe('IDR 123,456.00');
    expect(plain(await total('IQD').textContent())).toBe('IQD 1,500.000');
    expect(plain(await total('JPY').textContent())).toBe('¥1,500');

    await page.goto(`${base}/dashboard/#/orders/${orderIds.IDR}`);
    await page.locator('#view[data-view="order"] table tbody tr td').first().waitFor();
    expect(plain(await page.textContent('#view'))).toContain('IDR 123,456.00');
    expect(plain(await page.textContent('#view'))).not.toContain('12,345,600');
    await page.close();
  }, 60_000);
});
