#!/usr/bin/env bash
# `npm run demo`: the main job on the built-in demo data, from a fresh machine.
#  1. starts ClickHouse (unless CLICKHOUSE_URL is set), 2. creates the demo database and its read-only role,
#  3. loads the incident dataset if it is absent, 4. prints `gap rentokil jan-2026` and writes its chart,
#  5. prints the `gap all jan-2026` impact table and the releases around each first missing scorecard, 6. prints the dry-run backfill plan for rentokil jan-2026.
# Needs PostgreSQL on 127.0.0.1:5432 (trust auth) or DEMO_ADMIN_URL.
set -euo pipefail
cd "$(dirname "$0")/.."

admin="${DEMO_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}"
db="${DEMO_DATABASE:-scorecard_demo}"
scale="${DEMO_SCALE:-0.01}"
bot=(node --import tsx src/cli.ts)
dev=(node --import tsx dev/cli.ts)

if [[ -z "${CLICKHOUSE_URL:-}" ]]; then
  # The demo's own ClickHouse: its own data folder and pid file, on its earlier port if it is still running, else
  # on a free one. A server some other checkout or person started is never used (set CLICKHOUSE_URL to choose one).
  CLICKHOUSE_URL="$(CLICKHOUSE_PORT="${CLICKHOUSE_PORT:-auto}" CLICKHOUSE_DATA_DIR=.cache/clickhouse-demo/data \
    CLICKHOUSE_PID_FILE=.cache/clickhouse-demo/server.pid CLICKHOUSE_LOG_FILE=.cache/clickhouse-demo/server.log \
    bash scripts/clickhouse/start.sh | tail -1)"
fi
export CLICKHOUSE_URL
export DEMO_READONLY_URL="${DEMO_READONLY_URL:-${admin/postgres@/scorecard_bot_ro@}/$db}"
# The backfill writer may read the contract and INSERT into historic only (db:init --writer-role), never more.
export DEMO_WRITER_URL="${DEMO_WRITER_URL:-${admin/postgres@/scorecard_bot_writer@}/$db}"
export SCORECARD_BOT_CONFIG="${SCORECARD_BOT_CONFIG:-config/demo.yml}"

echo "== database $db, ClickHouse $CLICKHOUSE_URL" >&2
"${dev[@]}" db:init --database-url "$admin/$db" --create-database --readonly-role scorecard_bot_ro --writer-role scorecard_bot_writer --clickhouse-url "$CLICKHOUSE_URL" >&2
"${bot[@]}" ops:init --database-url "${OPS_DATABASE_URL:-$admin/scorecard_ops}" --create-database >&2
"${dev[@]}" demo-data --database-url "$admin/$db" --clickhouse-url "$CLICKHOUSE_URL" --scale "$scale" --submitted-scale 1 --if-absent >&2

# The deployments repository "What changed around then" reads (config/demo.yml changes:), rebuilt each time.
"${dev[@]}" deployments-repo .cache/demo-deployments >&2

mkdir -p out
echo >&2
echo "== scorecard-bot gap rentokil jan-2026" >&2
"${bot[@]}" gap rentokil jan-2026 --chart out/rentokil-jan-2026.png --csv out/rentokil-jan-2026-missing.csv
echo
echo "== scorecard-bot gap all jan-2026" >&2
"${bot[@]}" gap all jan-2026 --summary
echo
echo "== scorecard-bot backfill plan rentokil jan-2026   (dry run: read-only, writes nothing)" >&2
"${bot[@]}" backfill plan rentokil jan-2026
