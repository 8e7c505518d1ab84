#!/usr/bin/env bash
# Stops the throwaway cluster that ensure-postgres.sh started, if any.
set -euo pipefail
[ -f /tmp/kinobill-pg.current ] || exit 0
DIR=$(cat /tmp/kinobill-pg.current)
BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")
RUN_AS=()
[ "$(id -u)" = 0 ] && RUN_AS=(runuser -u postgres --)
"${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
rm -rf "$DIR" /tmp/kinobill-pg.current
