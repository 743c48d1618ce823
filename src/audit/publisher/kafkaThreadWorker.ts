import { parentPort, workerData } from 'node:worker_threads';
import { Partitioners } from 'kafkajs';
import { createKafka } from '../../connectors/kafka/client.js';
import { compressionType } from '../../connectors/kafka/codecs.js';
import { toCustsyncError } from '../../runtime/errors.js';
import { createLogger } from '../../runtime/logger.js';
import { chunkBytes, chunkMessages } from './encode.js';
import type { ToWorker, FromWorker, WorkerSettings } from './kafkaThread.js';

/*
 * The change topic's producer, on its own thread: record encoding, CRC32C
 * and the sockets cost as much CPU as decoding the WAL, and this way they run
 * beside it. One produce request at a time, in the order chunks came; the
 * chunks that arrive while a request is out go together in the next one (up
 * to maxRequestBytes), so under load the requests grow instead of queueing
 * up one behind the other. After a failure every later chunk is refused, so
 * nothing is written out of order.
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
type Send = Extract<ToWorker, { type: 'send' }>;
let failure: Extract<FromWorker, { type: 'failed' }> | undefined;
const pending: Send[] = [];
let pumping: Promise<void> | undefined;

function post(message: FromWorker): void {
  port?.postMessage(message);
}

/** The chunks of the next request: the oldest, and those after it while they fit. */
function takeRequest(): Send[] {
  const taken: Send[] = [];
  let bytes = 0;
  while (pending.length > 0) {
    const next = pending[0] as Send;
    const size = chunkBytes(next.chunk);
    if (taken.length > 0 && bytes + size > settings.maxRequestBytes) break;
    taken.push(next);
    pending.shift();
    bytes += size;
  }
  return taken;
}

async function pump(): Promise<void> {
  while (pending.length > 0) {
    const request = takeRequest();
    if (failure) {
      for (const send of request) post({ ...failure, seq: send.seq });
      continue;
    }
    try {
      await producer.send({ topic: settings.topic, acks: -1, compression, messages: request.flatMap((send) => chunkMessages(send.chunk, settings.key)) });
      for (const send of request) post({ type: 'sent', seq: send.seq });
    } catch (err) {
      const error = toCustsyncError(err);
      failure = { type: 'failed', seq: -1, error: { code: error.code, message: error.message } };
      for (const send of request) post({ ...failure, seq: send.seq });
    }
  }
}

function drain(): Promise<void> {
  pumping ??= pump().finally(() => {
    pumping = undefined;
  });
  return pumping;
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'send') {
    pending.push(message);
    void drain();
  } else {
    void (async () => {
      while (pumping) await pumping;
      await producer.disconnect().catch(() => undefined);
      post({ type: 'stopped' });
    })();
  }
});

producer.connect().then(
  () => post({ type: 'ready' }),
  (err: unknown) => {
    const error = toCustsyncError(err);
    post({ type: 'failed', seq: -1, error: { code: error.code, message: error.message } });
  },
);
