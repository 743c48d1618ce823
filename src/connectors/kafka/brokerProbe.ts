import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';
import { API, decodeFetch, decodeMetadata, encodeFetch, encodeMetadata, FETCH_VERSION, METADATA_VERSIONS, NO_TOPIC_ID, type FetchedPartition } from './wire.js';

/*
 * The only module that reaches into kafkajs' internals. kafkajs 2.2.4 (pinned
 * in package.json, and unmaintained since 2023) has no public API for two
 * things custsync needs: fetching one partition without decoding the whole
 * response (a consumer's fetch fails as a whole on one undecodable batch),
 * and Metadata v10+ (topic ids). Both go through kafkajs' own cluster and
 * broker connections, so TLS, SASL and the retry policy are the client's;
 * only the request bodies are custsync's (wire.ts). test/integration covers
 * both, so an upgrade that changes the internals fails a test, not a
 * production start.
 */

const require = createRequire(import.meta.url);

interface ProtocolRequest {
  request: { apiKey: number; apiVersion: number; apiName: string; encode: () => Promise<{ buf: Buffer; buffer: Buffer }> };
  response: { decode: (payload: Buffer) => Promise<Buffer>; parse: (data: Buffer) => Promise<Buffer> };
  logResponseError?: boolean;
}

/** What custsync uses of kafkajs' Broker and Cluster (src/broker, src/cluster). */
interface InternalBroker {
  versions: Record<number, { minVersion: number; maxVersion: number }> | null;
  connectionPool: { send(request: ProtocolRequest): Promise<Buffer> };
}
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findBroker(options: { nodeId: number }): Promise<InternalBroker>;
}
type CreateCluster = (options: { allowAutoTopicCreation: boolean }) => InternalCluster;

interface DecodedRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[] | string | undefined>;
  timestamp: string;
  isControlRecord?: boolean;
}
type RecordBatchDecoder = (decoder: unknown) => Promise<{ records: DecodedRecord[]; isControlBatch: boolean }>;
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as RecordBatchDecoder;
const KafkaDecoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;

function createClusterOf(kafka: Kafka): CreateCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = symbol ? (kafka as unknown as Record<symbol, unknown>)[symbol] : undefined;
  if (typeof create !== 'function') throw new Error('kafkajs internals changed: Kafka has no createCluster (brokerProbe.ts expects kafkajs 2.2.x)');
  return create as CreateCluster;
}

function body(buffer: Buffer) {
  // kafkajs' request writer takes anything shaped like its Encoder.
  return async () => ({ buf: buffer, buffer });
}

const raw = { decode: async (payload: Buffer) => payload, parse: async (data: Buffer) => data };

/** The records of one stored batch as the kafkajs consumer would decode them; throws what the consumer would. */
export async function decodeStoredBatch(bytes: Buffer): Promise<{ records: DecodedRecord[]; control: boolean }> {
  const batch = await decodeRecordBatch(new KafkaDecoder(bytes));
  return { records: batch.records, control: batch.isControlBatch };
}

export type { DecodedRecord };

/** Raw single-partition fetches and topic ids, on a cluster connection of its own. */
export class BrokerProbe {
  private cluster: InternalCluster | undefined;

  constructor(private readonly kafka: Kafka) {}

  private async connected(topics: string[]): Promise<InternalCluster> {
    this.cluster ??= createClusterOf(this.kafka).call(this.kafka, { allowAutoTopicCreation: false });
    await this.cluster.connect();
    await this.cluster.addMultipleTargetTopics(topics);
    return this.cluster;
  }

  private async leaderOf(topic: string, partition: number): Promise<InternalBroker> {
    const cluster = await this.connected([topic]);
    let meta = cluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === partition);
    if (!meta) {
      await cluster.refreshMetadata();
      meta = cluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === partition);
    }
    if (!meta) throw new Error(`${topic}[${partition}]: no such partition`);
    return cluster.findBroker({ nodeId: meta.leader });
  }

  /** The partition's stored batches from `offset`, about `maxBytes` of them, undecoded. */
  async fetch(topic: string, partition: number, offset: bigint, maxBytes: number): Promise<FetchedPartition> {
    const broker = await this.leaderOf(topic, partition);
    const payload = await broker.connectionPool.send({
      request: { apiKey: API.fetch, apiVersion: FETCH_VERSION, apiName: 'Fetch', encode: body(encodeFetch(topic, partition, offset, maxBytes)) },
      response: raw,
      logResponseError: false,
    });
    return decodeFetch(payload);
  }

  /**
   * Topic ids by name (Metadata v10+; Kafka 2.8 and later). null for a topic
   * the broker has no id for, or every topic when the broker is older.
   */
  async topicIds(topics: readonly string[]): Promise<Map<string, string | null>> {
    const ids = new Map<string, string | null>(topics.map((t) => [t, null]));
    if (topics.length === 0) return ids;
    const [first] = topics as [string];
    const broker = await this.leaderOf(first, 0).catch(async () => (await this.connected([...topics])).findBroker({ nodeId: -1 }));
    const supported = broker.versions?.[API.metadata]?.maxVersion ?? 0;
    if (supported < METADATA_VERSIONS.min) return ids;
    const version = Math.min(supported, METADATA_VERSIONS.max);
    const payload = await broker.connectionPool.send({
      request: { apiKey: API.metadata, apiVersion: version, apiName: 'Metadata', encode: body(encodeMetadata(topics, version)) },
      response: raw,
      logResponseError: false,
    });
    for (const topic of decodeMetadata(payload, version)) {
      if (topic.errorCode === 0 && topic.topicId !== NO_TOPIC_ID) ids.set(topic.name, topic.topicId);
    }
    return ids;
  }

  async disconnect(): Promise<void> {
    await this.cluster?.disconnect().catch(() => undefined);
    this.cluster = undefined;
  }
}
