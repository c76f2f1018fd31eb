#!/usr/bin/env bash
# bench/run.sh -- mident's benchmarks, each beside its physical limit or a
# peer measured in the same run. Not part of `make test`. Writes nothing
# by itself; copy the figures into docs/PERFORMANCE.md.
#
#   bench/run.sh [mint]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
what=${1:-mint}

mint() {
  make --no-print-directory "$BUILD/bench_mint" >/dev/null
  tmp=$(mktemp -d /tmp/mident-bench.XXXXXX)
  trap 'rm -rf "$tmp"' RETURN
  echo "== token minting vs openssl speed rsa2048 (same run, $(nproc) cores)"
  # OpenSSL's own RSA-2048 signing rate on one core: the physical limit of
  # an RS256 token service.
  ossl=$(openssl speed -seconds 5 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $(NF-1)}')
  echo "openssl speed rsa2048: ${ossl} sign/s (one core)"
  # Interleaved: openssl, sign path, full mint, for 1 and 2 threads, so
  # drift in the machine's speed hits all of them alike.
  for round in 1 2; do
    for t in 1 2; do
      for mode in sign mint; do
        r=$("$BUILD/bench_mint" "$tmp/d$round$t$mode" "$t" 5 "$mode" 2>/dev/null)
        echo "mident $mode, $t thread(s): $r"
        per_cpu=$(echo "$r" | sed -E 's/.*"tokens_per_cpu_s":([0-9.]+).*/\1/')
        awk -v a="$per_cpu" -v b="$ossl" 'BEGIN { printf "  per-core tokens/s / openssl sign/s = %.3f\n", a / b }'
      done
    done
    ossl=$(openssl speed -seconds 5 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $(NF-1)}')
    echo "openssl speed rsa2048: ${ossl} sign/s (one core)"
  done
}

case "$what" in
  mint) mint ;;
  *) echo "unknown benchmark $what" >&2; exit 2 ;;
esac
