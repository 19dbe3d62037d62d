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
  ch_port="${CLICKHOUSE_PORT:-8123}"
  if [[ "$(curl -s --max-time 2 "http://127.0.0.1:$ch_port/ping" 2>/dev/null || true)" == "Ok." ]]; then
    # A ClickHouse already serves there (an earlier demo, possibly from another checkout): use it.
    CLICKHOUSE_URL="http://127.0.0.1:$ch_port"
  else
    CLICKHOUSE_URL="$(bash scripts/clickhouse/start.sh | tail -1)"
  fi
fi
export CLICKHOUSE_URL
export DEMO_READONLY_URL="${DEMO_READONLY_URL:-${admin/postgres@/scorecard_bot_ro@}/$db}"
export DEMO_WRITER_URL="${DEMO_WRITER_URL:-$admin/$db}"
export SCORECARD_BOT_CONFIG="${SCORECARD_BOT_CONFIG:-config/demo.yml}"

echo "== database $db, ClickHouse $CLICKHOUSE_URL" >&2
"${dev[@]}" db:init --database-url "$admin/$db" --create-database --readonly-role scorecard_bot_ro --clickhouse-url "$CLICKHOUSE_URL" >&2
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
