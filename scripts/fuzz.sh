#!/usr/bin/env bash
# `make fuzz`: every cargo-fuzz target (fuzz/fuzz_targets) for FUZZ_SECONDS each (default
# 600), seeded from fuzz/corpus/<target>; new inputs go to a scratch corpus, crashes to
# fuzz/artifacts/<target>. Not part of `make test`. cargo-fuzz needs nightly flags: the
# stable toolchain allows them with RUSTC_BOOTSTRAP=1.
#   scripts/fuzz.sh [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_FUZZ_VERSION=0.13.1
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
export RUSTC_BOOTSTRAP=1
SECONDS_EACH="${FUZZ_SECONDS:-600}"
SCRATCH="${FUZZ_SCRATCH:-/tmp/kinobill-fuzz-corpus}"
if [ "$#" -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cd fuzz && cargo fuzz list); fi
failed=0
for target in "${targets[@]}"; do
  mkdir -p "$SCRATCH/$target"
  echo "==> $target for ${SECONDS_EACH}s"
  if ! (cd fuzz && cargo fuzz run "$target" "$SCRATCH/$target" "corpus/$target" \
      -- -max_total_time="$SECONDS_EACH" -max_len=4096 -print_final_stats=1 2>&1 | tail -n 25); then
    echo "!! $target found a crash: see fuzz/artifacts/$target" >&2
    failed=1
  fi
done
exit "$failed"
