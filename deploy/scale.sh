#!/usr/bin/env bash
# The scaled-out assistant on one machine, from Debian's packages (docs/deploy.md):
#
#   PostgreSQL   conversations (tracker store) and the knowledge base
#   Redis        Rasa's lock store: one lock per conversation across replicas
#   2 × action server, 2 × Rasa server (deploy/serve.py, the launcher's own commands)
#   nginx        the one entry point; each conversation goes to one Rasa replica
#
#   deploy/scale.sh start      start everything (PostgreSQL and Redis too), wait until healthy
#   deploy/scale.sh stop       stop everything this script started
#   deploy/scale.sh services   start only PostgreSQL and Redis
#   deploy/scale.sh status     what is running
#   deploy/scale.sh env        the database and Redis URLs (for tests and `assistant kb load`)
#
# It installs nothing: `make services` installs postgresql, redis-server and nginx with
# apt-get when they are missing, and `make train` trains the model. Everything listens on
# 127.0.0.1; data, logs and pid files live under $SCALE_DIR (default var/scale/).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${SCALE_DIR:-$ROOT/var/scale}"
PY="${PYTHON_BIN:-$ROOT/.venv/bin/python}"
ENTRY_HOST="${SCALE_ENTRY_HOST:-127.0.0.1}"
ENTRY_PORT="${SCALE_ENTRY_PORT:-8005}"
ACTIONS_PORT="${SCALE_ACTIONS_PORT:-5250}"
PG_PORT="${SCALE_PG_PORT:-5433}"
REDIS_PORT="${SCALE_REDIS_PORT:-6380}"
RASA_PORTS=(${SCALE_RASA_PORTS:-5205 5206})
ACTION_PORTS=(${SCALE_ACTION_PORTS:-5255 5256})
STARTUP_TIMEOUT="${SCALE_STARTUP_TIMEOUT:-600}"

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
PG_BASE="$STATE"  # may move, see pg_paths
PG_DATA="$STATE/postgres"
PG_RUN="$STATE/pgrun"
PG_LOG="$STATE/logs/postgres.log"
LOGS="$STATE/logs"
RUN="$STATE/run"
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"

die() { echo "scale.sh: $*" >&2; exit 1; }

# PostgreSQL refuses to run as root: run it as the `postgres` user Debian's package creates.
PG_SUPER="postgres"; [ "$(id -u)" = 0 ] || PG_SUPER="$(id -un)"
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

need() {
  local missing=()
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/postgres" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  if [ ${#missing[@]} -gt 0 ]; then
    die "missing: ${missing[*]}. Run 'make services' (apt-get install -y ${missing[*]})."
  fi
  [ -x "$PY" ] || die "no virtual environment: run 'make setup'."
}

