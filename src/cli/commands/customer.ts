import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { applyOperatorEdit } from '../../app/operatorEdit.js';
import { loadContext, type GlobalOptions } from '../context.js';

interface UpdateOptions {
  email: string;
  set: string[];
  reason: string;
  operator?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerCustomerCommands(program: Command): void {
  const customer = program.command('customer').description('Operator edits of the unified customer');
  customer
    .command('update')
    .description('Set fields of an existing customer at the operator priority, audited as operator:<name> with the reason')
    .requiredOption('--email <email>', "the customer's email (any case/spacing)")
    .requiredOption('--set <field=value>', 'field to set; repeat for several', collect, [])
    .requiredOption('--reason <text>', 'why: kept in customer_logs.reason')
    .option('--operator <name>', 'who is editing (default: the OS user)')
    .action(async (options: UpdateOptions, command: Command) => {
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      const operator = options.operator ?? userInfo().username;
      const result = await applyOperatorEdit(config, logger, { email: options.email, operator, reason: options.reason, assignments: options.set });
      process.stdout.write(
        result.auditRows > 0
          ? `updated: ${result.auditRows} field(s) changed, audited as operator:${operator}\n`
          : 'nothing changed (values already set, or held by a higher priority)\n',
      );
    });
}
