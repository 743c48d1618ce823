import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { ID_HEADER, type Outgoing } from './messages.js';
import { testKafka, type ReadMessage } from '../../helpers/kafka.js';
import { FAULT_KAFKA_BROKERS } from './services.js';

/** A client of the suite's own broker, with short retries: the broker comes and goes during a run. */
export function faultKafka(clientId = 'custsync-faults-suite'): Kafka {
  return testKafka(clientId, { brokers: FAULT_KAFKA_BROKERS, connectionTimeout: 3_000, maxRetryTime: 2_000 });
}

export function faultId(message: ReadMessage): number | undefined {
  const id = message.headers[ID_HEADER];
  return id === undefined ? undefined : Number(id);
}

/**
 * Produces a list of messages paced over `durationMs` (so faults happen
 * while it streams), retrying through broker outages. A retried chunk may
 * land twice: the suite reads the topics back, so duplicates are part of the
 * expected input rather than an error.
 */
export class PacedProducer {
  sent = 0;
  failedSends = 0;
  blockedMs = 0;
  private readonly producer: Producer;
  private stopped = false;

  constructor(
    kafka: Kafka,
    private readonly messages: readonly Outgoing[],
    private readonly durationMs: number,
  ) {
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, retry: { retries: 2, maxRetryTime: 1_000 } });
  }

  stop(): void {
    this.stopped = true;
  }

  async run(onProgress?: (sent: number) => void): Promise<void> {
    await this.connect();
    const started = Date.now();
    try {
      while (this.sent < this.messages.length && !this.stopped) {
        const due = Math.min(this.messages.length, Math.ceil((this.messages.length * (Date.now() - started)) / this.durationMs));
        if (this.sent >= due) {
          await new Promise((r) => setTimeout(r, 25));
          continue;
        }
        const chunk = this.nextChunk(Math.min(due - this.sent, 500));
        await this.sendWithRetry(chunk);
        this.sent += chunk.length;
        onProgress?.(this.sent);
      }
    } finally {
      await this.producer.disconnect().catch(() => undefined);
    }
  }

  /** Up to `max` messages of one topic; a large message goes alone (a request must stay under the broker's limit). */
  private nextChunk(max: number): Outgoing[] {
    const first = this.messages[this.sent] as Outgoing;
    if ((first.value?.length ?? 0) > 100_000) return [first];
    const chunk = [first];
    let bytes = first.value?.length ?? 0;
    for (let i = this.sent + 1; i < this.messages.length && chunk.length < max; i += 1) {
      const m = this.messages[i] as Outgoing;
      const size = m.value?.length ?? 0;
      if (size > 100_000 || bytes + size > 900_000) break;
      chunk.push(m);
      bytes += size;
    }
    return chunk;
  }

  private async connect(): Promise<void> {
    for (;;) {
      try {
        await this.producer.connect();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async sendWithRetry(chunk: Outgoing[]): Promise<void> {
    const byTopic = new Map<string, Outgoing[]>();
    for (const m of chunk) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    const topicMessages = [...byTopic].map(([topic, list]) => ({
      topic,
      messages: list.map((m) => ({ key: m.key, value: m.value, headers: { [ID_HEADER]: String(m.id) } })),
    }));
    let blockedSince: number | undefined;
    for (;;) {
      try {
        await this.producer.sendBatch({ acks: -1, topicMessages });
        if (blockedSince !== undefined) this.blockedMs += Date.now() - blockedSince;
        return;
      } catch {
        this.failedSends += 1;
        blockedSince ??= Date.now();
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
