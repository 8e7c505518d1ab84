#!/usr/bin/env bash
# Worker benchmarks on the local PostgreSQL and RabbitMQ (release build): the renewal
# sweep of 100,000 due subscriptions with 1 and 2 workers, and the outbox relay with
# publisher confirms. Usage: scripts/bench-worker.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
N=${1:-100000}
PG_URL=$(scripts/ensure-postgres.sh)
cargo build --release -p server --example bench_worker
BIN=target/release/examples/bench_worker
BENCH_POSTGRES_URL="$PG_URL" "$BIN" renewals "$N" 1
BENCH_POSTGRES_URL="$PG_URL" "$BIN" renewals "$N" 2
BENCH_POSTGRES_URL="$PG_URL" "$BIN" outbox "$N"
