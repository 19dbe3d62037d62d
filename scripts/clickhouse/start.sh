#!/usr/bin/env bash
# Starts (or reuses) a local ClickHouse HTTP server for tests, CI and the demo: no Docker, no download.
# The engine is ClickHouse 26.x from the npm devDependency @chdb/lib-linux-x64-gnu (libchdb.so); the
# HTTP front is scripts/clickhouse/launcher.c (its header comment documents it), built here with gcc.
#
# Environment (all optional):
#   CLICKHOUSE_PORT      port on 127.0.0.1 (default 8123); "auto": the port of our running server (pid file),
#                        else 8123 when free, else any free port
#   CLICKHOUSE_DATA_DIR  data directory (default .cache/clickhouse/data)
#   CLICKHOUSE_PID_FILE  pid file (default .cache/clickhouse/server.pid)
#   CLICKHOUSE_LOG_FILE  log file (default .cache/clickhouse/server.log)
#   CLICKHOUSE_MAX_SESSIONS  queries that run in parallel (default 16)
#   CLICKHOUSE_LOG_QUERIES=1 log every query (errors are always logged)
#
# The last line on stdout is the URL, e.g. http://127.0.0.1:8123; everything else goes to stderr.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/../.." && pwd)"
cache_dir="$repo_root/.cache/clickhouse"

port="${CLICKHOUSE_PORT:-8123}"
host="127.0.0.1"
data_dir="${CLICKHOUSE_DATA_DIR:-$cache_dir/data}"
pid_file="${CLICKHOUSE_PID_FILE:-$cache_dir/server.pid}"
log_file="${CLICKHOUSE_LOG_FILE:-$cache_dir/server.log}"
max_sessions="${CLICKHOUSE_MAX_SESSIONS:-16}"
lib_dir="$repo_root/node_modules/@chdb/lib-linux-x64-gnu"
src="$script_dir/launcher.c"
bin="$cache_dir/clickhouse-launcher"
url="http://$host:$port"

