import type { Mapper } from './Mapper.js';
import { eduzzMapper } from './eduzz.js';
import { UnknownMapperError } from './errors.js';
import { genericMapper } from './generic.js';
import { hotmartMapper } from './hotmart.js';
import { kiwifyMapper } from './kiwify.js';
import { shopifyMapper } from './shopify.js';
import { stripeMapper } from './stripe.js';

/** Every mapper by the `mapper:` name operators write in config. */
export const MAPPERS: Readonly<Record<string, Mapper>> = Object.freeze(
  Object.fromEntries(
    [genericMapper, hotmartMapper, kiwifyMapper, eduzzMapper, stripeMapper, shopifyMapper].map((mapper) => [
      mapper.name,
      mapper,
    ]),
  ),
);

/** The mapper with this name; throws UnknownMapperError, listing the valid names, for any other. */
export function mapperFor(name: string): Mapper {
  // Object.hasOwn: a name like "toString" must not find Object.prototype's.
  const mapper = Object.hasOwn(MAPPERS, name) ? MAPPERS[name] : undefined;
  if (!mapper) throw new UnknownMapperError(name, Object.keys(MAPPERS).sort());
  return mapper;
}
