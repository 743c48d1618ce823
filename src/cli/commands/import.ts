import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { CsvHeaderError } from '../../connectors/import/csvColumns.js';
import { CsvHeaderMissingError } from '../../connectors/import/importBatches.js';
import type { Importer } from '../../connectors/import/Importer.js';
import { inspectInputFile } from '../../connectors/import/inputFile.js';
import { progressReporter } from '../../connectors/import/progress.js';
import { defaultRejectsPath, importablePlatforms, runImport, type ImportFormat, type ImportOutcome } from '../../app/runImport.js';
import { UserError } from '../../runtime/errors.js';
import { loadContext, type GlobalOptions } from '../context.js';

interface ImportOptions {
  platform: string;
  format?: ImportFormat;
  rejects?: string;
  eventTime?: string;
  ignoreUnknownColumns: boolean;
}

const FORMAT_BY_EXTENSION: Record<string, ImportFormat> = { '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

function formatOf(file: string, given: ImportFormat | undefined): ImportFormat {
  const format = given ?? FORMAT_BY_EXTENSION[extname(file).toLowerCase()];
  if (!format) throw new UserError('CUSTSYNC_USAGE', `--format: cannot tell the format of ${file} from its extension; pass --format csv or --format jsonl`);
  return format;
}

function summaryText(outcome: ImportOutcome, file: string): string {
  const rate = outcome.elapsedMs > 0 ? Math.round((outcome.records * 1000) / outcome.elapsedMs) : 0;
  const lines = [
    `${outcome.stopped ? 'interrupted' : 'imported'} ${file}: line ${outcome.lastLine} of ${outcome.totalLines}${outcome.resumedAt > 1 ? ` (resumed at line ${outcome.resumedAt})` : ''}`,
    `  records:            ${outcome.records}`,
    `  applied:            ${outcome.applied}`,
    `  created customers:  ${outcome.createdCustomers}`,
    `  changed customers:  ${outcome.changedCustomers}`,
    `  audit rows:         ${outcome.auditRows}`,
    `  rejected:           ${outcome.rejected}${outcome.rejectsInFile > 0 ? ` (${outcome.rejectsInFile} in ${outcome.rejectsPath})` : ''}`,
    `  ignored (no data):  ${outcome.ignored}`,
    `  already imported:   ${outcome.alreadyImported}`,
    ...(outcome.suppressed > 0 ? [`  suppressed:         ${outcome.suppressed}`] : []),
    `  time:               ${(outcome.elapsedMs / 1000).toFixed(1)} s, ${rate} records/s`,
  ];
  return `${lines.join('\n')}\n`;
}

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('Import customers from a CSV or JSONL file through the unifier (resumable; bad lines go to a rejects file)')
    .argument('<file>', 'input file')
    .requiredOption('--platform <name>', 'configured platform the records come from (its priority applies; jsonl: its mapper decodes each line)')
    .addOption(new Option('--format <format>', 'input format (default: from the extension, .csv / .jsonl / .ndjson)').choices(['csv', 'jsonl']))
    .option('--rejects <file>', 'where bad lines go, as JSON lines (default: FILE.rejected.jsonl)')
    .option('--event-time <time>', 'event time of lines that carry none, ISO-8601 (default: the file modification time)')
    .option('--ignore-unknown-columns', 'csv: ignore header columns custsync does not know instead of refusing the file', false)
    .action(async (file: string, options: ImportOptions, command: Command) => {
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      const format = formatOf(file, options.format);
      const valid = importablePlatforms(config, format);
      if (!valid.includes(options.platform)) {
        throw new UserError('CUSTSYNC_USAGE', `--platform: "${options.platform}" is not a configured platform${format === 'jsonl' ? ' with a mapper' : ''}; valid: ${valid.join(', ') || '(none configured)'}`);
      }
      let eventTime: Date | undefined;
      if (options.eventTime !== undefined) {
        eventTime = new Date(options.eventTime);
        if (Number.isNaN(eventTime.getTime())) throw new UserError('CUSTSYNC_USAGE', `--event-time: not an ISO-8601 time: ${options.eventTime}`);
      }
      const info = await inspectInputFile(file).catch((err: NodeJS.ErrnoException) => {
        throw new UserError('CUSTSYNC_USAGE', `${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      });

      const progress = progressReporter(process.stderr);
      let importer: Importer | undefined;
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals > 1) process.exit(130);
        progress.log(`${signal}: stopping after the batch in flight (again to quit at once)`);
        void importer?.stop();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let outcome: ImportOutcome;
      try {
        outcome = await runImport(
          config,
          { file: info, format, platform: options.platform, rejectsPath: options.rejects ?? defaultRejectsPath(file), defaultEventTime: eventTime ?? info.modifiedAt, ignoreUnknownColumns: options.ignoreUnknownColumns },
          progress,
          logger,
          (created) => {
            importer = created;
            if (signals > 0) void created.stop();
          },
        );
      } catch (err) {
        if (err instanceof CsvHeaderError || err instanceof CsvHeaderMissingError) throw new UserError('CUSTSYNC_USAGE', `${file}: ${err.message}`);
        throw err;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      process.stdout.write(summaryText(outcome, file));
      if (outcome.stopped) {
        process.stderr.write(`custsync: import stopped after line ${outcome.lastLine}; everything up to it is committed. Run the same command again to resume.\n`);
        process.exitCode = 130;
      }
    });
}
