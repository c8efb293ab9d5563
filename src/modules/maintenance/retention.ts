import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Counter, Registry } from 'prom-client';
import { counterIn } from '../../platform/metrics.js';
import { DAY_MS } from '../../platform/time.js';
import type { RetentionWindows } from '../../config/config.js';
import type { Database } from '../../platform/db/types.js';
import {
  cutoffOf,
  deleteGatewayEvents,
  deleteIdempotencyKeys,
  deleteImportChunks,
  deleteImportErrors,
  markErrorsPruned,
  deleteNotifications,
  deleteWebhookDeliveries,
  finishedImportsWithDetail,
  tenantIds,
} from './retention.repository.js';

/*
 * Operational rows that only matter for a while are deleted once they are older than their
 * window (RETAIN_*; 0 keeps them for ever). Only final rows go: a queued notification or a pending
 * webhook delivery is never touched, whatever its age. Never deleted here: order_events (the
 * audit trail, append-only by trigger), orders, payments, refunds, products, customers, imports.
 *
 * What goes, and why nothing live needs it any more:
 *   idempotency_keys      a replay of the key after the window is a new request;
 *   gateway_events        the webhook dedupe ledger: the simulator's redeliveries of an event
 *                         are over within about 20 s (payments/gateway/options.ts: 4 attempts,
 *                         backoff and lateness at most 5 s each, plus GATEWAY_OUT_OF_ORDER_MS), a
 *                         captured delivery replayed later than 300 s fails its signature check
 *                         (DEFAULT_TOLERANCE_SEC; each retry is signed afresh), and Stripe-style
 *                         gateways retry for up to 3 days: the config refuses a shorter window
 *                         (MIN_GATEWAY_EVENTS_DAYS). Even past it a replay changes nothing: only
 *                         pending payments and refunds move;
 *   notifications         sent/failed, with their attempts: gone from the notifications report
 *                         and resend (404); the order keeps its events;
 *   webhook_deliveries    delivered/failed, with their attempts: gone from the delivery list and
 *                         redeliver (404); the relay never republishes events behind its checkpoint;
 *   import_errors/chunks  of imports finished before the window: marked first
 *                         (imports.errors_pruned_at), so its report answers that it was deleted
 *                         and verify stops counting it; the import row and its counts stay.
 */

export const RETENTION_BATCH = 5_000;

export type RetentionCounts = Record<
  'idempotency_keys' | 'gateway_events' | 'notifications' | 'notification_attempts' | 'webhook_deliveries' | 'webhook_delivery_attempts' | 'import_errors' | 'import_chunks',
  number
>;

/** Runs `batch` until it deletes fewer rows than a full batch; returns the total. */
async function drain(batch: () => Promise<number>, limit: number): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await batch();
    total += n;
    if (n < limit) return total;
  }
}

/** Deletes everything older than its window, a batch per statement. Returns rows deleted per table. */
export async function applyRetention(db: Database, windows: RetentionWindows, limit = RETENTION_BATCH): Promise<RetentionCounts> {
  const counts: RetentionCounts = {
    idempotency_keys: 0, gateway_events: 0, notifications: 0, notification_attempts: 0,
    webhook_deliveries: 0, webhook_delivery_attempts: 0, import_errors: 0, import_chunks: 0,
  };
  if (windows.idempotencyHours > 0) {
    const cutoff = await cutoffOf(db, windows.idempotencyHours, 'hour');
    counts.idempotency_keys = await drain(() => deleteIdempotencyKeys(db, cutoff, limit), limit);
  }
  if (windows.gatewayEventsDays > 0) {
    const cutoff = await cutoffOf(db, windows.gatewayEventsDays, 'day');
    counts.gateway_events = await drain(() => deleteGatewayEvents(db, cutoff, limit), limit);
  }
  if (windows.notificationsDays > 0) {
    const cutoff = await cutoffOf(db, windows.notificationsDays, 'day');
    for (const tenantId of await tenantIds(db)) {
      counts.notifications += await drain(async () => {
        const n = await deleteNotifications(db, tenantId, cutoff, limit);
        counts.notification_attempts += n.attempts;
        return n.notifications;
      }, limit);
    }
  }
  if (windows.webhookDeliveriesDays > 0) {
    const cutoff = await cutoffOf(db, windows.webhookDeliveriesDays, 'day');
    counts.webhook_deliveries = await drain(async () => {
      const n = await deleteWebhookDeliveries(db, cutoff, limit);
      counts.webhook_delivery_attempts += n.attempts;
      return n.deliveries;
    }, limit);
  }
  if (windows.importErrorsDays > 0) {
    const cutoff = await cutoffOf(db, windows.importErrorsDays, 'day');
    const imports = await finishedImportsWithDetail(db, cutoff);
    if (imports.length > 0) {
      await markErrorsPruned(db, imports);
      counts.import_errors = await drain(() => deleteImportErrors(db, imports, limit), limit);
      counts.import_chunks = await drain(() => deleteImportChunks(db, imports, limit), limit);
    }
  }
  return counts;
}

/**
 * Deletes the file outbox's .eml files (email without SMTP_URL) last modified before the window.
 * Each process prunes the outbox of its own data directory; two at once both try a file and the
 * second finds it gone, which is fine. Returns the files deleted.
 */
export async function pruneOutbox(outbox: string, days: number, now = Date.now()): Promise<number> {
  if (days <= 0) return 0;
  const cutoff = now - days * DAY_MS;
  const names = await readdir(outbox).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  let deleted = 0;
  for (const name of names) {
    if (!name.endsWith('.eml')) continue;
    const file = path.join(outbox, name);
    try {
      const s = await stat(file);
      if (!s.isFile() || s.mtimeMs >= cutoff) continue;
      await unlink(file);
      deleted += 1;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return deleted;
}

export const retentionCounter = (registry: Registry): Counter<'table'> =>
  counterIn(registry, {
    name: 'ordersys_retention_deleted_total',
    help: 'Rows (and outbox .eml files, table="outbox_files") deleted by the retention job, by table',
    labelNames: ['table'] as const,
  });
