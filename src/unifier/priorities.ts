import type { Field } from '../contract.js';

/** Where the priority of each (platform, field) comes from; pure, built from config. */
export interface PriorityRules {
  /**
   * Priority of `platform` for `field`: the per-field override, else the
   * platform's priority; `undefined` for a platform the config does not know.
   */
  priorityOf(platform: string, field: Field): number | undefined;
  /** Priority of operator edits (`operator:<name>`) and of hand edits in SQL. */
  readonly operatorPriority: number;
}

export interface PlatformPriority {
  name: string;
  priority: number;
  fieldPriorities?: Partial<Record<Field, number>>;
}

export const OPERATOR_PREFIX = 'operator:';

/** The `platform` of a record written by an operator command. */
export function operatorPlatform(operator: string): string {
  return `${OPERATOR_PREFIX}${operator}`;
}

/** Builds the rules from the configured platforms. */
export function priorityRules(platforms: readonly PlatformPriority[], operatorPriority: number): PriorityRules {
  const byName = new Map(platforms.map((p) => [p.name, p]));
  return {
    operatorPriority,
    priorityOf(platform, field) {
      if (platform.startsWith(OPERATOR_PREFIX)) return operatorPriority;
      const config = byName.get(platform);
      if (!config) return undefined;
      return config.fieldPriorities?.[field] ?? config.priority;
    },
  };
}
