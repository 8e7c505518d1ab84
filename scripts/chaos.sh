#!/usr/bin/env bash
# `make chaos` (not in `make test`): scripts/chaos/driver.py on a throw-away PostgreSQL
# cluster of its own (so it can be restarted), with the release build (make build).
#   CHAOS_CHECKOUTS (2000), CHAOS_RENEWALS (500), CHAOS_PER_MILLE (sandbox faults, 50)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(pwd)/target/release/server"
[ -x "$BIN" ] || { echo "run make build first" >&2; exit 1; }
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
PGBIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
WORK=$(mktemp -d /tmp/kinobill-chaos.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PGPORT=$(free_port)
RUN_AS=()
if [ "$(id -u)" = 0 ]; then chown postgres "$WORK"; RUN_AS=(runuser -u postgres --); fi
"${RUN_AS[@]}" "$PGBIN/initdb" -D "$WORK/data" -U postgres --auth=trust >/dev/null
PG_CTL=("${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=200" -l "$WORK/pg.log")
"${PG_CTL[@]}" -w start >/dev/null
cleanup() {
  "${PG_CTL[@]}" -m immediate stop >/dev/null 2>&1 || true
  if [ -z "${CHAOS_KEEP:-}" ]; then rm -rf "$WORK"; else echo "logs kept in $WORK"; fi
}
trap cleanup EXIT
psql "postgres://postgres@127.0.0.1:$PGPORT/postgres" -qc "CREATE DATABASE kinobill_chaos"

export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/kinobill_chaos"
export KINOBILL__AUTH__JWT_SECRET="chaos-secret-chaos-secret-chaos-secret-0000"
export KINOBILL__CLOCK=test KINOBILL__CLOCK_ALLOW_POSTGRES=true
export KINOBILL__DEMO__SEED=true KINOBILL__RATE_LIMIT__PER_SECOND=0
export KINOBILL__SANDBOX__CHAOS="${CHAOS_PER_MILLE:-50}"
export KINOBILL__DATABASE__MAX_CONNECTIONS=16
export KINOBILL__WORKER__INTERVAL=PT1S
export KINOBILL__LOG__LEVEL=warn
export LEPTOS_SITE_ROOT="$(pwd)/target/site"
"$BIN" migrate >/dev/null
"$BIN" seed >/dev/null
export CHAOS_BIN="$BIN" CHAOS_WORK="$WORK" CHAOS_PORTS="$(free_port),$(free_port)"
cat > "$WORK/pg-restart.sh" <<RESTART
#!/bin/sh
exec ${RUN_AS[*]} "$PGBIN/pg_ctl" -D "$WORK/data" -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=200" -l "$WORK/pg.log" -m immediate -w restart
RESTART
chmod +x "$WORK/pg-restart.sh"
export CHAOS_PG_RESTART="$WORK/pg-restart.sh"
python3 scripts/chaos/driver.py
