#!/usr/bin/env bash
# The Python venv with the payment providers' published SDKs (scripts/sdk/requirements.txt),
# for server/tests/api/sdk_clients.rs. Idempotent; prints the venv's python on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${KINOBILL_SDK_VENV:-$HOME/.cache/kinobill/sdk-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r scripts/sdk/requirements.txt >&2
echo "$VENV/bin/python"
