import { describe, expect, it } from 'vitest';
import { KafkaDeadLetterSink } from '../../src/connectors/deadLetters.js';
import { randomTopic, testKafka } from '../helpers/kafka.js';
import type { DeadLetter } from '../../src/contract.js';
import { readTopic } from '../helpers/kafka.js';

const letter = (offset: string, value: Buffer): DeadLetter => ({
  origin: { position: { kind: 'kafka', topic: 'source', partition: 0, offset }, key: Buffer.from(`k${offset}`), value, headers: { h: 'v' } },
  platform: 'hotmart',
  reason: 'too_large',
  message: 'too large',
});

describe('the dead-letter sink on the real broker', () => {
  it('sends a letter too large for the dead-letter topic without its value instead of stalling', async () => {
    const kafka = testKafka();
    const topic = randomTopic('small-dlq');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: '2048' }] }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await new KafkaDeadLetterSink(producer, topic).send([letter('1', Buffer.from('small')), letter('2', Buffer.alloc(10_000, 'x'))]);
    await producer.disconnect();

    const letters = await readTopic(kafka, topic, 2);
    expect(letters.map((l) => [l.key?.toString(), l.value?.toString() ?? null, l.headers['custsync.source.offset'], l.headers.h])).toEqual([
      ['k1', 'small', '1', 'v'],
      ['k2', null, '2', 'v'],
    ]);
    expect(letters[1]?.headers['custsync.value-omitted']).toBe('10000 bytes: larger than the dead-letter topic accepts');
  });
});
