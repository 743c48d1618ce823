import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/audit/publisher/ChangeEvent.js';
import { ChangeReplicationJob, type ChangeReplicationJobOptions } from '../../src/audit/publisher/ChangeReplicationJob.js';
import { PUBLISHED_TABLES } from '../../src/audit/publisher/digest.js';
import type { EncodedChunk } from '../../src/audit/publisher/encode.js';
import { KafkaChangeWriter, type ChangeWriter } from '../../src/audit/publisher/KafkaChangeWriter.js';
import { AddressCache, LookupResolver } from '../../src/audit/publisher/lookups.js';
import { Metrics } from '../../src/runtime/metrics.js';
import { parseLsn } from '../../src/replication/lsn.js';
import { ensurePublication } from '../../src/replication/publication.js';
import { ensureSlot, readSlot } from '../../src/replication/slots.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { waitUntil } from '../helpers/daemon.js';
import { silentLogger, testEngine } from '../helpers/engine.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';
import { record } from '../helpers/records.js';
import { collectTopic, randomSlotName } from '../helpers/replication.js';
import { dropSlotsOf } from '../helpers/db.js';

/**
 * Writes to Kafka, then fails on the chosen write as if the process died
 * before acknowledging the LSN: later writes (the job hands groups over
 * before earlier ones are acknowledged) are never made.
 */
class CrashAfterWrite implements ChangeWriter {
  written = 0;
  private crashed = false;
  private tail: Promise<void> = Promise.resolve();
  constructor(
    private readonly inner: ChangeWriter,
    private readonly crashOnWrite: number,
  ) {}
  write(chunks: readonly EncodedChunk[]): Promise<void> {
    const done = this.tail.then(async () => {
      if (this.crashed) throw new Error('the process is gone');
      await this.inner.write(chunks);
      this.written += 1;
      if (this.written === this.crashOnWrite) {
        this.crashed = true;
        throw new Error('simulated crash between the Kafka ack and the LSN ack');
      }
    });
    this.tail = done.catch(() => undefined);
    return done;
  }
}

describe('a crash between publishing and acknowledging the LSN', () => {
  let db: TestDatabase;
  let kafka: Kafka;
  let producer: Producer;
  const slot = randomSlotName('pub_redeliver');
  const topic = randomTopic('changes');

  beforeAll(async () => {
    db = await freshDatabase();
    kafka = testKafka();
    await createTopics(kafka, [topic], 3);
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    if (db) await dropSlotsOf(db.name);
    await db?.drop();
  });

  it('re-publishes the unacknowledged group with the same event ids, then goes on', async () => {
    await ensurePublication(db.pool, slot, PUBLISHED_TABLES);
    const { slot: created } = await ensureSlot(db.pool, slot, 'change-publisher');
    const engine = testEngine(db.pool);
    for (let t = 1; t <= 5; t += 1) {
      await engine.apply({ records: Array.from({ length: 10 }, (_, i) => record({ platform: 'hotmart', email: `p${i}@example.com`, offset: t * 10 + i, customer: { customer_id: `id-${i}-${t}` } })) });
    }
    const end = parseLsn((await db.pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn ?? '0/0');

    const options = (startLsn: string): ChangeReplicationJobOptions => ({
      databaseUrl: db.url,
      database: db.name,
      slotName: slot,
      publicationName: slot,
      startLsn,
      maxBatchEvents: 10, // one transaction per group
      lingerMs: 5,
      maxRequestBytes: 900_000,
      tombstones: false,
      maxQueuedChanges: 10_000,
      heartbeatIntervalMs: 200,
      lagLogIntervalMs: 60_000,
    });
    const deps = (writer: ChangeWriter) => ({
      db: db.pool,
      heartbeatDb: db.pool,
      writer,
      resolver: new LookupResolver(db.pool, new AddressCache(1_000)),
      metrics: new Metrics(),
      logger: silentLogger,
    });
    const kafkaWriter = new KafkaChangeWriter(producer, { topic, compression: 'none' });
    const crashing = new CrashAfterWrite(kafkaWriter, 2);
    await expect(new ChangeReplicationJob(options(created.confirmedFlushLsn ?? '0/0'), deps(crashing)).run(new AbortController().signal)).rejects.toThrow(/simulated crash/);
    expect(crashing.written).toBe(2);
    // Only the first group was acknowledged to Postgres.
    const afterCrash = await readSlot(db.pool, slot);
    expect(parseLsn(afterCrash?.confirmedFlushLsn ?? '0/0')).toBeLessThan(end);

    const stop = new AbortController();
    const resumed = new ChangeReplicationJob(options(afterCrash?.confirmedFlushLsn ?? '0/0'), deps(kafkaWriter)).run(stop.signal);
    await waitUntil('everything acknowledged', async () => parseLsn((await readSlot(db.pool, slot))?.confirmedFlushLsn ?? '0/0') >= end, 20_000);
    stop.abort();
    await resumed;

    const collector = await collectTopic(kafka, topic);
    try {
      await waitUntil('60 messages', () => collector.messages.length >= 60, 20_000);
    } finally {
      await collector.stop();
    }
    const events = collector.messages.map((m) => m.value as ChangeEvent);
    expect(events).toHaveLength(60); // 50 events + the 10 of the unacknowledged group again
    const counts = new Map<string, ChangeEvent[]>();
    for (const event of events) counts.set(event.event_id, [...(counts.get(event.event_id) ?? []), event]);
    expect(counts.size).toBe(50);
    const twice = [...counts.values()].filter((list) => list.length === 2);
    expect(twice).toHaveLength(10);
    for (const [a, b] of twice) expect({ ...b, ts_ms: 0 }).toEqual({ ...a, ts_ms: 0 });
    expect(new Set(twice.map(([e]) => e?.after?.customer_id?.split('-')[2]))).toEqual(new Set(['2']));
  });
});
