import { ALL_FIELDS, type Field } from '../contract.js';

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
  // Asked for every field of every record: each platform's answer per field is computed once.
  const table = new Map<string, Partial<Record<Field, number>> | null>();
  const prioritiesOf = (platform: string): Partial<Record<Field, number>> | null => {
    let known = table.get(platform);
    if (known !== undefined) return known;
    const config = byName.get(platform);
    if (platform.startsWith(OPERATOR_PREFIX)) known = Object.fromEntries(ALL_FIELDS.map((f) => [f, operatorPriority]));
    else known = config ? Object.fromEntries(ALL_FIELDS.map((f) => [f, config.fieldPriorities?.[f] ?? config.priority])) : null;
    if (table.size < 10_000) table.set(platform, known); // operator names are many; keep the table bounded
    return known;
  };
  return {
    operatorPriority,
    priorityOf(platform, field) {
      return prioritiesOf(platform)?.[field];
    },
  };
}
