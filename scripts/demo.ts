/**
 * The demo behind `npm run demo`: runs the real daemon (the built CLI) on
 * local services with the sample webhooks in samples/, then prints what it
 * did, straight from Postgres and Kafka. Nothing here is simulated: every
 * table below is read back from the services after the daemon ran.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import pg from 'pg';
import { stringify } from 'yaml';
import { formatTable, type Row } from '../src/reports/format.js';
import { registerKafkaCodecs } from '../src/connectors/kafka/codecs.js';

const ROOT = resolve(import.meta.dirname, '..');
const PG_ADMIN = process.env.CUSTSYNC_DEMO_PG_URL ?? 'postgres://postgres@127.0.0.1:55432/postgres';
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const DATABASE = 'custsync_demo';
const SLOT = 'custsync_demo_changes';
const run = Date.now().toString(36);
const topic = (name: string) => `demo.${name}.${run}`;

const PLATFORMS = [
  { name: 'hotmart', mapper: 'hotmart', priority: 50 },
  { name: 'stripe', mapper: 'stripe', priority: 60, fieldPriorities: { phone_local_code: 10, phone_number: 10 } },
  { name: 'kiwify', mapper: 'kiwify', priority: 40 },
  { name: 'eduzz', mapper: 'eduzz', priority: 40 },
  { name: 'shopify', mapper: 'shopify', priority: 30 },
  { name: 'crm', mapper: 'generic', priority: 70, sample: 'generic' },
] as const;

function say(text: string): void {
  process.stdout.write(`\n\x1b[1m${text}\x1b[0m\n`);
}

function section(title: string, rows: Row[], columns: string[]): void {
  say(title);
  process.stdout.write(formatTable({ columns, rows }));
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  // The previous demo's change-event slot pins its database (slot names are cluster-wide).
  await admin.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, [SLOT]);
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  const url = new URL(PG_ADMIN);
  url.pathname = `/${DATABASE}`;

  const config = {
    database: { url: url.toString() },
    kafka: {
      brokers: BROKERS,
      groupId: `custsync-demo-${run}`,
      deadLetterTopic: topic('dead-letters'),
      changeTopic: topic('customer-changes'),
      newTopicPartitions: 1,
      newTopicReplicationFactor: 1,
    },
    platforms: PLATFORMS.map(({ name, mapper, priority, ...rest }) => ({
      name,
      mapper,
      priority,
      topics: [topic(name)],
      ...('fieldPriorities' in rest ? { fieldPriorities: rest.fieldPriorities } : {}),
    })),
    publisher: { slotName: SLOT, publicationName: SLOT, heartbeatIntervalMs: 1_000 },
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'info' },
  };
  mkdirSync(resolve(ROOT, '.var/demo'), { recursive: true });
  const configFile = resolve(ROOT, '.var/demo/custsync.yaml');
  writeFileSync(configFile, stringify(config));
  say(`1. Configuration: ${PLATFORMS.length} platforms, topics demo.<platform>.${run} (written to .var/demo/custsync.yaml)`);
  process.stdout.write(PLATFORMS.map((p) => `   ${p.name.padEnd(8)} priority ${p.priority}${'fieldPriorities' in p ? '  (phone: 10)' : ''}`).join('\n') + '\n');

  const cli = resolve(ROOT, 'dist/cli/main.js');
  say('2. custsync migrate');
  process.stdout.write(execFileSync(process.execPath, [cli, 'migrate', '--config', configFile], { encoding: 'utf8' }));

  say('3. custsync run (the daemon, JSON logs below)');
  const daemon = spawn(process.execPath, [cli, 'run', '--config', configFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  daemon.stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      try {
        const entry = JSON.parse(line) as { level: string; component?: string; msg: string };
        process.stdout.write(`   [${entry.level}] ${entry.component ?? 'custsync'}: ${entry.msg}\n`);
      } catch {
        process.stdout.write(`   ${line}\n`);
      }
    }
  });
  const exited = new Promise<number | null>((r) => daemon.on('exit', r));

  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  registerKafkaCodecs(); // custsync compresses what it writes (kafka.compression)
  const kafka = new Kafka({ clientId: 'custsync-demo', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  await waitUntil('the daemon to create its topics', async () => (await kafkaAdmin.listTopics()).includes(topic('crm')));
  const caughtUp = async () => {
    for (const p of PLATFORMS) {
      const offsets = await kafkaAdmin.fetchTopicOffsets(topic(p.name));
      const { rows } = await pool.query<{ next: string }>(`SELECT next_ordinal::text AS next FROM custsync.source_positions WHERE stream = $1`, [`kafka:${topic(p.name)}`]).catch(() => ({ rows: [] as { next: string }[] }));
      const high = BigInt(offsets[0]?.high ?? '0');
      if (high > 0n && BigInt(rows[0]?.next ?? '0') < high) return false;
    }
    return true;
  };

  say('4. Producing the sample webhooks (samples/*.jsonl), one platform after the other');
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (const platform of PLATFORMS) {
    const file = 'sample' in platform ? platform.sample : platform.name;
    // One webhook body per line, produced byte for byte (re-serializing would round Shopify's 64-bit ids).
    const payloads = readFileSync(resolve(ROOT, `samples/${file}.jsonl`), 'utf8').split('\n').filter((line) => line.trim() !== '');
    await producer.send({ topic: topic(platform.name), acks: -1, messages: payloads.map((value, i) => ({ key: `${platform.name}-${i}`, value })) });
    process.stdout.write(`   ${platform.name.padEnd(8)} ${payloads.length} message(s) -> ${topic(platform.name)}\n`);
    await waitUntil(`the daemon to apply ${platform.name}`, caughtUp);
  }
  await producer.send({ topic: topic('hotmart'), messages: [{ key: 'broken', value: '{"id": "truncated' }] });
  process.stdout.write(`   hotmart  1 truncated JSON message (for the dead-letter topic)\n`);
  await waitUntil('the daemon to process the broken message', caughtUp);
  await producer.disconnect();

  await waitUntil('the change-event publisher to catch up', async () => {
    const { rows } = await pool.query<{ lag: string | null }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS lag FROM pg_replication_slots WHERE slot_name = $1`,
      [SLOT],
    );
    // heartbeats keep writing a few bytes of WAL: caught up means within one heartbeat of the end
    return rows[0]?.lag !== undefined && rows[0].lag !== null && Number(rows[0].lag) < 4_096;
  });
  say('5. Stopping the daemon with SIGTERM (it finishes the batch in flight, commits, disconnects)');
  daemon.kill('SIGTERM');
  process.stdout.write(`   exit code ${await exited}\n`);

  const customers = await pool.query(`
    SELECT c.id, c.email, c.name, c.phone_local_code AS ddd, c.phone_number AS phone, c.document_type AS doc, c.document_number,
           c.customer_id, a.address, a.number, a.complement, a.city, a.state, a.zip_code, a.country, a.ip
      FROM customers c LEFT JOIN addresses a ON a.id = c.address_id ORDER BY c.id`);
  section('Unified customers (customers + main address)', customers.rows, customers.fields.map((f) => f.name));

  const audit = await pool.query(`
    SELECT l.id, c.email, l.field_name, l.old_value, l.new_value, l.changed_by
      FROM customer_logs l JOIN customers c ON c.id = l.customer_id ORDER BY l.id`);
  section(
    'Audit trail (customer_logs): a creation is one row (the email); then one row per field that changed, changed_by = the platform',
    audit.rows,
    audit.fields.map((f) => f.name),
  );

  const provenance = await pool.query(`
    SELECT c.email, p.field, p.platform, p.priority, p.event_time
      FROM custsync.field_provenance p JOIN customers c ON c.id = p.customer_id
     WHERE c.email = 'ana.moreira@example.com' ORDER BY p.field`);
  section('Who set each current value of ana.moreira@example.com (custsync.field_provenance)', provenance.rows, provenance.fields.map((f) => f.name));

  const activity = await pool.query(`
    SELECT c.email, s.last_seen_at, s.last_seen_platform
      FROM custsync.customer_state s JOIN customers c ON c.id = s.customer_id ORDER BY c.email`);
  section('When a source last sent each customer (custsync.customer_state; retention reads it)', activity.rows, activity.fields.map((f) => f.name));

  const letters: Row[] = [];
  const consumer = kafka.consumer({ groupId: `custsync-demo-reader-${run}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic('dead-letters')], fromBeginning: true });
  const highs = await kafkaAdmin.fetchTopicOffsets(topic('dead-letters'));
  const expected = highs.reduce((n, p) => n + Number(p.high), 0);
  await consumer.run({
    eachMessage: async ({ message }) => {
      const h = (k: string) => message.headers?.[k]?.toString() ?? null;
      letters.push({
        reason: h('custsync.reason'),
        platform: h('custsync.platform'),
        source: `${h('custsync.source.topic')}[${h('custsync.source.partition')}]@${h('custsync.source.offset')}`,
        error: h('custsync.error'),
        value: message.value?.toString().slice(0, 60) ?? null,
      });
    },
  });
  await waitUntil('the dead letters', async () => letters.length >= expected, 30_000);
  await consumer.disconnect();
  section(`Dead-letter topic ${topic('dead-letters')} (original bytes, reason and origin in headers)`, letters, ['reason', 'platform', 'source', 'error', 'value']);

  const events: Row[] = [];
  const changes = kafka.consumer({ groupId: `custsync-demo-changes-${run}` });
  await changes.connect();
  await changes.subscribe({ topics: [topic('customer-changes')], fromBeginning: true });
  const changeHighs = await kafkaAdmin.fetchTopicOffsets(topic('customer-changes'));
  const expectedEvents = changeHighs.reduce((n, p) => n + Number(p.high), 0);
  await changes.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value?.toString() ?? '{}') as {
        event_id: string;
        op: string;
        key: { id: number };
        after: { email?: string } | null;
        changes: { field: string }[];
        changed_by: string[];
        sources: { platform: string; event_id: string }[];
      };
      events.push({
        key: message.key?.toString() ?? null,
        op: event.op,
        email: event.after?.email ?? null,
        changed: event.changes.map((c) => c.field).join(','),
        changed_by: event.changed_by.join(','),
        source_events: event.sources.map((x) => x.event_id).join(','),
        event_id: event.event_id,
      });
    },
  });
  await waitUntil('the change events', async () => events.length >= expectedEvents, 30_000);
  await changes.disconnect();
  section(
    `Change events on ${topic('customer-changes')}: one per customer per transaction, keyed by customer id (read from the WAL)`,
    events,
    ['key', 'op', 'email', 'changed', 'changed_by', 'source_events', 'event_id'],
  );

  await kafkaAdmin.disconnect();
  await pool.end();
  say('Done. Explore: psql "postgres://postgres@127.0.0.1:55432/custsync_demo"; stop the services: npm run services:down');
}

main().catch((err: unknown) => {
  process.stderr.write(`custsync demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
