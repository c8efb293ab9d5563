import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/cli.js';
import { cliDatabase, type CliDatabase } from '../../test/cli-env.js';

const ONE_LINE = /^ordersys: [^\n]+\n$/;

describe('ordersys keys', () => {
  let cli: CliDatabase;
  beforeAll(async () => {
    cli = await cliDatabase();
  });
  afterAll(() => cli.close());

  it.each(['Bad Slug', '', 'BAD_SLUG', '-dash-first', 'a'.repeat(64)])('refuses to create a key for tenant %j, stating the slug rule in one line', async (slug) => {
    const res = await runCli(['keys', 'create', '--tenant', slug, '--role', 'viewer'], cli.env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(ONE_LINE);
    expect(res.stderr).toContain(`ordersys: --tenant: "${slug}" must be 1-63 lowercase letters, digits or dashes`);
    expect(res.stdout).toBe('');
  });

  it('answers "No active key" for an id that is not a UUID, as for an unknown one, and revokes by any spelling PostgreSQL reads', async () => {
    const createKey = async () => {
      const res = await runCli(['keys', 'create', '--tenant', 'acme', '--role', 'viewer'], cli.env);
      expect(res.code).toBe(0);
      return /\(([0-9a-f-]{36})\)/.exec(res.stderr)![1]!;
    };
    const id = await createKey();

    const bogus = await runCli(['keys', 'revoke', 'nonexistent', '--tenant', 'acme'], cli.env);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toMatch(ONE_LINE);
    expect(bogus.stderr).toMatch(/^ordersys: No active key nonexistent in tenant acme; `ordersys keys list --tenant acme` shows the ids\./);

    expect(await runCli(['keys', 'revoke', id, '--tenant', 'acme'], cli.env)).toMatchObject({ code: 0, stdout: `revoked ${id}\n` });
    const again = await runCli(['keys', 'revoke', id, '--tenant', 'acme'], cli.env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`^ordersys: No active key ${id} in tenant acme`));

    const other = (await createKey()).replaceAll('-', '').toUpperCase();
    expect(await runCli(['keys', 'revoke', `{${other}}`, '--tenant', 'acme'], cli.env)).toMatchObject({ code: 0 });
    // Six CLI processes one after another, each opening the database: 60 s was not enough on a busy CI machine.
  }, 180_000);
});
