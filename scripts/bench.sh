#!/usr/bin/env bash
# `npm run bench`: loads spirit Jul 2025 - Jan 2026 at scale 1 into the database scorecard_bench (once), then
# times the investigation's queries, the gap engine and the floor in one process. Needs PostgreSQL on
# 127.0.0.1:5432. BENCH_SCALE, BENCH_CAP_S, BENCH_CONCURRENCY and BENCH_DATABASE override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
node --import tsx bench/gap-bench.ts
