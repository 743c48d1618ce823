import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { changeEventJsonSchema, changeEventJsonSchemaText } from '../../../../src/audit/publisher/ChangeEvent.js';

describe('change-event.schema.json', () => {
  it('is what scripts/generate-schemas.ts generates (run it after changing ChangeEvent.ts)', () => {
    const committed = readFileSync(new URL('../../../../schemas/change-event.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(changeEventJsonSchemaText());
  });

  it('documents every top-level property and requires all of them', () => {
    const schema = changeEventJsonSchema() as { required: string[]; properties: Record<string, { description?: string }> };
    const names = Object.keys(schema.properties);
    expect(schema.required).toEqual(names);
    for (const name of names) expect(schema.properties[name]?.description, name).toBeTruthy();
  });
});
