import { CustsyncError, EXIT, UserError } from '../runtime/errors.js';
import { unreachable, unreachableLine, withoutCredentials, type Endpoints } from '../runtime/unavailable.js';

export interface Outcome {
  /** The process exit code (README, "Exit codes"). */
  code: number;
  /** One line for stderr, without the `custsync: ` prefix. */
  line: string;
}

/**
 * Pure: the exit code and message of a command that failed — the one place
 * that maps errors to exit codes. Usage and configuration errors exit 2, an
 * unreachable Postgres or Kafka exits 3 naming which and where (never a
 * password, never a stack trace), other coded errors exit 1 with their code;
 * only an error custsync did not classify (a bug) shows its stack.
 */
export function outcomeOf(err: unknown, endpoints: Endpoints): Outcome {
  if (err instanceof UserError) return { code: EXIT.USAGE, line: err.message };
  const down = unreachable(err, endpoints);
  if (down) return { code: EXIT.UNAVAILABLE, line: unreachableLine(down) };
  if (err instanceof CustsyncError) return { code: EXIT.FAILURE, line: `${err.code}: ${withoutCredentials(err.message)}` };
  return { code: EXIT.FAILURE, line: `unexpected error: ${withoutCredentials(err instanceof Error ? (err.stack ?? err.message) : String(err))}` };
}
