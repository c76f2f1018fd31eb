#!/usr/bin/env bash
# bench/agent.sh -- the node agent's identity endpoint under load, beside
# nginx serving a static JSON file of the same size, with the same client
# (wrk) in the same run; then the resident memory of `mident up` (server +
# agent) with 1,000 container apps running on the node, each with an
# identity and a cached token. Not part of `make test`.
#
#   bench/agent.sh            (needs wrk and nginx: apt-get install wrk nginx-light)
# Env: DURATION (s per run, default 10), CONNS (default 64), ROUNDS (default 3),
#      APPS (default 1000).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DURATION=${DURATION:-10}; CONNS=${CONNS:-64}; ROUNDS=${ROUNDS:-3}; APPS=${APPS:-1000}
command -v wrk >/dev/null && command -v nginx >/dev/null || {
  echo "bench/agent.sh needs wrk and nginx (apt-get install wrk nginx-light)"; exit 1; }
make --no-print-directory "$BUILD/mident" >/dev/null

tmp=$(mktemp -d /tmp/mident-agent-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 1; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
AGENT_PORT=$(free_port)
"$BUILD/mident" up --data "$tmp/data" --listen 127.0.0.1:0 --agent-listen "127.0.0.1:$AGENT_PORT" \
  --log-level warn >"$tmp/mident.log" 2>&1 &
MPID=$!; pids+=("$MPID")
for _ in $(seq 100); do grep -q "mident is up" "$tmp/mident.log" && break; sleep 0.1; done
EP="$tmp/data/endpoints.json"
CA="$tmp/data/tls/ca.pem"
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
RSS0=$(rss "$MPID")

# One app whose replica writes its IDENTITY_HEADER where the bench can read it.
NODE_EXTRA_CA_CERTS=$CA node bench/agent_apps.mjs "$EP" 1 \
  '["/bin/sh","-c","echo \"$IDENTITY_HEADER\" > secret; exec sleep 100000"]' >/dev/null
for _ in $(seq 100); do ls "$tmp"/data/replicas/bench/app0/*/work/secret >/dev/null 2>&1 && break; sleep 0.1; done
SECRET=$(cat "$tmp"/data/replicas/bench/app0/*/work/secret)
URL="http://127.0.0.1:$AGENT_PORT/MSI/token?api-version=2019-08-01&resource=https://vault.azure.net"
curl -sf -H "X-IDENTITY-HEADER: $SECRET" "$URL" >"$tmp/token.json"   # mint once: now cached
SIZE=$(stat -c %s "$tmp/token.json")

# nginx: the same bytes as a static file, 2 workers (one per core), no logs.
NGINX_PORT=$(free_port)
mkdir -p "$tmp/nginx/www" "$tmp/nginx/tmp"
cp "$tmp/token.json" "$tmp/nginx/www/token.json"
chmod 755 "$tmp" "$tmp/nginx" "$tmp/nginx/www"; chmod 644 "$tmp/nginx/www/token.json"  # workers run as nobody
cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes $(nproc);
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/tmp; proxy_temp_path $tmp/nginx/tmp;
  fastcgi_temp_path $tmp/nginx/tmp; uwsgi_temp_path $tmp/nginx/tmp; scgi_temp_path $tmp/nginx/tmp;
  default_type application/json;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$NGINX_PORT; root $tmp/nginx/www; }
}
CONF
nginx -c "$tmp/nginx/nginx.conf" -g "daemon off;" 2>"$tmp/nginx.err" &
NPID=$!; pids+=("$NPID")
sleep 0.5
NGINX_URL="http://127.0.0.1:$NGINX_PORT/token.json"
curl -sf "$NGINX_URL" | cmp -s - "$tmp/token.json" || { echo "nginx does not serve the file"; cat "$tmp/nginx.err" "$tmp/nginx/error.log" 2>/dev/null; exit 1; }

