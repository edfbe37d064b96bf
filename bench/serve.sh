#!/usr/bin/env bash
# Benchmarks of `rexian serve` (issue: platform foundation):
#   1. cold start to the first answered request on an existing database,
#   2. idle resident memory,
#   3. /api/v1/health throughput from wrk on loopback.
# Usage: bench/serve.sh [path/to/rexian]   (default: target/release/rexian; build it first with
#        cargo build --release -p rexian). Needs wrk (apt-get install wrk) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/rexian}
PORT=${PORT:-18080}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
data=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT

export REXIAN_DATA_DIR="$data" REXIAN_LOG__LEVEL=warn
export REXIAN_BOOTSTRAP__ADMIN_USERNAME=admin REXIAN_BOOTSTRAP__ADMIN_PASSWORD=bench-password-1
"$BIN" migrate >/dev/null   # the existing database
"$BIN" seed baisha >/dev/null

# 1. Cold start: process start to the first 200 from /api/v1/health.
best=""
for run in 1 2 3 4 5; do
  start=$(date +%s%N)
  "$BIN" serve --listen 127.0.0.1:$PORT </dev/null >/dev/null &
  pid=$!
  until curl -sf -o /dev/null http://127.0.0.1:$PORT/api/v1/health; do sleep 0.005; done
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "cold start run $run: ${ms} ms"
  if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  if [ "$run" -lt 5 ]; then kill -TERM $pid; wait $pid || true; fi
done
echo "cold start (best of 5): ${best} ms"

# 2. Idle memory, after the background tasks have run a few times.
sleep 5
echo "idle RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"

# 3. Throughput of /api/v1/health.
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency http://127.0.0.1:$PORT/api/v1/health
echo "RSS after load: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
