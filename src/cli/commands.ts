import type { Command } from 'commander';
import { registerConfigCommands } from './commands/config.js';
import { registerCustomerCommands } from './commands/customer.js';
import { registerDeadLetterCommands } from './commands/dlq.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerRunCommand } from './commands/run.js';

/** Every subcommand, one module each under `commands/`. */
export function registerCommands(program: Command): void {
  registerRunCommand(program);
  registerMigrateCommand(program);
  registerConfigCommands(program);
  registerCustomerCommands(program);
  registerDeadLetterCommands(program);
}
