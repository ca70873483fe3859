#!/usr/bin/env bash
# Which plans PostgreSQL runs for the first pages a front end opens: builds a data set with
# `lianjian generate`, serves it with auto_explain switched on for its database, sends each query of
# bench/scale.sh as the administrator and as one scoped account, and writes the plans of the
# statements behind each request to bench/plans/<scale>/<query>-<role>.txt. The files hold no
# timings or costs, only plan shapes, index names and actual row counts, so a diff in git shows a
# plan that changed (and a sequential scan of a big table that appeared).
#
#   LIANJIAN_BIN=target/release/lianjian bench/explain.sh
#   SCALE=L KEEP_DB=1 bench/explain.sh --strict
#
# What it does:
#   1. drops and creates the database $PGURL/$DB (or keeps it with REUSE_DB=1: generate then only
#      finishes what is missing), runs `lianjian generate --scale $SCALE --today $TODAY` and reads
#      the demo accounts' passwords from its output;
#   2. ANALYZE, then ALTER DATABASE … SET session_preload_libraries = 'auto_explain' and
#      auto_explain.* (every statement, EXPLAIN ANALYZE without timing or buffers, text format,
#      top-level statements only), and plan_cache_mode = force_custom_plan (the plan for the
#      parameters given, however often a pooled connection ran the statement before);
#   3. starts `lianjian serve` on it, waits for its start-up escalation pass, signs in as `admin`
#      (everything) and `secretary` (中共从化南平静修小镇委员会 and below);
#   4. sends every query as every account once (warm-up), then REPEATS more times, one request at
#      a time, and takes the plans this database's connections logged to PG_LOG while each request
#      ran (the outbox poller's and escalation statements, those that mention event_outbox,
#      escalation_pass or app_setting, are left out);
#   5. writes one file per query and account, from the statements most of the repeats ran: each
#      statement's text, then its plan without cost=, actual time=, memory, buffers, heap
#      fetches, workers launched or JIT lines. So that a rerun writes the same files:
#        - ids and the path bounds built from them read <id>, today's date <today>;
#        - statements are sorted by their text (loaders of one round run concurrently, so they
#          reach PostgreSQL in any order);
#        - a loader's batch (`IN ($1, …)`, or on PostgreSQL `= ANY(… string_to_array($n …))`)
#          keeps its plan shape only, without rows or list size,
#          and appears once (its keys may come from one round or two, in one statement or two);
#        - below a Gather, rows depend on how the workers split them: "(actual, in parallel)";
#   6. prints a summary: statements per request and every `Seq Scan on` a table of more than
#      BIG_TABLE rows (WARN; with --strict the script then exits 1), also saved as SUMMARY.txt;
#   7. resets the database's settings (ALTER DATABASE … RESET ALL) and drops it unless KEEP_DB=1.
#
# Queries: bench/first-pages.sh, as bench/scale.sh sends them (the calendar from TODAY).
#
# Must run as a user who can read PG_LOG (root, or a member of adm), against a PostgreSQL whose
# log_line_prefix holds %d (Debian's default, `%m [%p] %q%u@%d `) and which ships auto_explain.
#
# Environment (defaults in brackets):
#   LIANJIAN_BIN  the lianjian binary [target/release/lianjian]
#   SCALE         S, M or L [M]
#   PGURL         PostgreSQL server URL without database, superuser [postgres://postgres@127.0.0.1:5432]
#   DB            database name [lianjian_explain_<scale>]
#   PG_LOG        the server's log file [/var/log/postgresql/postgresql-15-main.log]
#   LJ_SSLMODE    sslmode of lianjian's PostgreSQL URL [disable]
#   TODAY         the day generate treats as today and the calendar's `from` [2026-09-01]
#   PORT          a free port for the server [18795]
#   QUERIES       names from bench/first-pages.sh; "first" stands for its FIRST_PAGES (orgs ledger
#                 calendar people appeals), "filtered" for its FILTERED_PAGES, which look at the
#                 secretary's organization and first linkage group ["first"]
#   ROLES         ["admin secretary"]
#   COUNT         exact (totalCount), upto (countUpTo) or none: how each list is counted [exact]
#   BIG_TABLE     a sequential scan of a table with more rows than this is a WARN [10000]
#   REPEATS       measured requests per query and account [5]
#   PLANS         output folder [bench/plans/<scale>]
#   REUSE_DB=1    keep an existing database and let generate finish it [0]; generate prints the
#                 demo accounts' passwords only when it loads the demo, so only for a run cut short
#   KEEP_DB=1     keep the database afterwards (its settings are reset all the same) [0]
#   OUT           folder for logs and raw results [a new mktemp -d folder]
set -euo pipefail

