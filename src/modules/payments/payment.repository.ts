import type { Executor } from '../../platform/db/types.js';

export interface PendingPayment {
  paymentId: string;
  orderId: string;
  tenantId: string;
  amount: number;
  currency: string;
}

/**
 * Opens one pending payment per reserved order (the partial unique index makes a repeat insert
 * nothing) and returns every pending payment of those orders, new or left by an earlier attempt
 * that crashed before it reached the gateway.
 */
export async function openPayments(tx: Executor, tenantId: string, orderIds: readonly string[]): Promise<PendingPayment[]> {
  if (orderIds.length === 0) return [];
  await tx.query(
    `INSERT INTO payments (tenant_id, order_id, amount, currency)
     SELECT tenant_id, id, total, currency FROM orders
     WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'reserved'
     ON CONFLICT (order_id) WHERE status <> 'failed' DO NOTHING`,
    [tenantId, orderIds],
  );
  const { rows } = await tx.query<PendingPayment>(
    `SELECT p.id AS "paymentId", p.order_id AS "orderId", p.tenant_id AS "tenantId", p.amount, p.currency
     FROM payments p WHERE p.tenant_id = $1 AND p.order_id = ANY($2::uuid[]) AND p.status = 'pending'`,
    [tenantId, orderIds],
  );
  return rows;
}

/** Moves pending payments to their outcome; returns only those that moved (a repeat moves none). */
export async function settlePayments(
  tx: Executor,
  tenantId: string,
  outcomes: readonly { paymentId: string; status: 'succeeded' | 'failed'; declineCode?: string }[],
): Promise<{ paymentId: string; orderId: string; status: 'succeeded' | 'failed'; amount: number; declineCode: string | null }[]> {
  if (outcomes.length === 0) return [];
  const { rows } = await tx.query<{ paymentId: string; orderId: string; status: 'succeeded' | 'failed'; amount: number; declineCode: string | null }>(
    `UPDATE payments p SET status = d.status, decline_code = d.code, updated_at = now()
     FROM unnest($2::uuid[], $3::text[], $4::text[]) AS d(id, status, code)
     WHERE p.id = d.id AND p.tenant_id = $1 AND p.status = 'pending'
     RETURNING p.id AS "paymentId", p.order_id AS "orderId", p.status, p.amount, p.decline_code AS "declineCode"`,
    [tenantId, outcomes.map((o) => o.paymentId), outcomes.map((o) => o.status), outcomes.map((o) => o.declineCode ?? null)],
  );
  return rows;
}

export interface PaymentRow {
  id: string;
  amount: number;
  currency: string;
  status: string;
  declineCode: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export async function findPaymentsOfOrder(ex: Executor, orderId: string): Promise<PaymentRow[]> {
  const { rows } = await ex.query<PaymentRow>(
    `SELECT id, amount, currency, status, decline_code AS "declineCode", created_at AS "createdAt", updated_at AS "updatedAt"
     FROM payments WHERE order_id = $1 ORDER BY created_at`,
    [orderId],
  );
  return rows;
}
