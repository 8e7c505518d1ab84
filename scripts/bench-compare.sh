#!/usr/bin/env bash
# Checkout, renewal and settlement throughput of this checkout against an earlier
# revision, on the same machine in the same run (release builds of both, benches
# alternated A/B/A/B so drift hits both alike). Usage: scripts/bench-compare.sh REV [N]
#   REV  the baseline (e.g. the commit before a change), N due renewals (default 20,000)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
REV=${1:?usage: scripts/bench-compare.sh REV [N]}
N=${2:-20000}
OUT=$(mktemp -d /tmp/kinobill-bench.XXXXXX)
BASE="$OUT/base-src"
git worktree add -q --detach "$BASE" "$REV"
cleanup() { git worktree remove --force "$BASE" 2>/dev/null || true; }
trap cleanup EXIT

TARGET="$(pwd -P)/target"
build() { # $1: source dir, $2: where to keep its binaries (both builds share one target dir)
  (cd "$1" && cargo build --release -q -p server --bin server --example bench_worker --target-dir "$TARGET")
  mkdir -p "$2"
  cp "$TARGET/release/server" "$TARGET/release/examples/bench_worker" "$2/"
}
echo "== building HEAD and $REV (release)"
build . "$OUT/head"
build "$BASE" "$OUT/base"

for round in 1 2; do
  for side in base head; do
    echo "== round $round: $side"
    SERVER_BIN="$OUT/$side/server" scripts/bench-checkout.sh 2>&1 | grep -E "==|Requests/sec|99%|stored" || true
    BENCH_WORKER_BIN="$OUT/$side/bench_worker" scripts/bench-worker.sh "$N" renewals 2>&1 \
      | grep -viE "^\s*(Compiling|Finished)" || true
  done
done
rm -rf "$OUT/head" "$OUT/base"
