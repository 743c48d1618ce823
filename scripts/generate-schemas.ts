/**
 * Writes schemas/generic-record.schema.json from the generic mapper's zod
 * schema. `npx tsx scripts/generate-schemas.ts` rewrites the file;
 * `--check` only reports (exit 1) when the committed file is stale.
 * test/unit/mappers/generic.test.ts asserts the same.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { genericRecordJsonSchemaText } from '../src/connectors/mappers/generic.js';

const target = fileURLToPath(new URL('../schemas/generic-record.schema.json', import.meta.url));
const text = genericRecordJsonSchemaText();

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
