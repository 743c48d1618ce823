import type { Config } from '../runtime/config.js';
import { createPool } from '../runtime/db.js';
import { UserError } from '../runtime/errors.js';
import { componentLogger, type Logger } from '../runtime/logger.js';
import { BatchEngine } from '../unifier/engine/BatchEngine.js';
import { normalizeRecord } from '../unifier/normalize/index.js';
import { OperatorEditError, operatorRecord } from '../unifier/operatorEdit.js';
import { engineOptionsFromConfig, normalizeOptionsFromConfig, rulesFromConfig } from './settings.js';

export interface OperatorEditRequest {
  email: string;
  operator: string;
  reason: string;
  /** `field=value` pairs as typed on the command line. */
  assignments: string[];
}

/**
 * `custsync customer update`: the seed's update_customer through the same
 * normalization, survivorship and audit path as every source, at the operator
 * priority. Returns the number of audit rows written (0: nothing changed).
 * Wrong input is a UserError (exit 2) and nothing is applied.
 */
export async function applyOperatorEdit(config: Config, logger: Logger, request: OperatorEditRequest): Promise<{ auditRows: number }> {
  let source;
  try {
    source = operatorRecord({ ...request, now: new Date() });
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
    return { auditRows: result.auditRows };
  } finally {
    await pool.end();
  }
}
