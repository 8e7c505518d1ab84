#!/usr/bin/env bash
# Worker benchmarks on the local PostgreSQL and RabbitMQ (release build): the renewal
# sweep of 100,000 due subscriptions with 1 and 2 workers, and the outbox relay with
# publisher confirms. Usage: scripts/bench-worker.sh [N] [renewals|all]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
N=${1:-100000}
PG_URL=$(scripts/ensure-postgres.sh)
# BENCH_WORKER_BIN runs an already built binary (scripts/bench-compare.sh does).
BIN="${BENCH_WORKER_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build --release -p server --example bench_worker
  BIN=target/release/examples/bench_worker
fi
BENCH_POSTGRES_URL="$PG_URL" "$BIN" renewals "$N" 1
BENCH_POSTGRES_URL="$PG_URL" "$BIN" renewals "$N" 2
if [ "${2:-all}" = all ]; then
  BENCH_POSTGRES_URL="$PG_URL" "$BIN" outbox "$N"
fi
