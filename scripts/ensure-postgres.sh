#!/usr/bin/env bash
# Prints a PostgreSQL URL for the tests. Uses TEST_POSTGRES_URL (default: the local
# server) when it answers; otherwise installs Debian's postgresql if needed and starts a
# throwaway cluster in a temp dir on a free port (stopped by scripts/stop-postgres.sh).
# Never silently skips: if no PostgreSQL can be had, it fails.
set -euo pipefail
URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

answers() { psql "$1" -XAtqc 'select 1' >/dev/null 2>&1; }

if command -v psql >/dev/null && answers "$URL"; then
  echo "$URL"
  exit 0
fi

echo "PostgreSQL at ${URL} does not answer; starting a throwaway cluster" >&2
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
DIR=$(mktemp -d /tmp/kinobill-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RUN_AS=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$DIR"
  RUN_AS=(runuser -u postgres --)
fi
"${RUN_AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust >&2
"${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1" -l "$DIR/log" -w start >&2
echo "$DIR" > /tmp/kinobill-pg.current
echo "postgres://postgres@127.0.0.1:${PORT}/postgres"
