import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirectoryInUseError, lockDataDirectory } from './pglite-lock.js';

describe('lockDataDirectory', () => {
  const dir = () => mkdtempSync(path.join(os.tmpdir(), 'ordersys-lock-'));

  it('refuses a second opener with a message naming the holder', () => {
    const d = dir();
    const release = lockDataDirectory(d);
    expect(() => lockDataDirectory(d)).toThrow(DataDirectoryInUseError);
    expect(() => lockDataDirectory(d)).toThrow(new RegExp(`already open in process ${process.pid}`));
    release();
    expect(existsSync(path.join(d, 'ordersys.lock'))).toBe(false);
    lockDataDirectory(d)();
  });

  it('takes over a lock left by a process that died', () => {
    const d = dir();
    writeFileSync(path.join(d, 'ordersys.lock'), '2147483646'); // no such pid
    const release = lockDataDirectory(d);
    release();
  });
});
