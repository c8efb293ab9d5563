import type { Executor } from '../db/types.js';

export interface BossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** pg-boss running its SQL on one of our executors (a transaction, or PGlite itself). */
export function bossDbFor(executor: Executor): BossDb {
  return {
    async executeSql(text, values) {
      if (values?.length) return executor.query(text, values);
      // Parameterless calls can be multi-statement scripts (pg-boss's own migrations): those
      // need the simple protocol and return no rows pg-boss reads.
      if (!text.trim().replace(/;$/, '').includes(';')) return executor.query(text);
      await executor.exec(text);
      return { rows: [] };
    },
  };
}

/**
 * PGlite has one session: a script that fails between its BEGIN and COMMIT would leave that
 * session in an aborted transaction and poison every later query, so roll it back here.
 */
export function bossDbForPglite(executor: Executor): BossDb {
  const inner = bossDbFor(executor);
  return {
    async executeSql(text, values) {
      try {
        return await inner.executeSql(text, values);
      } catch (err) {
        if (/\bBEGIN\b/i.test(text)) await executor.exec('ROLLBACK').catch(() => {});
        throw err;
      }
    },
  };
}
