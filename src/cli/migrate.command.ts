import type { Command } from 'commander';
import { withContext } from './context.js';
import { readMigrations } from '../platform/db/migrate.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (also done at every start)')
    .action(async () => {
      // Opening the context migrates; report what is now recorded.
      await withContext(async (ctx) => {
        const { rows } = await ctx.db.query<{ name: string; applied_at: Date }>(
          'SELECT name, applied_at FROM schema_migrations ORDER BY version',
        );
        for (const r of rows) console.log(`applied  ${r.name}  ${r.applied_at.toISOString()}`);
        console.log(`${rows.length} of ${readMigrations().length} migrations applied; the database is up to date.`);
      });
    });
}
