#!/usr/bin/env bash
# How first pages hold up as the data grows: for each scale of `lianjian generate` (S = the demo,
# M, L), builds a database, serves it, and measures the first pages a front end opens, as the
# administrator and as one scoped account.
#
#   LIANJIAN_BIN=target/release/lianjian bench/scale.sh
#   SCALES="S M L" DURATION=30s bench/scale.sh
#   ENGINE=sqlite SCALES=M bench/scale.sh
#
# What it does, for each scale in SCALES:
#   1. drops and creates the database (PostgreSQL: $PGURL/lianjian_scale_<s>; ENGINE=sqlite: a
#      file in OUT), or keeps it with REUSE_DB=1 (generate then only finishes what is missing);
#   2. runs `lianjian generate --scale X` and reads the demo accounts' passwords from its output;
#   3. starts `lianjian serve` on it and waits for its start-up escalation pass to end;
#   4. signs in as `admin` (everything) and `secretary` (中共从化南平静修小镇委员会 and below);
#   5. for each query and account: one request that must answer without errors (a 503 left by a
#      slow run before is retried for two minutes), the
#      lianjian_sql_statements_total delta over 20 single requests (statements per request),
#      then wrk (1 thread, CONNECTIONS connections, DURATION), then wrk again at half of the
#      rate that run reached (each connection waits between requests; bench/post.lua DELAY_MS);
#   6. prints one row per scale, query, account and COUNT: req/s, p50, p99, the rate, p50 and p99 of the
#      run at half load, statements per request, the
#      server's peak RSS so far (VmHWM), and FAIL with the reason when any response was not 2xx,
#      a socket failed or a GraphQL error came back (the script then exits 1).
#
# Queries: the first pages a front end opens, in bench/first-pages.sh (orgs, ledger, calendar
# from today, people, appeals).
#
# Environment (defaults in brackets):
#   LIANJIAN_BIN  the lianjian binary [target/release/lianjian]
#   SCALES        scales to run ["S M"; L takes minutes to generate]
#   ENGINE        postgres or sqlite [postgres]
#   PGURL         PostgreSQL server URL without database [postgres://postgres@127.0.0.1:5432]
#   LJ_SSLMODE    sslmode of lianjian's PostgreSQL URL [disable]
#   DURATION [10s]  CONNECTIONS [16]  PORT [18790]; it must be free
#   QUERIES       names from bench/first-pages.sh; "first" stands for its FIRST_PAGES (orgs ledger
#                 calendar people appeals), "filtered" for its FILTERED_PAGES ["first"]
#   ROLES         ["admin secretary"]
#   COUNT         how each list is counted, one run each: exact (totalCount), upto (countUpTo,
#                 exact up to 1,000), none; e.g. COUNT="exact upto" [exact]
#   REUSE_DB=1    keep an existing database and let generate finish it [0]; with the OUT of the
#                 run that made it, the demo accounts' passwords are read from that run's output
#   HALF=0        skip the second run of each query at half of its peak rate [1]
#   KEEP_DB=1     keep the databases afterwards [0]
#   OUT           folder for logs and raw results [a new mktemp -d folder]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=first-pages.sh
. "$here/first-pages.sh"
LIANJIAN_BIN=${LIANJIAN_BIN:-$here/../target/release/lianjian}
SCALES=${SCALES:-S M}
ENGINE=${ENGINE:-postgres}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
LJ_SSLMODE=${LJ_SSLMODE:-disable}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-18790}
QUERIES=${QUERIES:-first}
QUERIES=${QUERIES//filtered/$FILTERED_PAGES}
QUERIES=${QUERIES//first/$FIRST_PAGES}
QUERIES=$(echo $QUERIES)
ROLES=${ROLES:-admin secretary}
COUNT=${COUNT:-exact}
REUSE_DB=${REUSE_DB:-0}
HALF=${HALF:-1}
KEEP_DB=${KEEP_DB:-0}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT/bodies"

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }
for q in $QUERIES; do
  [[ " $(echo $FIRST_PAGES $FILTERED_PAGES) " == *" $q "* ]] || die "unknown query $q (bench/first-pages.sh)"
done

[ -x "$LIANJIAN_BIN" ] || die "set LIANJIAN_BIN to the lianjian binary ($LIANJIAN_BIN is missing)"
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done
[ "$ENGINE" = sqlite ] || command -v psql >/dev/null || die "psql is missing"
case "$ENGINE" in postgres | sqlite) ;; *) die "ENGINE must be postgres or sqlite" ;; esac

