import { parseLsn } from '../../replication/lsn.js';
import type { ChangeEvent, CustomerImage, MainAddress } from './ChangeEvent.js';
import { keySchema, valueSchema, type DebeziumNames } from './debeziumSchema.js';

/*
 * Pure: a custsync change event as Debezium's Postgres connector would have
 * written the change of the `customers` row through Kafka Connect's JSON
 * converter, with or without schemas (docs/change-events.md, "For Debezium
 * users"). `before` and `after` are the bare rows; what custsync knows
 * besides (the changed fields with who changed them and their provenance,
 * the main address, the event id) goes into the `custsync` block, which
 * Debezium consumers skip. Values are written as text directly: this runs
 * for every event, on the publisher's hot path.
 */

export interface DebeziumFormat {
  /** Debezium's `topic.prefix`: names the schemas (`<serverName>.public.customers.Value`) and `source.name`. */
  serverName: string;
  /** The JSON converter's schemas.enable: each key and value as {schema, payload}. */
  schemas: boolean;
  /** Written to source.version. */
  version: string;
}

export const DEBEZIUM_NAMES = { schema: 'public', table: 'customers' } as const;

/** The Kafka message key of a customer, as text around the id (the producer thread only has the ids). */
export interface KeyTemplate {
  prefix: string;
  suffix: string;
}

const text = (value: string | null): string => (value === null ? 'null' : JSON.stringify(value));
const int = (value: number | null): string => (value === null ? 'null' : String(value));

/** A `customers` row in column order, as Debezium writes it (timestamps already in ZonedTimestamp's spelling). */
function row(c: CustomerImage | null): string {
  if (!c) return 'null';
  return (
    `{"id":${c.id},"email":${text(c.email)},"name":${text(c.name)},"customer_id":${text(c.customer_id)},` +
    `"address_id":${int(c.address_id)},"created_at":${text(c.created_at)},"updated_at":${text(c.updated_at)},` +
    `"phone_local_code":${text(c.phone_local_code)},"phone_number":${text(c.phone_number)},` +
    `"document_type":${text(c.document_type)},"document_number":${text(c.document_number)}}`
  );
}

function address(a: MainAddress | null | undefined): string {
  return a ? JSON.stringify(a) : 'null';
}

/** Epoch milliseconds as microseconds and nanoseconds, exactly (nanoseconds exceed 2^53). */
const micros = (ms: number) => (ms === 0 ? '0' : `${ms}000`);
const nanos = (ms: number) => (ms === 0 ? '0' : `${ms}000000`);

export class DebeziumEncoding {
  readonly key: KeyTemplate;
  private readonly valueHead: string;
  private readonly valueTail: string;
  private readonly sourceHead: string;

  constructor(format: DebeziumFormat) {
    const names: DebeziumNames = { serverName: format.serverName, ...DEBEZIUM_NAMES };
    this.key = format.schemas ? { prefix: `{"schema":${JSON.stringify(keySchema(names))},"payload":{"id":`, suffix: '}}' } : { prefix: '{"id":', suffix: '}' };
    this.valueHead = format.schemas ? `{"schema":${JSON.stringify(valueSchema(names))},"payload":` : '';
    this.valueTail = format.schemas ? '}' : '';
    this.sourceHead = `{"version":${JSON.stringify(format.version)},"connector":"postgresql","name":${JSON.stringify(format.serverName)},`;
  }

  /** The Kafka message key of a customer. */
  keyOf(id: number): string {
    return `${this.key.prefix}${id}${this.key.suffix}`;
  }

  /** The message value: the envelope (with its schema when schemas are on). */
  value(event: ChangeEvent): string {
    return this.valueHead + this.payload(event) + this.valueTail;
  }

  private payload(event: ChangeEvent): string {
    const { source } = event;
    const lsn = String(parseLsn(source.lsn));
    const ms = source.ts_ms;
    // custsync publishes one event per customer per transaction: lsn and sequence carry the commit LSN.
    const sourceText =
      `${this.sourceHead}"ts_ms":${ms},"snapshot":${event.op === 'r' ? '"incremental"' : '"false"'},"db":${JSON.stringify(source.db)},` +
      `"sequence":${JSON.stringify(JSON.stringify([lsn, lsn]))},"ts_us":${micros(ms)},"ts_ns":${nanos(ms)},` +
      `"schema":"public","table":"customers","txId":${source.tx_id},"lsn":${lsn},"xmin":null,"origin":null,"origin_lsn":null}`;
    const extension =
      `{"schema_version":${event.schema_version},"event_id":${JSON.stringify(event.event_id)},"changes":${JSON.stringify(event.changes)},` +
      `"changed_by":${JSON.stringify(event.changed_by)},"sources":${JSON.stringify(event.sources)},"pseudonymized":${event.pseudonymized},` +
      `"main_address":{"before":${address(event.before?.main_address)},"after":${address(event.after?.main_address)}}}`;
    return (
      `{"before":${row(event.before)},"after":${row(event.after)},"source":${sourceText},"transaction":null,` +
      `"op":"${event.op}","ts_ms":${event.ts_ms},"ts_us":${micros(event.ts_ms)},"ts_ns":${nanos(event.ts_ms)},"custsync":${extension}}`
    );
  }
}
