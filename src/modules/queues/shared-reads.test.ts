import { describe, expect, it } from 'vitest';
import { SharedReads } from './shared-reads.js';

/** A read that answers when told to, counting how often it was started. */
function reads() {
  const started: string[] = [];
  const pending: ((v: string) => void)[] = [];
  return {
    started,
    read: (key: string) => () => {
      started.push(key);
      return new Promise<string>((resolve) => pending.push(resolve));
    },
    answerAll: (v: string) => pending.splice(0).forEach((resolve) => resolve(v)),
  };
}

describe(SharedReads.name, () => {
  let clock = 0;
  const now = () => clock;

  it('runs one read for the requests that ask for a key while it runs, and one per key', async () => {
    const r = reads();
    const shared = new SharedReads<string>(2000, now);
    const answers = [shared.get('a', r.read('a')), shared.get('a', r.read('a')), shared.get('b', r.read('b'))];
    r.answerAll('counts');
    expect(await Promise.all(answers)).toEqual(['counts', 'counts', 'counts']);
    expect(r.started).toEqual(['a', 'b']);
  });

  it('answers from the last read until it is ttl old, then reads again', async () => {
    clock = 0;
    const r = reads();
    const shared = new SharedReads<string>(2000, now);
    const first = shared.get('a', r.read('a'));
    r.answerAll('first');
    await first;
    clock = 1999;
    expect(await shared.get('a', r.read('a'))).toBe('first');
    clock = 2000;
    const second = shared.get('a', r.read('a'));
    r.answerAll('second');
    expect(await second).toBe('second');
    expect(r.started).toEqual(['a', 'a']);
  });

  it('reads again after clear(), even while the earlier read is still running', async () => {
    clock = 0;
    const r = reads();
    const shared = new SharedReads<string>(2000, now);
    const before = shared.get('a', r.read('a'));
    shared.clear();
    const after = shared.get('a', r.read('a'));
    r.answerAll('counts');
    await Promise.all([before, after]);
    expect(r.started).toEqual(['a', 'a']);
  });

  it('keeps no failed read: the next request tries again', async () => {
    clock = 0;
    const shared = new SharedReads<string>(2000, now);
    await expect(shared.get('a', () => Promise.reject(new Error('database away')))).rejects.toThrow('database away');
    expect(await shared.get('a', async () => 'back')).toBe('back');
  });
});
