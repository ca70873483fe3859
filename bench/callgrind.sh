#!/usr/bin/env bash
# What one request costs the server in instructions, counted by valgrind's callgrind. Unlike
# req/s on a shared 2-core machine, the count repeats from run to run for the same binary, data
# and requests, whatever else the machine is doing, so two builds can be compared one change at
# a time.
#
#   cargo build --release
#   LIANJIAN_BIN=target/release/lianjian bench/callgrind.sh
#   QUERIES="Q2" REQUESTS=50 KEEP_PROFILES=1 bench/callgrind.sh   # then callgrind_annotate OUT/Q2.cg
#
# What it does:
#   1. creates the PostgreSQL database $DB (dropped first), runs `lianjian serve --demo` on it
#      once to load the demo data and read the demo administrator's password;
#   2. grows it with GROW_SQL (the side-by-side benchmark's data: about 2,000 organizations and
#      20,000 people), when that file exists;
#   3. for each query: starts `lianjian serve` under callgrind, signs in, sends three requests to
#      warm it up, zeroes the counters, sends REQUESTS requests one after the other, reads the
#      counters, and reads lianjian_sql_statements_total around them;
#   4. prints instructions per request (the server process, all threads) and statements per
#      request for each query.
#
# Queries (as the side-by-side benchmark sends them, signed in as admin):
#   Q0a  { __typename } with a token
#   Q1   one organization by id: name, level, parent { name }, area { name }
#   Q2   organizations(first: 50): name, parent { name }, children { totalCount },
#        people(first: 5) { nodes { name } }
#   M1   createPerson with a name, a political status and an organization
#
# Environment (defaults in brackets):
#   LIANJIAN_BIN  the lianjian release binary [target/release/lianjian]
#   PGURL         PostgreSQL server URL without database [postgres://postgres@127.0.0.1:5432]
#   DB            database to create [lianjian_callgrind]
#   GROW_SQL      SQL run after the demo data [../shared/bench/grow-data.sql]
#   QUERIES ["Q0a Q1 Q2 M1"]  REQUESTS [20]  PORT [18720]
#   KEEP_PROFILES=1  keep the callgrind files in OUT   KEEP_DB=1  keep the database
#   OUT           folder for logs and profiles [a new mktemp -d folder]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
LIANJIAN_BIN=${LIANJIAN_BIN:-$here/../target/release/lianjian}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
DB=${DB:-lianjian_callgrind}
GROW_SQL=${GROW_SQL:-$here/../../shared/bench/grow-data.sql}
QUERIES=${QUERIES:-Q0a Q1 Q2 M1}
REQUESTS=${REQUESTS:-20}
PORT=${PORT:-18720}
KEEP_PROFILES=${KEEP_PROFILES:-0}
KEEP_DB=${KEEP_DB:-0}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ -x "$LIANJIAN_BIN" ] || die "no lianjian binary at $LIANJIAN_BIN (cargo build --release, or set LIANJIAN_BIN)"
[[ "$DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "DB must be a plain lower-case name"
for tool in valgrind callgrind_control callgrind_annotate psql curl python3; do
  command -v "$tool" > /dev/null || die "$tool is missing (apt-get install -y valgrind postgresql-client curl python3)"
done

DB_URL="$PGURL/$DB?sslmode=disable"
export LIANJIAN_JWT_SECRET
LIANJIAN_JWT_SECRET=$(head -c 36 /dev/urandom | base64)
SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2> /dev/null; then
    kill "$SERVER_PID" 2> /dev/null || true
    wait "$SERVER_PID" 2> /dev/null || true
  fi
  SERVER_PID=
}
cleanup() {
  stop_server
  [ "$KEEP_DB" = 1 ] || psql -X -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB" > /dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_up() { # SECONDS
  local deadline=$((SECONDS + $1))
  until curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

# --- 1. and 2. the data ------------------------------------------------------------------------
psql -X -q -v ON_ERROR_STOP=1 "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
say "loading the demo data into $DB"
"$LIANJIAN_BIN" serve --demo --bind "127.0.0.1:$PORT" --database-url "$DB_URL" > "$OUT/demo.log" 2>&1 &
SERVER_PID=$!
wait_up 120 || { tail -20 "$OUT/demo.log" >&2; die "lianjian did not start"; }
stop_server
ADMIN_PW=$(awk '/demo accounts/ {on = 1; next} on && $1 == "admin" {print $2; exit}' "$OUT/demo.log")
[ -n "$ADMIN_PW" ] || die "no demo password in $OUT/demo.log"
if [ -f "$GROW_SQL" ]; then
  say "growing the data ($GROW_SQL)"
  psql -X -q -v ON_ERROR_STOP=1 "$DB_URL" -f "$GROW_SQL" > "$OUT/grow.txt"
else
  say "no $GROW_SQL: measuring on the demo data alone"
fi

sql1() { psql -X -At "$DB_URL" -c "$1"; }
global_id() { printf '%s:%s' "$1" "${2//-/}" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
Q1_ID=$(global_id Organization "$(sql1 "SELECT id FROM organization WHERE depth = 3 ORDER BY name, id LIMIT 1")")
M1_ID=$(global_id Organization "$(sql1 "SELECT id FROM organization WHERE archived_at IS NULL ORDER BY name DESC, id DESC LIMIT 1")")
body() {
  case $1 in
    Q0a) echo '{"query":"query Q0a { __typename }"}' ;;
    Q1) echo "{\"query\":\"query Q1(\$id: ID!) { organization(id: \$id) { name level parent { name } area { name } } }\",\"variables\":{\"id\":\"$Q1_ID\"}}" ;;
    Q2) echo '{"query":"query Q2 { organizations(first: 50) { nodes { name parent { name } children { totalCount } people(first: 5) { nodes { name } } } } }"}' ;;
    M1) echo "{\"query\":\"mutation M1(\$input: CreatePersonInput!) { createPerson(input: \$input) { person { id name } } }\",\"variables\":{\"input\":{\"name\":\"压测人员\",\"politicalStatus\":\"MASSES\",\"organizationId\":\"$M1_ID\"}}}" ;;
    *) die "unknown query $1" ;;
  esac
}
statements() {
  curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^lianjian_sql_statements_total/ {s += $NF} END {printf "%d\n", s}'
}

