import type { Command } from 'commander';
import { registerConfigCommands } from './commands/config.js';
import { registerCustomerCommands } from './commands/customer.js';
import { registerDeadLetterCommands } from './commands/dlq.js';
import { registerDuplicatesCommand } from './commands/duplicates.js';
import { registerExportCommand } from './commands/export.js';
import { registerForgetCommand } from './commands/forget.js';
import { registerImportCommand } from './commands/import.js';
import { registerMergeCommand } from './commands/merge.js';
import { registerReportCommand } from './commands/report.js';
import { registerRetentionCommands } from './commands/retention.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerPositionsCommands } from './commands/positions.js';
import { registerRunCommand } from './commands/run.js';
import { registerSnapshotCommand } from './commands/snapshot.js';
import { registerStatusCommand } from './commands/status.js';

/** Every subcommand, one module each under `commands/`. */
export function registerCommands(program: Command): void {
  registerRunCommand(program);
  registerMigrateCommand(program);
  registerConfigCommands(program);
  registerCustomerCommands(program);
  registerDeadLetterCommands(program);
  registerReportCommand(program);
  registerDuplicatesCommand(program);
  registerMergeCommand(program);
  registerImportCommand(program);
  registerForgetCommand(program);
  registerExportCommand(program);
  registerRetentionCommands(program);
  registerStatusCommand(program);
  registerPositionsCommands(program);
  registerSnapshotCommand(program);
}
