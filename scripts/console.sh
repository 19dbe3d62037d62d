#!/usr/bin/env bash
# `npm run console`: try the bot in a browser without a Slack workspace. Loads the demo data if absent, starts
# ClickHouse, a local Slack with a web UI (npm local-slack-linux-x64, an optional dependency) and
# `scorecard-bot serve` in Socket Mode against it, then prints the URL to open. Ctrl-C stops all of it.
# Needs PostgreSQL on 127.0.0.1:5432 (trust auth; or DEMO_ADMIN_URL) and Redis on 127.0.0.1:6379 (or REDIS_URL).
# Settings (all optional): CONSOLE_PORT (3100), CONSOLE_CLICKHOUSE_PORT (default: a free port) or CLICKHOUSE_URL,
# CONSOLE_DATABASE (scorecard_console), CONSOLE_OPS_DATABASE, CONSOLE_REDIS_PREFIX, CONSOLE_SCALE (0.001),
# CONSOLE_CUSTOMERS (all four), CONSOLE_RESET=1 (reload the demo data, e.g. after a backfill filled the gap).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "console: the local Slack (npm local-slack-linux-x64) runs on Linux x64 only; this is $(uname -s)-$(uname -m)." >&2
  echo "console: try the bot in a real Slack workspace instead: README.md, \"Running the Slack app\"." >&2
  exit 2
fi
# exec: the console is this process, so Ctrl-C and SIGTERM reach it directly; it stops its children itself.
exec node --import tsx dev/console/console-main.ts
