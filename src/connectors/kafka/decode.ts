import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { Mapper } from '../mappers/Mapper.js';
import { decodePayload } from '../payload.js';
import type { DeadLetterOrigin } from '../../contract.js';
import type { Incoming } from '../../contract.js';

export interface DecodeContext {
  platform: string;
  mapper: Mapper;
  /** Platforms a generic payload may name. */
  knownPlatforms: ReadonlySet<string>;
  maxMessageBytes: number;
}

function headerText(headers: IHeaders | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    out[key] = first === undefined ? undefined : first.toString();
  }
  return out;
}

/**
 * Pure: one Kafka message to what the unifier takes (src/connectors/payload.ts),
 * falling back to topic-partition-offset and the broker timestamp for a
 * payload without an event id or time.
 */
export function decodeMessage(topic: string, partition: number, message: KafkaMessage, context: DecodeContext): Incoming {
  const origin: DeadLetterOrigin = {
    position: { kind: 'kafka', topic, partition, offset: message.offset },
    key: message.key ?? null,
    value: message.value ?? null,
    headers: message.headers ?? {},
    timestamp: message.timestamp,
  };
  const timestamp = new Date(Number(message.timestamp));
  return decodePayload(message.value ?? null, origin, {
    platform: context.platform,
    mapper: context.mapper,
    knownPlatforms: context.knownPlatforms,
    maxBytes: context.maxMessageBytes,
    noun: 'message',
    message: { topic, partition, offset: message.offset, timestamp, headers: headerText(message.headers) },
    fallbackEventId: `${topic}-${partition}-${message.offset}`,
    fallbackEventTime: timestamp,
  });
}
