/**
 * Log sequence numbers as Postgres prints them (`16/B374D848`) and as
 * numbers for comparison. pgoutput and pg-logical-replication print them
 * differently (zero-padded or not); everything custsync stores or publishes
 * goes through `formatLsn` so one position has one spelling.
 */

export function parseLsn(lsn: string): bigint {
  const slash = lsn.indexOf('/');
  if (slash <= 0 || slash === lsn.length - 1) throw new Error(`not an LSN: ${lsn}`);
  return (BigInt(`0x${lsn.slice(0, slash)}`) << 32n) + BigInt(`0x${lsn.slice(slash + 1)}`);
}

export function formatLsn(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** The canonical spelling of an LSN printed by any tool. */
export function normalizeLsn(lsn: string): string {
  return formatLsn(parseLsn(lsn));
}
