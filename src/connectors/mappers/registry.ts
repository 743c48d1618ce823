import type { PlatformConfig } from '../../runtime/config.js';
import { createDebeziumMapper } from './debezium.js';
import type { Mapper } from './Mapper.js';
import { eduzzMapper } from './eduzz.js';
import { UnknownMapperError } from './errors.js';
import { genericMapper } from './generic.js';
import { hotmartMapper } from './hotmart.js';
import { kiwifyMapper } from './kiwify.js';
import { shopifyMapper } from './shopify.js';
import { stripeMapper } from './stripe.js';

/** Every fixed mapper by the `mapper:` name operators write in config. */
export const MAPPERS: Readonly<Record<string, Mapper>> = Object.freeze(
  Object.fromEntries(
    [genericMapper, hotmartMapper, kiwifyMapper, eduzzMapper, stripeMapper, shopifyMapper].map((mapper) => [
      mapper.name,
      mapper,
    ]),
  ),
);

/** Mappers built from the platform's own settings (its column mapping). */
const CONFIGURED = ['debezium'] as const;

/** Every `mapper:` name a platform may use. */
export const MAPPER_NAMES: readonly string[] = Object.freeze([...Object.keys(MAPPERS), ...CONFIGURED].sort());

/** The mapper with this name; throws UnknownMapperError, listing the valid names, for any other. */
export function mapperFor(name: string): Mapper {
  // Object.hasOwn: a name like "toString" must not find Object.prototype's.
  const mapper = Object.hasOwn(MAPPERS, name) ? MAPPERS[name] : undefined;
  if (!mapper) throw new UnknownMapperError(name, Object.keys(MAPPERS).sort());
  return mapper;
}

const built = new Map<string, Mapper>();

/**
 * The mapper of a platform: a fixed one by name, or one built from its
 * settings (the same settings give the same mapper object, so a reload that
 * changes nothing does not restart the consumer).
 */
export function platformMapper(platform: Pick<PlatformConfig, 'mapper' | 'columns' | 'columnTypes'>): Mapper {
  if (platform.mapper !== 'debezium') return mapperFor(platform.mapper);
  if (!platform.columns) throw new UnknownMapperError(platform.mapper, [...MAPPER_NAMES]);
  const key = JSON.stringify([platform.columns, platform.columnTypes ?? {}]);
  let mapper = built.get(key);
  if (!mapper) {
    mapper = createDebeziumMapper({ columns: platform.columns, columnTypes: platform.columnTypes });
    built.set(key, mapper);
  }
  return mapper;
}