# --- 3. one server under callgrind per query ---------------------------------------------------
printf 'query\trequests\tinstructions_per_request\tstatements_per_request\n' > "$OUT/results.tsv"
for q in $QUERIES; do
  body "$q" > "$OUT/$q.json"
  say "$q: $REQUESTS requests under callgrind"
  valgrind --tool=callgrind --callgrind-out-file="$OUT/$q.cg" \
    "$LIANJIAN_BIN" serve --bind "127.0.0.1:$PORT" --database-url "$DB_URL" > "$OUT/$q.log" 2>&1 &
  SERVER_PID=$!
  wait_up 300 || { tail -20 "$OUT/$q.log" >&2; die "lianjian did not start under valgrind"; }
  TOKEN=$(curl -s "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
    -d "{\"query\":\"mutation { login(input: {username: \\\"admin\\\", password: \\\"$ADMIN_PW\\\"}) { token } }\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["login"]["token"])')
  send() {
    curl -s -o "$OUT/$q.answer.json" "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
      -H "authorization: Bearer $TOKEN" -d @"$OUT/$q.json"
  }
  for _ in 1 2 3; do send; done
  grep -q '"errors"' "$OUT/$q.answer.json" && die "$q answered with errors: $(head -c 300 "$OUT/$q.answer.json")"
  before=$(statements)
  callgrind_control -z "$SERVER_PID" > /dev/null 2>&1
  for _ in $(seq "$REQUESTS"); do send; done
  callgrind_control -d "$SERVER_PID" > /dev/null 2>&1
  after=$(statements)
  stop_server
  profile=$(ls -t "$OUT/$q.cg".* | head -n 1)
  total=$(callgrind_annotate "$profile" 2> /dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
  # The statement counter is read over HTTP too: its own request adds no statement.
  printf '%s\t%s\t%s\t%s\n' "$q" "$REQUESTS" "$((total / REQUESTS))" \
    "$(python3 -c "print(round(($after - $before) / $REQUESTS, 1))")" >> "$OUT/results.tsv"
  [ "$KEEP_PROFILES" = 1 ] && cp "$profile" "$OUT/$q.cg" || rm -f "$OUT/$q.cg"*
done

# --- 4. the table ------------------------------------------------------------------------------
echo
column -t -s $'\t' "$OUT/results.tsv"
echo
echo "(instructions of the server process per request, callgrind; raw results in $OUT/results.tsv)"
