/*
 * Examples for the OpenAPI document, built from each route's own JSON schema: one table of
 * values by property name, composed the same way everywhere, so a list shows the same order
 * as its detail and a new route gets examples without writing any. A schema that carries its
 * own `examples` (zod `.meta({ examples })`) keeps them. Runs only when the document is built,
 * never on a request. The contract test validates every example against its schema.
 */

import { isUuid } from '../platform/uuid.js';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  format?: string;
  pattern?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  [keyword: string]: unknown;
}

const ORDER_ID = '3b1f6c2e-8d4a-4f7b-9c2d-5e6a7b8c9d01';
const CUSTOMER_ID = 'a7c3e9d1-2b4f-4a6c-8e1d-3f5b7c9e1a22';
const PAYMENT_ID = 'c5e7a9b1-3d5f-4b7d-9f1b-5d7f9b1d3f33';
const ANY_ID = '7d9f1b3d-5f7b-4d9f-b3d5-7f9b3d5f7b55';
const CREATED = '2024-05-01T10:00:00.000Z';
const UPDATED = '2024-05-01T10:00:02.000Z';

/**
 * Values by property name, most specific key first: `tag:parent.name`, `tag:name`,
 * `parent.name`, `name` (tag: the route's first OpenAPI tag; parent: the enclosing property).
 * The first candidate that the property's schema accepts wins, so one name can serve an
 * enum in one place and free text in another.
 */
const BY_NAME: Record<string, readonly unknown[]> = {
  id: [ANY_ID, 1042],
  orderId: [ORDER_ID],
  customerId: [CUSTOMER_ID],
  paymentId: [PAYMENT_ID],
  importId: [null],
  'orders:id': [ORDER_ID],
  'orders:customer.id': [CUSTOMER_ID],
  'orders:payments.id': [PAYMENT_ID],
  'dashboard:id': [ORDER_ID],
  orderCode: ['SO-1042'],
  email: ['ada@example.com'],
  recipient: ['ada@example.com'],
  name: ['Blue mug, 350 ml'],
  'customer.name': ['Ada Lovelace'],
  'customers.name': ['Ada Lovelace'],
  'keys:name': ['warehouse scanner'],
  'tenants:name': ['Acme Shop'],
  'queues:name': ['orders_reserve'],
  slug: ['acme'],
  timeZone: ['Europe/Paris'],
  sku: ['MUG-BLUE'],
  quantity: [2],
  unitPrice: [1250],
  price: [1250],
  lineTotal: [2500],
  total: [2500],
  amount: [2500],
  refundedTotal: [0],
  itemsCount: [1],
  currency: ['EUR'],
  status: ['completed', 'succeeded', 'sent', 'delivered', 'ready', 'committed'],
  'reservations.status': ['committed'],
  'refunds:status': ['pending'],
  'imports:status': ['running'],
  'imports:phase': ['materializing'],
  'imports:progress': [0.75],
  'imports:finishedAt': [null],
  'payments.status': ['succeeded'],
  refundStatus: ['none'],
  source: ['api', 'http', 'postgres'],
  phase: ['completed'],
  state: ['retry'],
  role: ['operator'],
  prefix: ['4f2a9c17'],
  key: ['osk_4f2a9c17_mW3v8yQ1nK5tR0zX7bC2dF9hJ4lP6sA'],
  secret: ['whsec_8c1f0e4b6a2d47e9b3c5a7d9e1f3b5c78c1f0e4b6a2d47e9b3c5a7d9e1f3b5c7'],
  token: ['eyJ0IjoiYWNtZSJ9.5b0c9f2e'],
  url: ['https://shop.example.com/hooks/ordersys'],
  'dashboard:url': ['/dashboard/events?token=eyJ0IjoiYWNtZSJ9.5b0c9f2e'],
  events: ['order.completed'],
  type: ['order.completed', 'order_confirmation'],
  eventType: ['order.completed'],
  eventId: ['evt_1042'],
  fromStatus: ['reserved'],
  toStatus: ['completed'],
  'events.data': [{}],
  data: [{ tenantId: '5e7c9a1f-6b8d-4f0a-8c2e-4a6c8e0a2c66', orderIds: [ORDER_ID] }],
  payload: [{ orderCode: 'SO-1042', total: 2500, currency: 'EUR' }],
  options: [{ preset: 'native', createProducts: false }],
  refunds: [[]],
  reason: ['customer asked'],
  'inventory:reason': ['delivery from supplier'],
  delta: [24],
  kind: ['restock'],
  failureReason: [null],
  declineCode: [null],
  revokedAt: [null],
  lastError: [null],
  error: [null],
  'queues:error': ['orders_reserve: order 3b1f6c2e-8d4a-4f7b-9c2d-5e6a7b8c9d01 vanished'],
  output: [{ message: 'orders_reserve: order 3b1f6c2e-8d4a-4f7b-9c2d-5e6a7b8c9d01 vanished' }],
  providerRef: ['smtp-250-2.0.0'],
  policy: ['standard'],
  reservedUntil: [null],
  nextAttemptAt: [null],
  nextCursor: [null],
  nextBefore: [null],
  placedAt: ['2024-05-01T09:58:00.000Z'],
  updatedAt: [UPDATED],
  finishedAt: [UPDATED],
  completedOn: [UPDATED],
  fileName: ['shop-2024-05.csv'],
  fileSha256: ['9f2c4e6a8b0d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a'],
  format: ['native'],
  bytesTotal: [48_213],
  bytesRead: [48_213],
  progress: [1],
  linesRead: [120],
  linesAccepted: [118],
  linesRejected: [2],
  linesStaged: [118],
  ordersCreated: [57],
  ordersExisting: [0],
  ordersRejected: [1],
  onHand: [40],
  reserved: [2],
  available: [38],
  lowStockThreshold: [5],
  attempts: [1],
  attempt: [1],
  statusCode: [200],
  lastStatusCode: [200],
  latencyMs: [12],
  retryCount: [2],
  retryLimit: [2],
  waiting: [3],
  deferred: [1],
  active: [2],
  completed: [1250],
  failed: [1],
  cancelled: [0],
  perMinute: [240],
  oldestWaitSeconds: [0.8],
  alert: [false],
  alertWaitSeconds: [300],
  limit: [50],
  offset: [0],
  count: [12],
  'totals.total': [6],
  'dashboard:total': [128],
  'queues:total': [1],
  byStatus: [{ queued: 1, sent: 4, failed: 1 }],
  byType: [{ order_confirmation: 4, order_shipped: 2 }],
  byChannel: [{ email: 3, log: 3 }],
  lastEventId: [9876],
  date: ['2024-05-01'],
  from: ['2024-05-01'],
  to: ['2024-05-07'],
  revenue: [120_000],
  grossRevenue: [125_000],
  averageOrderValue: [2500],
  ordersCompleted: [50],
  refundsCount: [2],
  refundsAmount: [5000],
  ordersFailed: [1],
  ordersCancelled: [1],
  netSpend: [12_500],
  orders: [5],
  rank: [1],
  'idempotency-key': ['order-SO-1042'],
  'refunds:idempotency-key': ['refund-SO-1042-1'],
  'stripe-signature': ['t=1714557600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd'],
  deliveryId: [1042],
  'queues:id': ['9a1c3e5f-7b9d-4e1f-a3c5-e7f9b1d3f577'],
};

