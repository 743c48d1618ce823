import { execFileSync } from 'node:child_process';
import type { Kafka } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../../src/app/daemon.js';
import { parseConfig } from '../../src/app/loadConfig.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { caughtUp, testConfig, waitUntil } from '../helpers/daemon.js';
import { KAFKA_BROKERS } from '../helpers/env.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';
import { readState } from '../helpers/state.js';

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;

function kcatProduce(topic: string, codec: string, lines: string[]): void {
  execFileSync('kcat', ['-P', '-b', KAFKA_BROKERS.join(','), '-t', topic, '-z', codec, '-k', codec], { input: `${lines.join('\n')}\n` });
}

/** Every message of a topic as kcat (librdkafka, an independent client) reads it: `reason|value`. */
function kcatConsume(topic: string, count: number): string[] {
  const out = execFileSync('kcat', ['-C', '-b', KAFKA_BROKERS.join(','), '-t', topic, '-o', 'beginning', '-c', String(count), '-e', '-q', '-f', '%h|%s\\n'], { timeout: 30_000 });
  return out.toString().trim().split('\n');
}

describe('compressed topics (messages written by kcat with every codec)', () => {
  let db: TestDatabase;
  let kafka: Kafka;
  let daemon: Daemon;
  const topic = randomTopic('compressed');
  const deadLetterTopic = randomTopic('dlq');

  beforeAll(async () => {
    db = await freshDatabase();
    kafka = testKafka();
    await createTopics(kafka, [topic, deadLetterTopic], 1);
    const raw = testConfig({
      databaseUrl: db.url,
      groupId: randomTopic('group'),
      deadLetterTopic,
      changeTopic: randomTopic('changes'),
      platforms: [{ name: 'crm', mapper: 'generic', priority: 70, topics: [topic] }],
    });
    // Dead letters compressed too: an independent client must read them.
    (raw.kafka as Record<string, unknown>).compression = 'zstd';
    const config = parseConfig(raw, 'test-config', {});
    daemon = createDaemon(config, pino({ level: 'silent' }), { migrate: false, httpPort: 0 });
    await daemon.lifecycle.start();
  });
  afterAll(async () => {
    await daemon?.lifecycle.stop();
    await db?.drop();
  });

  it('applies gzip, snappy, lz4 and zstd batches alike, and its zstd dead letters are readable by librdkafka', async () => {
    for (const codec of CODECS) {
      const lines = Array.from({ length: 50 }, (_, i) =>
        JSON.stringify({ eventId: `${codec}-${i}`, eventTime: '2024-05-01T12:00:00Z', email: `${codec}.${i}@example.org`, customer: { name: `Codec ${codec} ${i}` } }),
      );
      kcatProduce(topic, codec, lines);
    }
    kcatProduce(topic, 'lz4', ['{"not": "a generic record"']);
    await waitUntil('the daemon to catch up', () => caughtUp(kafka, db.pool, [topic]), 60_000);

    const customers = (await readState(db.pool)).customers;
    for (const codec of CODECS) {
      const mine = customers.filter((c) => c.email.startsWith(`${codec}.`));
      expect(mine, codec).toHaveLength(50);
      expect(mine.find((c) => c.email === `${codec}.7@example.org`)?.values.name).toBe(`Codec ${codec} 7`);
    }
    const [letter] = kcatConsume(deadLetterTopic, 1);
    expect(letter).toContain('custsync.reason=invalid_json');
    expect(letter).toContain('{"not": "a generic record"');
  });
});
