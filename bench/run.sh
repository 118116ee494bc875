#!/usr/bin/env bash
# The tickbox benchmark, one command from a clean clone (issue #6):
#
#   bench/run.sh            # ~5 min on 2 cores once built
#
# Builds tickbox (release) and the limit reference (../shared/bench/limit), starts
# both on fresh PostgreSQL databases and tickbox on a fresh SQLite file, seeds
# 100,000 users and 100,000 to-dos for one of them with SQL, then loads them with
# wrk and ../shared/bench/wrk/bench.lua (127.0.0.1 only, every phase bounded):
#   a    GET /todos, a user with 20 to-dos, CONNS connections      (tickbox, PG)
#   b    the same against the limit reference, rounds alternating with a
#   c1   GET /todos for the user with 100,000 to-dos               (first page)
#   c2   GET /todos?filter=completed&sort=due for that user
#   d    POST /todos (with CSRF) followed to the list, WRITE_CONNS clients
#   e0   GET /todos, STORM_READERS connections, nothing else
#   e    the same readers during a log-in storm of STORM_CLIENTS clients (cost 12)
#   f    a. on SQLite
# Prints a table and writes bench/results/latest.json (bench/report.py formats it).
#
# Env: DURATION=10 ROUNDS=3 CONNS=64 STORM_CLIENTS=16 STORM_READERS=16 WRITE_CONNS=16
#      PG_URL=postgres://postgres@127.0.0.1:5432  (a server where we may create databases)
#      SHARED=../shared/bench  OUT=bench/results/latest.json  PARTS="a c d e f"
#      NO_BUILD=1 to reuse existing binaries; TICKBOX_BIN=path to measure another build;
#      METRICS=1 serves Prometheus metrics too (METRICS_BIND = port + 1000), to
#      measure their cost: compare `PARTS=a` with and without it;
#      LOAD_WAIT_S=600 LOAD_MAX=1 to wait first for a quiet machine.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$(cd "${SHARED:-$ROOT/../shared/bench}" && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
STORM_CLIENTS=${STORM_CLIENTS:-16}
STORM_READERS=${STORM_READERS:-16}
WRITE_CONNS=${WRITE_CONNS:-16}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
OUT=${OUT:-$ROOT/bench/results/latest.json}
PARTS=${PARTS:-a c d e f}
SEED_USERS=100000
SEED_TODOS=100000
TICKBOX_PORT=18080
LIMIT_PORT=18090
SQLITE_PORT=18081
UA="tickbox-bench/1"
export BENCH_UA=$UA

# The load generator and clients, from Debian's packages: installed when missing and
# run as root (a fresh machine), else named.
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
command -v psql >/dev/null || need+=(postgresql-client)
command -v openssl >/dev/null || need+=(openssl)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench/run.sh: missing ${need[*]}; install with: sudo apt-get install ${need[*]}" >&2
    exit 2
  fi
  echo "bench/run.sh: installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