JWT_SECRET=$(head -c 36 /dev/urandom | base64)
SERVER_PID= CREATED_DBS=()
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$PGURL/postgres" "$@"; }
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
cleanup() {
  stop_server
  if [ "$KEEP_DB" != 1 ] && [ "$ENGINE" = postgres ]; then
    for db in "${CREATED_DBS[@]}"; do
      psql_admin -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || say "could not drop $db"
    done
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

database_url() { # SCALE
  local s=${1,,}
  if [ "$ENGINE" = sqlite ]; then
    echo "sqlite://$OUT/scale_$s.db?mode=rwc"
  else
    echo "$PGURL/lianjian_scale_$s?sslmode=$LJ_SSLMODE"
  fi
}

prepare_database() { # SCALE
  local s=${1,,}
  if [ "$ENGINE" = sqlite ]; then
    [ "$REUSE_DB" = 1 ] || rm -f "$OUT/scale_$s.db"*
    return
  fi
  local db=lianjian_scale_$s
  if [ "$REUSE_DB" != 1 ]; then
    psql_admin -c "DROP DATABASE IF EXISTS $db" >/dev/null
  fi
  if ! psql_admin -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    psql_admin -c "CREATE DATABASE $db" >/dev/null
  fi
  CREATED_DBS+=("$db")
}

wait_for() { # SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.3
  done
}

json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }
login() { # USER PASSWORD
  curl -sf "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
    -d "{\"query\":\"mutation { login(input: {username: \\\"$1\\\", password: \\\"$2\\\"}) { token } }\"}" |
    json_field "['data']['login']['token']"
}
statements() { curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^lianjian_sql_statements_total/ {s += $2} END {print s + 0}'; }
post() { # BODY_FILE TOKEN -> "HTTP_STATUS BODY"
  curl -s -o "$OUT/last.json" -w '%{http_code}' "http://127.0.0.1:$PORT/graphql" \
    -H 'content-type: application/json' -H "authorization: Bearer $2" --data-binary "@$1"
}
peak_rss() { awk '/^VmHWM/ {printf "%d", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

# --- bodies ------------------------------------------------------------------------------------
TODAY=$(date -u +%Y-%m-%dT00:00:00Z)
for count in $COUNT; do
  mkdir -p "$OUT/bodies/$count"
  first_page_bodies "$OUT/bodies/$count" "$TODAY" "$count" || die "bad COUNT"
done

# --- the runs ----------------------------------------------------------------------------------
RESULTS=$OUT/results.txt
: >"$RESULTS"
FAILED=0
printf '%-5s %-9s %-9s %-6s %9s %9s %9s %9s %9s %9s %8s %9s  %s\n' scale query role count 'req/s' 'p50 ms' 'p99 ms' \
  'half r/s' 'half p50' 'half p99' 'stmt/req' 'RSS MiB' status >>"$RESULTS"
for scale in $SCALES; do
  case "$scale" in S | M | L) ;; *) die "SCALES holds S, M or L, not $scale" ;; esac
  url=$(database_url "$scale")
  prepare_database "$scale"
  say "generating scale $scale ($ENGINE)"
  started=$SECONDS
  # Appended: the demo accounts' passwords are printed only when they are made, so a rerun
  # with REUSE_DB=1 and the same OUT finds them in the first run's output.
  "$LIANJIAN_BIN" generate --scale "$scale" --database-url "$url" --log warn \
    >"$OUT/generate-$scale.last" 2>"$OUT/generate-$scale.log" ||
    { tail -5 "$OUT/generate-$scale.log" >&2; die "generate --scale $scale failed"; }
  cat "$OUT/generate-$scale.last" >>"$OUT/generate-$scale.txt"
  say "generated in $((SECONDS - started))s:"
  awk '/^[a-z_]+ +[0-9]+$/' "$OUT/generate-$scale.last" | paste -sd' ' | sed 's/  */ /g' >&2
  password() { awk -v u="$1" '/demo accounts/ {on = 1; next} on && $1 == u {print $2; exit}' "$OUT/generate-$scale.txt"; }

  # Another server on the port would answer in ours' place.
  ! curl -s -o /dev/null "http://127.0.0.1:$PORT/" || die "port $PORT is in use; set PORT"
  LIANJIAN_JWT_SECRET=$JWT_SECRET "$LIANJIAN_BIN" serve --bind "127.0.0.1:$PORT" \
    --database-url "$url" >"$OUT/serve-$scale.log" 2>&1 &
  SERVER_PID=$!
  serving() {
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -5 "$OUT/serve-$scale.log" >&2; die "lianjian exited"; }
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"
  }
  wait_for 120 serving || { tail -20 "$OUT/serve-$scale.log" >&2; die "lianjian did not start"; }
  # The start-up escalation pass reads every overdue item: let it end before measuring.
  passed() { serving && grep -q 'escalation pass' "$OUT/serve-$scale.log"; }
  wait_for 600 passed || say "no escalation pass logged"

  # The filtered pages look at the secretary's organization and first linkage group.
  pw=$(password secretary)
  [ -n "$pw" ] || die "no password for secretary in $OUT/generate-$scale.txt (REUSE_DB=1 of a database loaded earlier?)"
  token=$(login secretary "$pw") || die "secretary cannot sign in"
  read -r org group < <(filter_targets "http://127.0.0.1:$PORT/graphql" "$token") ||
    die "no organization or linkage group for the filtered pages"
  for count in $COUNT; do
    first_page_bodies "$OUT/bodies/$count" "$TODAY" "$count" "$org" "$group" || die "bad COUNT"
  done

  for role in $ROLES; do
    pw=$(password "$role")
    [ -n "$pw" ] || die "no password for $role in $OUT/generate-$scale.txt (REUSE_DB=1 of a database loaded earlier?)"
    token=$(login "$role" "$pw") || die "$role cannot sign in"
    for count in $COUNT; do for q in $QUERIES; do
      b=$OUT/bodies/$count/$q.json
      # A slow run before may leave the server busy (503) for a while: let it drain first.
      for _ in $(seq 60); do
        status=$(post "$b" "$token")
        [ "$status" = 503 ] || break
        sleep 2
      done
      if [ "$status" != 200 ] || grep -q '"errors"' "$OUT/last.json"; then
        printf '%-5s %-9s %-9s %-6s %9s %9s %9s %9s %9s %9s %8s %9s  FAIL (HTTP %s: %s)\n' "$scale" "$q" "$role" "$count" - - - - - - - - \
          "$status" "$(head -c 200 "$OUT/last.json")" >>"$RESULTS"
        FAILED=1
        continue
      fi
      before=$(statements)
      for _ in $(seq 20); do post "$b" "$token" >/dev/null; done
      after=$(statements)
      stmts=$(python3 -c "print(f'{($after - $before) / 20:.1f}')")
      raw=$OUT/wrk-$scale-$q-$role-$count.txt
      BODY_FILE=$b TOKEN=$token wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --timeout 30s \
        -s "$here/post.lua" "http://127.0.0.1:$PORT/graphql" >"$raw" 2>&1 || true
      line=$(grep '^RESULT' "$raw" || true)
      if [ -z "$line" ]; then
        printf '%-5s %-9s %-9s %-6s %9s %9s %9s %9s %9s %9s %8s %9s  FAIL (wrk: %s)\n' "$scale" "$q" "$role" "$count" - - - - - - "$stmts" - \
          "$(tail -1 "$raw")" >>"$RESULTS"
        FAILED=1
        continue
      fi
      val() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$line"; }
      verdict=ok
      if [ "$(val requests)" = 0 ]; then
        verdict="FAIL (no response within $DURATION)"
        FAILED=1
      elif [ "$(val non2xx)" != 0 ] || [ "$(val socket_errors)" != 0 ] || [ "$(val graphql_errors)" != 0 ]; then
        verdict="FAIL (requests=$(val requests) non2xx=$(val non2xx) socket_errors=$(val socket_errors) graphql_errors=$(val graphql_errors))"
        FAILED=1
      fi
      # The same at half of that rate: each connection waits between requests. A short run
      # measures the latency at that pace, so that the wait plus the latency gives the rate.
      half_rps=- half_p50=- half_p99=-
      if [ "$HALF" = 1 ] && [ "$verdict" = ok ]; then
        cycle_ms=$(python3 -c "print(1000 * $CONNECTIONS / ($(val rps) / 2))")
        half_run() { # DELAY_MS DURATION
          DELAY_MS=$1 BODY_FILE=$b TOKEN=$token wrk -t1 -c"$CONNECTIONS" -d"$2" --timeout 30s \
            -s "$here/post.lua" "http://127.0.0.1:$PORT/graphql" 2>&1 | grep '^RESULT' || true
        }
        probe=$(half_run "$(python3 -c "print(int($cycle_ms))")" 3s)
        probe_p50=$(sed -n 's/.* p50_us=\([0-9]*\).*/\1/p' <<<"$probe")
        wait_ms=$(python3 -c "print(max(0, int($cycle_ms - ${probe_p50:-0} / 1000)))")
        half=$(half_run "$wait_ms" "$DURATION")
        hval() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$half"; }
        if [ -n "$half" ] && [ "$(hval requests)" != 0 ]; then
          half_rps=$(hval rps)
          half_p50=$(python3 -c "print(f'{$(hval p50_us) / 1000:.1f}')")
          half_p99=$(python3 -c "print(f'{$(hval p99_us) / 1000:.1f}')")
          if [ "$(hval non2xx)" != 0 ] || [ "$(hval socket_errors)" != 0 ] || [ "$(hval graphql_errors)" != 0 ]; then
            verdict="FAIL (at half load: non2xx=$(hval non2xx) socket_errors=$(hval socket_errors) graphql_errors=$(hval graphql_errors))"
            FAILED=1
          fi
        fi
      fi
      printf '%-5s %-9s %-9s %-6s %9s %9.1f %9.1f %9s %9s %9s %8s %9s  %s\n' "$scale" "$q" "$role" "$count" "$(val rps)" \
        "$(python3 -c "print($(val p50_us) / 1000)")" "$(python3 -c "print($(val p99_us) / 1000)")" \
        "$half_rps" "$half_p50" "$half_p99" \
        "$stmts" "$(peak_rss "$SERVER_PID")" "$verdict" >>"$RESULTS"
      say "$(tail -1 "$RESULTS")"
    done; done
  done
  stop_server
done

echo "engine $ENGINE, $CONNECTIONS connections, $DURATION per run, binary $LIANJIAN_BIN (raw results in $OUT)"
cat "$RESULTS"
exit "$FAILED"
