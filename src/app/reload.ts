import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../runtime/config.js';
import type { Daemon } from './daemon.js';
import { normalizeOptionsFromConfig, rulesFromConfig } from './settings.js';
import { loadConfig } from './loadConfig.js';
import type { Logger } from '../runtime/logger.js';

/** Top-level keys a reload applies live; anything else needs a restart. */
const LIVE_KEYS = ['platforms', 'unifier', 'audit', 'log'] as const;

/** WAL sources' priorities apply live (they are unifier rules); their connections do not. */
function withoutPriorities(sources: Config['walSources']): unknown[] {
  return sources.map(({ priority: _priority, fieldPriorities: _fieldPriorities, ...connection }) => connection);
}

export interface ConfigChanges {
  applied: string[];
  needsRestart: string[];
}

/** Pure: which parts of the configuration changed, and whether a reload can apply them. */
export function configChanges(current: Config, next: Config): ConfigChanges {
  const changes: ConfigChanges = { applied: [], needsRestart: [] };
  for (const key of Object.keys(next) as (keyof Config)[]) {
    if (isDeepStrictEqual(current[key], next[key])) continue;
    if ((LIVE_KEYS as readonly string[]).includes(key)) changes.applied.push(key);
    else if (key === 'walSources' && isDeepStrictEqual(withoutPriorities(current.walSources), withoutPriorities(next.walSources))) changes.applied.push(key);
    else changes.needsRestart.push(key);
  }
  return changes;
}

/**
 * SIGHUP: re-reads the configuration file and applies platform priorities,
 * per-field overrides, topics and mappers, unifier settings and the log
 * level. A file that does not validate is refused with the key at fault and
 * the running configuration stays in force.
 */
export function reloadOnSighup(daemon: Daemon, file: string, initial: Config, logger: Logger): () => void {
  let current = initial;
  let queue = Promise.resolve();
  const reload = async () => {
    let next: Config;
    try {
      next = loadConfig(file);
    } catch (err) {
      logger.error({ file, error: (err as Error).message }, 'configuration reload refused; the running configuration stays in force');
      return;
    }
    const changes = configChanges(current, next);
    daemon.engine.setRules(rulesFromConfig(next));
    daemon.engine.setLogInitialValues(next.audit.logInitialValues);
    daemon.unifier.setNormalizeOptions(normalizeOptionsFromConfig(next));
    logger.level = next.log.level;
    await daemon.kafkaSource.reconfigure(next);
    current = next;
    if (changes.needsRestart.length > 0) {
      logger.warn({ keys: changes.needsRestart }, 'these settings changed but only take effect after a restart');
    }
    logger.info({ file, applied: changes.applied }, 'configuration reloaded');
  };
  const onSighup = () => {
    queue = queue.then(reload).catch((err: unknown) => logger.error({ err }, 'configuration reload failed'));
  };
  process.on('SIGHUP', onSighup);
  return () => process.off('SIGHUP', onSighup);
}
