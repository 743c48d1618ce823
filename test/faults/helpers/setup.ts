import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { migrate } from '../../../src/runtime/migrate.js';
import { admin, dropDatabase as dropAnyDatabase } from '../../helpers/db.js';
import { databaseUrl } from '../../helpers/env.js';
import { faultKafka } from './kafka.js';
import { DB_PREFIX, FAULT_PG_ADMIN_URL, TOPIC_PREFIX } from './services.js';

// The global setup runs outside the test workers, where the test helpers' default addresses are the
// shared services: every call here names the suite's own cluster and broker.

/** Drops a database of the suite's cluster, its replication slots first (a database with a slot cannot be dropped). */
export function dropDatabase(name: string): Promise<void> {
  return dropAnyDatabase(name, FAULT_PG_ADMIN_URL);
}

/** Removes databases and topics of earlier fault runs (kept after a run for inspection until the next one). */
export async function removeLeftovers(): Promise<{ databases: string[]; topics: string[] }> {
  const databases = await admin(async (client) => {
    const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [DB_PREFIX]);
    return rows.map((r) => r.datname);
  }, FAULT_PG_ADMIN_URL);
  for (const name of databases) await dropDatabase(name);
  const kafkaAdmin = faultKafka('custsync-faults-setup').admin();
  await kafkaAdmin.connect();
  try {
    const topics = (await kafkaAdmin.listTopics()).filter((t) => t.startsWith(TOPIC_PREFIX));
    if (topics.length > 0) await kafkaAdmin.deleteTopics({ topics, timeout: 30_000 });
    return { databases, topics };
  } finally {
    await kafkaAdmin.disconnect();
  }
}

/** A fresh database with every migration applied. */
export async function createFaultDatabase(run = randomBytes(3).toString('hex')): Promise<{ name: string; url: string }> {
  const name = `${DB_PREFIX}${run}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`), FAULT_PG_ADMIN_URL);
  const url = databaseUrl(name, FAULT_PG_ADMIN_URL);
  await migrate(url, pino({ level: 'warn' }));
  return { name, url };
}
