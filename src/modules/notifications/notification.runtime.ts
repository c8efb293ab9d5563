import { DEFAULT_NOTIFY_CHANNELS } from '../../config/config.schema.js';
import type { AppContext } from '../../context.js';
import type { JobQueue } from '../../platform/queue/queue.js';
import type { Channel } from './notification.types.js';

/** Notification ids per delivery job. */
export const DELIVER_BATCH = 100;

/** What enqueueing needs from a context: the queue to wake a worker and the default channels. */
export interface NotifyDeps {
  readonly queue: JobQueue | undefined;
  readonly channels: readonly Channel[];
}

export function notifyDepsOf(ctx: Pick<AppContext, 'queue' | 'config'>): NotifyDeps {
  return { queue: ctx.queue, channels: ctx.config.notify.channels };
}

/*
 * Transition listeners and the refund hook run with a transaction but no context, so the process
 * binds its context here when the module starts (routes or workers). A process that never binds
 * (a bare CLI command) still records every notification, with the built-in default channels, but
 * enqueues no job: the sweeper of a worker process dispatches those rows within a minute.
 */
let bound: NotifyDeps | undefined;

export function bindNotifications(ctx: Pick<AppContext, 'queue' | 'config'>): void {
  bound = notifyDepsOf(ctx);
}

export function boundDeps(): NotifyDeps {
  return bound ?? { queue: undefined, channels: DEFAULT_NOTIFY_CHANNELS };
}
