import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { withForgetter } from '../../app/forgetter.js';
import type { Forgetter } from '../../privacy/Forgetter.js';
import type { ForgetOutcome, Requester } from '../../privacy/plan.js';
import { forgetRequest, parseEmailLines } from '../../privacy/requests.js';
import { EXIT, UserError } from '../../runtime/errors.js';
import { maskEmail } from '../../runtime/mask.js';
import { countProgress } from '../countProgress.js';
import { loadContext, type GlobalOptions } from '../context.js';
import { positiveInt } from '../outputOptions.js';

interface ForgetOptions {
  email?: string;
  file?: string;
  requestedBy?: string;
  reason?: string;
  batchSize: number;
}

function describe(outcome: ForgetOutcome): string {
  const who = maskEmail(outcome.email);
  switch (outcome.status) {
    case 'pseudonymized':
      return `pseudonymized ${who}: customer ${outcome.customerIds.join(', ')} anonymized and audited; later events for this email are dropped`;
    case 'suppressed':
      return `no customer to anonymize for ${who}; suppression recorded: later events for this email are dropped`;
    case 'already_forgotten':
      return `already forgotten: ${who} is suppressed and nothing is left to anonymize; nothing changed`;
  }
}

async function forgetOne(forgetter: Forgetter, email: string, requester: Requester): Promise<void> {
  const parsed = forgetRequest(email, requester);
  if (!parsed.ok) throw new UserError('CUSTSYNC_USAGE', `--email: ${parsed.message}`);
  const { outcomes } = await forgetter.forgetEmails([parsed.request]);
  for (const outcome of outcomes) process.stdout.write(`${describe(outcome)}\n`);
}

async function forgetFile(forgetter: Forgetter, file: string, requester: Requester, batchSize: number): Promise<void> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError('CUSTSYNC_USAGE', `--file: cannot read ${file}: ${(err as Error).message}`);
  }
  const { requests, invalid } = parseEmailLines(text, requester);
  // Line numbers only: the file's content is personal data.
  for (const line of invalid) process.stderr.write(`${file}:${line.line}: skipped (${line.reason}): ${line.message}\n`);
  const counts = { pseudonymized: 0, suppressed: 0, already_forgotten: 0 };
  const progress = countProgress(process.stderr, 'forgetting', requests.length);
  try {
    for (let start = 0; start < requests.length; start += batchSize) {
      const batch = requests.slice(start, start + batchSize).map((r) => r.request);
      const { outcomes } = await forgetter.forgetEmails(batch);
      for (const outcome of outcomes) counts[outcome.status] += 1;
      progress.update(Math.min(start + batchSize, requests.length), counts);
    }
  } finally {
    progress.stop();
  }
  process.stdout.write(
    `${file}: ${requests.length} email(s) forgotten: ${counts.pseudonymized} pseudonymized, ` +
      `${counts.suppressed} suppressed without a customer to anonymize, ${counts.already_forgotten} already forgotten; ` +
      `${invalid.length} invalid line(s) skipped\n`,
  );
  if (invalid.length > 0) process.exitCode = EXIT.FAILURE;
}

export function registerForgetCommand(program: Command): void {
  program
    .command('forget')
    .description(
      'Right to be forgotten: pseudonymize the customer as the seed does (plus document, platform id, address, audit values) ' +
        'and suppress the email so later or replayed events are dropped. Idempotent. `forget lift --email E` removes a suppression.',
    )
    .argument('[action]', '"lift": remove the suppression of --email, so its events are applied (and may re-create the person) again')
    .option('--email <email>', "the person's email (any case/spacing)")
    .option('--file <file>', 'one email per line; blank lines and # comments ignored; exit 1 if a line is invalid')
    .option('--requested-by <name>', 'who asked (default: the OS user); kept in the suppression entry and the audit reason')
    .option('--reason <text>', 'why, e.g. the ticket number; kept in the audit row (no personal data here)')
    .option('--batch-size <n>', 'emails per transaction with --file', positiveInt, 500)
    .action(async (action: string | undefined, options: ForgetOptions, command: Command) => {
      if (action !== undefined && action !== 'lift') throw new UserError('CUSTSYNC_USAGE', `unknown action "${action}"; the only action is "lift"`);
      if ((options.email === undefined) === (options.file === undefined)) throw new UserError('CUSTSYNC_USAGE', 'give exactly one of --email or --file');
      if (action === 'lift' && options.email === undefined) throw new UserError('CUSTSYNC_USAGE', 'forget lift takes --email');
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      const requester: Requester = { requestedBy: options.requestedBy ?? userInfo().username, reason: options.reason };
      await withForgetter(config, logger, async (forgetter) => {
        if (action === 'lift') {
          const parsed = forgetRequest(options.email ?? '', requester);
          if (!parsed.ok) throw new UserError('CUSTSYNC_USAGE', `--email: ${parsed.message}`);
          const lifted = await forgetter.lift(parsed.request.email, requester.requestedBy);
          process.stdout.write(
            lifted.lifted
              ? `lifted the suppression of ${maskEmail(parsed.request.email)} (${lifted.reason}, recorded by ${lifted.createdBy} at ${lifted.createdAt?.toISOString()}): its events are applied again\n`
              : `${maskEmail(parsed.request.email)} is not suppressed; nothing to lift\n`,
          );
        } else if (options.file !== undefined) {
          await forgetFile(forgetter, options.file, requester, options.batchSize);
        } else {
          await forgetOne(forgetter, options.email ?? '', requester);
        }
      });
    });
}
