#!/usr/bin/env bash
# Order ingestion figures (JSON lines) on SQLite, then on a throwaway PostgreSQL.
#   benchmarks/ingest.sh [extra `afterward bench ingest` options, e.g. --orders 20000]
# The wrk Lua script that drives the HTTP part lives in afterward/bench/ingest.py
# (WRK_SCRIPT); print it with:
#   python -c "from afterward.bench.ingest import WRK_SCRIPT; print(WRK_SCRIPT)"
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${VENV:-.venv}/bin
"$bin/afterward" bench ingest --json "$@"
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  pg_dir=$(mktemp -d /tmp/afterward-bench-pg.XXXXXX)
  trap 'bash scripts/pg-throwaway.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
  pg_url=$(AFTERWARD_PG_PORT=${AFTERWARD_PG_PORT:-55434} bash scripts/pg-throwaway.sh start "$pg_dir")
  AFTERWARD_BENCH_POSTGRES_URL="$pg_url" "$bin/afterward" bench ingest --json --backend postgresql "$@"
fi
