import { Option, type Command } from 'commander';
import { ROLES, type Role } from '../modules/auth/api-key.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../modules/auth/api-key.repository.js';
import { checkTenantSlug, ensureTenant } from '../modules/tenants/tenant.repository.js';
import { DomainError } from '../platform/errors.js';
import { withContext } from './context.js';
import { tenantOption } from './options.js';

/** What PostgreSQL reads as a uuid (hyphens optional between groups of four, braces allowed); anything else is no key's id. */
const UUID = /^\{?[0-9a-f]{4}(?:-?[0-9a-f]{4}){7}\}?$/i;

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage API keys');

  keys
    .command('create')
    .description('create an API key; it is printed once and only its hash is stored')
    .requiredOption('--tenant <slug>', 'tenant the key belongs to (created if missing)')
    .addOption(new Option('--role <role>', 'what the key may do').choices(ROLES).default('operator'))
    .option('--name <name>', 'a label to recognise the key by', 'cli')
    .action(async (opts: { tenant: string; role: Role; name: string }) => {
      checkTenantSlug(opts.tenant, '--tenant');
      await withContext(async (ctx) => {
        const tenant = await ensureTenant(ctx.db, opts.tenant);
        const { key, record } = await createApiKey(ctx.db, tenant.id, opts.role, opts.name);
        console.log(key);
        console.error(`created ${record.role} key ${record.prefix} (${record.id}) for tenant ${tenant.slug}; store it now, it is not shown again`);
      });
    });

  keys
    .command('list')
    .requiredOption('--tenant <slug>', 'tenant')
    .action(async (opts: { tenant: string }) => {
      await withContext(async (ctx) => {
        const tenant = await tenantOption(ctx, opts.tenant);
        for (const k of await listApiKeys(ctx.db, tenant.id)) {
          console.log(`${k.id}  ${k.prefix}  ${k.role.padEnd(8)}  ${k.name}  ${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}`);
        }
      });
    });

  keys
    .command('revoke <id>')
    .requiredOption('--tenant <slug>', 'tenant')
    .action(async (id: string, opts: { tenant: string }) => {
      await withContext(async (ctx) => {
        const tenant = await tenantOption(ctx, opts.tenant);
        if (!UUID.test(id) || !(await revokeApiKey(ctx.db, tenant.id, id))) {
          throw new DomainError('NOT_FOUND', `No active key ${id} in tenant ${tenant.slug}; \`ordersys keys list --tenant ${tenant.slug}\` shows the ids.`);
        }
        console.log(`revoked ${id}`);
      });
    });
}
