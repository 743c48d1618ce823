import { describe, expect, it } from 'vitest';
import { UnknownMapperError } from '../../../../src/connectors/mappers/errors.js';
import { MAPPERS, mapperFor } from '../../../../src/connectors/mappers/registry.js';

describe('mapper registry', () => {
  it('holds the six mappers under their own names', () => {
    expect(Object.keys(MAPPERS).sort()).toEqual(['eduzz', 'generic', 'hotmart', 'kiwify', 'shopify', 'stripe']);
    for (const [name, mapper] of Object.entries(MAPPERS)) expect(mapper.name).toBe(name);
  });

  it('finds a mapper by name', () => {
    expect(mapperFor('stripe')).toBe(MAPPERS['stripe']);
  });

  it.each(['paypal', 'toString', '__proto__', 'Stripe', ''])('rejects %j, listing the valid names', (name) => {
    expect(() => mapperFor(name)).toThrow(UnknownMapperError);
    expect(() => mapperFor(name)).toThrow(
      `unknown mapper "${name}"; valid mappers are: eduzz, generic, hotmart, kiwify, shopify, stripe`,
    );
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(MAPPERS)).toBe(true);
  });
});
