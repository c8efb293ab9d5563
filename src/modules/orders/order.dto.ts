import { z } from 'zod';
import { ORDER_STATUSES, REFUND_STATUSES } from './order.state.js';
import type { OrderWithCustomer } from './order.queries.js';

const iso = z.string().describe('ISO 8601 timestamp');
const money = z.number().int().describe('integer minor units (cents)');

export const orderDto = z.object({
  id: z.uuid(),
  orderCode: z.string(),
  status: z.enum(ORDER_STATUSES),
  refundStatus: z.enum(REFUND_STATUSES),
  refundedTotal: money,
  currency: z.string(),
  total: money,
  itemsCount: z.number().int(),
  placedAt: iso,
  source: z.enum(['api', 'import', 'seed']),
  importId: z.uuid().nullable(),
  failureReason: z.string().nullable(),
  reservedUntil: iso.nullable(),
  customer: z.object({ id: z.uuid(), email: z.string(), name: z.string() }),
  createdAt: iso,
  updatedAt: iso,
});
export type OrderDto = z.infer<typeof orderDto>;

export const orderDetailDto = orderDto.extend({
  items: z.array(z.object({ sku: z.string(), name: z.string(), quantity: z.number().int(), unitPrice: money, lineTotal: money })),
  reservations: z.array(z.object({ sku: z.string(), quantity: z.number().int(), status: z.string(), createdAt: iso, updatedAt: iso })),
  payments: z.array(z.object({ id: z.uuid(), amount: money, currency: z.string(), status: z.string(), declineCode: z.string().nullable(), createdAt: iso, updatedAt: iso })),
  refunds: z.array(z.record(z.string(), z.unknown())),
  events: z.array(
    z.object({ id: z.number().int(), type: z.string(), fromStatus: z.string().nullable(), toStatus: z.string().nullable(), data: z.record(z.string(), z.unknown()), createdAt: iso }),
  ),
});

const isoOf = (d: Date | null) => (d ? d.toISOString() : null);

export function toOrderDto(o: OrderWithCustomer): OrderDto {
  return {
    id: o.id,
    orderCode: o.orderCode,
    status: o.status,
    refundStatus: o.refundStatus,
    refundedTotal: o.refundedTotal,
    currency: o.currency,
    total: o.total,
    itemsCount: o.itemsCount,
    placedAt: o.placedAt.toISOString(),
    source: o.source,
    importId: o.importId,
    failureReason: o.failureReason,
    reservedUntil: isoOf(o.reservedUntil),
    customer: { id: o.customerId, email: o.customerEmail, name: o.customerName },
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

type Jsonified<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

/** Date columns to ISO strings, for rows read straight from SQL. */
export function jsonDates<T extends object>(rows: T[]): Jsonified<T>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])) as Jsonified<T>);
}
