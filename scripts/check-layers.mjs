#!/usr/bin/env node
// The layering of src/ (README, "The source tree"), checked on every `npm test`
// and in CI. Each folder may import only the folders below it in LAYERS, and
// only src/app/ constructs the engine, the unifier, the sources and the
// publishers. A violation is printed as `file:line: <import> — <rule>` and the
// script exits 1. No dependency: it reads the import statements as text.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

/** Each layer and the layers it may import (besides itself). Lowest first. */
const LAYERS = {
  contract: [],
  runtime: ['contract'],
  replication: ['runtime', 'contract'],
  unifier: ['replication', 'runtime', 'contract'],
  connectors: ['unifier', 'replication', 'runtime', 'contract'],
  audit: ['connectors', 'unifier', 'replication', 'runtime', 'contract'],
  privacy: ['connectors', 'unifier', 'replication', 'runtime', 'contract'],
  reports: ['privacy', 'unifier', 'runtime', 'contract'],
  app: ['audit', 'privacy', 'reports', 'connectors', 'unifier', 'replication', 'runtime', 'contract'],
  cli: ['app', 'audit', 'privacy', 'reports', 'connectors', 'unifier', 'replication', 'runtime', 'contract'],
};

/** Classes only src/app/ may construct: the one wiring point. */
const WIRED = ['BatchEngine', 'Unifier', 'KafkaSource', 'WalSource', 'Importer', 'ChangePublisher', 'ForgetRequestConsumer', 'Forgetter'];
const WIRED_NEW = new RegExp(`\\bnew (${WIRED.join('|')})\\(`, 'g');

const SPECIFIERS = [/\bfrom\s+['"](\.[^'"]+)['"]/g, /\bimport\s*\(\s*['"](\.[^'"]+)['"]/g, /\bimport\s+['"](\.[^'"]+)['"]/g];

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return files(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `src/unifier/engine/x.ts` → `unifier`; `src/contract.ts` → `contract`. */
function layerOf(file) {
  const first = relative(SRC, file).split(sep)[0];
  return first.replace(/\.(ts|js)$/, '');
}

function lineOf(text, index) {
  return text.slice(0, index).split('\n').length;
}

const problems = [];
for (const file of files(SRC)) {
  const from = layerOf(file);
  const shown = relative(ROOT, file);
  const allowed = LAYERS[from];
  if (!allowed) {
    problems.push(`${shown}: folder "${from}" is not in the layer table of scripts/check-layers.mjs; add it where it belongs`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const pattern of SPECIFIERS) {
    for (const match of text.matchAll(pattern)) {
      const spec = match[1];
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC + sep)) continue;
      const to = layerOf(target);
      if (to === from || allowed.includes(to)) continue;
      problems.push(
        `${shown}:${lineOf(text, match.index)}: imports '${spec}' (src/${to}/) — src/${from}/ may import only ${allowed.length > 0 ? allowed.map((l) => `src/${l}`).join(', ') : 'nothing else from custsync'}`,
      );
    }
  }
  if (from !== 'app') {
    for (const match of text.matchAll(WIRED_NEW)) {
      problems.push(`${shown}:${lineOf(text, match.index)}: constructs ${match[1]} — only src/app/ wires the engine, the unifier, the sources and the publishers`);
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(`layering check failed (${problems.length}):\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`layering check: ${files(SRC).length} files, no import against the layers\n`);
