import type { Command } from 'commander';
import { createDaemon } from '../../app/daemon.js';
import { reloadOnSighup } from '../../app/reload.js';
import { configPath, loadContext, type GlobalOptions } from '../context.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('Run the daemon: consume the configured sources until SIGTERM/SIGINT; SIGHUP reloads the configuration')
    .option('--no-migrate', 'do not apply pending migrations at start-up')
    .action(async (options: { migrate: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const { config, logger } = loadContext(globals, 'stdout');
      const daemon = createDaemon(config, logger, { migrate: options.migrate });
      daemon.lifecycle.handleSignals();
      await daemon.lifecycle.start();
      reloadOnSighup(daemon, configPath(globals), config, logger);
      logger.info(
        { platforms: config.platforms.map((p) => p.name), topics: daemon.kafkaSource.topics, groupId: config.kafka.groupId },
        'custsync running',
      );
    });
}
