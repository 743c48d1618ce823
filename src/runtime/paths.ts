import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** The package root, whether running from `src/` (tests) or `dist/` (built). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const MIGRATIONS_DIR = resolve(PACKAGE_ROOT, 'migrations');

/** custsync's version (package.json). */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
