/**
 * Writes the JSON Schemas generated from zod schemas:
 *   schemas/generic-record.schema.json  (the generic mapper's input)
 *   schemas/change-event.schema.json    (the customer change event)
 * `npx tsx scripts/generate-schemas.ts` rewrites the files; `--check` only
 * reports (exit 1) when a committed file is stale.
 * test/unit/mappers/generic.test.ts and test/unit/publisher/envelope.test.ts
 * assert the same.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { changeEventJsonSchemaText } from '../src/audit/publisher/ChangeEvent.js';
import { genericRecordJsonSchemaText } from '../src/connectors/mappers/generic.js';

const files: [string, string][] = [
  ['../schemas/generic-record.schema.json', genericRecordJsonSchemaText()],
  ['../schemas/change-event.schema.json', changeEventJsonSchemaText()],
];

for (const [relative, text] of files) {
  const target = fileURLToPath(new URL(relative, import.meta.url));
  if (process.argv.includes('--check')) {
    const current = await readFile(target, 'utf8').catch(() => '');
    if (current !== text) {
      console.error(`${target} is stale: run npx tsx scripts/generate-schemas.ts`);
      process.exitCode = 1;
    }
  } else {
    await writeFile(target, text);
    console.log(`wrote ${target}`);
  }
}
