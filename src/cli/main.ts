#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { CustsyncError, EXIT, UserError } from '../runtime/errors.js';
import { PACKAGE_ROOT } from '../runtime/paths.js';
import { registerCommands } from './commands.js';

const { version } = JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };

const program = new Command('custsync')
  .description('Keeps a single customer view in Postgres in sync from Kafka topics and Postgres WAL.')
  .version(version)
  .option('-c, --config <file>', 'configuration file (env CUSTSYNC_CONFIG, default config/custsync.yaml)')
  .showHelpAfterError()
  .exitOverride();

registerCommands(program);

function exitCodeOf(err: unknown): number {
  if (err instanceof UserError) return EXIT.USAGE;
  if (err instanceof CustsyncError && (err.code === 'CUSTSYNC_DB_UNAVAILABLE' || err.code === 'CUSTSYNC_KAFKA_UNAVAILABLE')) {
    return EXIT.UNAVAILABLE;
  }
  return EXIT.FAILURE;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  } else if (err instanceof UserError) {
    process.stderr.write(`custsync: ${err.message}\n`);
    process.exitCode = EXIT.USAGE;
  } else if (err instanceof CustsyncError) {
    process.stderr.write(`custsync: ${err.code}: ${err.message}\n`);
    process.exitCode = exitCodeOf(err);
  } else {
    process.stderr.write(`custsync: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EXIT.FAILURE;
  }
}
