/** Which database the tests run on: PostgreSQL when DATABASE_URL is set, embedded PGlite otherwise. */
export const testDatabaseUrl = process.env.DATABASE_URL;
export const onPostgres = Boolean(testDatabaseUrl);
export const testRedisUrl = process.env.REDIS_URL;

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