echo "== identity endpoint (cached token, $SIZE-byte body) vs nginx static file, wrk -t2 -c$CONNS -d${DURATION}s, $(nproc) cores, interleaved"
# CPU time (clock ticks) used so far by a process and its children
# processes (nginx workers): robust against other load on the machine,
# unlike req/s.
cpu_ticks() { # pid...
  local t=0 p
  for p in "$@" $(ps -o pid= --ppid "$1" 2>/dev/null); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
HZ=$(getconf CLK_TCK)
run_wrk() { # label pid url [header]
  local out c0 c1
  c0=$(cpu_ticks "$2")
  if [ -n "${4:-}" ]; then out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "$4" "$3")
  else out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$3"); fi
  c1=$(cpu_ticks "$2")
  local rps p99 errs reqs us
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" { v=$2; u=v; gsub(/[0-9.]/, "", u); sub(/[a-z]+$/, "", v);
         printf "%.2f", u=="us" ? v/1000 : (u=="s" ? v*1000 : v) }')  # in ms
  errs=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  us=$(awk -v t="$((c1 - c0))" -v hz="$HZ" -v n="$reqs" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
  echo "$1 req/s=$rps p99_ms=$p99 cpu_us_per_req=$us${errs:+ non2xx=$errs}"
}
AG=(); NG=(); AC=(); NC=(); AP=(); NP=()
field() { echo "$1" | sed -E "s/.*$2=([0-9.]+).*/\\1/"; }
for r in $(seq "$ROUNDS"); do
  a=$(run_wrk agent "$MPID" "$URL" "X-IDENTITY-HEADER: $SECRET"); echo "round $r: $a"
  AG+=("$(field "$a" 'req\/s')"); AC+=("$(field "$a" cpu_us_per_req)"); AP+=("$(field "$a" p99_ms)")
  n=$(run_wrk nginx "$NPID" "$NGINX_URL"); echo "round $r: $n"
  NG+=("$(field "$n" 'req\/s')"); NC+=("$(field "$n" cpu_us_per_req)"); NP+=("$(field "$n" p99_ms)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
MA=$(median "${AG[@]}"); MN=$(median "${NG[@]}")
awk -v a="$MA" -v n="$MN" -v ac="$(median "${AC[@]}")" -v nc="$(median "${NC[@]}")" \
    -v ap="$(median "${AP[@]}")" -v np="$(median "${NP[@]}")" 'BEGIN {
  printf "median: agent %.0f req/s (p99 %s ms, %.2f us CPU/req), nginx %.0f req/s (p99 %s ms, %.2f us CPU/req)\n", a, ap, ac, n, np, nc
  printf "ratio agent/nginx: req/s %.2f (target >= 0.90); CPU per request %.2f\n", a / n, ac / nc }'

echo "== resident memory of mident up (server + agent) with $APPS apps on the node"
RSS1=$(rss "$MPID")
NODE_EXTRA_CA_CERTS=$CA node bench/agent_apps.mjs "$EP" "$((APPS - 1))" \
  '["/bin/sh","-c","echo \"$IDENTITY_HEADER\" > secret; exec sleep 100000"]' 1
for _ in $(seq 600); do
  n=$(ls "$tmp"/data/replicas/bench/*/*/work/secret 2>/dev/null | wc -l)
  [ "$n" -ge "$APPS" ] && break; sleep 0.2
done
echo "replicas running: $n"
# one cached token per app
t0=$(date +%s.%N)
for f in "$tmp"/data/replicas/bench/*/*/work/secret; do
  curl -sf -o /dev/null -H "X-IDENTITY-HEADER: $(cat "$f")" "$URL" || echo "token failed for $f"
done
t1=$(date +%s.%N)
RSS2=$(rss "$MPID")
awk -v a="$RSS0" -v b="$RSS1" -v c="$RSS2" -v n="$APPS" -v t="$(echo "$t1 - $t0" | bc)" 'BEGIN {
  printf "RSS at start %.1f MB; after the load test %.1f MB; with %d apps, replicas and cached tokens %.1f MB (+%.1f MB, %.1f KB per app); %d tokens minted in %.1f s\n",
         a/1024, b/1024, n, c/1024, (c-b)/1024, (c-b)/n, n, t }'
