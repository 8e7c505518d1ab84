#!/usr/bin/env bash
# The console's lists and dashboard at production size on PostgreSQL: 100,000 customers
# (one subscription each), 1,000,000 invoices and payments over six months, a refund
# for each refunded payment, 200,000 audit rows. Each list's first page, a deep keyset
# page and a filtered page, and the dashboard, through the real HTTP endpoints of the
# release build. Prints median and p95 of 30 requests each.
# Targets (issue 17): every list <= 50 ms, the dashboard <= 200 ms.
# Usage: scripts/bench-console.sh [PAYMENTS] [CUSTOMERS]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
C="${2:-100000}"
PG_URL=$(scripts/ensure-postgres.sh)
DB="kinobill_bench_console_$$"
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
echo "== inserting $C customers, $N invoices and payments"
time psql "$BENCH_URL" -q -v ON_ERROR_STOP=1 <<SQL
-- Six months of history: row g is g * (180 days / N) old.
INSERT INTO customers (id, email, name, created_at)
SELECT gen_random_uuid(), 'bench' || g || '@example.com', 'Bench ' || g,
  now() - make_interval(secs => g * 15552000.0 / $C)
FROM generate_series(1, $C) g;
CREATE TEMP TABLE c AS SELECT id, row_number() OVER (ORDER BY created_at) AS n FROM customers;
CREATE INDEX ON c (n);
CREATE TEMP TABLE t AS SELECT id, row_number() OVER (ORDER BY code) AS n FROM tariffs;
INSERT INTO subscriptions (id, customer_id, tariff_id, status, current_period_start, current_period_end,
  auto_renew, renewal_attempts, created_at, updated_at)
SELECT gen_random_uuid(), c.id, (SELECT id FROM t WHERE t.n = 1 + c.n % 3),
  (ARRAY['active','active','grace','expired','canceled'])[1 + c.n % 5],
  now() - interval '10 days', now() + interval '20 days' - make_interval(days => (c.n % 5)::int * 7),
  c.n % 4 <> 0, 0, now() - make_interval(secs => c.n * 15552000.0 / $C), now()
FROM c;
INSERT INTO invoices (id, number, customer_id, tariff_id, kind, months, list_price_minor, discount_minor,
  total_minor, currency, quote, status, created_at, paid_at)
SELECT gen_random_uuid(), 'KB-BENCH-' || g, (SELECT id FROM c WHERE n = 1 + g % $C),
  (SELECT id FROM t WHERE t.n = 1 + g % 3), 'purchase', 1, 49900, 0, 49900, 'RUB', '{}'::json, 'paid',
  now() - make_interval(secs => g * 15552000.0 / $N), now() - make_interval(secs => g * 15552000.0 / $N)
FROM generate_series(1, $N) g;
INSERT INTO payments (id, invoice_id, customer_id, provider, provider_payment_id, provider_idempotency_key,
  status, amount_minor, currency, save_payment_method, created_at, updated_at, paid_at)
SELECT gen_random_uuid(), i.id, i.customer_id, 'sandbox', 'sbx_' || i.number, 'key-' || i.number,
  s.status, 49900, 'RUB', false, i.created_at, i.created_at,
  CASE WHEN s.status IN ('succeeded', 'refunded') THEN i.created_at END
FROM (SELECT *, row_number() OVER () AS r FROM invoices) i
CROSS JOIN LATERAL (SELECT (ARRAY['succeeded','failed','pending','refunded','succeeded'])[1 + i.r % 5] AS status) s;
INSERT INTO refunds (id, payment_id, customer_id, provider_idempotency_key, status, amount_minor, currency,
  requested_by, created_at, completed_at)
SELECT gen_random_uuid(), p.id, p.customer_id, 'kb-refund-' || p.id, 'succeeded', p.amount_minor, 'RUB',
  'customer', p.created_at + interval '10 minutes', p.created_at + interval '10 minutes'
FROM payments p WHERE p.status = 'refunded';
INSERT INTO audit_log (id, actor_id, actor, action, entity_type, entity_id, before, after, created_at)
SELECT gen_random_uuid(), NULL, 'marketing@kinobill.local', 'tariff.updated', 'tariff', g::text,
  '{"name": "A"}'::json, '{"name": "B"}'::json, now() - make_interval(secs => g * 60)
FROM generate_series(1, 200000) g;
ANALYZE;
SQL
TOKEN=$(target/release/server staff token --email admin@kinobill.local | tail -1)
KINOBILL__SERVER__ADDR="127.0.0.1:$PORT" KINOBILL__RATE_LIMIT__PER_SECOND=0 RUST_LOG=error target/release/server serve &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
cursor_at() {
  psql "$BENCH_URL" -XAtc "SELECT (extract(epoch from created_at) * 1000000)::bigint || '_' || replace(id::text, '-', '')
    FROM $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1"
}
measure() {
  local name=$1 url=$2
  for _ in $(seq 1 3); do curl -sf -H "Authorization: Bearer $TOKEN" "$url" >/dev/null; done
  for _ in $(seq 1 30); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$url"
  done | sort -n | awk -v name="$name" '{a[NR]=$1} END {printf "%-40s median %6.1f ms   p95 %6.1f ms\n", name, a[int(NR/2)+1]*1000, a[int(NR*0.95)]*1000}'
}
API="http://127.0.0.1:$PORT/api/v1/admin"
measure "payments: first page (50)" "$API/payments?limit=50"
measure "payments: deep page (after 900,000)" "$API/payments?limit=50&cursor=$(cursor_at payments $((N * 9 / 10)))"
measure "payments: status=failed" "$API/payments?limit=50&status=failed"
CUSTOMER=$(psql "$BENCH_URL" -XAtc "SELECT id FROM customers WHERE email = 'bench4242@example.com'")
measure "payments: one customer" "$API/payments?limit=50&user_id=$CUSTOMER"
measure "customers: first page" "$API/customers?limit=50"
measure "customers: deep page (after 90,000)" "$API/customers?limit=50&cursor=$(cursor_at customers $((C * 9 / 10)))"
measure "customers: search e-mail part" "$API/customers?limit=50&q=bench4242"
measure "customers: by id" "$API/customers?q=$CUSTOMER"
measure "subscriptions: status=grace" "$API/subscriptions?limit=50&status=grace"
measure "subscriptions: deep page" "$API/subscriptions?limit=50&cursor=$(cursor_at subscriptions $((C * 9 / 10)))"
measure "invoices: first page" "$API/invoices?limit=50"
measure "invoices: deep page (after 900,000)" "$API/invoices?limit=50&cursor=$(cursor_at invoices $((N * 9 / 10)))"
measure "invoices: one customer" "$API/invoices?limit=50&user_id=$CUSTOMER"
measure "audit: first page" "$API/audit?limit=50"
measure "audit: deep page" "$API/audit?limit=50&cursor=$(cursor_at audit_log 180000)"
measure "dashboard: last 30 days" "$API/dashboard"
measure "dashboard: 90 days" "$API/dashboard?from=$(date -u -d '89 days ago' +%F)&to=$(date -u +%F)"
