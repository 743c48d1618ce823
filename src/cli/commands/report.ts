import type { Command } from 'commander';
import { DEFAULT_REPORT_OPTIONS, findReport, REPORTS, reportList, type ReportDefinition, type ReportOptionName } from '../../reports/catalog.js';
import { formatRows, type OutputFormat } from '../../reports/format.js';
import { runReport } from '../../reports/run.js';
import { createPool } from '../../runtime/db.js';
import { UserError } from '../../runtime/errors.js';
import { componentLogger } from '../../runtime/logger.js';
import { loadContext, type GlobalOptions } from '../context.js';
import { formatOption, positiveInt, revealOption } from '../outputOptions.js';

interface ReportCommandOptions {
  list?: boolean;
  format: OutputFormat;
  days: number;
  timeZone: string;
  limit?: number;
  reveal: boolean;
}

const FLAG: Record<ReportOptionName, string> = { days: '--days', timeZone: '--time-zone', limit: '--limit', reveal: '--reveal' };

function validNames(): string {
  return REPORTS.map((r) => r.name).join(', ');
}

/** An option given on the command line that the report does not take is refused, not ignored. */
function refuseForeignOptions(report: ReportDefinition, command: Command): void {
  for (const [key, flag] of Object.entries(FLAG) as [ReportOptionName, string][]) {
    if (command.getOptionValueSource(key) === 'cli' && !report.options.includes(key)) {
      throw new UserError('CUSTSYNC_USAGE', `${flag} does not apply to report "${report.name}"`);
    }
  }
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('Print a report: change analysis, data health, inactivity, geography (--list names them)')
    .argument('[name]', 'report name (see --list)')
    .option('--list', 'list the reports, one line each')
    .addOption(formatOption())
    .option('--days <n>', 'inactive: unchanged for more than n days', positiveInt, DEFAULT_REPORT_OPTIONS.days)
    .option('--time-zone <zone>', 'changes-by-day: time zone of the calendar days (e.g. America/Sao_Paulo)', DEFAULT_REPORT_OPTIONS.timeZone)
    .option('--limit <n>', 'inactive: at most n customers', positiveInt)
    .addOption(revealOption())
    .action(async (name: string | undefined, options: ReportCommandOptions, command: Command) => {
      if (options.list) {
        process.stdout.write(reportList());
        return;
      }
      if (name === undefined) throw new UserError('CUSTSYNC_USAGE', `a report name is required; valid names: ${validNames()}`);
      const report = findReport(name);
      if (!report) throw new UserError('CUSTSYNC_USAGE', `unknown report "${name}"; valid names: ${validNames()}`);
      refuseForeignOptions(report, command);
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      const pool = createPool(config.database, componentLogger(logger, 'postgres'), 'custsync-report');
      try {
        const data = await runReport(pool, report, { days: options.days, timeZone: options.timeZone, limit: options.limit ?? null }, options.reveal).catch(
          (err: unknown) => {
            // invalid_parameter_value: Postgres does not know the time zone
            if (report.options.includes('timeZone') && (err as { code?: unknown }).code === '22023') throw new UserError('CUSTSYNC_USAGE', `--time-zone: ${(err as Error).message}`);
            throw err;
          },
        );
        if (options.reveal && report.emailColumns.length > 0) {
          logger.info({ report: report.name, rows: data.rows.length }, 'report printed with personal data revealed');
        }
        process.stdout.write(formatRows(data, options.format));
      } finally {
        await pool.end();
      }
    });
}
