#!/usr/bin/env bash
# `make test`: lint, Rust tests on SQLite and PostgreSQL, Playwright against a release
# build. Runs every stage, then prints one summary; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

LOG_DIR=$(mktemp -d /tmp/kinobill-test.XXXXXX)
declare -a NAMES=() RESULTS=()
PASSED=0
FAILED=0

stage() {
  local name=$1; shift
  printf '\n\033[1;34m==> %s\033[0m\n' "$name"
  local start=$SECONDS
  "$@" 2>&1 | tee "$LOG_DIR/$(echo "$name" | tr ' /' '__').log"
  local rc=${PIPESTATUS[0]}
  NAMES+=("$name")
  RESULTS+=("$rc $((SECONDS - start))s")
  return "$rc"
}

count_cargo() {
  # Adds up cargo's "test result:" lines of a stage log.
  local log="$LOG_DIR/$(echo "$1" | tr ' /' '__').log"
  local p f
  p=$(grep -ao 'test result: [A-Za-z]*\. [0-9]* passed' "$log" | awk '{s+=$4} END {print s+0}')
  f=$(grep -ao '[0-9]* failed;' "$log" | awk '{s+=$1} END {print s+0}')
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
}

count_playwright() {
  local log="$LOG_DIR/$(echo "$1" | tr ' /' '__').log"
  local p f
  p=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -aoE '^ *[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
  f=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -aoE '^ *[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
}

overall=0
stage "install tools" scripts/install-tools.sh --e2e || overall=1
stage "sdk venv" scripts/sdk-venv.sh || overall=1
KINOBILL_SDK_PYTHON=$(scripts/sdk-venv.sh 2>/dev/null | tail -n1)
export KINOBILL_SDK_PYTHON
stage "cargo fmt" cargo fmt --all --check || overall=1
stage "cargo clippy" cargo clippy --all-targets -- -D warnings || overall=1
stage "cargo clippy wasm" cargo clippy -p frontend -p app --target wasm32-unknown-unknown --features app/hydrate -- -D warnings || overall=1

stage "rust tests sqlite" env TEST_DATABASE=sqlite cargo test --no-fail-fast || overall=1
count_cargo "rust tests sqlite"

PG_URL=$(scripts/ensure-postgres.sh)
if [ -z "$PG_URL" ]; then
  echo "no PostgreSQL available" >&2
  NAMES+=("rust tests postgres"); RESULTS+=("1 0s"); overall=1; FAILED=$((FAILED + 1))
else
  stage "rust tests postgres" env TEST_DATABASE=postgres TEST_POSTGRES_URL="$PG_URL" cargo test --no-fail-fast -p server --test api || overall=1
  count_cargo "rust tests postgres"
fi
scripts/stop-postgres.sh

stage "release build" cargo leptos build --release || overall=1
stage "api fuzzer" env API_FUZZ_MAX_TIME=180 scripts/api-fuzz.sh target/release/server || overall=1
stage "playwright" scripts/e2e.sh || overall=1
count_playwright "playwright"

printf '\n\033[1m%-24s %s\033[0m\n' "stage" "result"
for i in "${!NAMES[@]}"; do
  read -r rc secs <<<"${RESULTS[$i]}"
  if [ "$rc" = 0 ]; then status="ok"; else status="FAILED (exit $rc)"; fi
  printf '%-24s %-18s %s\n' "${NAMES[$i]}" "$status" "$secs"
done
rm -rf "$LOG_DIR"
if [ "$overall" != 0 ] && [ "$FAILED" = 0 ]; then FAILED=1; fi
echo
echo "$PASSED passed, $FAILED failed"
exit "$overall"
