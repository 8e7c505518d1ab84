#!/usr/bin/env bash
# Checkout throughput on PostgreSQL at 64 connections (invoice + payment at the in-process
# sandbox), next to a pgbench script doing the same number of commits per checkout, in the
# same run. Needs the release build (make build) and wrk + pgbench (installed if missing).
# PROVIDER=yookassa runs the same checkouts through the real YooKassa adapter against the
# server's own YooKassa personality (HTTP to itself, as to YooKassa); PROVIDER=cloudpayments
# the same through the CloudPayments adapter and its personality.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v pgbench >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-contrib >/dev/null; }
PG_URL=$(scripts/ensure-postgres.sh)
DB="kinobill_bench_co_$$"
psql "$PG_URL" -qc "CREATE DATABASE $DB"
BENCH_URL="${PG_URL%/*}/$DB"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DURATION="${DURATION:-10s}"
SECRET="bench-secret-bench-secret-bench-secret-00"
cleanup() {
  kill "${SERVER:-}" 2>/dev/null || true
  wait "${SERVER:-}" 2>/dev/null || true
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
  scripts/stop-postgres.sh
}
trap cleanup EXIT
PROVIDER="${PROVIDER:-sandbox}"
if [ "$PROVIDER" = yookassa ]; then
  export KINOBILL__PAYMENTS__PROVIDER=yookassa KINOBILL__YOOKASSA__SHOP_ID=100500 \
    KINOBILL__YOOKASSA__SECRET_KEY=bench-personality-secret KINOBILL__YOOKASSA__API_URL=/sandbox/yookassa/v3
elif [ "$PROVIDER" = cloudpayments ]; then
  export KINOBILL__PAYMENTS__PROVIDER=cloudpayments KINOBILL__CLOUDPAYMENTS__PUBLIC_ID=pk_bench \
    KINOBILL__CLOUDPAYMENTS__API_SECRET=bench-personality-secret \
    KINOBILL__CLOUDPAYMENTS__API_URL=/sandbox/cloudpayments
fi
BIN="${SERVER_BIN:-target/release/server}"
# One address makes every request here: no per-address limit (a binary older than the
# limit does not know the key and would refuse it).
if grep -aq 'rate_limit.per_second' "$BIN"; then export KINOBILL__RATE_LIMIT__PER_SECOND=0; fi
DATABASE_URL="$BENCH_URL" KINOBILL__AUTH__JWT_SECRET="$SECRET" KINOBILL__DEMO__SEED=true \
  KINOBILL__SERVER__ADDR="127.0.0.1:$PORT" KINOBILL__DATABASE__MAX_CONNECTIONS=32 \
  RUST_LOG=error "$BIN" serve &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
TARIFF=$(curl -s "http://127.0.0.1:$PORT/api/v1/tariffs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][1]["id"])')
# A customer token as the auth service would sign it (HS256).
TOKEN=$(SECRET="$SECRET" python3 - <<'PY'
import base64, hashlib, hmac, json, os, time, uuid
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
h = b(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
p = b(json.dumps({"sub": str(uuid.uuid4()), "exp": int(time.time()) + 3600, "email": "bench@example.com"}).encode())
s = b(hmac.new(os.environ["SECRET"].encode(), f"{h}.{p}".encode(), hashlib.sha256).digest())
print(f"{h}.{p}.{s}")
PY
)
LUA=$(mktemp --suffix=.lua)
# Every request gets its own Idempotency-Key: thread number + counter.
cat > "$LUA" <<LUA
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/api/v1/checkout", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer $TOKEN",
    ["Idempotency-Key"] = "bench-" .. tid .. "-" .. n,
  }, '{"tariff_id": "$TARIFF", "months": 1}')
end
LUA
echo "== POST /api/v1/checkout through $PROVIDER (64 connections, $DURATION)"
wrk -t2 -c64 -d"$DURATION" --latency -s "$LUA" "http://127.0.0.1:$PORT" | grep -E "Requests/sec|50%|99%|Non-2xx"
COMMITS=$(psql "$BENCH_URL" -XAtc "SELECT count(*) FROM payments")
echo "   checkouts stored: $COMMITS ($(psql "$BENCH_URL" -XAtc "SELECT string_agg(DISTINCT provider, ',') FROM payments"))"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=

# The same commits a checkout makes, as plain SQL: idempotency claim, the invoice
# transaction (counter, invoice, payment, event, outbox), the sandbox's payment, the
# payment update, its event, the idempotency answer — 6 commits.
psql "$BENCH_URL" -q <<'SQL'
CREATE TABLE bench_rows (id bigserial PRIMARY KEY, k text, v text, at timestamptz DEFAULT now());
CREATE TABLE bench_counter (year int PRIMARY KEY, n bigint);
INSERT INTO bench_counter VALUES (2026, 0);
INSERT INTO bench_rows (k, v) SELECT 'seed', md5(g::text) FROM generate_series(1, 100000) g;
SQL
SQLF=$(mktemp --suffix=.sql)
cat > "$SQLF" <<'SQL'
\set r random(1, 100000)
INSERT INTO bench_rows (k, v) VALUES ('idem', md5(random()::text));
BEGIN;
UPDATE bench_counter SET n = n + 1 WHERE year = 2026;
INSERT INTO bench_rows (k, v) VALUES ('invoice', md5(random()::text));
INSERT INTO bench_rows (k, v) VALUES ('payment', md5(random()::text));
INSERT INTO bench_rows (k, v) VALUES ('event', md5(random()::text));
INSERT INTO bench_rows (k, v) VALUES ('outbox', md5(random()::text));
COMMIT;
INSERT INTO bench_rows (k, v) VALUES ('sandbox', md5(random()::text));
UPDATE bench_rows SET v = md5(v) WHERE id = :r;
INSERT INTO bench_rows (k, v) VALUES ('event2', md5(random()::text));
INSERT INTO bench_rows (k, v) VALUES ('idem-done', md5(random()::text));
SQL
echo "== pgbench: the same 6 commits per transaction (64 clients, ${DURATION})"
pgbench -n -c 64 -j 2 -T "${DURATION%s}" -r -f "$SQLF" "$BENCH_URL" 2>/dev/null | grep -E "^tps|latency average"
pgbench -n -c 64 -j 2 -T "${DURATION%s}" --log --log-prefix=/tmp/pgb -f "$SQLF" "$BENCH_URL" >/dev/null 2>&1 || true
cat /tmp/pgb.* 2>/dev/null | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {if (NR) printf "   pgbench p50 %.2f ms  p99 %.2f ms\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}'
rm -f /tmp/pgb.* "$LUA" "$SQLF"
