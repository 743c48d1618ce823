/**
 * `npm run bench:compression`: what each Kafka codec costs and saves on what
 * custsync produces (change events, dead letters), to choose the default of
 * `kafka.compression`. Part one compresses produce-request-sized batches of
 * change events in-process (ratio, MB/s each way); part two produces the same
 * events through the real broker with each codec (events/s, acks=all).
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { codecFor, compressionType, registerKafkaCodecs } from '../src/connectors/kafka/codecs.js';
import type { KafkaCompression } from '../src/runtime/config.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const BATCH_BYTES = 900_000; // publisher.maxRequestBytes

const NAMES = ['Ana', 'Bruno', 'Carla', 'Diego', 'Elisa', 'Fábio', 'Gabriela', 'Heitor', 'Isabela', 'João'];
const SURNAMES = ['Souza', 'Silva', 'Oliveira', 'Santos', 'Lima', 'Pereira', 'Costa', 'Almeida'];
const CITIES = [['São Paulo', 'SP', '01310-200'], ['Recife', 'PE', '50030-230'], ['Porto Alegre', 'RS', '90010-000'], ['Belo Horizonte', 'MG', '30130-000']] as const;

/** A change event shaped like docs/change-events.md, with values that vary per customer. */
function changeEvent(i: number): Buffer {
  const name = `${NAMES[i % NAMES.length]} ${SURNAMES[(i * 7) % SURNAMES.length]}`;
  const [city, state, zip] = CITIES[i % CITIES.length] as readonly [string, string, string];
  const t = new Date(Date.UTC(2024, 2, 1) + i * 1_337).toISOString();
  const customer = (n: string) => ({
    id: i, email: `${n.toLowerCase().replace(/\s/g, '.')}.${i}@example.com`, name: n, customer_id: `HP-${100_000 + i}`,
    phone_local_code: '11', phone_number: String(900_000_000 + ((i * 7_919) % 99_999_999)), document_type: 'CPF', document_number: String(10_000_000_000 + i * 97),
    address_id: i, created_at: t, updated_at: t,
    main_address: { id: i, address: 'Avenida Paulista', number: String(i % 3_000), complement: null, neighborhood: 'Bela Vista', city, state, zip_code: zip, country: 'BR', ip: `203.0.${i % 256}.${(i * 3) % 256}`, created_at: t, updated_at: t },
  });
  const provenance = { platform: 'stripe', priority: 60, event_time: t, event_id: `evt_${randomBytes(6).toString('hex')}` };
  return Buffer.from(JSON.stringify({
    schema_version: 1, event_id: `0/${(0x1a2b3c48 + i * 512).toString(16).toUpperCase()}:${i}`, op: 'u', key: { id: i },
    before: customer(name), after: customer(`${name} Jr`),
    changes: [{ field: 'name', old: name, new: `${name} Jr`, changed_by: 'stripe', reason: null, provenance }],
    changed_by: ['stripe'], sources: [{ platform: 'stripe', event_id: provenance.event_id }], pseudonymized: false,
    source: { connector: 'custsync', db: 'custsync', schema: 'public', table: 'customers', slot: 'custsync_changes', lsn: '0/1A2B3C48', tx_id: 88_231 + i, ts_ms: Date.parse(t), commit_time: t },
    ts_ms: Date.parse(t) + 300,
  }));
}

const CODECS: Exclude<KafkaCompression, 'none'>[] = ['gzip', 'snappy', 'lz4', 'zstd'];

async function inProcess(events: Buffer[]): Promise<void> {
  const batches: Buffer[] = [];
  let current: Buffer[] = [];
  let size = 0;
  for (const e of events) {
    if (size + e.length > BATCH_BYTES) {
      batches.push(Buffer.concat(current));
      current = [];
      size = 0;
    }
    current.push(e);
    size += e.length;
  }
  if (current.length) batches.push(Buffer.concat(current));
  const raw = batches.reduce((n, b) => n + b.length, 0);
  console.log(`in-process: ${events.length} change events, ${(raw / 1e6).toFixed(1)} MB in ${batches.length} batches of up to ${BATCH_BYTES} bytes`);
  console.log('codec   | ratio  | compress MB/s | decompress MB/s');
  for (const name of CODECS) {
    const codec = codecFor(name);
    let compressed: Buffer[] = [];
    const t0 = process.hrtime.bigint();
    for (let round = 0; round < 3; round += 1) compressed = await Promise.all(batches.map((b) => codec.compress({ buffer: b })));
    const t1 = process.hrtime.bigint();
    for (let round = 0; round < 3; round += 1) for (const c of compressed) await codec.decompress(c);
    const t2 = process.hrtime.bigint();
    const out = compressed.reduce((n, b) => n + b.length, 0);
    const mbps = (ns: bigint) => ((3 * raw) / 1e6 / (Number(ns) / 1e9)).toFixed(0);
    console.log(`${name.padEnd(7)} | ${(out / raw).toFixed(3)}  | ${mbps(t1 - t0).padStart(13)} | ${mbps(t2 - t1).padStart(15)}`);
  }
}

async function throughBroker(events: Buffer[]): Promise<void> {
  registerKafkaCodecs();
  const kafka = new Kafka({ clientId: 'custsync-bench-compression', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  console.log(`\nthrough the broker: ${events.length} events per codec, 3 partitions, acks=all, requests of ~${BATCH_BYTES} bytes`);
  console.log('codec   | events/s');
  const topics: string[] = [];
  try {
    for (const name of ['none', ...CODECS] as KafkaCompression[]) {
      const topic = `bench.compression.${name}.${randomBytes(4).toString('hex')}`;
      topics.push(topic);
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      const started = process.hrtime.bigint();
      let chunk: { key: string; value: Buffer }[] = [];
      let bytes = 0;
      for (let i = 0; i < events.length; i += 1) {
        const value = events[i] as Buffer;
        chunk.push({ key: String(i), value });
        bytes += value.length;
        if (bytes > BATCH_BYTES || i === events.length - 1) {
          await producer.send({ topic, acks: -1, compression: compressionType(name), messages: chunk });
          chunk = [];
          bytes = 0;
        }
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      await producer.disconnect();
      console.log(`${name.padEnd(7)} | ${Math.round(events.length / seconds).toLocaleString('en-US').padStart(8)}`);
    }
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
}

const events = Array.from({ length: EVENTS }, (_, i) => changeEvent(i));
await inProcess(events);
await throughBroker(events);
