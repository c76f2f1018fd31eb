#!/usr/bin/env bash
# bench/vault.sh -- secret reads per second at a vault's endpoint, each
# request with full token verification (RS256 signature, claims) and the
# access-policy check against the vault document read from the store,
# beside OpenSSL's RSA-2048 verify rate measured in the same run, and the
# same endpoint answering requests without a token (401 challenge: TLS +
# HTTP + the vault document, no verification) as the floor. Not part of
# `make test`.
#
#   bench/vault.sh        (needs wrk: apt-get install wrk)
# Env: DURATION (s per run, default 10), CONNS (default 32), ROUNDS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DURATION=${DURATION:-10}; CONNS=${CONNS:-32}; ROUNDS=${ROUNDS:-2}
command -v wrk >/dev/null || { echo "bench/vault.sh needs wrk (apt-get install wrk)"; exit 1; }
make --no-print-directory "$BUILD/mident" >/dev/null
tmp=$(mktemp -d /tmp/mident-vault-bench.XXXXXX)
MPID=
cleanup() { [ -n "$MPID" ] && kill "$MPID" 2>/dev/null; sleep 0.5; rm -rf "$tmp"; }
trap cleanup EXIT
"$BUILD/mident" up --data "$tmp/data" --listen 127.0.0.1:0 --no-agent --log-level warn >"$tmp/mident.log" 2>&1 &
MPID=$!
for _ in $(seq 100); do grep -q "mident is up" "$tmp/mident.log" && break; sleep 0.1; done
M="$BUILD/mident --data $tmp/data"
$M group create -n bench -l westeurope >/dev/null
URI=$($M keyvault create -n bench-kv -g bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["vaultUri"])')
$M keyvault secret set --vault-name bench-kv -n s1 --value "$(head -c 48 /dev/urandom | base64)" >/dev/null
TOK=$($M account get-access-token --resource https://vault.azure.net | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
echo "== vault secret reads ($(nproc) cores, wrk $CONNS connections, ${DURATION}s, keep-alive TLS)"
ossl() { openssl speed -seconds 5 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $NF}'; }
rate() { tee -a "$tmp/wrk.log" | awk '/^Requests\/sec/ {print $2}'; }
for round in $(seq "$ROUNDS"); do
  o=$(ossl)
  echo "openssl speed rsa2048: ${o} verify/s (one core)"
  r=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" -H "Authorization: Bearer $TOK" "${URI}secrets/s1?api-version=7.4" | rate)
  echo "GET /secrets/s1 with a token (verify + policy + read): ${r} req/s"
  n=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" "${URI}secrets/s1?api-version=7.4" | rate)
  echo "GET /secrets/s1 without a token (401 challenge):       ${n} req/s"
  awk -v a="$r" -v b="$o" 'BEGIN { printf "  reads/s / openssl verify/s (one core) = %.3f\n", a / b }'
done
echo "(non-2xx lines from wrk, expected only for the no-token runs:)"; grep -h "Non-2xx" "$tmp/wrk.log" || true
