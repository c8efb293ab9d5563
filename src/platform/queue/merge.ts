/** The payload of the jobs that carry orders of one tenant (orders_reserve, payments_request). */
export interface OrderBatch {
  tenantId: string;
  orderIds: string[];
}

/**
 * Jobs of one fetch that carry order ids, merged per tenant into batches of at most `max` ids.
 * Producers that cannot wait to fill a batch (the API's placement groups, ~10-50 orders) enqueue
 * small jobs; a worker fetching ten of them runs one transaction of a few set-based statements
 * per tenant instead of ten. Safe because the handlers already take any set of ids and only move
 * orders still in the state they expect; a failure fails the whole fetch, as it did before.
 */
export function mergeByTenant(jobs: readonly { data: OrderBatch }[], max: number): OrderBatch[] {
  const batches: OrderBatch[] = [];
  const open = new Map<string, OrderBatch>();
  const seen = new Set<string>();
  for (const { data } of jobs) {
    for (const orderId of data.orderIds) {
      // A job retried while its twin still waits names the same orders: each goes in once.
      const id = `${data.tenantId}/${orderId}`;
      if (seen.has(id)) continue;
      seen.add(id);
      let batch = open.get(data.tenantId);
      if (!batch || batch.orderIds.length >= max) {
        batch = { tenantId: data.tenantId, orderIds: [] };
        open.set(data.tenantId, batch);
        batches.push(batch);
      }
      batch.orderIds.push(orderId);
    }
  }
  return batches;
}