WORK=$(mktemp -d /tmp/tickbox-perf.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- build

if [ -z "${NO_BUILD:-}" ]; then
  log "building tickbox (release) and the limit reference"
  (cd "$ROOT" && cargo build --release --locked --quiet)
  cargo build --release --locked --quiet --manifest-path "$SHARED/limit/Cargo.toml" \
    --target-dir "$TARGET/bench-limit"
fi
TICKBOX=${TICKBOX_BIN:-$TARGET/release/tickbox}
LIMIT=$TARGET/bench-limit/release/tickbox-limit

# With LOAD_WAIT_S>0, first wait (up to that long) for the machine to calm down:
# 1-minute load average at most LOAD_MAX (default: half the cores).
LOAD_MAX=${LOAD_MAX:-$(python3 -c "import os; print(os.cpu_count() / 2)")}
waited=0
while [ "$waited" -lt "${LOAD_WAIT_S:-0}" ] &&
  python3 -c "import os, sys; sys.exit(os.getloadavg()[0] <= $LOAD_MAX)"; do
  log "load $(cut -d' ' -f1 /proc/loadavg) > $LOAD_MAX; waiting"
  sleep 15; waited=$((waited + 15))
done

# ---------------------------------------------------------------- servers

RUN_ID=$(date +%H%M%S)_$RANDOM
PASSWORD="Bench-pw-$RUN_ID!"
SECRET=$(openssl rand -hex 48)

fresh_pg_db() { # fresh_pg_db NAME -> URL
  psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
  echo "$PG_URL/$1"
}

wait_up() { # wait_up PORT PID
  for _ in $(seq 1 100); do
    curl -fsS --max-time 1 -o /dev/null "http://127.0.0.1:$1/healthz" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { log "server on :$1 died"; tail -20 "$WORK/server-$1.log" >&2; exit 1; }
    sleep 0.2
  done
  log "server on :$1 did not start"; exit 1
}

start_tickbox() { # start_tickbox PORT DATABASE_URL -> pid in $SERVER_PID
  local metrics=()
  [ -z "${METRICS:-}" ] || metrics=(METRICS_BIND=127.0.0.1:$(($1 + 1000)))
  env "${metrics[@]}" DATABASE_URL=$2 BIND=127.0.0.1:$1 SECRET_KEY=$SECRET BCRYPT_COST=12 RUST_LOG=info \
    "$TICKBOX" serve > "$WORK/server-$1.log" 2>&1 &
  SERVER_PID=$!; PIDS+=($SERVER_PID)
  wait_up "$1" "$SERVER_PID"
}

start_limit() {
  DATABASE_URL=$2 BIND=127.0.0.1:$1 BCRYPT_COST=12 "$LIMIT" > "$WORK/server-$1.log" 2>&1 &
  SERVER_PID=$!; PIDS+=($SERVER_PID)
  wait_up "$1" "$SERVER_PID"
}

# ---------------------------------------------------------------- setup through HTTP

CURL=(curl -sS --max-time 60 -A "$UA")
csrf_of() { grep -o '<input[^>]*name="csrf_token"[^>]*>' | head -1 | sed -E 's/.*value="([^"]*)".*/\1/' || true; }
cookie_header() { awk -F'\t' '/^#HttpOnly_/ {sub(/^#HttpOnly_/, "")} /^#/ || NF < 7 {next} {printf "%s%s=%s", sep, $6, $7; sep="; "}' "$1"; }
expect_303() { [ "$2" = 303 ] || { log "$1: expected 303, got $2"; head -c 1500 "$WORK/body" >&2; exit 1; }; }

register() { # register BASE USER
  local jar="$WORK/jar-reg-$2" tok code
  tok=$("${CURL[@]}" -c "$jar" -b "$jar" "$1/register" | csrf_of)
  code=$("${CURL[@]}" -c "$jar" -b "$jar" -o "$WORK/body" -w '%{http_code}' \
    --data-urlencode "csrf_token=$tok" --data-urlencode "username=$2" \
    --data-urlencode "email=$2@example.com" --data-urlencode "password=$PASSWORD" \
    --data-urlencode "password_confirm=$PASSWORD" "$1/register")
  expect_303 "register $2" "$code"
}
login() { # login BASE USER JAR
  local tok code
  rm -f "$3"
  tok=$("${CURL[@]}" -c "$3" -b "$3" "$1/login" | csrf_of)
  code=$("${CURL[@]}" -c "$3" -b "$3" -o "$WORK/body" -w '%{http_code}' --data-urlencode "csrf_token=$tok" \
    --data-urlencode "login=$2" --data-urlencode "password=$PASSWORD" "$1/login")
  expect_303 "login $2" "$code"
}
add_todos() { # add_todos BASE JAR N
  local tok code i due
  tok=$("${CURL[@]}" -c "$2" -b "$2" "$1/todos" | csrf_of)
  for i in $(seq 1 "$3"); do
    due=""; [ $((i % 3)) = 0 ] && due=$(date -u -d "+$i days" +%Y-%m-%d)
    code=$("${CURL[@]}" -c "$2" -b "$2" -o "$WORK/body" -w '%{http_code}' \
      --data-urlencode "csrf_token=$tok" --data-urlencode "title=Seeded to-do number $i" \
      --data-urlencode "due=$due" "$1/todos")
    expect_303 "add to-do $i" "$code"
  done
  # The list once more, as a browser following the last redirect: it shows the last
  # "added" flash, so the jar keeps no flash cookie for wrk to replay on every request.
  "${CURL[@]}" -c "$2" -b "$2" -o /dev/null "$1/todos"
}
check_page() { # check_page BASE COOKIE PATH ITEMS
  local code items
  code=$("${CURL[@]}" -H "Cookie: $2" -o "$WORK/page" -w '%{http_code}' "$1$3")
  items=$(grep -o 'class="todo[" ]' "$WORK/page" | wc -l)
  [ "$code" = 200 ] && [ "$items" = "$4" ] || { log "GET $1$3 gave $code with $items to-dos (expected 200, $4)"; exit 1; }
}

# Users of a tickbox server: reader (20 to-dos), writer, storm, bulk (100,000 to-dos).
setup_tickbox() { # setup_tickbox BASE PREFIX
  local u
  for u in reader writer storm bulk; do register "$1" "${2}_$u"; done
  for u in reader writer bulk; do login "$1" "${2}_$u" "$WORK/jar-$2-$u"; done
  add_todos "$1" "$WORK/jar-$2-reader" 20
}

# 100,000 users in all (one bcrypt hash shared by the seeded ones: hashing 100,000
# passwords at cost 12 would take hours) and 100,000 to-dos for the bulk user:
# a third with a due date, half of them done.
seed_pg() { # seed_pg URL PREFIX
  # Per-row count triggers on 100,000 inserts for one user in one transaction would
  # update that user's row 100,000 times (minutes): load with triggers off (replica
  # role), then set the counts once.
  psql -q -v ON_ERROR_STOP=1 "$1" <<SQL
SET session_replication_role = replica;
INSERT INTO users (username, username_key, email, email_key, password_hash, theme, created_at)
SELECT 'seed' || g, 'seed' || g, 'seed' || g || '@example.com', 'seed' || g || '@example.com',
       (SELECT password_hash FROM users WHERE username_key = '${2}_bulk'), 'light', now() AT TIME ZONE 'utc'
FROM generate_series(1, $SEED_USERS - (SELECT count(*) FROM users)) g;
INSERT INTO todos (user_id, title, due, done, created_at, updated_at)
SELECT u.id, 'Bulk to-do ' || g,
       CASE WHEN g % 3 = 0 THEN DATE '2026-01-01' + (g % 700) END, g % 2 = 0,
       (now() AT TIME ZONE 'utc') - make_interval(secs => $SEED_TODOS - g + 60),
       (now() AT TIME ZONE 'utc') - make_interval(secs => $SEED_TODOS - g + 60)
FROM generate_series(1, $SEED_TODOS) g, (SELECT id FROM users WHERE username_key = '${2}_bulk') u;
RESET session_replication_role;
DO \$\$ BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns
             WHERE table_name = 'users' AND column_name = 'todos_active') THEN
    EXECUTE 'UPDATE users SET
               todos_active = (SELECT count(*) FROM todos WHERE user_id = users.id AND NOT done),
               todos_completed = (SELECT count(*) FROM todos WHERE user_id = users.id AND done)
             WHERE username_key = ''${2}_bulk''';
  END IF;
END \$\$;
VACUUM ANALYZE;
SQL
}

seed_sqlite() { # seed_sqlite FILE PREFIX
  python3 - "$1" "$2" "$SEED_USERS" "$SEED_TODOS" <<'PY'
import sqlite3, sys
path, prefix, users, todos = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
db = sqlite3.connect(path)
db.execute("PRAGMA busy_timeout = 5000")
have = db.execute("SELECT count(*) FROM users").fetchone()[0]
bulk, pw = db.execute("SELECT id, password_hash FROM users WHERE username_key = ?", (prefix + "_bulk",)).fetchone()
db.execute("""WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)
  INSERT INTO users (username, username_key, email, email_key, password_hash, theme, created_at)
  SELECT 'seed' || n, 'seed' || n, 'seed' || n || '@example.com', 'seed' || n || '@example.com', ?, 'light',
         strftime('%Y-%m-%d %H:%M:%f', 'now') FROM g""", (users - have, pw))
db.execute("""WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)
  INSERT INTO todos (user_id, title, due, done, created_at, updated_at)
  SELECT ?, 'Bulk to-do ' || n,
         CASE WHEN n % 3 = 0 THEN date('2026-01-01', '+' || (n % 700) || ' days') END, n % 2 = 0,
         strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || (? - n + 60) || ' seconds'),
         strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || (? - n + 60) || ' seconds')
  FROM g""", (todos, bulk, todos, todos))
db.commit()
db.execute("ANALYZE")
db.close()
PY
}

# ---------------------------------------------------------------- measuring

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU ticks of every PostgreSQL process (the database's share of a page, as the shared
# harness's monitor counts it), with what exited backends left to the postmaster
# (its children's time), so that connections closing mid-part are not lost.
db_ticks() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk '$2 == "(postgres)" {s += $14 + $15 + $16 + $17} END {print s + 0}'
}
# run_wrk NAME PORT SECONDS CONNS THREADS (BENCH_* env set by the caller); records
# the wrk JSON plus the server's CPU seconds during the part
run_wrk() {
  local name=$1 port=$2 secs=$3 conns=$4 threads=$5 c0 c1 d0 d1
  c0=$(cpu_ticks "$SERVER_PID"); d0=$(db_ticks)
  BENCH_OUT="$WORK/part-$name.json" BENCH_CONNS=$conns \
    timeout $((secs + 60)) wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 30s \
    -s "$SHARED/wrk/bench.lua" "http://127.0.0.1:$port" > "$WORK/wrk-$name.txt" 2>&1
  c1=$(cpu_ticks "$SERVER_PID"); d1=$(db_ticks)
  python3 - "$WORK/part-$name.json" "$(( c1 - c0 ))" "$(( d1 - d0 ))" "$(getconf CLK_TCK)" <<'PY'
import json, sys
path, ticks, db_ticks, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
d = json.load(open(path))
d["server_cpu_s"] = round(ticks / hz, 2)
d["db_cpu_s"] = round(db_ticks / hz, 2)
json.dump(d, open(path, "w"))
PY
}
get_part() { # get_part NAME PORT PATH COOKIE CONNS
  BENCH_MODE=get BENCH_PATH=$3 BENCH_COOKIE=$4 run_wrk "$1" "$2" "$DURATION" "$5" 2
}
peak_rss() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

has() { [[ " $PARTS " == *" $1 "* ]]; }
META=$WORK/meta.env
{
  echo "duration_s=$DURATION"; echo "rounds=$ROUNDS"; echo "conns=$CONNS"
  echo "storm_clients=$STORM_CLIENTS"; echo "storm_readers=$STORM_READERS"; echo "write_conns=$WRITE_CONNS"
  echo "started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"; echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} > "$META"

# ---------------------------------------------------------------- PostgreSQL

TB=http://127.0.0.1:$TICKBOX_PORT
LB=http://127.0.0.1:$LIMIT_PORT
PG_DB=$(fresh_pg_db tickbox_bench)
log "tickbox on PostgreSQL ($PG_DB)"
start_tickbox $TICKBOX_PORT "$PG_DB"; TICKBOX_PID=$SERVER_PID
P=b${RUN_ID}
setup_tickbox "$TB" "$P"
log "seeding $SEED_USERS users and $SEED_TODOS to-dos (PostgreSQL)"
seed_pg "$PG_DB" "$P"
READER=$(cookie_header "$WORK/jar-$P-reader")
WRITER=$(cookie_header "$WORK/jar-$P-writer")
BULK=$(cookie_header "$WORK/jar-$P-bulk")
check_page "$TB" "$BULK" /todos 50
check_page "$TB" "$BULK" "/todos?filter=completed&sort=due" 50
check_page "$TB" "$READER" /todos 20
echo "page_bytes=$(wc -c < "$WORK/page")" >> "$META"

# Database round trips per page: a second server on the same database logs every
# statement (RUST_LOG=tickbox::db::query=trace); statements per request over 20
# sequential requests of each kind.
COUNT_PORT=18082
DATABASE_URL=$PG_DB BIND=127.0.0.1:$COUNT_PORT SECRET_KEY=$SECRET BCRYPT_COST=12 \
  RUST_LOG=info,tickbox::db::query=trace "$TICKBOX" serve > "$WORK/count.log" 2>&1 &
COUNT_PID=$!; PIDS+=($COUNT_PID)
wait_up $COUNT_PORT $COUNT_PID
CB=http://127.0.0.1:$COUNT_PORT
round_trips() { # round_trips NAME CMD... (the command's URL is on the counting server)
  local before after trips0 trips1
  before=$(grep -c ' query sql=' "$WORK/count.log" || true)
  trips0=$(grep -c ' blocking trip' "$WORK/count.log" || true)
  for _ in $(seq 1 20); do "${@:2}" > /dev/null; done
  after=$(grep -c ' query sql=' "$WORK/count.log" || true)
  trips1=$(grep -c ' blocking trip' "$WORK/count.log" || true)
  echo "round_trips_$1=$(python3 -c "print(round(($after - $before) / 20, 2))")" >> "$META"
  echo "blocking_trips_$1=$(python3 -c "print(round(($trips1 - $trips0) / 20, 2))")" >> "$META"
}
round_trips get_todos "${CURL[@]}" -H "Cookie: $READER" "$CB/todos"
round_trips get_todos_100k_due "${CURL[@]}" -H "Cookie: $BULK" "$CB/todos?filter=completed&sort=due"
round_trips get_home "${CURL[@]}" -H "Cookie: $READER" "$CB/"
round_trips get_login_anonymous "${CURL[@]}" "$CB/login"
round_trips get_account "${CURL[@]}" -H "Cookie: $READER" "$CB/account"
round_trips get_edit "${CURL[@]}" -H "Cookie: $READER" "$CB/todos/$(
  "${CURL[@]}" -H "Cookie: $READER" "$CB/todos" | grep -o 'href="/todos/[0-9]*/edit' | head -1 | grep -o '[0-9]\+')/edit"
WRITER_CSRF=$("${CURL[@]}" -H "Cookie: $WRITER" "$CB/todos" | csrf_of)
# With the writer's cookie jar, so the GET after the redirect carries the flash cookie
# the POST set (and shows the flash), as a browser's would.
cp "$WORK/jar-$P-writer" "$WORK/jar-count"
round_trips post_todos_and_follow "${CURL[@]}" -L -b "$WORK/jar-count" -c "$WORK/jar-count" \
  --data-urlencode "csrf_token=$WRITER_CSRF" --data-urlencode "title=counted" "$CB/todos"
kill $COUNT_PID

if has a; then
  LIMIT_DB=$(fresh_pg_db tickbox_bench_limit)
  log "limit reference on PostgreSQL ($LIMIT_DB)"
  start_limit $LIMIT_PORT "$LIMIT_DB"; LIMIT_PID=$SERVER_PID
  # the limit skips CSRF: its forms carry a dummy token; register logs in (cookie `sid`)
  "${CURL[@]}" -c "$WORK/jar-limit" -o /dev/null --data-urlencode "username=${P}_reader" \
    --data-urlencode "email=${P}_reader@example.com" --data-urlencode "password=$PASSWORD" "$LB/register"
  add_todos "$LB" "$WORK/jar-limit" 20
  LIMIT_READER=$(cookie_header "$WORK/jar-limit")
  check_page "$LB" "$LIMIT_READER" /todos 20
  # alternate the two servers' rounds so drift on the machine hits both alike
  for r in $(seq 1 "$ROUNDS"); do
    log "round $r/$ROUNDS: a (tickbox) and b (limit), GET /todos, $CONNS connections, ${DURATION}s each"
    SERVER_PID=$TICKBOX_PID get_part "a$r" $TICKBOX_PORT /todos "$READER" "$CONNS"
    SERVER_PID=$LIMIT_PID get_part "b$r" $LIMIT_PORT /todos "$LIMIT_READER" "$CONNS"
  done
  echo "limit_peak_rss_kb=$(peak_rss "$LIMIT_PID")" >> "$META"
  kill "$LIMIT_PID"
fi
SERVER_PID=$TICKBOX_PID
if has c; then
  log "c1/c2: GET /todos for the user with $SEED_TODOS to-dos"
  get_part c1 $TICKBOX_PORT /todos "$BULK" "$CONNS"
  get_part c2 $TICKBOX_PORT "/todos?filter=completed&sort=due" "$BULK" "$CONNS"
fi
if has d; then
  log "d: POST /todos + follow, $WRITE_CONNS clients"
  WRITER_CSRF=$("${CURL[@]}" -H "Cookie: $WRITER" "$TB/todos" | csrf_of)
  BENCH_MODE=add BENCH_COOKIE=$WRITER BENCH_CSRF=$WRITER_CSRF \
    run_wrk d $TICKBOX_PORT "$DURATION" "$WRITE_CONNS" "$WRITE_CONNS"
fi
if has e; then
  # CPU for one log-in at cost 12 (almost all of it the bcrypt verify), measured as
  # the server's CPU time over a few sequential log-ins on an otherwise idle server
  n=6; c0=$(cpu_ticks "$TICKBOX_PID"); t0=$(date +%s.%N)
  for _ in $(seq 1 $n); do login "$TB" "${P}_storm" "$WORK/jar-hash"; done
  c1=$(cpu_ticks "$TICKBOX_PID"); t1=$(date +%s.%N)
  echo "hash_cpu_ms=$(python3 -c "print(round(($c1 - $c0) / $(getconf CLK_TCK) / $n * 1000))")" >> "$META"
  echo "hash_wall_ms=$(python3 -c "print(round(($t1 - $t0) / $n * 1000))")" >> "$META"
  echo "cores=$(nproc)" >> "$META"
  log "e0: GET /todos, $STORM_READERS connections, no storm"
  get_part e0 $TICKBOX_PORT /todos "$READER" "$STORM_READERS"
  log "e: log-in storm ($STORM_CLIENTS clients) + GET /todos ($STORM_READERS connections)"
  BENCH_MODE=login BENCH_LOGIN=${P}_storm BENCH_PASSWORD=$PASSWORD \
    run_wrk e_storm $TICKBOX_PORT $((DURATION + 2)) "$STORM_CLIENTS" "$STORM_CLIENTS" &
  storm=$!
  sleep 1   # the storm is under way before the readers start
  get_part e $TICKBOX_PORT /todos "$READER" "$STORM_READERS"
  wait $storm
fi
echo "tickbox_pg_peak_rss_kb=$(peak_rss "$TICKBOX_PID")" >> "$META"
kill "$TICKBOX_PID"

# ---------------------------------------------------------------- SQLite

if has f; then
  DB=$WORK/sqlite/tickbox.db; mkdir -p "$WORK/sqlite"
  log "tickbox on SQLite ($DB)"
  start_tickbox $SQLITE_PORT "sqlite://$DB"
  SB=http://127.0.0.1:$SQLITE_PORT
  P=s${RUN_ID}
  setup_tickbox "$SB" "$P"
  log "seeding $SEED_USERS users and $SEED_TODOS to-dos (SQLite)"
  seed_sqlite "$DB" "$P"
  READER=$(cookie_header "$WORK/jar-$P-reader")
  check_page "$SB" "$READER" /todos 20
  log "f: GET /todos on SQLite, $CONNS connections"
  get_part f $SQLITE_PORT /todos "$READER" "$CONNS"
  echo "tickbox_sqlite_peak_rss_kb=$(peak_rss "$SERVER_PID")" >> "$META"
  kill "$SERVER_PID"
fi

echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$META"
mkdir -p "$(dirname "$OUT")"
python3 "$ROOT/bench/report.py" "$WORK" "$OUT"
