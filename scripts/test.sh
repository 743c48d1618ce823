#!/usr/bin/env bash
# The whole test suite: checks the layering of src/ (scripts/check-layers.mjs,
# before anything starts), starts the services it needs (and stops them again if
# it started them), builds (some tests run the built CLI), runs the unit and
# integration tests, then the reliability suite (docs/reliability.md), which
# starts and stops services of its own.
# Extra arguments go to vitest and run only those tests, without the
# reliability suite, e.g. `npm test -- test/unit`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -d node_modules ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

node scripts/check-layers.mjs

started=0
if ! bash scripts/services.sh status >/dev/null 2>&1; then
  started=1
fi
cleanup() {
  if [[ $started -eq 1 ]]; then bash scripts/services.sh down; fi
}
trap cleanup EXIT

bash scripts/services.sh up
npm run --silent build
npx vitest run "$@"
if [[ $# -eq 0 && "${CUSTSYNC_SKIP_FAULTS:-0}" != "1" ]]; then
  npx vitest run --config vitest.faults.config.ts
fi
