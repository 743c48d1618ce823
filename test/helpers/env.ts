import { resolve } from 'node:path';

/** The repository root. */
export const REPO = resolve(import.meta.dirname, '../..');

/**
 * Where the test services run: the project's private cluster and broker
 * (scripts/services.sh). The fault suite points them at services of its own
 * (vitest.faults.config.ts); its global setup, which runs outside the test
 * workers, passes its addresses explicitly.
 */
export const PG_ADMIN_URL = process.env.CUSTSYNC_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:55432/postgres';
export const KAFKA_BROKERS = (process.env.CUSTSYNC_TEST_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
/**
 * Each vitest run has its own id (set by test/globalSetup.ts and inherited
 * by the workers), so two runs on the same cluster never drop each other's
 * databases: its template is `custsync_test_<run>_template` and every
 * database it creates starts with `custsync_test_<run>_`.
 */
export const RUN_ID = process.env.CUSTSYNC_TEST_RUN ?? 'adhoc';
export const DB_PREFIX = `custsync_test_${RUN_ID}_`;
export const TEMPLATE_DB = `${DB_PREFIX}template`;

export function databaseUrl(name: string, adminUrl = PG_ADMIN_URL): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
