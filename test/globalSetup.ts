import pg from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { migrate } from '../src/runtime/migrate.js';
import { randomBytes } from 'node:crypto';
import { KAFKA_BROKERS, PG_ADMIN_URL, databaseUrl } from './helpers/env.js';

const HINT = 'start them with `npm run services:up` (npm test does this for you)';

/**
 * Once per run: checks that the real Postgres and Kafka are up, and builds a
 * migrated template database that each test file clones (CREATE DATABASE ...
 * TEMPLATE), so every file gets a fresh schema in milliseconds.
 */
export default async function setup(): Promise<() => Promise<void>> {
  // Workers inherit the environment: helpers/env.ts derives this run's database names from it.
  process.env.CUSTSYNC_TEST_RUN ??= randomBytes(3).toString('hex');
  const prefix = `custsync_test_${process.env.CUSTSYNC_TEST_RUN}_`;
  const TEMPLATE_DB = `${prefix}template`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3_000 });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`Postgres is not reachable at ${PG_ADMIN_URL} (${(err as Error).message}); ${HINT}`);
  }
  const kafka = new Kafka({ brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING, connectionTimeout: 3_000, retry: { retries: 2 } });
  const kafkaAdmin = kafka.admin();
  try {
    await kafkaAdmin.connect();
    await kafkaAdmin.describeCluster();
  } catch (err) {
    await admin.end();
    throw new Error(`Kafka is not reachable at ${KAFKA_BROKERS.join(',')} (${(err as Error).message}); ${HINT}`);
  } finally {
    await kafkaAdmin.disconnect();
  }

  await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [TEMPLATE_DB]);
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  await migrate(databaseUrl(TEMPLATE_DB), pino({ level: 'warn' }));
  await admin.end();

  return async () => {
    const cleanup = new pg.Client({ connectionString: PG_ADMIN_URL });
    await cleanup.connect();
    const { rows } = await cleanup.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [prefix]);
    for (const { datname } of rows) await cleanup.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await cleanup.end();
  };
}
