#!/usr/bin/env bash
# HTTP throughput of POST /api/v1/quotes next to GET /healthz, 64 connections, on
# PostgreSQL, against the release build (make build first). Uses wrk from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
PG_URL=$(scripts/ensure-postgres.sh)
DB="kinobill_bench_$$"
psql "$PG_URL" -qc "CREATE DATABASE $DB"
BENCH_URL="${PG_URL%/*}/$DB"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DURATION="${DURATION:-10s}"
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
  scripts/stop-postgres.sh
}
DATABASE_URL="$BENCH_URL" KINOBILL__AUTH__JWT_SECRET="bench-secret-bench-secret-bench-secret-00" \
  KINOBILL__DEMO__SEED=true KINOBILL__RATE_LIMIT__PER_SECOND=0 KINOBILL__SERVER__ADDR="127.0.0.1:$PORT" KINOBILL__DATABASE__MAX_CONNECTIONS=16 \
  RUST_LOG=error target/release/server serve &
SERVER=$!
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
TARIFF=$(curl -s "http://127.0.0.1:$PORT/api/v1/tariffs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][1]["id"])')
LUA=$(mktemp --suffix=.lua)
cat > "$LUA" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"tariff_id": "$TARIFF", "months": 12, "promo_code": "WELCOME10"}'
LUA
echo "== GET /healthz (64 connections, $DURATION)"
wrk -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:$PORT/healthz" | grep -E "Requests/sec|99%|50%"
echo "== POST /api/v1/quotes (64 connections, $DURATION)"
wrk -t2 -c64 -d"$DURATION" --latency -s "$LUA" "http://127.0.0.1:$PORT/api/v1/quotes" | grep -E "Requests/sec|99%|50%|Non-2xx"
rm -f "$LUA"
