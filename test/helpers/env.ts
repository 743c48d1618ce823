/** Where the test services run: the project's private cluster and broker (scripts/services.sh). */
export const PG_ADMIN_URL = process.env.CUSTSYNC_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:55432/postgres';
export const KAFKA_BROKERS = (process.env.CUSTSYNC_TEST_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
export const TEMPLATE_DB = 'custsync_test_template';

export function databaseUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
