#!/usr/bin/env bash
# Soak: the release binary under a long mixed load of reads and writes, with subscriptions open,
# on each engine in turn. Reports the answers by HTTP status and GraphQL error code, latency
# percentiles, the server's resident memory every SAMPLE seconds, and how long after the load the
# subscribers had heard every area created; fails (exit 1) on any error, on a subscriber that did
# not hear them all within 300 s, or on memory still growing at the end (the last five samples
# more than 10% apart).
#
#   LIANJIAN_BIN=target/release/lianjian bench/soak.sh
#   ENGINES=sqlite DURATION=120 bench/soak.sh
#
# For each engine: a fresh database with the demo data (`lianjian generate --scale S`), `serve`
# with no other flag, SUBSCRIBERS sockets subscribed to `areaCreated` (bench/subscribe.py), then
# wrk (bench/soak.lua) with CONNECTIONS connections for DURATION seconds: per 10 requests, 2 pages
# of organizations, 2 of the calendar, 1 of the ledger, 1 of people, 1 organization by id, as the
# town secretary or the administrator, and 3 writes as the administrator (createArea and
# createPerson, each with a name of its own).
#
# Environment (defaults in brackets):
#   LIANJIAN_BIN [target/release/lianjian]   ENGINES ["postgres sqlite"]
#   DURATION seconds [600]   CONNECTIONS [64]   SAMPLE seconds [10]   SUBSCRIBERS [4]
#   PGURL [postgres://postgres@127.0.0.1:5432]   PORT [18890]   OUT [a new mktemp -d folder]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
LIANJIAN_BIN=${LIANJIAN_BIN:-$here/../target/release/lianjian}
ENGINES=${ENGINES:-postgres sqlite}
DURATION=${DURATION:-600}
CONNECTIONS=${CONNECTIONS:-64}
SAMPLE=${SAMPLE:-10}
SUBSCRIBERS=${SUBSCRIBERS:-4}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18890}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }
[ -x "$LIANJIAN_BIN" ] || die "set LIANJIAN_BIN to the lianjian binary ($LIANJIAN_BIN is missing)"
for tool in wrk curl python3; do command -v "$tool" >/dev/null || die "$tool is missing"; done

