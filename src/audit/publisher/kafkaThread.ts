import { Worker } from 'node:worker_threads';
import type { KafkaConfig } from '../../runtime/config.js';
import { CustsyncError, type ErrorCode } from '../../runtime/errors.js';
import type { ChangeEvent } from './ChangeEvent.js';
import type { ChangeWriter } from './KafkaChangeWriter.js';

/** What the producer thread needs; plain data (structured-cloned into the thread). */
export interface WorkerSettings {
  kafka: KafkaConfig;
  topic: string;
  compression: 'gzip' | 'none';
  logLevel: string;
}

export type ToWorker =
  | { type: 'send'; seq: number; data: ArrayBuffer; lengths: Uint32Array; keys: Int32Array }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'sent'; seq: number }
  | { type: 'failed'; seq: number; error: { code: ErrorCode; message: string; retriable: boolean } }
  | { type: 'stopped' };

export interface ThreadedKafkaChangeWriterOptions extends WorkerSettings {
  /** Upper bound of one produce request's payload (see KafkaChangeWriterOptions). */
  maxRequestBytes: number;
}

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
 * kafkaThreadWorker.ts). Events are serialized here, packed into one buffer
 * per produce request and handed over without copying; `write` resolves once
 * Kafka acknowledged all of them. One writer per leadership term: after a
 * failure it refuses everything (the term restarts from the slot).
 */
export class ThreadedKafkaChangeWriter implements ChangeWriter {
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private broken: Error | undefined;
  private exited = false;
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly maxRequestBytes: number,
  ) {}

  /** Starts the thread and connects its producer. */
  static async start(options: ThreadedKafkaChangeWriterOptions): Promise<ThreadedKafkaChangeWriter> {
    const { maxRequestBytes, ...settings } = options;
    const worker = startWorker(settings);
    const writer = new ThreadedKafkaChangeWriter(worker, maxRequestBytes);
    try {
      await new Promise<void>((resolve, reject) => {
        writer.pending.set(-1, { resolve, reject });
        worker.on('message', (message: FromWorker) => writer.onMessage(message));
        worker.on('error', (err) => writer.fail(err));
        worker.on('exit', (code) => {
          writer.exited = true;
          writer.fail(new CustsyncError('CUSTSYNC_INTERNAL', `the Kafka producer thread exited (code ${code})`));
        });
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return writer;
  }

  async write(events: readonly ChangeEvent[]): Promise<void> {
    if (this.broken) throw this.broken;
    const acks: Promise<void>[] = [];
    let jsons: string[] = [];
    let keys: number[] = [];
    let lengths: number[] = [];
    let bytes = 0;
    for (const event of events) {
      const json = JSON.stringify(event);
      const length = Buffer.byteLength(json);
      if (jsons.length > 0 && bytes + length + 64 > this.maxRequestBytes) {
        acks.push(this.post(jsons, keys, lengths, bytes));
        jsons = [];
        keys = [];
        lengths = [];
        bytes = 0;
      }
      jsons.push(json);
      keys.push(event.key.id);
      lengths.push(length);
      bytes += length + 64;
    }
    if (jsons.length > 0) acks.push(this.post(jsons, keys, lengths, bytes));
    await Promise.all(acks);
  }

  /** One produce request: the values packed into one buffer, handed to the thread without a copy. */
  private post(jsons: string[], keys: number[], lengths: number[], bytes: number): Promise<void> {
    const data = Buffer.allocUnsafeSlow(bytes);
    let offset = 0;
    for (const json of jsons) offset += data.write(json, offset);
    const seq = this.seq++;
    const message: ToWorker = { type: 'send', seq, data: data.buffer as ArrayBuffer, lengths: Uint32Array.from(lengths), keys: Int32Array.from(keys) };
    return new Promise<void>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage(message, [message.data]);
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
      const error = new CustsyncError(message.error.code, `change topic: ${message.error.message}`, { retriable: message.error.retriable });
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
