import type { Command } from 'commander';
import { loadConfig } from '../../app/loadConfig.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('Inspect configuration files');
  config
    .command('check')
    .description('Validate a configuration file (environment overrides applied); exit 2 when invalid')
    .argument('<file>', 'YAML configuration file')
    .action((file: string) => {
      const parsed = loadConfig(file);
      const topics = parsed.platforms.reduce((n, p) => n + p.topics.length, 0);
      process.stdout.write(`${file}: valid (${parsed.platforms.length} platforms, ${topics} topics)\n`);
    });
}
