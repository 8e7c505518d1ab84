#!/usr/bin/env bash
# Runs the Playwright suite against the release build (build it first: make build).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/install-tools.sh --e2e
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
CLOCK_PORT=$(free_port)
YK_PORT=$(free_port)
CP_PORT=$(free_port)
DB_DIR=$(mktemp -d /tmp/kinobill-e2e.XXXXXX)
trap 'rm -rf "$DB_DIR"' EXIT
cd end2end
E2E_PORT="$PORT" E2E_DB_FILE="$DB_DIR/kinobill.db" \
  E2E_CLOCK_PORT="$CLOCK_PORT" E2E_CLOCK_DB_FILE="$DB_DIR/kinobill-clock.db" \
  E2E_YK_PORT="$YK_PORT" E2E_YK_DB_FILE="$DB_DIR/kinobill-yk.db" \
  E2E_CP_PORT="$CP_PORT" E2E_CP_DB_FILE="$DB_DIR/kinobill-cp.db" npx playwright test "$@"
