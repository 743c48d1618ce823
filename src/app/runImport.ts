import { resolve } from 'node:path';
import type { Config } from '../runtime/config.js';
import { createPool } from '../runtime/db.js';
import { engineOptionsFromConfig, normalizeOptionsFromConfig, rulesFromConfig } from './settings.js';
import type { Logger } from '../runtime/logger.js';
import { Metrics } from '../runtime/metrics.js';
import { BatchEngine } from '../unifier/engine/BatchEngine.js';
import { Unifier } from '../unifier/Unifier.js';
import { platformMapper } from '../connectors/mappers/registry.js';
import { csvBatches, jsonlBatches, type ImportBatch } from '../connectors/import/importBatches.js';
import { Importer, type ImportSummary } from '../connectors/import/Importer.js';
import { PositionStore, streams } from '../unifier/PositionStore.js';
import type { ImportContext } from '../connectors/import/importItems.js';
import type { InputFileInfo } from '../connectors/import/inputFile.js';
import type { ProgressReporter } from '../connectors/import/progress.js';
import { RejectsFile, type RejectEntry } from '../connectors/import/RejectsFile.js';

export type ImportFormat = 'csv' | 'jsonl';

export interface ImportRequest {
  file: InputFileInfo;
  format: ImportFormat;
  platform: string;
  rejectsPath: string;
  defaultEventTime: Date;
  ignoreUnknownColumns: boolean;
}

export interface ImportOutcome extends ImportSummary {
  /** Where the run started: 1, or the line after what an earlier run applied. */
  resumedAt: number;
  rejectsPath: string;
  /** Rejected lines in the rejects file, from earlier runs included. */
  rejectsInFile: number;
}

/** `FILE.rejected.jsonl` next to the input. */
export function defaultRejectsPath(file: string): string {
  return `${resolve(file)}.rejected.jsonl`;
}

/** Platforms `--platform` may name: jsonl needs a mapper (a Kafka platform); a csv row only needs a priority. */
export function importablePlatforms(config: Config, format: ImportFormat): string[] {
  const names = config.platforms.map((p) => p.name);
  return format === 'csv' ? [...names, ...config.walSources.map((s) => s.name)] : names;
}

export function rejectLine(entry: RejectEntry): string {
  return `line ${entry.line}: ${entry.reason}${entry.path ? ` (${entry.path})` : ''}: ${entry.message}`;
}

/**
 * Imports a file through the same mapper, unifier and audit path as the
 * daemon, one unifier batch (`unifier.batchSize` lines) per transaction,
 * starting after what an earlier run of the same content applied.
 * `onImporter` hands out the importer so a signal handler can stop it.
 */
export async function runImport(
  config: Config,
  request: ImportRequest,
  progress: ProgressReporter,
  logger: Logger,
  onImporter: (importer: Importer) => void,
): Promise<ImportOutcome> {
  const pool = createPool(config.database, logger, 'custsync-import');
  const rejects = new RejectsFile(request.rejectsPath, (entry) => progress.log(rejectLine(entry)));
  try {
    const positions = new PositionStore(pool);
    const stored = await positions.next(streams.import(request.file.sha256));
    const resumeAt = stored ?? 1n;
    const keptRejects = await rejects.prepare(stored);
    const engine = new BatchEngine(pool, rulesFromConfig(config), logger.child({ component: 'engine' }), engineOptionsFromConfig(config));
    // Bad lines are reported by the rejects file; the unifier's per-letter warnings would repeat them.
    const unifierLogger = logger.child({ component: 'unifier' }, { level: 'error' });
    const unifier = new Unifier(positions, engine, rejects, new Metrics(), unifierLogger, normalizeOptionsFromConfig(config));
    const ctx: ImportContext = { platform: request.platform, sha256: request.file.sha256, defaultEventTime: request.defaultEventTime };
    const options = { batchSize: config.unifier.batchSize, resumeAt };
    let batches: AsyncIterable<ImportBatch>;
    if (request.format === 'csv') {
      batches = csvBatches(request.file.path, ctx, { ...options, ignoreUnknownColumns: request.ignoreUnknownColumns });
    } else {
      const platform = config.platforms.find((p) => p.name === request.platform);
      if (!platform) throw new Error(`platform ${request.platform} has no mapper`);
      const known = new Set([...config.platforms.map((p) => p.name), ...config.walSources.map((s) => s.name)]);
      batches = jsonlBatches(request.file.path, { ...ctx, mapper: platformMapper(platform), knownPlatforms: known, maxLineBytes: config.kafka.maxMessageBytes }, options);
    }
    const importer = new Importer(unifier, request.file.sha256, request.file.lines, batches, (state) => progress.update(state), logger);
    // The command reports what ended the import (exit code and message); nothing to log here.
    importer.onFatal = () => undefined;
    onImporter(importer);
    await importer.start();
    await importer.finished;
    const { summary } = importer;
    return { ...summary, resumedAt: Number(resumeAt), rejectsPath: request.rejectsPath, rejectsInFile: keptRejects + rejects.written };
  } finally {
    progress.stop();
    await rejects.close();
    await pool.end();
  }
}
