import type { Command } from 'commander';
import { verifyInvariants } from '../modules/verify/verify.service.js';
import { withContext } from './context.js';
import { tenantOption } from './options.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('check every invariant on the live database; exits 1 on any breach')
    .option('--tenant <slug>', 'only this tenant (default: all)')
    .option('--final', 'also require every order to be in a final state (after a run has drained)')
    .action(async (opts: { tenant?: string; final?: boolean }) => {
      const breached = await withContext(async (ctx) => {
        let tenantId: string | null = null;
        if (opts.tenant) {
          tenantId = (await tenantOption(ctx, opts.tenant)).id;
        }
        const report = await verifyInvariants(ctx, tenantId);
        for (const name of report.checked) {
          const breach = report.breaches.find((b) => b.name === name);
          console.log(`${breach ? 'BREACH' : 'ok    '}  ${name}${breach ? `: ${breach.count} (${breach.rule})` : ''}`);
          for (const row of breach?.sample ?? []) console.log(`          ${JSON.stringify(row)}`);
        }
        console.log(`orders not yet final: ${report.ordersNotFinal}`);
        const notFinal = opts.final && report.ordersNotFinal > 0;
        if (notFinal) console.log('BREACH  --final: some orders are still pending or reserved');
        console.log(report.breaches.length || notFinal ? 'verify: FAILED' : 'verify: every invariant holds');
        return report.breaches.length > 0 || notFinal;
      });
      if (breached) process.exitCode = 1;
    });
}
