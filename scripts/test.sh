#!/usr/bin/env bash
# The one test command (README and .ci/run both call it through `npm test`).
# Needs PostgreSQL on 127.0.0.1:5432 (trust auth; or PGTEST_URL) and Redis on 127.0.0.1:6379 (or REDIS_URL).
# ClickHouse is started by the vitest global setup (scripts/clickhouse/start.sh) unless CLICKHOUSE_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json --noEmit
npx vitest run "$@"
