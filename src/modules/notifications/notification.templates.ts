import { formatMoney } from '../../platform/money.js';
import type { NotificationType } from './notification.types.js';

export interface OrderView {
  orderCode: string;
  status: string;
  currency: string;
  total: number;
  refundedTotal: number;
  failureReason: string | null;
  placedAt: Date;
  customerName: string;
  customerEmail: string;
  items: { sku: string; name: string; quantity: number; unitPrice: number; lineTotal: number }[];
}

export interface ImportView {
  id: string;
  fileName: string;
  status: string;
  linesRead: number;
  linesAccepted: number;
  linesRejected: number;
  ordersCreated: number;
  ordersRejected: number;
  error: string | null;
}

export interface RenderInput {
  type: NotificationType;
  tenantName: string;
  payload: Record<string, unknown>;
  order?: OrderView;
  import?: ImportView;
}

export interface Rendered {
  subject: string;
  text: string;
  html: string;
  /** One line for SMS, push and the log. */
  short: string;
}

const HEADLINES: Record<Exclude<NotificationType, 'import_finished'>, (code: string) => string> = {
  order_confirmation: (c) => `Order ${c} confirmed`,
  payment_failed: (c) => `Payment for order ${c} failed`,
  order_cancelled: (c) => `Order ${c} cancelled`,
  order_shipped: (c) => `Order ${c} shipped`,
  order_delivered: (c) => `Order ${c} delivered`,
  refund_processed: (c) => `Refund for order ${c} processed`,
};

const INTROS: Record<Exclude<NotificationType, 'import_finished'>, string> = {
  order_confirmation: 'Thank you: your payment went through and your order is confirmed.',
  payment_failed: 'We could not take the payment for your order, so it was not placed. No money was taken.',
  order_cancelled: 'Your order was cancelled. Anything you paid is refunded in full.',
  order_shipped: 'Your order is on its way.',
  order_delivered: 'Your order was delivered. Enjoy!',
  refund_processed: 'We refunded part or all of your order.',
};

/** Text and HTML bodies from the same facts; every value placed in HTML is escaped. */
export function render(input: RenderInput): Rendered {
  if (input.type === 'import_finished') return renderImport(input);
  const order = input.order;
  if (!order) throw new Error(`${input.type} needs its order to render`);
  const money = (minor: number) => formatMoney(minor, order.currency);
  const subject = `${HEADLINES[input.type](order.orderCode)} - ${input.tenantName}`;
  const facts: [string, string][] = [
    ['Order', order.orderCode],
    ['Status', order.status],
    ['Placed', order.placedAt.toISOString().slice(0, 10)],
    ['Total', money(order.total)],
  ];
  if (order.failureReason && input.type === 'payment_failed') facts.push(['Reason', order.failureReason]);
  if (input.type === 'refund_processed' && typeof input.payload.amount === 'number') {
    facts.push(['Refunded now', formatMoney(input.payload.amount, String(input.payload.currency ?? order.currency))]);
  }
  if (order.refundedTotal > 0) facts.push(['Refunded in total', money(order.refundedTotal)]);
  const greeting = `Hello ${order.customerName || order.customerEmail},`;
  const lines = order.items.map((i) => `  ${i.quantity} x ${i.name || i.sku} (${i.sku}) @ ${money(i.unitPrice)} = ${money(i.lineTotal)}`);
  const text = [
    greeting,
    '',
    INTROS[input.type],
    '',
    ...facts.map(([k, v]) => `${k}: ${v}`),
    '',
    'Items:',
    ...lines,
    '',
    `Total: ${money(order.total)}`,
    '',
    `- ${input.tenantName}`,
  ].join('\n');
  const rows = order.items
    .map(
      (i) =>
        `<tr><td>${esc(i.name || i.sku)}<br><small>${esc(i.sku)}</small></td><td align="right">${i.quantity}</td>` +
        `<td align="right">${esc(money(i.unitPrice))}</td><td align="right">${esc(money(i.lineTotal))}</td></tr>`,
    )
    .join('\n');
  const html = `<!doctype html>
<html><body style="font-family: sans-serif">
<h1>${esc(HEADLINES[input.type](order.orderCode))}</h1>
<p>${esc(greeting)}</p>
<p>${esc(INTROS[input.type])}</p>
<table>${facts.map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
<table border="1" cellpadding="4" cellspacing="0">
<thead><tr><th>Item</th><th>Qty</th><th>Unit price</th><th>Line total</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr><th colspan="3" align="right">Total</th><td align="right"><strong>${esc(money(order.total))}</strong></td></tr></tfoot>
</table>
<p>${esc(input.tenantName)}</p>
</body></html>`;
  return { subject, text, html, short: `${HEADLINES[input.type](order.orderCode)}: ${money(order.total)} (${order.status})` };
}

function renderImport(input: RenderInput): Rendered {
  const imp = input.import;
  if (!imp) throw new Error('import_finished needs its import to render');
  const subject = `Import ${imp.fileName} ${imp.status} - ${input.tenantName}`;
  const facts: [string, string][] = [
    ['Import', imp.id],
    ['File', imp.fileName],
    ['Status', imp.status],
    ['Lines read', String(imp.linesRead)],
    ['Lines accepted', String(imp.linesAccepted)],
    ['Lines rejected', String(imp.linesRejected)],
    ['Orders created', String(imp.ordersCreated)],
    ['Orders rejected', String(imp.ordersRejected)],
  ];
  if (imp.error) facts.push(['Error', imp.error]);
  const text = [`Import ${imp.fileName} finished: ${imp.status}.`, '', ...facts.map(([k, v]) => `${k}: ${v}`)].join('\n');
  const html = `<!doctype html>
<html><body style="font-family: sans-serif">
<h1>${esc(`Import ${imp.fileName} finished: ${imp.status}`)}</h1>
<table>${facts.map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
</body></html>`;
  const short = `Import ${imp.fileName} ${imp.status}: ${imp.ordersCreated} orders created, ${imp.linesRejected} lines rejected`;
  return { subject, text, html, short };
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
