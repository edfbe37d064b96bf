#!/usr/bin/env bash
# CTI API throughput: a fresh database, 16 agents signed in and ready, wrap-up 0 s (so an
# agent is ready again at once), then wrk drives arrive → answer → end calls.
# Usage: bench/cti.sh [path/to/rexian]  (default target/release/rexian; needs wrk and curl)
# SQLite by default; with PG_ADMIN_URL=postgres://root@127.0.0.1:5432/test a fresh PostgreSQL
# database is made next to that one and dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/rexian}
PORT=${PORT:-18090}
DURATION=${DURATION:-20s}
THREADS=${THREADS:-4}
AGENTS=${AGENTS:-16}
data=$(mktemp -d)
pid=""
pgdb=""
cleanup() {
  [ -n "$pid" ] && kill $pid 2>/dev/null && wait $pid 2>/dev/null || true
  rm -rf "$data"
  [ -n "$pgdb" ] && psql "$PG_ADMIN_URL" -qc "drop database if exists $pgdb with (force)" || true
}
trap cleanup EXIT
export REXIAN_DATA_DIR="$data" REXIAN_LOG__LEVEL=warn REXIAN_ACD__WRAP_UP_SECONDS=0
if [ -n "${PG_ADMIN_URL:-}" ]; then
  pgdb="rexian_bench_cti_$$"
  psql "$PG_ADMIN_URL" -qc "create database $pgdb"
  export REXIAN_DATABASE_URL="${PG_ADMIN_URL%/*}/$pgdb"
  "$BIN" migrate >/dev/null
fi
PW=bench-password-1
"$BIN" seed baisha >/dev/null
echo "$PW" | "$BIN" user add --username cti --role platform_admin --password-stdin >/dev/null
for i in $(seq 1 "$AGENTS"); do
  echo "$PW" | "$BIN" user add --username "agent$i" --role agent --password-stdin >/dev/null
done
"$BIN" serve --listen 127.0.0.1:$PORT </dev/null >/dev/null &
pid=$!
until curl -sf -o /dev/null http://127.0.0.1:$PORT/api/v1/health; do sleep 0.01; done
login() {
  curl -sf -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$PW\"}" http://127.0.0.1:$PORT/api/v1/auth/login |
    sed 's/.*"token":"\([^"]*\)".*/\1/'
}
for i in $(seq 1 "$AGENTS"); do
  t=$(login "agent$i")
  curl -sf -o /dev/null -H "authorization: Bearer $t" -H 'content-type: application/json' \
    -d '{}' http://127.0.0.1:$PORT/api/v1/cti/agents/me/sign-in
  curl -sf -o /dev/null -H "authorization: Bearer $t" -H 'content-type: application/json' \
    -d '{"state":"ready"}' http://127.0.0.1:$PORT/api/v1/cti/agents/me/state
done
export CTI_TOKEN=$(login cti)
wrk -t"$THREADS" -c"$THREADS" -d"$DURATION" --latency -s bench/cti.lua http://127.0.0.1:$PORT
echo "calls stored: $(curl -sf -H "authorization: Bearer $CTI_TOKEN" \
  "http://127.0.0.1:$PORT/api/v1/calls/figures?from=2026-01-01&to=2027-12-31" |
  sed 's/.*"calls":\([0-9]*\).*/\1/')"
