import { z } from 'zod';
import { bodyObject } from '../../http/schemas.js';
import type { Refund } from './refund.repository.js';
import { REFUND_STATUSES } from './refund.repository.js';

const money = z.number().int().describe('integer minor units (cents)');

export const restockLine = bodyObject({
  sku: z.string().trim().min(1).max(64),
  quantity: z.number().int().positive().max(1_000_000),
});

/** The POST body. The CLI parses its options through it too, so both hash the same request. */
export const refundBody = bodyObject({
  amount: z.number().int().max(Number.MAX_SAFE_INTEGER).optional().describe('minor units; omitted = everything still refundable'),
  reason: z.string().trim().min(1).max(500),
  restock: z.array(restockLine).max(500).optional().describe('units to put back on the shelf when the refund succeeds'),
});
export type RefundBody = z.infer<typeof refundBody>;

export const refundDto = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  paymentId: z.uuid(),
  amount: money,
  currency: z.string(),
  reason: z.string(),
  status: z.enum(REFUND_STATUSES),
  restock: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
  failureReason: z.string().nullable(),
  createdAt: z.string().describe('ISO 8601 timestamp'),
  updatedAt: z.string().describe('ISO 8601 timestamp'),
});
export type RefundDto = z.infer<typeof refundDto>;

export function toRefundDto(r: Refund): RefundDto {
  return {
    id: r.id,
    orderId: r.orderId,
    paymentId: r.paymentId,
    amount: r.amount,
    currency: r.currency,
    reason: r.reason,
    status: r.status,
    restock: r.restock,
    failureReason: r.failureReason,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}
