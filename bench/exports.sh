#!/usr/bin/env bash
# How the spreadsheet exports hold up on a large data set: builds a database with
# `lianjian generate`, serves it, and downloads every export as the administrator, printing for
# each file its rows, size, time and the server's resident memory before and after (peak so far,
# VmHWM), so that a file held in memory shows as a jump of its own size.
#
#   LIANJIAN_BIN=target/release/lianjian bench/exports.sh
#   ENGINE=postgres SCALE=M bench/exports.sh
#
# Environment (defaults in brackets):
#   LIANJIAN_BIN  the lianjian binary [target/release/lianjian]
#   SCALE         S, M or L [M: 100,000 activities, about 30,000 people]
#   ENGINE        sqlite or postgres [sqlite]
#   PGURL         PostgreSQL server URL without database [postgres://postgres@127.0.0.1:5432]
#   PORT          [18791]; it must be free
#   FILES         exports to download ["activities.csv activities.xlsx people.csv people.xlsx
#                 appeals.xlsx organizations.xlsx supervision-ledger.xlsx"]
#   OUT           folder for the database, logs and downloads [a new mktemp -d folder]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
LIANJIAN_BIN=${LIANJIAN_BIN:-$here/../target/release/lianjian}
SCALE=${SCALE:-M}
ENGINE=${ENGINE:-sqlite}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18791}
FILES=${FILES:-activities.csv activities.xlsx people.csv people.xlsx appeals.xlsx organizations.xlsx supervision-ledger.xlsx}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ -x "$LIANJIAN_BIN" ] || die "set LIANJIAN_BIN to the lianjian binary ($LIANJIAN_BIN is missing)"
for tool in curl python3; do command -v "$tool" >/dev/null || die "$tool is missing"; done
case "$SCALE" in S | M | L) ;; *) die "SCALE is S, M or L" ;; esac

s=${SCALE,,}
case "$ENGINE" in
  sqlite) url="sqlite://$OUT/exports_$s.db?mode=rwc"; rm -f "$OUT/exports_$s.db"* ;;
  postgres)
    command -v psql >/dev/null || die "psql is missing"
    db=lianjian_exports_$s
    psql -X -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    url="$PGURL/$db?sslmode=disable" ;;
  *) die "ENGINE is sqlite or postgres" ;;
esac

SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ "$ENGINE" = postgres ]; then psql -X -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

say "generating scale $SCALE ($ENGINE) into $OUT"
"$LIANJIAN_BIN" generate --scale "$SCALE" --database-url "$url" --log warn >"$OUT/generate.txt" 2>"$OUT/generate.log" ||
  { tail -5 "$OUT/generate.log" >&2; die "generate failed"; }
password=$(awk '/demo accounts/ {on = 1; next} on && $1 == "admin" {print $2; exit}' "$OUT/generate.txt")
[ -n "$password" ] || die "no admin password in $OUT/generate.txt"

! curl -s -o /dev/null "http://127.0.0.1:$PORT/" || die "port $PORT is in use; set PORT"
LIANJIAN_JWT_SECRET=$(head -c 36 /dev/urandom | base64) "$LIANJIAN_BIN" serve --bind "127.0.0.1:$PORT" \
  --database-url "$url" >"$OUT/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 600); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && grep -q 'escalation pass' "$OUT/serve.log" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -5 "$OUT/serve.log" >&2; die "lianjian exited"; }
  sleep 0.5
done

graphql() { # QUERY [TOKEN]
  python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$1" |
    curl -sf "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
      ${2:+-H "authorization: Bearer $2"} --data-binary @-
}
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }
token=$(graphql "mutation { login(input: {username: \"admin\", password: \"$password\"}) { token } }" | field "['data']['login']['token']")
group=$(graphql '{ linkageGroups(first: 1) { edges { node { id } } } }' "$token" | field "['data']['linkageGroups']['edges'][0]['node']['id']")
year=$(date -u +%Y)

rss() { awk -v k="$1" '$1 == k":" {printf "%d", $2 / 1024}' "/proc/$SERVER_PID/status"; }
rows() { # FILE: data rows of a CSV, or of the first sheet of a workbook
  python3 - "$1" <<'EOF'
import csv, re, sys, zipfile
path = sys.argv[1]
if path.endswith(".csv"):
    with open(path, encoding="utf-8-sig", newline="") as f:
        print(sum(1 for _ in csv.reader(f)) - 1)
else:
    with zipfile.ZipFile(path) as z:
        print(len(re.findall(rb"<row ", z.read("xl/worksheets/sheet1.xml"))) - 1)
EOF
}

printf '%-26s %9s %11s %8s %12s %12s %12s\n' file rows bytes seconds 'RSS before' 'RSS after' 'peak MiB'
for file in $FILES; do
  query=
  case "$file" in supervision-ledger.*) query="?linkageGroupId=$group&from=$year-01-01&to=$year-12-31" ;; esac
  before=$(rss VmRSS)
  say "downloading $file"
  timing=$(curl -s -o "$OUT/$file" -w '%{http_code} %{time_total} %{size_download}' \
    -H "authorization: Bearer $token" "http://127.0.0.1:$PORT/exports/$file$query")
  read -r status seconds bytes <<<"$timing"
  [ "$status" = 200 ] || die "$file: HTTP $status: $(head -c 300 "$OUT/$file")"
  printf '%-26s %9s %11s %8s %12s %12s %12s\n' "$file" "$(rows "$OUT/$file")" "$bytes" "$seconds" \
    "$before" "$(rss VmRSS)" "$(rss VmHWM)"
done
say "downloads, database and logs in $OUT"
