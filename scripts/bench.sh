#!/usr/bin/env bash
# `npm run bench`: loads spirit Jul 2025 - Jan 2026 at scale 1 into the database scorecard_bench (once), then
# times the investigation's queries, the gap engine and the floor in one process. Needs PostgreSQL on
# 127.0.0.1:5432. BENCH_SCALE, BENCH_CAP_S, BENCH_CONCURRENCY and BENCH_DATABASE override the defaults.
# Part (d) compares the gap run with and without partial counting (BENCH_PARTIAL_ROUNDS, default 3, alternated);
# BENCH_INVESTIGATION=0 skips the investigation's queries and the floor, which take minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
node --import tsx bench/gap-bench.ts
