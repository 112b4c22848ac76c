#!/usr/bin/env bash
# A private PostgreSQL server in a folder of its own, for FedSim clusters on one machine and for the cluster tests.
# It never touches the system's clusters: its data, socket and log live in DIR, and it listens on 127.0.0.1 only.
#
#   build/local-postgres.sh start DIR [PORT]   initialise DIR (once) and start; prints the connection string
#   build/local-postgres.sh stop DIR           stop it (fast shutdown: sessions are disconnected)
#   build/local-postgres.sh status DIR         exit 0 when it runs
#   build/local-postgres.sh available          exit 0 when PostgreSQL's server programs are installed
#
# Needs the server programs (Debian: apt-get install postgresql). PostgreSQL refuses to run as root, so as root the
# server runs as the `postgres` user. Role and database: fedsim / fedsim, password fedsim (local use only).
set -euo pipefail

usage() { sed -n '4,8p' "$0" >&2; exit 2; }

bindir() {
  local initdb
  initdb=$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$initdb" ] || initdb=$(command -v initdb || true)
  [ -n "$initdb" ] || return 1
  dirname "$initdb"
}

# Runs a server program as the server's user (postgres when we are root).
as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:-}
case "$cmd" in
  available) bindir >/dev/null; exit $? ;;
  start|stop|status) ;;
  *) usage ;;
esac
dir=${2:-}
[ -n "$dir" ] || usage
bin=$(bindir) || { echo "local-postgres: PostgreSQL's server programs are not installed (Debian: apt-get install postgresql)" >&2; exit 3; }
data="$dir/data"

running() { [ -f "$data/postmaster.pid" ] && as_server "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

connection() {
  echo "Host=127.0.0.1;Port=$(cat "$dir/port");Username=fedsim;Password=fedsim;Database=fedsim"
}

case "$cmd" in
  status)
    running ;;
  stop)
    if running; then as_server "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi ;;
  start)
    port=${3:-}
    if [ ! -f "$data/PG_VERSION" ]; then
      port=${port:-5433}
      mkdir -p "$dir"
      chmod 755 "$dir"
      echo "$port" > "$dir/port"
      printf 'fedsim\n' > "$dir/pwfile"
      if [ "$(id -u)" = 0 ]; then
        chown -R postgres: "$dir"
        runuser -u postgres -- test -x "$dir" \
          || { echo "local-postgres: the postgres user cannot reach $dir (a parent folder is private); choose a folder under one it can enter" >&2; exit 2; }
      fi
      as_server "$bin/initdb" -D "$data" -U fedsim --pwfile="$dir/pwfile" -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
      rm -f "$dir/pwfile"
      fresh=1
    elif [ -n "$port" ] && [ "$port" != "$(cat "$dir/port")" ]; then
      echo "local-postgres: $dir was set up for port $(cat "$dir/port"), not $port" >&2; exit 2
    fi
    if ! running; then
      as_server "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
        -o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1" start >/dev/null \
        || { tail -n 20 "$dir/server.log" >&2; exit 1; }
    fi
    if [ "${fresh:-0}" = 1 ]; then
      as_server "$bin/psql" -h "$dir" -p "$(cat "$dir/port")" -U fedsim -d postgres -qAt -c 'CREATE DATABASE fedsim' >/dev/null
    fi
    # The teardown, on stderr (stdout is the connection string alone): silos first, so none retries a database going away.
    echo "local-postgres: to tear down, stop the silos (kill -TERM PID; each exits within 8 s), then: $0 stop $dir" >&2
    connection ;;
esac
