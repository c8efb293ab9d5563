export type Row = Record<string, unknown>;

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/**
 * What a repository runs SQL on: the database itself or an open transaction.
 * Every repository function takes one explicitly, so a statement can never escape its transaction.
 */
export interface QueryOptions {
  /**
   * PostgreSQL: prepare the statement once per connection under this name, so later runs skip
   * parsing and planning (most of the cost of a short query). For hot, fixed statements only: a
   * name must always carry the same text. PGlite ignores it.
   */
  prepareAs?: string;
}

export interface Executor {
  query<T = Row>(text: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<T>>;
  /** Several statements, no parameters (migrations, DDL). */
  exec(sql: string): Promise<void>;
  /** `COPY table (cols) FROM STDIN` with CSV/text bytes; returns rows copied. */
  copyFrom(copySql: string, data: string | Buffer): Promise<number>;
}

export interface Database extends Executor {
  readonly kind: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type Transaction = Executor;
