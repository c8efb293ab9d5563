import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { resolveSecret } from './secret.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('defaults to embedded PGlite under ./data', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: 'pglite', dataDir: path.resolve('data/pglite') });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(config.secret).toBeUndefined();
  });

  it('uses PostgreSQL when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@h:5432/db', ORDERSYS_SECRET: 'x'.repeat(32) });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@h:5432/db', poolMax: 10 });
  });

  it('names every bad variable in one error, not just the first', () => {
    const problems = problemsOf({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', REDIS_URL: 'nope' });
    const names = problems.map((p) => p.split(' ')[0]);
    expect(names).toEqual(expect.arrayContaining(['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'REDIS_URL']));
    expect(problems.find((p) => p.startsWith('PORT'))).toContain('"eighty"');
  });

  it('refuses PostgreSQL without a shared secret', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://h/db' })).toEqual([expect.stringMatching(/^ORDERSYS_SECRET is required/)]);
  });

  it('refuses a short secret', () => {
    expect(problemsOf({ ORDERSYS_SECRET: 'short' })[0]).toMatch(/^ORDERSYS_SECRET must be at least 32/);
  });

  it('never echoes a secret or a URL in its message', () => {
    const message = problemsOf({ ORDERSYS_SECRET: 'hunter2', DATABASE_URL: 'mysql://user:pw@h/db' }).join('\n');
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('pw@');
  });
});

describe('resolveSecret', () => {
  it('generates a secret on first start, keeps it private, and reuses it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-secret-'));
    const first = resolveSecret(loadConfig({ ORDERSYS_DATA_DIR: dir }));
    const second = resolveSecret(loadConfig({ ORDERSYS_DATA_DIR: dir }));
    expect(first.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(second.secret).toBe(first.secret);
    expect(readFileSync(path.join(dir, 'secret'), 'utf8').trim()).toBe(first.secret);
    expect(statSync(path.join(dir, 'secret')).mode & 0o077).toBe(0);
  });

  it('prefers ORDERSYS_SECRET from the environment', () => {
    const secret = 's'.repeat(40);
    expect(resolveSecret(loadConfig({ ORDERSYS_SECRET: secret })).secret).toBe(secret);
  });
});
