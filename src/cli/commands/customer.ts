import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { createPool } from '../../runtime/db.js';
import { engineOptionsFromConfig, normalizeOptionsFromConfig, rulesFromConfig } from '../../runtime/daemon.js';
import { UserError } from '../../runtime/errors.js';
import { componentLogger } from '../../runtime/logger.js';
import { BatchEngine } from '../../unifier/engine/BatchEngine.js';
import { normalizeRecord } from '../../unifier/normalize/index.js';
import { OperatorEditError, operatorRecord } from '../../unifier/operatorEdit.js';
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
      let source;
      try {
        source = operatorRecord({ email: options.email, operator, reason: options.reason, assignments: options.set, now: new Date() });
      } catch (err) {
        if (err instanceof OperatorEditError) throw new UserError('CUSTSYNC_USAGE', err.message);
        throw err;
      }
      const normalized = normalizeRecord(source, normalizeOptionsFromConfig(config));
      if (!normalized.ok) throw new UserError('CUSTSYNC_USAGE', `--email: ${normalized.message}`);
      if (normalized.record.dropped.length > 0) {
        const reasons = normalized.record.dropped.map((d) => `${d.field}: ${d.reason}`).join(', ');
        throw new UserError('CUSTSYNC_USAGE', `rejected values (${reasons}); nothing applied`);
      }
      const pool = createPool(config.database, componentLogger(logger, 'postgres'), 'custsync-cli');
      try {
        const { rows } = await pool.query('SELECT 1 FROM customers WHERE lower(email) = $1', [normalized.record.email]);
        if (rows.length === 0) throw new UserError('CUSTSYNC_USAGE', `no customer with email ${normalized.record.email}`);
        const engine = new BatchEngine(pool, rulesFromConfig(config), componentLogger(logger, 'engine'), engineOptionsFromConfig(config));
        const result = await engine.apply({ records: [normalized.record] });
        process.stdout.write(
          result.auditRows > 0
            ? `updated: ${result.auditRows} field(s) changed, audited as operator:${operator}\n`
            : 'nothing changed (values already set, or held by a higher priority)\n',
        );
      } finally {
        await pool.end();
      }
    });
}