say() { printf 'clickhouse: %s\n' "$*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}

# Relative overrides are relative to the caller's directory; the server gets absolute paths.
abs() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s' "$PWD/$1" ;; esac; }
data_dir="$(abs "$data_dir")"
pid_file="$(abs "$pid_file")"
log_file="$(abs "$log_file")"
mkdir -p "$cache_dir" "$data_dir" "$(dirname "$pid_file")" "$(dirname "$log_file")"

if [[ "$port" == auto ]]; then
  # Never adopt a server we did not start: only the one in our pid file keeps its port; otherwise a port
  # nothing listens on (8123 first).
  auto_pid="$( [[ -f "$pid_file" ]] && tr -dc '0-9' <"$pid_file" || true)"
  auto_cmd="$( [[ -n "$auto_pid" ]] && tr '\0' ' ' <"/proc/$auto_pid/cmdline" 2>/dev/null || true)"
  if [[ "$auto_cmd" == *clickhouse-launcher*" serve "* && "$auto_cmd" =~ --port=([0-9]+) ]]; then
    port="${BASH_REMATCH[1]}"
  elif ! (exec 3<>"/dev/tcp/$host/8123") 2>/dev/null; then
    port=8123
  else
    port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  fi
  url="http://$host:$port"
fi
[[ "$port" =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || die "CLICKHOUSE_PORT must be a port number or auto, got '$port'"

ping_ok() { [[ "$(curl -s --max-time 2 "$url/ping" 2>/dev/null || true)" == "Ok." ]]; }
port_in_use() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }
# Is $1 a running server of ours (this launcher binary)? With "same-port": also listening on $port?
is_our_server() {
  local pid="$1" cmdline
  [[ -n "$pid" && "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *clickhouse-launcher*" serve "* ]] || return 1
  [[ "${2:-}" != same-port || "$cmdline" == *"--port=$port "* ]]
}
read_pid() { [[ -f "$pid_file" ]] && tr -dc '0-9' <"$pid_file" || true; }

wait_ready() {
  local pid="$1" deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    if ping_ok; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      say "server (pid $pid) exited during startup; last lines of $log_file:"
      tail -n 30 "$log_file" >&2 || true
      rm -f "$pid_file"
      exit 1
    fi
    sleep 0.1
  done
  say "server (pid $pid) did not answer $url/ping within 60 s; last lines of $log_file:"
  tail -n 30 "$log_file" >&2 || true
  exit 1
}

check_version() {
  local version
  version="$(curl -s --max-time 10 "$url/?query=SELECT%20version()" || true)"
  if [[ ! "$version" =~ ^([0-9]{2})\. ]] || ((10#${BASH_REMATCH[1]} < 23)); then
    die "server at $url answered version '$version'; need ClickHouse >= 23"
  fi
  say "ClickHouse $version at $url (data: $data_dir, log: $log_file)"
}

# 1. Reuse a server started from our pid file.
existing_pid="$(read_pid)"
if [[ -n "$existing_pid" ]]; then
  if is_our_server "$existing_pid" same-port; then
    wait_ready "$existing_pid"
    say "reusing server pid $existing_pid"
    check_version
    echo "$url"
    exit 0
  fi
  if is_our_server "$existing_pid"; then
    die "$pid_file belongs to a running server (pid $existing_pid) on another port than $port. Stop it with scripts/clickhouse/stop.sh, or give this one its own CLICKHOUSE_PID_FILE, CLICKHOUSE_LOG_FILE and CLICKHOUSE_DATA_DIR."
  fi
  say "removing stale pid file $pid_file (pid '$existing_pid' is not a running server on port $port)"
  rm -f "$pid_file"
fi

# 2. The port must be free.
if port_in_use; then
  if ping_ok; then
    die "port $port is taken by another HTTP server that answers /ping (not the one in $pid_file). Stop it, or use it by setting CLICKHOUSE_URL=$url, or pick another port with CLICKHOUSE_PORT."
  fi
  die "port $port on $host is taken by another process (not the server in $pid_file); set CLICKHOUSE_PORT to a free port."
fi

# 3. Build the launcher if missing or older than its source (or than libchdb.so).
[[ -f "$lib_dir/libchdb.so" ]] || die "$lib_dir/libchdb.so not found; run 'npm ci' (devDependency @chdb/lib-linux-x64-gnu)."
if [[ ! -x "$bin" || "$src" -nt "$bin" || "$lib_dir/libchdb.so" -nt "$bin" ]]; then
  command -v gcc >/dev/null || die "gcc not found; it is needed to build $src (apt-get install gcc)."
  tmp_bin="$bin.tmp.$$"
  # rpath: relative to the binary (works after moving the repository) and absolute.
  rel_rpath='$ORIGIN/../../node_modules/@chdb/lib-linux-x64-gnu'
  common=(-O2 -std=gnu11 -o "$tmp_bin" "$src" -L"$lib_dir" -l:libchdb.so "-Wl,-rpath,$rel_rpath:$lib_dir" -lpthread)
  say "building $bin"
  if ! gcc -DHAVE_ZLIB "${common[@]}" -lz 2>"$tmp_bin.log"; then
    say "building without zlib (no gzip support): $(head -n 3 "$tmp_bin.log")"
    gcc "${common[@]}" 2>"$tmp_bin.log" || {
      cat "$tmp_bin.log" >&2
      rm -f "$tmp_bin" "$tmp_bin.log"
      die "gcc failed to build $src"
    }
  fi
  rm -f "$tmp_bin.log"
  mv -f "$tmp_bin" "$bin"
fi

# 4. Start in the background, detached from this shell and its terminal.
log_queries=()
[[ "${CLICKHOUSE_LOG_QUERIES:-0}" == "1" ]] && log_queries=(--log-queries)
say "starting on $url (data: $data_dir)"
printf '\n' >>"$log_file"
cd "$repo_root"
nohup "$bin" serve --path="$data_dir" --host="$host" --port="$port" --pid-file="$pid_file" \
  --max-sessions="$max_sessions" "${log_queries[@]}" </dev/null >>"$log_file" 2>&1 &
pid=$!
echo "$pid" >"$pid_file" # the server rewrites it with its own pid once it listens
wait_ready "$pid"
pid="$(read_pid)"
check_version
say "started pid ${pid:-?}"
echo "$url"
