import { parseCsvHeader, type CsvHeader } from './csvColumns.js';
import { delimitCsvRecords, parseRecords, type CsvUnit, type DelimitedUnit } from './csvRecords.js';
import { csvUnitIncoming, jsonlLineIncoming, type ImportContext, type JsonlContext } from './importItems.js';
import { readPhysicalLines } from './inputFile.js';
import type { Incoming } from '../../contract.js';

/** Up to `batchSize` inputs and the last line they cover (blank lines included). */
export interface ImportBatch {
  items: Incoming[];
  lastLine: number;
  /** Lines skipped because a previous run applied them (before `resumeAt`). */
  alreadyImported: number;
}

export interface BatchOptions {
  batchSize: number;
  /** The stored position: lines before it were applied by an earlier run. */
  resumeAt: bigint;
}

export class CsvHeaderMissingError extends Error {}

export async function* jsonlBatches(path: string, ctx: JsonlContext, options: BatchOptions): AsyncGenerator<ImportBatch> {
  let batch: ImportBatch = { items: [], lastLine: 0, alreadyImported: 0 };
  let linesInBatch = 0;
  for await (const { line, bytes } of readPhysicalLines(path)) {
    batch.lastLine = line;
    linesInBatch += 1;
    if (BigInt(line) < options.resumeAt) batch.alreadyImported += 1;
    else if (bytes.toString('latin1').trim() !== '') batch.items.push(jsonlLineIncoming(line, bytes, ctx));
    if (batch.items.length >= options.batchSize) {
      yield batch;
      batch = { items: [], lastLine: line, alreadyImported: 0 };
      linesInBatch = 0;
    }
  }
  if (linesInBatch > 0) yield batch;
}

/**
 * CSV batches. The header is the first non-blank record; it is validated
 * before the first batch, so a bad header fails the import before anything
 * is applied (`CsvHeaderError`, `CsvHeaderMissingError`).
 */
export async function* csvBatches(path: string, ctx: ImportContext, options: BatchOptions & { ignoreUnknownColumns: boolean }): AsyncGenerator<ImportBatch> {
  let header: CsvHeader | undefined;
  let units: DelimitedUnit[] = [];
  let alreadyImported = 0;
  let lastLine = 0;
  const flush = (): ImportBatch => {
    const pending = units.filter((u): u is Extract<DelimitedUnit, { kind: 'pending' }> => u.kind === 'pending');
    const parsed = parseRecords(pending);
    let next = 0;
    const items: Incoming[] = [];
    for (const unit of units) {
      const resolved: CsvUnit = unit.kind === 'pending' ? (parsed[next++] as CsvUnit) : unit;
      if (resolved.kind !== 'blank') items.push(csvUnitIncoming(resolved, header as CsvHeader, ctx));
    }
    const batch = { items, lastLine, alreadyImported };
    units = [];
    alreadyImported = 0;
    return batch;
  };
  for await (const unit of delimitCsvRecords(readPhysicalLines(path))) {
    lastLine = unit.kind === 'blank' || unit.kind === 'pending' ? unit.line : unit.endLine;
    if (unit.kind === 'blank') continue;
    if (!header) {
      const first = unit.kind === 'pending' ? parseRecords([unit])[0] : unit;
      if (first?.kind !== 'record') throw new CsvHeaderMissingError(`line ${unit.line}: the header row is not valid CSV`);
      header = parseCsvHeader(first.fields, options.ignoreUnknownColumns);
      continue;
    }
    if (BigInt(unit.line) < options.resumeAt) {
      alreadyImported += 1;
      continue;
    }
    units.push(unit);
    if (units.length >= options.batchSize) yield flush();
  }
  if (!header) throw new CsvHeaderMissingError('the file has no header row');
  if (units.length > 0 || alreadyImported > 0) yield flush();
}
