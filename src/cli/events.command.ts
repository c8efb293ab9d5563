import type { Command } from 'commander';
import { EVENT_TYPE_PATTERN } from '../modules/outbound/envelope.js';
import { tailEvents, tailSource } from '../modules/outbound/tail.js';
import { DomainError } from '../platform/errors.js';
import { withContext } from './context.js';

export function registerEvents(program: Command): void {
  const events = program.command('events').description('outbound events: what webhook subscribers and the NATS stream receive');
  events
    .command('tail')
    .description('follow published events, one JSON line each (the NATS stream when NATS_URL is set, else the database)')
    .option('--type <type>', 'only this event type, e.g. order.completed')
    .option('--tenant <slug>', 'only this tenant')
    .option('--from-start', 'begin with the oldest event still available instead of new ones')
    .option('--max <n>', 'exit after this many events', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new DomainError('INVALID_DATA', `--max must be a positive whole number (got "${v}").`);
      return n;
    })
    .action(async (opts: { type?: string; tenant?: string; fromStart?: boolean; max?: number }) => {
      if (opts.type && !EVENT_TYPE_PATTERN.test(opts.type)) throw new DomainError('INVALID_DATA', `--type must look like order.completed (got "${opts.type}").`);
      if (opts.tenant && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(opts.tenant)) throw new DomainError('INVALID_DATA', `--tenant must be a tenant slug (got "${opts.tenant}").`);
      await withContext(async (ctx) => {
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
        console.error(`tailing events from ${tailSource(ctx)}${opts.type ? ` of type ${opts.type}` : ''}${opts.tenant ? ` of tenant ${opts.tenant}` : ''} (Ctrl-C to stop)`);
        try {
          await tailEvents(ctx, { ...opts, signal: stop.signal }, (e) => console.log(JSON.stringify(e)));
        } finally {
          process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
        }
      });
    });
}
