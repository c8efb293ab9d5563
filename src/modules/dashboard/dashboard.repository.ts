import type { Executor } from '../../platform/db/types.js';
import { ORDER_COLUMNS } from '../orders/order.types.js';
import type { OrderWithCustomer } from '../orders/order.queries.js';

/**
 * The newest order event's id: the live feed's change signal, one backward step on the
 * (tenant_id, id) index. Ids are taken before commit, so a slow transaction can commit an id
 * below one already seen; that change is then shown with the next one (the page also refetches
 * once a minute), which is good enough for a screen and costs nothing.
 */
export async function lastEventId(ex: Executor, tenantId: string): Promise<number> {
  const { rows } = await ex.query<{ id: number | null }>(`SELECT max(id) AS id FROM order_events WHERE tenant_id = $1`, [tenantId]);
  return rows[0]?.id ?? 0;
}

/**
 * Orders whose code starts with the text, exact match first. The range on order_code bounds the
 * walk on the (tenant_id, order_code) index; left() keeps the answer exact whatever the collation.
 */
export async function searchOrdersByCode(ex: Executor, tenantId: string, prefix: string, limit: number): Promise<OrderWithCustomer[]> {
  const last = prefix.codePointAt(prefix.length - 1) ?? 0;
  const upper = prefix.slice(0, prefix.length - (last > 0xffff ? 2 : 1)) + String.fromCodePoint(Math.min(last + 1, 0x10ffff));
  const { rows } = await ex.query<OrderWithCustomer>(
    `SELECT ${ORDER_COLUMNS}, c.email AS "customerEmail", c.name AS "customerName"
     FROM orders o JOIN customers c ON c.id = o.customer_id
     WHERE o.tenant_id = $1 AND o.order_code >= $2 AND o.order_code < $3 AND left(o.order_code, length($2)) = $2
     ORDER BY o.order_code LIMIT $4`,
    [tenantId, prefix, upper, limit],
  );
  return rows;
}

/** Of these keys, the ones not revoked: one query for every open stream of a process. */
export async function activeKeyIds(ex: Executor, keyIds: string[]): Promise<Set<string>> {
  const { rows } = await ex.query<{ id: string }>(`SELECT id FROM api_keys WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL`, [keyIds]);
  return new Set(rows.map((r) => r.id));
}

/** A stream token outlives nothing: the key it was minted with must still be active. */
export async function keyIsActive(ex: Executor, tenantId: string, keyId: string): Promise<boolean> {
  const { rows } = await ex.query(`SELECT 1 FROM api_keys WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL`, [keyId, tenantId]);
  return rows.length > 0;
}
