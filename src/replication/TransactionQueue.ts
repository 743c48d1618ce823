/**
 * The queue between a replication stream and the work it feeds (the WAL
 * source's unifier batches, the publisher's Kafka groups). The stream pushes
 * each committed transaction as it arrives; the consumer takes groups of whole
 * transactions and releases their weight (rows, changes) once they are done —
 * applied and committed, or acknowledged by Kafka. While the weight held
 * (queued or taken and not released) is above `pauseAbove`, the stream is
 * paused (backpressure: reading stops, status updates go on); it resumes once
 * the weight is back at `resumeAt` or below.
 */
export interface Pausable {
  pause(): void;
  resume(): void;
}

export interface TransactionQueueOptions {
  pauseAbove: number;
  resumeAt: number;
}

interface Entry<T> {
  item: T;
  weight: number;
}

export class TransactionQueue<T> {
  private readonly entries: Entry<T>[] = [];
  private held = 0;
  private stream: Pausable | undefined;
  private waiting: (() => void) | undefined;

  constructor(private readonly options: TransactionQueueOptions) {}

  /** The stream to pause and resume (set once it exists: it pushes into this queue). */
  attach(stream: Pausable): void {
    this.stream = stream;
  }

  get length(): number {
    return this.entries.length;
  }

  /** The oldest transaction not taken yet. */
  get first(): T | undefined {
    return this.entries[0]?.item;
  }

  /** Weight queued or taken and not released yet. */
  get weight(): number {
    return this.held;
  }

  /** Called by the stream, synchronously, in commit order. */
  push(item: T, weight: number): void {
    this.entries.push({ item, weight });
    this.held += weight;
    if (this.held > this.options.pauseAbove) this.stream?.pause();
    this.wake();
  }

  /**
   * Whole transactions from the head of the queue, their sizes adding up to at
   * most `maxSize` (always at least one), and their weight, to release later.
   */
  take(maxSize: number, sizeOf: (item: T) => number): { items: T[]; weight: number } {
    let size = 0;
    let count = 0;
    for (const { item } of this.entries) {
      const next = sizeOf(item);
      if (count > 0 && size + next > maxSize) break;
      size += next;
      count += 1;
    }
    const taken = this.entries.splice(0, count);
    return { items: taken.map((e) => e.item), weight: taken.reduce((n, e) => n + e.weight, 0) };
  }

  /** The work on taken transactions is done: their weight no longer holds the stream back. */
  release(weight: number): void {
    this.held -= weight;
    if (this.held <= this.options.resumeAt) this.stream?.resume();
  }

  /** Resolves when a transaction arrives, `wake()` is called (a failure, a stop), or after `ms` (never without it). */
  waitForWork(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const previous = this.waiting;
      this.waiting = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      previous?.();
    });
  }

  /** Ends the current wait at once. */
  wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}
