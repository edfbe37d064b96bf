#!/usr/bin/env bash
# Import of a generated queue_log into a fresh SQLite database, twice (the second run must
# add nothing). Usage: bench/import.sh [path/to/rexian] [lines]  (default 1,000,000 lines)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/rexian}
LINES=${2:-1000000}
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export REXIAN_DATA_DIR="$data" REXIAN_LOG__LEVEL=warn
"$BIN" seed baisha >/dev/null
python3 bench/gen_queue_log.py "$LINES" > "$data/queue_log"
echo "generated $(wc -l < "$data/queue_log") lines, $(du -h "$data/queue_log" | cut -f1)"
for run in first second; do
  start=$(date +%s%N)
  "$BIN" import asterisk-queue-log "$data/queue_log" --progress-every 0 || true
  echo "$run import: $(( ($(date +%s%N) - start) / 1000000 )) ms"
done
echo "database: $(du -h "$data/rexian.db" | cut -f1)"
