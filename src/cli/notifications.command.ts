import { Option, type Command } from 'commander';
import { isValidDay } from '../modules/analytics/kpi.js';
import { notificationReport } from '../modules/notifications/notification.service.js';
import { NOTIFICATION_STATUSES, NOTIFICATION_TYPES, type NotificationStatus, type NotificationType } from '../modules/notifications/notification.types.js';
import { DomainError, invalid } from '../platform/errors.js';
import { inYears, YEARS_RULE } from '../platform/years.js';
import { withContext } from './context.js';
import { tenantOption } from './options.js';

interface ReportOptions {
  tenant?: string;
  limit: string;
  type?: NotificationType;
  status?: NotificationStatus;
  since?: string;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "24h", "7d", "30m" back from now, or an ISO date/timestamp; either in the years 1900-2999. */
export function parseSince(value: string, now = new Date()): Date {
  const rel = /^(\d+)([mhd])$/.exec(value);
  if (rel) {
    const date = new Date(now.getTime() - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS]);
    // 99999999999d is no Date at all (NaN), not merely long ago.
    if (Number.isNaN(date.getTime()) || !inYears(date.toISOString())) throw invalid('--since', `"${value}" reaches back too far: the date ${YEARS_RULE}.`);
    return date;
  }
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw invalid('--since', `"${value}" is neither a duration like 24h or 7d nor a date like 2026-01-31.`);
  }
  // V8 reads 2024-02-30 as March 1st: only a day the calendar has is taken at its word.
  if (!isValidDay(value.slice(0, 10))) throw invalid('--since', `"${value}" is not a calendar date.`);
  if (!inYears(date.toISOString())) throw invalid('--since', `"${value}" ${YEARS_RULE}.`);
  return date;
}

export function registerNotifications(program: Command): void {
  const notifications = program.command('notifications').description('notification history');

  notifications
    .command('report')
    .description('print notifications, newest first, with totals by status, type and channel')
    .option('--tenant <slug>', 'tenant (default: ORDERSYS_DEFAULT_TENANT)')
    .option('--limit <n>', 'rows to print', '50')
    .addOption(new Option('--type <type>', 'only this type').choices(NOTIFICATION_TYPES))
    .addOption(new Option('--status <status>', 'only this status').choices(NOTIFICATION_STATUSES))
    .option('--since <when>', 'created since: a duration (24h, 7d) or a date')
    .action(async (opts: ReportOptions) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 0 || limit > 100_000) throw new DomainError('INVALID_DATA', `--limit: "${opts.limit}" must be a whole number from 0 to 100000.`);
      const since = opts.since ? parseSince(opts.since) : undefined;
      await withContext(async (ctx) => {
        const tenant = await tenantOption(ctx, opts.tenant);
        const { items, totals } = await notificationReport(ctx.db, tenant.id, { type: opts.type, status: opts.status, since }, { limit, offset: 0 });
        for (const n of items) {
          const when = (n.sentAt ?? n.updatedAt).toISOString();
          const order = typeof n.payload.orderCode === 'string' ? n.payload.orderCode : '';
          const error = n.lastError ? `  ${n.lastError.replace(/\s+/g, ' ').slice(0, 120)}` : '';
          console.log(`${when}  ${n.status.padEnd(6)}  ${n.type.padEnd(18)}  ${n.channel.padEnd(5)}  ${String(n.attempts).padStart(2)}x  ${n.recipient}  ${order}${error}`);
        }
        const list = (o: Record<string, number | undefined>) => Object.entries(o).map(([k, v]) => `${k} ${v ?? 0}`).join(', ') || 'none';
        console.log(`\n${totals.total} notifications${items.length < totals.total ? ` (${items.length} shown)` : ''}`);
        console.log(`  by status:  ${list(totals.byStatus)}`);
        console.log(`  by type:    ${list(totals.byType)}`);
        console.log(`  by channel: ${list(totals.byChannel)}`);
      });
    });
}
