# Start a throwaway PostgreSQL cluster and Redis on loopback, and export their URLs.
# Sourced by .ci/run (and usable by hand: `source .ci/services.sh`). apt does not start
# services on our machines, so we start our own, in a temporary directory, on fixed
# high ports that nothing else uses.

SERVICES_DIR="${SERVICES_DIR:-$(mktemp -d /tmp/scoreboard-services.XXXXXX)}"
PG_PORT="${PG_PORT:-54329}"
REDIS_PORT="${REDIS_PORT:-63790}"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

as_postgres() {
  # initdb refuses to run as root; on a developer's own account it runs as that user.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local data="$SERVICES_DIR/pg"
  mkdir -p "$data"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$data" "$SERVICES_DIR"
  as_postgres "$PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-instructions >/dev/null
  as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $data -c fsync=off -c full_page_writes=off" start >/dev/null
  as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres scoreboard
}

stop_postgres() {
  as_postgres "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg" -m fast stop >/dev/null 2>&1 || true
}

start_redis() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --dir "$SERVICES_DIR" --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis did not start; see $SERVICES_DIR/redis.log" >&2
  return 1
}

stop_redis() {
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

start_services() {
  start_postgres
  start_redis
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/scoreboard"
  export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
  export PG_BIN PG_PORT REDIS_PORT SERVICES_DIR
}

stop_services() {
  stop_redis
  stop_postgres
}
