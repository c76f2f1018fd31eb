#!/usr/bin/env bash
# Installs what building and testing mident needs, only when missing:
# Debian packages with apt-get, npm packages with `npm ci` from the
# committed package-lock.json. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PKGS="build-essential pkg-config libmicrohttpd-dev libcjson-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev openssl"
TEST_PKGS="nodejs npm python3-azure azure-cli curl"
want="$BUILD_PKGS"
[ "${MIDENT_DEPS:-test}" = "test" ] && want="$want $TEST_PKGS"

missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  # node and npm may come from elsewhere on a developer machine
  if command -v node >/dev/null && command -v npm >/dev/null; then
    missing=$(echo "$missing" | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' ')
  fi
fi
if [ -n "${missing// /}" ]; then
  echo "deps: installing Debian packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq $missing >/dev/null
fi

if [ "${MIDENT_DEPS:-test}" = "test" ] && [ -f tests/e2e/package-lock.json ]; then
  stamp=tests/e2e/node_modules/.lock-stamp
  if [ ! -f "$stamp" ] || ! cmp -s tests/e2e/package-lock.json "$stamp"; then
    echo "deps: npm ci in tests/e2e"
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
    cp tests/e2e/package-lock.json "$stamp"
  fi
fi
