import { parentPort, workerData } from 'node:worker_threads';
import { Partitioners } from 'kafkajs';
import { createKafka } from '../../connectors/kafka/client.js';
import { compressionType } from '../../connectors/kafka/codecs.js';
import { toCustsyncError } from '../../runtime/errors.js';
import { createLogger } from '../../runtime/logger.js';
import { chunkMessages } from './encode.js';
import type { ToWorker, FromWorker, WorkerSettings } from './kafkaThread.js';

/*
 * The change topic's producer, on its own thread: record encoding, CRC32C
 * and the sockets cost as much CPU as decoding the WAL, and this way they run
 * beside it. Chunks are sent one at a time, in the order they came; after a
 * failure every later chunk is refused, so nothing is written out of order.
 */

const settings = workerData as WorkerSettings;
const port = parentPort;
if (!port) throw new Error('kafkaThreadWorker runs as a worker thread');

const logger = createLogger({ level: settings.logLevel, pretty: false }).child({ component: 'publisher-kafka' });
const kafka = createKafka(settings.kafka, logger, '-publisher');
// Retriable errors are retried without limit, as idempotence requires: a broker that stays away
// stalls publishing (the readiness check reports it), it never reorders it.
const producer = kafka.producer({
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  createPartitioner: Partitioners.DefaultPartitioner,
  retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
});
const compression = compressionType(settings.compression);
let failure: FromWorker | undefined;
let queue: Promise<void> = Promise.resolve();

function post(message: FromWorker): void {
  port?.postMessage(message);
}

async function send(message: Extract<ToWorker, { type: 'send' }>): Promise<void> {
  if (failure) return post({ ...failure, seq: message.seq } as FromWorker);
  try {
    await producer.send({ topic: settings.topic, acks: -1, compression, messages: chunkMessages(message.chunk) });
    post({ type: 'sent', seq: message.seq });
  } catch (err) {
    const error = toCustsyncError(err);
    failure = { type: 'failed', seq: message.seq, error: { code: error.code, message: error.message } };
    post(failure);
  }
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'send') {
    queue = queue.then(() => send(message));
  } else {
    queue = queue.then(async () => {
      await producer.disconnect().catch(() => undefined);
      post({ type: 'stopped' });
    });
  }
});

producer.connect().then(
  () => post({ type: 'ready' }),
  (err: unknown) => {
    const error = toCustsyncError(err);
    post({ type: 'failed', seq: -1, error: { code: error.code, message: error.message } });
  },
);
