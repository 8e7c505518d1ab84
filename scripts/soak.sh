#!/usr/bin/env bash
# `make soak`: the billing state machine (server/tests/api/billing_machine.rs) with many
# more random sequences than `make test` runs, on PostgreSQL. SOAK_CASES sets how many
# (default 5,000; about one per 0.1-0.2 s on this machine's 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
PG_URL=$(scripts/ensure-postgres.sh)
trap scripts/stop-postgres.sh EXIT
TEST_DATABASE=postgres TEST_POSTGRES_URL="$PG_URL" BILLING_MACHINE_CASES="${SOAK_CASES:-5000}" \
  cargo test -p server --test api billing_machine -- --nocapture
