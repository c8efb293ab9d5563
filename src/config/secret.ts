import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';

/**
 * No default secret ships. With PostgreSQL the operator sets ORDERSYS_SECRET (config enforces it);
 * embedded mode generates one on first start and keeps it, mode 0600, in the data directory.
 */
export function resolveSecret(config: Config): Config {
  if (config.secret) return config;
  const file = path.join(config.dataDir, 'secret');
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(config.dataDir, { recursive: true });
    secret = randomBytes(32).toString('hex');
    // 'wx': if another process created it first, read theirs instead of overwriting.
    try {
      writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      secret = readFileSync(file, 'utf8').trim();
    }
  }
  if (secret.length < 32) throw new Error(`The secret in ${file} is shorter than 32 characters: delete the file to generate a new one.`);
  return Object.freeze({ ...config, secret });
}
