import type { CountryCode } from 'libphonenumber-js';
import type { Config } from '../runtime/config.js';
import type { BatchEngineOptions } from '../unifier/engine/BatchEngine.js';
import type { NormalizeOptions } from '../unifier/normalize/index.js';
import { priorityRules, type PriorityRules } from '../unifier/priorities.js';

/**
 * What the unifier takes from the configuration: the daemon, `import`,
 * operator edits and merges read the same rules, so a value ranks the same
 * whichever way it arrives. A reload (SIGHUP) applies them again.
 */

export function rulesFromConfig(config: Config): PriorityRules {
  // WAL sources are platforms too: their priority and fieldPriorities rank their values.
  return priorityRules([...config.platforms, ...config.walSources], config.unifier.operatorPriority);
}

export function engineOptionsFromConfig(config: Config): BatchEngineOptions {
  return { maxAttempts: config.unifier.maxAttempts, logInitialValues: config.audit.logInitialValues };
}

export function normalizeOptionsFromConfig(config: Config): NormalizeOptions {
  return { defaultCountry: config.unifier.defaultPhoneCountry as CountryCode };
}