password() {
  # A random password for the `assistant` database role, made once, readable by root only.
  local file="$STATE/pg-password"
  if [ ! -s "$file" ]; then
    (umask 077; "$PY" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$file")
  fi
  cat "$file"
}

tracker_url() { echo "postgresql+psycopg2://assistant:$(password)@127.0.0.1:$PG_PORT/conversations"; }
knowledge_url() { echo "postgresql+psycopg2://assistant:$(password)@127.0.0.1:$PG_PORT/knowledge"; }

pg_running() { [ -f "$PG_DATA/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

# As root, PostgreSQL runs as `postgres`, which must reach its data directory. If the
# checkout lies where `postgres` cannot go (e.g. under /root), keep the cluster in
# /var/lib/postgresql/assistant-scale-<hash of $STATE> instead.
pg_paths() {
  mkdir -p "$STATE" "$LOGS"
  if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && [ ! -d "$STATE/postgres" ] \
     && ! runuser -u postgres -- test -x "$STATE"; then
    PG_BASE="/var/lib/postgresql/assistant-scale-$(echo "$STATE" | md5sum | cut -c1-10)"
    PG_DATA="$PG_BASE/postgres"; PG_RUN="$PG_BASE/pgrun"; PG_LOG="$PG_BASE/postgres.log"
    mkdir -p "$PG_BASE"; chown postgres:postgres "$PG_BASE"
  fi
}
pg_paths

start_postgres() {
  mkdir -p "$STATE" "$LOGS" "$PG_RUN"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    echo "Creating the PostgreSQL cluster in $PG_DATA ..."
    mkdir -p "$PG_DATA"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PG_DATA" "$PG_RUN"; fi
    chmod 700 "$PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_SUPER" --auth-local=peer \
      --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 \
      || { cat "$LOGS/initdb.log" >&2; die "initdb failed"; }
  fi
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PG_RUN"; fi
  touch "$PG_LOG"
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_LOG"; fi
  if pg_running; then
    local running_port; running_port="$(sed -n 4p "$PG_DATA/postmaster.pid")"
    [ "$running_port" = "$PG_PORT" ] || die "PostgreSQL in $PG_DATA already runs on port \
$running_port: run 'deploy/scale.sh stop' first, or set SCALE_PG_PORT=$running_port."
  else
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_RUN -c max_connections=200 -c fsync=on" \
      start >/dev/null || { tail -n 20 "$PG_LOG" >&2; die "PostgreSQL did not start"; }
  fi
  local pw; pw="$(password)"
  as_pg "$PG_BIN/psql" -h "$PG_RUN" -p "$PG_PORT" -U "$PG_SUPER" -q -v ON_ERROR_STOP=1 -d postgres <<SQL >/dev/null
SELECT 'CREATE ROLE assistant LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'assistant')\gexec
ALTER ROLE assistant PASSWORD '$pw';
SELECT 'CREATE DATABASE conversations OWNER assistant' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'conversations')\gexec
SELECT 'CREATE DATABASE knowledge OWNER assistant' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'knowledge')\gexec
SQL
  echo "PostgreSQL on 127.0.0.1:$PG_PORT (databases conversations, knowledge)"
}

start_redis() {
  mkdir -p "$STATE/redis" "$LOGS" "$RUN"
  if [ -f "$RUN/redis.pid" ] && kill -0 "$(cat "$RUN/redis.pid")" 2>/dev/null \
     && ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    die "a Redis of $STATE runs on another port: run 'deploy/scale.sh stop' first."
  fi
  if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    # Locks only: no persistence needed. Protected mode, localhost only.
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes \
      --dir "$STATE/redis" --save "" --appendonly no --daemonize yes \
      --pidfile "$RUN/redis.pid" --logfile "$LOGS/redis.log"
    for _ in $(seq 50); do
      redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null || die "Redis did not start"
  fi
  echo "Redis on 127.0.0.1:$REDIS_PORT"
}

start_bg() {  # name, command... : start in its own session, remember the pid
  local name="$1"; shift
  if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
    return
  fi
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

healthy() {
  "$PY" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" \
    >/dev/null 2>&1
}

render_nginx() {
  mkdir -p "$STATE/nginx/tmp" "$LOGS"
  local rasa="" actions="" p
  for p in "${RASA_PORTS[@]}"; do rasa+="        server 127.0.0.1:$p max_fails=3 fail_timeout=2s;"$'\n'; done
  for p in "${ACTION_PORTS[@]}"; do actions+="        server 127.0.0.1:$p max_fails=3 fail_timeout=2s;"$'\n'; done
  RASA_SERVERS="$rasa" ACTION_SERVERS="$actions" "$PY" - "$ROOT/deploy/nginx/assistant.conf" \
    "$STATE/nginx/nginx.conf" <<PYEOF
import os, sys
text = open(sys.argv[1], encoding="utf-8").read()
for key, value in {"STATE": "$STATE", "ENTRY_HOST": "$ENTRY_HOST", "ENTRY_PORT": "$ENTRY_PORT",
                   "ACTIONS_PORT": "$ACTIONS_PORT",
                   "RASA_SERVERS": os.environ["RASA_SERVERS"].rstrip("\n"),
                   "ACTION_SERVERS": os.environ["ACTION_SERVERS"].rstrip("\n")}.items():
    text = text.replace("@" + key + "@", value)
open(sys.argv[2], "w", encoding="utf-8").write(text)
PYEOF
}

start_nginx() {
  render_nginx
  local nginx; nginx="$(command -v nginx || echo /usr/sbin/nginx)"
  "$nginx" -t -q -p "$STATE/nginx" -c "$STATE/nginx/nginx.conf" 2>>"$LOGS/nginx-error.log" \
    || { tail -n 5 "$LOGS/nginx-error.log" >&2; die "nginx configuration is invalid"; }
  if [ -f "$STATE/nginx/nginx.pid" ] && kill -0 "$(cat "$STATE/nginx/nginx.pid")" 2>/dev/null; then
    "$nginx" -p "$STATE/nginx" -c "$STATE/nginx/nginx.conf" -s reload
  else
    "$nginx" -p "$STATE/nginx" -c "$STATE/nginx/nginx.conf"
  fi
}

cmd_services() {
  need
  start_postgres
  start_redis
}

cmd_start() {
  need
  ls "$ROOT"/models/*.tar.gz >/dev/null 2>&1 || die "no trained model: run 'make train'."
  start_postgres
  start_redis
  mkdir -p "$RUN" "$LOGS"
  echo "Loading the knowledge base into PostgreSQL ..."
  DATABASE_URL="$(knowledge_url)" "$ROOT/.venv/bin/assistant" kb load >"$LOGS/kb-load.log" 2>&1 \
    || { cat "$LOGS/kb-load.log" >&2; die "assistant kb load failed"; }

  export DATABASE_URL TRACKER_STORE_URL
  DATABASE_URL="$(knowledge_url)"
  TRACKER_STORE_URL="$(tracker_url)"
  # The conversation table, created once here rather than by both replicas at the same time.
  "$PY" -c 'import os; from assistant.privacy.store import PrivacyTrackerStore as S; S(url=os.environ["TRACKER_STORE_URL"])' \
    >>"$LOGS/kb-load.log" 2>&1 || die "cannot create the conversation table (log: $LOGS/kb-load.log)"
  local i
  for i in "${!ACTION_PORTS[@]}"; do
    ACTION_HOST=127.0.0.1 ACTION_PORT="${ACTION_PORTS[$i]}" \
      start_bg "actions-$((i + 1))" "$PY" "$ROOT/deploy/serve.py" actions
  done
  start_nginx
  for i in "${!RASA_PORTS[@]}"; do
    RASA_HOST=127.0.0.1 RASA_PORT="${RASA_PORTS[$i]}" RASA_ENDPOINTS=deploy/endpoints.scaled.yml \
      ACTION_SERVER_URL="http://127.0.0.1:$ACTIONS_PORT/webhook" \
      REDIS_HOST=127.0.0.1 REDIS_PORT="$REDIS_PORT" REDIS_DB=1 \
      start_bg "rasa-$((i + 1))" "$PY" "$ROOT/deploy/serve.py" rasa
  done

  echo "Waiting for 2 action servers and 2 Rasa servers (a minute or two) ..."
  local deadline=$((SECONDS + STARTUP_TIMEOUT)) urls=() name
  for i in "${!ACTION_PORTS[@]}"; do urls+=("http://127.0.0.1:${ACTION_PORTS[$i]}/health"); done
  for i in "${!RASA_PORTS[@]}"; do urls+=("http://127.0.0.1:${RASA_PORTS[$i]}/"); done
  while :; do
    local pending=0
    for url in "${urls[@]}"; do healthy "$url" || pending=$((pending + 1)); done
    [ "$pending" = 0 ] && break
    for name in actions-1 actions-2 rasa-1 rasa-2; do
      if [ -f "$RUN/$name.pid" ] && ! kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
        tail -n 30 "$LOGS/$name.log" >&2
        die "$name stopped (log: $LOGS/$name.log)"
      fi
    done
    [ "$SECONDS" -lt "$deadline" ] || die "not healthy after ${STARTUP_TIMEOUT}s (logs: $LOGS)"
    sleep 1
  done
  # Like `assistant run`: a throw-away conversation per replica, so the first person does
  # not wait for the model to warm up (the conversation is deleted again).
  for i in "${!RASA_PORTS[@]}"; do
    RASA_PORT="${RASA_PORTS[$i]}" "$PY" -c \
      'from assistant.config import load_settings; from assistant.launcher import warm_up; warm_up(load_settings())' \
      >>"$LOGS/rasa-$((i + 1)).log" 2>&1 || true
  done
  healthy "http://$ENTRY_HOST:$ENTRY_PORT/" || die "the entry point (nginx) does not answer"
  cat <<EOF
The scaled-out assistant is running.
  Entry point: POST http://$ENTRY_HOST:$ENTRY_PORT/webhooks/rest/webhook?sender=ID
               socket.io http://$ENTRY_HOST:$ENTRY_PORT/socket.io/
  Rasa:        ${RASA_PORTS[*]} (127.0.0.1)   Actions: ${ACTION_PORTS[*]} via 127.0.0.1:$ACTIONS_PORT
  PostgreSQL:  127.0.0.1:$PG_PORT   Redis: 127.0.0.1:$REDIS_PORT   Logs: $LOGS
Stop with: deploy/scale.sh stop
EOF
}

stop_pid() {  # pid file: TERM the process group, wait, then KILL
  local file="$1" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

cmd_stop() {
  local name
  for name in rasa-1 rasa-2 actions-1 actions-2; do stop_pid "$RUN/$name.pid"; done
  if [ -f "$STATE/nginx/nginx.pid" ]; then
    local nginx; nginx="$(command -v nginx || echo /usr/sbin/nginx)"
    "$nginx" -p "$STATE/nginx" -c "$STATE/nginx/nginx.conf" -s quit 2>/dev/null || true
    for _ in $(seq 50); do [ -f "$STATE/nginx/nginx.pid" ] || break; sleep 0.1; done
  fi
  if [ -f "$RUN/redis.pid" ]; then
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || stop_pid "$RUN/redis.pid"
    rm -f "$RUN/redis.pid"
  fi
  if [ -n "$PG_BIN" ] && pg_running; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  fi
  echo "Stopped."
}

cmd_status() {
  local name
  for name in actions-1 actions-2 rasa-1 rasa-2; do
    if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
      echo "$name: running (pid $(cat "$RUN/$name.pid"))"
    else
      echo "$name: stopped"
    fi
  done
  healthy "http://$ENTRY_HOST:$ENTRY_PORT/" && echo "nginx: running on $ENTRY_HOST:$ENTRY_PORT" || echo "nginx: stopped"
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && echo "redis: running on $REDIS_PORT" || echo "redis: stopped"
  { [ -n "$PG_BIN" ] && pg_running && echo "postgresql: running on $PG_PORT"; } || echo "postgresql: stopped"
}

cmd_env() {
  echo "DATABASE_URL=$(knowledge_url)"
  echo "TRACKER_STORE_URL=$(tracker_url)"
  echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT/1"
  echo "ENTRY_URL=http://$ENTRY_HOST:$ENTRY_PORT"
  echo "SCALE_DIR=$STATE"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  services) cmd_services ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
