import { loadConfig, DEFAULT_CONFIG_PATH } from '../app/loadConfig.js';
import type { Config } from '../runtime/config.js';
import { createLogger, type Logger } from '../runtime/logger.js';
import { postgresEndpoint, type Endpoints } from '../runtime/unavailable.js';

export interface GlobalOptions {
  config?: string;
}

let endpoints: Endpoints = {};

/** The addresses of the loaded configuration: what an unreachable-service message names when the error does not. */
export function configuredEndpoints(): Endpoints {
  return endpoints;
}

export function configPath(options: GlobalOptions): string {
  return options.config ?? process.env.CUSTSYNC_CONFIG ?? DEFAULT_CONFIG_PATH;
}

/** Loads the configuration and a logger at its level (stderr for one-shot commands keeps stdout for results). */
export function loadContext(options: GlobalOptions, logTo: 'stdout' | 'stderr' = 'stderr'): { config: Config; logger: Logger } {
  const config = loadConfig(configPath(options));
  endpoints = { postgres: postgresEndpoint(config.database.url), kafka: config.kafka.brokers.join(',') };
  const logger =
    logTo === 'stdout'
      ? createLogger({ level: config.log.level })
      : createLogger({ level: config.log.level, pretty: process.stderr.isTTY === true, destination: process.stderr });
  return { config, logger };
}