const FORMATS: Record<string, (v: string) => boolean> = {
  uuid: isUuid,
  email: (v) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v),
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v),
  'date-time': (v) => !Number.isNaN(Date.parse(v)) && v.includes('T'),
  uri: (v) => /^[a-z][a-z\d+.-]*:\/\//i.test(v),
};

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Whether the schema accepts the value, as far as a candidate example needs checking. */
function fits(s: JsonSchema, v: unknown): boolean {
  if (s.anyOf) return s.anyOf.some((b) => fits(b, v));
  if (s.oneOf) return s.oneOf.some((b) => fits(b, v));
  if (s.const !== undefined) return s.const === v;
  if (s.enum) return s.enum.includes(v);
  if (s.type !== undefined) {
    const t = typeOf(v);
    if (![s.type].flat().some((want) => want === t || (want === 'number' && t === 'integer'))) return false;
  }
  if (typeof v === 'string') {
    if (s.format && FORMATS[s.format] && !FORMATS[s.format]!(v)) return false;
    if (s.pattern && !new RegExp(s.pattern, 'u').test(v)) return false;
    if (v.length < (s.minLength ?? 0) || v.length > (s.maxLength ?? Infinity)) return false;
  }
  if (typeof v === 'number') {
    if (v < (s.minimum ?? -Infinity) || v > (s.maximum ?? Infinity) || v <= (s.exclusiveMinimum ?? -Infinity)) return false;
  }
  return true;
}

export interface Where {
  /** The route's first tag. */
  tag?: string;
  /** The property's name, and the name of the property that holds it. */
  name?: string;
  parent?: string;
}

function byName({ tag, name, parent }: Where, s: JsonSchema): { value: unknown } | undefined {
  if (!name) return undefined;
  const keys = [tag && parent && `${tag}:${parent}.${name}`, tag && `${tag}:${name}`, parent && `${parent}.${name}`, name];
  for (const key of keys) {
    const hit = key ? BY_NAME[key]?.find((c) => fits(s, c)) : undefined;
    if (hit !== undefined) return { value: hit };
  }
  return undefined;
}

function scalar(s: JsonSchema, type: string | undefined, name = ''): unknown {
  switch (type) {
    case 'integer':
      return Math.max(s.minimum ?? 1, Math.min(1, s.maximum ?? 1));
    case 'number':
      return Math.max(s.minimum ?? 0.5, Math.min(0.5, s.maximum ?? 0.5));
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string': {
      if (s.format === 'uuid') return ANY_ID;
      if (s.format === 'email') return 'ada@example.com';
      if (s.format === 'date') return '2024-05-01';
      if (s.format === 'uri') return 'https://shop.example.com/hooks/ordersys';
      if (s.format === 'date-time' || /(At|On)$/.test(name) || /ISO 8601/.test(s.description ?? '')) return CREATED;
      return 'text'.padEnd(s.minLength ?? 0, '.');
    }
    default:
      return {};
  }
}

/** An example value for the schema; `where` says which property it is, for the table above. */
export function exampleOf(s: JsonSchema, where: Where = {}): unknown {
  if (s.examples?.length) return s.examples[0];
  if (s.const !== undefined) return s.const;
  const named = byName(where, s);
  if (named) return named.value;
  const branches = s.anyOf ?? s.oneOf;
  if (branches) {
    const branch = branches.find((b) => b.type !== 'null') ?? branches[0];
    return branch ? exampleOf(branch, where) : null;
  }
  if (s.enum?.length) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const type = [s.type].flat().find((t) => t !== 'null') ?? (s.type === 'null' ? 'null' : undefined);
  if (type === 'object' || s.properties) {
    return Object.fromEntries(
      Object.entries(s.properties ?? {}).map(([name, p]) => [name, exampleOf(p, { tag: where.tag, name, parent: where.name })]),
    );
  }
  if (type === 'array') {
    const item = s.items ? exampleOf(s.items, where) : 'text';
    return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => item);
  }
  return scalar(s, type, where.name);
}
