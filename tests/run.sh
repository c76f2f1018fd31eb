#!/usr/bin/env bash
# Runs mident's tests and ends with one line "N passed, N failed".
#   tests/run.sh [unit|e2e]      (default: both)
# Unit tests are the C binaries in $BUILD/tests; end-to-end tests are
# tests/e2e/*.test.mjs (node --test, real @azure/* clients and jose) and
# tests/e2e/*_test.py (Debian's /usr/bin/python3 with python3-azure), each
# starting real mident processes on loopback.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export MIDENT_BIN="$PWD/$BUILD/mident"
export MIDENT_BUILD="$PWD/$BUILD"
what=${1:-all}
passed=0; failed=0; failures=()
log_dir=$(mktemp -d /tmp/mident-test-logs.XXXXXX)

count() { # name passed failed
  passed=$((passed + $2)); failed=$((failed + $3))
  [ "$3" -gt 0 ] && failures+=("$1")
  return 0
}

if [ "$what" = all ] || [ "$what" = unit ]; then
  for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    out="$log_dir/$name.log"
    "$t" >"$out" 2>&1; rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
    p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}')
    [ -z "$p" ] && { p=0; f=1; }
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    echo "unit $name: $p passed, $f failed"
    [ "$f" -gt 0 ] && sed 's/^/    /' "$out" | grep -v '^    ok ' | tail -40
    count "$name" "$p" "$f"
  done
fi

if [ "$what" = all ] || [ "$what" = e2e ]; then
  for t in tests/e2e/*.test.mjs; do
    [ -f "$t" ] || continue
    name=$(basename "$t")
    out="$log_dir/$name.log"
    node --test --test-reporter=tap "$t" >"$out" 2>&1; rc=$?
    p=$(grep -E '^# pass ' "$out" | tail -1 | awk '{print $3}')
    f=$(grep -E '^# fail ' "$out" | tail -1 | awk '{print $3}')
    [ -z "$p" ] && p=0; [ -z "$f" ] && f=1
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    echo "e2e  $name: $p passed, $f failed"
    [ "$f" -gt 0 ] && grep -vE '^\s*(ok |# Subtest|---$|\.\.\.$|duration_ms|type:)' "$out" | tail -60 | sed 's/^/    /'
    count "$name" "$p" "$f"
  done
  for t in tests/e2e/*_test.py; do
    [ -f "$t" ] || continue
    name=$(basename "$t")
    out="$log_dir/$name.log"
    /usr/bin/python3 "$t" -v >"$out" 2>&1; rc=$?
    total=$(grep -E '^Ran [0-9]+ test' "$out" | awk '{print $2}')
    fl=$(grep -E '^FAILED \(' "$out" | grep -oE '(failures|errors)=[0-9]+' | cut -d= -f2 | awk '{s+=$1} END {print s+0}')
    [ -z "$total" ] && total=0; [ -z "$fl" ] && fl=0
    [ "$rc" -ne 0 ] && [ "$fl" -eq 0 ] && fl=1
    p=$((total - fl)); [ $p -lt 0 ] && p=0
    echo "e2e  $name: $p passed, $fl failed"
    [ "$fl" -gt 0 ] && tail -60 "$out" | sed 's/^/    /'
    count "$name" "$p" "$fl"
  done
fi

[ ${#failures[@]} -gt 0 ] && echo "failing: ${failures[*]} (logs in $log_dir)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
