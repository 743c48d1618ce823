#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { PACKAGE_ROOT } from '../runtime/paths.js';
import { registerCommands } from './commands.js';
import { configuredEndpoints } from './context.js';
import { outcomeOf } from './outcome.js';

const { version } = JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };

const program = new Command('custsync')
  .description('Keeps a single customer view in Postgres in sync from Kafka topics and Postgres WAL.')
  .version(version)
  .option('-c, --config <file>', 'configuration file (env CUSTSYNC_CONFIG, default config/custsync.yaml)')
  .showHelpAfterError()
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    const { code, line } = outcomeOf(err, configuredEndpoints());
    process.stderr.write(`custsync: ${line}\n`);
    // A failed start may leave retrying clients behind (a Kafka producer, a pool): the outcome is decided.
    process.exit(code);
  }
}
