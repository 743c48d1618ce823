import type { DebeziumColumnType } from '../../runtime/config.js';

/*
 * Pure: a column value of a Debezium change event, as Kafka Connect's JSON
 * converter wrote it, to custsync's text. Debezium encodes dates, times and
 * decimals as numbers or bytes (Postgres connector defaults:
 * time.precision.mode adaptive, decimal.handling.mode precise); the Connect
 * schema names which, and without schemas the platform's `columnTypes` do.
 * Undefined: no value to take (a column the event does not carry, Debezium's
 * placeholder for an unchanged TOASTed value, raw bytes).
 */

/** What custsync needs of a field's Connect schema. */
export interface ConnectType {
  type?: string;
  name?: string;
  parameters?: Record<string, string>;
}

/** Debezium's stand-in for an unchanged TOASTed column (unavailable.value.placeholder). */
export const UNAVAILABLE_PLACEHOLDER = '__debezium_unavailable_value';

const DAY_MS = 86_400_000;

const pad = (n: number | bigint, width: number) => String(n).padStart(width, '0');

/** Days since the epoch as YYYY-MM-DD. */
export function epochDay(days: number): string | undefined {
  const date = new Date(days * DAY_MS);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().slice(0, 10);
}

/** A count of `unit`-long ticks since midnight (ms: 1e3 per second, µs: 1e6, ns: 1e9) as HH:MM:SS.fraction. */
function timeOfDay(ticks: bigint, perSecond: bigint, digits: number): string {
  const seconds = ticks / perSecond;
  const fraction = ticks % perSecond;
  return `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}.${pad(fraction, digits)}`;
}

/** Ticks since the epoch as YYYY-MM-DDTHH:MM:SS.fraction, without a zone (Debezium's Timestamp types carry local date-times as if UTC). */
function dateTime(ticks: bigint, perSecond: bigint, digits: number): string | undefined {
  // Floor division: instants before the epoch have a negative remainder.
  let seconds = ticks / perSecond;
  let fraction = ticks % perSecond;
  if (fraction < 0n) {
    seconds -= 1n;
    fraction += perSecond;
  }
  const date = new Date(Number(seconds * 1000n));
  if (Number.isNaN(date.getTime())) return undefined;
  const iso = date.toISOString();
  // Years outside 0000-9999 have no plain ISO spelling.
  if (iso.length !== 24) return undefined;
  return `${iso.slice(0, 19)}.${pad(fraction, digits)}`;
}

/** Connect's Decimal: the unscaled value as big-endian two's complement bytes (base64 in JSON), and the scale. */
export function decimalFromBytes(base64: string, scale: number): string | undefined {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) return undefined;
  let unscaled = BigInt(`0x${bytes.toString('hex')}`);
  if ((bytes[0] as number) & 0x80) unscaled -= 1n << BigInt(bytes.length * 8);
  return decimalText(unscaled, scale);
}

/** unscaled × 10^-scale in plain decimal notation. */
export function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  let out: string;
  if (scale <= 0) out = unscaled === 0n ? '0' : digits + '0'.repeat(-scale);
  else {
    const padded = digits.padStart(scale + 1, '0');
    out = `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
  }
  return negative ? `-${out}` : out;
}

function integer(value: unknown): bigint | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return undefined;
}

function plain(value: unknown): string | undefined {
  if (typeof value === 'string') return value === UNAVAILABLE_PLACEHOLDER ? undefined : value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** The logical type named in config (`columnTypes`), as a Connect schema would carry it. */
export function configuredType(type: DebeziumColumnType): ConnectType {
  if (typeof type === 'string') return { name: type };
  return { name: type.name, ...(type.scale === undefined ? {} : { parameters: { scale: String(type.scale) } }) };
}

/** A column value as custsync's text; see the module comment. */
export function decodeValue(value: unknown, type: ConnectType | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  const whole = integer(value);
  switch (type?.name) {
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date':
      return whole === undefined ? plain(value) : epochDay(Number(whole));
    case 'io.debezium.time.Time':
    case 'org.apache.kafka.connect.data.Time':
      return whole === undefined ? plain(value) : timeOfDay(whole, 1_000n, 3);
    case 'io.debezium.time.MicroTime':
      return whole === undefined ? plain(value) : timeOfDay(whole, 1_000_000n, 6);
    case 'io.debezium.time.NanoTime':
      return whole === undefined ? plain(value) : timeOfDay(whole, 1_000_000_000n, 9);
    case 'io.debezium.time.Timestamp':
      return whole === undefined ? plain(value) : dateTime(whole, 1_000n, 3);
    case 'io.debezium.time.MicroTimestamp':
      return whole === undefined ? plain(value) : dateTime(whole, 1_000_000n, 6);
    case 'io.debezium.time.NanoTimestamp':
      return whole === undefined ? plain(value) : dateTime(whole, 1_000_000_000n, 9);
    case 'org.apache.kafka.connect.data.Timestamp': {
      // An instant (java.util.Date), unlike Debezium's local Timestamp types.
      if (whole === undefined) return plain(value);
      const date = new Date(Number(whole));
      return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
    }
    case 'org.apache.kafka.connect.data.Decimal': {
      if (typeof value !== 'string') return plain(value); // decimal.format=NUMERIC writes a number
      return decimalFromBytes(value, Number(type.parameters?.scale ?? '0'));
    }
    case 'io.debezium.data.VariableScaleDecimal': {
      if (typeof value !== 'object' || Array.isArray(value)) return plain(value);
      const { scale, value: bytes } = value as { scale?: unknown; value?: unknown };
      if (typeof scale !== 'number' || typeof bytes !== 'string') return undefined;
      return decimalFromBytes(bytes, scale);
    }
    case 'io.debezium.data.Bits':
      return undefined;
    default:
      // Raw bytes have no sensible text; everything else (strings, ZonedTimestamp, Uuid, Json, Enum, Year, numbers) is taken as written.
      if (type?.type === 'bytes') return undefined;
      return plain(value);
  }
}
