#!/usr/bin/env bash
# The whole test suite: starts the services it needs (and stops them again if
# it started them), builds (some tests run the built CLI), runs vitest.
# Extra arguments go to vitest, e.g. `npm test -- test/unit`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

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
