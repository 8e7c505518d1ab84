#!/usr/bin/env bash
# The support console's payments list with 1,000,000 payments on PostgreSQL: the first
# page and a deep page (keyset cursor at the 900,000th payment), through the real HTTP
# endpoint of the release build. Prints median and p95 of 30 requests each.
# Target (issue 4): <= 50 ms each. Usage: scripts/bench-payments.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
PG_URL=$(scripts/ensure-postgres.sh)
DB="kinobill_bench_pay_$$"
psql "$PG_URL" -qc "CREATE DATABASE $DB"
BENCH_URL="${PG_URL%/*}/$DB"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DATABASE_URL="$BENCH_URL" KINOBILL__AUTH__JWT_SECRET="bench-secret-bench-secret-bench-secret-00"
cleanup() {
  kill "${SERVER:-}" 2>/dev/null || true
  wait "${SERVER:-}" 2>/dev/null || true
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
  scripts/stop-postgres.sh
}
trap cleanup EXIT
target/release/server migrate >/dev/null
KINOBILL__DEMO__SEED=true target/release/server seed >/dev/null
echo "== inserting $N invoices and payments"
time psql "$BENCH_URL" -q <<SQL
INSERT INTO customers (id, email, name, created_at)
SELECT gen_random_uuid(), 'bench' || g || '@example.com', 'Bench ' || g, now() FROM generate_series(1, 1000) g;
CREATE TEMP TABLE c AS SELECT id, row_number() OVER () AS n FROM customers;
INSERT INTO invoices (id, number, customer_id, tariff_id, kind, months, list_price_minor, discount_minor,
  total_minor, currency, quote, status, created_at)
SELECT gen_random_uuid(), 'KB-BENCH-' || g, (SELECT id FROM c WHERE n = 1 + g % 1000),
  (SELECT id FROM tariffs LIMIT 1), 'purchase', 1, 49900, 0, 49900, 'RUB', '{}'::json, 'paid',
  now() - (g || ' seconds')::interval
FROM generate_series(1, $N) g;
INSERT INTO payments (id, invoice_id, customer_id, provider, provider_payment_id, provider_idempotency_key,
  status, amount_minor, currency, save_payment_method, created_at, updated_at)
SELECT gen_random_uuid(), i.id, i.customer_id, 'sandbox', 'sbx_' || i.number, 'key-' || i.number,
  (ARRAY['succeeded','failed','pending','refunded'])[1 + (row_number() OVER ()) % 4], 49900, 'RUB', false,
  i.created_at, i.created_at
FROM invoices i;
ANALYZE;
SQL
TOKEN=$(target/release/server staff token --email support@kinobill.local | tail -1)
KINOBILL__SERVER__ADDR="127.0.0.1:$PORT" KINOBILL__RATE_LIMIT__PER_SECOND=0 RUST_LOG=error target/release/server serve &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
DEEP=$(psql "$BENCH_URL" -XAtc "SELECT (extract(epoch from created_at) * 1000000)::bigint || '_' || replace(id::text, '-', '')
  FROM payments ORDER BY created_at DESC, id DESC OFFSET 900000 LIMIT 1")
measure() {
  local name=$1 url=$2
  for _ in $(seq 1 3); do curl -sf -H "Authorization: Bearer $TOKEN" "$url" >/dev/null; done
  for _ in $(seq 1 30); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$url"
  done | sort -n | awk -v name="$name" '{a[NR]=$1} END {printf "%-28s median %.1f ms   p95 %.1f ms\n", name, a[int(NR/2)+1]*1000, a[int(NR*0.95)]*1000}'
}
BASE="http://127.0.0.1:$PORT/api/v1/admin/payments"
measure "first page (50)" "$BASE?limit=50"
measure "deep page (after 900,000)" "$BASE?limit=50&cursor=$DEEP"
measure "first page, status=failed" "$BASE?limit=50&status=failed"
