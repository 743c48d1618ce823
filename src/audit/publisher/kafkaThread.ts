import { Worker } from 'node:worker_threads';
import type { KafkaCompression, KafkaConfig } from '../../runtime/config.js';
import { CustsyncError, type ErrorCode } from '../../runtime/errors.js';
import type { KeyTemplate } from './debezium.js';
import type { EncodedChunk } from './encode.js';
import type { ChangeWriter } from './KafkaChangeWriter.js';

/** What the producer thread needs; plain data (structured-cloned into the thread). */
export interface WorkerSettings {
  kafka: KafkaConfig;
  topic: string;
  compression: KafkaCompression;
  logLevel: string;
  /** Chunks that wait while a request is out are sent together, up to this many bytes. */
  maxRequestBytes: number;
  /** Message keys around the customer id (publisher.format: debezium); the bare id when absent. */
  key?: KeyTemplate;
}

export type ToWorker =
  | { type: 'send'; seq: number; chunk: EncodedChunk }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'sent'; seq: number }
  | { type: 'failed'; seq: number; error: { code: ErrorCode; message: string } }
  | { type: 'stopped' };

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * From dist the thread runs the built .js file. From the sources (tsx,
 * vitest) it runs the .ts file through tsx, registered inside the thread:
 * Node 20 does not pass the parent's module hooks to workers.
 */
function startWorker(settings: WorkerSettings): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./kafkaThreadWorker.js', import.meta.url), { workerData: settings });
  // The eval'd bootstrap resolves bare names from the working directory; prefer this module's resolution.
  const tsx = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';
  const entry = new URL('./kafkaThreadWorker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, workerData: settings });
}

/**
 * A ChangeWriter whose Kafka producer runs on a worker thread (see
 * kafkaThreadWorker.ts). Events come serialized (encode.ts), one buffer per
 * produce request, and are handed over without copying; `write` resolves once
 * Kafka acknowledged all of them. One writer per leadership term: after a
 * failure it refuses everything (the term restarts from the slot).
 */
export class ThreadedKafkaChangeWriter implements ChangeWriter {
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private broken: Error | undefined;
  private exited = false;
  private stopped: Promise<void> | undefined;

  /** Settles when the producer is connected: the thread starts meanwhile, beside the stream. */
  readonly ready: Promise<void>;

  private constructor(private readonly worker: Worker) {
    this.ready = new Promise<void>((resolve, reject) => this.pending.set(-1, { resolve, reject }));
    this.ready.catch(() => undefined); // observed by `write` and by the owner
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      this.exited = true;
      this.fail(new CustsyncError('CUSTSYNC_INTERNAL', `the Kafka producer thread exited (code ${code})`));
    });
  }

  /** Starts the thread, which connects its producer; `ready` tells when it has. */
  static launch(options: WorkerSettings): ThreadedKafkaChangeWriter {
    return new ThreadedKafkaChangeWriter(startWorker(options));
  }

  async write(chunks: readonly EncodedChunk[]): Promise<void> {
    await this.ready;
    if (this.broken) throw this.broken;
    await Promise.all(chunks.map((chunk) => this.post(chunk)));
  }

  /** One produce request; the chunk's buffer moves to the thread without a copy (it is unusable here afterwards). */
  private post(chunk: EncodedChunk): Promise<void> {
    const seq = this.seq++;
    const message: ToWorker = { type: 'send', seq, chunk };
    return new Promise<void>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage(message, [chunk.data]);
    });
  }

  /** Disconnects the producer and ends the thread. Safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      if (!this.exited) {
        const done = new Promise<void>((resolve) => this.pending.set(-2, { resolve, reject: () => resolve() }));
        this.worker.postMessage({ type: 'stop' } satisfies ToWorker);
        await Promise.race([done, new Promise((r) => setTimeout(r, 5_000).unref())]);
      }
      await this.worker.terminate();
    })();
    return this.stopped;
  }

  private onMessage(message: FromWorker): void {
    if (message.type === 'ready') this.settle(-1);
    else if (message.type === 'sent') this.settle(message.seq);
    else if (message.type === 'stopped') this.settle(-2);
    else {
      const error = new CustsyncError(message.error.code, `change topic: ${message.error.message}`);
      this.broken ??= error;
      const entry = this.pending.get(message.seq);
      this.pending.delete(message.seq);
      entry?.reject(error);
    }
  }

  private settle(seq: number): void {
    const entry = this.pending.get(seq);
    this.pending.delete(seq);
    entry?.resolve();
  }

  private fail(err: Error): void {
    this.broken ??= err;
    for (const entry of this.pending.values()) entry.reject(err);
    this.pending.clear();
  }
}
