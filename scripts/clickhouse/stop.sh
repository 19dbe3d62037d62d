#!/usr/bin/env bash
# Stops the server started by scripts/clickhouse/start.sh: SIGTERM, then SIGKILL after 10 s; removes the pid file.
# Honours CLICKHOUSE_PID_FILE (default .cache/clickhouse/server.pid), like start.sh.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/../.." && pwd)"
pid_file="${CLICKHOUSE_PID_FILE:-$repo_root/.cache/clickhouse/server.pid}"
case "$pid_file" in /*) ;; *) pid_file="$PWD/$pid_file" ;; esac

say() { printf 'clickhouse: %s\n' "$*" >&2; }

if [[ ! -f "$pid_file" ]]; then
  say "not running (no $pid_file)"
  exit 0
fi
pid="$(tr -dc '0-9' <"$pid_file" || true)"
cmdline=""
[[ -n "$pid" ]] && cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
if [[ -z "$pid" || "$cmdline" != *clickhouse-launcher*" serve "* ]]; then
  say "pid file $pid_file is stale (pid '${pid}' is not our server); removing it"
  rm -f "$pid_file"
  exit 0
fi

kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || break
  # a zombie (not yet reaped by its parent) has finished
  [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == "Z" ]] && break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != "Z" ]]; then
  say "pid $pid did not stop within 10 s after SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$pid_file"
say "stopped pid $pid"