SERVER_PID= SUBSCRIBER_PIDS=()
stop_all() {
  for pid in "${SUBSCRIBER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  SUBSCRIBER_PIDS=()
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }
gql() { # TOKEN QUERY -> JSON
  python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$2" |
    curl -sf "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
      ${1:+-H "authorization: Bearer $1"} --data-binary @-
}
login() { gql "" "mutation { login(input: {username: \"$1\", password: \"$2\"}) { token } }" | json_field "['data']['login']['token']"; }
body() { python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$2" >"$OUT/$1.json"; }

FAILED=0
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
for engine in $ENGINES; do
  case "$engine" in
    postgres)
      command -v psql >/dev/null || die "psql is missing"
      psql -X -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS lianjian_soak" -c "CREATE DATABASE lianjian_soak"
      url="$PGURL/lianjian_soak?sslmode=disable" ;;
    sqlite)
      rm -f "$OUT"/soak.db*
      url="sqlite://$OUT/soak.db?mode=rwc" ;;
    *) die "ENGINES holds postgres or sqlite, not $engine" ;;
  esac
  say "$engine: demo data"
  "$LIANJIAN_BIN" generate --scale S --database-url "$url" --log warn >"$OUT/generate-$engine.txt" 2>&1 ||
    { tail -5 "$OUT/generate-$engine.txt" >&2; die "generate failed"; }
  password() { awk -v u="$1" '/demo accounts/ {on = 1; next} on && $1 == u {print $2; exit}' "$OUT/generate-$engine.txt"; }
  ! curl -s -o /dev/null "http://127.0.0.1:$PORT/" || die "port $PORT is in use; set PORT"
  LIANJIAN_JWT_SECRET=$(head -c 36 /dev/urandom | base64) \
    "$LIANJIAN_BIN" serve --bind "127.0.0.1:$PORT" --database-url "$url" >"$OUT/serve-$engine.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz" && break; sleep 0.3; done
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz" || die "lianjian did not start ($OUT/serve-$engine.log)"
  admin=$(login admin "$(password admin)")
  secretary=$(login secretary "$(password secretary)")
  org=$(gql "$admin" '{ organizations(first: 1) { nodes { id } } }' | json_field "['data']['organizations']['nodes'][0]['id']")

  body orgs '{ organizations(first: 50) { totalCount nodes { name parent { name } children { totalCount } people(first: 5) { nodes { name } } } } }'
  body calendar '{ jointActivities(first: 20) { totalCount nodes { title startsAt host { name } participants { organization { name } } } } }'
  body ledger '{ supervisionItems(first: 20) { totalCount nodes { code status dueOn escalationLevel leadOrganization { name } } } }'
  body people '{ people(first: 20) { totalCount nodes { name phone organization { name } positions { position } } } }'
  body one "{ organization(id: \"$org\") { name level parent { name } area { name } } }"
  body area 'mutation { createArea(input: { name: "浸泡区%N%" }) { area { id } } }'
  body person "mutation { createPerson(input: { name: \"压测%N%\", politicalStatus: MASSES, organizationId: \"$org\" }) { person { id } } }"

  areas_before=$(gql "$admin" '{ areas { totalCount } }' | json_field "['data']['areas']['totalCount']")
  for i in $(seq "$SUBSCRIBERS"); do
    python3 "$here/subscribe.py" "$PORT" "$admin" >"$OUT/subscriber-$engine-$i.txt" 2>&1 &
    SUBSCRIBER_PIDS+=($!)
  done
  sleep 1

  samples=$OUT/rss-$engine.txt
  : >"$samples"
  (
    t=0
    # Samples of the load only: the last one at DURATION - SAMPLE at the latest.
    while kill -0 "$SERVER_PID" 2>/dev/null && [ $((t + SAMPLE)) -lt "$DURATION" ]; do
      sleep "$SAMPLE"; t=$((t + SAMPLE))
      rss=$(awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$SERVER_PID/status" 2>/dev/null) || break
      echo "$t $rss" >>"$samples"
      say "$engine: ${t}s resident ${rss} MiB"
    done
  ) &
  sampler=$!

  say "$engine: $CONNECTIONS connections for ${DURATION}s"
  # Two wrk processes share the connections: the secretary reads, the administrator reads and
  # writes (7 reads to 3 writes over both).
  half=$((CONNECTIONS / 2))
  TOKEN=$secretary BODIES="$OUT/orgs.json:2,$OUT/calendar.json:2,$OUT/ledger.json:1,$OUT/people.json:1,$OUT/one.json:1" \
    wrk -t1 -c"$half" -d"${DURATION}s" --timeout 10s -s "$here/soak.lua" "http://127.0.0.1:$PORT/graphql" \
    >"$OUT/wrk-$engine-reads.txt" 2>&1 &
  reads=$!
  TOKEN=$admin BODIES="$OUT/orgs.json:1,$OUT/one.json:1,$OUT/area.json:3,$OUT/person.json:3" \
    wrk -t1 -c"$((CONNECTIONS - half))" -d"${DURATION}s" --timeout 10s -s "$here/soak.lua" "http://127.0.0.1:$PORT/graphql" \
    >"$OUT/wrk-$engine-mixed.txt" 2>&1
  wait "$reads"
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  # Every area created is an event each subscriber must hear: wait for them to catch up.
  areas=$(gql "$admin" '{ areas { totalCount } }' | json_field "['data']['areas']['totalCount']")
  expected=$((areas - areas_before))
  heard() { for i in $(seq "$SUBSCRIBERS"); do
    grep -o 'events=[0-9]*' "$OUT/subscriber-$engine-$i.txt" | tail -n 1 | cut -d= -f2; done | sort -n | head -n 1; }
  drain_started=$SECONDS
  until [ "$(heard)" -ge "$expected" ] 2>/dev/null || [ $((SECONDS - drain_started)) -ge 300 ]; do sleep 2; done
  drained=$((SECONDS - drain_started))
  for pid in "${SUBSCRIBER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  for i in $(seq "$SUBSCRIBERS"); do tail -n 1 "$OUT/subscriber-$engine-$i.txt"; done >"$OUT/subscribers-$engine.txt"
  SUBSCRIBER_PIDS=()
  peak=$(awk '/^VmHWM/ {printf "%d", $2 / 1024}' "/proc/$SERVER_PID/status")
  stop_all

  {
    echo "== $engine: $CONNECTIONS connections, ${DURATION}s, $SUBSCRIBERS subscribers"
    for part in reads mixed; do
      echo "$part: $(grep '^RESULT' "$OUT/wrk-$engine-$part.txt" | cut -d' ' -f2-)"
      grep -E '^(STATUS|CODE) ' "$OUT/wrk-$engine-$part.txt" | sort | sed 's/^/  /'
    done
    echo "subscribers: $(paste -sd' ' "$OUT/subscribers-$engine.txt")"
    echo "areas created: $expected; the slowest subscriber had heard them all ${drained}s after the load ended"
    echo "resident MiB every ${SAMPLE}s: $(awk '{print $2}' "$samples" | paste -sd' ')"
    echo "peak resident: $peak MiB"
  } | tee -a "$SUMMARY"

  # Verdict: no error of any kind, every subscriber still open, memory flat at the end.
  problems=()
  for part in reads mixed; do
    f=$OUT/wrk-$engine-$part.txt
    grep -q '^RESULT' "$f" || problems+=("$part: wrk did not finish")
    grep -qE '^RESULT .* socket_errors=0$' "$f" || problems+=("$part: socket errors")
    grep -E '^STATUS ' "$f" | grep -vq '^STATUS 200 ' && problems+=("$part: non-200 answers")
    grep -q '^CODE ' "$f" && problems+=("$part: GraphQL errors")
  done
  grep -q 'closed=1' "$OUT/subscribers-$engine.txt" && problems+=("a subscription was closed")
  grep -q 'errors=[1-9]' "$OUT/subscribers-$engine.txt" && problems+=("a subscriber got errors")
  [ "$(heard)" -ge "$expected" ] 2>/dev/null || problems+=("subscribers heard $(heard) of $expected events within 300 s")
  flat=$(tail -n 5 "$samples" | awk '{v[NR] = $2} END {if (NR < 5) {print "few"; exit}
    lo = v[1]; hi = v[1]; for (i = 2; i <= NR; i++) {if (v[i] < lo) lo = v[i]; if (v[i] > hi) hi = v[i]}
    print (hi <= lo * 1.10) ? "yes" : "no"}')
  [ "$flat" = yes ] || problems+=("memory not flat over the last five samples ($flat)")
  if [ ${#problems[@]} -gt 0 ]; then
    FAILED=1
    printf 'FAIL %s\n' "${problems[@]}" | tee -a "$SUMMARY"
  else
    echo "ok" | tee -a "$SUMMARY"
  fi
  [ "$engine" = postgres ] && psql -X -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS lianjian_soak" || true
done
say "summary in $SUMMARY"
exit "$FAILED"
