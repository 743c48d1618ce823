#!/usr/bin/env bash
# `npm run demo`: the whole slice on local services, from a fresh clone.
# Installs what is needed, starts Postgres and Kafka, builds, then runs
# scripts/demo.ts: the real daemon consumes sample webhooks of several
# platforms and the result is printed. Services stay up afterwards
# (`npm run services:down` stops them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "custsync demo: installing dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
bash scripts/services.sh up
echo "custsync demo: building"
npm run --silent build
exec npx tsx scripts/demo.ts