STRICT=0
for arg in "$@"; do
  case "$arg" in
    --strict) STRICT=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=first-pages.sh
. "$here/first-pages.sh"
LIANJIAN_BIN=${LIANJIAN_BIN:-$here/../target/release/lianjian}
SCALE=${SCALE:-M}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
DB=${DB:-lianjian_explain_${SCALE,,}}
PG_LOG=${PG_LOG:-/var/log/postgresql/postgresql-15-main.log}
LJ_SSLMODE=${LJ_SSLMODE:-disable}
TODAY=${TODAY:-2026-09-01}
PORT=${PORT:-18795}
QUERIES=${QUERIES:-first}
QUERIES=${QUERIES//filtered/$FILTERED_PAGES}
QUERIES=${QUERIES//first/$FIRST_PAGES}
QUERIES=$(echo $QUERIES)
COUNT=${COUNT:-exact}
ROLES=${ROLES:-admin secretary}
BIG_TABLE=${BIG_TABLE:-10000}
REPEATS=${REPEATS:-5}
PLANS=${PLANS:-$here/plans/$SCALE}
REUSE_DB=${REUSE_DB:-0}
KEEP_DB=${KEEP_DB:-0}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT/bodies" "$OUT/raw"

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

case "$SCALE" in S | M | L) ;; *) die "SCALE is S, M or L, not $SCALE" ;; esac
[[ "$DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "DB must be a plain lower-case name, not $DB"
[ -x "$LIANJIAN_BIN" ] || die "set LIANJIAN_BIN to the lianjian binary ($LIANJIAN_BIN is missing)"
for tool in curl python3 psql; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done
[ -r "$PG_LOG" ] || die "cannot read PG_LOG ($PG_LOG): set it, or run as a user who can"

JWT_SECRET=$(head -c 30 /dev/urandom | base64) # 40 characters
SERVER_PID= CREATED_DB=0 SETTINGS_SET=0
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$PGURL/postgres" "$@"; }
psql_db() { psql -X -q -v ON_ERROR_STOP=1 "$PGURL/$DB" "$@"; }
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
  if [ "$SETTINGS_SET" = 1 ]; then
    psql_admin -c "ALTER DATABASE $DB RESET ALL" >/dev/null 2>&1 || say "could not reset the settings of $DB"
  fi
  if [ "$KEEP_DB" != 1 ] && [ "$CREATED_DB" = 1 ]; then
    psql_admin -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || say "could not drop $DB"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
post() { # BODY_FILE TOKEN -> HTTP status; the body in $OUT/last.json
  curl -s -o "$OUT/last.json" -w '%{http_code}' "http://127.0.0.1:$PORT/graphql" \
    -H 'content-type: application/json' -H "authorization: Bearer $2" --data-binary "@$1"
}
log_size() { stat -c %s "$PG_LOG"; }

# --- bodies --------------------------------------------------------------------------------------
for q in $QUERIES; do
  [[ " $(echo $FIRST_PAGES $FILTERED_PAGES) " == *" $q "* ]] || die "unknown query $q (bench/first-pages.sh)"
done
first_page_bodies "$OUT/bodies" "${TODAY}T00:00:00Z" "$COUNT" || die "bad COUNT"

# --- the database ------------------------------------------------------------------------------
if [ "$REUSE_DB" != 1 ]; then
  psql_admin -c "DROP DATABASE IF EXISTS $DB" >/dev/null
fi
if ! psql_admin -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  psql_admin -c "CREATE DATABASE $DB" >/dev/null
fi
CREATED_DB=1
# Settings a run before left behind would explain generate's statements too.
psql_admin -c "ALTER DATABASE $DB RESET ALL" >/dev/null
url="$PGURL/$DB?sslmode=$LJ_SSLMODE"
say "generating scale $SCALE into $DB"
started=$SECONDS
"$LIANJIAN_BIN" generate --scale "$SCALE" --today "$TODAY" --database-url "$url" --log warn \
  >"$OUT/generate.txt" 2>"$OUT/generate.log" ||
  { tail -5 "$OUT/generate.log" >&2; die "generate --scale $SCALE failed"; }
say "generated in $((SECONDS - started))s"
password() { awk -v u="$1" '/demo accounts/ {on = 1; next} on && $1 == u {print $2; exit}' "$OUT/generate.txt"; }
for role in $ROLES; do
  [ -n "$(password "$role")" ] ||
    die "no password for $role in $OUT/generate.txt (REUSE_DB=1 of a database generated before?)"
done

psql_db -c "ANALYZE" >/dev/null
# Rows per table, for the summary's WARN on sequential scans.
psql_db -At -F ' ' -c "SELECT c.relname, c.reltuples::bigint FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')" >"$OUT/table-rows.txt"

SETTINGS_SET=1
psql_admin >/dev/null <<SQL
ALTER DATABASE $DB SET session_preload_libraries = 'auto_explain';
ALTER DATABASE $DB SET auto_explain.log_min_duration = 0;
ALTER DATABASE $DB SET auto_explain.log_analyze = on;
ALTER DATABASE $DB SET auto_explain.log_timing = off;
ALTER DATABASE $DB SET auto_explain.log_buffers = off;
ALTER DATABASE $DB SET auto_explain.log_format = text;
ALTER DATABASE $DB SET auto_explain.log_nested_statements = off;
ALTER DATABASE $DB SET plan_cache_mode = force_custom_plan;
SQL

# --- the server --------------------------------------------------------------------------------
# Another server on the port would answer in ours' place.
! curl -s -o /dev/null "http://127.0.0.1:$PORT/" || die "port $PORT is in use; set PORT"
LIANJIAN_JWT_SECRET=$JWT_SECRET "$LIANJIAN_BIN" serve --bind "127.0.0.1:$PORT" \
  --database-url "$url" >"$OUT/serve.log" 2>&1 &
SERVER_PID=$!
serving() {
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -5 "$OUT/serve.log" >&2; die "lianjian exited"; }
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"
}
wait_for 120 serving || { tail -20 "$OUT/serve.log" >&2; die "lianjian did not start"; }
passed() { serving && grep -q 'escalation pass' "$OUT/serve.log"; }
wait_for 600 passed || say "no escalation pass logged"

declare -A TOKENS
for role in $ROLES; do
  TOKENS[$role]=$(login "$role" "$(password "$role")") || die "$role cannot sign in"
done

# The filtered pages look at the secretary's organization and first linkage group.
filtered=0
for q in $QUERIES; do [[ " $(echo $FILTERED_PAGES) " == *" $q "* ]] && filtered=1; done
if [ "$filtered" = 1 ]; then
  token=$(login secretary "$(password secretary)") || die "secretary cannot sign in"
  read -r org group < <(filter_targets "http://127.0.0.1:$PORT/graphql" "$token") ||
    die "no organization or linkage group for the filtered pages"
  first_page_bodies "$OUT/bodies" "${TODAY}T00:00:00Z" "$COUNT" "$org" "$group" || die "bad COUNT"
fi

request() { # QUERY ROLE -> 0 when the answer is 200 without errors
  local status
  for _ in $(seq 60); do # a slow request before may leave the server busy (503) for a while
    status=$(post "$OUT/bodies/$1.json" "${TOKENS[$2]}")
    [ "$status" = 503 ] || break
    sleep 2
  done
  [ "$status" = 200 ] && ! grep -q '"errors"' "$OUT/last.json"
}

FAILED=0
say "warm-up"
for role in $ROLES; do
  for q in $QUERIES; do
    request "$q" "$role" || { say "warm-up $q as $role: $(head -c 200 "$OUT/last.json")"; FAILED=1; }
  done
done
for role in $ROLES; do
  for q in $QUERIES; do
    for i in $(seq "$REPEATS"); do
      from=$(log_size)
      if ! request "$q" "$role"; then
        say "FAIL $q as $role: $(head -c 200 "$OUT/last.json")"
        FAILED=1
      fi
      sleep 0.2 # let the server's log lines reach the file
      to=$(log_size)
      [ "$to" -ge "$from" ] || die "$PG_LOG shrank during the run (rotated?); run again"
      dd if="$PG_LOG" of="$OUT/raw/$q-$role-$i.log" iflag=skip_bytes,count_bytes skip="$from" \
        count="$((to - from))" bs=1M status=none
    done
  done
done
stop_server

# --- plans -------------------------------------------------------------------------------------
mkdir -p "$PLANS"
status=0
# The days the server may take for today (UTC and its time zone): replaced by <today> in the plans.
python3 - "$OUT" "$PLANS" "$DB" "$SCALE" "$BIG_TABLE" "$QUERIES" "$ROLES" \
  "$(date -u +%F) $(TZ=${LIANJIAN_TIMEZONE:-Asia/Shanghai} date +%F)" "$REPEATS" <<'PY' || status=$?
import os, re, sys

out, plans, db, scale, big, queries, roles, todays, repeats = sys.argv[1:]
big, repeats = int(big), int(repeats)
rows = {}
for line in open(os.path.join(out, "table-rows.txt")):
    name, n = line.split()
    rows[name] = int(n)

entry_start = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[\d+\] (\S*)@(\S*) (\w+):  (.*)$")
ignored = re.compile(r"event_outbox|escalation_pass|app_setting", re.I)
plan_top = re.compile(r"^\S.*\((?:cost=|actual )")

def entries(path):
    """(database, level, first line, continuation lines) for each log entry."""
    cur = None
    for raw in open(path, encoding="utf-8", errors="replace"):
        line = raw.rstrip("\n")
        m = entry_start.match(line)
        if m:
            if cur:
                yield cur
            cur = (m.group(2), m.group(3), m.group(4), [])
        elif cur:
            cur[3].append(line)
    if cur:
        yield cur

uuid = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|(?<=/)[0-9a-f]{32}")
id_text_list = re.compile(r"'<id>(?:,<id>)+'")
uuid_list = re.compile(r"'\{<id>(?:,<id>)*\}'")
today = re.compile("|".join(re.escape(d) for d in set(todays.split())))

def literals(line):
    """Ids differ between data sets (the demo's are made when it is loaded) and today moves on:
    <id>, '{<id> x N}' and <today> keep the plans comparable."""
    line = uuid.sub("<id>", line)
    line = uuid_list.sub(lambda m: "'{<id> x %d}'" % (m.group(0).count("<id>")), line)
    line = id_text_list.sub(lambda m: "'<id> x %d'" % (m.group(0).count("<id>")), line)
    return today.sub("<today>", line)

def clean(line):
    line = literals(line)
    line = re.sub(r"\s*\(cost=[^)]*\)", "", line)
    line = re.sub(r"actual time=\S+ ", "actual ", line)
    line = re.sub(r"\s+(?:Peak )?Memory(?: Usage)?: \d+kB", "", line)
    line = re.sub(r"\s+Disk(?: Usage)?: \d+kB", "", line)
    return line.rstrip()

# Heap Fetches depend on the visibility map, so on whether autovacuum has been by yet.
dropped = re.compile(r"^\s*(Buffers|I/O Timings|Planning|Execution Time|Workers Launched|Heap Blocks|Heap Fetches|Worker \d+)\b")

def statements(path):
    for dbname, level, first, rest in entries(path):
        if dbname != db or level != "LOG" or not re.match(r"duration: \S+ ms  plan:", first):
            continue
        body = [l[1:] if l.startswith("\t") else l for l in rest]
        if not body or not body[0].startswith("Query Text: "):
            continue
        i = 1
        while i < len(body) and not plan_top.match(body[i]):
            i += 1
        text = " ".join(" ".join([body[0][len("Query Text: "):]] + body[1:i]).split())
        if ignored.search(text):
            continue
        plan = []
        gather = None  # indent of the Gather above: rows below it depend on how the workers split them
        for l in body[i:]:
            if l.strip() == "JIT:":
                break
            if dropped.match(l):
                continue
            indent = len(l) - len(l.lstrip())
            node = l.lstrip().removeprefix("->  ")
            if gather is not None and indent <= gather and not l.lstrip().startswith("Workers Planned"):
                gather = None
            if gather is None and node.startswith("Gather"):
                gather = indent
            if gather is not None:
                if re.match(r"\s*Rows Removed by", l):
                    continue
                l = re.sub(r"\(actual rows=\d+ loops=\d+\)", "(actual, in parallel)", l)
            plan.append(clean(l))
        yield text, plan

in_list = re.compile(r"\(\$\d+(?:, \$\d+)+\)")
# On PostgreSQL a batch's ids are one text parameter: `= ANY(CAST(string_to_array($n, ',') AS uuid[]))`.
any_list = re.compile(r"= ANY\(CAST\(string_to_array\(\$\d+")

def loader_batch(text, plan):
    """A loader's `IN (...)` batch may take keys from one round or two, so its size, its rows and
    whether it runs once or twice change from run to run: keep its shape only."""
    text = in_list.sub("($1, …)", text)
    plan = [re.sub(r"'\{<id> x \d+\}'", "'{<id>, …}'", l) for l in plan if not re.match(r"\s*Rows Removed by", l)]
    plan = [re.sub(r"'<id> x \d+'", "'<id>,…'", l) for l in plan]
    plan = [re.sub(r"\(actual rows=\d+ loops=\d+\)", "(actual)", l) for l in plan]
    return text, plan

def render(path):
    """The request's statements in a fixed order (by text, then plan): the loaders of one round
    run concurrently, so the order they reach PostgreSQL in changes from run to run."""
    stmts = []
    for t, p in statements(path):
        t = literals(t)
        if in_list.search(t) or any_list.search(t):
            t, p = loader_batch(t, p)
        if (t, p) not in stmts:
            stmts.append((t, p))
    return sorted(stmts, key=lambda s: (s[0], s[1]))

summary = []
for role in roles.split():
    for q in queries.split():
        # The most frequent of the repeats (a loader's batch may now and then be split in two).
        variants = [render(os.path.join(out, "raw", f"{q}-{role}-{i}.log")) for i in range(1, repeats + 1)]
        stmts = max(sorted(variants, key=repr), key=variants.count)
        print(f"{q} as {role}: {variants.count(stmts)} of {repeats} requests ran these statements", file=sys.stderr)
        warns = []
        with open(os.path.join(plans, f"{q}-{role}.txt"), "w") as f:
            f.write(f"# {q} as {role}, scale {scale}: {len(stmts)} statements (bench/explain.sh)\n")
            for n, (text, plan) in enumerate(stmts, 1):
                f.write(f"\n-- statement {n}\n{text}\n\n")
                for l in plan:
                    m = re.search(r"Seq Scan on (\S+)", l)
                    if m and rows.get(m.group(1).strip('"'), 0) > big:
                        warns.append(f"statement {n}: Seq Scan on {m.group(1)} ({rows[m.group(1).strip(chr(34))]} rows)")
                    f.write(l + "\n")
        summary.append((q, role, len(stmts), warns))

width = max([9] + [len(q) for q, *_ in summary])
lines = [f"{'query':<{width}} {'role':<9} {'statements':>10}  seq scans of tables over {big} rows"]
for q, role, n, warns in summary:
    lines.append(f"{q:<{width}} {role:<9} {n:>10}  {'-' if not warns else ''}")
    if not warns:
        continue
    lines[-1] = lines[-1].rstrip()
    for w in warns:
        lines.append(f"{'':<{width + 22}}WARN {w}")
text = "\n".join(lines) + "\n"
open(os.path.join(plans, "SUMMARY.txt"), "w").write(text)
sys.stdout.write(text)
empty = [f"{q}-{role}" for q, role, n, _ in summary if n == 0]
if empty:
    print(f"no plans logged for {', '.join(empty)}: is auto_explain there, and does log_line_prefix hold %d?", file=sys.stderr)
    sys.exit(3)
sys.exit(4 if any(w for *_, w in summary) else 0)
PY
say "plans in $PLANS (raw logs in $OUT)"
[ "$status" = 3 ] && exit 1
[ "$FAILED" = 0 ] || die "some requests failed (see above)"
[ "$STRICT" = 1 ] && [ "$status" = 4 ] && die "sequential scans of big tables (--strict)"
exit 0
