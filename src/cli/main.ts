import { Command } from 'commander';
import { reportCliError } from './errors.js';
import { registerGenerateCsv } from './generate-csv.command.js';
import { registerImport } from './import.command.js';
import { registerImports } from './imports.command.js';
import { registerEvents } from './events.command.js';
import { registerKeys } from './keys.command.js';
import { registerKpi } from './kpi.command.js';
import { registerMigrate } from './migrate.command.js';
import { registerNotifications } from './notifications.command.js';
import { registerOrders } from './orders.command.js';
import { registerRefund } from './refund.command.js';
import { registerSeed } from './seed.command.js';
import { registerServe } from './serve.command.js';
import { registerVerify } from './verify.command.js';

const program = new Command('ordersys')
  .description('Order processing backend: import, reserve, pay, finalize; live KPIs')
  .showHelpAfterError();

registerServe(program);
registerMigrate(program);
registerSeed(program);
registerImport(program);
registerImports(program);
registerGenerateCsv(program);
registerKeys(program);
registerOrders(program);
registerVerify(program);
registerKpi(program);
registerNotifications(program);
registerRefund(program);
registerEvents(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportCliError(err);
}
