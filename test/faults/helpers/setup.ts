import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { pino } from 'pino';
import { migrate } from '../../../src/runtime/migrate.js';
import { DB_PREFIX, FAULT_KAFKA_BROKERS, FAULT_PG_ADMIN_URL, TOPIC_PREFIX, databaseUrl } from './services.js';

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: FAULT_PG_ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Drops a database after dropping its replication slots (a database with a slot cannot be dropped). */
export async function dropDatabase(name: string): Promise<void> {
  await withAdmin(async (admin) => {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      await admin.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`, [name]);
      const { rows } = await admin.query<{ slot_name: string }>(`SELECT slot_name FROM pg_replication_slots WHERE database = $1 AND NOT active`, [name]);
      for (const slot of rows) await admin.query(`SELECT pg_drop_replication_slot($1)`, [slot.slot_name]).catch(() => undefined);
      const left = await admin.query(`SELECT 1 FROM pg_replication_slots WHERE database = $1`, [name]);
      if (left.rows.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
}

/** Removes databases and topics of earlier fault runs (kept after a run for inspection until the next one). */
export async function removeLeftovers(): Promise<{ databases: string[]; topics: string[] }> {
  const databases = await withAdmin(async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [DB_PREFIX]);
    return rows.map((r) => r.datname);
  });
  for (const name of databases) await dropDatabase(name);
  const kafka = new Kafka({ clientId: 'custsync-faults-setup', brokers: FAULT_KAFKA_BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(TOPIC_PREFIX));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    return { databases, topics };
  } finally {
    await admin.disconnect();
  }
}

/** A fresh database with every migration applied. */
export async function createFaultDatabase(run = randomBytes(3).toString('hex')): Promise<{ name: string; url: string }> {
  const name = `${DB_PREFIX}${run}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(name);
  await migrate(url, pino({ level: 'warn' }));
  return { name, url };
}
