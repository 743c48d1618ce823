import type { PublisherConfig } from '../../runtime/config.js';
import { PACKAGE_VERSION } from '../../runtime/paths.js';
import type { ChangeEvent } from './ChangeEvent.js';
import { DebeziumEncoding, type KeyTemplate } from './debezium.js';

/** How events become Kafka messages: the value of an event, and the key around a customer id. */
export interface EventFormat {
  value: (event: ChangeEvent) => string;
  /** Undefined: the id in decimal (custsync's envelope). */
  key: KeyTemplate | undefined;
}

/** The format `publisher.format` selects. */
export function eventFormat(settings: Pick<PublisherConfig, 'format' | 'debezium'>): EventFormat {
  if (settings.format === 'custsync') return { value: JSON.stringify, key: undefined };
  const encoding = new DebeziumEncoding({ ...settings.debezium, version: `custsync-${PACKAGE_VERSION}` });
  return { value: (event) => encoding.value(event), key: encoding.key };
}
